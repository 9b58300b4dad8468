import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AGENTS_LEASE } from '../../../src/agents/manager';
import { silentLogger } from '../../../src/domain/logger';
import { startHost, type Host } from '../../../src/host/host';
import { processStarterPid, usesProcessStarter } from '../../../src/process/processStarter';
import { isProcessAlive } from '../../../src/process/processTree';
import { PM_THREAD_KEY } from '../../../src/runner/threads';
import { Settings } from '../../../src/settings/settings';
import { openBoard } from '../../../src/store/sqlBoard';
import { cli } from '../cli/cliProcess';
import { makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { compiledCli, fakeAgentCommand, waitUntil } from '../runner/agentPaths';

void describe('the headless host', () => {
  let repo: TempRepo;
  let host: Host | undefined;
  let values: Record<string, unknown>;

  beforeEach(async () => {
    repo = makeTempRepo();
    const board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, create: true });
    await board.close();
    values = { 'board.leaseTimeoutSeconds': 10, 'pm.stopGraceSeconds': 1 };
  });
  afterEach(async () => {
    await host?.stop();
    repo.dispose();
  });

  const start = async (): Promise<Host> => {
    const settings = new Settings({ get: (key) => values[key] }, silentLogger);
    host = await startHost({ repoRoot: repo.root, settings, log: silentLogger, cli: { nodePath: process.execPath, script: compiledCli }, handleSignals: false });
    return host;
  };

  void it('takes the agents lease, runs agents for tickets, and on stop records its runs, releases the lease and closes the board', async () => {
    values['agents.dev.command'] = fakeAgentCommand([{ cli: ['note', 'working from the headless host'] }, { sleep: 60_000 }]);
    const h = await start();
    await waitUntil(() => h.manager.isLeader, 10_000, 'the host to hold the agents lease');
    const ticket = await h.board.write((tx) => tx.createTicket({ title: 'Headless work', status: 'READY' }, 'user'));
    const started = await h.runner.startTicket(ticket.id);
    assert.ok(existsSync(started.worktree), 'a real worktree, made with simple-git');
    const thread = () => h.board.findConversation(ticket.id, PM_THREAD_KEY);
    await waitUntil(() => (thread() ? h.board.listMessages(thread()!.id).length > 0 : false), 20_000, 'the agent to report through agent-factory');
    await waitUntil(() => h.board.getRun(started.run.id)?.status === 'running', 10_000, 'the run to be recorded running');
    const pid = h.board.getRun(started.run.id)?.pid;
    assert.ok(pid && isProcessAlive(pid));

    await h.stop('the host was asked to stop');
    assert.equal(isProcessAlive(pid), false, 'its agent was stopped');
    const after = await openBoard({ dir: h.board.dir, repoRoot: repo.root, create: false, pollMs: 0 });
    try {
      assert.equal(after.getRun(started.run.id)?.status, 'cancelled');
      assert.equal(after.getRun(started.run.id)?.note, 'the host was asked to stop');
      assert.equal(after.getLease(AGENTS_LEASE), undefined, 'the lease is released, so another host takes over at once');
    } finally {
      await after.close();
    }
    await assert.rejects(h.board.write(() => undefined), /closed/);
  });

  void it('stops the run of a ticket moved with the CLI, the way a person moves it from a terminal', async () => {
    values['agents.dev.command'] = fakeAgentCommand([{ sleep: 60_000 }]);
    const h = await start();
    const ticket = await h.board.write((tx) => tx.createTicket({ title: 'Moved from the command line', status: 'READY' }, 'user'));
    const started = await h.runner.startTicket(ticket.id);
    await waitUntil(() => h.board.getRun(started.run.id)?.status === 'running', 10_000, 'the agent to start');
    const pid = h.board.getRun(started.run.id)!.pid!;
    const moved = await cli(['move', ticket.id, 'BLOCKED', '--note', 'waiting for the design'], { cwd: repo.root });
    assert.equal(moved.code, 0, moved.stderr);
    await waitUntil(() => h.board.getRun(started.run.id)?.status === 'cancelled', 10_000, 'the host to stop the run');
    assert.match(h.board.getRun(started.run.id)?.note ?? '', /moved to BLOCKED \(by user\) while its agent worked on IN_DEV/);
    await waitUntil(() => !isProcessAlive(pid), 5000, 'the agent to be gone');
  });

  void it('starts its git commands in a process starter of its own, gone once the host stops', async () => {
    values['agents.dev.command'] = fakeAgentCommand([{ sleep: 60_000 }]);
    const h = await start();
    assert.ok(usesProcessStarter(), 'the host uses a process starter from the start');
    const ticket = await h.board.write((tx) => tx.createTicket({ title: 'Git from the starter', status: 'READY' }, 'user'));
    const started = await h.runner.startTicket(ticket.id);
    assert.ok(existsSync(started.worktree), 'the worktree was made, its git run in the starter');
    const starter = processStarterPid();
    assert.ok(starter !== undefined && isProcessAlive(starter), 'a starter runs');
    // Its parent is this process and it runs the compiled starter program, not a git of its own.
    const stat = readFileSync(`/proc/${starter}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), process.pid);
    assert.match(readFileSync(`/proc/${starter}/cmdline`, 'utf8'), /processStarterMain\.js/);

    await h.stop('the host was asked to stop');
    assert.equal(usesProcessStarter(), false, 'git starts directly again in this process');
    await waitUntil(() => !isProcessAlive(starter), 10_000, 'the starter to exit');
  });

  void it('refuses to start without a board, saying how to make one', async () => {
    const bare = makeTempRepo();
    try {
      const settings = new Settings({ get: () => undefined }, silentLogger);
      await assert.rejects(startHost({ repoRoot: bare.root, settings, log: silentLogger, handleSignals: false }), /there is no board in .*agent-factory init/);
    } finally {
      bare.dispose();
    }
  });
});
