/**
 * Folding the journal into a new snapshot. This part reads the board from disk as it stands
 * (snapshot plus journal), replays it, checks the result with `PRAGMA quick_check` and only then
 * writes the new snapshot and last good copy to temporary files; it runs in a worker thread, so
 * exporting and checking a large board never block the extension host. The owner of the board
 * then swaps the files in under the write lock (see sqlBoard.ts). A result that fails the check is
 * never written: the owner is told, and restores the last good copy instead.
 */
import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { parseFrames } from './journal';
import { META_JOURNAL_SEQ } from './schema';
import { openSnapshot, replayEntries } from './snapshot';
import { loadSqlJs } from './sqlite';
import { writeDurably } from './files';

export interface CompactRequest {
  /** `check`: only says whether `dbPath` (with no journal) passes quick_check. */
  mode?: 'compact' | 'check';
  wasmPath: string;
  dbPath: string;
  journalPath: string;
  /** Where to write the new snapshot and the new last good copy. */
  snapshotTmp: string;
  backupTmp: string;
}

export interface CompactResult {
  /** Set when the board read from disk failed its integrity check: nothing was written. */
  damage?: string | undefined;
  /** The journal sequence number the new snapshot includes. */
  seq: number;
  /** The snapshot that was read, to check nobody replaced it meanwhile. */
  snapshotId: string;
  /** The journal that was read, and the offset up to which its entries are in the new snapshot. */
  journalId: string;
  journalEnd: number;
}

export function fileIdentity(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

export function inodeIdentity(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

export async function compactToTemp(req: CompactRequest): Promise<CompactResult> {
  const SQL = await loadSqlJs(req.wasmPath);
  const snap = await readWhole(req.dbPath);
  if (req.mode === 'check') return { ...checkOnly(SQL, snap.bytes), snapshotId: fileIdentity(snap.stats), journalId: '', journalEnd: 0, seq: 0 };
  const journal = await readWhole(req.journalPath);
  let opened: ReturnType<typeof openSnapshot>;
  try {
    opened = openSnapshot(SQL, snap.bytes);
  } catch (err) {
    return { damage: err instanceof Error ? err.message : String(err), seq: 0, snapshotId: fileIdentity(snap.stats), journalId: inodeIdentity(journal.stats), journalEnd: 0 };
  }
  const { db, seq: baseSeq } = opened;
  try {
    const parsed = parseFrames(journal.bytes);
    const replay = replayEntries(db, parsed.entries, baseSeq);
    if (replay.stopped !== undefined) throw new Error(`the journal does not continue the snapshot (${replay.stopped})`);
    // Every valid entry is now either in the snapshot already or replayed into it.
    const journalEnd = parsed.validEnd;
    const damage = db.quickCheck();
    if (damage !== undefined) return { damage, seq: replay.seq, snapshotId: fileIdentity(snap.stats), journalId: inodeIdentity(journal.stats), journalEnd };
    db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_JOURNAL_SEQ}', '${replay.seq}')`);
    const bytes = db.export();
    await writeDurably(req.snapshotTmp, bytes);
    await writeDurably(req.backupTmp, bytes);
    return { seq: replay.seq, snapshotId: fileIdentity(snap.stats), journalId: inodeIdentity(journal.stats), journalEnd };
  } finally {
    db.close();
  }
}

function checkOnly(SQL: Awaited<ReturnType<typeof loadSqlJs>>, bytes: Buffer): { damage?: string } {
  try {
    const { db } = openSnapshot(SQL, bytes);
    try {
      return { damage: db.quickCheck() };
    } finally {
      db.close();
    }
  } catch (err) {
    return { damage: err instanceof Error ? err.message : String(err) };
  }
}

async function readWhole(path: string): Promise<{ bytes: Buffer; stats: Stats }> {
  const fh = await open(path, 'r');
  try {
    const stats = await fh.stat();
    const bytes = await fh.readFile();
    return { bytes, stats };
  } finally {
    await fh.close();
  }
}
