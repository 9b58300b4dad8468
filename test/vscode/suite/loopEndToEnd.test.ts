// The closed loop in a real editor window, end to end: five tickets (one waiting on another)
// worked by real agent processes through the CLI, a review agent that sends one back once, the
// window's autopilot under one board-wide parallel limit, and the same beside `agent-factory serve`.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AGENTS_LEASE } from '../../../src/agents/manager';
import { LIVE_RUN_STATUSES, type Run } from '../../../src/domain/run';
import type { Status } from '../../../src/domain/status';
import type { Ticket } from '../../../src/domain/ticket';
import type { AutopilotEvent } from '../../../src/loop/autopilot';
import type { SentMessage } from '../../../src/loop/inbox';
import { readAutopilot } from '../../../src/loop/autopilotState';
import { isProcessAlive } from '../../../src/process/processTree';
import { runPromptFile } from '../../../src/runner/runFiles';
import type { StartedRun } from '../../../src/runner/ticketRunner';
import type { Board } from '../../../src/store/api';
import type { TestApi } from '../../../src/vscode/extension';
import { mostLiveAtOnce } from '../../unit/helpers/liveRuns';
import { compiledCli, fakeAgentCommand, type Step } from '../../unit/runner/agentPaths';
import { ensureBoard, eventually, testApi } from '../board';
import { testOutputDir } from '../environment';
import { ScriptedPrompter, ticketsApi, withPrompter } from './ticketsTestApi';

const BUG = 'The widget leaks memory on close';
const MAX_PARALLEL = 2;
/** Only a guard against a hang: five tickets through two agents each, on two busy cores. */
const LOOP_BOUND_MS = 420_000;

/** The settings of the loop: development and QA by real processes, then the person's review. */
function loopSettings(reworked: Ticket, marker: string): Record<string, unknown> {
  const dev: Step[] = [{ write: 'work.txt', text: 'work' }, { commit: 'Work' }, { cli: ['done', '--summary', 'did the work'] }];
  const qa: Step[] = [{ firstFor: { ticket: reworked.id, marker }, then: [{ cli: ['reject', '--bug', BUG] }], else: [{ cli: ['approve'] }] }];
  return {
    pipeline: ['IN_DEV', 'IN_QA', 'PM_REVIEW'],
    'runs.maxParallel': MAX_PARALLEL,
    'agents.dev.command': fakeAgentCommand(dev),
    'agents.qa.command': fakeAgentCommand(qa),
  };
}

async function configure(settings: Record<string, unknown>, on: boolean): Promise<void> {
  const config = vscode.workspace.getConfiguration('agentFactory');
  for (const [key, value] of Object.entries(settings)) await config.update(key, on ? value : undefined, vscode.ConfigurationTarget.Global);
}

/**
 * What other suites left live (a terminal a person would still work in, rows they wrote as
 * running) is cancelled, and tickets they left where the autopilot would pick them up (READY, or
 * in a stage with an agent and none working it) are set aside: the limit counts every live run on
 * the board.
 */
async function setAsideOthers(api: TestApi, board: Board): Promise<void> {
  for (const run of board.listRuns({ status: LIVE_RUN_STATUSES })) await api.runs.runs()?.cancel(run.id, 'set aside for the end-to-end loop');
  await eventually('no run of another suite is live', () => board.listRuns({ status: LIVE_RUN_STATUSES }).length === 0, 60_000);
  await board.write((tx) => {
    for (const t of tx.listTickets()) {
      if (t.status === 'READY') tx.transition(t.id, 'READY', 'BACKLOG', 'user', 'set aside for the end-to-end loop');
      else if (t.status === 'IN_DEV' || t.status === 'IN_QA') tx.transition(t.id, t.status, 'BLOCKED', 'user', 'set aside for the end-to-end loop');
    }
  });
}

/** What the window's autopilot, lease and runner did, for the failure message of a test that hangs. */
class LoopTrace {
  readonly lines: string[] = [];
  /** Whether this window held the agents lease at any moment of the trace. */
  windowLed = false;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private subscription: { dispose(): void } | undefined;

  constructor(
    private readonly api: TestApi,
    private readonly board: Board,
    private readonly ids: readonly string[],
  ) {}

  start(): void {
    const autopilot = this.api.autopilot();
    this.note(`autopilot ${autopilot ? 'bound' : 'missing'}; leader ${String(this.api.manager()?.isLeader)}; runner ${this.api.runs.runner() ? 'present' : 'missing'}`);
    this.subscription = autopilot?.onDidEvent((e: AutopilotEvent) => this.note(`event ${JSON.stringify(e)}`));
    let last = '';
    this.timer = setInterval(() => {
      const state = this.state();
      if (state !== last) this.note((last = state));
    }, 250);
  }

  private state(): string {
    if (this.api.manager()?.isLeader === true) this.windowLed = true;
    const live = this.board.listRuns({ status: LIVE_RUN_STATUSES }).map((r) => `${r.ticketId}/${r.stage}`);
    const tickets = this.board
      .listTickets()
      .filter((t) => this.ids.includes(t.id))
      .map((t) => `${t.id}:${t.status}`);
    return `leader=${String(this.api.manager()?.isLeader)} lease=${this.board.getLease(AGENTS_LEASE)?.owner ?? 'none'} autopilot=${readAutopilot(this.board).on} live=[${live.join(' ')}] ${tickets.join(' ')}`;
  }

  note(line: string): void {
    this.lines.push(`+${((Date.now() - this.started) / 1000).toFixed(1)}s ${line}`);
  }

  /** Stops recording and keeps the trace in the test output for a post-mortem. */
  stop(name: string): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription?.dispose();
    writeFileSync(path.join(testOutputDir(), `${name}.trace.txt`), this.lines.join('\n'));
  }
}

/** Polls until `what` holds, failing with the trace of what the loop did meanwhile. */
async function until(trace: LoopTrace, what: string, check: () => boolean): Promise<void> {
  try {
    await eventually(what, check, LOOP_BOUND_MS);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${trace.lines.slice(-60).join('\n')}`);
  }
}

/** `agent-factory serve` as a real child process on this window's board, as a person starts it in a terminal. */
class ServeProcess {
  private readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(repoRoot: string, configFile: string) {
    // The extension host's own AGENT_FACTORY_* variables are not serve's; in a desktop VS Code its
    // node is Electron, which runs as node with ELECTRON_RUN_AS_NODE.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AGENT_FACTORY_')));
    this.child = spawn(process.execPath, [compiledCli, 'serve', '--config', configFile], { cwd: repoRoot, env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** SIGTERM, as a person stops it; resolves with its exit code once it has shut down. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const guard = setTimeout(() => this.child.kill('SIGKILL'), 120_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(guard);
    }
  }
}

interface Loop {
  tickets: Ticket[];
  /** The ticket QA sends back once. */
  reworked: Ticket;
  /** The ticket that waits on the first. */
  dependent: Ticket;
  settings: Record<string, unknown>;
}

async function fiveTickets(board: Board, scratch: string, name: string): Promise<Loop> {
  const tickets = await board.write((tx) => {
    const made = [1, 2, 3, 4].map((i) => tx.createTicket({ title: `E2E ${name} ${i}`, status: 'READY', priority: 3 }, 'user'));
    // The most urgent ticket, which must still wait for the first to be DONE.
    made.push(tx.createTicket({ title: `E2E ${name} 5, after ${made[0].id}`, status: 'READY', priority: 1, dependsOn: [made[0].id] }, 'user'));
    return made;
  });
  const reworked = tickets[1];
  return { tickets, reworked, dependent: tickets[4], settings: loopSettings(reworked, path.join(scratch, 'rejected-once')) };
}

const ourRuns = (board: Board, loop: Loop): Run[] => loop.tickets.flatMap((t) => board.listRuns({ ticketId: t.id }));
const statusOf = (board: Board, t: Ticket): Status | undefined => board.getTicket(t.id)?.status;

/** Every assertion of the loop that does not depend on who ran it; `since`: when the autopilot was turned on. */
function checkLoop(board: Board, loop: Loop, since: number, dependencyDoneAt: number): Run[] {
  const [first] = loop.tickets;
  const runs = ourRuns(board, loop);
  const listing = runs.map((r) => `${r.ticketId} ${r.stage}#${r.attempt} ${r.status} ${r.verdict ?? ''} ${r.note ?? ''}`).join('\n');
  assert.ok(
    loop.tickets.every((t) => statusOf(board, t) === (t.id === first.id ? 'DONE' : 'PM_REVIEW')),
    loop.tickets.map((t) => `${t.id} ${statusOf(board, t) ?? '?'}`).join(', '),
  );
  assert.ok(
    runs.every((r) => r.status === 'succeeded'),
    listing,
  );
  // Across the whole board, not only these tickets: the limit is one for the board. No run was
  // live when the loop began (setAsideOthers), so every run that overlapped it started since.
  const most = mostLiveAtOnce(board.listRuns().filter((r) => r.startedAt >= since));
  assert.ok(most <= MAX_PARALLEL, `never more than runs.maxParallel live runs (at most ${most})\n${listing}`);

  assert.deepEqual(
    runs.filter((r) => r.verdict === 'rejected').map((r) => `${r.ticketId} ${r.stage}`),
    [`${loop.reworked.id} IN_QA`],
    'exactly one rework',
  );
  const dev = runs.filter((r) => r.ticketId === loop.reworked.id && r.stage === 'IN_DEV').sort((a, b) => a.attempt - b.attempt);
  assert.equal(dev.length, 2, listing);
  assert.match(readFileSync(runPromptFile(board.dir, dev[1].id), 'utf8'), new RegExp(BUG), 'the bug is in the rework prompt');
  assert.doesNotMatch(readFileSync(runPromptFile(board.dir, dev[0].id), 'utf8'), new RegExp(BUG));
  for (const t of loop.tickets.filter((t) => t.id !== loop.reworked.id)) {
    assert.deepEqual(
      runs.filter((r) => r.ticketId === t.id).map((r) => r.stage),
      ['IN_DEV', 'IN_QA'],
      `${t.id}: one development and one QA run\n${listing}`,
    );
  }
  const dependentStart = Math.min(...runs.filter((r) => r.ticketId === loop.dependent.id).map((r) => r.startedAt));
  assert.ok(dependentStart >= dependencyDoneAt, `${loop.dependent.id} started only after ${first.id} was DONE`);
  return runs;
}

/** Approves the first ticket's review as a person does: Approve, confirmed in the dialog. */
async function approveFirst(api: TestApi, board: Board, loop: Loop): Promise<number> {
  const [first] = loop.tickets;
  const prompter = new ScriptedPrompter();
  prompter.warningAnswers.push('Approve');
  await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.approveTicket', first.id));
  assert.equal(statusOf(board, first), 'DONE', prompter.warnings.map((w) => w.message).join(' | '));
  const done = board.history(first.id).find((h) => h.to === 'DONE');
  assert.ok(done);
  return done.at;
}

suite('The closed loop end to end in the editor', () => {
  let board: Board;
  let api: TestApi;
  let scratch: string;
  let settings: Record<string, unknown> = {};
  let serve: ServeProcess | undefined;

  setup(async () => {
    board = await ensureBoard();
    api = await testApi();
    scratch = mkdtempSync(path.join(tmpdir(), 'af-e2e-'));
    await setAsideOthers(api, board);
  });

  teardown(async () => {
    if (readAutopilot(board).on) await vscode.commands.executeCommand('agentFactory.pauseAutopilot');
    await configure(settings, false);
    await serve?.stop();
    serve = undefined;
    rmSync(scratch, { recursive: true, force: true });
    // The suites after this one expect this window to run the agents again.
    await eventually('this window runs the agents again', () => api.manager()?.isLeader, 120_000);
  });

  test('the window alone: off starts nothing; on, five tickets reach review within the limit, one rework, the dependency honoured', async function () {
    this.timeout(2 * LOOP_BOUND_MS);
    const loop = await fiveTickets(board, scratch, 'window');
    settings = loop.settings;
    await configure(settings, true);
    await eventually('this window runs the agents', () => api.manager()?.isLeader, 60_000);
    const autopilot = api.autopilot();
    assert.ok(autopilot, 'the window has an autopilot');

    const off = await autopilot.pass();
    assert.deepEqual([off.on, ourRuns(board, loop).length], [false, 0], 'the autopilot is off: nothing starts');

    const trace = new LoopTrace(api, board, loop.tickets.map((t) => t.id));
    trace.start();
    try {
      const since = Date.now();
      await vscode.commands.executeCommand('agentFactory.startAutopilot');
      const [first, ...rest] = loop.tickets;
      const others = rest.filter((t) => t.id !== loop.dependent.id);
      await until(trace, 'four tickets wait for review', () => [first, ...others].every((t) => statusOf(board, t) === 'PM_REVIEW'));
      assert.equal(statusOf(board, loop.dependent), 'READY', `${loop.dependent.id} waits for ${first.id} to be DONE`);
      await eventually('the status bar counts those waiting for review', () => / waiting for review/.test(api.statusBarText()), 30_000);

      const doneAt = await approveFirst(api, board, loop);
      await until(trace, 'the dependent ticket, freed, waits for review', () => statusOf(board, loop.dependent) === 'PM_REVIEW');
      const runs = checkLoop(board, loop, since, doneAt);
      assert.ok(
        runs.every((r) => r.owner === board.ownerId),
        'the window ran them',
      );
    } finally {
      trace.stop('loop-window');
    }
  });

  test('a window beside agent-factory serve: serve alone holds the lease and runs the loop; the window shows its statuses and commands', async function () {
    this.timeout(2 * LOOP_BOUND_MS);
    const loop = await fiveTickets(board, scratch, 'serve');
    settings = loop.settings;
    await configure(settings, true);
    const configFile = path.join(scratch, 'serve-settings.json');
    writeFileSync(configFile, JSON.stringify(Object.fromEntries(Object.entries(settings).map(([key, value]) => [`agentFactory.${key}`, value]))));
    await eventually('this window runs the agents', () => api.manager()?.isLeader, 60_000);

    // The window lets the lease go (as when it closes); serve, started then, takes it; the window
    // comes back and finds it held.
    let lease: { owner: string; acquiredAt: number } | undefined;
    await api.restartAgents(async () => {
      const started = new ServeProcess(board.repoRoot, configFile);
      serve = started;
      lease = await eventually(
        'serve holds the agents lease',
        async () => {
          await board.refresh();
          const held = board.getLease(AGENTS_LEASE);
          return held !== undefined && held.owner !== board.ownerId && held;
        },
        60_000,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n${started.output}`);
      });
    });
    assert.ok(lease && serve);
    const serveOwner = lease.owner;
    const window = api.manager();
    assert.ok(window);
    await eventually(
      "the window shows serve's statuses",
      () => window.statuses().every((s) => !s.local) && window.statuses().some((s) => (s.lastActiveAt ?? 0) >= (lease?.acquiredAt ?? Infinity)),
      120_000,
    );
    assert.equal(window.isLeader, false);
    assert.equal(ourRuns(board, loop).length, 0, 'the autopilot is off: serve starts nothing');

    const trace = new LoopTrace(api, board, loop.tickets.map((t) => t.id));
    trace.start();
    try {
      // The window commands; serve, holding the lease, acts.
      const since = Date.now();
      await vscode.commands.executeCommand('agentFactory.startAutopilot');
      const [first, ...rest] = loop.tickets;
      const others = rest.filter((t) => t.id !== loop.dependent.id);
      await until(trace, 'four tickets wait for review', () => [first, ...others].every((t) => statusOf(board, t) === 'PM_REVIEW'));
      assert.equal(statusOf(board, loop.dependent), 'READY', `${loop.dependent.id} waits for ${first.id} to be DONE`);

      const doneAt = await approveFirst(api, board, loop);
      await until(trace, 'the dependent ticket, freed, waits for review', () => statusOf(board, loop.dependent) === 'PM_REVIEW');
      const runs = checkLoop(board, loop, since, doneAt);
      assert.ok(
        runs.every((r) => r.owner === serveOwner),
        `serve ran them all\n${runs.map((r) => `${r.ticketId} ${r.stage} ${r.owner}`).join('\n')}`,
      );
      assert.equal(trace.windowLed, false, 'the window never held the lease meanwhile');
      assert.equal(board.getLease(AGENTS_LEASE)?.owner, serveOwner);
    } finally {
      trace.stop('loop-serve');
    }

    const code = await serve.stop();
    assert.equal(code, 0, serve.output);
    await eventually('this window takes the agents over', () => api.manager()?.isLeader, 120_000);
    for (const r of ourRuns(board, loop)) if (r.pid !== undefined) assert.equal(isProcessAlive(r.pid), false, `the agent of run ${r.id} is gone`);
  });

  test("a reply in the ticket's PM thread reaches the running agent's `inbox --wait`, which acts on it; the message is read", async function () {
    this.timeout(LOOP_BOUND_MS);
    const { tickets } = await ticketsApi();
    // An agent that waits for a person's message, keeps it in its worktree and reports done.
    settings = {
      pipeline: ['IN_DEV', 'PM_REVIEW'],
      'agents.dev.command': { program: '/bin/sh', args: ['-c', 'echo "waiting for my inbox"; agent-factory inbox --wait 300 --json > inbox.json && agent-factory done --summary "read my inbox"'] },
    };
    await configure(settings, true);
    const { ticket, conversation } = await board.write((tx) => {
      const t = tx.createTicket({ title: 'E2E inbox: asks for the keys', status: 'READY' }, 'user');
      const thread = tx.createConversation({ ticketId: t.id, type: 'pm_checkin', title: `PM check-ins on ${t.id}`, key: 'pm' });
      tx.addMessage({ conversationId: thread.id, author: 'PM', kind: 'note', body: 'Which keys should the agent use?' });
      return { ticket: t, conversation: thread };
    });
    const started = await withPrompter(api, new ScriptedPrompter(), () => vscode.commands.executeCommand<StartedRun | undefined>('agentFactory.startTicket', ticket.id));
    assert.ok(started, `${ticket.id} did not start`);
    const runId = started.run.id;
    await eventually('the agent waits on its inbox', () => api.runs.outputLines.some((l) => l.includes(runId) && l.includes('waiting for my inbox')), 120_000);

    const thread = await eventually('the PM thread is shown', () => tickets.comments.thread(conversation.id), 30_000);
    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.replyToThread', { thread, text: 'Use the sandbox keys.' } satisfies vscode.CommentReply));
    assert.deepEqual(prompter.warnings, []);

    await eventually('the agent acted on the message and reported done', () => board.getRun(runId)?.status === 'succeeded', 120_000);
    assert.equal(board.getRun(runId)?.verdict, 'done');
    assert.equal(statusOf(board, ticket), 'PM_REVIEW');
    const worktree = board.getTicket(ticket.id)?.worktree?.path;
    assert.ok(worktree);
    const received = JSON.parse(readFileSync(path.join(worktree, 'inbox.json'), 'utf8')) as { from: string; body: string }[];
    assert.deepEqual(
      received.map((m) => [m.from, m.body]),
      [['user', 'Use the sandbox keys.']],
    );
    const reply = board.listMessages(conversation.id).find((m) => m.body === 'Use the sandbox keys.');
    assert.ok(reply?.toAgent && reply.readAt !== undefined, 'the message is marked read');
  });

  test("an agent's `block`, answered with Message the Agent, makes the ticket ready; the next attempt's prompt carries the answer", async function () {
    this.timeout(LOOP_BOUND_MS);
    const question = 'Which currency do refunds use?';
    const answer = 'The currency of the original payment.';
    const ticket = await board.write((tx) => tx.createTicket({ title: 'E2E block: refunds', status: 'READY' }, 'user'));
    const firstTime: Step[] = [{ cli: ['block', question] }];
    const then: Step[] = [{ write: 'refunds.txt', text: 'refunds' }, { commit: 'Refunds' }, { cli: ['done'] }];
    settings = { pipeline: ['IN_DEV', 'PM_REVIEW'], 'agents.dev.command': fakeAgentCommand([{ firstFor: { ticket: ticket.id, marker: path.join(scratch, 'asked') }, then: firstTime, else: then }]) };
    await configure(settings, true);

    const start = async (): Promise<string> => {
      const started = await withPrompter(api, new ScriptedPrompter(), () => vscode.commands.executeCommand<StartedRun | undefined>('agentFactory.startTicket', ticket.id));
      assert.ok(started, `${ticket.id} did not start`);
      return started.run.id;
    };
    const asked = await start();
    await eventually('the agent blocked the ticket', () => statusOf(board, ticket) === 'BLOCKED' && board.getRun(asked)?.status !== 'running', 120_000);
    assert.equal(board.getRun(asked)?.verdict, 'blocked');

    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: [answer] });
    const sent = await withPrompter(api, prompter, () => vscode.commands.executeCommand<SentMessage | undefined>('agentFactory.messageAgent', ticket.id));
    assert.equal(sent?.answered, true);
    assert.equal(statusOf(board, ticket), 'READY');

    const second = await start();
    await eventually('the second attempt finished', () => statusOf(board, ticket) === 'PM_REVIEW', 120_000);
    const prompt = readFileSync(runPromptFile(board.dir, second), 'utf8');
    assert.ok(prompt.includes(question) && prompt.includes(answer), prompt);
    assert.ok(!readFileSync(runPromptFile(board.dir, asked), 'utf8').includes(answer));
  });
});
