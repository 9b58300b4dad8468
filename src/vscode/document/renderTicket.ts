/**
 * The ticket document: a ticket rendered as markdown for `agent-factory:/T-12.md`. Pure, so it
 * is tested in plain node. The header has a fixed number of lines, so the Check-ins heading,
 * where comment threads are anchored, sits at the same line however the ticket changes.
 */
import { formatPercent, type CheckIn } from '../../domain/checkin';
import type { Conversation } from '../../domain/conversation';
import { isLive, type Run } from '../../domain/run';
import { needsInput } from '../../domain/runAttention';
import { notScannedWhy, shortCommit, type SecurityScanRecord } from '../../domain/securityScan';
import { formatBytes, type Salvage } from '../../domain/salvage';
import { formatUsage } from '../../domain/usage';
import { ticketUsage } from '../../runner/budget';
import { isStatus } from '../../domain/status';
import type { Bug, HistoryEntry, Ticket } from '../../domain/ticket';
import type { RecordedChange } from '../../store/api';
import { priorityName, statusLabel } from '../tickets/statusLabels';
import { CHANGES_HEADING, changesSection } from './renderChanges';
import { escapeBlock, escapeInline } from './untrustedText';

export interface TicketDocumentData {
  ticket: Ticket;
  bugs: readonly Bug[];
  runs: readonly Run[];
  history: readonly HistoryEntry[];
  checkIns: readonly CheckIn[];
  conversations: readonly Conversation[];
  /** The tickets this one depends on, as they are now (a deleted one is left out). */
  dependencies: readonly Pick<Ticket, 'id' | 'title' | 'status'>[];
  /** The last Security scan of the ticket's change. */
  securityScan?: SecurityScanRecord | undefined;
  /** Where a gathered ticket's item is in the code now (repository-relative file, 1-based line). */
  location?: { file: string; line: number } | undefined;
  /** What the ticket changes against its base (the conflict radar's record); shown once it has a worktree. */
  changes?: readonly RecordedChange[] | undefined;
  /** Salvages of the ticket's removed worktrees, oldest first. */
  salvages: readonly Salvage[];
}

/** The prefix of the Details line that names a gathered item's place in the code; the editor links it to the file. */
export const LOCATION_PREFIX = '- Location: ';

/** 0-based line of the "## Check-ins" heading; comment threads on the document sit here. */
export const CHECK_INS_LINE = 4;

export function renderTicketDocument(data: TicketDocumentData): string {
  const { ticket } = data;
  const lines = [
    `# ${ticket.id}: ${escapeInline(ticket.title) || '(untitled)'}`,
    '',
    `**Status:** ${statusLabel(ticket.status)} (${ticket.status}) · **Priority:** ${priorityName(ticket.priority)} · **Type:** ${escapeInline(ticket.type)} · **Source:** ${escapeInline(ticket.source)}`,
    '',
    '## Check-ins',
    '',
    checkInsSummary(data),
    '',
    ...section('Details', details(ticket, data.dependencies, data.location)),
    ...section('Description', [ticket.description.trim() ? escapeBlock(ticket.description) : '_No description._']),
    ...section('Acceptance criteria', ticket.acceptanceCriteria.length > 0 ? ticket.acceptanceCriteria.map((c) => `- ${escapeInline(c)}`) : ['_None yet._']),
    ...(ticket.worktree ? [CHANGES_HEADING, '', ...changesSection(data.changes ?? []), ''] : []),
    ...section('Bugs', bugLines(data.bugs)),
    ...(data.securityScan !== undefined || ticket.worktree !== undefined ? section('Security scan', scanLines(data.securityScan)) : []),
    ...section('Runs', runLines(data.runs)),
    ...(data.salvages.length > 0 ? section('Salvages', salvageLines(data.salvages)) : []),
    ...section('History', data.history.length > 0 ? data.history.map(historyLine) : ['_No history._']),
  ];
  while (lines[lines.length - 1] === '') lines.pop();
  return `${lines.join('\n')}\n`;
}

/** What the document says when its ticket cannot be shown. */
export function renderUnavailable(ticketId: string, why: string): string {
  return `# ${escapeInline(ticketId)}\n\n${escapeInline(why)}\n`;
}

function section(title: string, body: string[]): string[] {
  return [`## ${title}`, '', ...body, ''];
}

/** Always exactly one line, so everything below the Check-ins heading keeps its place. */
function checkInsSummary(data: TicketDocumentData): string {
  const total = data.conversations.length;
  const open = data.conversations.filter((c) => c.status !== 'resolved').length;
  const threads = total === 0 ? 'No conversations yet.' : `${total} conversation${total === 1 ? '' : 's'}, ${open} open.`;
  const latest = [...data.checkIns].sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!latest) return threads;
  const state = latest.resolved ? 'resolved' : latest.actionRequired ? 'needs attention' : 'recorded';
  return `${threads} Latest check-in ${formatTime(latest.createdAt)}: ${latest.type}, ${formatPercent(latest.findings.progressPercent)} (${state}). ${escapeInline(latest.summary)}`.trim();
}

function details(ticket: Ticket, dependencies: TicketDocumentData['dependencies'], location: TicketDocumentData['location']): string[] {
  const out: string[] = [];
  if (location) out.push(`${LOCATION_PREFIX}${escapeInline(location.file)}:${location.line}`);
  out.push(`- Labels: ${ticket.labels.length > 0 ? ticket.labels.map(escapeInline).join(', ') : 'none'}`);
  out.push(`- Depends on: ${dependencies.length > 0 ? dependencies.map(dependencyText).join(', ') : 'nothing'}`);
  const waiting = dependencies.filter((d) => d.status !== 'DONE');
  if (ticket.status === 'READY' && waiting.length > 0) out.push(`- Waiting on ${waiting.map((d) => d.id).join(', ')} before it can start`);
  if (ticket.assignedAgent) out.push(`- Assigned: ${escapeInline(ticket.assignedAgent)}`);
  if (ticket.status === 'BLOCKED') {
    out.push(`- Blocked from ${ticket.blockedFrom ?? 'an unknown status'}: ${ticket.blockedReason ? escapeInline(ticket.blockedReason) : 'no reason given'}`);
  }
  if (ticket.worktree) {
    out.push(`- Worktree: ${escapeInline(ticket.worktree.path)}`);
    out.push(`- Branch: ${escapeInline(ticket.worktree.branch)} (from ${escapeInline(ticket.worktree.base)})`);
  } else {
    out.push('- Worktree: none yet');
  }
  if (ticket.fingerprint) out.push(`- Fingerprint: ${escapeInline(ticket.fingerprint)}`);
  if (ticket.healCount > 0) out.push(`- Self-healed: ${ticket.healCount} time${ticket.healCount === 1 ? '' : 's'}`);
  out.push(`- Created: ${formatTime(ticket.createdAt)}; updated: ${formatTime(ticket.updatedAt)}; ${ticket.status} since ${formatTime(ticket.statusSince)}`);
  return out;
}

function dependencyText(d: TicketDocumentData['dependencies'][number]): string {
  return `${d.id} ${escapeInline(d.title)} (${statusLabel(d.status)})`;
}

function bugLines(bugs: readonly Bug[]): string[] {
  if (bugs.length === 0) return ['_No bugs._'];
  const open = bugs.filter((b) => !b.fixed);
  const fixed = bugs.filter((b) => b.fixed);
  return [
    `### Open (${open.length})`,
    '',
    ...(open.length > 0 ? open.map(bugLine) : ['_None._']),
    '',
    `### Fixed (${fixed.length})`,
    '',
    ...(fixed.length > 0 ? fixed.map(bugLine) : ['_None._']),
  ];
}

function bugLine(bug: Bug): string {
  const where = bug.file ? ` in ${escapeInline(bug.file)}${bug.line !== undefined ? ` line ${bug.line}` : ''}` : '';
  const fixedAt = bug.fixed && bug.fixedAt !== undefined ? `, fixed ${formatTime(bug.fixedAt)}` : '';
  const description = bug.description.trim() ? `: ${escapeInline(bug.description)}` : '';
  return `- **${bug.severity}** ${escapeInline(bug.title)}${where} (found by ${escapeInline(bug.foundBy)}${fixedAt})${description}`;
}

function scanLines(scan: SecurityScanRecord | undefined): string[] {
  if (!scan) return ['_Not scanned yet._'];
  const state = scan.dirty ? ' with uncommitted changes' : '';
  const blockers = scan.blockers === 0 ? 'no open critical/high finding' : `${scan.blockers} open critical/high finding${scan.blockers === 1 ? '' : 's'}`;
  const out = [
    `- Last scan ${formatTime(scan.scannedAt)} at commit ${shortCommit(scan)}${state}: ${scan.files} changed file${scan.files === 1 ? '' : 's'}, ${blockers}${scan.complete ? '' : ' (not finished: files left for the next cycle)'}`,
  ];
  if (scan.notScanned.length > 0) {
    out.push(`- Not scanned (${scan.notScanned.length}):`);
    for (const n of scan.notScanned) out.push(`  - ${escapeInline(n.path)}: ${notScannedWhy(n.reason)}`);
  }
  return out;
}

function runLines(runs: readonly Run[]): string[] {
  if (runs.length === 0) return ['_No runs yet._'];
  const lines = [...runs].sort((a, b) => a.startedAt - b.startedAt).map(runLine);
  const used = ticketUsage(runs.map((r) => r.usage));
  if (used) lines.push('', `**Tokens, all runs:** ${formatUsage(used)}`);
  return lines;
}

function runLine(run: Run): string {
  const ended = run.endedAt !== undefined ? `, ended ${formatTime(run.endedAt)}` : '';
  const exit = run.exitCode !== undefined ? `, exit code ${run.exitCode}` : '';
  const note = run.note ? `: ${escapeInline(run.note)}` : '';
  const tokens = run.usage ? ` · tokens: ${formatUsage(run.usage)}` : '';
  const waiting = needsInput(run) ? ` · **needs input:** ${escapeInline(run.attention?.needsInput?.reason ?? '')}` : '';
  const loop = isLive(run) && run.attention?.loop ? ` · **repeats itself:** ${escapeInline(run.attention.loop.evidence)}` : '';
  return `- ${formatTime(run.startedAt)} ${isStatus(run.stage) ? run.stage : escapeInline(run.stage)} by ${escapeInline(run.agent)}, attempt ${run.attempt}: ${run.status}${exit}${ended}${note}${tokens}${waiting}${loop}`;
}

function salvageLines(salvages: readonly Salvage[]): string[] {
  return [
    ...salvages.map(salvageLine),
    '',
    '_Restore one with **Restore Worktree** (or `agent-factory restore <id>`); a salvage is deleted only with **Delete Salvage...** (or `agent-factory delete-salvage <id>`)._',
  ];
}

function salvageLine(s: Salvage): string {
  const where = s.summary.folderGone ? 'git state only (the folder was already gone)' : `${s.summary.files} file${s.summary.files === 1 ? '' : 's'}${s.summary.archivedCount ? `, ${s.summary.archivedCount} archived` : ''}`;
  const branch = s.branch ? ` on ${escapeInline(s.branch)}` : ' (detached)';
  const leftOut =
    s.summary.leftOutCount > 0
      ? ` Left out: ${s.summary.leftOut.map((l) => `${escapeInline(l.path)} (${l.why}, ${formatBytes(l.bytes)})`).join(', ')}${s.summary.leftOutCount > s.summary.leftOut.length ? ` and ${s.summary.leftOutCount - s.summary.leftOut.length} more` : ''}.`
      : '';
  const restored = s.restoredAt !== undefined ? ` Restored ${formatTime(s.restoredAt)} to ${escapeInline(s.restoredTo ?? '?')}.` : '';
  return `- ${s.id} · ${formatTime(s.createdAt)} · ${formatBytes(s.savedBytes)} (${where}; ${formatBytes(s.storedBytes)} on disk) from ${escapeInline(s.worktreePath)}${branch}: ${escapeInline(s.reason)}.${leftOut}${restored}`;
}

function historyLine(entry: HistoryEntry): string {
  const move = entry.from === null ? `created in ${entry.to}` : `${entry.from} → ${entry.to}`;
  const note = entry.note ? `: ${escapeInline(entry.note)}` : '';
  return `- ${formatTime(entry.at)} ${move} by ${escapeInline(entry.by)}${note}`;
}

/** UTC, to the minute: the same text on every machine and in every test. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown time';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
