import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type BackgroundAgent, type CycleResult } from '../../../src/agents/agent';
import { AGENTS_LEASE, AgentManager } from '../../../src/agents/manager';
import { systemClock } from '../../../src/domain/clock';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { cli } from './cliProcess';

describe('agent-factory run-agent', () => {
  let repo: TempRepo;
  let dir: string;
  let board: SqlBoard;
  let ticketId: string;

  before(async () => {
    repo = makeTempRepo();
    dir = join(repo.root, '.factory');
    board = await openBoard({ dir, repoRoot: repo.root, pollMs: 50 });
    const wt = join(repo.parent, 'wt-run-agent');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'factory/T-1-x', wt, 'main');
    repo.write('src/todo.ts', '// TODO: wire the retry\nexport const x = 1;\n');
    repo.commit('a todo');
    ticketId = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Work', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: wt, branch: 'factory/T-1-x', base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return t.id;
    });
    repo.write('../wt-run-agent/src/key.ts', `export const key = "${fakeSecrets(5).githubToken}";\n`);
  });
  after(async () => {
    await board.close();
    repo.dispose();
  });

  it('runs the cycle here when no window holds the agents, and prints what it did', async () => {
    const r = await cli(['run-agent', 'security', '--json'], { cwd: repo.root });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { agent: string; ranIn: string; state: string; summary: string; result: { stats: { newFindings: number } }; log: string[] };
    assert.deepEqual([out.agent, out.ranIn, out.state], ['Security', 'this process', 'Idle']);
    assert.match(out.summary, /^1 ticket: 1 file scanned.*1 new finding; 1 open blocker$/);
    assert.equal(out.result.stats.newFindings, 1);
    assert.ok(out.log.some((l) => l.includes(`${ticketId}: new critical finding secret/github`)));
    await board.refresh();
    assert.equal(board.getLease(AGENTS_LEASE), undefined, 'the lease it took for the cycle is released');

    const text = await cli(['run-agent', 'Gatherer'], { cwd: repo.root });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Gatherer \(ran here\): 1 new ticket\n/);
  });

  it('asks the window holding the agents lease, which runs the cycle and answers through the board', async () => {
    let cycles = 0;
    const pm: BackgroundAgent = {
      name: 'PM',
      defaultIntervalSeconds: 3600,
      runCycle: async (): Promise<CycleResult> => ({ summary: `checked in on 1 ticket (cycle ${++cycles})`, attention: true }),
    };
    const holder = await openBoard({ dir, repoRoot: repo.root, pollMs: 50 });
    const manager = new AgentManager({
      board: holder,
      clock: systemClock,
      log: silentLogger,
      agents: [pm],
      settings: { intervalSeconds: () => 3600, cycleTimeoutMs: () => 10_000, leaseTimeoutMs: () => 30_000 },
    });
    try {
      manager.start();
      while (!manager.isLeader || cycles === 0) await sleep(20);
      const r = await cli(['run-agent', 'pm', '--json'], { cwd: repo.root });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { ranIn: string; holder: string; state: string; summary: string; attention: boolean };
      assert.deepEqual([out.ranIn, out.holder, out.state, out.summary, out.attention], ['lease holder', holder.ownerId, 'Idle', 'checked in on 1 ticket (cycle 2)', true]);
      assert.equal(cycles, 2);
    } finally {
      await manager.stop();
      await holder.close();
    }
  });

  it('refuses an unknown agent name', async () => {
    const r = await cli(['run-agent', 'janitor'], { cwd: repo.root });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"janitor" is not a background agent; use one of pm, security, gatherer, worktree/);
  });
});
