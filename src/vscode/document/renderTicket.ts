/**
 * The ticket page: a ticket rendered as plain, structured text for `agent-factory:/T-12`. Plain
 * text is shown as written, so nothing is escaped and nothing a ticket says can become a link,
 * HTML or an icon: untrusted text is inert by construction (only hidden and reordering
 * characters are replaced). Section headings start at the first column; everything a ticket or an
 * agent wrote is indented under them, so no text can pose as a section of the page.
 *
 * What the page's actions and links attach to (conversation lines, run lines, file links) comes
 * back with the text, computed from validated data only. Pure, so it is tested in plain node.
 */
import * as path from 'node:path';
import { formatPercent, type CheckIn } from '../../domain/checkin';
import type { Conversation } from '../../domain/conversation';
import { formatDuration } from '../../domain/duration';
import { isTicketId } from '../../domain/ids';
import { isLive, type Run } from '../../domain/run';
import { needsInput } from '../../domain/runAttention';
import { formatBytes, type Salvage } from '../../domain/salvage';
import { notScannedWhy, shortCommit, type SecurityScanRecord } from '../../domain/securityScan';
import { isStatus } from '../../domain/status';
import type { Bug, HistoryEntry, Ticket } from '../../domain/ticket';
import { formatUsage } from '../../domain/usage';
import { actorName, describeHistory, priorityName, statusLabel } from '../../domain/vocabulary';
import { changeTotals, describeCounts, describeTotals } from '../../git/changeSummary';
import type { ChangedFile } from '../../git/port';
import type { AttentionItem } from '../../loop/attention';
import { ticketUsage } from '../../runner/budget';
import { runLogFile } from '../../runner/runFiles';
import type { RecordedChange } from '../../store/api';
import { fileInWorktree } from '../comments/threadPlacement';
import { oneLine, sanitizeText } from './untrustedText';

export interface TicketDocumentData {
  ticket: Ticket;
  bugs: readonly Bug[];
  runs: readonly Run[];
  history: readonly HistoryEntry[];
  checkIns: readonly CheckIn[];
  conversations: readonly Conversation[];
  /** Messages per conversation id: how many, and the latest one's author and time. */
  threadStats: ReadonlyMap<string, { count: number; latestAt?: number | undefined; latestBy?: string | undefined }>;
  /** The tickets this one depends on, as they are now (a deleted one is left out). */
  dependencies: readonly Pick<Ticket, 'id' | 'title' | 'status'>[];
  /** What needs a person on this ticket (src/loop/attention.ts). */
  attention: readonly AttentionItem[];
  /** Files the ticket changed against its base, read from git; undefined while unknown, text when they could not be read. */
  changedFiles?: readonly ChangedFile[] | string | undefined;
  /** What the ticket changes against its base with +/- lines (the conflict radar's record); preferred over `changedFiles` once recorded. */
  changes?: readonly RecordedChange[] | undefined;
  /** The last Security scan of the ticket's change. */
  securityScan?: SecurityScanRecord | undefined;
  /** Where a gathered ticket's item is in the code now (repository-relative file, 1-based line; `fsPath` once checked inside the repository). */
  location?: { file: string; line: number; fsPath?: string | undefined } | undefined;
  /** Salvages of the ticket's removed worktrees, oldest first. */
  salvages?: readonly Salvage[] | undefined;
  /** The board folder, where run logs live. */
  boardDir: string;
  now: number;
  /** How a time reads (the user's locale in the editor). */
  time: (ms: number) => string;
}

/** Where a link on the page leads; built only from validated ids and paths. */
export type PageTarget =
  | { kind: 'file'; fsPath: string; line?: number | undefined }
  | { kind: 'ticket'; ticketId: string }
  | { kind: 'worktree'; ticketId: string }
  /** The diff of one recorded changed file (Review Changes' diff of that file). */
  | { kind: 'diff'; ticketId: string; path: string };

export interface PageLink {
  line: number;
  start: number;
  end: number;
  target: PageTarget;
}

export interface TicketPage {
  ticketId: string;
  text: string;
  /** Each conversation's line in the Conversations section. */
  conversationLines: ReadonlyMap<string, number>;
  runLines: ReadonlyMap<string, number>;
  bugLines: ReadonlyMap<string, number>;
  worktreeLine?: number | undefined;
  links: readonly PageLink[];
}

/** 0-based line of the title: the page's actions sit here. */
export const TITLE_LINE = 0;
/**
 * 0-based line of the Conversations heading. The lines above it are fixed, so each thread's line
 * (CONVERSATIONS_LINE + 1 + its place in conversationOrder) is known without rendering the page.
 */
export const CONVERSATIONS_LINE = 4;
const INDENT = '  ';
const RULE_WIDTH = 72;

/** Conversations in the order the page lists them: oldest first, so a new one never moves the others. */
export function conversationOrder<T extends Pick<Conversation, 'id' | 'createdAt'>>(conversations: readonly T[]): T[] {
  return [...conversations].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** The line of each conversation of one ticket on its page. */
export function conversationLines(conversations: readonly Pick<Conversation, 'id' | 'createdAt'>[]): Map<string, number> {
  return new Map(conversationOrder(conversations).map((c, i) => [c.id, CONVERSATIONS_LINE + 1 + i]));
}

type Part = string | { text: string; target: PageTarget | undefined };

class PageBuilder {
  readonly lines: string[] = [];
  readonly links: PageLink[] = [];

  /** Adds one line made of parts; a part with a target becomes a link. Returns its line number. */
  add(...parts: Part[]): number {
    const line = this.lines.length;
    let text = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        text += part;
        continue;
      }
      if (part.target && part.text.length > 0) this.links.push({ line, start: text.length, end: text.length + part.text.length, target: part.target });
      text += part.text;
    }
    this.lines.push(text.replace(/\s+$/, ''));
    return line;
  }

  heading(title: string): void {
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.add('');
    const text = `── ${title} `;
    this.add(text + '─'.repeat(Math.max(4, RULE_WIDTH - text.length)));
  }

  /** Multi-line untrusted text, indented, blank lines kept (at most one in a row). */
  block(text: string, indent = INDENT): void {
    let blank = false;
    for (const raw of sanitizeText(text).split('\n')) {
      const line = raw.trimEnd();
      if (line.trim().length === 0) {
        if (!blank) this.add('');
        blank = true;
        continue;
      }
      blank = false;
      this.add(indent + line);
    }
  }
}

export function renderTicketPage(data: TicketDocumentData): TicketPage {
  const { ticket } = data;
  const b = new PageBuilder();
  // The fixed header: CONVERSATIONS_LINE depends on it having exactly four lines.
  b.add(`${ticket.id}  ${oneLine(ticket.title) || '(untitled)'}`);
  b.add(statusLine(data));
  b.add(nowLine(data));
  b.add('');
  const conversationLinesById = conversationSection(b, data);
  detailsSection(b, data);
  b.heading('Description');
  if (ticket.description.trim()) b.block(ticket.description);
  else b.add(`${INDENT}No description.`);
  b.heading(`Acceptance criteria (${ticket.acceptanceCriteria.length})`);
  if (ticket.acceptanceCriteria.length === 0) b.add(`${INDENT}None written.`);
  ticket.acceptanceCriteria.forEach((c, i) => b.add(`${INDENT}${i + 1}. ${oneLine(c)}`));
  const bugLines = bugSection(b, data);
  securityScanSection(b, data);
  const runLines = runSection(b, data);
  changedFilesSection(b, data);
  salvageSection(b, data);
  b.heading('History');
  if (data.history.length === 0) b.add(`${INDENT}No history.`);
  for (const entry of data.history) b.add(`${INDENT}${data.time(entry.at)}  ${oneLine(describeHistory(entry))}`);
  return {
    ticketId: ticket.id,
    text: `${b.lines.join('\n')}\n`,
    conversationLines: conversationLinesById,
    runLines,
    bugLines,
    worktreeLine: worktreeLineOf(b),
    links: b.links,
  };
}

/** The line that shows the worktree path (its link is the Open Worktree action). */
function worktreeLineOf(b: PageBuilder): number | undefined {
  return b.links.find((l) => l.target.kind === 'worktree')?.line;
}

/** What the page says when its ticket cannot be shown. */
export function renderUnavailable(ticketId: string, why: string): string {
  return `${oneLine(ticketId)}\n\n${INDENT}${oneLine(why)}\n`;
}

function statusLine(data: TicketDocumentData): string {
  const t = data.ticket;
  const parts = [`${statusLabel(t.status)} since ${data.time(t.statusSince)}`, `${priorityName(t.priority)} priority`, t.type, `from ${actorName(t.source)}`];
  if (t.status === 'BLOCKED') parts.splice(1, 0, `blocked from ${t.blockedFrom ? statusLabel(t.blockedFrom) : 'an unknown status'}: ${oneLine(t.blockedReason ?? 'no reason given')}`);
  return parts.join(' · ');
}

/** One line: what needs a person, else what is happening now. */
function nowLine(data: TicketDocumentData): string {
  const [first, ...more] = data.attention;
  if (first) return `Needs you: ${oneLine(first.detail)}${more.length > 0 ? ` (and ${more.length} more)` : ''}`;
  const live = [...data.runs].filter(isLive).sort((a, b) => b.startedAt - a.startedAt)[0];
  if (live) {
    const progress = live.reportedProgress !== undefined ? `, ${formatPercent(live.reportedProgress, 0)}${live.progressNote ? `: ${oneLine(live.progressNote)}` : ''}` : '';
    return live.status === 'queued' ? `Queued: ${oneLine(live.agent)} starts when a slot is free` : `Working: ${oneLine(live.agent)} for ${formatDuration(data.now - live.startedAt)}${progress}`;
  }
  const latest = [...data.checkIns].sort((a, b) => b.createdAt - a.createdAt)[0];
  if (latest) return `Progress ${formatPercent(latest.findings.progressPercent, 0)} at the PM's last check-in (${data.time(latest.createdAt)})`;
  return 'Nothing is running on it.';
}

function conversationSection(b: PageBuilder, data: TicketDocumentData): Map<string, number> {
  const ordered = conversationOrder(data.conversations);
  const open = ordered.filter((c) => c.status !== 'resolved').length;
  const heading = b.lines.length;
  if (heading !== CONVERSATIONS_LINE) throw new Error(`the ticket page header has ${heading} lines, not ${CONVERSATIONS_LINE}`);
  b.heading(`Conversations (${ordered.length}, ${open} open)`);
  const lines = new Map<string, number>();
  if (ordered.length === 0) b.add(`${INDENT}None yet. Comment on the line above to ask the agents something.`);
  for (const c of ordered) {
    const stats = data.threadStats.get(c.id);
    const count = stats?.count ?? 0;
    const latest = stats?.latestAt !== undefined ? `, latest ${data.time(stats.latestAt)}${stats.latestBy ? ` by ${oneLine(actorName(stats.latestBy))}` : ''}` : '';
    const where = c.file ? fileInWorktree(data.ticket.worktree?.path, c.file) : undefined;
    const parts: Part[] = [`${INDENT}${c.status === 'resolved' ? '✓' : '●'} ${oneLine(c.title) || c.type} · ${c.status} · ${count} message${count === 1 ? '' : 's'}${latest}`];
    if (where && c.file) parts.push(' · on ', { text: `${oneLine(c.file)}${c.line !== undefined ? `:${c.line}` : ''}`, target: { kind: 'file', fsPath: where, line: c.line } });
    lines.set(c.id, b.add(...parts));
  }
  return lines;
}

function detailsSection(b: PageBuilder, data: TicketDocumentData): void {
  const t = data.ticket;
  b.heading('Details');
  const row = (label: string, ...parts: Part[]) => b.add(`${INDENT}${label.padEnd(13)}`, ...parts);
  if (data.dependencies.length === 0) row('Depends on', 'nothing');
  data.dependencies.forEach((d, i) => {
    const link: Part = { text: d.id, target: isTicketId(d.id) ? { kind: 'ticket', ticketId: d.id } : undefined };
    row(i === 0 ? 'Depends on' : '', link, ` ${oneLine(d.title)} (${statusLabel(d.status)})`);
  });
  const waiting = data.dependencies.filter((d) => d.status !== 'DONE');
  if (t.status === 'READY' && waiting.length > 0) row('', `waits on ${waiting.map((d) => d.id).join(', ')} before it can start`);
  if (data.location) {
    const place = `${oneLine(data.location.file)}:${data.location.line}`;
    row('Location', { text: place, target: data.location.fsPath ? { kind: 'file', fsPath: data.location.fsPath, line: data.location.line } : undefined });
  }
  row('Labels', t.labels.length > 0 ? t.labels.map(oneLine).join(', ') : 'none');
  if (t.worktree) {
    row('Worktree', { text: oneLine(t.worktree.path), target: { kind: 'worktree', ticketId: t.id } });
    row('Branch', `${oneLine(t.worktree.branch)} (from ${oneLine(t.worktree.base)})`);
  } else {
    row('Worktree', 'none yet (Start creates it)');
  }
  if (t.assignedAgent) row('Assigned', oneLine(t.assignedAgent));
  if (t.healCount > 0) row('Self-healed', `${t.healCount} time${t.healCount === 1 ? '' : 's'}`);
  if (t.fingerprint) row('Fingerprint', oneLine(t.fingerprint));
  row('Created', `${data.time(t.createdAt)}; updated ${data.time(t.updatedAt)}`);
}

function bugSection(b: PageBuilder, data: TicketDocumentData): Map<string, number> {
  const lines = new Map<string, number>();
  const open = data.bugs.filter((x) => !x.fixed && !x.dismissed);
  const dismissed = data.bugs.filter((x) => !x.fixed && x.dismissed);
  const fixed = data.bugs.filter((x) => x.fixed);
  const counts = [`${open.length} open`, ...(dismissed.length > 0 ? [`${dismissed.length} dismissed`] : []), `${fixed.length} fixed`];
  b.heading(`Bugs (${counts.join(', ')})`);
  if (data.bugs.length === 0) b.add(`${INDENT}No bugs.`);
  for (const bug of [...open, ...dismissed, ...fixed]) {
    const state = bug.fixed ? 'fixed' : bug.dismissed ? 'dismissed' : 'open';
    const where = bug.file ? fileInWorktree(data.ticket.worktree?.path, bug.file) : undefined;
    const parts: Part[] = [`${INDENT}${state.padEnd(10)}${bug.severity.padEnd(9)}${oneLine(bug.title)}`];
    if (bug.file) parts.push('  ', { text: `${oneLine(bug.file)}${bug.line !== undefined ? `:${bug.line}` : ''}`, target: where ? { kind: 'file', fsPath: where, line: bug.line } : undefined });
    parts.push(`  found by ${oneLine(bug.foundBy)}`);
    if (bug.dismissed) parts.push(`; dismissed by ${actorName(bug.dismissed.by)} as ${bug.dismissed.reason.replace(/-/g, ' ')} ${data.time(bug.dismissed.at)}`);
    else if (bug.fixed && bug.fixedAt !== undefined) parts.push(`; fixed ${data.time(bug.fixedAt)}`);
    lines.set(bug.id, b.add(...parts));
    if (bug.description.trim()) b.block(bug.description, INDENT.repeat(6));
  }
  return lines;
}

function runSection(b: PageBuilder, data: TicketDocumentData): Map<string, number> {
  const lines = new Map<string, number>();
  const runs = [...data.runs].sort((a, b2) => b2.startedAt - a.startedAt);
  b.heading(`Runs (${runs.length})`);
  if (runs.length === 0) b.add(`${INDENT}No runs yet.`);
  for (const run of runs) {
    const stage = isStatus(run.stage) ? statusLabel(run.stage) : oneLine(run.stage);
    const took = run.status === 'queued' ? 'waiting for a slot' : formatDuration((run.endedAt ?? data.now) - run.startedAt);
    const state = run.exitCode !== undefined && run.status !== 'succeeded' ? `${run.status} (exit ${run.exitCode})` : run.status;
    const facts = [`#${run.attempt} ${stage}`, oneLine(run.agent), state, took, `started ${data.time(run.startedAt)}`];
    if (isLive(run) && run.reportedProgress !== undefined) facts.push(`${formatPercent(run.reportedProgress, 0)}${run.progressNote ? `: ${oneLine(run.progressNote)}` : ''}`);
    if (run.usage) facts.push(`tokens ${formatUsage(run.usage)}`);
    if (needsInput(run)) facts.push(`needs input: ${oneLine(run.attention?.needsInput?.reason ?? '')}`);
    if (isLive(run) && run.attention?.loop) facts.push(`repeats itself (${run.attention.loop.repeats} times): ${oneLine(run.attention.loop.evidence)}`);
    const parts: Part[] = [INDENT + facts.join(' · ')];
    const log = run.logFile ? logPath(data.boardDir, run.id) : undefined;
    if (log) parts.push(' · ', { text: 'log', target: { kind: 'file', fsPath: log } });
    lines.set(run.id, b.add(...parts));
    const said = run.summary ?? (isLive(run) ? undefined : run.note);
    if (said?.trim()) b.add(`${INDENT.repeat(3)}${oneLine(said)}`);
  }
  const used = ticketUsage(runs.map((r) => r.usage));
  if (used) b.add(`${INDENT}Tokens, all runs: ${formatUsage(used)}`);
  return lines;
}

/** A run's log under the board folder, from its checked id; never the path the row holds. */
export function logPath(boardDir: string, runId: string): string | undefined {
  try {
    return path.isAbsolute(boardDir) ? runLogFile(boardDir, runId) : undefined;
  } catch {
    return undefined;
  }
}

function securityScanSection(b: PageBuilder, data: TicketDocumentData): void {
  const scan = data.securityScan;
  if (scan === undefined && data.ticket.worktree === undefined) return;
  b.heading('Security scan');
  if (!scan) {
    b.add(`${INDENT}Not scanned yet.`);
    return;
  }
  const state = scan.dirty ? ' with uncommitted changes' : '';
  const blockers = scan.blockers === 0 ? 'no open critical/high finding' : `${scan.blockers} open critical/high finding${scan.blockers === 1 ? '' : 's'}`;
  b.add(`${INDENT}Last scan ${data.time(scan.scannedAt)} at commit ${oneLine(shortCommit(scan))}${state}: ${scan.files} changed file${scan.files === 1 ? '' : 's'}, ${blockers}${scan.complete ? '' : ' (not finished: files left for the next cycle)'}`);
  if (scan.notScanned.length > 0) {
    b.add(`${INDENT}Not scanned (${scan.notScanned.length}):`);
    for (const n of scan.notScanned) b.add(`${INDENT.repeat(2)}${oneLine(n.path)}: ${notScannedWhy(n.reason)}`);
  }
}

function salvageSection(b: PageBuilder, data: TicketDocumentData): void {
  const salvages = data.salvages ?? [];
  if (salvages.length === 0) return;
  b.heading(`Salvages (${salvages.length})`);
  for (const s of salvages) {
    const where = s.summary.folderGone ? 'git state only (the folder was already gone)' : `${s.summary.files} file${s.summary.files === 1 ? '' : 's'}${s.summary.archivedCount ? `, ${s.summary.archivedCount} archived` : ''}`;
    const branch = s.branch ? ` on ${oneLine(s.branch)}` : ' (detached)';
    b.add(`${INDENT}${oneLine(s.id)} · ${data.time(s.createdAt)} · ${formatBytes(s.savedBytes)} (${where}; ${formatBytes(s.storedBytes)} on disk) from ${oneLine(s.worktreePath)}${branch}: ${oneLine(s.reason)}`);
    if (s.summary.leftOutCount > 0) {
      const more = s.summary.leftOutCount > s.summary.leftOut.length ? ` and ${s.summary.leftOutCount - s.summary.leftOut.length} more` : '';
      b.add(`${INDENT.repeat(3)}left out: ${s.summary.leftOut.map((l) => `${oneLine(l.path)} (${l.why}, ${formatBytes(l.bytes)})`).join(', ')}${more}`);
    }
    if (s.restoredAt !== undefined) b.add(`${INDENT.repeat(3)}restored ${data.time(s.restoredAt)} to ${oneLine(s.restoredTo ?? '?')}`);
  }
  b.add(`${INDENT}Restore one with Restore Worktree (or agent-factory restore <id>); a salvage is deleted only with Delete Salvage... (or agent-factory delete-salvage <id>).`);
}

const CHANGE_MARKS: Record<ChangedFile['kind'], string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typechange: 'T', untracked: 'U' };

function changedFilesSection(b: PageBuilder, data: TicketDocumentData): void {
  const worktree = data.ticket.worktree;
  if (!worktree) return;
  if (data.changes && data.changes.length > 0) {
    recordedChangesSection(b, data.ticket.id, data.changes);
    return;
  }
  const files = data.changedFiles;
  b.heading(files === undefined || typeof files === 'string' ? 'Changed files' : `Changed files (${files.length})`);
  if (files === undefined || typeof files === 'string') {
    b.add(`${INDENT}${files === undefined ? 'Not read yet.' : `They ${oneLine(files)}`}`);
    return;
  }
  if (files.length === 0) b.add(`${INDENT}No changes against ${oneLine(worktree.base)}.`);
  for (const f of files) {
    const fsPath = f.kind === 'deleted' ? undefined : fileInWorktree(worktree.path, f.path);
    const renamed = f.oldPath ? ` (from ${oneLine(f.oldPath)})` : '';
    b.add(`${INDENT}${CHANGE_MARKS[f.kind]} `, { text: oneLine(f.path), target: fsPath ? { kind: 'file', fsPath } : undefined }, renamed);
  }
}

/**
 * The conflict radar's record of what the ticket changes, with +/- lines: each path opens that
 * file's diff (the link's target is the ticket id and the recorded path, never page text).
 */
function recordedChangesSection(b: PageBuilder, ticketId: string, changes: readonly RecordedChange[]): void {
  b.heading(`Changes (${changes.length})`);
  const base = changes[0]?.base ?? '';
  b.add(`${INDENT}${describeTotals(changeTotals(changes))} against ${oneLine(base)}. Open a file's diff from its path, or all of them with Review Changes.`);
  for (const c of changes) {
    b.add(`${INDENT}${changeMark(c.kind)} `, { text: oneLine(c.path), target: { kind: 'diff', ticketId, path: c.path } }, `  ${describeCounts(c)}`);
  }
}

function changeMark(kind: string): string {
  return kind in CHANGE_MARKS ? CHANGE_MARKS[kind as ChangedFile['kind']] : '?';
}
