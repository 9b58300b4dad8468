/**
 * What a running agent reports about its stage: a verdict that ends it (`done` for a work stage,
 * `approved` or `rejected` for a review stage) or a bug filed on the way. Each is one transaction:
 * the ticket moves with compare-and-set, the run ends `succeeded` with its verdict recorded, and
 * the run thread says what happened. The runner, seeing a run that ended with a verdict, lets the
 * agent exit by itself; one that exits without a verdict is judged by the stage's completion policy.
 */
import { FactoryError } from '../domain/errors';
import { isReviewStage, isWorkStage, nextStageIn, verdictCommands } from '../domain/pipeline';
import { isLive, type Run, type Verdict } from '../domain/run';
import { isStatus, type Status } from '../domain/status';
import { TITLE_MAX, type Bug, type Severity } from '../domain/ticket';
import type { BoardReader, BoardTx } from '../store/api';
import { ensureRunThread } from '../runner/threads';

/** A bug as an agent reports it: free text, and where in the code when it knows. */
export interface BugReport {
  text: string;
  severity?: Severity | undefined;
  file?: string | undefined;
  line?: number | undefined;
}

export type StageVerdict = Exclude<Verdict, 'blocked'>;

export interface VerdictRequest {
  runId: string;
  verdict: StageVerdict;
  summary?: string | undefined;
  /** The bugs a rejection files (at least one). */
  bugs?: readonly BugReport[] | undefined;
  /** The stages in use (`agentFactory.pipeline`). */
  pipeline: readonly Status[];
  now: number;
}

export interface VerdictOutcome {
  run: Run;
  ticketId: string;
  /** Where the ticket went: the next stage (or DONE), or IN_DEV after a rejection. */
  movedTo: Status;
  bugs: Bug[];
}

export const DEFAULT_BUG_SEVERITY: Severity = 'medium';

/** The run of `runId`, which must still be working. */
export function requireLiveRun(reader: BoardReader, runId: string): Run {
  const run = reader.getRun(runId);
  if (!run) throw new FactoryError('not-found', `there is no run ${runId} on this board (AGENT_FACTORY_RUN_ID)`);
  if (!isLive(run)) throw new FactoryError('status-conflict', `run ${run.id} has already ended (${run.status}); stop working on ${run.ticketId}`);
  return run;
}

/** Records a stage's verdict: moves the ticket on (or back for rework) and ends the run. */
export function recordVerdict(tx: BoardTx, req: VerdictRequest): VerdictOutcome {
  const run = requireLiveRun(tx, req.runId);
  const ticket = tx.getTicket(run.ticketId);
  if (!ticket) throw new FactoryError('not-found', `ticket ${run.ticketId} no longer exists`);
  const stage = isStatus(run.stage) ? run.stage : undefined;
  if (stage === undefined || ticket.status !== stage) {
    throw new FactoryError('status-conflict', `${ticket.id} is ${ticket.status} now, not ${run.stage}: someone moved it, so this stage cannot be finished from here`);
  }
  const fits = req.verdict === 'done' ? isWorkStage(stage) : isReviewStage(stage);
  if (!fits) {
    const kind = isReviewStage(stage) ? 'a review stage' : 'a work stage';
    throw new FactoryError('illegal-transition', `${stage} is ${kind}: finish it with ${verdictCommands(stage).map((c) => `\`${c}\``).join(' or ')}, not \`agent-factory ${commandOf(req.verdict)}\``);
  }
  const summary = req.summary?.trim() ? req.summary.trim() : undefined;

  let movedTo: Status;
  let bugs: Bug[] = [];
  let what: string;
  if (req.verdict === 'rejected') {
    const reports = req.bugs ?? [];
    if (reports.length === 0) throw new FactoryError('invalid-input', 'a rejection needs at least one bug: --bug "what is wrong"');
    bugs = reports.map((b) => fileBugOn(tx, run, b));
    movedTo = 'IN_DEV';
    const titles = bugs.map((b) => b.title).join('; ');
    tx.transition(ticket.id, stage, movedTo, run.agent, `${stage} rejected by ${run.agent} (run ${run.id}): ${titles}`);
    what = `the agent rejected the change with ${bugs.length} bug${bugs.length === 1 ? '' : 's'}; ticket back to IN_DEV for rework`;
  } else {
    const next = nextStageIn(req.pipeline, stage);
    if (next === undefined) throw new FactoryError('illegal-transition', `${stage} has no next stage`);
    movedTo = next;
    tx.transition(ticket.id, stage, movedTo, run.agent, `${stage} ${req.verdict === 'done' ? 'done' : 'approved'}, reported by ${run.agent} (run ${run.id})`);
    what = `the agent ${req.verdict === 'done' ? 'reported done' : 'approved'}; ticket moved to ${movedTo}`;
  }

  const ended = tx.updateRun(run.id, {
    status: 'succeeded',
    endedAt: req.now,
    lastOutputAt: req.now,
    note: what,
    verdict: req.verdict,
    ...(summary !== undefined ? { summary } : {}),
  });
  const thread = ensureRunThread(tx, run.ticketId);
  tx.addMessage({
    conversationId: thread.id,
    author: 'runner',
    kind: 'system',
    body: `${run.stage} run ${run.id} (${run.agent}, attempt ${run.attempt}) succeeded: ${what}.${summary !== undefined ? `\n\nSummary: ${summary}` : ''}`,
    metadata: { runId: run.id, stage: run.stage, status: ended.status, attempt: run.attempt, verdict: req.verdict },
  });
  return { run: ended, ticketId: ticket.id, movedTo, bugs };
}

/** Files a bug on the run's ticket without ending the stage. */
export function fileBug(tx: BoardTx, runId: string, report: BugReport, now: number): Bug {
  const run = requireLiveRun(tx, runId);
  const bug = fileBugOn(tx, run, report);
  tx.updateRun(run.id, { lastOutputAt: now });
  return bug;
}

function fileBugOn(tx: BoardTx, run: Run, report: BugReport): Bug {
  const text = report.text.trim();
  if (text === '') throw new FactoryError('invalid-input', 'a bug needs a description');
  if (report.line !== undefined && report.file === undefined) throw new FactoryError('invalid-input', 'a bug line (--line) needs its file (--file)');
  const firstLine = text.split(/\r?\n/)[0]?.trim() ?? text;
  const title = [...firstLine].length > TITLE_MAX ? `${[...firstLine].slice(0, TITLE_MAX - 1).join('')}…` : firstLine;
  return tx.addBug({
    ticketId: run.ticketId,
    title,
    description: title === text ? '' : text,
    severity: report.severity ?? DEFAULT_BUG_SEVERITY,
    foundBy: run.agent,
    ...(report.file !== undefined ? { file: report.file } : {}),
    ...(report.line !== undefined ? { line: report.line } : {}),
  });
}

function commandOf(verdict: StageVerdict): string {
  return verdict === 'approved' ? 'approve' : verdict === 'rejected' ? 'reject' : 'done';
}
