/**
 * Reading a board from disk (snapshot, then journal) and repairing it under the write lock: a
 * missing board is created, a damaged snapshot is set aside and the last good copy restored, and
 * a journal damaged before its end is set aside while every entry after the damage that still
 * applies is recovered. Nothing damaged is ever written over a good copy: what is saved passes
 * `PRAGMA quick_check` first. Ticket numbers that lost entries may have used stay used.
 */
import { existsSync } from 'node:fs';
import { copyFile, open, readFile, rename, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { errorMessage, FactoryError } from '../domain/errors';
import type { OpenReport } from './api';
import { inodeIdentity } from './compaction';
import { asidePath, replaceDurably, syncDir, writeDurably } from './files';
import { parseFrames } from './journal';
import type { JournalEntry, ParsedJournal } from './journal';
import { readMark } from './journalMark';
import type { Mark } from './journalMark';
import { boardTrace } from './boardTrace';
import { applyMigrations } from './migrate';
import { META_JOURNAL_SEQ, META_NEXT_TICKET } from './schema';
import { openSnapshot, replayEntries } from './snapshot';
import { Db } from './sqlite';

export const DB_FILE = 'factory.db';

export interface BoardPaths {
  db: string;
  journal: string;
  backup: string;
  lock: string;
  mark: string;
}

export function boardPaths(dir: string): BoardPaths {
  const db = join(dir, DB_FILE);
  return { db, journal: `${db}.journal`, backup: `${db}.bak`, lock: `${db}.lock`, mark: `${db}.mark` };
}

export interface JournalHandle {
  fh: FileHandle;
  /** Device and inode: a compaction elsewhere replaces the file, and this tells us. */
  id: string;
  /** Offset after the last entry this process has applied or written. */
  end: number;
}

/** The board as read from disk. */
export interface Loaded {
  db: Db;
  seq: number;
  journal: JournalHandle;
  parsed: ParsedJournal;
  mark?: Mark | undefined;
  /** Why the journal could not be applied to its end (damage before its end, or entries missing). */
  damage?: string | undefined;
}

export type LoadOutcome = { kind: 'missing' } | { kind: 'damaged'; reason: string } | ({ kind: 'ok' } & Loaded);

/** Reads snapshot then journal (in that order: a compaction replaces them in that order too). */
export async function loadFromDisk(SQL: SqlJsStatic, paths: BoardPaths, readOnly = false): Promise<LoadOutcome> {
  let bytes: Buffer;
  try {
    bytes = await readFile(paths.db);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  let snap: { db: Db; seq: number };
  try {
    snap = openSnapshot(SQL, bytes);
  } catch (err) {
    return { kind: 'damaged', reason: errorMessage(err) };
  }
  try {
    const mark = readMark(paths.mark);
    const missing = !existsSync(paths.journal);
    // A missing journal is recreated only when nothing was lost with it; else repair says what was.
    const fh = missing && (readOnly || (mark !== undefined && mark.seq > snap.seq)) ? undefined : await open(paths.journal, readOnly ? 'r' : 'a+');
    const st = fh ? await fh.stat() : undefined;
    const buf = Buffer.allocUnsafe(st?.size ?? 0);
    const bytesRead = fh && st ? (await fh.read(buf, 0, buf.length, 0)).bytesRead : 0;
    const parsed = parseFrames(buf.subarray(0, bytesRead));
    const replay = replayEntries(snap.db, parsed.entries, snap.seq);
    if (replay.stopped === 'failed') {
      // An entry that does not apply to a snapshot with damaged pages says nothing of the journal.
      const problem = snap.db.quickCheck();
      if (problem !== undefined) {
        snap.db.close();
        await fh?.close();
        return { kind: 'damaged', reason: `it failed its integrity check (${problem})` };
      }
    }
    let damage: string | undefined;
    if (replay.stopped === 'gap') damage = `change ${replay.seq + 1} in the journal is unreadable (damaged)`;
    else if (replay.stopped === 'failed') damage = `change ${replay.seq + 1} in the journal could not be applied (${replay.failure ?? 'unknown error'})`;
    else if (mark !== undefined && mark.seq > replay.seq) {
      damage = missing ? `the journal is missing (changes up to ${mark.seq} had been saved)` : `the journal ends at change ${replay.seq} but changes up to ${mark.seq} had been saved`;
    }
    const end = replay.stopped === undefined ? parsed.validEnd : (replay.applied[replay.applied.length - 1]?.end ?? 0);
    const journal: JournalHandle = fh && st ? { fh, id: inodeIdentity(st), end } : { fh: await emptyHandle(), id: 'none', end: 0 };
    return { kind: 'ok', db: snap.db, seq: replay.seq, journal, parsed, mark, damage };
  } catch (err) {
    snap.db.close();
    throw err;
  }
}

/** A read-only board without a journal: a handle on the null device stands in for it. */
async function emptyHandle(): Promise<FileHandle> {
  return open(process.platform === 'win32' ? '\\\\.\\NUL' : '/dev/null', 'r');
}

export async function closeLoaded(loaded: Loaded): Promise<void> {
  loaded.db.close();
  await loaded.journal.fh.close();
}

/**
 * Under the lock: looks again (another process may have fixed things meanwhile), then creates a
 * missing board, restores a damaged one from its last good copy, or recovers from a journal
 * damaged before its end. Never replaces the user's data with an empty or a damaged board.
 */
export async function repairUnderLock(SQL: SqlJsStatic, paths: BoardPaths, opts: { create?: boolean | undefined }, report: OpenReport): Promise<Loaded> {
  let outcome = await loadFromDisk(SQL, paths);
  if (outcome.kind === 'ok' && outcome.damage === undefined) return outcome;

  if (outcome.kind === 'missing' && !existsSync(paths.backup)) {
    if (opts.create === false) throw new FactoryError('not-found', `there is no board at ${paths.db}; create one first`);
    await createEmptyBoard(SQL, paths);
    report.created = true;
    outcome = await loadFromDisk(SQL, paths);
  } else if (outcome.kind !== 'ok') {
    const why = outcome.kind === 'missing' ? 'the database file was missing' : `the database file was damaged (${outcome.reason})`;
    const backup = await readValidBackup(SQL, paths.backup);
    if (backup === undefined) {
      throw new FactoryError('store-damaged', `${why} and there is no usable last good copy (${paths.backup}); the file was left in place for recovery`);
    }
    if (outcome.kind === 'damaged') {
      report.corruptPath = asidePath(paths.db, 'corrupt');
      await rename(paths.db, report.corruptPath);
    }
    await replaceDurably(paths.db, backup);
    report.restored = true;
    report.message = `${why}; ${outcome.kind === 'damaged' ? `it was moved to ${report.corruptPath ?? ''} and ` : ''}the last good copy was restored, with the changes saved since`;
    outcome = await loadFromDisk(SQL, paths);
  }
  if (outcome.kind !== 'ok') throw new FactoryError('store-damaged', `the board could not be opened after repair: ${outcome.kind === 'damaged' ? outcome.reason : 'file missing'}`);
  if (outcome.damage === undefined) return outcome;
  return recoverJournal(outcome, paths, report);
}

/**
 * The journal stops before its end (a damaged entry, or entries missing): applies every later
 * entry that still applies exactly as its writer applied it, saves the result as the new snapshot
 * and last good copy, sets the journal aside and starts an empty one. The report says which
 * changes were recovered and which are lost.
 */
async function recoverJournal(loaded: Loaded, paths: BoardPaths, report: OpenReport): Promise<Loaded> {
  const { db } = loaded;
  const damagedAt = loaded.seq + 1;
  const firstOfSeq = new Map<number, JournalEntry>();
  for (const e of loaded.parsed.entries) if (e.seq > loaded.seq && !firstOfSeq.has(e.seq)) firstOfSeq.set(e.seq, e);
  const recovered: number[] = [];
  const failed: number[] = [];
  let seq = loaded.seq;
  for (const e of [...firstOfSeq.values()].sort((a, b) => a.seq - b.seq)) {
    db.exec('SAVEPOINT recover');
    try {
      db.replay(e.payload);
      db.exec('RELEASE recover');
      recovered.push(e.seq);
    } catch {
      db.exec('ROLLBACK TO recover');
      db.exec('RELEASE recover');
      failed.push(e.seq);
    }
    seq = e.seq;
  }
  const highest = Math.max(seq, loaded.mark?.seq ?? 0);
  const lost: number[] = [];
  for (let s = damagedAt; s <= highest; s++) if (!recovered.includes(s)) lost.push(s);
  const usedTickets = Math.max(
    Number(db.value('SELECT value FROM meta WHERE key = ?', [META_NEXT_TICKET]) ?? 1),
    loaded.mark?.nextTicket ?? 1,
    ...loaded.parsed.entries.map((e) => e.payload.nextTicket ?? 1),
  );
  db.exec('BEGIN');
  db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_NEXT_TICKET}', '${usedTickets}')`);
  db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_JOURNAL_SEQ}', '${highest}')`);
  db.exec('COMMIT');
  const bytes = exportChecked(db);
  const journalAside = asidePath(paths.journal, 'damaged');
  if (existsSync(paths.journal)) await copyFile(paths.journal, journalAside);
  await replaceDurably(paths.db, bytes);
  await replaceDurably(paths.backup, bytes);
  await loaded.journal.fh.close();
  await replaceDurably(paths.journal, new Uint8Array());
  report.restored = true;
  const parts = [loaded.damage ?? 'the journal was damaged'];
  if (recovered.length > 0) parts.push(`${plural(recovered, 'was', 'were')} recovered`);
  if (lost.length > 0) parts.push(`${plural(lost, 'is', 'are')} lost${failed.length > 0 ? ` (${ranges(failed)} no longer applied)` : ''}`);
  parts.push(existsSync(journalAside) ? `the journal was set aside at ${journalAside}` : 'a new journal was started');
  if (usedTickets > 1) parts.push(`new tickets are numbered from T-${usedTickets} on, so no id is used twice`);
  report.message = `${report.message ? `${report.message}. ` : ''}${parts.join('; ')}`;
  report.lostChanges = lost.length;
  const fh = await open(paths.journal, 'a+');
  return { ...loaded, seq: highest, damage: undefined, journal: { fh, id: inodeIdentity(await fh.stat()), end: 0 }, parsed: { entries: [], validEnd: 0, tail: 'none', skipped: [] } };
}

/** The database's bytes, after `PRAGMA quick_check` says it is sound: damage is never saved. */
export function exportChecked(db: Db): Uint8Array {
  const problem = db.quickCheck();
  if (problem !== undefined) throw new FactoryError('store-damaged', `the board in memory failed its integrity check (${problem}); nothing was saved over the files on disk`);
  return db.export();
}

function plural(seqs: number[], one: string, many: string): string {
  return seqs.length === 1 ? `change ${seqs[0]} ${one}` : `changes ${ranges(seqs)} ${many}`;
}

/** `3, 5–9, 12` */
export function ranges(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j] + 1) j++;
    out.push(i === j ? `${seqs[i]}` : `${seqs[i]}–${seqs[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

async function readValidBackup(SQL: SqlJsStatic, path: string): Promise<Buffer | undefined> {
  try {
    const bytes = await readFile(path);
    const { db } = openSnapshot(SQL, bytes);
    try {
      if (db.quickCheck() !== undefined) return undefined;
    } finally {
      db.close();
    }
    return bytes;
  } catch {
    return undefined;
  }
}

/** Why a new board must not be created over what is at `paths`, or undefined when nothing of a board is there. */
async function existingBoardReason(paths: BoardPaths): Promise<string | undefined> {
  switch (await boardTrace(paths.db)) {
    case 'database':
      return `a board already exists at ${paths.db}`;
    case 'backup':
      return `${paths.backup} (the last good copy of a board) exists: opening the board restores it from there`;
    case 'journal':
      return `${paths.journal} holds changes of a board whose database is missing; move the .factory folder aside to start a new board`;
    case undefined:
      return undefined;
  }
}

/** Throws 'board-exists', with the reason, when anything of a board is at `paths`. */
export async function refuseExistingBoard(paths: BoardPaths): Promise<void> {
  const exists = await existingBoardReason(paths);
  if (exists !== undefined) throw new FactoryError('board-exists', `refusing to create a board: ${exists}`);
}

/** Under the lock: a new, empty board; refused when anything of a board is there. */
export async function createEmptyBoard(SQL: SqlJsStatic, paths: BoardPaths): Promise<void> {
  await refuseExistingBoard(paths);
  const db = new Db(new SQL.Database());
  try {
    db.exec('BEGIN');
    applyMigrations(db, Date.now());
    db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_JOURNAL_SEQ}', '0')`);
    db.exec('COMMIT');
    const bytes = db.export();
    await writeDurably(paths.journal, new Uint8Array());
    await replaceDurably(paths.backup, bytes);
    await replaceDurably(paths.db, bytes);
    await syncDir(dirname(paths.db));
  } finally {
    db.close();
  }
  const ignore = join(paths.db, '..', '.gitignore');
  if (!existsSync(ignore)) await writeFile(ignore, '*\n', 'utf8');
}
