/**
 * Whether a folder holds anything of a board: its database, its last good copy, or a journal with
 * changes in it. Each of them is a board (restorable, or at least worth keeping), so none may be
 * taken for "no board here": not by a view offering to create one, nor by the store creating one.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';

export type BoardTrace = 'database' | 'backup' | 'journal';

/** The first trace of a board found beside `dbPath` (`factory.db`), or undefined for none. */
export async function boardTrace(dbPath: string): Promise<BoardTrace | undefined> {
  if (existsSync(dbPath)) return 'database';
  if (existsSync(`${dbPath}.bak`)) return 'backup';
  // An empty journal holds nothing: it is what an interrupted creation leaves behind.
  const journalSize = await stat(`${dbPath}.journal`).then(
    (st) => st.size,
    () => 0,
  );
  return journalSize > 0 ? 'journal' : undefined;
}
