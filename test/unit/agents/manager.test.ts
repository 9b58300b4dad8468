import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentName, BackgroundAgent, CycleContext, CycleResult } from '../../../src/agents/agent';
import { AgentManager, AGENTS_LEASE, type AgentStatus, type CycleWrite, type ManagerSettings } from '../../../src/agents/manager';
import { systemClock } from '../../../src/domain/clock';
import type { Board } from '../../../src/store/api';
import { openBoard } from '../../../src/store/sqlBoard';
import { silentLogger } from '../../../src/agents/agent';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function freshBoard(ownerId?: string, dir?: string): Promise<Board> {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'af-mgr-'));
  if (!dir) dirs.push(root);
  return openBoard({ dir: join(root, '.factory'), repoRoot: root, create: true, ...(ownerId ? { ownerId } : {}), pollMs: 100 });
}

class ScriptedAgent implements BackgroundAgent {
  readonly defaultIntervalSeconds = 1;
  cycles = 0;
  concurrent = 0;
  maxConcurrent = 0;
  constructor(
    readonly name: AgentName,
    private readonly body: (n: number, ctx: CycleContext) => Promise<CycleResult> = async () => ({ summary: 'ok' }),
  ) {}
  async runCycle(ctx: CycleContext): Promise<CycleResult> {
    this.cycles++;
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      return await this.body(this.cycles, ctx);
    } finally {
      this.concurrent--;
    }
  }
}

function settings(intervalMs: number, over: Partial<ManagerSettings> = {}): ManagerSettings {
  return { intervalSeconds: () => intervalMs / 1000, cycleTimeoutMs: () => 5_000, leaseTimeoutMs: () => 30_000, ...over };
}

function manager(board: Board, agents: BackgroundAgent[], s: ManagerSettings): AgentManager {
  return new AgentManager({ board, clock: systemClock, log: silentLogger, agents, settings: s, minIntervalMs: 1 });
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

function status(m: AgentManager, name: AgentName): AgentStatus {
  return m.statuses().find((s) => s.name === name)!;
}

describe('AgentManager', () => {
  it('runs each agent once at start and then on its interval', async () => {
    const board = await freshBoard();
    const pm = new ScriptedAgent('PM');
    const m = manager(board, [pm], settings(30));
    m.start();
    await until('the first cycle ran', () => pm.cycles >= 1);
    await until('three cycles ran', () => pm.cycles >= 3);
    await m.stop();
    const count = pm.cycles;
    await sleep(100);
    assert.equal(pm.cycles, count, 'no cycle after stop');
    assert.equal(status(m, 'PM').state, 'Stopped');
    await board.close();
  });

  it('never overlaps two cycles of one agent, even when run-now is pressed', async () => {
    const board = await freshBoard();
    const slow = new ScriptedAgent('Security', async () => {
      await sleep(60);
      return { summary: 'slow' };
    });
    const m = manager(board, [slow], settings(5));
    m.start();
    await until('a cycle started', () => slow.cycles >= 1);
    await Promise.all([m.runNow('Security'), m.runNow('Security')]);
    await until('four cycles ran', () => slow.cycles >= 4);
    await m.stop();
    assert.equal(slow.maxConcurrent, 1);
    await board.close();
  });

  it('marks a timed-out cycle Error and goes on with the next', async () => {
    const board = await freshBoard();
    const agent = new ScriptedAgent('Gatherer', async (n, ctx) => {
      if (n === 1) {
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted by signal'))));
      }
      return { summary: `cycle ${n} done` };
    });
    const m = manager(board, [agent], settings(20, { cycleTimeoutMs: () => 80 }));
    m.start();
    await until('the first cycle timed out', () => status(m, 'Gatherer').state === 'Error');
    assert.match(status(m, 'Gatherer').lastError ?? '', /timed out/);
    await until('a later cycle succeeded', () => status(m, 'Gatherer').state === 'Idle' && status(m, 'Gatherer').cycleCount >= 1);
    assert.match(status(m, 'Gatherer').activity, /cycle \d done/);
    await m.stop();
    await board.close();
  });

  it('recovers from a cycle that throws', async () => {
    const board = await freshBoard();
    const agent = new ScriptedAgent('Worktree', async (n) => {
      if (n === 1) throw new Error('git exploded');
      return { summary: 'tidy' };
    });
    const m = manager(board, [agent], settings(20));
    const seen: string[] = [];
    m.onDidChangeStatus((all) => seen.push(all[0].state));
    m.start();
    await until('the loop went on after the error', () => agent.cycles >= 2 && status(m, 'Worktree').state === 'Idle');
    assert.ok(seen.includes('Error'));
    assert.equal(status(m, 'Worktree').lastError, undefined, 'a good cycle clears the error');
    await m.stop();
    await board.close();
  });

  it('pauses and resumes, and the paused flag survives a reload', async () => {
    const board = await freshBoard();
    const pm = new ScriptedAgent('PM');
    const m = manager(board, [pm], settings(20));
    m.start();
    await until('ran', () => pm.cycles >= 1);
    await m.pause('PM');
    await until('paused', () => status(m, 'PM').state === 'Paused');
    const count = pm.cycles;
    await sleep(100);
    assert.equal(pm.cycles, count, 'a paused agent does not run');
    await m.stop();

    const again = manager(board, [pm], settings(20));
    again.start();
    await until('the new manager holds the lease', () => again.isLeader);
    assert.equal(status(again, 'PM').state, 'Paused');
    await again.resume('PM');
    await until('resumed and ran', () => pm.cycles > count);
    await again.stop();
    await board.close();
  });

  it('stop is idempotent and aborts a cycle in flight', async () => {
    const board = await freshBoard();
    let aborted = false;
    const agent = new ScriptedAgent('PM', async (_n, ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => { aborted = true; resolve(); }));
      return { summary: 'x' };
    });
    const m = manager(board, [agent], settings(20));
    m.start();
    await until('the cycle is in flight', () => agent.concurrent === 1);
    const first = m.stop();
    assert.equal(m.stop(), first);
    await first;
    assert.ok(aborted);
    await m.stop();
    await board.close();
  });

  it('runs loops only in the lease holder and hands over when the holder goes', async () => {
    const a = await freshBoard('host:1:a');
    const b = await freshBoard('host:2:b', a.repoRoot);
    const agentA = new ScriptedAgent('PM');
    const agentB = new ScriptedAgent('PM');
    const s = settings(50, { leaseTimeoutMs: () => 1_500 });
    const ma = manager(a, [agentA], s);
    const mb = manager(b, [agentB], s);
    ma.start();
    await until('A leads', () => ma.isLeader);
    mb.start();
    await until('A ran', () => agentA.cycles >= 2);
    await sleep(300);
    assert.equal(mb.isLeader, false);
    assert.equal(agentB.cycles, 0, 'B runs nothing while A holds the lease');
    await until('B shows the published status of A', () => status(mb, 'PM').cycleCount > 0 && !status(mb, 'PM').local, 3_000);

    await ma.stop();
    await until('B took over', () => mb.isLeader, 3_000);
    await until('B ran', () => agentB.cycles >= 1);
    await mb.stop();
    await a.close();
    await b.close();
  });

  it('a cycle abandoned after its timeout writes nothing afterwards, and the next one waits until it returned', async () => {
    const board = await freshBoard();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let late: Promise<unknown> | undefined;
    const agent = new ScriptedAgent('PM', async (n, ctx) => {
      if (n === 1) {
        // Ignores its abort signal, like a cycle stuck in a slow git call.
        await gate;
        late = ctx.board.write((tx) => tx.setMeta('late', 'written'));
        await late.catch(() => undefined);
        return { summary: 'late' };
      }
      return { summary: `cycle ${n}` };
    });
    const m = manager(board, [agent], settings(20, { cycleTimeoutMs: () => 100 }));
    m.start();
    await until('the first cycle timed out', () => status(m, 'PM').state === 'Error');
    await sleep(300);
    assert.equal(agent.cycles, 1, 'no new cycle while the abandoned one has not returned');
    release();
    await until('the abandoned cycle tried to write', () => late !== undefined);
    await assert.rejects(late!, /abandoned/);
    assert.equal(board.getMeta('late'), undefined, 'nothing it wrote after its timeout landed');
    await until('the next cycle ran', () => agent.cycles >= 2);
    assert.equal(agent.maxConcurrent, 1);
    await m.stop();
    await board.close();
  });

  it('a cycle of a window that lost the lease meanwhile writes nothing', async () => {
    const a = await freshBoard('host:1:a');
    const b = await freshBoard('host:2:b', a.repoRoot);
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let late: Promise<unknown> | undefined;
    const agent = new ScriptedAgent('PM', async (_n, ctx) => {
      await gate;
      late = ctx.board.write((tx) => tx.setMeta('stale-leader', 'written'));
      await late.catch(() => undefined);
      return { summary: 'done' };
    });
    const writes: CycleWrite[] = [];
    const m = manager(a, [agent], settings(60_000, { leaseTimeoutMs: () => 30_000 }));
    m.onDidWrite((w) => writes.push(w));
    m.start();
    await until('the cycle is in flight', () => agent.concurrent === 1);
    // Another window took the lease: from where it stands, this one was silent for too long.
    assert.equal(await b.acquireLease(AGENTS_LEASE, -1), true);
    release();
    await until('the cycle tried to write', () => late !== undefined);
    await assert.rejects(late!, /no longer holds the agents lease/);
    await a.refresh();
    assert.equal(a.getMeta('stale-leader'), undefined);
    assert.deepEqual(writes, []);
    await m.stop();
    await a.close();
    await b.close();
  });

  it('steps down when it cannot check the lease, instead of staying leader', async () => {
    const real = await freshBoard();
    let failing = false;
    const board = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'acquireLease' && failing) return async () => Promise.reject(new Error('disk I/O error'));
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const pm = new ScriptedAgent('PM');
    const said: string[] = [];
    const log = { ...silentLogger, info: (message: string) => void said.push(message) };
    const m = new AgentManager({ board, clock: systemClock, log, agents: [pm], settings: settings(30, { leaseTimeoutMs: () => 3_000 }), minIntervalMs: 1 });
    m.start();
    try {
      await until('it leads', () => m.isLeader && pm.cycles >= 1);
      failing = true;
      await until('it stepped down', () => !m.isLeader, 5_000);
      assert.match(said.join('\n'), /could not renew the agents lease \(disk I\/O error\)/);
      const cycles = pm.cycles;
      await sleep(200);
      assert.equal(pm.cycles, cycles, 'no cycle runs while it does not know it leads');
      failing = false;
      await until('it leads again', () => m.isLeader, 5_000);
    } finally {
      // A failed check must not leave the manager's timers holding the test file open.
      await m.stop();
      await real.close();
    }
  });

  it('other windows see Running while a cycle runs, and the next run time once it is over', async () => {
    const a = await freshBoard('host:1:a');
    const b = await freshBoard('host:2:b', a.repoRoot);
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new ScriptedAgent('PM', async (n) => {
      if (n === 1) await gate;
      return { summary: `cycle ${n}` };
    });
    const s = settings(60_000);
    const ma = manager(a, [slow], s);
    const mb = manager(b, [new ScriptedAgent('PM')], s);
    ma.start();
    await until('A leads', () => ma.isLeader);
    mb.start();
    await until('B shows A\'s cycle running', () => status(mb, 'PM').state === 'Running' && !status(mb, 'PM').local, 5_000);
    release();
    await until('B shows A\'s next run', () => status(mb, 'PM').state === 'Idle' && status(mb, 'PM').nextRunAt !== undefined, 5_000);
    assert.ok(status(mb, 'PM').nextRunAt! > Date.now() + 30_000);
    await ma.stop();
    await mb.stop();
    await a.close();
    await b.close();
  });

  it('a quick cycle is published once, when it is over; other windows still see it and its next run', async () => {
    const a = await freshBoard('host:1:a');
    const b = await freshBoard('host:2:b', a.repoRoot);
    const quick = new ScriptedAgent('PM', async (n) => ({ summary: `cycle ${n}` }));
    const ma = manager(a, [quick], settings(60_000));
    const mb = manager(b, [new ScriptedAgent('PM')], settings(60_000));
    const published: string[] = [];
    const seen = a.onDidChange(() => {
      const raw = a.getAgentState('PM')?.status as { state?: string; activity?: string } | undefined;
      const line = `${raw?.state}: ${raw?.activity}`;
      if (raw?.state !== undefined && published.at(-1) !== line) published.push(line);
    });
    ma.start();
    mb.start();
    await until('B shows the first cycle over', () => status(mb, 'PM').activity === 'cycle 1' && status(mb, 'PM').nextRunAt !== undefined, 5_000);
    await ma.runNow('PM');
    await until('B shows the second cycle over', () => status(mb, 'PM').activity === 'cycle 2', 5_000);
    seen.dispose();
    assert.deepEqual(published, ['Idle: cycle 1', 'Idle: cycle 2'], 'no Running status written for a cycle of milliseconds');
    await ma.stop();
    await mb.stop();
    await a.close();
    await b.close();
  });

  it('a changed lease timeout takes effect without a restart', async () => {
    const a = await freshBoard('host:1:a');
    const b = await freshBoard('host:2:b', a.repoRoot);
    let timeoutMs = 30_000;
    const s = settings(60_000, { leaseTimeoutMs: () => timeoutMs });
    const ma = manager(a, [new ScriptedAgent('PM')], s);
    ma.start();
    await until('A leads', () => ma.isLeader);
    // The setting changed; the editor reschedules on a configuration change.
    timeoutMs = 1_500;
    ma.reschedule();
    const mb = manager(b, [new ScriptedAgent('PM')], s);
    mb.start();
    await sleep(4_000);
    assert.equal(ma.isLeader, true, 'A renews at the pace of the new timeout');
    assert.equal(mb.isLeader, false, 'so B never finds its lease stale');
    await ma.stop();
    await until('B takes over once A is gone', () => mb.isLeader, 5_000);
    await mb.stop();
    await a.close();
    await b.close();
  });
});
