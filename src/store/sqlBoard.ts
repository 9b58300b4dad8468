/**
 * The board: an in-memory sql.js database kept durable by an append-only journal.
 *
 * On disk, `.factory/` holds `factory.db` (a plain SQLite file, the snapshot), `factory.db.journal`
 * (one checksummed entry per committed write, holding the statements it ran and their
 * parameters) and `factory.db.bak` (the last good snapshot). A write takes the cross-process lock,
 * applies what other processes appended since, runs in one transaction while its statements are
 * recorded, appends one entry, syncs it to disk and only then resolves. A crash at any instant
 * leaves the journal with or without the entry, never half of it. Now and then a worker thread
 * folds the journal into a new snapshot; the swap happens under the lock with atomic renames.
 */
import { existsSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { SqlJsStatic } from 'sql.js';
import type { CheckIn } from '../domain/checkin';
import { systemClock } from '../domain/clock';
import type { Clock } from '../domain/clock';
import type { Conversation, ConversationStatus, ConversationType, Message } from '../domain/conversation';
import { errorMessage, FactoryError } from '../domain/errors';
import { Emitter } from '../domain/event';
import type { Run, RunStatus } from '../domain/run';
import type { Salvage } from '../domain/salvage';
import type { Status } from '../domain/status';
import type { Bug, HistoryEntry, Ticket } from '../domain/ticket';
import type { AgentState, Board, BoardTx, Finding, Lease, OpenReport, StoreChange, TicketFilter } from './api';
import { BoardData } from './boardData';
import { compactToTemp, fileIdentity, inodeIdentity } from './compaction';
import type { CompactRequest, CompactResult } from './compaction';
import { asidePath, replaceDurably, syncDir, tempPathFor, writeDurably } from './files';
import { encodeFrame, parseFrames } from './journal';
import type { ParsedJournal } from './journal';
import { BoardLock } from './lock';
import { applyMigrations, assertSupportedVersion, schemaVersionOf } from './migrate';
import { META_JOURNAL_SEQ, SCHEMA_VERSION } from './schema';
import { openSnapshot, replayEntries } from './snapshot';
import { Db, defaultWasmPath, loadSqlJs } from './sqlite';
import type { WorkerReply } from './storeWorker';

export interface OpenBoardOptions {
  /** The `.factory` folder. */
  dir: string;
  repoRoot: string;
  /** sql-wasm.wasm; defaults to the one in the sql.js package (the extension passes its own copy). */
  wasmPath?: string;
  clock?: Clock;
  /** This process's identity in leases and runs; default `<host>:<pid>:<random>`. */
  ownerId?: string;
  /** Create the board when there is none (default true); false makes a missing board an error. */
  create?: boolean;
  /** How often to look for other processes' changes, in ms (default 1000). */
  pollMs?: number;
  /** Journal size that starts a compaction, in bytes (default 1 MiB). */
  compactBytes?: number;
  /** When another process's lock counts as abandoned, in ms (default 10 s; holders that died on this machine are detected at once). */
  lockStaleMs?: number;
}

export const DB_FILE = 'factory.db';

export interface BoardPaths {
  db: string;
  journal: string;
  backup: string;
  lock: string;
}

export function boardPaths(dir: string): BoardPaths {
  const db = join(dir, DB_FILE);
  return { db, journal: `${db}.journal`, backup: `${db}.bak`, lock: `${db}.lock` };
}

export function openBoard(opts: OpenBoardOptions): Promise<SqlBoard> {
  return SqlBoard.open(opts);
}

const DEFAULT_COMPACT_BYTES = 1024 * 1024;
const WORKER_FILE = 'storeWorker.js';
/** A statement that may change ticket rows (ticket_history and friends do not match). */
const TICKETS_TABLE = /\btickets\b/i;

interface JournalHandle {
  fh: FileHandle;
  /** Device and inode: a compaction elsewhere replaces the file, and this tells us. */
  id: string;
  /** Offset after the last entry this process has applied or written. */
  end: number;
}

/** The board as read from disk. */
interface Loaded {
  db: Db;
  seq: number;
  journal: JournalHandle;
  parsed: ParsedJournal;
  /** Why the journal could not be applied to its end. */
  stopped?: string | undefined;
}

type LoadOutcome = { kind: 'missing' } | { kind: 'damaged'; reason: string } | ({ kind: 'ok' } & Loaded);

/** Runs tasks one after another. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class SqlBoard implements Board {
  readonly dir: string;
  readonly repoRoot: string;
  readonly ownerId: string;
  readonly openReport: OpenReport;
  readonly onDidChange;

  private readonly changes = new Emitter<StoreChange>();
  private readonly queue = new SerialQueue();
  private readonly paths: BoardPaths;
  private readonly lock: BoardLock;
  private readonly clock: Clock;
  private readonly compactBytes: number;
  private db: Db;
  private data: BoardData;
  private seq: number;
  private journal: JournalHandle;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private worker: Worker | undefined;
  private compaction: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly SQL: SqlJsStatic,
    private readonly wasmPath: string,
    opts: OpenBoardOptions,
    loaded: Loaded,
    report: OpenReport,
    lock: BoardLock,
  ) {
    this.dir = opts.dir;
    this.repoRoot = opts.repoRoot;
    this.clock = opts.clock ?? systemClock;
    this.ownerId = opts.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.compactBytes = opts.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.paths = boardPaths(opts.dir);
    this.lock = lock;
    this.openReport = report;
    this.onDidChange = this.changes.event;
    this.db = loaded.db;
    this.seq = loaded.seq;
    this.journal = loaded.journal;
    this.data = new BoardData(this.db, this.clock, this.ownerId);
    const pollMs = opts.pollMs ?? 1000;
    if (pollMs > 0) {
      this.timer = setInterval(() => void this.poll(), pollMs);
      this.timer.unref();
    }
  }

  static async open(opts: OpenBoardOptions): Promise<SqlBoard> {
    const wasmPath = opts.wasmPath ?? defaultWasmPath();
    const SQL = await loadSqlJs(wasmPath);
    const paths = boardPaths(opts.dir);
    const lock = new BoardLock({ target: paths.db, lockPath: paths.lock, staleMs: opts.lockStaleMs });
    const report: OpenReport = { restored: false, created: false };

    const first = await loadFromDisk(SQL, paths);
    let loaded: Loaded;
    if (first.kind === 'ok' && first.stopped === undefined) {
      loaded = first;
    } else {
      if (first.kind === 'ok') await closeLoaded(first);
      if (first.kind === 'missing' && opts.create === false && !existsSync(paths.backup)) {
        throw new FactoryError('not-found', `there is no board at ${paths.db}; create one first`);
      }
      await mkdir(opts.dir, { recursive: true });
      const release = await lock.acquire();
      try {
        loaded = await repairUnderLock(SQL, paths, opts, report);
      } finally {
        await release();
      }
    }
    const board = new SqlBoard(SQL, wasmPath, opts, loaded, report, lock);
    try {
      const version = schemaVersionOf(board.db);
      assertSupportedVersion(version);
      if (version < SCHEMA_VERSION) {
        const from = await board.writeInternal((db) => (schemaVersionOf(db) < SCHEMA_VERSION ? applyMigrations(db, board.clock.now()) : undefined));
        if (from !== undefined && !report.created) report.migratedFrom = from;
        board.data.forgetTickets();
      }
    } catch (err) {
      await board.close();
      throw err;
    }
    return board;
  }

  // ---------------------------------------------------------------- writes

  write<T>(fn: (tx: BoardTx) => T): Promise<T> {
    return this.writeInternal(() => fn(this.data));
  }

  refresh(): Promise<void> {
    return this.queue.run(async () => {
      if (!this.closed) await this.catchUp(false);
    });
  }

  async acquireLease(name: string, timeoutMs: number): Promise<boolean> {
    return this.writeInternal(() => this.data.takeLease(name, timeoutMs));
  }

  async releaseLease(name: string): Promise<void> {
    await this.writeInternal(() => this.data.dropLease(name));
  }

  isLeaseLive(lease: Lease | undefined, timeoutMs: number): boolean {
    return lease !== undefined && this.clock.now() - lease.heartbeatAt <= timeoutMs;
  }

  /** Folds the journal into a new snapshot now (normally automatic); resolves when done. */
  async compact(): Promise<void> {
    await this.compaction;
    if (this.closed) return;
    this.compaction = this.runCompaction().finally(() => (this.compaction = undefined));
    await this.compaction;
  }

  /** Resolves when no compaction is running (for tests and the benchmark). */
  async whenCompacted(): Promise<void> {
    await this.compaction?.catch(() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private writeInternal<T>(fn: (db: Db) => T): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed) throw new FactoryError('cancelled', 'the board is closed');
      const release = await this.lock.acquire();
      let result: T;
      let touched: string[] = [];
      let wrote = false;
      try {
        await this.catchUp(true);
        const db = this.db;
        this.data.touched.clear();
        db.exec('BEGIN');
        db.startRecording();
        try {
          result = fn(db);
          if (isThenable(result)) throw new FactoryError('invalid-input', 'a board write must be synchronous (do async work before calling write)');
          db.exec('COMMIT');
        } catch (err) {
          db.stopRecording();
          db.exec('ROLLBACK');
          // Reads inside the transaction may have cached rows that no longer exist.
          this.data.forgetTickets();
          throw err;
        }
        const recording = db.stopRecording();
        touched = [...this.data.touched];
        if (recording.ops.length > 0) {
          const seq = this.seq + 1;
          const frame = encodeFrame(seq, { ...recording, tickets: touched });
          try {
            await writeAll(this.journal.fh, frame, this.journal.end);
            await this.journal.fh.datasync();
          } catch (err) {
            // The change is in memory but not on disk: drop it by reading the board again.
            await this.reload(true).catch(() => undefined);
            throw new FactoryError('store-damaged', `the change could not be saved: ${errorMessage(err)}`, { cause: err });
          }
          this.seq = seq;
          this.journal.end += frame.length;
          wrote = true;
        }
      } finally {
        await release();
      }
      if (wrote) {
        this.changes.fire({ source: 'local', ticketIds: touched });
        if (this.journal.end > this.compactBytes && this.compaction === undefined) {
          this.compaction = this.runCompaction()
            .catch((err) => {
              // Nothing is lost: the journal still holds every change, and the next write retries.
              if (!this.closed) console.warn(`agent-factory: compacting the board failed: ${errorMessage(err)}`);
            })
            .finally(() => (this.compaction = undefined));
        }
      }
      return result;
    });
  }

  // ---------------------------------------------------------------- other processes' changes

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const st = await stat(this.paths.journal);
      if (inodeIdentity(st) !== this.journal.id || st.size !== this.journal.end) await this.refresh();
    } catch {
      // The journal is being replaced (or the folder went away); the next poll looks again.
    } finally {
      this.polling = false;
    }
  }

  /**
   * Applies entries other processes appended. Under the lock it also cuts off what a crashed
   * writer left half-written, so the next entry starts on a clean frame boundary.
   */
  private async catchUp(underLock: boolean): Promise<void> {
    let st: Stats;
    try {
      st = await stat(this.paths.journal);
    } catch {
      await this.reload(underLock);
      return;
    }
    const sameFile = inodeIdentity(st) === this.journal.id;
    if (sameFile && st.size === this.journal.end) return;
    if (!sameFile || st.size < this.journal.end) {
      await this.reload(underLock);
      return;
    }
    const from = this.journal.end;
    const buf = Buffer.allocUnsafe(st.size - from);
    const { bytesRead } = await this.journal.fh.read(buf, 0, buf.length, from);
    const parsed = parseFrames(buf.subarray(0, bytesRead), from);
    const replay = replayEntries(this.db, parsed.entries, this.seq);
    if (replay.stopped !== undefined) {
      await this.reload(underLock);
      return;
    }
    this.seq = replay.seq;
    this.journal.end = parsed.validEnd;
    if (underLock && parsed.tail !== 'none') {
      if (parsed.tail === 'garbage') await copyFile(this.paths.journal, asidePath(this.paths.journal, 'corrupt'));
      await this.journal.fh.truncate(parsed.validEnd);
      await this.journal.fh.datasync();
    }
    if (replay.applied.length > 0) {
      const tickets = new Set<string>();
      let unknown = false;
      for (const e of replay.applied) {
        for (const t of e.payload.tickets) tickets.add(t);
        if (e.payload.tickets.length === 0 && e.payload.sql.some((sql) => TICKETS_TABLE.test(sql))) unknown = true;
      }
      this.data.forgetTickets(unknown ? undefined : tickets);
      this.changes.fire({ source: 'external', ticketIds: unknown ? [] : [...tickets] });
    }
  }

  /** Reads the whole board from disk again (after a compaction elsewhere, or a failed write). */
  private async reload(underLock: boolean): Promise<void> {
    const first = await loadFromDisk(this.SQL, this.paths);
    let outcome: Loaded;
    if (first.kind === 'ok' && first.stopped === undefined) {
      outcome = first;
    } else {
      if (first.kind === 'ok') await closeLoaded(first);
      const release = underLock ? undefined : await this.lock.acquire();
      try {
        const report: OpenReport = { restored: false, created: false };
        outcome = await repairUnderLock(this.SQL, this.paths, { create: false }, report);
        if (report.message !== undefined) console.warn(`agent-factory: ${report.message}`);
      } finally {
        await release?.();
      }
    }
    const old = { db: this.db, fh: this.journal.fh };
    this.db = outcome.db;
    this.seq = outcome.seq;
    this.journal = outcome.journal;
    this.data = new BoardData(this.db, this.clock, this.ownerId);
    old.db.close();
    await old.fh.close();
    this.changes.fire({ source: 'external', ticketIds: [] });
  }

  // ---------------------------------------------------------------- compaction

  private async runCompaction(): Promise<void> {
    const req: CompactRequest = {
      wasmPath: this.wasmPath,
      dbPath: this.paths.db,
      journalPath: this.paths.journal,
      snapshotTmp: tempPathFor(this.paths.db),
      backupTmp: tempPathFor(this.paths.backup),
    };
    try {
      const result = await this.compactOffThread(req);
      await this.queue.run(async () => {
        if (this.closed) return;
        const release = await this.lock.acquire();
        try {
          await this.installCompaction(req, result);
        } finally {
          await release();
        }
      });
    } finally {
      await Promise.all([rm(req.snapshotTmp, { force: true }), rm(req.backupTmp, { force: true })]);
    }
  }

  private async installCompaction(req: CompactRequest, result: CompactResult): Promise<void> {
    await this.catchUp(true);
    // Another process compacted meanwhile: its snapshot stands, ours is dropped.
    if (fileIdentity(await stat(this.paths.db)) !== result.snapshotId) return;
    if (this.journal.id !== result.journalId || result.journalEnd > this.journal.end) return;
    // Order matters for a crash in between: the new snapshot first (the old journal still holds
    // everything, and entries it already includes are skipped), then the last good copy, and
    // only then the journal without the entries the snapshot now holds.
    await rename(req.snapshotTmp, this.paths.db);
    await rename(req.backupTmp, this.paths.backup);
    await syncDir(this.dir);
    const rest = Buffer.allocUnsafe(this.journal.end - result.journalEnd);
    if (rest.length > 0) await this.journal.fh.read(rest, 0, rest.length, result.journalEnd);
    await replaceDurably(this.paths.journal, rest);
    const fh = await open(this.paths.journal, 'r+');
    const old = this.journal.fh;
    this.journal = { fh, id: inodeIdentity(await fh.stat()), end: rest.length };
    await old.close();
  }

  private compactOffThread(req: CompactRequest): Promise<CompactResult> {
    const script = join(__dirname, WORKER_FILE);
    // Without the worker file (an unusual packaging) the same work runs here, in slices between
    // awaits; the export itself then blocks this thread while it runs.
    if (!existsSync(script)) return compactToTemp(req);
    return new Promise<CompactResult>((resolve, reject) => {
      const worker = new Worker(script, { workerData: req });
      this.worker = worker;
      worker.once('message', (reply: WorkerReply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))));
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        reject(new Error(`the compaction worker stopped (exit code ${code})`));
      });
    });
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.worker?.terminate();
    await this.compaction?.catch(() => undefined);
    await this.queue.run(async () => undefined);
    this.db.close();
    await this.journal.fh.close();
    this.changes.dispose();
  }

  // ---------------------------------------------------------------- reads

  getTicket(id: string): Ticket | undefined {
    return this.data.getTicket(id);
  }
  listTickets(filter?: TicketFilter): Ticket[] {
    return this.data.listTickets(filter);
  }
  countByStatus(): Record<Status, number> {
    return this.data.countByStatus();
  }
  history(ticketId: string): HistoryEntry[] {
    return this.data.history(ticketId);
  }
  listBugs(ticketId: string): Bug[] {
    return this.data.listBugs(ticketId);
  }
  getRun(id: string): Run | undefined {
    return this.data.getRun(id);
  }
  listRuns(filter?: { status?: RunStatus | readonly RunStatus[]; ticketId?: string }): Run[] {
    return this.data.listRuns(filter);
  }
  listCheckIns(ticketId: string): CheckIn[] {
    return this.data.listCheckIns(ticketId);
  }
  latestCheckIn(ticketId: string): CheckIn | undefined {
    return this.data.latestCheckIn(ticketId);
  }
  getConversation(id: string): Conversation | undefined {
    return this.data.getConversation(id);
  }
  listConversations(filter?: { ticketId?: string; status?: ConversationStatus; type?: ConversationType }): Conversation[] {
    return this.data.listConversations(filter);
  }
  findConversation(ticketId: string, key: string): Conversation | undefined {
    return this.data.findConversation(ticketId, key);
  }
  listMessages(conversationId: string): Message[] {
    return this.data.listMessages(conversationId);
  }
  getFinding(fingerprint: string): Finding | undefined {
    return this.data.getFinding(fingerprint);
  }
  listFindings(filter?: { scanner?: string; ticketId?: string; includeGone?: boolean }): Finding[] {
    return this.data.listFindings(filter);
  }
  wasScanned(contentHash: string, rulesVersion: string): boolean {
    return this.data.wasScanned(contentHash, rulesVersion);
  }
  isFingerprintDeleted(fingerprint: string): boolean {
    return this.data.isFingerprintDeleted(fingerprint);
  }
  getAgentState(name: string): AgentState | undefined {
    return this.data.getAgentState(name);
  }
  getLease(name: string): Lease | undefined {
    return this.data.getLease(name);
  }
  getMeta(key: string): string | undefined {
    return this.data.getMeta(key);
  }
  listSalvages(filter?: { ticketId?: string }): Salvage[] {
    return this.data.listSalvages(filter);
  }
  getSalvage(id: string): Salvage | undefined {
    return this.data.getSalvage(id);
  }

  /** A connection pragma's current value (diagnostics and tests). */
  pragma(name: 'foreign_keys' | 'journal_mode'): unknown {
    return this.db.pragma(name);
  }
}

// ---------------------------------------------------------------- loading and repair

/** Reads snapshot then journal (in that order: a compaction replaces them in that order too). */
async function loadFromDisk(SQL: SqlJsStatic, paths: BoardPaths): Promise<LoadOutcome> {
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
    const fh = await open(paths.journal, 'a+').then(async (created) => {
      await created.close();
      return open(paths.journal, 'r+');
    });
    const st = await fh.stat();
    const buf = Buffer.allocUnsafe(st.size);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const parsed = parseFrames(buf.subarray(0, bytesRead));
    const replay = replayEntries(snap.db, parsed.entries, snap.seq);
    let stopped: string | undefined;
    if (replay.stopped === 'gap') stopped = `the journal skips from change ${replay.seq} to a later one`;
    if (replay.stopped === 'failed') stopped = `change ${replay.seq + 1} in the journal could not be applied (${replay.failure ?? 'unknown error'})`;
    const end = replay.stopped === undefined ? parsed.validEnd : (replay.applied[replay.applied.length - 1]?.end ?? 0);
    return { kind: 'ok', db: snap.db, seq: replay.seq, journal: { fh, id: inodeIdentity(st), end }, parsed, stopped };
  } catch (err) {
    snap.db.close();
    throw err;
  }
}

async function closeLoaded(loaded: Loaded): Promise<void> {
  loaded.db.close();
  await loaded.journal.fh.close();
}

/**
 * Under the lock: looks again (another process may have fixed things meanwhile), then creates a
 * missing board, restores a damaged one from its last good copy, or sets aside a journal that
 * does not continue the snapshot. Never replaces the user's data with an empty board.
 */
async function repairUnderLock(SQL: SqlJsStatic, paths: BoardPaths, opts: Pick<OpenBoardOptions, 'create'>, report: OpenReport): Promise<Loaded> {
  let outcome = await loadFromDisk(SQL, paths);
  if (outcome.kind === 'ok' && outcome.stopped === undefined) return outcome;

  if (outcome.kind === 'missing' && !existsSync(paths.backup)) {
    if (opts.create === false) throw new FactoryError('not-found', `there is no board at ${paths.db}; create one first`);
    await createEmptyBoard(SQL, paths);
    report.created = true;
    outcome = await loadFromDisk(SQL, paths);
  } else if (outcome.kind !== 'ok') {
    const why = outcome.kind === 'missing' ? 'the database file was missing' : `the database file was damaged (${outcome.reason})`;
    const backup = await readValidBackup(SQL, paths.backup);
    if (backup === undefined) {
      throw new FactoryError(
        'store-damaged',
        `${why} and there is no usable last good copy (${paths.backup}); the file was left in place for recovery`,
      );
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
  if (outcome.stopped === undefined) return outcome;

  // The journal does not continue the snapshot: keep what could be applied as a new snapshot,
  // and set the rest of the journal aside rather than dropping it.
  const journalAside = asidePath(paths.journal, 'corrupt');
  outcome.db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_JOURNAL_SEQ}', '${outcome.seq}')`);
  const bytes = outcome.db.export();
  await replaceDurably(paths.db, bytes);
  await replaceDurably(paths.backup, bytes);
  await outcome.journal.fh.close();
  await rename(paths.journal, journalAside);
  await writeDurably(paths.journal, new Uint8Array());
  await syncDir(join(paths.journal, '..'));
  report.restored = true;
  report.message = `${report.message ? `${report.message}. ` : ''}${outcome.stopped}; the journal was set aside at ${journalAside} and the board kept everything up to change ${outcome.seq}`;
  const fh = await open(paths.journal, 'r+');
  return { ...outcome, stopped: undefined, journal: { fh, id: inodeIdentity(await fh.stat()), end: 0 } };
}

async function readValidBackup(SQL: SqlJsStatic, path: string): Promise<Buffer | undefined> {
  try {
    const bytes = await readFile(path);
    openSnapshot(SQL, bytes).db.close();
    return bytes;
  } catch {
    return undefined;
  }
}

async function createEmptyBoard(SQL: SqlJsStatic, paths: BoardPaths): Promise<void> {
  const db = new Db(new SQL.Database());
  try {
    db.exec('BEGIN');
    applyMigrations(db, Date.now());
    db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${META_JOURNAL_SEQ}', '0')`);
    db.exec('COMMIT');
    const bytes = db.export();
    // A journal without its snapshot belongs to no board we can rebuild; keep it, out of the way.
    if (existsSync(paths.journal)) await rename(paths.journal, asidePath(paths.journal, 'orphan'));
    await writeDurably(paths.journal, new Uint8Array());
    await replaceDurably(paths.backup, bytes);
    await replaceDurably(paths.db, bytes);
  } finally {
    db.close();
  }
  const ignore = join(paths.db, '..', '.gitignore');
  if (!existsSync(ignore)) await writeFile(ignore, '*\n', 'utf8');
}

async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
