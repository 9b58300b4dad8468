import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsePmReport } from '../../../src/agents/pm/report';
import { openBoard } from '../../../src/store/sqlBoard';
import type { RunStopper, WorktreeSignals } from '../../../src/agents/pm/signals';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { createPmPorts } from '../../../src/host/pmPorts';
import { localProcessProbe } from '../../../src/process/localProbe';
import { processStartToken } from '../../../src/process/processIdentity';
import { isProcessAlive, signalProcessTree } from '../../../src/process/processTree';
import { RunManager } from '../../../src/runner/runManager';
import { Settings } from '../../../src/settings/settings';
import { silentLogger } from '../../../src/domain/logger';
import { fakeAgentCommand, waitUntil } from '../runner/agentPaths';
import { cycle, ELSEWHERE, fixture, inDev, noSignals, pm, type Fixture } from './pmFixture';

/** A process that sleeps in its own group until killed; its pid and start token. */
async function sleeper(): Promise<{ pid: number; start: string | undefined; kill(): void }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid!;
  return { pid, start: await processStartToken(pid), kill: () => signalProcessTree(pid, 'SIGKILL') };
}

/** The pid of a process that has exited: an owner that is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function foreignRun(f: Fixture, ticketId: string, owner: string, heartbeatAt: number) {
  return f.board.write((tx) => {
    const run = tx.createRun({ ticketId, stage: 'IN_DEV', agent: 'fake', status: 'running' });
    return tx.updateRun(run.id, { owner, heartbeatAt });
  });
}

describe('PM: who is alive', () => {
  it('never marks lost, stops or heals a run this process owns and supervises, even after this process stalled for minutes', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const worktree = join(f.root, 'wt', id);
    mkdirSync(worktree, { recursive: true });
    const runs = new RunManager({ board: f.board, clock: f.clock, stopGraceMs: 1000 });
    try {
      const run = await f.board.write((tx) => tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'queued', worktree }));
      runs.launch({ runId: run.id, command: fakeAgentCommand([{ sleep: 60_000 }]), title: 't', promptFile: join(f.root, 'p.md'), worktree });
      await waitUntil(() => f.board.getRun(run.id)?.status === 'running', 10_000, 'the agent to start');
      const pid = f.board.getRun(run.id)!.pid!;
      // The host thread stalled (suspend, debugger): five minutes without a heartbeat, longer than
      // the heartbeat timeout and the heal grace period together.
      f.clock.advanceMinutes(5);
      const stopper: RunStopper = { stop: async (r, status, note) => void (await runs.stop(r.id, status, note)) };
      await cycle(pm({}, noSignals, { stopper }), f);
      assert.equal(f.board.getRun(run.id)?.status, 'running');
      assert.equal(isProcessAlive(pid), true, 'its agent was not stopped');
      assert.equal(f.board.getTicket(id)?.status, 'IN_DEV', 'its ticket was not healed');
    } finally {
      await runs.shutdown();
      await f.board.close();
    }
  });

  it('judges a run again inside its write: an owner heard from during the cycle\'s git work keeps its run', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const run = await foreignRun(f, id, ELSEWHERE, f.clock.now());
    f.clock.advance(45_000);
    const owner = await openBoard({ dir: f.board.dir, repoRoot: f.root, clock: f.clock, ownerId: ELSEWHERE, pollMs: 0 });
    const slowGit: WorktreeSignals = {
      exists: async () => true,
      // The owner comes back while the PM reads the worktree.
      activity: async () => {
        await owner.write((tx) => tx.updateRun(run.id, { heartbeatAt: f.clock.now() }));
        return { commitsAhead: 0, changedFileCount: 0 };
      },
    };
    await cycle(pm({}, slowGit), f);
    assert.equal(f.board.getRun(run.id)?.status, 'running');
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.lost, []);
    await owner.close();
    await f.board.close();
  });

  it('after its own clock jumped mid-cycle, gives owners elsewhere a full heartbeat timeout before calling them gone', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const run = await foreignRun(f, id, ELSEWHERE, f.clock.now());
    let froze = false;
    const frozen: WorktreeSignals = {
      exists: async () => true,
      // This process froze for two minutes in the middle of its first cycle.
      activity: async () => {
        if (!froze) f.clock.advanceMinutes(2);
        froze = true;
        return { commitsAhead: 0, changedFileCount: 0 };
      },
    };
    const agent = pm({}, frozen);
    await cycle(agent, f);
    assert.equal(f.board.getRun(run.id)?.status, 'running', 'its owner may have been frozen as long');
    f.clock.advance(20_000);
    await cycle(agent, f);
    assert.equal(f.board.getRun(run.id)?.status, 'running', 'still within the timeout after the jump');
    f.clock.advance(60_000);
    await cycle(agent, f);
    assert.equal(f.board.getRun(run.id)?.status, 'lost', 'silent for a timeout after this process came back');
    await f.board.close();
  });

  it('after this process stalled between cycles (the stall watch saw it), waits a heartbeat timeout too', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const run = await foreignRun(f, id, ELSEWHERE, f.clock.now());
    f.clock.advanceMinutes(3);
    const resumedAt = f.clock.now();
    const agent = pm({}, noSignals, { awakeSince: () => resumedAt });
    await cycle(agent, f);
    assert.equal(f.board.getRun(run.id)?.status, 'running');
    f.clock.advance(31_000);
    await cycle(agent, f);
    assert.equal(f.board.getRun(run.id)?.status, 'lost');
    await f.board.close();
  });

  it('never stops a person\'s terminal for overrun nor flags it stalled: at most a quiet check-in', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const terminal = await f.board.write((tx) => tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'terminal', status: 'running' }));
    f.clock.advanceMinutes(3 * 60);
    // Its owner heartbeats; the person typed nothing for hours.
    await f.board.write((tx) => tx.updateRun(terminal.id, { heartbeatAt: f.clock.now() }));
    let stops = 0;
    const result = await cycle(pm({}, noSignals, { stopper: { stop: async () => void stops++ } }), f);
    assert.equal(stops, 0);
    assert.equal(f.board.getRun(terminal.id)?.status, 'running');
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.runs, [], 'neither stalled nor overrun');
    assert.equal(f.board.latestCheckIn(id)?.type, 'progress');
    assert.equal(f.board.listConversations({ ticketId: id }).length, 0, 'a quiet check-in opens no thread');
    assert.doesNotMatch(result.summary, /stalled|overrun/);
    await f.board.close();
  });

  it('leaves an orphan running and reports it, marks it lost once it is gone, and stops one whose ticket moved', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const moving = await inDev(f, 'Moved while orphaned');
    const owner = `${localProcessProbe.hostname}:${await deadPid()}:closed-window`;
    const [a, b] = [await sleeper(), await sleeper()];
    try {
      const orphan = await f.board.write((tx) => {
        const run = tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'running' });
        return tx.updateRun(run.id, { owner, pid: a.pid, processStart: a.start });
      });
      const movedOrphan = await f.board.write((tx) => {
        const run = tx.createRun({ ticketId: moving, stage: 'IN_DEV', agent: 'fake', status: 'running' });
        return tx.updateRun(run.id, { owner, pid: b.pid, processStart: b.start });
      });
      f.clock.advanceMinutes(10);
      const settings = new Settings({ get: (key) => (key === 'pm.stopGraceSeconds' ? 1 : undefined) }, silentLogger);
      const { stopper } = createPmPorts(settings, new SimpleGitPort(), silentLogger, localProcessProbe, () => undefined);
      const agent = pm({}, noSignals, { stopper });

      await f.board.write((tx) => tx.transition(moving, 'IN_DEV', 'READY', 'user', 'not now'));
      await cycle(agent, f);
      assert.equal(f.board.getRun(orphan.id)?.status, 'running', 'an orphan works on: not lost');
      assert.equal(f.board.getTicket(id)?.status, 'IN_DEV', 'nor is its ticket healed');
      assert.equal(isProcessAlive(a.pid), true);
      assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.orphans.map((o) => o.runId), [orphan.id]);
      assert.equal(f.board.getRun(movedOrphan.id)?.status, 'cancelled', 'an orphan whose ticket moved is stopped');
      assert.match(f.board.getRun(movedOrphan.id)?.note ?? '', /moved to READY while its orphaned agent worked/);
      await waitUntil(() => !isProcessAlive(b.pid), 5000, 'the moved ticket\'s orphan to be gone');

      a.kill();
      await waitUntil(() => !isProcessAlive(a.pid), 5000, 'the orphan to be gone');
      await cycle(agent, f);
      assert.equal(f.board.getRun(orphan.id)?.status, 'lost');
    } finally {
      a.kill();
      b.kill();
      await f.board.close();
    }
  });

  it('never signals a pid that another process took over', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const owner = `${localProcessProbe.hostname}:${await deadPid()}:closed-window`;
    const stranger = await sleeper();
    try {
      const run = await f.board.write((tx) => {
        const r = tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'running' });
        // Recorded with another start token: the agent is gone and this pid was handed out again.
        return tx.updateRun(r.id, { owner, pid: stranger.pid, processStart: `${stranger.start ?? 'boot/1'}0` });
      });
      await f.board.write((tx) => tx.transition(id, 'IN_DEV', 'READY', 'user'));
      const { stopper } = createPmPorts(new Settings({ get: () => undefined }, silentLogger), new SimpleGitPort(), silentLogger, localProcessProbe, () => undefined);
      await stopper.stop(f.board.getRun(run.id)!, 'cancelled', 'moved');
      assert.equal(isProcessAlive(stranger.pid), true, 'the stranger lives');
      await cycle(pm({}, noSignals, { stopper }), f);
      assert.equal(isProcessAlive(stranger.pid), true);
      assert.equal(f.board.getRun(run.id)?.status, 'lost', 'the run\'s own agent is gone: lost, nothing signalled');
    } finally {
      stranger.kill();
      await f.board.close();
    }
  });
});
