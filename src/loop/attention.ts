/**
 * What needs a person on the board, ticket by ticket: open critical or high Security findings,
 * stalled runs, runs that asked for a person, stuck tickets, BLOCKED tickets, and active tickets
 * the PM found blocked for another reason. The status bar, its tooltip, the Tickets view's marks
 * and badge and `agent-factory status` all read this one list, so their numbers agree. Pure reads.
 */
import type { PmReport } from '../agents/pm/report';
import { isDismissed, SECURITY_AUTHOR } from '../domain/gates';
import { isLive, LIVE_RUN_STATUSES } from '../domain/run';
import { runsNeedingInput } from '../domain/runAttention';
import { isActive } from '../domain/status';
import type { Severity } from '../domain/ticket';
import type { BoardReader } from '../store/api';
import { awaitingAnswer } from './inbox';
import { waitingForPerson, type StageConfig } from './stageHandling';

export const ATTENTION_KINDS = ['finding', 'needsInput', 'stalled', 'stuck', 'blocked', 'waiting', 'review'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface AttentionItem {
  kind: AttentionKind;
  ticketId: string;
  /** One line about it, in plain text (agent and ticket text in it is untrusted). */
  detail: string;
  /** For a finding: how bad. */
  severity?: 'critical' | 'high' | undefined;
  /** An agent asked a question only a person can answer. */
  question?: boolean | undefined;
  /** The run it is about (stalled, needs input). */
  runId?: string | undefined;
}

export interface AttentionInput {
  report: PmReport | undefined;
  /**
   * The stages each ticket's pipeline hands to a person (settings): with them, tickets waiting in
   * such a stage with no run are listed as waiting for review.
   */
  stages?: StageConfig | undefined;
  /** Agents of this board whose owner is gone (listed in the Agents view with Stop). */
  orphans?: number | undefined;
}

export interface Attention {
  items: AttentionItem[];
  /** Items per kind; findings counted one by one, the rest one per ticket. */
  counts: Record<AttentionKind, number>;
  criticalFindings: number;
  /** Agents of this board whose owner is gone: not a ticket's, so counted apart from `items`. */
  orphans: number;
  /** Every ticket that needs a person, each once, in the order of their first item. */
  tickets: string[];
  /** `error` for a critical finding, `warning` for anything else, `ok` for nothing. */
  level: 'ok' | 'warning' | 'error';
}

export function boardAttention(reader: BoardReader, input: AttentionInput): Attention {
  const items: AttentionItem[] = [];
  const findingTickets = new Set<string>();
  for (const item of openFindings(reader)) {
    items.push(item);
    findingTickets.add(item.ticketId);
  }
  // What the runs recorded on the board (their hooks, a prompt in their output), so every window
  // and the CLI count the same runs.
  for (const run of runsNeedingInput(reader.listRuns({ status: LIVE_RUN_STATUSES }))) {
    items.push({ kind: 'needsInput', ticketId: run.ticketId, runId: run.id, detail: `run ${run.id} (${run.agent}) asks: ${run.attention?.needsInput?.reason ?? ''}`, question: true });
  }
  const report = input.report;
  for (const mark of report?.runs ?? []) {
    const run = reader.getRun(mark.runId);
    if (!run || !isLive(run) || !(mark.stalled || mark.overrun)) continue;
    items.push({ kind: 'stalled', ticketId: run.ticketId, runId: run.id, detail: `run ${run.id} (${run.agent}) ${mark.overrun ? 'ran over its time limit' : 'shows no progress'}` });
  }
  for (const id of report?.stuck ?? []) {
    if (reader.getTicket(id)?.status === 'IN_DEV') items.push({ kind: 'stuck', ticketId: id, detail: 'in development with no agent working on it' });
  }
  for (const ticket of reader.listTickets({ status: 'BLOCKED' })) {
    const question = awaitingAnswer(reader, ticket);
    const why = question ? `its agent asks: ${question.summary ?? ticket.blockedReason ?? ''}` : (ticket.blockedReason ?? 'no reason given');
    items.push({ kind: 'blocked', ticketId: ticket.id, detail: why, ...(question ? { question: true } : {}) });
  }
  // A blocker inside a PM check-in is counted as what it is: a finding above, anything else
  // (a failed stage nobody restarted, a missing worktree) as waiting for a person.
  for (const id of report?.blocked ?? []) {
    const ticket = reader.getTicket(id);
    if (!ticket || !isActive(ticket.status) || findingTickets.has(id)) continue;
    const checkIn = reader.latestCheckIn(id);
    const blocker = checkIn?.type === 'blocker' && !checkIn.resolved ? checkIn.findings.blockers[0] : undefined;
    if (blocker !== undefined) items.push({ kind: 'waiting', ticketId: id, detail: blocker });
  }
  if (input.stages) {
    const pipeline = input.stages.pipeline();
    for (const ticket of waitingForPerson(reader, input.stages)) {
      const unlisted = pipeline.includes(ticket.status) ? '' : ' (agentFactory.pipeline no longer lists it)';
      items.push({ kind: 'review', ticketId: ticket.id, detail: `waiting for review in ${ticket.status}${unlisted}` });
    }
  }
  return summarize(items, input.orphans ?? 0);
}

function* openFindings(reader: BoardReader): Generator<AttentionItem> {
  const byTicket = new Map<string, Set<string>>();
  for (const f of reader.listFindings({ scanner: 'security' })) {
    if (f.ticketId === undefined) continue;
    let set = byTicket.get(f.ticketId);
    if (!set) byTicket.set(f.ticketId, (set = new Set()));
    set.add(f.fingerprint);
  }
  for (const [ticketId, fingerprints] of byTicket) {
    for (const bug of reader.listBugs(ticketId)) {
      if (bug.foundBy !== SECURITY_AUTHOR || bug.fixed || isDismissed(bug) || !isSerious(bug.severity)) continue;
      if (bug.fingerprint === undefined || !fingerprints.has(bug.fingerprint)) continue;
      yield { kind: 'finding', ticketId, severity: bug.severity, detail: `${bug.severity}: ${bug.title}${bug.line !== undefined ? ` (line ${bug.line})` : ''}` };
    }
  }
}

function isSerious(s: Severity): s is 'critical' | 'high' {
  return s === 'critical' || s === 'high';
}

function summarize(items: AttentionItem[], orphans: number): Attention {
  const counts = Object.fromEntries(ATTENTION_KINDS.map((k) => [k, 0])) as Record<AttentionKind, number>;
  const perTicket = new Set<string>();
  const tickets: string[] = [];
  for (const item of items) {
    if (item.kind === 'finding') counts.finding++;
    else if (!perTicket.has(`${item.kind}:${item.ticketId}`)) {
      perTicket.add(`${item.kind}:${item.ticketId}`);
      counts[item.kind]++;
    }
    if (!tickets.includes(item.ticketId)) tickets.push(item.ticketId);
  }
  const criticalFindings = items.filter((i) => i.kind === 'finding' && i.severity === 'critical').length;
  return { items, counts, criticalFindings, orphans, tickets, level: criticalFindings > 0 ? 'error' : items.length > 0 || orphans > 0 ? 'warning' : 'ok' };
}

/** "1 critical finding · 2 stalled · 1 blocked": what the status bar says, in a fixed order. */
export function attentionHeadline(a: Attention): string[] {
  const parts: string[] = [];
  const high = a.counts.finding - a.criticalFindings;
  if (a.criticalFindings) parts.push(`${a.criticalFindings} critical finding${a.criticalFindings === 1 ? '' : 's'}`);
  if (high) parts.push(`${high} high finding${high === 1 ? '' : 's'}`);
  if (a.counts.needsInput) parts.push(`${a.counts.needsInput} need${a.counts.needsInput === 1 ? 's' : ''} input`);
  if (a.counts.stalled) parts.push(`${a.counts.stalled} stalled`);
  if (a.orphans) parts.push(`${a.orphans} orphaned`);
  if (a.counts.stuck) parts.push(`${a.counts.stuck} stuck`);
  if (a.counts.blocked) parts.push(`${a.counts.blocked} blocked`);
  if (a.counts.waiting) parts.push(`${a.counts.waiting} waiting for you`);
  if (a.counts.review) parts.push(`${a.counts.review} waiting for review`);
  return parts;
}

/** How each kind reads as a heading (tooltip, ticket page). */
export const ATTENTION_LABELS: Record<AttentionKind, string> = {
  finding: 'Open critical or high findings',
  needsInput: 'Runs that need your input',
  stalled: 'Stalled runs',
  stuck: 'Stuck tickets',
  blocked: 'Blocked tickets',
  waiting: 'Waiting for you',
  review: 'Waiting for review',
};
