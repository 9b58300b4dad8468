/**
 * `agent-factory run-agent <pm|security|gatherer|worktree> [--json]`: one cycle of a background
 * agent now, and what it did. When a window (or `serve`) holds the board's agents lease, the cycle
 * runs there, as "Run Agent Now" from another window does, and its answer is read back from the
 * store; otherwise this process takes the lease for the length of the cycle and runs the agent
 * itself, built the way the editor builds it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_NAMES, type AgentName, type CycleResult, type Logger } from '../agents/agent';
import { createAgent } from '../host/backgroundAgents';
import { localProcessProbe } from '../process/localProbe';
import { AGENTS_LEASE, RUN_NOW_META, type AgentState, type PublishedAgentStatus } from '../agents/manager';
import { errorMessage } from '../domain/errors';
import { SimpleGitPort } from '../git/simpleGitPort';
import type { SqlBoard } from '../store/sqlBoard';
import { repositorySettings } from './cliSettings';
import { CliError, EXIT_OTHER, usage } from './cliError';
import { flag, positionals, type Command, type CommandContext } from './command';
import { json, safeBlock, safeLine } from './format';

const POLL_MS = 250;

export interface RunAgentOutcome {
  agent: AgentName;
  /** Where the cycle ran: here, or in the process holding the agents lease. */
  ranIn: 'this process' | 'lease holder';
  /** The lease holder's id, when the cycle ran there. */
  holder?: string | undefined;
  state: AgentState;
  summary: string;
  attention: boolean;
  error?: string | undefined;
  /** The cycle's result: the agent's statistics and what changed. */
  result?: Record<string, unknown> | undefined;
  /** What the agent logged, when it ran here (the holder's log stays in its window). */
  log?: string[] | undefined;
}

function agentArg(raw: string | undefined): AgentName {
  const wanted = (raw ?? '').trim().toLowerCase();
  const name = AGENT_NAMES.find((n) => n.toLowerCase() === wanted);
  if (!name) throw usage(`${JSON.stringify(raw ?? '')} is not a background agent; use one of ${AGENT_NAMES.map((n) => n.toLowerCase()).join(', ')}`);
  return name;
}

export const runAgentCommand: Command = {
  name: 'run-agent',
  synopsis: 'run-agent <pm|security|gatherer|worktree> [--json]',
  summary: 'Run one cycle of a background agent now and print what it did.',
  details: [
    'Runs in the window (or serve) that holds the board\'s agents, like "Run Agent Now", when one is',
    'live; otherwise here, with the settings in the repository\'s .vscode/settings.json.',
    '--json   machine-readable output (the cycle\'s statistics and changes included)',
  ],
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const [raw] = positionals(ctx, ['agent']);
    const name = agentArg(raw);
    const board = await ctx.board();
    const outcome = await runAgentCycle(ctx, board, name);
    if (flag(ctx.values, 'json')) ctx.print(json(outcome));
    else ctx.print(describe(outcome));
    if (outcome.state === 'Error') throw new CliError(EXIT_OTHER, `the ${name} cycle failed: ${outcome.error ?? outcome.summary}`);
  },
};

export async function runAgentCycle(ctx: CommandContext, board: SqlBoard, name: AgentName): Promise<RunAgentOutcome> {
  const settings = repositorySettings(board.repoRoot);
  const leaseMs = settings.leaseTimeoutMs();
  const cycleMs = settings.number('agents.cycleTimeoutSeconds') * 1000;
  for (;;) {
    if (await board.acquireLease(AGENTS_LEASE, leaseMs)) return runHere(ctx, board, name, leaseMs, cycleMs);
    const answered = await runThroughHolder(ctx, board, name, leaseMs, cycleMs);
    // The holder went away before answering: the lease is free now, so the cycle runs here.
    if (answered) return answered;
  }
}

async function runHere(ctx: CommandContext, board: SqlBoard, name: AgentName, leaseMs: number, cycleMs: number): Promise<RunAgentOutcome> {
  const lines: string[] = [];
  const add = (level: string) => (message: string | Error) => void lines.push(`${level} ${message instanceof Error ? message.message : message}`);
  const log: Logger = { trace: () => undefined, debug: () => undefined, info: add('info'), warn: add('warn'), error: add('error') };
  const agent = createAgent(name, { board, settings: repositorySettings(board.repoRoot, log), git: new SimpleGitPort(), log, clock: ctx.clock, probe: localProcessProbe, runs: () => undefined });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`the cycle took longer than ${Math.round(cycleMs / 1000)} s`)), cycleMs);
  // Holding the lease keeps a window that opens meanwhile from running the same agent at once.
  const renew = setInterval(() => void board.acquireLease(AGENTS_LEASE, leaseMs).catch(() => undefined), Math.max(1000, Math.floor(leaseMs / 3)));
  try {
    const result: CycleResult = await agent.runCycle({ board, clock: ctx.clock, log, signal: abort.signal, setActivity: () => undefined });
    return { agent: name, ranIn: 'this process', state: 'Idle', summary: result.summary, attention: result.attention ?? false, result: plain(result), log: lines };
  } catch (err) {
    const error = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : errorMessage(err);
    return { agent: name, ranIn: 'this process', state: 'Error', summary: error, attention: true, error, log: lines };
  } finally {
    clearTimeout(timer);
    clearInterval(renew);
    await board.releaseLease(AGENTS_LEASE).catch(() => undefined);
  }
}

/** Asks the lease holder for a cycle and waits for its answer; undefined when the holder is gone. */
async function runThroughHolder(ctx: CommandContext, board: SqlBoard, name: AgentName, leaseMs: number, cycleMs: number): Promise<RunAgentOutcome | undefined> {
  const holder = board.getLease(AGENTS_LEASE)?.owner;
  const token = `${board.ownerId}@${ctx.clock.now()}`;
  await board.write((tx) => tx.setMeta(RUN_NOW_META(name), token));
  // A cycle in flight finishes first, then the requested one runs.
  const deadline = Date.now() + 2 * cycleMs + leaseMs;
  for (;;) {
    await sleep(POLL_MS);
    await board.refresh();
    const answer = (board.getAgentState(name)?.status as PublishedAgentStatus | undefined)?.runNow;
    if (answer?.token === token) {
      const attention = (answer.result?.attention as boolean | undefined) ?? false;
      return { agent: name, ranIn: 'lease holder', holder, state: answer.state, summary: answer.summary, attention, error: answer.error, result: answer.result };
    }
    if (!board.isLeaseLive(board.getLease(AGENTS_LEASE), leaseMs)) return undefined;
    if (Date.now() > deadline) {
      throw new CliError(EXIT_OTHER, `${holder ?? 'the process running the agents'} did not answer within ${Math.round((2 * cycleMs + leaseMs) / 1000)} s; see its log`);
    }
  }
}

/** The result as plain JSON (what the agent returned, without functions or cycles). */
function plain(result: CycleResult): Record<string, unknown> {
  return JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
}

function describe(o: RunAgentOutcome): string {
  const where = o.ranIn === 'this process' ? 'ran here' : `ran in ${o.holder ?? 'the lease holder'}`;
  const lines = [`${o.agent} (${where}): ${o.state === 'Error' ? 'failed: ' : ''}${safeLine(o.summary, 2000)}`];
  for (const line of o.log ?? []) lines.push(`  ${safeBlock(line)}`);
  return lines.join('\n');
}
