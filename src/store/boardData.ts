/**
 * The board's reads and typed writes over one in-memory database. Every value reaches SQL as a
 * parameter; times and ids are made here in JS, so the statements a write records replay to the
 * same rows in every process.
 */
import { randomUUID } from 'node:crypto';
import { securityGateRefusal } from '../domain/gates';
import { needsSecurityScan, scanCurrencyRefusal, type ScanVerdict, type SecurityScanRecord } from '../domain/securityScan';
import { CHECKIN_TYPES } from '../domain/checkin';
import type { CheckIn } from '../domain/checkin';
import type { Clock } from '../domain/clock';
import { CONVERSATION_TYPES } from '../domain/conversation';
import { dependencyCycle, describeCycle, validateDependsOn } from '../domain/dependencies';
import type { Conversation, ConversationStatus, ConversationType, Message } from '../domain/conversation';
import { FactoryError, IllegalTransitionError, StatusConflictError } from '../domain/errors';
import { assertEntityId, assertTicketId, ticketIdFromNumber } from '../domain/ids';
import { RUN_STATUSES, VERDICTS } from '../domain/run';
import type { Run } from '../domain/run';
import type { NewSalvage, Salvage } from '../domain/salvage';
import { isStatus, STATUSES, transitionRefusal } from '../domain/status';
import type { Actor, Status } from '../domain/status';
import { DISMISS_REASONS, SEVERITIES, TICKET_SOURCES, TICKET_TYPES, validateDescription, validatePriority, validateTitle } from '../domain/ticket';
import type { Bug, DismissReason, HistoryEntry, Ticket, Worktree } from '../domain/ticket';
import { parseRunAttention, type RunAttention } from '../domain/runAttention';
import type { TokenUsage } from '../domain/usage';
import type {
  AgentState,
  BoardTx,
  NewRecordedChange,
  RecordedChange,
  Finding,
  Lease,
  NewBug,
  NewCheckIn,
  NewConversation,
  NewMessage,
  NewRun,
  NewTicket,
  RunFilter,
  RunPatch,
  TicketFilter,
  TicketPage,
  TicketPatch,
} from './api';
import { toAgentState, toBug, toChangedFile, toCheckIn, toConversation, toFinding, toHistory, toLease, toMessage, toRun, toSalvage, toSecurityScan, toTicket } from './rows';
import { META_JOURNAL_SEQ, META_NEXT_TICKET, META_SCHEMA_VERSION } from './schema';
import type { Db, Param } from './sqlite';

/**
 * Statement sizes for many content hashes at once, largest first: a few fixed shapes, so the
 * statement cache stays small; three parameters a row keeps the largest under SQLite's oldest
 * limit of 999.
 */
const CHUNK_SIZES = [256, 64, 16, 4, 1];

function fixedChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  while (i < items.length) {
    const size = CHUNK_SIZES.find((n) => n <= items.length - i) ?? 1;
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/** Reads kept between two changes of the database at most (a cycle that reads every ticket's runs, say). */
const MAX_KEPT_READS = 2_000;
const RESERVED_META = new Set([META_SCHEMA_VERSION, META_NEXT_TICKET, META_JOURNAL_SEQ]);
const TEXT_MAX_BYTES = 100 * 1024;
const CONVERSATION_STATUSES: readonly ConversationStatus[] = ['open', 'resolved', 'escalated'];

/** A fresh id for a run, bug, check-in, thread or message: `<prefix>-<16 hex>`. */
export function newEntityId(prefix: string): string {
  return `${prefix}-${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

const TICKET_UPDATE = `UPDATE tickets SET title = ?, description = ?, acceptance_criteria = ?, priority = ?, type = ?,
  labels = ?, fingerprint = ?, assigned_agent = ?, worktree = ?, heal_count = ?, depends_on = ?, updated_at = ? WHERE id = ?`;
const RUN_UPDATE = `UPDATE runs SET pid = ?, heartbeat_at = ?, last_output_at = ?, ended_at = ?, status = ?, exit_code = ?,
  worktree = ?, log_file = ?, reported_progress = ?, note = ?, owner = ?, started_at = ?, process_start = ?, verdict = ?, summary = ? WHERE id = ?`;

/** `WHERE a = ? AND b IN (?, ?)` from whichever filter fields are set, with their parameters. */
class Where {
  private readonly parts: string[] = [];
  readonly params: Param[] = [];
  /** Nothing can match (an empty list of allowed values). */
  empty = false;

  equals(column: string, value: Param | undefined): this {
    if (value !== undefined) {
      this.parts.push(`${column} = ?`);
      this.params.push(value);
    }
    return this;
  }

  oneOf(column: string, values: string | readonly string[] | undefined): this {
    if (values === undefined) return this;
    const list = typeof values === 'string' ? [values] : [...values];
    if (list.length === 0) {
      this.empty = true;
      return this;
    }
    this.parts.push(`${column} IN (${list.map(() => '?').join(', ')})`);
    this.params.push(...list);
    return this;
  }

  raw(condition: string, ...params: Param[]): this {
    this.parts.push(condition);
    this.params.push(...params);
    return this;
  }

  toString(): string {
    return this.parts.length > 0 ? ` WHERE ${this.parts.join(' AND ')}` : '';
  }
}

export class BoardData implements BoardTx {
  /** Ticket ids changed by the current write. */
  readonly touched = new Set<string>();
  /** What the Security gate reported for tickets this write asked about (set by the store for each attempt). */
  scanVerdicts: ReadonlyMap<string, ScanVerdict> = new Map();
  /** Tickets whose transition in the current write waits for a Security scan. */
  readonly scanRequests = new Set<string>();
  /**
   * Decoded tickets by id. The PM cycle and the views read every ticket every few seconds;
   * decoding 10,000 rows from sql.js each time would block the thread for tens of ms. Entries
   * are dropped whenever their row changes (here, or in a journal entry from another process).
   */
  private readonly ticketCache = new Map<string, Ticket>();
  /**
   * Reads kept while the database stays as it was (its generation): the live runs, a run, the ids
   * of a status's tickets, a meta value. The status line, the Agents view, the attention list, the
   * autopilot and the run manager each ask for the live runs at every change; decoding them from
   * sql.js once per change instead of once per reader was most of what the editor allocated.
   */
  private readonly reads = new Map<string, unknown>();
  private readsGeneration = -1;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly ownerId: string,
  ) {}

  // ---------------------------------------------------------------- reads

  getTicket(id: string): Ticket | undefined {
    return this.findTicket(id);
  }

  listTickets(filter: TicketFilter = {}): Ticket[] {
    return this.readTickets(filter).map(cloneTicket);
  }

  readTickets(filter: TicketFilter = {}, page?: TicketPage): readonly Ticket[] {
    // With a worktree asked for, the status is a filter (`+status` keeps SQLite off the status
    // index): the few tickets with a worktree come from their own index (tickets_worktree).
    const where = new Where().oneOf(filter.hasWorktree ? '+status' : 'status', filter.status).equals('source', filter.source);
    if (filter.hasWorktree) where.raw('worktree IS NOT NULL');
    if (page) where.raw('num > ?', page.afterNumber);
    if (where.empty) return [];
    const params = page ? [...where.params, page.limit] : where.params;
    const clause = `${where.toString()} ORDER BY num${page ? ' LIMIT ?' : ''}`;
    const sql = `SELECT id FROM tickets${clause}`;
    const ids = this.kept(`${sql} ${JSON.stringify(params)}`, () => this.db.column(sql, params));
    let missing = 0;
    for (const id of ids) if (!this.ticketCache.has(String(id))) missing++;
    if (missing > 32) {
      for (const r of this.db.all(`SELECT * FROM tickets${clause}`, params)) this.remember(toTicket(r));
    }
    const out: Ticket[] = [];
    for (const id of ids) {
      const t = this.cachedTicket(String(id));
      if (t !== undefined && (!filter.hasWorktree || t.worktree !== undefined)) out.push(t);
    }
    return out;
  }

  /** Forgets decoded tickets: the given ids, or all of them. */
  forgetTickets(ids?: Iterable<string>): void {
    if (ids === undefined) {
      this.ticketCache.clear();
      return;
    }
    for (const id of ids) this.ticketCache.delete(id);
  }

  countByStatus(): Record<Status, number> {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
    for (const r of this.db.all('SELECT status, COUNT(*) AS n FROM tickets GROUP BY status')) {
      if (isStatus(r.status)) counts[r.status] = Number(r.n);
    }
    return counts;
  }

  history(ticketId: string): HistoryEntry[] {
    return this.db.all('SELECT * FROM ticket_history WHERE ticket_id = ? ORDER BY id', [ticketId]).map(toHistory);
  }

  listBugs(ticketId: string): Bug[] {
    return this.db.all('SELECT * FROM bugs WHERE ticket_id = ? ORDER BY created_at, rowid', [ticketId]).map(toBug);
  }

  getRun(id: string): Run | undefined {
    return this.kept(`run ${id}`, () => {
      const r = this.db.get('SELECT * FROM runs WHERE id = ?', [id]);
      return r && frozenRun(toRun(r));
    });
  }

  listRuns(filter: RunFilter = {}): Run[] {
    // In one order, so every reader of the live runs (asked for in either order) shares one read.
    const statuses = typeof filter.status === 'string' ? filter.status : filter.status && [...new Set(filter.status)].sort();
    const where = new Where().oneOf('status', statuses).equals('ticket_id', filter.ticketId);
    if (filter.liveOrEndedSince !== undefined) where.raw("(status IN ('running', 'queued') OR ended_at IS NULL OR ended_at >= ?)", filter.liveOrEndedSince);
    if (filter.withPid) where.raw('pid IS NOT NULL');
    if (where.empty) return [];
    const sql = `SELECT * FROM runs${where.toString()} ORDER BY started_at, rowid`;
    const runs = this.kept(`${sql} ${JSON.stringify(where.params)}`, () => this.db.all(sql, where.params).map((r) => frozenRun(toRun(r))));
    // A new array each time: callers sort and filter what they get.
    return [...runs];
  }

  listCheckIns(ticketId: string): CheckIn[] {
    return this.db.all('SELECT * FROM checkins WHERE ticket_id = ? ORDER BY created_at, rowid', [ticketId]).map(toCheckIn);
  }

  latestCheckIn(ticketId: string): CheckIn | undefined {
    const r = this.db.get('SELECT * FROM checkins WHERE ticket_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1', [ticketId]);
    return r && toCheckIn(r);
  }

  latestCheckIns(ticketIds?: readonly string[]): Map<string, CheckIn> {
    const where = new Where().oneOf('ticket_id', ticketIds);
    if (where.empty) return new Map();
    const newest = this.db
      .all(`SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY created_at DESC, rowid DESC) AS place FROM checkins${where.toString()}) WHERE place = 1`, where.params)
      .map(toCheckIn);
    return new Map(newest.map((c) => [c.ticketId, c]));
  }

  getConversation(id: string): Conversation | undefined {
    const r = this.db.get('SELECT * FROM conversations WHERE id = ?', [id]);
    return r && toConversation(r);
  }

  listConversations(filter: { ticketId?: string; status?: ConversationStatus; type?: ConversationType } = {}): Conversation[] {
    const where = new Where().equals('ticket_id', filter.ticketId).equals('status', filter.status).equals('type', filter.type);
    return this.db.all(`SELECT * FROM conversations${where.toString()} ORDER BY created_at, rowid`, where.params).map(toConversation);
  }

  findConversation(ticketId: string, key: string): Conversation | undefined {
    const r = this.db.get('SELECT * FROM conversations WHERE ticket_id = ? AND key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1', [ticketId, key]);
    return r && toConversation(r);
  }

  listMessages(conversationId: string): Message[] {
    return this.db.all('SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, rowid', [conversationId]).map(toMessage);
  }

  getFinding(fingerprint: string): Finding | undefined {
    const r = this.db.get('SELECT * FROM findings WHERE fingerprint = ?', [fingerprint]);
    return r && toFinding(r);
  }

  listFindings(filter: { scanner?: string; ticketId?: string; includeGone?: boolean } = {}): Finding[] {
    const where = new Where().equals('scanner', filter.scanner).equals('ticket_id', filter.ticketId);
    if (filter.includeGone !== true) where.raw('gone_at IS NULL');
    return this.db.all(`SELECT * FROM findings${where.toString()} ORDER BY first_seen_at, rowid`, where.params).map(toFinding);
  }

  wasScanned(contentHash: string, rulesVersion: string): boolean {
    return this.db.value('SELECT 1 FROM scanned WHERE content_hash = ? AND rules_version = ?', [contentHash, rulesVersion]) !== undefined;
  }

  scannedAmong(contentHashes: readonly string[], rulesVersion: string): Set<string> {
    const found = new Set<string>();
    for (const chunk of fixedChunks(contentHashes)) {
      const rows = this.db.column(`SELECT content_hash FROM scanned WHERE rules_version = ? AND content_hash IN (${chunk.map(() => '?').join(', ')})`, [rulesVersion, ...chunk]);
      for (const hash of rows) if (typeof hash === 'string') found.add(hash);
    }
    return found;
  }

  isFingerprintDeleted(fingerprint: string): boolean {
    return this.db.value('SELECT 1 FROM deleted_fingerprints WHERE fingerprint = ?', [fingerprint]) !== undefined;
  }

  getAgentState(name: string): AgentState | undefined {
    const r = this.db.get('SELECT * FROM agent_state WHERE name = ?', [name]);
    return r && toAgentState(r);
  }

  getLease(name: string): Lease | undefined {
    const r = this.db.get('SELECT * FROM leases WHERE name = ?', [name]);
    return r && toLease(r);
  }

  getMeta(key: string): string | undefined {
    return this.kept(`meta ${key}`, () => {
      const v = this.db.value('SELECT value FROM meta WHERE key = ?', [key]);
      return v === undefined || v === null ? undefined : String(v);
    });
  }
  listSalvages(filter: { ticketId?: string } = {}): Salvage[] {
    const where = new Where().equals('ticket_id', filter.ticketId);
    return this.db.all(`SELECT * FROM salvages${where.toString()} ORDER BY created_at, rowid`, where.params).map(toSalvage);
  }

  getSalvage(id: string): Salvage | undefined {
    const r = this.db.get('SELECT * FROM salvages WHERE id = ?', [id]);
    return r && toSalvage(r);
  }


  getSecurityScan(ticketId: string): SecurityScanRecord | undefined {
    const r = this.db.get('SELECT * FROM security_scans WHERE ticket_id = ?', [ticketId]);
    return r && toSecurityScan(r);
  }

  listChangedFiles(ticketId?: string): RecordedChange[] {
    const where = new Where().equals('ticket_id', ticketId);
    return this.db.all(`SELECT * FROM changed_files${where.toString()} ORDER BY ticket_id, path`, where.params).map(toChangedFile);
  }

  // ---------------------------------------------------------------- tickets

  createTicket(t: NewTicket, by: Actor): Ticket {
    const title = validateTitle(t.title);
    const description = validateDescription(t.description);
    const priority = validatePriority(t.priority);
    const type = oneOf(t.type ?? 'feature', TICKET_TYPES, 'ticket type');
    const source = oneOf(t.source ?? 'user', TICKET_SOURCES, 'ticket source');
    const status = oneOf(t.status ?? 'BACKLOG', ['BACKLOG', 'READY'] as const, 'status of a new ticket');
    const criteria = stringList(t.acceptanceCriteria ?? [], 'acceptance criteria');
    const labels = stringList(t.labels ?? [], 'labels');
    const fingerprint = optionalText(t.fingerprint, 'fingerprint');
    const number = Number(this.getMeta(META_NEXT_TICKET) ?? '1');
    const id = ticketIdFromNumber(number);
    // A new ticket has no dependents yet, so its dependencies cannot close a cycle.
    const dependsOn = this.existingDependencies(validateDependsOn(t.dependsOn, id));
    const now = this.clock.now();
    this.db.run(
      `INSERT INTO tickets (id, num, title, description, acceptance_criteria, priority, type, labels, source, fingerprint,
        status, heal_count, depends_on, created_at, updated_at, status_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
      [id, number, title, description, JSON.stringify(criteria), priority, type, JSON.stringify(labels), source, fingerprint ?? null, status, JSON.stringify(dependsOn), now, now, now],
    );
    this.db.run('UPDATE meta SET value = ? WHERE key = ?', [String(number + 1), META_NEXT_TICKET]);
    this.ticketCache.delete(id);
    this.addHistory(id, null, status, now, by, 'created');
    this.touched.add(id);
    return this.requireTicket(id);
  }

  updateTicket(id: string, patch: TicketPatch): Ticket {
    const t = this.requireTicket(id);
    const next: Ticket = {
      ...t,
      title: patch.title !== undefined ? validateTitle(patch.title) : t.title,
      description: patch.description !== undefined ? validateDescription(patch.description) : t.description,
      acceptanceCriteria: patch.acceptanceCriteria !== undefined ? stringList(patch.acceptanceCriteria, 'acceptance criteria') : t.acceptanceCriteria,
      priority: patch.priority !== undefined ? validatePriority(patch.priority) : t.priority,
      type: patch.type !== undefined ? oneOf(patch.type, TICKET_TYPES, 'ticket type') : t.type,
      labels: patch.labels !== undefined ? stringList(patch.labels, 'labels') : t.labels,
      fingerprint: patch.fingerprint === null ? undefined : (optionalText(patch.fingerprint, 'fingerprint') ?? t.fingerprint),
      assignedAgent: patch.assignedAgent === null ? undefined : (optionalText(patch.assignedAgent, 'assigned agent') ?? t.assignedAgent),
      worktree: patch.worktree === null ? undefined : patch.worktree !== undefined ? validWorktree(patch.worktree) : t.worktree,
      healCount: patch.healCount !== undefined ? nonNegativeInteger(patch.healCount, 'heal count') : t.healCount,
      dependsOn: patch.dependsOn !== undefined ? this.acyclicDependencies(t.id, patch.dependsOn) : t.dependsOn,
    };
    this.db.run(TICKET_UPDATE, [
      next.title,
      next.description,
      JSON.stringify(next.acceptanceCriteria),
      next.priority,
      next.type,
      JSON.stringify(next.labels),
      next.fingerprint ?? null,
      next.assignedAgent ?? null,
      next.worktree === undefined ? null : JSON.stringify(next.worktree),
      next.healCount,
      JSON.stringify(next.dependsOn),
      this.clock.now(),
      t.id,
    ]);
    this.ticketCache.delete(t.id);
    this.touched.add(t.id);
    return this.requireTicket(t.id);
  }

  deleteTicket(id: string, by: Actor): void {
    const t = this.requireTicket(id);
    if (t.fingerprint !== undefined) {
      this.db.run('INSERT OR REPLACE INTO deleted_fingerprints (fingerprint, ticket_id, deleted_at, deleted_by) VALUES (?, ?, ?, ?)', [
        t.fingerprint,
        t.id,
        this.clock.now(),
        by,
      ]);
    }
    // History, bugs, runs, check-ins and threads go with it (ON DELETE CASCADE).
    this.db.run('DELETE FROM tickets WHERE id = ?', [t.id]);
    this.ticketCache.delete(t.id);
    this.touched.add(t.id);
    // Nothing waits on a ticket that is gone.
    for (const id of this.db.column('SELECT id FROM tickets WHERE instr(depends_on, ?) > 0', [JSON.stringify(t.id)])) {
      const dependent = this.requireTicket(String(id));
      this.db.run('UPDATE tickets SET depends_on = ? WHERE id = ?', [JSON.stringify(dependent.dependsOn.filter((d) => d !== t.id)), dependent.id]);
      this.ticketCache.delete(dependent.id);
      this.touched.add(dependent.id);
    }
  }

  transition(id: string, expectedFrom: Status, to: Status, by: Actor, note?: string): Ticket {
    if (!isStatus(expectedFrom)) throw new FactoryError('invalid-input', `not a status: ${String(expectedFrom)}`);
    if (!isStatus(to)) throw new FactoryError('invalid-input', `not a status: ${String(to)}`);
    const t = this.requireTicket(id);
    if (t.status !== expectedFrom) throw new StatusConflictError(t.id, expectedFrom, t.status);
    const refusal = transitionRefusal({ from: t.status, to, by, blockedFrom: t.blockedFrom });
    if (refusal !== undefined) throw new IllegalTransitionError(t.id, t.status, to, refusal);
    if (needsSecurityScan(t, t.status, to)) {
      const verdict = this.scanVerdicts.get(t.id);
      const why = scanCurrencyRefusal(t.id, this.getSecurityScan(t.id), verdict);
      if (why !== undefined) {
        // The store asks the gate to scan (again, when the change moved under the last scan) and runs the write once more.
        if (verdict === undefined || 'state' in verdict) this.scanRequests.add(t.id);
        throw new IllegalTransitionError(t.id, t.status, to, why);
      }
    }
    const gate = securityGateRefusal(t.id, t.status, to, this.listBugs(t.id));
    if (gate !== undefined) throw new IllegalTransitionError(t.id, t.status, to, gate);
    const trimmedNote = note?.trim() ? note : undefined;
    let blockedFrom: Status | null = null;
    let blockedReason: string | null = null;
    if (to === 'BLOCKED') {
      if (trimmedNote === undefined) throw new FactoryError('invalid-input', `${t.id}: blocking a ticket needs a reason`);
      blockedFrom = t.status;
      blockedReason = validateDescription(trimmedNote);
    }
    const now = this.clock.now();
    const changed = this.db.run(
      'UPDATE tickets SET status = ?, status_since = ?, updated_at = ?, blocked_from = ?, blocked_reason = ? WHERE id = ? AND status = ?',
      [to, now, now, blockedFrom, blockedReason, t.id, expectedFrom],
    );
    this.ticketCache.delete(t.id);
    if (changed !== 1) throw new StatusConflictError(t.id, expectedFrom, this.requireTicket(t.id).status);
    this.addHistory(t.id, t.status, to, now, by, trimmedNote);
    this.touched.add(t.id);
    return this.requireTicket(t.id);
  }

  addHistoryNote(ticketId: string, by: Actor, note: string): HistoryEntry {
    const t = this.requireTicket(ticketId);
    const text = note.trim();
    if (text.length === 0) throw new FactoryError('invalid-input', `${t.id}: a history note cannot be empty`);
    const at = this.clock.now();
    this.addHistory(t.id, t.status, t.status, at, by, text);
    this.touched.add(t.id);
    return { ticketId: t.id, from: t.status, to: t.status, at, by, note: text };
  }

  // ---------------------------------------------------------------- bugs

  addBug(b: NewBug): Bug {
    const ticketId = this.requireTicket(b.ticketId).id;
    const id = newEntityId('b');
    this.db.run(
      `INSERT INTO bugs (id, ticket_id, title, description, severity, found_by, file, line, rule, fingerprint, fixed, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
      [
        id,
        ticketId,
        validateTitle(b.title),
        validateDescription(b.description),
        oneOf(b.severity, SEVERITIES, 'severity'),
        requiredText(b.foundBy, 'found by'),
        optionalText(b.file, 'file') ?? null,
        optionalLine(b.line) ?? null,
        optionalText(b.rule, 'rule') ?? null,
        optionalText(b.fingerprint, 'fingerprint') ?? null,
        this.clock.now(),
      ],
    );
    this.touched.add(ticketId);
    return this.requireBug(id);
  }

  setBugFixed(bugId: string, fixed: boolean): Bug {
    const bug = this.requireBug(bugId);
    if (bug.fixed !== fixed) {
      this.db.run('UPDATE bugs SET fixed = ?, fixed_at = ? WHERE id = ?', [fixed ? 1 : 0, fixed ? this.clock.now() : null, bug.id]);
      this.touched.add(bug.ticketId);
    }
    return this.requireBug(bug.id);
  }

  dismissBug(bugId: string, reason: DismissReason, by: Actor): Bug {
    const bug = this.requireBug(bugId);
    if (bug.dismissed === undefined) {
      this.db.run('UPDATE bugs SET dismissed_reason = ?, dismissed_by = ?, dismissed_at = ? WHERE id = ?', [
        oneOf(reason, DISMISS_REASONS, 'dismissal reason'),
        requiredText(by, 'dismissed by'),
        this.clock.now(),
        bug.id,
      ]);
      this.touched.add(bug.ticketId);
    }
    return this.requireBug(bug.id);
  }

  updateBugLocation(bugId: string, file: string | undefined, line: number | undefined): Bug {
    const bug = this.requireBug(bugId);
    this.db.run('UPDATE bugs SET file = ?, line = ? WHERE id = ?', [optionalText(file, 'file') ?? null, optionalLine(line) ?? null, bug.id]);
    this.touched.add(bug.ticketId);
    return this.requireBug(bug.id);
  }

  // ---------------------------------------------------------------- runs

  createRun(r: NewRun): Run {
    const ticketId = this.requireTicket(r.ticketId).id;
    const id = newEntityId('r');
    const now = this.clock.now();
    this.db.run(
      `INSERT INTO runs (id, ticket_id, stage, agent, worktree, owner, pid, started_at, heartbeat_at, status, attempt, log_file)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        ticketId,
        requiredText(r.stage, 'stage'),
        requiredText(r.agent, 'agent'),
        optionalText(r.worktree, 'worktree') ?? null,
        this.ownerId,
        r.pid === undefined ? null : nonNegativeInteger(r.pid, 'pid'),
        r.startedAt === undefined ? now : nonNegativeInteger(r.startedAt, 'start time'),
        now,
        oneOf(r.status ?? 'running', RUN_STATUSES, 'run status'),
        r.attempt === undefined ? 1 : nonNegativeInteger(r.attempt, 'attempt'),
        optionalText(r.logFile, 'log file') ?? null,
      ],
    );
    this.touched.add(ticketId);
    return this.requireRun(id);
  }

  updateRun(id: string, patch: RunPatch): Run {
    const run = this.requireRun(id);
    const next: Run = { ...run };
    for (const key of Object.keys(patch) as (keyof RunPatch)[]) {
      if (patch[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = patch[key];
    }
    this.db.run(RUN_UPDATE, [
      next.pid === undefined ? null : nonNegativeInteger(next.pid, 'pid'),
      finiteNumber(next.heartbeatAt, 'heartbeat'),
      next.lastOutputAt === undefined ? null : finiteNumber(next.lastOutputAt, 'last output time'),
      next.endedAt === undefined ? null : finiteNumber(next.endedAt, 'end time'),
      oneOf(next.status, RUN_STATUSES, 'run status'),
      next.exitCode === undefined ? null : finiteNumber(next.exitCode, 'exit code'),
      optionalText(next.worktree, 'worktree') ?? null,
      optionalText(next.logFile, 'log file') ?? null,
      next.reportedProgress === undefined ? null : finiteNumber(next.reportedProgress, 'progress'),
      next.note === undefined ? null : validateDescription(next.note),
      requiredText(next.owner, 'owner'),
      finiteNumber(next.startedAt, 'start time'),
      optionalText(next.processStart, 'process start') ?? null,
      next.verdict === undefined ? null : oneOf(next.verdict, VERDICTS, 'verdict'),
      next.summary === undefined ? null : validateDescription(next.summary),
      run.id,
    ]);
    this.touched.add(run.ticketId);
    return this.requireRun(run.id);
  }

  setRunUsage(id: string, usage: TokenUsage): Run {
    const run = this.requireRun(id);
    this.db.run('UPDATE runs SET input_tokens = ?, output_tokens = ?, cached_tokens = ?, cost_usd = ? WHERE id = ?', [
      nonNegativeInteger(usage.inputTokens, 'input tokens'),
      nonNegativeInteger(usage.outputTokens, 'output tokens'),
      nonNegativeInteger(usage.cachedTokens, 'cached tokens'),
      usage.costUsd === undefined ? null : finiteNumber(usage.costUsd, 'cost'),
      run.id,
    ]);
    this.touched.add(run.ticketId);
    return this.requireRun(run.id);
  }

  setRunAttention(id: string, attention: RunAttention | undefined): Run {
    const run = this.requireRun(id);
    const value = attention === undefined ? undefined : parseRunAttention(attention);
    this.db.run('UPDATE runs SET attention = ? WHERE id = ?', [value === undefined ? null : JSON.stringify(value), run.id]);
    this.touched.add(run.ticketId);
    return this.requireRun(run.id);
  }

  reportRunProgress(id: string, percent: number, note: string | undefined, at: number): Run {
    const run = this.requireRun(id);
    const value = finiteNumber(percent, 'progress');
    if (value < 0 || value > 100) throw new FactoryError('invalid-input', `progress must be from 0 to 100, not ${value}`);
    this.db.run('UPDATE runs SET reported_progress = ?, progress_note = ?, last_output_at = ? WHERE id = ?', [
      value,
      note?.trim() ? validateDescription(note.trim()) : null,
      finiteNumber(at, 'progress time'),
      run.id,
    ]);
    this.touched.add(run.ticketId);
    return this.requireRun(run.id);
  }

  // ---------------------------------------------------------------- check-ins, conversations

  addCheckIn(c: NewCheckIn): CheckIn {
    const ticketId = this.requireTicket(c.ticketId).id;
    if (c.conversationId !== undefined) this.requireConversation(c.conversationId);
    const id = newEntityId('c');
    this.db.run(
      `INSERT INTO checkins (id, ticket_id, type, summary, findings, action_required, resolved, conversation_id, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
      [
        id,
        ticketId,
        oneOf(c.type, CHECKIN_TYPES, 'check-in type'),
        boundedText(c.summary, 'summary'),
        boundedText(JSON.stringify(c.findings), 'findings'),
        c.actionRequired ? 1 : 0,
        c.conversationId ?? null,
        this.clock.now(),
      ],
    );
    this.touched.add(ticketId);
    const r = this.db.get('SELECT * FROM checkins WHERE id = ?', [id]);
    return toCheckIn(r ?? {});
  }

  setCheckInResolved(id: string, resolved: boolean): void {
    const r = this.db.get('SELECT ticket_id FROM checkins WHERE id = ?', [id]);
    if (r === undefined) throw new FactoryError('not-found', `no check-in ${id}`);
    this.db.run('UPDATE checkins SET resolved = ? WHERE id = ?', [resolved ? 1 : 0, id]);
    this.touched.add(String(r.ticket_id));
  }

  createConversation(c: NewConversation): Conversation {
    const ticketId = this.requireTicket(c.ticketId).id;
    const id = newEntityId('cv');
    const now = this.clock.now();
    this.db.run(
      `INSERT INTO conversations (id, ticket_id, type, title, status, file, line, key, created_at, updated_at)
        VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)`,
      [
        id,
        ticketId,
        oneOf(c.type, CONVERSATION_TYPES, 'conversation type'),
        validateTitle(c.title),
        optionalText(c.file, 'file') ?? null,
        optionalLine(c.line) ?? null,
        optionalText(c.key, 'key') ?? null,
        now,
        now,
      ],
    );
    this.touched.add(ticketId);
    return this.requireConversation(id);
  }

  setConversationStatus(id: string, status: ConversationStatus): void {
    const conv = this.requireConversation(id);
    this.db.run('UPDATE conversations SET status = ?, updated_at = ? WHERE id = ?', [
      oneOf(status, CONVERSATION_STATUSES, 'conversation status'),
      this.clock.now(),
      conv.id,
    ]);
    this.touched.add(conv.ticketId);
  }

  updateConversation(id: string, patch: { title?: string; file?: string; line?: number }): void {
    const conv = this.requireConversation(id);
    this.db.run('UPDATE conversations SET title = ?, file = ?, line = ?, updated_at = ? WHERE id = ?', [
      patch.title !== undefined ? validateTitle(patch.title) : conv.title,
      (patch.file !== undefined ? optionalText(patch.file, 'file') : conv.file) ?? null,
      (patch.line !== undefined ? optionalLine(patch.line) : conv.line) ?? null,
      this.clock.now(),
      conv.id,
    ]);
    this.touched.add(conv.ticketId);
  }

  addMessage(m: NewMessage): Message {
    const conv = this.requireConversation(m.conversationId);
    const id = newEntityId('m');
    const now = this.clock.now();
    this.db.run('INSERT INTO messages (id, conversation_id, author, kind, body, metadata, to_agent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      conv.id,
      requiredText(m.author, 'author'),
      requiredText(m.kind, 'message kind'),
      boundedText(m.body, 'message'),
      m.metadata === undefined ? null : boundedText(JSON.stringify(m.metadata), 'message metadata'),
      m.toAgent === true ? 1 : 0,
      now,
    ]);
    this.db.run('UPDATE conversations SET updated_at = ? WHERE id = ?', [now, conv.id]);
    this.touched.add(conv.ticketId);
    const r = this.db.get('SELECT * FROM messages WHERE id = ?', [id]);
    return toMessage(r ?? {});
  }

  markMessagesRead(ids: readonly string[], runId: string): void {
    const reader = assertEntityId(runId, 'run id');
    const now = this.clock.now();
    for (const id of ids) {
      const r = this.db.get('SELECT m.id, c.ticket_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?', [id]);
      if (r === undefined) throw new FactoryError('not-found', `no message ${id}`);
      if (this.db.run('UPDATE messages SET read_at = ?, read_by = ? WHERE id = ? AND read_at IS NULL', [now, reader, id]) > 0) this.touched.add(String(r.ticket_id));
    }
  }

  // ---------------------------------------------------------------- scanners, agents, meta

  upsertFinding(f: Omit<Finding, 'firstSeenAt' | 'lastSeenAt' | 'goneAt'>): Finding {
    const fingerprint = requiredText(f.fingerprint, 'fingerprint');
    const ticketId = f.ticketId === undefined ? null : this.requireTicket(f.ticketId).id;
    const values: Param[] = [
      requiredText(f.scanner, 'scanner'),
      ticketId,
      requiredText(f.kind, 'finding kind'),
      requiredText(f.file, 'file'),
      optionalLine(f.line) ?? 0,
      boundedText(f.text, 'finding text'),
      f.data === undefined ? null : boundedText(JSON.stringify(f.data), 'finding data'),
    ];
    const now = this.clock.now();
    if (this.getFinding(fingerprint) === undefined) {
      this.db.run(
        `INSERT INTO findings (fingerprint, scanner, ticket_id, kind, file, line, text, data, first_seen_at, last_seen_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [fingerprint, ...values, now, now],
      );
    } else {
      this.db.run(
        `UPDATE findings SET scanner = ?, ticket_id = ?, kind = ?, file = ?, line = ?, text = ?, data = ?, last_seen_at = ?, gone_at = NULL
          WHERE fingerprint = ?`,
        [...values, now, fingerprint],
      );
    }
    if (ticketId !== null) this.touched.add(ticketId);
    return this.getFinding(fingerprint) as Finding;
  }

  markFindingGone(fingerprint: string): void {
    const f = this.getFinding(fingerprint);
    if (f === undefined || f.goneAt !== undefined) return;
    this.db.run('UPDATE findings SET gone_at = ? WHERE fingerprint = ?', [this.clock.now(), fingerprint]);
    if (f.ticketId !== undefined) this.touched.add(f.ticketId);
  }

  markScanned(contentHash: string, rulesVersion: string): void {
    this.db.run('INSERT OR REPLACE INTO scanned (content_hash, rules_version, scanned_at) VALUES (?, ?, ?)', [
      requiredText(contentHash, 'content hash'),
      requiredText(rulesVersion, 'rules version'),
      this.clock.now(),
    ]);
  }

  markScannedMany(contentHashes: readonly string[], rulesVersion: string): void {
    const version = requiredText(rulesVersion, 'rules version');
    const now = this.clock.now();
    for (const chunk of fixedChunks(contentHashes)) {
      this.db.run(`INSERT OR REPLACE INTO scanned (content_hash, rules_version, scanned_at) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flatMap((hash) => [requiredText(hash, 'content hash'), version, now]));
    }
  }

  recordSecurityScan(record: SecurityScanRecord): void {
    const ticketId = this.requireTicket(record.ticketId).id;
    this.db.run(
      `INSERT OR REPLACE INTO security_scans (ticket_id, commit_sha, state, dirty, complete, files, blockers, not_scanned, scanned_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        ticketId,
        optionalText(record.commit, 'commit') ?? null,
        requiredText(record.state, 'scan state'),
        record.dirty ? 1 : 0,
        record.complete ? 1 : 0,
        nonNegativeInteger(record.files, 'file count'),
        nonNegativeInteger(record.blockers, 'blocker count'),
        boundedText(JSON.stringify(record.notScanned), 'files not scanned'),
        finiteNumber(record.scannedAt, 'scan time'),
      ],
    );
    this.touched.add(ticketId);
  }

  setAgentState(name: string, patch: Partial<Omit<AgentState, 'name'>>): void {
    const current = this.getAgentState(name) ?? { name: requiredText(name, 'agent name'), paused: false };
    const next: AgentState = {
      name: current.name,
      paused: patch.paused ?? current.paused,
      lastCycleAt: patch.lastCycleAt ?? current.lastCycleAt,
      status: patch.status ?? current.status,
    };
    this.db.run('INSERT OR REPLACE INTO agent_state (name, paused, last_cycle_at, status) VALUES (?, ?, ?, ?)', [
      next.name,
      next.paused ? 1 : 0,
      next.lastCycleAt ?? null,
      next.status === undefined ? null : boundedText(JSON.stringify(next.status), 'agent status'),
    ]);
  }

  setMeta(key: string, value: string): void {
    if (RESERVED_META.has(key)) throw new FactoryError('invalid-input', `meta key ${key} is maintained by the store`);
    this.db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [requiredText(key, 'meta key'), boundedText(value, 'meta value')]);
  }
  // ---------------------------------------------------------------- salvages

  addSalvage(v: NewSalvage): Salvage {
    const ticketId = v.ticketId === undefined ? null : assertTicketId(v.ticketId);
    const id = assertEntityId(v.id, 'salvage id');
    this.db.run(
      `INSERT INTO salvages (id, ticket_id, created_at, worktree_path, branch, head, ref_prefix, archive_dir, saved_bytes, stored_bytes, reason, summary)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        ticketId,
        this.clock.now(),
        requiredText(v.worktreePath, 'worktree path'),
        optionalText(v.branch, 'branch') ?? null,
        optionalText(v.head, 'head') ?? null,
        requiredText(v.refPrefix, 'salvage ref'),
        requiredText(v.archiveDir, 'salvage folder'),
        nonNegativeInteger(v.savedBytes, 'saved bytes'),
        nonNegativeInteger(v.storedBytes, 'stored bytes'),
        boundedText(v.reason, 'salvage reason'),
        boundedText(JSON.stringify(v.summary), 'salvage summary'),
      ],
    );
    if (ticketId !== null) this.touched.add(ticketId);
    return this.requireSalvage(id);
  }

  markSalvageRestored(id: string, to: string): Salvage {
    const salvage = this.requireSalvage(id);
    this.db.run('UPDATE salvages SET restored_at = ?, restored_to = ? WHERE id = ?', [this.clock.now(), requiredText(to, 'restored to'), salvage.id]);
    if (salvage.ticketId !== undefined) this.touched.add(salvage.ticketId);
    return this.requireSalvage(id);
  }

  deleteSalvage(id: string): void {
    const salvage = this.requireSalvage(id);
    this.db.run('DELETE FROM salvages WHERE id = ?', [salvage.id]);
    if (salvage.ticketId !== undefined) this.touched.add(salvage.ticketId);
  }


  setChangedFiles(ticketId: string, base: string, files: readonly NewRecordedChange[]): void {
    const id = this.requireTicket(ticketId).id;
    const baseName = requiredText(base, 'base');
    const now = this.clock.now();
    this.db.run('DELETE FROM changed_files WHERE ticket_id = ?', [id]);
    const seen = new Set<string>();
    for (const f of files) {
      const path = requiredText(f.path, 'changed file path');
      if (seen.has(path)) continue;
      seen.add(path);
      this.db.run('INSERT INTO changed_files (ticket_id, path, kind, additions, deletions, base, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        id,
        path,
        requiredText(f.kind, 'change kind'),
        f.additions === undefined ? null : nonNegativeInteger(f.additions, 'additions'),
        f.deletions === undefined ? null : nonNegativeInteger(f.deletions, 'deletions'),
        baseName,
        now,
      ]);
    }
    this.touched.add(id);
  }

  // ---------------------------------------------------------------- store internals

  /** Takes the lease when free, expired or ours; renews our heartbeat. True when we hold it. */
  takeLease(name: string, timeoutMs: number): boolean {
    const now = this.clock.now();
    const lease = this.getLease(name);
    if (lease !== undefined && lease.owner !== this.ownerId && now - lease.heartbeatAt <= timeoutMs) return false;
    const acquiredAt = lease !== undefined && lease.owner === this.ownerId ? lease.acquiredAt : now;
    this.db.run('INSERT OR REPLACE INTO leases (name, owner, heartbeat_at, acquired_at) VALUES (?, ?, ?, ?)', [name, this.ownerId, now, acquiredAt]);
    return true;
  }

  dropLease(name: string): void {
    this.db.run('DELETE FROM leases WHERE name = ? AND owner = ?', [name, this.ownerId]);
  }

  private addHistory(ticketId: string, from: Status | null, to: Status, at: number, by: Actor, note: string | undefined): void {
    this.db.run('INSERT INTO ticket_history (ticket_id, from_status, to_status, at, by, note) VALUES (?, ?, ?, ?, ?, ?)', [
      ticketId,
      from,
      to,
      at,
      requiredText(by, 'actor'),
      note === undefined ? null : validateDescription(note),
    ]);
  }

  private findTicket(id: string): Ticket | undefined {
    const t = this.cachedTicket(id);
    return t === undefined ? undefined : cloneTicket(t);
  }

  /** The decoded ticket as cached, frozen: callers that keep or change it get a copy from findTicket. */
  private cachedTicket(id: string): Ticket | undefined {
    const t = this.ticketCache.get(id);
    if (t !== undefined) return t;
    const r = this.db.get('SELECT * FROM tickets WHERE id = ?', [assertTicketId(id)]);
    return r === undefined ? undefined : this.remember(toTicket(r));
  }

  /** Caches a decoded ticket, frozen so that a reader of readTickets cannot change what every other reader sees. */
  private remember(t: Ticket): Ticket {
    Object.freeze(t.acceptanceCriteria);
    Object.freeze(t.labels);
    Object.freeze(t.dependsOn);
    if (t.worktree !== undefined) Object.freeze(t.worktree);
    this.ticketCache.set(t.id, Object.freeze(t));
    return t;
  }

  private requireTicket(id: string): Ticket {
    const t = this.findTicket(id);
    if (t === undefined) throw new FactoryError('not-found', `no ticket ${id} on this board`);
    return t;
  }

  /** Every dependency must name a ticket on this board. */
  private existingDependencies(ids: string[]): string[] {
    const missing = ids.filter((id) => this.findTicket(id) === undefined);
    if (missing.length > 0) throw new FactoryError('not-found', `cannot depend on ${missing.join(', ')}: no such ticket on this board`);
    return ids;
  }

  /** Validated, existing dependencies for `ticketId` that close no cycle. */
  private acyclicDependencies(ticketId: string, value: unknown): string[] {
    const ids = this.existingDependencies(validateDependsOn(value, ticketId));
    const cycle = dependencyCycle(ticketId, ids, (id) => this.findTicket(id));
    if (cycle) throw new FactoryError('dependency-cycle', describeCycle(cycle));
    return ids;
  }

  private requireBug(id: string): Bug {
    const r = this.db.get('SELECT * FROM bugs WHERE id = ?', [id]);
    if (r === undefined) throw new FactoryError('not-found', `no bug ${id}`);
    return toBug(r);
  }

  private requireSalvage(id: string): Salvage {
    const salvage = this.getSalvage(id);
    if (salvage === undefined) throw new FactoryError('not-found', `no salvage ${id} on this board`);
    return salvage;
  }

  /** `read()`, or what it gave earlier at the database's current generation. */
  private kept<T>(key: string, read: () => T): T {
    if (this.readsGeneration !== this.db.generation || this.reads.size >= MAX_KEPT_READS) {
      this.reads.clear();
      this.readsGeneration = this.db.generation;
    }
    if (this.reads.has(key)) return this.reads.get(key) as T;
    const value = read();
    this.reads.set(key, value);
    return value;
  }

  private requireRun(id: string): Run {
    const run = this.getRun(id);
    if (run === undefined) throw new FactoryError('not-found', `no run ${id}`);
    return run;
  }

  private requireConversation(id: string): Conversation {
    const conv = this.getConversation(id);
    if (conv === undefined) throw new FactoryError('not-found', `no conversation ${id}`);
    return conv;
  }
}

/**
 * A run as every reader shares it (getRun, listRuns): frozen, so a caller that changed one would
 * fail at once instead of changing what the others see.
 */
function frozenRun(run: Run): Run {
  if (run.usage) Object.freeze(run.usage);
  if (run.attention) deepFreeze(run.attention);
  return Object.freeze(run);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function cloneTicket(t: Ticket): Ticket {
  return {
    ...t,
    acceptanceCriteria: [...t.acceptanceCriteria],
    labels: [...t.labels],
    dependsOn: [...t.dependsOn],
    worktree: t.worktree === undefined ? undefined : { ...t.worktree },
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new FactoryError('invalid-input', `${what} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
}

function requiredText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new FactoryError('invalid-input', `${what} must be non-empty text`);
  return boundedText(value, what);
}

function optionalText(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FactoryError('invalid-input', `${what} must be text`);
  return boundedText(value, what);
}

function boundedText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new FactoryError('invalid-input', `${what} must be text`);
  if (value.length > TEXT_MAX_BYTES / 4 && Buffer.byteLength(value, 'utf8') > TEXT_MAX_BYTES) {
    throw new FactoryError('invalid-input', `${what} is at most 100 KB`);
  }
  return value;
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new FactoryError('invalid-input', `${what} must be a list of text`);
  boundedText(JSON.stringify(value), what);
  return [...value];
}

function finiteNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FactoryError('invalid-input', `${what} must be a number`);
  return value;
}

function nonNegativeInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new FactoryError('invalid-input', `${what} must be a whole number`);
  return value;
}

function optionalLine(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : nonNegativeInteger(value, 'line');
}

function validWorktree(w: Worktree): Worktree {
  return {
    path: requiredText(w.path, 'worktree path'),
    branch: requiredText(w.branch, 'worktree branch'),
    base: requiredText(w.base, 'worktree base'),
  };
}
