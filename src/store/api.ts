/**
 * The board's store as the rest of the product sees it. Reads are synchronous on an in-memory
 * copy that is kept current; every change goes through `write`, which resolves only when the
 * change is durable on disk and has been ordered after every other process's changes.
 */
import type { CheckIn, CheckInType, Findings } from '../domain/checkin';
import type { Conversation, ConversationStatus, ConversationType, Message, MessageKind } from '../domain/conversation';
import type { Event } from '../domain/event';
import type { Run, RunStatus } from '../domain/run';
import type { ScanVerdict, SecurityScanRecord } from '../domain/securityScan';
import type { NewSalvage, Salvage } from '../domain/salvage';
import type { Actor, Status } from '../domain/status';
import type { RunAttention } from '../domain/runAttention';
import type { TokenUsage } from '../domain/usage';
import type { Bug, DismissReason, HistoryEntry, Priority, Severity, Ticket, TicketSource, TicketType, Worktree } from '../domain/ticket';

export interface NewTicket {
  title: string;
  description?: string;
  acceptanceCriteria?: string[];
  priority?: Priority;
  type?: TicketType;
  labels?: string[];
  source?: TicketSource;
  fingerprint?: string;
  /** Ticket ids that must be DONE first; each must exist. */
  dependsOn?: string[];
  /** BACKLOG (default) or READY. */
  status?: 'BACKLOG' | 'READY';
}

/** Fields a caller may change on a ticket. `null` clears an optional field. */
export interface TicketPatch {
  title?: string;
  description?: string;
  acceptanceCriteria?: string[];
  priority?: Priority;
  type?: TicketType;
  labels?: string[];
  /** Replaces the dependencies; each must exist, and a cycle is refused. */
  dependsOn?: string[];
  fingerprint?: string | null;
  assignedAgent?: string | null;
  worktree?: Worktree | null;
  healCount?: number;
}

export interface TicketFilter {
  status?: Status | readonly Status[];
  source?: TicketSource;
  /** Only tickets with a worktree recorded (without decoding the others). */
  hasWorktree?: boolean;
}

export interface RunFilter {
  status?: RunStatus | readonly RunStatus[];
  ticketId?: string;
  /** Only runs that are live (running or queued), have no end, or ended at or after this time. */
  liveOrEndedSince?: number;
  /** Only runs whose agent's pid was recorded (the others have no process to look at). */
  withPid?: boolean;
}

/** A stretch of tickets in number order: those numbered after `afterNumber`, at most `limit`. */
export interface TicketPage {
  afterNumber: number;
  limit: number;
}

export interface NewBug {
  ticketId: string;
  title: string;
  description?: string;
  severity: Severity;
  foundBy: string;
  file?: string;
  line?: number;
  rule?: string;
  fingerprint?: string;
}

export interface NewRun {
  ticketId: string;
  stage: string;
  agent: string;
  worktree?: string;
  pid?: number;
  status?: RunStatus;
  attempt?: number;
  logFile?: string;
  /** Defaults to now; set when recording a run that started earlier (imports, seeded boards). */
  startedAt?: number;
}

/**
 * `startedAt` moves when a queued run actually starts, so queue time never counts as run time.
 * `logFile: null` forgets a log that retention removed.
 */
export type RunPatch = Partial<Pick<Run, 'startedAt' | 'pid' | 'processStart' | 'heartbeatAt' | 'lastOutputAt' | 'endedAt' | 'status' | 'exitCode' | 'worktree' | 'reportedProgress' | 'note' | 'owner' | 'verdict' | 'summary'>> & {
  logFile?: string | null;
};

export interface NewCheckIn {
  ticketId: string;
  type: CheckInType;
  summary: string;
  findings: Findings;
  actionRequired: boolean;
  conversationId?: string;
}

export interface NewConversation {
  ticketId: string;
  type: ConversationType;
  title: string;
  key?: string;
  file?: string;
  line?: number;
}

export interface NewMessage {
  conversationId: string;
  author: string;
  kind: MessageKind;
  body: string;
  metadata?: Record<string, unknown>;
  /** Addressed to the ticket's coding agent (its inbox). */
  toAgent?: boolean;
}

/** A scanner's record of something it found, keyed by a stable fingerprint. */
export interface Finding {
  fingerprint: string;
  /** "security" or "gatherer". */
  scanner: string;
  ticketId?: string | undefined;
  kind: string;
  file: string;
  line: number;
  /** Already masked or normalized: never a raw secret. */
  text: string;
  data?: Record<string, unknown> | undefined;
  firstSeenAt: number;
  lastSeenAt: number;
  /** When it was last found missing; undefined while present. */
  goneAt?: number | undefined;
}

/** One file a ticket's branch and worktree change against its base (the conflict radar's record). */
export interface RecordedChange {
  ticketId: string;
  /** Worktree-relative, forward slashes. */
  path: string;
  kind: string;
  /** Lines added and deleted; undefined for a binary file. */
  additions?: number | undefined;
  deletions?: number | undefined;
  /** The branch the change was measured against. */
  base: string;
  recordedAt: number;
}

export type NewRecordedChange = Omit<RecordedChange, 'ticketId' | 'base' | 'recordedAt'>;

export interface AgentState {
  name: string;
  paused: boolean;
  lastCycleAt?: number | undefined;
  /** The agent's last published status (JSON of the manager's AgentStatus), for other windows. */
  status?: Record<string, unknown> | undefined;
}

export interface Lease {
  name: string;
  owner: string;
  heartbeatAt: number;
  acquiredAt: number;
}

/** Synchronous reads and writes inside one transaction. Reads see the transaction's own writes. */
export interface BoardReader {
  getTicket(id: string): Ticket | undefined;
  listTickets(filter?: TicketFilter): Ticket[];
  /**
   * The tickets as listTickets has them, without copying each one: the store's own decoded tickets,
   * frozen and shared with every other caller, for readers that only read (the Tickets view reads
   * all of them on every change). With `page`, one stretch of them, so a first read of a big board
   * can be spread over several turns of the event loop.
   */
  readTickets(filter?: TicketFilter, page?: TicketPage): readonly Ticket[];
  countByStatus(): Record<Status, number>;
  history(ticketId: string): HistoryEntry[];
  listBugs(ticketId: string): Bug[];
  /**
   * Runs are the store's own, frozen and shared with every other caller until the board changes
   * (the live runs are read by several readers at each change): spread one to change it. The
   * list itself is the caller's.
   */
  getRun(id: string): Run | undefined;
  listRuns(filter?: RunFilter): Run[];
  listCheckIns(ticketId: string): CheckIn[];
  latestCheckIn(ticketId: string): CheckIn | undefined;
  /** Every ticket's latest check-in (or only those of `ticketIds`), by ticket id, in one read (the Tickets view shows them all). */
  latestCheckIns(ticketIds?: readonly string[]): Map<string, CheckIn>;
  getConversation(id: string): Conversation | undefined;
  listConversations(filter?: { ticketId?: string; status?: ConversationStatus; type?: ConversationType }): Conversation[];
  findConversation(ticketId: string, key: string): Conversation | undefined;
  listMessages(conversationId: string): Message[];
  getFinding(fingerprint: string): Finding | undefined;
  listFindings(filter?: { scanner?: string; ticketId?: string; includeGone?: boolean }): Finding[];
  /** Scanner cache: was this content hash already scanned with this rule set version? */
  wasScanned(contentHash: string, rulesVersion: string): boolean;
  /** The ones of `contentHashes` scanned with `rulesVersion`, in a few queries (a scan asks about thousands). */
  scannedAmong(contentHashes: readonly string[], rulesVersion: string): Set<string>;
  isFingerprintDeleted(fingerprint: string): boolean;
  getAgentState(name: string): AgentState | undefined;
  getLease(name: string): Lease | undefined;
  getMeta(key: string): string | undefined;
  /** The last Security scan of the ticket's change, if any. */
  getSecurityScan(ticketId: string): SecurityScanRecord | undefined;
  /** The files recorded as changed by one ticket, or by every ticket, ordered by ticket then path. */
  listChangedFiles(ticketId?: string): RecordedChange[];
  /** Salvages of removed worktrees, oldest first: all of them, or one ticket's. */
  listSalvages(filter?: { ticketId?: string }): Salvage[];
  getSalvage(id: string): Salvage | undefined;
}

export interface BoardTx extends BoardReader {
  createTicket(t: NewTicket, by: Actor): Ticket;
  updateTicket(id: string, patch: TicketPatch): Ticket;
  /** Deletes a ticket and everything hanging off it; a gathered ticket's fingerprint is remembered. */
  deleteTicket(id: string, by: Actor): void;
  /**
   * Compare-and-set move validated by the transition table; writes the history row in the same
   * transaction. Throws IllegalTransitionError or StatusConflictError. `reason` is required for
   * BLOCKED and is stored as the ticket's blocked reason.
   */
  transition(id: string, expectedFrom: Status, to: Status, by: Actor, note?: string): Ticket;
  /**
   * A history row that is not a move (an edit, a dismissed finding): its `from` and `to` are the
   * ticket's current status.
   */
  addHistoryNote(ticketId: string, by: Actor, note: string): HistoryEntry;
  addBug(b: NewBug): Bug;
  setBugFixed(bugId: string, fixed: boolean): Bug;
  /** Records a person's decision that a finding needs no fix; an existing dismissal stays as it was. */
  dismissBug(bugId: string, reason: DismissReason, by: Actor): Bug;
  updateBugLocation(bugId: string, file: string | undefined, line: number | undefined): Bug;
  createRun(r: NewRun): Run;
  updateRun(id: string, patch: RunPatch): Run;
  /** Replaces the token usage (and cost) recorded for a run: the agent's totals so far. */
  setRunUsage(id: string, usage: TokenUsage): Run;
  /** Replaces what a run needs a person for (undefined clears it). */
  setRunAttention(id: string, attention: RunAttention | undefined): Run;
  /** What a live run's agent reported with `progress`: the percentage, its words, and when. */
  reportRunProgress(id: string, percent: number, note: string | undefined, at: number): Run;
  addCheckIn(c: NewCheckIn): CheckIn;
  setCheckInResolved(id: string, resolved: boolean): void;
  createConversation(c: NewConversation): Conversation;
  setConversationStatus(id: string, status: ConversationStatus): void;
  updateConversation(id: string, patch: { title?: string; file?: string; line?: number }): void;
  addMessage(m: NewMessage): Message;
  /** Marks messages read by a run's agent (its inbox); already read ones keep their first reader. */
  markMessagesRead(ids: readonly string[], runId: string): void;
  upsertFinding(f: Omit<Finding, 'firstSeenAt' | 'lastSeenAt' | 'goneAt'>): Finding;
  markFindingGone(fingerprint: string): void;
  markScanned(contentHash: string, rulesVersion: string): void;
  /** markScanned for many contents at once, in a few statements (a cold scan marks thousands). */
  markScannedMany(contentHashes: readonly string[], rulesVersion: string): void;
  /** Replaces the ticket's Security scan record. */
  recordSecurityScan(record: SecurityScanRecord): void;
  setAgentState(name: string, patch: Partial<Omit<AgentState, 'name'>>): void;
  setMeta(key: string, value: string): void;
  /** Replaces the files recorded as changed by a ticket (an empty list clears them). */
  setChangedFiles(ticketId: string, base: string, files: readonly NewRecordedChange[]): void;
  addSalvage(s: NewSalvage): Salvage;
  markSalvageRestored(id: string, to: string): Salvage;
  /** Forgets a salvage; its refs and archive folder are the caller's to delete. */
  deleteSalvage(id: string): void;
}

/** Scans one ticket's change now and records it on the board; reports the state it scanned. */
export type SecurityGate = (ticketId: string) => Promise<ScanVerdict>;

export type StoreChangeSource = 'local' | 'external';

export interface StoreChange {
  source: StoreChangeSource;
  /** Ticket ids touched, when known; empty means "anything may have changed". */
  ticketIds: string[];
  /**
   * True when the change touched no ticket and nothing hanging off one (only agent states, leases,
   * meta or the scan cache): an empty `ticketIds` then means nothing, not everything.
   */
  noTickets?: boolean;
}

export interface OpenReport {
  /** True when the file was damaged, moved aside and the last good copy restored. */
  restored: boolean;
  /** Where the damaged file was moved. */
  corruptPath?: string | undefined;
  /** Human-readable account of what happened. */
  message?: string | undefined;
  created: boolean;
  migratedFrom?: number | undefined;
  /** How many acknowledged changes a damaged journal lost (0 or absent when none). */
  lostChanges?: number | undefined;
  /** True when the board's folder cannot be written: reads work, every write is refused. */
  readOnly?: boolean | undefined;
  /** Other things the user should know about how the board was opened (a fallback lock, read-only). */
  notes?: string[] | undefined;
}

export interface Board extends BoardReader {
  /** The `.factory` folder. */
  readonly dir: string;
  /** The main checkout this board belongs to. */
  readonly repoRoot: string;
  /** This process's identity in leases and runs. */
  readonly ownerId: string;
  readonly openReport: OpenReport;
  readonly onDidChange: Event<StoreChange>;
  /**
   * Runs `fn` in one transaction after taking the cross-process lock and catching up with other
   * processes; resolves when the change is on disk. A throw rolls everything back.
   *
   * A transition that needs the ticket's change scanned at its current state (see
   * src/domain/securityScan.ts) asks the Security gate set with `setSecurityGate`: the
   * transaction is rolled back, the gate scans outside the lock, and `fn` runs again, so `fn` must
   * be safe to run more than once (it is a transaction body: it only reads and writes through `tx`).
   */
  write<T>(fn: (tx: BoardTx) => T): Promise<T>;
  /**
   * Who scans a ticket's change when a transition needs it: this process's Security scan, or
   * undefined when this process cannot scan (then such transitions are refused, with why).
   */
  setSecurityGate(gate: SecurityGate | undefined): void;
  /** Picks up other processes' changes now (also done on a timer and before every write). */
  refresh(): Promise<void>;
  /** Takes or renews a lease; true when this process holds it afterwards. */
  acquireLease(name: string, timeoutMs: number): Promise<boolean>;
  releaseLease(name: string): Promise<void>;
  /** True when the lease's holder has heartbeated within `timeoutMs`. */
  isLeaseLive(lease: Lease | undefined, timeoutMs: number): boolean;
  close(): Promise<void>;
}
