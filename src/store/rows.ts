/** Database rows to domain entities. Optional fields come back undefined, never null. */
import type { CheckIn, CheckInType, Findings } from '../domain/checkin';
import type { Conversation, ConversationStatus, ConversationType, Message, MessageKind } from '../domain/conversation';
import { RUN_STATUSES, type Run, type RunStatus, type Verdict } from '../domain/run';
import type { NotScannedFile, SecurityScanRecord } from '../domain/securityScan';
import type { Salvage, SalvageSummary } from '../domain/salvage';
import { STATUSES, type Status } from '../domain/status';
import { parseRunAttention } from '../domain/runAttention';
import type { TokenUsage } from '../domain/usage';
import { TICKET_SOURCES, TICKET_TYPES, type Bug, type DismissReason, type HistoryEntry, type Priority, type Severity, type Ticket, type TicketSource, type TicketType, type Worktree } from '../domain/ticket';
import type { AgentState, Finding, Lease, RecordedChange } from './api';
import type { Row } from './sqlite';

function str(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}
/**
 * The statuses, types and sources every row repeats, one string each: sql.js makes a new string
 * of every value it reads, and the store keeps thousands of decoded tickets for the collector to
 * walk.
 */
const WORDS = new Map<string, string>([...STATUSES, ...TICKET_TYPES, ...TICKET_SOURCES, ...RUN_STATUSES].map((w) => [w, w]));
function word(v: unknown): string {
  const s = str(v);
  return WORDS.get(s) ?? s;
}
/** `[]` decoded once: most tickets have no labels and no dependencies (decoded tickets are frozen). */
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];
function strings(v: unknown): string[] {
  return v === '[]' ? NO_STRINGS : json<string[]>(v, []);
}
function optStr(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : str(v);
}
function optWord(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : word(v);
}
function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
function optNum(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : num(v);
}
function json<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
function optJson<T>(v: unknown): T | undefined {
  return typeof v === 'string' ? json<T | undefined>(v, undefined) : undefined;
}

export function toTicket(r: Row): Ticket {
  return {
    id: str(r.id),
    title: str(r.title),
    description: str(r.description),
    acceptanceCriteria: strings(r.acceptance_criteria),
    priority: num(r.priority) as Priority,
    type: word(r.type) as TicketType,
    labels: strings(r.labels),
    source: word(r.source) as TicketSource,
    fingerprint: optStr(r.fingerprint),
    status: word(r.status) as Status,
    blockedFrom: optWord(r.blocked_from) as Status | undefined,
    blockedReason: optStr(r.blocked_reason),
    assignedAgent: optStr(r.assigned_agent),
    worktree: optJson<Worktree>(r.worktree),
    dependsOn: strings(r.depends_on),
    healCount: num(r.heal_count),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    statusSince: num(r.status_since),
  };
}

export function toHistory(r: Row): HistoryEntry {
  return {
    ticketId: str(r.ticket_id),
    from: (optStr(r.from_status) ?? null) as Status | null,
    to: str(r.to_status) as Status,
    at: num(r.at),
    by: str(r.by),
    note: optStr(r.note),
  };
}

function toUsage(r: Row): TokenUsage | undefined {
  if (r.input_tokens === null || r.input_tokens === undefined) return undefined;
  return { inputTokens: num(r.input_tokens), outputTokens: num(r.output_tokens ?? 0), cachedTokens: num(r.cached_tokens ?? 0), costUsd: optNum(r.cost_usd) };
}

export function toBug(r: Row): Bug {
  return {
    id: str(r.id),
    ticketId: str(r.ticket_id),
    title: str(r.title),
    description: str(r.description),
    severity: str(r.severity) as Severity,
    foundBy: str(r.found_by),
    file: optStr(r.file),
    line: optNum(r.line),
    rule: optStr(r.rule),
    fingerprint: optStr(r.fingerprint),
    fixed: num(r.fixed) !== 0,
    fixedAt: optNum(r.fixed_at),
    // Present only on a dismissed bug, so a bug reads the same as before dismissals existed.
    ...(r.dismissed_reason === null || r.dismissed_reason === undefined
      ? {}
      : { dismissed: { reason: str(r.dismissed_reason) as DismissReason, by: str(r.dismissed_by ?? 'user'), at: num(r.dismissed_at ?? 0) } }),
    createdAt: num(r.created_at),
  };
}

export function toRun(r: Row): Run {
  return {
    id: str(r.id),
    ticketId: str(r.ticket_id),
    stage: word(r.stage),
    agent: str(r.agent),
    worktree: optStr(r.worktree),
    owner: str(r.owner),
    pid: optNum(r.pid),
    startedAt: num(r.started_at),
    heartbeatAt: num(r.heartbeat_at),
    lastOutputAt: optNum(r.last_output_at),
    endedAt: optNum(r.ended_at),
    status: word(r.status) as RunStatus,
    exitCode: optNum(r.exit_code),
    attempt: num(r.attempt),
    logFile: optStr(r.log_file),
    processStart: optStr(r.process_start),
    reportedProgress: optNum(r.reported_progress),
    ...(r.progress_note === null || r.progress_note === undefined ? {} : { progressNote: str(r.progress_note) }),
    note: optStr(r.note),
    usage: toUsage(r),
    attention: parseRunAttention(optJson<unknown>(r.attention)),
    verdict: optStr(r.verdict) as Verdict | undefined,
    summary: optStr(r.summary),
  };
}

export function toCheckIn(r: Row): CheckIn {
  return {
    id: str(r.id),
    ticketId: str(r.ticket_id),
    type: str(r.type) as CheckInType,
    summary: str(r.summary),
    findings: json<Findings>(r.findings, { progressPercent: 0, concerns: [], blockers: [], achievements: [], evidence: [], stalled: false }),
    actionRequired: num(r.action_required) !== 0,
    resolved: num(r.resolved) !== 0,
    conversationId: optStr(r.conversation_id),
    createdAt: num(r.created_at),
  };
}

export function toConversation(r: Row): Conversation {
  return {
    id: str(r.id),
    ticketId: str(r.ticket_id),
    type: str(r.type) as ConversationType,
    title: str(r.title),
    status: str(r.status) as ConversationStatus,
    file: optStr(r.file),
    line: optNum(r.line),
    key: optStr(r.key),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toMessage(r: Row): Message {
  return {
    id: str(r.id),
    conversationId: str(r.conversation_id),
    author: str(r.author),
    kind: str(r.kind) as MessageKind,
    body: str(r.body),
    metadata: optJson<Record<string, unknown>>(r.metadata),
    toAgent: num(r.to_agent ?? 0) !== 0,
    readAt: optNum(r.read_at),
    readBy: optStr(r.read_by),
    createdAt: num(r.created_at),
  };
}

export function toFinding(r: Row): Finding {
  return {
    fingerprint: str(r.fingerprint),
    scanner: str(r.scanner),
    ticketId: optStr(r.ticket_id),
    kind: str(r.kind),
    file: str(r.file),
    line: num(r.line),
    text: str(r.text),
    data: optJson<Record<string, unknown>>(r.data),
    firstSeenAt: num(r.first_seen_at),
    lastSeenAt: num(r.last_seen_at),
    goneAt: optNum(r.gone_at),
  };
}

export function toAgentState(r: Row): AgentState {
  return {
    name: str(r.name),
    paused: num(r.paused) !== 0,
    lastCycleAt: optNum(r.last_cycle_at),
    status: optJson<Record<string, unknown>>(r.status),
  };
}

export function toLease(r: Row): Lease {
  return { name: str(r.name), owner: str(r.owner), heartbeatAt: num(r.heartbeat_at), acquiredAt: num(r.acquired_at) };
}

export function toSecurityScan(r: Row): SecurityScanRecord {
  const notScanned = json<unknown>(r.not_scanned, []);
  return {
    ticketId: str(r.ticket_id),
    commit: optStr(r.commit_sha),
    state: str(r.state),
    dirty: num(r.dirty) !== 0,
    complete: num(r.complete) !== 0,
    files: num(r.files),
    blockers: num(r.blockers),
    notScanned: Array.isArray(notScanned) ? (notScanned as NotScannedFile[]) : [],
    scannedAt: num(r.scanned_at),
  };
}

export function toChangedFile(r: Row): RecordedChange {
  return {
    ticketId: str(r.ticket_id),
    path: str(r.path),
    kind: str(r.kind),
    additions: optNum(r.additions),
    deletions: optNum(r.deletions),
    base: str(r.base),
    recordedAt: num(r.recorded_at),
  };
}

export function toSalvage(r: Row): Salvage {
  return {
    id: str(r.id),
    ticketId: optStr(r.ticket_id),
    createdAt: num(r.created_at),
    worktreePath: str(r.worktree_path),
    branch: optStr(r.branch),
    head: optStr(r.head),
    refPrefix: str(r.ref_prefix),
    archiveDir: str(r.archive_dir),
    savedBytes: num(r.saved_bytes),
    storedBytes: num(r.stored_bytes),
    reason: str(r.reason),
    summary: json<SalvageSummary>(r.summary, { files: 0, archived: [], archivedCount: 0, leftOut: [], leftOutCount: 0, nestedRepos: [], folderGone: false }),
    restoredAt: optNum(r.restored_at),
    restoredTo: optStr(r.restored_to),
  };
}
