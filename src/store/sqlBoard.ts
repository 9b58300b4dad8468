/**
 * The board: an in-memory sql.js database kept durable by an append-only journal.
 *
 * On disk, `.factory/` holds `factory.db` (a plain SQLite file, the snapshot), `factory.db.journal`
 * (one checksummed entry per committed write, holding the statements it ran and their
 * parameters), `factory.db.bak` (the last good snapshot), `factory.db.lock` (the write lock) and
 * `factory.db.mark` (the highest entry and ticket number written). A write takes the
 * cross-process lock, applies what other processes appended since, runs its transaction while its
 * statements are recorded, appends one entry, syncs it to disk, checks that the entry landed where
 * it expected (a writer whose lock was taken from it, possible only with the fallback lock, finds
 * another entry there and runs its transaction again) and only then commits and resolves. A crash
 * at any instant leaves the journal with or without the entry, never half of it. Now and then a
 * worker thread folds the journal into a new snapshot; the swap happens under the lock with
 * atomic renames.
 */
import { existsSync, fstatSync, statSync, writeSync } from 'node:fs';
import { access, constants, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { SqlJsStatic } from 'sql.js';
import type { CheckIn } from '../domain/checkin';
import { systemClock } from '../domain/clock';
import type { Clock } from '../domain/clock';
import type { Conversation, ConversationStatus, ConversationType, Message } from '../domain/conversation';
import { errorMessage, FactoryError } from '../domain/errors';
import { Emitter } from '../domain/event';
import type { Run } from '../domain/run';
import type { Salvage } from '../domain/salvage';
import type { Status } from '../domain/status';
import type { Bug, HistoryEntry, Ticket } from '../domain/ticket';
import type { ScanVerdict, SecurityScanRecord } from '../domain/securityScan';
import type { AgentState, Board, BoardTx, Finding, Lease, OpenReport, RecordedChange, RunFilter, SecurityGate, StoreChange, TicketFilter, TicketPage } from './api';
import { BoardData } from './boardData';
import { boardPaths, closeLoaded, createEmptyBoard, exportChecked, loadFromDisk, refuseExistingBoard, repairUnderLock } from './boardLoad';
import type { BoardPaths, JournalHandle, Loaded } from './boardLoad';
import { boardTrace } from './boardTrace';
import { ChangeWatch } from './changeWatch';
import { compactToTemp, fileIdentity, inodeIdentity } from './compaction';
import type { CompactRequest, CompactResult } from './compaction';
import { asidePath, replaceDurably, syncDir, tempPathFor } from './files';
import { diskError } from './fileLock';
import { encodeFrame, parseFrames } from './journal';
import { MarkFile } from './journalMark';
import { openWriteLock } from './lock';
import type { WriteLock } from './lock';
import { applyMigrations, assertSupportedVersion, schemaVersionOf } from './migrate';
import { META_NEXT_TICKET, SCHEMA_VERSION } from './schema';
import { replayEntries } from './snapshot';
import { Db, defaultWasmPath, loadSqlJs } from './sqlite';
import { removeStaleTemps } from './staleTemps';
import { describeRepair, META_LAST_REPAIR } from './repairRecord';
import type { WorkerReply } from './storeWorker';

export { boardPaths, DB_FILE } from './boardLoad';
export type { BoardPaths } from './boardLoad';

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
  /**
   * How often to look for other processes' changes where the folder cannot be watched, in ms
   * (default 1000; 0: never look, the board is read once). A watched folder is looked at on each
   * change of its journal and every few seconds.
   */
  pollMs?: number;
  /** Journal size that starts a compaction, in bytes (default 1 MiB). */
  compactBytes?: number;
  /** The fallback lock only: when a holder that cannot be probed (another host) counts as gone, in ms (default 10 s). */
  lockStaleMs?: number;
  /** How long a write waits for a live holder before failing (default 30 s). */
  lockTimeoutMs?: number;
  /** Force the lock mechanism (tests exercise the fallback where the OS lock works). */
  lockMechanism?: 'os' | 'file';
}

/** Where a durable write's time went, in ms (the benchmark prints it). */
export interface WriteTimings {
  lock: number;
  catchUp: number;
  statement: number;
  encode: number;
  append: number;
  sync: number;
  verify: number;
  release: number;
  total: number;
  /** Attempts the write took (more than 1 only when another writer's entry took its place). */
  attempts: number;
}

export function openBoard(opts: OpenBoardOptions): Promise<SqlBoard> {
  return SqlBoard.open(opts);
}

/**
 * Creates a new, empty board in `opts.dir` and opens it. Refuses, with the reason, when any trace
 * of a board is there (`factory.db`, its last good copy or a journal with changes in it): every
 * process that creates boards (the editor, the CLI, `serve`) comes through here, and the check is
 * made under the board's lock, so two of them racing cannot both create.
 */
export async function createBoard(opts: Omit<OpenBoardOptions, 'create'>): Promise<SqlBoard> {
  const SQL = await loadSqlJs(opts.wasmPath ?? defaultWasmPath());
  const paths = boardPaths(opts.dir);
  // Checked before the lock's files are made (a refusal leaves the folder as it was), and again under it.
  await refuseExistingBoard(paths);
  await mkdir(opts.dir, { recursive: true });
  const { lock } = openWriteLock({ path: paths.lock, staleMs: opts.lockStaleMs, timeoutMs: opts.lockTimeoutMs, mechanism: opts.lockMechanism });
  try {
    const release = await lock.acquire();
    try {
      await createEmptyBoard(SQL, paths);
    } finally {
      await release();
    }
  } finally {
    lock.close();
  }
  const board = await SqlBoard.open({ ...opts, create: false });
  board.openReport.created = true;
  return board;
}

const DEFAULT_COMPACT_BYTES = 1024 * 1024;
const WORKER_FILE = 'storeWorker.js';
/** A statement that may change ticket rows (ticket_history and friends do not match). */
const TICKETS_TABLE = /\btickets\b/i;
/** A statement that writes only tables no ticket's rows live in. */
const NO_TICKET_STATEMENT = /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:meta|agent_state|leases|scanned)\b/i;

/** Whether a write's statements (its tickets touched being none) left every ticket's rows alone. */
function touchesNoTicket(sql: readonly string[]): boolean {
  return sql.every((statement) => NO_TICKET_STATEMENT.test(statement));
}
/** A writer whose entry keeps losing its place gives up after this many attempts. */
const MAX_ATTEMPTS = 20;

/**
 * How many times one write may ask the Security gate to scan: a change that keeps moving while it
 * is scanned is refused after that, with why.
 */
const MAX_GATE_SCANS = 3;

/** A transaction body's transition waits for these tickets to be scanned; it is rolled back and run again. */
class ScanNeeded extends Error {
  constructor(readonly ticketIds: string[]) {
    super(`waiting for a security scan of ${ticketIds.join(', ')}`);
  }
}

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
  /** Which lock guards writes: the operating system's, or the lock-file fallback. */
  readonly lockMechanism: 'os' | 'file' | 'none';
  /** The phases of the last durable write (for the benchmark). */
  lastWriteTimings: WriteTimings | undefined;

  private readonly changes = new Emitter<StoreChange>();
  private readonly queue = new SerialQueue();
  private readonly paths: BoardPaths;
  private readonly clock: Clock;
  private readonly compactBytes: number;
  private readonly mark: MarkFile | undefined;
  private db: Db;
  private data: BoardData;
  private seq: number;
  private journal: JournalHandle;
  private changeWatch: ChangeWatch | undefined;
  private worker: Worker | undefined;
  private compaction: Promise<void> | undefined;
  private compactionTemps = new Set<string>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private securityGate: SecurityGate | undefined;

  private constructor(
    private readonly SQL: SqlJsStatic,
    private readonly wasmPath: string,
    opts: OpenBoardOptions,
    loaded: Loaded,
    report: OpenReport,
    private readonly lock: WriteLock | undefined,
  ) {
    this.dir = opts.dir;
    this.repoRoot = opts.repoRoot;
    this.clock = opts.clock ?? systemClock;
    this.ownerId = opts.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.compactBytes = opts.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.paths = boardPaths(opts.dir);
    this.lockMechanism = lock?.mechanism ?? 'none';
    this.mark = lock === undefined ? undefined : MarkFile.open(this.paths.mark);
    this.openReport = report;
    this.onDidChange = this.changes.event;
    this.db = loaded.db;
    this.seq = loaded.seq;
    this.journal = loaded.journal;
    this.data = new BoardData(this.db, this.clock, this.ownerId);
    const pollMs = opts.pollMs ?? 1000;
    if (pollMs > 0) this.changeWatch = new ChangeWatch({ dir: opts.dir, file: basename(this.paths.journal), pollMs, look: () => this.poll() });
  }

  static async open(opts: OpenBoardOptions): Promise<SqlBoard> {
    const wasmPath = opts.wasmPath ?? defaultWasmPath();
    const SQL = await loadSqlJs(wasmPath);
    const paths = boardPaths(opts.dir);
    const report: OpenReport = { restored: false, created: false };
    const notes: string[] = [];

    if (!(await exists(paths.db)) && !(await exists(paths.backup)) && opts.create === false) {
      if ((await boardTrace(paths.db)) === 'journal') {
        throw new FactoryError('store-damaged', `the board's database and its last good copy are missing; ${paths.journal} still holds its changes and was left in place`);
      }
      throw new FactoryError('not-found', `there is no board at ${paths.db}; create one first`);
    }
    const readOnly = await isReadOnly(opts.dir);
    let lock: WriteLock | undefined;
    let loaded: Loaded;
    if (readOnly) {
      const first = await loadFromDisk(SQL, paths, true);
      if (first.kind !== 'ok') throw new FactoryError('store-damaged', `the board at ${paths.db} is ${first.kind === 'missing' ? 'missing' : `damaged (${first.reason})`} and its folder is read-only, so it cannot be repaired`);
      if (first.damage !== undefined) notes.push(`${first.damage}; the folder is read-only, so the board shows everything up to change ${first.seq} and cannot be repaired here`);
      loaded = first;
      report.readOnly = true;
      notes.unshift(`the board's folder ${opts.dir} is read-only: the board can be read, but changes are not possible`);
    } else {
      await mkdir(opts.dir, { recursive: true });
      const opened = openWriteLock({ path: paths.lock, staleMs: opts.lockStaleMs, timeoutMs: opts.lockTimeoutMs, mechanism: opts.lockMechanism });
      lock = opened.lock;
      if (opened.fallbackReason !== undefined) notes.push(`the operating system's file lock cannot be used (${opened.fallbackReason}); writes are guarded by a lock file instead`);
      try {
        const first = await loadFromDisk(SQL, paths);
        if (first.kind === 'ok' && first.damage === undefined) {
          loaded = first;
        } else {
          if (first.kind === 'ok') await closeLoaded(first);
          const release = await lock.acquire();
          try {
            loaded = await repairUnderLock(SQL, paths, opts, report);
          } finally {
            await release();
          }
        }
      } catch (err) {
        lock.close();
        throw err;
      }
    }
    if (notes.length > 0) report.notes = notes;
    const board = new SqlBoard(SQL, wasmPath, opts, loaded, report, lock);
    try {
      const version = schemaVersionOf(board.db);
      assertSupportedVersion(version);
      if (version < SCHEMA_VERSION) {
        const upgrade = (db: Db): number | undefined => (schemaVersionOf(db) < SCHEMA_VERSION ? applyMigrations(db, board.clock.now()) : undefined);
        const from = readOnly ? board.upgradeInMemory(upgrade) : await board.writeInternal(upgrade);
        if (from !== undefined && !report.created) report.migratedFrom = from;
        board.data.forgetTickets();
      }
      if (report.restored && !readOnly) await board.recordRepair(report);
      if (!readOnly && board.journal.end > board.compactBytes) board.startCompaction();
    } catch (err) {
      await board.close();
      throw err;
    }
    return board;
  }

  // ---------------------------------------------------------------- writes

  async write<T>(fn: (tx: BoardTx) => T): Promise<T> {
    const verdicts = new Map<string, ScanVerdict>();
    for (let asked = 0; ; asked++) {
      const gate = asked < MAX_GATE_SCANS ? this.securityGate : undefined;
      try {
        return await this.writeInternal(() => this.runBody(fn, verdicts, gate !== undefined));
      } catch (err) {
        if (!(err instanceof ScanNeeded) || gate === undefined) throw err;
        // Outside the lock and the queue: the scan reads the worktree and records what it found in writes of its own.
        for (const id of err.ticketIds) verdicts.set(id, await gate(id).catch((e: unknown) => ({ error: errorMessage(e) })));
      }
    }
  }

  setSecurityGate(gate: SecurityGate | undefined): void {
    this.securityGate = gate;
  }

  /** Runs a transaction body; turns a transition's request for a scan into ScanNeeded when the gate can answer it. */
  private runBody<T>(fn: (tx: BoardTx) => T, verdicts: ReadonlyMap<string, ScanVerdict>, canAsk: boolean): T {
    const data = this.data;
    data.scanVerdicts = verdicts;
    data.scanRequests.clear();
    try {
      let value: T;
      try {
        value = fn(data);
      } catch (err) {
        // The body may have caught the refusal and failed otherwise: either way it ran without the scan it needed.
        if (canAsk && data.scanRequests.size > 0) throw new ScanNeeded([...data.scanRequests]);
        throw err;
      }
      if (canAsk && data.scanRequests.size > 0) throw new ScanNeeded([...data.scanRequests]);
      return value;
    } finally {
      data.scanVerdicts = new Map();
      data.scanRequests.clear();
    }
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
    await this.compaction?.catch(() => undefined);
    if (this.closed || this.lock === undefined) return;
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
      const t: WriteTimings = { lock: 0, catchUp: 0, statement: 0, encode: 0, append: 0, sync: 0, verify: 0, release: 0, total: 0, attempts: 0 };
      const t0 = performance.now();
      for (;;) {
        if (this.closed) throw new FactoryError('cancelled', 'the board is closed');
        const lock = this.lock;
        if (lock === undefined) throw new FactoryError('read-only', this.openReport.notes?.[0] ?? `the board at ${this.dir} is read-only: changes are not possible`);
        t.attempts++;
        let mark = performance.now();
        const release = await lock.acquire();
        t.lock += performance.now() - mark;
        let outcome: { done: true; result: T; touched: string[]; wrote: boolean; noTickets?: boolean } | { done: false };
        try {
          outcome = await this.attempt(fn, t);
        } finally {
          mark = performance.now();
          await release();
          t.release += performance.now() - mark;
        }
        if (!outcome.done) {
          // Another writer's entry took this place (the fallback lock was taken from this process
          // while it stalled): nothing of ours counts; take the lock again and redo the change.
          if (t.attempts >= MAX_ATTEMPTS) throw new FactoryError('store-locked', `the change could not be saved: other writers kept taking its place (${MAX_ATTEMPTS} attempts)`);
          continue;
        }
        t.total = performance.now() - t0;
        this.lastWriteTimings = t;
        if (outcome.wrote) {
          this.changes.fire({ source: 'local', ticketIds: outcome.touched, ...(outcome.noTickets ? { noTickets: true } : {}) });
          if (this.journal.end > this.compactBytes) this.startCompaction();
        }
        return outcome.result;
      }
    });
  }

  /** One try at a write, under the lock: catch up, run, append, sync, check the entry's place. */
  private async attempt<T>(fn: (db: Db) => T, t: WriteTimings): Promise<{ done: true; result: T; touched: string[]; wrote: boolean; noTickets?: boolean } | { done: false }> {
    let mark = performance.now();
    await this.catchUp(true);
    t.catchUp += performance.now() - mark;
    mark = performance.now();
    const db = this.db;
    this.data.touched.clear();
    db.exec('BEGIN');
    db.startRecording();
    let result: T;
    try {
      result = fn(db);
      if (isThenable(result)) throw new FactoryError('invalid-input', 'a board write must be synchronous (do async work before calling write)');
    } catch (err) {
      db.stopRecording();
      this.rollback();
      throw err;
    }
    const recording = db.stopRecording();
    t.statement += performance.now() - mark;
    if (recording.ops.length === 0) {
      db.exec('COMMIT');
      return { done: true, result, touched: [], wrote: false };
    }
    mark = performance.now();
    const touched = [...this.data.touched];
    const seq = this.seq + 1;
    const writer = randomBytes(6).toString('hex');
    const frame = encodeFrame(seq, { ...recording, tickets: touched, nextTicket: this.nextTicketNumber(), writer });
    t.encode += performance.now() - mark;
    const at = this.journal.end;
    try {
      mark = performance.now();
      appendAll(this.journal.fh.fd, frame);
      t.append += performance.now() - mark;
      mark = performance.now();
      await this.journal.fh.datasync();
      t.sync += performance.now() - mark;
    } catch (err) {
      this.rollback();
      // Cut off whatever part of the entry reached the file, so the next write starts clean.
      await this.journal.fh.truncate(at).catch(() => undefined);
      const clear = diskError(err, this.paths.journal);
      throw clear === err ? new FactoryError('store-damaged', `the change could not be saved: ${errorMessage(err)}`, { cause: err }) : clear;
    }
    mark = performance.now();
    let landed: number | undefined;
    try {
      landed = await this.landedAt(at, frame.length, seq, writer);
    } catch (err) {
      this.rollback();
      throw err;
    }
    t.verify += performance.now() - mark;
    if (landed === undefined) {
      this.rollback();
      return { done: false };
    }
    db.exec('COMMIT');
    this.seq = seq;
    this.journal.end = landed;
    try {
      this.mark?.write({ seq, nextTicket: this.nextTicketNumber() });
    } catch {
      // The change is saved; the mark only tells a later open what a lost journal held.
    }
    return { done: true, result, touched, wrote: true, noTickets: touched.length === 0 && touchesNoTicket(recording.sql) };
  }

  private nextTicketNumber(): number {
    return Number(this.data.getMeta(META_NEXT_TICKET) ?? '1');
  }

  private rollback(): void {
    this.db.exec('ROLLBACK');
    // Reads inside the transaction may have cached rows that no longer exist.
    this.data.forgetTickets();
  }

  /**
   * Where our just-synced entry ends, or undefined when it lost its place: the first entry after
   * `at` with sequence number `seq` is the one every reader applies, and it must be ours.
   */
  private async landedAt(at: number, length: number, seq: number, writer: string): Promise<number | undefined> {
    // Our entry must be in the journal every reader reads: not in one a compaction replaced.
    let current: string | undefined;
    try {
      current = inodeIdentity(statSync(this.paths.journal));
    } catch {
      current = undefined;
    }
    if (current !== this.journal.id) return undefined;
    const size = fstatSync(this.journal.fh.fd).size;
    if (size === at + length) return size;
    const buf = Buffer.allocUnsafe(size - at);
    const { bytesRead } = await this.journal.fh.read(buf, 0, buf.length, at);
    const first = parseFrames(buf.subarray(0, bytesRead), at).entries.find((e) => e.seq === seq);
    return first?.payload.writer === writer ? first.end : undefined;
  }

  private startCompaction(): void {
    if (this.compaction !== undefined || this.closed || this.lock === undefined) return;
    this.compaction = this.runCompaction()
      .catch((err) => {
        // Nothing is lost: the journal still holds every change, and the next write retries.
        if (!this.closed) console.warn(`agent-factory: compacting the board failed: ${errorMessage(err)}`);
      })
      .finally(() => (this.compaction = undefined));
  }

  /** Runs migrations on a read-only board in memory only. */
  private upgradeInMemory<T>(fn: (db: Db) => T): T {
    this.db.exec('BEGIN');
    try {
      const result = fn(this.db);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Saves what a repair did in the board, so every other window and the CLI can tell the user. */
  private async recordRepair(report: OpenReport): Promise<void> {
    const record = describeRepair(report, this.ownerId, this.clock.now());
    await this.writeInternal((db) => db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [META_LAST_REPAIR, record]));
  }

  // ---------------------------------------------------------------- other processes' changes

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const st = await stat(this.paths.journal);
      if (inodeIdentity(st) !== this.journal.id || st.size !== this.journal.end) await this.refresh();
    } catch (err) {
      // The journal was deleted: rebuild it from this process's copy, which has every change.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.lock !== undefined && !this.closed) {
        await this.writeInternal(() => undefined).catch(() => undefined);
      }
    }
  }

  /**
   * Applies entries other processes appended. Under the lock it also cuts off what a crashed
   * writer left half-written, so the next entry starts on a clean frame boundary.
   */
  private async catchUp(underLock: boolean): Promise<void> {
    let size: number;
    let sameFile: boolean;
    try {
      const st = statSync(this.paths.journal);
      sameFile = inodeIdentity(st) === this.journal.id;
      size = st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.journal.id !== 'none' && this.lock !== undefined) {
        // Deleted under us: this process still has every change, so it saves them, under the lock.
        if (underLock) {
          await this.rebuildFromMemory('the journal was deleted');
        } else {
          const release = await this.lock.acquire();
          try {
            await this.catchUp(true);
          } finally {
            await release();
          }
        }
        return;
      }
      await this.reload(underLock);
      return;
    }
    if (sameFile && size === this.journal.end) return;
    if (!sameFile || size < this.journal.end) {
      await this.reload(underLock);
      return;
    }
    const from = this.journal.end;
    const buf = Buffer.allocUnsafe(size - from);
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
      if (parsed.tail === 'garbage') await writeFile(asidePath(this.paths.journal, 'tail'), buf.subarray(parsed.validEnd - from, bytesRead));
      await this.journal.fh.truncate(parsed.validEnd);
      await this.journal.fh.datasync();
    }
    if (replay.applied.length > 0) {
      const tickets = new Set<string>();
      let unknown = false;
      let noTickets = true;
      for (const e of replay.applied) {
        for (const t of e.payload.tickets) tickets.add(t);
        if (e.payload.tickets.length === 0 && e.payload.sql.some((sql) => TICKETS_TABLE.test(sql))) unknown = true;
        if (e.payload.tickets.length > 0 || !touchesNoTicket(e.payload.sql)) noTickets = false;
      }
      this.data.forgetTickets(unknown ? undefined : tickets);
      this.changes.fire({ source: 'external', ticketIds: unknown ? [] : [...tickets], ...(noTickets ? { noTickets: true } : {}) });
    }
  }

  /** Reads the whole board from disk again (after a compaction elsewhere, or a failed write). */
  private async reload(underLock: boolean): Promise<void> {
    const readOnly = this.lock === undefined;
    const first = await loadFromDisk(this.SQL, this.paths, readOnly);
    let outcome: Loaded;
    if (first.kind === 'ok' && (first.damage === undefined || readOnly)) {
      outcome = first;
    } else {
      if (first.kind === 'ok') await closeLoaded(first);
      if (this.lock === undefined) throw new FactoryError('store-damaged', `the board at ${this.paths.db} is damaged and its folder is read-only`);
      const release = underLock ? undefined : await this.lock.acquire();
      try {
        const report: OpenReport = { restored: false, created: false };
        outcome = await repairUnderLock(this.SQL, this.paths, { create: false }, report);
        if (report.restored) {
          this.swapIn(outcome);
          const record = describeRepair(report, this.ownerId, this.clock.now());
          await this.appendRepairRecord(record);
          console.warn(`agent-factory: ${report.message ?? 'the board was repaired'}`);
          return;
        }
      } finally {
        await release?.();
      }
    }
    this.swapIn(outcome);
  }

  private swapIn(outcome: Loaded): void {
    const old = { db: this.db, fh: this.journal.fh };
    this.db = outcome.db;
    this.seq = outcome.seq;
    this.journal = outcome.journal;
    this.data = new BoardData(this.db, this.clock, this.ownerId);
    old.db.close();
    void old.fh.close().catch(() => undefined);
    this.changes.fire({ source: 'external', ticketIds: [] });
  }

  /** Under the lock, from inside a write: records a repair as one more journal entry. */
  private async appendRepairRecord(record: string): Promise<void> {
    const db = this.db;
    db.exec('BEGIN');
    db.startRecording();
    db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [META_LAST_REPAIR, record]);
    const recording = db.stopRecording();
    const seq = this.seq + 1;
    const frame = encodeFrame(seq, { ...recording, tickets: [], nextTicket: this.nextTicketNumber(), writer: randomBytes(6).toString('hex') });
    try {
      appendAll(this.journal.fh.fd, frame);
      await this.journal.fh.datasync();
    } catch (err) {
      this.rollback();
      throw err;
    }
    db.exec('COMMIT');
    this.seq = seq;
    this.journal.end += frame.length;
  }

  /**
   * Under the lock: the journal is gone, but this process holds every change up to the last one
   * it applied (and reads the rest through its still-open handle): saves that as the snapshot.
   */
  private async rebuildFromMemory(why: string): Promise<void> {
    const size = fstatSync(this.journal.fh.fd).size;
    if (size > this.journal.end) {
      const buf = Buffer.allocUnsafe(size - this.journal.end);
      const { bytesRead } = await this.journal.fh.read(buf, 0, buf.length, this.journal.end);
      const replay = replayEntries(this.db, parseFrames(buf.subarray(0, bytesRead), this.journal.end).entries, this.seq);
      this.seq = replay.seq;
    }
    this.db.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('journal_seq', '${this.seq}')`);
    const bytes = exportChecked(this.db);
    this.data = new BoardData(this.db, this.clock, this.ownerId);
    await replaceDurably(this.paths.db, bytes);
    await replaceDurably(this.paths.backup, bytes);
    await replaceDurably(this.paths.journal, new Uint8Array());
    const fh = await open(this.paths.journal, 'a+');
    const old = this.journal.fh;
    this.journal = { fh, id: inodeIdentity(await fh.stat()), end: 0 };
    await old.close();
    const report: OpenReport = { restored: true, created: false, message: `${why}; this process still had every change and saved them as the board's snapshot and last good copy: nothing was lost` };
    await this.appendRepairRecord(describeRepair(report, this.ownerId, this.clock.now()));
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
    this.compactionTemps.add(req.snapshotTmp).add(req.backupTmp);
    try {
      const result = await this.compactOffThread(req);
      if (result.damage !== undefined) {
        await this.restoreDamagedSnapshot(result);
        return;
      }
      await this.queue.run(async () => {
        if (this.closed || this.lock === undefined) return;
        const release = await this.lock.acquire();
        try {
          await this.installCompaction(req, result);
        } finally {
          await release();
        }
      });
    } finally {
      this.compactionTemps.delete(req.snapshotTmp);
      this.compactionTemps.delete(req.backupTmp);
      await Promise.all([rm(req.snapshotTmp, { force: true }), rm(req.backupTmp, { force: true })]);
    }
  }

  private async installCompaction(req: CompactRequest, result: CompactResult): Promise<void> {
    await removeStaleTemps(this.dir, this.compactionTemps);
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
    const copiedUpTo = this.journal.end;
    const rest = Buffer.allocUnsafe(copiedUpTo - result.journalEnd);
    if (rest.length > 0) await this.journal.fh.read(rest, 0, rest.length, result.journalEnd);
    await replaceDurably(this.paths.journal, rest);
    const fh = await open(this.paths.journal, 'a+');
    const old = this.journal.fh;
    this.journal = { fh, id: inodeIdentity(await fh.stat()), end: rest.length };
    // A writer whose fallback lock was taken while it stalled may have appended to the old file
    // after it was copied: carry those bytes over (entries it already holds are skipped by seq).
    const late = fstatSync(old.fd).size - copiedUpTo;
    if (late > 0) {
      const extra = Buffer.allocUnsafe(late);
      const { bytesRead } = await old.read(extra, 0, late, copiedUpTo);
      appendAll(fh.fd, extra.subarray(0, bytesRead));
      await fh.datasync();
    }
    await old.close();
  }

  /**
   * The snapshot on disk (with the journal) failed its integrity check, so nothing was compacted:
   * under the lock, if it is still the same file and the last good copy passes the check, the
   * snapshot is set aside and the copy restored; the journal's entries are replayed on it.
   */
  private async restoreDamagedSnapshot(result: CompactResult): Promise<void> {
    const check = await this.compactOffThread({ mode: 'check', wasmPath: this.wasmPath, dbPath: this.paths.backup, journalPath: '', snapshotTmp: '', backupTmp: '' });
    await this.queue.run(async () => {
      if (this.closed || this.lock === undefined) return;
      const release = await this.lock.acquire();
      try {
        if (fileIdentity(await stat(this.paths.db)) !== result.snapshotId) return;
        if (check.damage !== undefined) {
          console.warn(`agent-factory: the board's snapshot is damaged (${result.damage ?? ''}) and so is its last good copy (${check.damage}); neither was replaced`);
          return;
        }
        const corruptPath = asidePath(this.paths.db, 'corrupt');
        await rename(this.paths.db, corruptPath);
        const bak = await readFile(this.paths.backup);
        await replaceDurably(this.paths.db, bak);
        // A new journal file (same entries) makes every other process read the board again.
        const size = fstatSync(this.journal.fh.fd).size;
        const all = Buffer.allocUnsafe(size);
        await this.journal.fh.read(all, 0, size, 0);
        await replaceDurably(this.paths.journal, all);
        const report: OpenReport = {
          restored: true,
          created: false,
          corruptPath,
          message: `the database file failed its integrity check before compaction (${result.damage ?? ''}); it was moved to ${corruptPath} and the last good copy was restored, with the changes saved since; the last good copy was not touched`,
        };
        await this.reload(true);
        await this.appendRepairRecord(describeRepair(report, this.ownerId, this.clock.now()));
        console.warn(`agent-factory: ${report.message ?? ''}`);
      } finally {
        await release();
      }
    });
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
    // A journal over the threshold is folded before this process goes (the CLI's only chance).
    if (!this.closed && this.lock !== undefined && this.journal.end > this.compactBytes) {
      await this.compact().catch((err: unknown) => console.warn(`agent-factory: compacting the board failed: ${errorMessage(err)}`));
    }
    // Temporary files of compactions killed here or elsewhere go too, under the lock.
    if (!this.closed && this.lock !== undefined) {
      await this.queue
        .run(async () => {
          const release = await this.lock?.acquire();
          try {
            await removeStaleTemps(this.dir, this.compactionTemps);
          } finally {
            await release?.();
          }
        })
        .catch(() => undefined);
    }
    this.closed = true;
    this.changeWatch?.dispose();
    this.changeWatch = undefined;
    await this.worker?.terminate();
    await this.compaction?.catch(() => undefined);
    await this.queue.run(async () => undefined);
    this.db.close();
    await this.journal.fh.close();
    this.mark?.close();
    this.lock?.close();
    this.changes.dispose();
  }

  // ---------------------------------------------------------------- reads

  getTicket(id: string): Ticket | undefined {
    return this.data.getTicket(id);
  }
  listTickets(filter?: TicketFilter): Ticket[] {
    return this.data.listTickets(filter);
  }
  readTickets(filter?: TicketFilter, page?: TicketPage): readonly Ticket[] {
    return this.data.readTickets(filter, page);
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
  listRuns(filter?: RunFilter): Run[] {
    return this.data.listRuns(filter);
  }
  listCheckIns(ticketId: string): CheckIn[] {
    return this.data.listCheckIns(ticketId);
  }
  latestCheckIn(ticketId: string): CheckIn | undefined {
    return this.data.latestCheckIn(ticketId);
  }
  latestCheckIns(ticketIds?: readonly string[]): Map<string, CheckIn> {
    return this.data.latestCheckIns(ticketIds);
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
  scannedAmong(contentHashes: readonly string[], rulesVersion: string): Set<string> {
    return this.data.scannedAmong(contentHashes, rulesVersion);
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
  getSecurityScan(ticketId: string): SecurityScanRecord | undefined {
    return this.data.getSecurityScan(ticketId);
  }
  listChangedFiles(ticketId?: string): RecordedChange[] {
    return this.data.listChangedFiles(ticketId);
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

// ---------------------------------------------------------------- helpers

/**
 * Appends `buf` with as few system calls as it takes (one, for a journal entry). The journal is
 * open for appending, so the data lands at the file's end whatever any other writer did; a
 * synchronous write of a few hundred bytes into the page cache does not block for long.
 */
function appendAll(fd: number, buf: Buffer): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, null);
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** True when the folder exists and cannot be written (a read-only mount, or no permission). */
async function isReadOnly(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
  }
}
