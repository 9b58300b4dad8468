/**
 * What the PM finds on one active ticket, from real signals only: time in status (history),
 * commits and changed files in its worktree, and the state of its runs. Pure: no I/O, no clock.
 */
import { checkInType, formatPercent, type CheckInType, type Findings } from '../../domain/checkin';
import { isTerminalRun, type Run } from '../../domain/run';
import type { Status } from '../../domain/status';
import { isOpenBug, type Bug, type Ticket } from '../../domain/ticket';
import { describeOverlap, type Overlap } from '../../radar/overlaps';
import { formatDuration, MINUTE, type PmSettings } from './settings';
import type { WorktreeActivity } from './signals';

/** Where each active stage starts on the 0..100 scale, and how much of it it spans. */
const STAGE_RANGE: Partial<Record<Status, [number, number]>> = {
  IN_DEV: [0, 60],
  IN_QA: [60, 10],
  IN_UX: [70, 10],
  IN_SEC: [80, 10],
  PM_REVIEW: [90, 10],
};

export interface RunAssessment {
  run: Run;
  alive: boolean;
  deadReason?: string | undefined;
  /** Latest of output, file change, commit or start. */
  lastProgressAt: number;
  stalled: boolean;
  overrun: boolean;
}

/**
 * A run's progress and limits. A person working in a terminal is never stalled (thinking is
 * silent) nor overrun (they decide how long it takes): the PM only checks in on them, quietly.
 */
export function assessRun(run: Run, now: number, alive: boolean, activity: WorktreeActivity | undefined, s: PmSettings): RunAssessment {
  const lastProgressAt = Math.max(run.startedAt, run.lastOutputAt ?? 0, activity?.lastCommitAt ?? 0, activity?.lastFileChangeAt ?? 0);
  const judged = alive && !isTerminalRun(run);
  return {
    run,
    alive,
    lastProgressAt,
    // A run that repeats itself shows output all the time: the loop mark is its stall.
    stalled: judged && (now - lastProgressAt > s.stallMinutes * MINUTE || run.attention?.loop !== undefined),
    overrun: judged && now - run.startedAt > s.maxRunMinutes * MINUTE,
  };
}

export interface TicketSignals {
  ticket: Ticket;
  bugs: readonly Bug[];
  /** Runs of the ticket's current stage that started after it entered that stage. */
  stageRuns: readonly Run[];
  live?: RunAssessment | undefined;
  activity?: WorktreeActivity | undefined;
  worktreeMissing: boolean;
  /** Live tickets changing the same files (the conflict radar). */
  overlaps?: readonly Overlap[] | undefined;
  /** A person moved it to IN_DEV and works on it by hand (see heldByPerson). */
  heldByPerson?: boolean | undefined;
  now: number;
}

export interface Analysis {
  type: CheckInType;
  summary: string;
  findings: Findings;
  actionRequired: boolean;
}

export function progressPercent(sig: TicketSignals): number {
  let fraction: number;
  const reported = sig.live?.run.reportedProgress;
  if (reported !== undefined) {
    fraction = reported / 100;
  } else if (sig.stageRuns.some((r) => r.status === 'succeeded')) {
    fraction = 1;
  } else if (sig.ticket.status === 'IN_DEV' && sig.activity) {
    // Each commit and each changed file is evidence of work; nothing grows with time alone.
    fraction = Math.min(0.9, sig.activity.commitsAhead * 0.15 + Math.min(sig.activity.changedFileCount, 10) * 0.03);
  } else {
    fraction = 0;
  }
  return pipelinePercent(sig.ticket.status, fraction);
}

/** How far through the pipeline a ticket is when its current stage is `fraction` (0..1) done. */
export function pipelinePercent(status: Status, fraction: number): number {
  const [start, span] = STAGE_RANGE[status] ?? [0, 0];
  const value = start + span * Math.max(0, Math.min(1, fraction));
  return Math.round(value * 10) / 10;
}

export function analyzeTicket(sig: TicketSignals, s: PmSettings): Analysis {
  const { ticket, now } = sig;
  const blockers: string[] = [];
  const concerns: string[] = [];
  const achievements: string[] = [];
  const evidence: string[] = [];
  const inStatus = now - ticket.statusSince;
  evidence.push(`In ${ticket.status} for ${formatDuration(inStatus)}`);

  for (const bug of sig.bugs) {
    if (!isOpenBug(bug)) continue;
    const where = bug.file ? ` at ${bug.file}${bug.line ? `:${bug.line}` : ''}` : '';
    const text = `Open ${bug.severity} bug: ${bug.title}${where}`;
    if (bug.severity === 'critical' || bug.severity === 'high') blockers.push(text);
    else concerns.push(text);
  }
  if (sig.worktreeMissing && ticket.worktree) blockers.push(`Worktree missing: ${ticket.worktree.path}`);

  const failed = sig.stageRuns.filter((r) => r.status === 'failed' || r.status === 'timed_out' || r.status === 'lost');
  const live = sig.live;
  if (live) {
    const run = live.run;
    evidence.push(
      isTerminalRun(run)
        ? `Worked by hand in a terminal (run ${run.id}) for ${formatDuration(now - run.startedAt)}`
        : `Run ${run.id} (${run.agent}) running for ${formatDuration(now - run.startedAt)}, last progress ${formatDuration(now - live.lastProgressAt)} ago`,
    );
    if (run.attention?.loop) evidence.push(`Run ${run.id} repeats itself, ${run.attention.loop.repeats} times in a row: ${run.attention.loop.evidence}`);
    if (run.attention?.needsInput) concerns.push(`Run ${run.id} needs input: ${run.attention.needsInput.reason}`);
    if (live.overrun) concerns.push(`Run ${run.id} has run for ${formatDuration(now - run.startedAt)}, over the ${s.maxRunMinutes} min limit`);
  } else if (ticket.status !== 'IN_DEV' && failed.length > 0) {
    const last = failed[failed.length - 1];
    blockers.push(`The ${ticket.status} agent's last run ended ${last.status}${last.exitCode !== undefined ? ` (exit ${last.exitCode})` : ''} and nothing is working on it`);
  } else if (ticket.status === 'IN_DEV' && sig.heldByPerson) {
    evidence.push('Worked by hand: a person moved it to IN_DEV and no agent run has started since');
  } else if (ticket.status === 'IN_DEV') {
    concerns.push('No agent is working on it');
  }
  if (failed.length > 0) concerns.push(`${failed.length} failed attempt${failed.length > 1 ? 's' : ''} in ${ticket.status}`);
  for (const o of sig.overlaps ?? []) concerns.push(`Changes the same files as ${describeOverlap(o)}: the second to land may conflict`);

  if (sig.activity) {
    const a = sig.activity;
    evidence.push(`${a.commitsAhead} commit${a.commitsAhead === 1 ? '' : 's'} ahead of ${ticket.worktree?.base ?? 'base'}, ${a.changedFileCount} uncommitted file${a.changedFileCount === 1 ? '' : 's'}`);
    if (a.commitsAhead > 0) achievements.push(`${a.commitsAhead} commit${a.commitsAhead === 1 ? '' : 's'} on ${ticket.worktree?.branch ?? 'its branch'}`);
  }
  const fixed = sig.bugs.filter((b) => b.fixed);
  if (fixed.length > 0) achievements.push(`${fixed.length} bug${fixed.length === 1 ? '' : 's'} fixed`);
  if (sig.stageRuns.some((r) => r.status === 'succeeded')) achievements.push(`${ticket.status} agent finished successfully`);

  const stalled = live?.stalled ?? false;
  const findings: Findings = { progressPercent: progressPercent(sig), concerns, blockers, achievements, evidence, stalled };
  const type = checkInType(findings);
  const pct = formatPercent(findings.progressPercent);
  const summary =
    type === 'blocker'
      ? `${ticket.id} is blocked: ${blockers[0]}${blockers.length > 1 ? ` (+${blockers.length - 1} more)` : ''}`
      : type === 'review'
        ? `${ticket.id} needs a look: ${concerns[0]}${concerns.length > 1 ? ` (+${concerns.length - 1} more)` : ''}`
        : type === 'guidance' && live?.run.attention?.loop
          ? `${ticket.id} has stalled: its agent repeats itself (${live.run.attention.loop.evidence})`
          : type === 'guidance'
            ? `${ticket.id} has stalled: no output, file change or commit for ${formatDuration(now - (live?.lastProgressAt ?? now))}`
          : `${ticket.id} is ${pct} through the pipeline (${ticket.status})`;
  return { type, summary, findings, actionRequired: type !== 'progress' };
}

/** The text of a check-in message in the ticket's PM thread (plain text; the editor escapes it). */
export function checkInMessage(a: Analysis): string {
  const lines = [a.summary, '', `Progress: ${formatPercent(a.findings.progressPercent)}`];
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push('', `${title}:`, ...items.map((i) => `- ${i}`));
  };
  section('Blockers', a.findings.blockers);
  section('Concerns', a.findings.concerns);
  section('Achievements', a.findings.achievements);
  section('Evidence', a.findings.evidence);
  return lines.join('\n');
}
