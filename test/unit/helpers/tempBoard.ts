import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBoard } from '../../../src/store/sqlBoard';
import type { OpenBoardOptions, SqlBoard } from '../../../src/store/sqlBoard';
import { FakeClock } from './fakeClock';
import { repoRoot } from './repoRoot';

export interface TempBoard {
  /** The folder standing in for the repository. */
  root: string;
  /** Its `.factory` folder. */
  dir: string;
  clock: FakeClock;
  board: SqlBoard;
  /** Opens the same board again (another window, or after a restart). */
  open(extra?: Partial<OpenBoardOptions>): Promise<SqlBoard>;
  /** Closes every board opened through this helper and deletes the folder. */
  dispose(): Promise<void>;
}

/**
 * A board on disk in a fresh temp folder, on a fake clock, without the poll timer unless asked.
 * No git repository is needed: the store only cares about its folder.
 */
export async function makeTempBoard(extra: Partial<OpenBoardOptions> = {}): Promise<TempBoard> {
  const root = mkdtempSync(join(tmpdir(), 'af-board-'));
  const dir = join(root, '.factory');
  const clock = new FakeClock();
  const opened: SqlBoard[] = [];
  const open = async (more: Partial<OpenBoardOptions> = {}): Promise<SqlBoard> => {
    const board = await openBoard({ dir, repoRoot: root, clock, pollMs: 0, ...extra, ...more });
    opened.push(board);
    return board;
  };
  const board = await open();
  return {
    root,
    dir,
    clock,
    board,
    open,
    async dispose() {
      await Promise.all(opened.map((b) => b.close()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A file under test/fixtures/, found from wherever the compiled test runs. */
export function fixturePath(name: string): string {
  return join(repoRoot, 'test', 'fixtures', name);
}
