/**
 * Reading the board from disk: a snapshot (a plain SQLite file) plus the journal entries after the
 * sequence number the snapshot records. Used on open, on reload and by the compaction worker.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import type { JournalEntry } from './journal';
import { META_JOURNAL_SEQ } from './schema';
import { Db } from './sqlite';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Why `bytes` cannot be a complete SQLite database, or undefined when its header is sound and its
 * length matches the page count the header records (which catches truncation).
 */
export function sqliteDamage(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'the file is empty';
  if (bytes.length < 100) return `the file is only ${bytes.length} bytes`;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, 16).equals(SQLITE_MAGIC)) return 'the file is not an SQLite database';
  const rawPageSize = buf.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return 'the file header is damaged';
  const changeCounter = buf.readUInt32BE(24);
  const pages = buf.readUInt32BE(28);
  const validFor = buf.readUInt32BE(92);
  if (pages > 0 && changeCounter === validFor && buf.length < pages * pageSize) {
    return `the file is truncated (${buf.length} of ${pages * pageSize} bytes)`;
  }
  if (buf.length % pageSize !== 0) return 'the file is truncated mid-page';
  return undefined;
}

/** Opens `bytes` as a database and checks it holds a board; throws with a reason otherwise. */
export function openSnapshot(SQL: SqlJsStatic, bytes: Uint8Array): { db: Db; seq: number } {
  const damage = sqliteDamage(bytes);
  if (damage !== undefined) throw new Error(damage);
  let raw: Database | undefined;
  try {
    raw = new SQL.Database(bytes);
    const db = new Db(raw);
    const seqValue = db.value('SELECT value FROM meta WHERE key = ?', [META_JOURNAL_SEQ]);
    // Reading the schema touches every table's root page: a cheap check that the file is whole.
    db.all('SELECT name FROM sqlite_master');
    db.value('SELECT COUNT(*) FROM tickets');
    const seq = seqValue === undefined || seqValue === null ? 0 : Number(seqValue);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new Error('the board records an invalid journal position');
    return { db, seq };
  } catch (err) {
    try {
      raw?.close();
    } catch {
      // The database could not even be closed; there is nothing left to release.
    }
    throw err;
  }
}

export interface ReplayResult {
  seq: number;
  applied: JournalEntry[];
  /** Set when entries follow that could not be applied (a gap in the sequence, or a failing one). */
  stopped?: 'gap' | 'failed';
  failure?: string;
}

/** Applies, each in its own transaction, the entries after `seq` that continue the sequence. */
export function replayEntries(db: Db, entries: readonly JournalEntry[], seq: number): ReplayResult {
  const applied: JournalEntry[] = [];
  for (const e of entries) {
    if (e.seq <= seq) continue;
    if (e.seq !== seq + 1) return { seq, applied, stopped: 'gap' };
    db.exec('BEGIN');
    try {
      db.replay(e.payload);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      return { seq, applied, stopped: 'failed', failure: err instanceof Error ? err.message : String(err) };
    }
    seq = e.seq;
    applied.push(e);
  }
  return { seq, applied };
}
