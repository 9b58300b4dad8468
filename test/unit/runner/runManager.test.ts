import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import type { Status } from '../../../src/domain/status';
import { isProcessAlive } from '../../../src/process/processTree';
import { RunManager, type RunManagerOptions, type RunOutputLine } from '../../../src/runner/runManager';
import { findRunThread } from '../../../src/runner/threads';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { delay, fakeAgentCommand, waitUntil, type Step } from './agentPaths';

interface Fixture {
  tb: TempBoard;
  board: SqlBoard;
  worktree: string;
  manager: RunManager;
}

async function setUp(options: Partial<RunManagerOptions> = {}): Promise<Fixture> {
  const tb = await makeTempBoard();
  const worktree = path.join(tb.root, 'worktree');
  mkdirSync(worktree);
  const manager = new RunManager({ board: tb.board, clock: tb.clock, stopGraceMs: 1000, ...options });
  return { tb, board: tb.board, worktree, manager };
}

/** A ticket already in `stage`, with a queued run recorded for it. */
async function queuedRun(f: Fixture, title = 'Add a widget', stage: Status = 'IN_DEV'): Promise<Run> {
  return f.board.write((tx) => {
    const t = tx.createTicket({ title, status: 'READY' }, 'user');
    tx.transition(t.id, 'READY', 'IN_DEV', 'user');
    if (stage === 'IN_QA') tx.transition(t.id, 'IN_DEV', 'IN_QA', 'user');
    return tx.createRun({ ticketId: t.id, stage, agent: 'fake', status: 'queued', worktree: f.worktree });
  });
}

function launch(f: Fixture, run: Run, steps: Step[], extraArgs: string[] = []): number | undefined {
  return f.manager.launch({
    runId: run.id,
    command: fakeAgentCommand(steps, extraArgs),
    title: f.board.getTicket(run.ticketId)?.title ?? '',
    promptFile: path.join(f.tb.dir, 'runs', run.id, 'prompt.md'),
    worktree: f.worktree,
  });
}

function runThreadBodies(f: Fixture, ticketId: string): string[] {
  const thread = findRunThread(f.board, ticketId);
  return thread ? f.board.listMessages(thread.id).map((m) => m.body) : [];
}

/** Waits until the fake agent recorded itself and its run is running; returns its pid. */
async function recordedPid(f: Fixture, record: string, runId: string): Promise<number> {
  await waitUntil(() => existsSync(record) && f.board.getRun(runId)?.status === 'running', 10_000, 'the agent to start');
  return (JSON.parse(readFileSync(record, 'utf8')) as { pid: number }).pid;
}

/** The process is gone for good (no zombie left): its parent has collected its exit status. */
function reaped(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function readPids(file: string): { agent: number; grandchild: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { agent: number; grandchild: number };
}

void describe('RunManager', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await setUp();
  });
  afterEach(async () => {
    await f.manager.shutdown();
    await f.tb.dispose();
  });

  void it('runs the agent in the worktree, logs its output, and advances the ticket on exit 0', async () => {
    const run = await queuedRun(f);
    const lines: RunOutputLine[] = [];
    f.manager.onDidOutput((l) => lines.push(l));
    const record = path.join(f.tb.root, 'record.json');
    launch(f, run, [{ print: 'working on it' }, { stderr: 'a warning' }, { record }, { exit: 0 }]);
    await f.manager.whenEnded(run.id);

    const ended = f.board.getRun(run.id);
    assert.equal(ended?.status, 'succeeded');
    assert.equal(ended?.exitCode, 0);
    assert.ok(ended?.pid !== undefined && ended.pid > 0);
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_QA');
    const moved = f.board.history(run.ticketId).at(-1);
    assert.equal(moved?.by, 'runner');
    assert.match(moved?.note ?? '', new RegExp(run.id));

    const log = readFileSync(path.join(f.tb.dir, 'runs', run.id, 'output.log'), 'utf8');
    assert.match(log, /working on it/);
    assert.match(log, /a warning/);
    assert.deepEqual(
      lines.map((l) => [l.line, l.ticketId]),
      [
        ['working on it', run.ticketId],
        ['a warning', run.ticketId],
      ],
    );
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { cwd: string; env: Record<string, string> };
    assert.equal(seen.cwd, f.worktree);
    assert.equal(seen.env.AGENT_FACTORY_RUN_ID, run.id);
    assert.equal(seen.env.AGENT_FACTORY_BOARD, f.tb.dir);
    assert.equal(seen.env.AGENT_FACTORY_TICKET, run.ticketId);
    assert.equal(seen.env.AGENT_FACTORY_PIPELINE, 'IN_DEV,IN_QA,IN_UX,IN_SEC,PM_REVIEW', 'the stages its verdicts move the ticket along');
    assert.match(runThreadBodies(f, run.ticketId).join('\n'), /succeeded: the agent exited 0; ticket moved to IN_QA/);
  });

  void it('records a failed attempt with the last 40 lines of output and leaves the ticket', async () => {
    const run = await queuedRun(f);
    const steps: Step[] = [];
    for (let i = 1; i <= 50; i++) steps.push({ print: `line ${i}` });
    launch(f, run, [...steps, { exit: 3 }]);
    await f.manager.whenEnded(run.id);

    const ended = f.board.getRun(run.id);
    assert.equal(ended?.status, 'failed');
    assert.equal(ended?.exitCode, 3);
    assert.match(ended?.note ?? '', /exited with code 3/);
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_DEV');
    const [body] = runThreadBodies(f, run.ticketId);
    assert.ok(body);
    assert.match(body, /failed: the agent exited with code 3/);
    assert.match(body, /line 11\nline 12/);
    assert.match(body, /line 50$/);
    assert.doesNotMatch(body, /line 10\n/);
  });

  void it('cancel kills the agent and its grandchild, then marks the run cancelled', async () => {
    const run = await queuedRun(f);
    const pidFile = path.join(f.tb.root, 'pids.json');
    launch(f, run, [{ grandchild: pidFile }, { print: 'started' }, { sleep: 60_000 }]);
    await waitUntil(() => existsSync(pidFile) && f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const pids = readPids(pidFile);
    assert.ok(isProcessAlive(pids.agent) && isProcessAlive(pids.grandchild));

    const cancelled = await f.manager.cancel(run.id);
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal(isProcessAlive(pids.agent), false);
    await waitUntil(() => !isProcessAlive(pids.grandchild), 3000, 'the grandchild to be gone');
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_DEV');
    assert.match(runThreadBodies(f, run.ticketId).join('\n'), /was cancelled: cancelled by the user/);
  });

  void it('a tree that ignores SIGTERM is killed after the grace period and marked timed_out', async () => {
    const run = await queuedRun(f);
    const pidFile = path.join(f.tb.root, 'stubborn.json');
    launch(f, run, [{ ignoreTerm: true }, { grandchild: pidFile }, { sleep: 60_000 }]);
    await waitUntil(() => existsSync(pidFile) && f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const pids = readPids(pidFile);
    const started = Date.now();
    const stopped = await f.manager.stop(run.id, 'timed_out', 'ran longer than 60 minutes');
    assert.ok(Date.now() - started >= 900, 'waited for the grace period before SIGKILL');
    assert.equal(stopped?.status, 'timed_out');
    assert.equal(stopped?.note, 'ran longer than 60 minutes');
    assert.equal(isProcessAlive(pids.agent), false);
    await waitUntil(() => !isProcessAlive(pids.grandchild), 3000, 'the grandchild to be gone');
  });

  void it('queues runs beyond the parallel limit in order and starts them as slots free up', async () => {
    f.manager.setMaxParallel(2);
    const runs = [await queuedRun(f, 'one'), await queuedRun(f, 'two'), await queuedRun(f, 'three'), await queuedRun(f, 'four')];
    let peak = 0;
    f.manager.onDidChange(() => (peak = Math.max(peak, f.manager.runningCount)));
    const positions = runs.map((r) => launch(f, r, [{ sleep: 300 }, { exit: 0 }]));
    assert.deepEqual(positions, [undefined, undefined, 1, 2]);
    assert.deepEqual(f.manager.queuedRunIds(), [runs[2]?.id, runs[3]?.id]);
    assert.equal(f.board.getRun(runs[3]?.id ?? '')?.status, 'queued');

    await f.manager.whenEnded(runs[0]?.id ?? '');
    await waitUntil(() => f.manager.queuePosition(runs[3]?.id ?? '') === undefined, 5000, 'the queue to move');
    for (const r of runs) await f.manager.whenEnded(r.id);
    assert.equal(peak, 2);
    for (const r of runs) assert.equal(f.board.getRun(r.id)?.status, 'succeeded');
  });

  void it('cancelling a queued run takes it out of the queue without starting it', async () => {
    f.manager.setMaxParallel(1);
    const first = await queuedRun(f, 'first');
    const second = await queuedRun(f, 'second');
    launch(f, first, [{ sleep: 300 }, { exit: 0 }]);
    assert.equal(launch(f, second, [{ print: 'should never run' }, { exit: 0 }]), 1);
    const cancelled = await f.manager.cancel(second.id);
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal(f.manager.queuePosition(second.id), undefined);
    await f.manager.whenEnded(first.id);
    assert.equal(f.board.getRun(second.id)?.pid, undefined);
  });

  void it('hostile titles reach the agent as single arguments, without a shell', async () => {
    const title = 'Fix $(touch pwned) `touch pwned2`; rm -rf ~ && echo "q" \'s\' | cat > pwned3 ${worktree}';
    const run = await queuedRun(f, title);
    const record = path.join(f.tb.root, 'argv.json');
    launch(f, run, [{ record }], ['${title}', '--ticket=${ticketId}', '; rm -rf /', 'line one\nline two']);
    await f.manager.whenEnded(run.id);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[] };
    assert.deepEqual(seen.argv, [title, `--ticket=${run.ticketId}`, '; rm -rf /', 'line one\nline two']);
    for (const name of ['pwned', 'pwned2', 'pwned3']) assert.equal(existsSync(path.join(f.worktree, name)), false);
  });

  void it('a program that cannot start is a failed attempt saying why', async () => {
    const run = await queuedRun(f);
    f.manager.launch({ runId: run.id, command: { program: path.join(f.tb.root, 'no-such-agent'), args: [] }, title: 't', promptFile: 'p', worktree: f.worktree });
    await f.manager.whenEnded(run.id);
    const ended = f.board.getRun(run.id);
    assert.equal(ended?.status, 'failed');
    assert.match(ended?.note ?? '', /could not run the agent: .*ENOENT/);
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_DEV');
  });

  void it('writes the heartbeat and the last output time, batched', async () => {
    await f.manager.shutdown();
    f.manager = new RunManager({ board: f.board, clock: f.tb.clock, heartbeatIntervalMs: 100 });
    const run = await queuedRun(f);
    launch(f, run, [{ print: 'tick' }, { sleep: 60_000 }]);
    await waitUntil(() => f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const startedBeat = f.board.getRun(run.id)?.heartbeatAt ?? 0;
    f.tb.clock.advance(5000);
    await waitUntil(() => (f.board.getRun(run.id)?.lastOutputAt ?? 0) > 0, 5000, 'the output time');
    await waitUntil(() => (f.board.getRun(run.id)?.heartbeatAt ?? 0) >= startedBeat + 5000, 5000, 'a heartbeat');
    await f.manager.cancel(run.id);
  });

  void it('stops its agent when another process ends the run, and keeps that decision', async () => {
    const run = await queuedRun(f);
    const pidFile = path.join(f.tb.root, 'pids.json');
    launch(f, run, [{ grandchild: pidFile }, { sleep: 60_000 }]);
    await waitUntil(() => existsSync(pidFile) && f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const pids = readPids(pidFile);
    const other = await f.tb.open();
    await other.write((tx) => tx.updateRun(run.id, { status: 'cancelled', endedAt: f.tb.clock.now(), note: 'cancelled in another window' }));
    await f.board.refresh();
    await f.manager.whenEnded(run.id);
    const ended = f.board.getRun(run.id);
    assert.equal(ended?.status, 'cancelled');
    assert.equal(ended?.note, 'cancelled in another window');
    assert.equal(isProcessAlive(pids.agent), false);
    await waitUntil(() => !isProcessAlive(pids.grandchild), 3000, 'the grandchild to be gone');
  });

  void it('after the agent reports done elsewhere, it gets a grace period to exit, then is stopped', async () => {
    await f.manager.shutdown();
    f.manager = new RunManager({ board: f.board, clock: f.tb.clock, doneGraceMs: 200, stopGraceMs: 500 });
    const run = await queuedRun(f);
    const ended: string[] = [];
    f.manager.onDidEndRun((e) => ended.push(`${e.run.status}->${e.advancedTo ?? '-'}`));
    launch(f, run, [{ sleep: 60_000 }]);
    await waitUntil(() => f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const other = await f.tb.open();
    await other.write((tx) => {
      tx.transition(run.ticketId, 'IN_DEV', 'IN_QA', 'fake', 'done');
      tx.updateRun(run.id, { status: 'succeeded', endedAt: f.tb.clock.now(), note: 'reported done' });
    });
    await f.board.refresh();
    await f.manager.whenEnded(run.id);
    assert.equal(f.board.getRun(run.id)?.status, 'succeeded');
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_QA');
    assert.deepEqual(ended, ['succeeded->IN_QA']);
    assert.equal(isProcessAlive(f.board.getRun(run.id)?.pid), false);
  });

  void it('a ticket moved away from the run\'s stage stops its agent, and the exit 0 that follows moves nothing', async () => {
    const run = await queuedRun(f);
    const pidFile = path.join(f.tb.root, 'pids.json');
    launch(f, run, [{ grandchild: pidFile }, { sleep: 60_000 }, { exit: 0 }]);
    await waitUntil(() => existsSync(pidFile) && f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const pids = readPids(pidFile);
    await f.board.write((tx) => tx.transition(run.ticketId, 'IN_DEV', 'BLOCKED', 'user', 'waiting for the API key'));
    await f.manager.whenEnded(run.id);
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'BLOCKED');
    const ended = f.board.getRun(run.id);
    assert.equal(ended?.status, 'cancelled');
    assert.match(ended?.note ?? '', new RegExp(`${run.ticketId} moved to BLOCKED \\(by user\\) while its agent worked on IN_DEV`));
    assert.equal(isProcessAlive(pids.agent), false);
    await waitUntil(() => !isProcessAlive(pids.grandchild), 3000, 'the grandchild to be gone');
  });

  void it('a ticket moved by another process (the CLI) stops the run too, and so does a deleted ticket', async () => {
    const moved = await queuedRun(f, 'moved by the CLI');
    const deleted = await queuedRun(f, 'deleted');
    launch(f, moved, [{ sleep: 60_000 }]);
    launch(f, deleted, [{ sleep: 60_000 }]);
    await waitUntil(() => f.board.getRun(moved.id)?.status === 'running' && f.board.getRun(deleted.id)?.status === 'running', 10_000, 'the agents to start');
    const cli = await f.tb.open();
    await cli.write((tx) => tx.transition(moved.ticketId, 'IN_DEV', 'READY', 'user', 'not now'));
    await cli.write((tx) => tx.deleteTicket(deleted.ticketId, 'user'));
    await f.board.refresh();
    await f.manager.whenEnded(moved.id);
    await f.manager.whenEnded(deleted.id);
    assert.equal(f.board.getRun(moved.id)?.status, 'cancelled');
    assert.equal(f.board.getRun(deleted.id), undefined, 'its run went with the ticket');
    assert.deepEqual(f.manager.activeRunIds(), []);
  });

  void it('a queued run whose ticket moved leaves the queue without starting', async () => {
    f.manager.setMaxParallel(1);
    const first = await queuedRun(f, 'first');
    const second = await queuedRun(f, 'second');
    launch(f, first, [{ sleep: 60_000 }]);
    launch(f, second, [{ print: 'should never run' }, { exit: 0 }]);
    await f.board.write((tx) => tx.transition(second.ticketId, 'IN_DEV', 'READY', 'user'));
    await waitUntil(() => f.board.getRun(second.id)?.status === 'cancelled', 5000, 'the queued run to be cancelled');
    assert.equal(f.manager.queuePosition(second.id), undefined);
    assert.equal(f.board.getRun(second.id)?.pid, undefined);
    await f.manager.cancel(first.id);
  });

  void it('a cancel that arrives after the agent exited by itself loses: the exit result stands', async () => {
    const run = await queuedRun(f);
    const record = path.join(f.tb.root, 'exited.json');
    // A grandchild keeps the output pipes open, so the outcome waits a moment after the exit.
    launch(f, run, [{ record }, { holdOutput: 4000 }, { exit: 0 }]);
    const agentPid = await recordedPid(f, record, run.id);
    await waitUntil(() => !isProcessAlive(agentPid), 10_000, 'the agent to exit');
    assert.equal(f.board.getRun(run.id)?.status, 'running', 'no outcome yet: the output is still draining');
    const ended = await f.manager.cancel(run.id);
    assert.equal(ended?.status, 'succeeded');
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_QA');
  });

  void it('a cancel another window wrote after the agent exited by itself loses too', async () => {
    const run = await queuedRun(f);
    const record = path.join(f.tb.root, 'exited-elsewhere.json');
    launch(f, run, [{ record }, { holdOutput: 4000 }, { exit: 0 }]);
    const agentPid = await recordedPid(f, record, run.id);
    // Reaped, not just a zombie: the manager has seen its exit by then.
    await waitUntil(() => reaped(agentPid), 10_000, 'the agent to exit');
    f.tb.clock.advance(1000);
    const other = await f.tb.open();
    await other.write((tx) => tx.updateRun(run.id, { status: 'cancelled', endedAt: f.tb.clock.now(), note: 'cancelled in another window' }));
    await f.board.refresh();
    await f.manager.whenEnded(run.id);
    assert.equal(f.board.getRun(run.id)?.status, 'succeeded');
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_QA');
  });

  void it('a worktree deleted under a running agent stops it at once and files a high bug', async () => {
    const run = await queuedRun(f);
    const pidFile = path.join(f.tb.root, 'pids-wt.json');
    launch(f, run, [{ grandchild: pidFile }, { sleep: 60_000 }]);
    await waitUntil(() => existsSync(pidFile) && f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
    const pids = readPids(pidFile);
    rmSync(f.worktree, { recursive: true, force: true });
    // Well before the heartbeat would look (fs.watch answers).
    await waitUntil(() => f.board.getRun(run.id)?.status === 'failed', 5000, 'the run to be stopped');
    const ended = f.board.getRun(run.id);
    assert.equal(ended?.note, 'the worktree disappeared while the agent ran');
    await waitUntil(() => !isProcessAlive(pids.agent) && !isProcessAlive(pids.grandchild), 5000, 'the agent and its grandchild to be gone');
    const [bug] = f.board.listBugs(run.ticketId);
    assert.equal(bug?.title, 'Worktree disappeared while the agent ran');
    assert.equal(bug?.severity, 'high');
    assert.equal(f.board.getTicket(run.ticketId)?.status, 'IN_DEV');
  });

  void it('never starts an agent in the main checkout', async () => {
    const run = await queuedRun(f);
    f.manager.launch({ runId: run.id, command: fakeAgentCommand([{ exit: 0 }]), title: 't', promptFile: 'p', worktree: f.tb.root });
    await f.manager.whenEnded(run.id);
    const ended = f.board.getRun(run.id);
    assert.equal(ended?.status, 'failed');
    assert.match(ended?.note ?? '', /is the main checkout, not a ticket's worktree/);
    assert.equal(ended?.pid, undefined);
  });

  void it('ends a live row of its own that it no longer works on, once its heartbeat is stale', async () => {
    await f.manager.shutdown();
    f.manager = new RunManager({ board: f.board, clock: f.tb.clock, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 30_000 });
    const forgotten = await queuedRun(f, 'forgotten');
    await f.manager.beat();
    assert.equal(f.board.getRun(forgotten.id)?.status, 'queued', 'a fresh row is left alone: its start may be under way');
    f.tb.clock.advance(31_000);
    await f.manager.beat();
    const ended = f.board.getRun(forgotten.id);
    assert.equal(ended?.status, 'lost');
    assert.match(ended?.note ?? '', /its owner no longer works on it/);
  });

  void it('with nothing to heartbeat, reads the runs only while a forgotten row may turn up', async () => {
    await f.manager.shutdown();
    f.manager = new RunManager({ board: f.board, clock: f.tb.clock, heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 30_000 });
    let reads = 0;
    const listRuns = f.board.listRuns.bind(f.board);
    f.board.listRuns = (filter) => {
      reads++;
      return listRuns(filter);
    };
    const beatsReading = async (n: number): Promise<number> => {
      const before = reads;
      for (let i = 0; i < n; i++) {
        f.tb.clock.advance(10_000);
        await f.manager.beat();
      }
      return reads - before;
    };
    // Rows of this owner from before the manager started are looked for until they would be stale.
    assert.ok((await beatsReading(4)) > 0);
    // A quiet board: leases and agent states only.
    await f.board.acquireLease('agents', 30_000);
    await f.board.write((tx) => tx.setAgentState('PM', { lastCycleAt: f.tb.clock.now() }));
    assert.equal(await beatsReading(6), 0, 'a quiet owner reads nothing at its beats');
    // A row recorded outside the manager (a start that failed before handing it over) is still found.
    const forgotten = await queuedRun(f, 'forgotten');
    await beatsReading(4);
    assert.equal(f.board.getRun(forgotten.id)?.status, 'lost');
    // Ending it was a write of a run, which may leave another: a while longer, then quiet again.
    await beatsReading(4);
    assert.equal(await beatsReading(3), 0);
    // And every few minutes it looks anyway.
    assert.ok((await beatsReading(30)) > 0);
  });

  void it('caps the log: the first and the latest halves, and a line saying how much was left out', async () => {
    await f.manager.shutdown();
    f.manager = new RunManager({ board: f.board, clock: f.tb.clock, maxLogBytes: 4096 });
    const run = await queuedRun(f);
    const steps: Step[] = [];
    for (let i = 1; i <= 400; i++) steps.push({ print: `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}` });
    launch(f, run, [...steps, { exit: 0 }]);
    await f.manager.whenEnded(run.id);
    const file = path.join(f.tb.dir, 'runs', run.id, 'output.log');
    const log = readFileSync(file, 'utf8');
    assert.ok(statSync(file).size <= 4096 + 200, `the log is ${statSync(file).size} bytes`);
    assert.match(log, /^line 0001 /);
    assert.match(log, /line 0400 x+\n$/);
    assert.match(log, /\[\.\.\. \d+ bytes of output left out: the log keeps its first and last 2 KB \.\.\.\]/);
    assert.doesNotMatch(log, /line 0200 /);
  });

  void it('shutdown cancels queued and running runs and leaves no process behind', async () => {
    f.manager.setMaxParallel(1);
    const running = await queuedRun(f, 'running');
    const waiting = await queuedRun(f, 'waiting');
    const pidFile = path.join(f.tb.root, 'pids.json');
    launch(f, running, [{ grandchild: pidFile }, { sleep: 60_000 }]);
    launch(f, waiting, [{ exit: 0 }]);
    await waitUntil(() => existsSync(pidFile) && f.board.getRun(running.id)?.status === 'running', 10_000, 'the agent to start');
    const pids = readPids(pidFile);
    await f.manager.shutdown('the window closed');
    assert.equal(f.board.getRun(running.id)?.status, 'cancelled');
    assert.equal(f.board.getRun(waiting.id)?.status, 'cancelled');
    assert.equal(f.board.getRun(running.id)?.note, 'the window closed');
    assert.equal(isProcessAlive(pids.agent), false);
    await waitUntil(() => !isProcessAlive(pids.grandchild), 3000, 'the grandchild to be gone');
    assert.throws(() => launch(f, waiting, []), /shut down/);
    await delay(0);
  });

  void it('records how the agent started with the next heartbeat when the write that should have failed (a full disk)', async () => {
    await f.manager.shutdown();
    let failNext = false;
    const board = new Proxy(f.board, {
      get(target, prop) {
        if (prop === 'write' && failNext) {
          failNext = false;
          return () => Promise.reject(new Error('the change could not be saved: EFBIG: file too large, write'));
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    f.manager = new RunManager({ board, clock: f.tb.clock, stopGraceMs: 1000 });
    const run = await queuedRun(f);
    const record = path.join(f.tb.root, 'unsaved-start.json');
    failNext = true;
    launch(f, run, [{ record }, { sleep: 60_000 }]);
    await waitUntil(() => existsSync(record) && !failNext, 10_000, 'the agent to start and the write to fail');
    const pid = (JSON.parse(readFileSync(record, 'utf8')) as { pid: number }).pid;
    await waitUntil(() => f.manager.activeRunIds().includes(run.id), 10_000, 'the run to be supervised');
    assert.equal(f.board.getRun(run.id)?.pid, undefined, 'the start was not recorded');
    await waitUntil(async () => {
      await f.manager.beat();
      return f.board.getRun(run.id)?.pid !== undefined;
    }, 10_000, 'a heartbeat to record the start');
    const row = f.board.getRun(run.id);
    assert.equal(row?.status, 'running');
    assert.equal(row?.pid, pid, 'the heartbeat records the agent\'s pid, so it can be found if this owner dies');
    assert.ok(row?.processStart, 'and its start token');
    await f.manager.cancel(run.id);
  });
});
