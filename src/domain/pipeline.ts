/**
 * The stages a board uses (`agentFactory.pipeline`), and what comes after a stage in it. Every path
 * that advances a ticket (an agent's `done`/`approve`, the runner, an automatic stage) asks
 * `nextStageIn`, so a stage left out of the pipeline is skipped the same way everywhere.
 */
import { ACTIVE_STATUSES, REVIEW_STATUSES, type Status } from './status';

/** Every stage a pipeline may list, in the only order they can run in. */
export const STAGES: readonly Status[] = ACTIVE_STATUSES;

/** Stages where an agent makes the change (`done`); the others review it (`approve`/`reject`). */
export const WORK_STAGES: readonly Status[] = ['IN_DEV'];

/** How a stage's run counts as finished when its agent exits without a verdict. */
export const COMPLETION_POLICIES = ['verdict', 'exit'] as const;
export type CompletionPolicy = (typeof COMPLETION_POLICIES)[number];

export function isStage(value: unknown): value is Status {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function isWorkStage(stage: Status): boolean {
  return WORK_STAGES.includes(stage);
}

export function isReviewStage(stage: Status): boolean {
  return REVIEW_STATUSES.includes(stage);
}

/**
 * Why `value` is not a usable pipeline, or undefined when it is: a list of distinct stages, in
 * pipeline order, starting with IN_DEV (Start always moves a READY ticket into development).
 */
export function pipelineProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be a list of stages';
  if (value.length === 0) return 'must list at least IN_DEV';
  for (const stage of value) {
    if (!isStage(stage)) return `lists ${JSON.stringify(stage)}, which is not a stage (use ${STAGES.join(', ')})`;
  }
  const stages = value as Status[];
  if (stages[0] !== 'IN_DEV') return `must start with IN_DEV, not ${stages[0]}`;
  for (let i = 1; i < stages.length; i++) {
    const before = STAGES.indexOf(stages[i - 1]);
    const here = STAGES.indexOf(stages[i]);
    if (here === before) return `lists ${stages[i]} twice`;
    if (here < before) return `lists ${stages[i]} after ${stages[i - 1]}; stages run in the order ${STAGES.join(', ')}`;
  }
  return undefined;
}

/**
 * The variable in an agent's environment that names the stages of the host that started it. Its
 * verdicts (`agent-factory done`, `approve`) move the ticket along that host's pipeline: an editor
 * reads the setting from user or workspace settings the CLI cannot see, and a ticket moved along
 * another pipeline would land in a stage its host never works.
 */
export const PIPELINE_ENV = 'AGENT_FACTORY_PIPELINE';

/** The pipeline as PIPELINE_ENV carries it: the stages joined by commas. */
export function pipelineToEnv(pipeline: readonly Status[]): string {
  return pipeline.join(',');
}

/** The pipeline PIPELINE_ENV carries, or why it is not one. */
export function pipelineFromEnv(raw: string): { stages: Status[] } | { problem: string } {
  const stages = raw.split(',').map((s) => s.trim());
  const problem = pipelineProblem(stages);
  return problem === undefined ? { stages: stages as Status[] } : { problem };
}

/**
 * The status a ticket moves to when stage `from` is finished: the next listed stage after it in
 * pipeline order, or DONE after the last one. READY leads to the first stage. A stage that is not
 * listed (the setting changed while a ticket was in it) is followed by the next listed one, so the
 * ticket is never stranded. Undefined for BACKLOG, DONE and BLOCKED, which no stage finishes.
 */
export function nextStageIn(pipeline: readonly Status[], from: Status): Status | undefined {
  if (from === 'READY') return pipeline[0] ?? 'IN_DEV';
  const at = STAGES.indexOf(from);
  if (at < 0) return undefined;
  return pipeline.find((stage) => STAGES.indexOf(stage) > at) ?? 'DONE';
}

/** The verdict commands an agent (or a person in the run's terminal) finishes `stage` with. */
export function verdictCommands(stage: Status): readonly string[] {
  return isReviewStage(stage) ? ['agent-factory approve', 'agent-factory reject --bug <text>'] : ['agent-factory done'];
}
