/**
 * The board at a glance, as the status bar shows it and `agent-factory status` prints it: the
 * background agents' health, what needs a person, the autopilot switch and the queue. Pure, so
 * the editor and the CLI say the same thing.
 */
import type { AgentStatus } from '../agents/manager';
import { attentionCounts, type PmReport } from '../agents/pm/report';
import { queueSummary, type DispatchPlan } from '../domain/dependencies';
import { describeAutopilot, type AutopilotState } from './autopilotState';
import { describeWaiting } from './stageHandling';

export interface BoardStatusInput {
  statuses: readonly AgentStatus[];
  report: PmReport | undefined;
  autopilot: AutopilotState;
  queue: DispatchPlan;
  /** Live runs waiting for a person (`run.attention`, see `runsNeedingInput`). */
  needsInput?: number | undefined;
  /** Agents of this board whose owner is gone (listed in the Agents view with Stop). */
  orphans?: number;
  /** Tickets in a stage only a person can finish (stageHandling.waitingForPerson). */
  waitingForReview?: number | undefined;
}

export interface BoardStatus {
  /** The status bar's text (without its icon): what needs a person, else how many agents run. */
  headline: string;
  /** `error` when an agent is in Error, `warning` when something needs a person. */
  level: 'ok' | 'warning' | 'error';
  attention: { needsInput: number; stalled: number; stuck: number; blockers: number };
  agents: { name: string; state: string; activity: string; lastError?: string | undefined }[];
  /** Board progress from the PM's last report ("42.9%"). */
  progress?: string | undefined;
  autopilot: AutopilotState;
  /** "Autopilot: on (turned on by user)". */
  autopilotLine: string;
  /** "Queue: 3 ready, next T-7; 2 waiting on T-3". */
  queue: string;
  /** Tickets waiting for a person's review. */
  waitingForReview: number;
}

export function summarizeBoardStatus(input: BoardStatusInput): BoardStatus {
  const attention = { needsInput: input.needsInput ?? 0, ...attentionCounts(input.report) };
  const needs: string[] = [];
  if (attention.needsInput) needs.push(`${attention.needsInput} needs input`);
  if (attention.stalled) needs.push(`${attention.stalled} stalled`);
  if (input.orphans) needs.push(`${input.orphans} orphaned`);
  if (attention.stuck) needs.push(`${attention.stuck} stuck`);
  if (attention.blockers) needs.push(`${attention.blockers} blocked`);
  const waiting = describeWaiting(input.waitingForReview ?? 0);
  if (waiting !== undefined) needs.push(waiting);
  const running = input.statuses.filter((s) => s.state !== 'Stopped').length;
  const errors = input.statuses.some((s) => s.state === 'Error');
  return {
    headline: needs.length > 0 ? needs.join(' · ') : `${running || input.statuses.length} agents`,
    level: errors ? 'error' : needs.length > 0 ? 'warning' : 'ok',
    attention,
    agents: input.statuses.map((s) => ({ name: s.name, state: s.state, activity: s.activity, lastError: s.lastError })),
    progress: input.report?.boardProgress,
    autopilot: input.autopilot,
    autopilotLine: describeAutopilot(input.autopilot),
    queue: queueSummary(input.queue),
    waitingForReview: input.waitingForReview ?? 0,
  };
}
