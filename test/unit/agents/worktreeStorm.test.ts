/**
 * Never a worktree storm: the Worktree agent creates no worktree for tickets that have none,
 * recreates missing ones a few per cycle, stops at the board-wide caps, and stops creating the
 * moment its cycle is aborted.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WorktreeAgent } from '../../../src/agents/worktreeAgent';
import { PIPELINE } from '../../../src/domain/status';
import type { Ticket, Worktree } from '../../../src/domain/ticket';
import type { CreateWorktreeRequest, CreateWorktreeResult, GitCallOptions } from '../../../src/git/port';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { makeWorktreeFixture, type WorktreeFixture } from '../helpers/worktreeFixture';

void describe('Worktree agent: never a worktree storm', () => {
  let fx: WorktreeFixture;
  beforeEach(async () => {
    fx = await makeWorktreeFixture();
  });
  afterEach(() => fx.dispose());

  const registered = async (): Promise<number> => (await fx.port.listWorktrees(fx.repo.root)).filter((e) => !e.main && !e.prunable).length;

  /** `n` started tickets in IN_DEV, then every one's worktree folder deleted by hand. */
  const deletedWorktrees = async (n: number): Promise<(Ticket & { worktree: Worktree })[]> => {
    const tickets: (Ticket & { worktree: Worktree })[] = [];
    for (let i = 0; i < n; i++) tickets.push(await fx.startedIn(`Work ${i}`, 'IN_DEV'));
    for (const t of tickets) rmSync(t.worktree.path, { recursive: true, force: true });
    return tickets;
  };

  void it('a board of 1,000 active tickets without worktrees: a cycle creates none', async () => {
    await fx.board.write((tx) => {
      for (let i = 0; i < 1000; i++) {
        let t = tx.createTicket({ title: `Active ${i}`, status: 'READY' }, 'user');
        for (const next of PIPELINE.slice(PIPELINE.indexOf('IN_DEV'), PIPELINE.indexOf('IN_DEV') + 1 + (i % 4))) t = tx.transition(t.id, t.status, next, 'runner');
      }
    });
    const result = await fx.agent.runCycle(fx.ctx());
    assert.equal(await registered(), 0);
    assert.equal(existsSync(fx.location()), false);
    assert.equal(fx.board.listTickets().filter((t) => t.worktree).length, 0);
    assert.match(result.summary, /^0 worktrees/);
  });

  void it('worktrees deleted by hand: at most the per-cycle limit is recreated per cycle', async () => {
    fx.settings.maxCreationsPerCycle = 3;
    await deletedWorktrees(8);
    const counts: number[] = [];
    for (let cycle = 0; cycle < 4; cycle++) {
      const before = await registered();
      const result = await fx.agent.runCycle(fx.ctx());
      counts.push((await registered()) - before);
      if (cycle === 0) {
        assert.match(result.summary, /3 created, 5 not recreated yet/);
        assert.equal(result.attention, false, 'the per-cycle limit is routine, not a problem');
        assert.equal(fx.agent.lastReport?.entries.filter((e) => e.action === 'deferred').length, 5);
      }
    }
    assert.deepEqual(counts, [3, 3, 2, 0]);
  });

  void it('stops at the board-wide cap on live worktrees and reports instead', async () => {
    fx.settings.maxLive = 3;
    const tickets = await deletedWorktrees(4);
    await fx.agent.runCycle(fx.ctx());
    assert.equal(await registered(), 3);
    const result = await fx.agent.runCycle(fx.ctx());
    assert.equal(await registered(), 3);
    assert.equal(result.attention, true);
    assert.match(result.summary, /1 not recreated yet \(board-wide cap reached\)/);
    const deferred = fx.agent.lastReport?.entries.find((e) => e.action === 'deferred');
    assert.ok(deferred && tickets.some((t) => t.id === deferred.ticketId));
    assert.match(deferred.note ?? '', /agentFactory\.worktrees\.maxLive is 3/);
  });

  void it('stops at the board-wide cap on disk use, as last measured', async () => {
    fx.settings.maxDiskMB = 1;
    const [big, gone] = [await fx.startedIn('Big', 'IN_DEV'), await fx.startedIn('Gone', 'IN_DEV')];
    writeFileSync(join(big.worktree.path, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 1));
    await fx.agent.runCycle(fx.ctx());
    rmSync(gone.worktree.path, { recursive: true, force: true });
    await fx.agent.runCycle(fx.ctx());
    assert.equal(existsSync(gone.worktree.path), false);
    assert.match(fx.entryFor(gone.worktree.path)?.note ?? '', /agentFactory\.worktrees\.maxDiskMB is 1 MB/);
  });

  void it('a cycle that is aborted stops creating at once', async () => {
    fx.settings.maxCreationsPerCycle = 10;
    await deletedWorktrees(5);
    const abort = new AbortController();
    /** Real git; the cycle's time runs out right after its first creation. */
    class TimingOut extends SimpleGitPort {
      created = 0;
      override async createWorktree(repo: string, req: CreateWorktreeRequest, opts?: GitCallOptions): Promise<CreateWorktreeResult> {
        const r = await super.createWorktree(repo, req, opts);
        this.created++;
        abort.abort(new Error('cycle timed out'));
        return r;
      }
    }
    const git = new TimingOut();
    const agent = new WorktreeAgent({ git, settings: () => fx.settings, clock: fx.tb.clock });
    await assert.rejects(agent.runCycle(fx.ctx(abort.signal)));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(git.created, 1);
    assert.equal(await registered(), 1);
  });
});
