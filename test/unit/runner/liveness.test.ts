import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import { markLostRuns, runLiveness } from '../../../src/runner/liveness';
import { isProcessAlive } from '../../../src/runner/processTree';
import { findRunThread } from '../../../src/runner/threads';
import { startDoomedOwner, type DoomedOwner } from '../../fixtures/agents/doomedOwner';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const base: Run = {
  id: 'r-abcdef01',
  ticketId: 'T-1',
  stage: 'IN_DEV',
  agent: 'fake',
  owner: 'host:1:abc',
  pid: 4242,
  startedAt: 1_000_000,
  heartbeatAt: 1_000_000,
  status: 'running',
  attempt: 1,
};

void describe('run liveness', () => {
  void it('a run whose owner heartbeats is alive', () => {
    assert.deepEqual(runLiveness(base, base.heartbeatAt + 30_000, { isAlive: () => true }), { alive: true });
  });

  void it('a run whose owner stopped heartbeating is lost, naming an orphaned agent', () => {
    const verdict = runLiveness(base, base.heartbeatAt + 61_000, { isAlive: () => true });
    assert.equal(verdict.alive, false);
    assert.ok(!verdict.alive);
    assert.match(verdict.reason, /owner \(host:1:abc\) stopped heartbeating 1m 1s ago/);
    assert.equal(verdict.orphanPid, 4242);
    const gone = runLiveness(base, base.heartbeatAt + 61_000, { isAlive: () => false });
    assert.ok(!gone.alive && gone.orphanPid === undefined);
  });

  void it('a dead process is lost only when its owner has been silent too', () => {
    assert.equal(runLiveness(base, base.heartbeatAt + 5_000, { isAlive: () => false }).alive, true);
    const verdict = runLiveness(base, base.heartbeatAt + 25_000, { isAlive: () => false });
    assert.ok(!verdict.alive);
    assert.match(verdict.reason, /process 4242 is gone/);
  });

  void it('queued and terminal runs (no pid) live by their owner heartbeat alone', () => {
    const queued: Run = { ...base, status: 'queued', pid: undefined };
    assert.equal(runLiveness(queued, base.heartbeatAt + 50_000).alive, true);
    assert.equal(runLiveness(queued, base.heartbeatAt + 70_000).alive, false);
    assert.equal(runLiveness({ ...base, status: 'succeeded' }, base.heartbeatAt).alive, false);
  });
});

void describe('a run whose owner was SIGKILLed', () => {
  let tb: TempBoard;
  let owner: DoomedOwner | undefined;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    owner?.killOrphans();
    await tb.dispose();
  });

  void it('is found lost (not a phantom running row) once the heartbeat timeout passes', async () => {
    const worktree = path.join(tb.root, 'wt');
    mkdirSync(worktree);
    const ticket = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Crash me', status: 'READY' }, 'user');
      return tx.transition(t.id, 'READY', 'IN_DEV', 'user');
    });
    owner = await startDoomedOwner({ dir: tb.dir, repoRoot: tb.root, ticketId: ticket.id, worktree });
    await tb.board.refresh();
    const running = tb.board.getRun(owner.runId);
    assert.equal(running?.status, 'running');
    assert.equal(running?.owner, owner.ownerId);
    assert.equal(running?.pid, owner.agentPid);
    assert.equal(runLiveness(running, Date.now()).alive, true);

    await owner.kill();
    await tb.board.refresh();
    const orphaned = tb.board.getRun(owner.runId);
    assert.ok(orphaned);
    assert.equal(orphaned.status, 'running', 'nobody recorded an outcome');
    assert.equal(isProcessAlive(owner.agentPid), true, 'the agent outlives its owner');

    const later = { now: () => Date.now() + 61_000 };
    const lost = await markLostRuns(tb.board, later);
    assert.deepEqual(
      lost.map((r) => [r.id, r.status]),
      [[owner.runId, 'lost']],
    );
    const row = tb.board.getRun(owner.runId);
    assert.match(row?.note ?? '', /^lost: its owner .* stopped heartbeating/);
    const thread = findRunThread(tb.board, ticket.id);
    assert.ok(thread);
    assert.match(tb.board.listMessages(thread.id).at(-1)?.body ?? '', new RegExp(`is lost: .*agent process ${owner.agentPid} still runs`));
    assert.deepEqual(await markLostRuns(tb.board, later), [], 'marking is done once');
  });
});
