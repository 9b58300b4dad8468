/**
 * The board at a glance, as the status bar shows it and `agent-factory status` prints it: the
 * background agents' health, what needs a person, the autopilot switch and the queue. Pure, so
 * the editor and the CLI say the same thing.
 */
import type { AgentStatus } from '../agents/manager';
import { parsePmReport, PM_REPORT_META, type PmReport } from '../agents/pm/report';
import { queueSummary, type DispatchPlan } from '../domain/dependencies';
import type { BoardReader } from '../store/api';
import { attentionHeadline, boardAttention, type Attention } from './attention';
import { describeAutopilot, readAutopilot, type AutopilotState } from './autopilotState';
import { dispatchPlan } from './queue';
import type { StageConfig } from './stageHandling';

export interface BoardStatusInput {
  statuses: readonly AgentStatus[];
  report: PmReport | undefined;
  attention: Attention;
  autopilot: AutopilotState;
  queue: DispatchPlan;
}

export interface BoardStatus {
  /** The status bar's text (without its icon): what needs a person, else how many agents run. */
  headline: string;
  /** `error` when an agent is in Error or a critical finding is open, `warning` when something else needs a person. */
  level: 'ok' | 'warning' | 'error';
  /** What needs a person (boardAttention): needs input, stalled, orphaned, stuck, blocked, waiting for review... */
  attention: Attention;
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
  const { attention } = input;
  const needs = attentionHeadline(attention);
  const running = input.statuses.filter((s) => s.state !== 'Stopped').length;
  const errors = input.statuses.some((s) => s.state === 'Error');
  return {
    headline: needs.length > 0 ? needs.join(' · ') : `${running || input.statuses.length} agents`,
    level: errors || attention.level === 'error' ? 'error' : attention.level,
    attention,
    agents: input.statuses.map((s) => ({ name: s.name, state: s.state, activity: s.activity, lastError: s.lastError })),
    progress: input.report?.boardProgress,
    autopilot: input.autopilot,
    autopilotLine: describeAutopilot(input.autopilot),
    queue: queueSummary(input.queue),
    waitingForReview: attention.counts.review,
  };
}

/**
 * Reads everything the status line needs from the board: the editor and the CLI call this. The
 * editor passes the attention it keeps current; the CLI lets it be read here, from the same board
 * records (run attention, the PM's report, the stages a person finishes).
 */
export function readBoardStatus(reader: BoardReader, statuses: readonly AgentStatus[], attention?: Attention, stages?: StageConfig): BoardStatus {
  const report = parsePmReport(reader.getMeta(PM_REPORT_META));
  return summarizeBoardStatus({
    statuses,
    report,
    attention: attention ?? boardAttention(reader, { report, stages }),
    autopilot: readAutopilot(reader),
    queue: dispatchPlan(reader),
  });
}
