/**
 * The verdicts a running agent ends its stage with, and bugs it files on the way:
 * `done` (work stages), `approve` and `reject` (review stages), `bug`. The model inside an agent
 * CLI cannot choose that CLI's exit code, so the outcome of a stage is what the agent says here.
 *
 * A verdict is one transaction: the ticket moves with compare-and-set (to the next stage of the
 * pipeline, or back to IN_DEV after a rejection) and the run ends `succeeded` with the verdict
 * recorded. The window that owns the agent's process sees the run end and lets the agent exit by
 * itself for a grace period.
 */
import { PIPELINE_ENV, pipelineFromEnv } from '../domain/pipeline';
import type { Status } from '../domain/status';
import { SEVERITIES, type Severity } from '../domain/ticket';
import { fileBug, recordVerdict, type BugReport, type StageVerdict } from '../loop/verdicts';
import { runIdFrom, text } from './agentCommands';
import { cliSettings } from './cliSettings';
import { usage } from './cliError';
import { positionals, stringOption, type Command, type CommandContext, type OptionToken } from './command';

const summaryOption = { summary: { type: 'string', short: 'm' } } as const;
const LOCATION_DETAILS = ['--severity S   critical, high, medium (default) or low', '--file F       the file it is in (relative to the worktree)', '--line N       the line in that file (needs --file)'];

function severityArg(raw: string): Severity {
  const s = raw.trim().toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(s)) throw usage(`--severity must be one of ${SEVERITIES.join(', ')}, not ${JSON.stringify(raw)}`);
  return s as Severity;
}

function lineArg(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) throw usage(`--line must be a line number (1 or more), not ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The bugs of `reject`, in order: each `--bug` starts one, and the `--severity`, `--file` and
 * `--line` after it describe that bug.
 */
export function bugsFromOptions(options: readonly OptionToken[]): BugReport[] {
  const bugs: BugReport[] = [];
  for (const { name, value = '' } of options) {
    if (name === 'bug') {
      if (value.trim() === '') throw usage('--bug needs the text of the bug');
      bugs.push({ text: value });
      continue;
    }
    if (name !== 'severity' && name !== 'file' && name !== 'line') continue;
    const bug = bugs.at(-1);
    if (!bug) throw usage(`--${name} describes a bug: put it after the --bug it belongs to`);
    if (bug[name] !== undefined) throw usage(`--${name} given twice for the bug ${JSON.stringify(bug.text.slice(0, 40))}; start the next one with --bug`);
    if (name === 'severity') bug.severity = severityArg(value);
    else if (name === 'file') bug.file = value.trim();
    else bug.line = lineArg(value);
  }
  for (const bug of bugs) {
    if (bug.line !== undefined && bug.file === undefined) throw usage(`--line needs --file for the bug ${JSON.stringify(bug.text.slice(0, 40))}`);
  }
  return bugs;
}

/**
 * The pipeline the verdict moves the ticket along: the one of the host that started the agent
 * (PIPELINE_ENV), else the repository's settings (a terminal opened by an older host, a person
 * trying the command by hand).
 */
function stagesInUse(ctx: CommandContext, repoRoot: string): readonly Status[] {
  const raw = ctx.where.env[PIPELINE_ENV];
  if (raw !== undefined && raw.trim() !== '') {
    const parsed = pipelineFromEnv(raw);
    if ('stages' in parsed) return parsed.stages;
    ctx.warn(`${PIPELINE_ENV} ${parsed.problem}; using the repository's settings`);
  }
  return cliSettings(ctx, repoRoot).pipeline();
}

async function finishStage(ctx: CommandContext, verdict: StageVerdict, bugs?: BugReport[]): Promise<void> {
  const runId = runIdFrom(ctx);
  positionals(ctx, []);
  const board = await ctx.board();
  const pipeline = stagesInUse(ctx, board.repoRoot);
  const outcome = await board.write((tx) =>
    recordVerdict(tx, { runId, verdict, summary: stringOption(ctx.values, 'summary'), bugs, pipeline, now: ctx.clock.now() }),
  );
  if (verdict === 'rejected') {
    ctx.print(`${outcome.ticketId} went back to IN_DEV with ${outcome.bugs.length} bug${outcome.bugs.length === 1 ? '' : 's'} for rework. You can exit now.`);
    return;
  }
  ctx.print(`${outcome.ticketId} moved to ${outcome.movedTo}. You can exit now.`);
}

export const doneCommand: Command = {
  name: 'done',
  synopsis: 'done [--summary text]',
  summary: 'The work stage (IN_DEV) is finished: the ticket moves to the next stage of the pipeline.',
  details: ['--summary TEXT   what you did, for the next stage and the people watching'],
  options: { ...summaryOption },
  forAgents: true,
  run: (ctx) => finishStage(ctx, 'done'),
};

export const approveCommand: Command = {
  name: 'approve',
  synopsis: 'approve [--summary text]',
  summary: 'A review stage passes: the ticket moves to the next stage of the pipeline (or DONE).',
  details: ['--summary TEXT   what you checked'],
  options: { ...summaryOption },
  forAgents: true,
  run: (ctx) => finishStage(ctx, 'approved'),
};

export const rejectCommand: Command = {
  name: 'reject',
  synopsis: 'reject --bug "text" [--severity high] [--file F --line N]...',
  summary: 'A review stage fails: files the bugs on the ticket and sends it back to IN_DEV for rework.',
  details: ['--bug TEXT     one bug (repeatable); the options after it describe it:', ...LOCATION_DETAILS.map((d) => `  ${d}`), '--summary TEXT what you checked'],
  options: {
    bug: { type: 'string', multiple: true },
    severity: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    line: { type: 'string', multiple: true },
    ...summaryOption,
  },
  forAgents: true,
  run: async (ctx) => {
    const bugs = bugsFromOptions(ctx.options);
    if (bugs.length === 0) throw usage('reject needs at least one --bug "what is wrong"');
    await finishStage(ctx, 'rejected', bugs);
  },
};

export const bugCommand: Command = {
  name: 'bug',
  synopsis: 'bug <text> [--severity S] [--file F --line N]',
  summary: 'File a bug on the ticket without ending the stage.',
  details: LOCATION_DETAILS,
  options: { severity: { type: 'string' }, file: { type: 'string' }, line: { type: 'string' } },
  forAgents: true,
  async run(ctx) {
    const runId = runIdFrom(ctx);
    const report: BugReport = { text: text(ctx, 'text') };
    const severity = stringOption(ctx.values, 'severity');
    const file = stringOption(ctx.values, 'file');
    const line = stringOption(ctx.values, 'line');
    if (severity !== undefined) report.severity = severityArg(severity);
    if (file !== undefined) report.file = file.trim();
    if (line !== undefined) report.line = lineArg(line);
    if (report.line !== undefined && report.file === undefined) throw usage('--line needs --file');
    const board = await ctx.board();
    const bug = await board.write((tx) => fileBug(tx, runId, report, ctx.clock.now()));
    ctx.print(`Filed ${bug.severity} bug ${bug.id} on ${bug.ticketId}.`);
  },
};

export const VERDICT_COMMANDS: Command[] = [doneCommand, approveCommand, rejectCommand, bugCommand];
