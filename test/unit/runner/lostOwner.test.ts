import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { healStuckTickets } from '../../../src/agents/pm/heal';
import { localProcessProbe } from '../../../src/agents/pm/liveness';
import { DEFAULT_PM_SETTINGS } from '../../../src/agents/pm/settings';
import { isProcessAlive } from '../../../src/runner/processTree';
import { startDoomedOwner, type DoomedOwner } from '../../fixtures/agents/doomedOwner';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

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

  void it('is found lost by the PM once its owner stops heartbeating, not left a phantom running row', async () => {
    const worktree = path.join(tb.root, 'wt');
    mkdirSync(worktree);
    // The owner host runs on the real clock; so does this test.
    tb.clock.set(Date.now());
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

    const settings = { ...DEFAULT_PM_SETTINGS, healGraceMinutes: 0 };
    const whileAlive = await healStuckTickets(tb.board, { clock: { now: () => Date.now() }, settings, probe: localProcessProbe });
    assert.deepEqual(whileAlive.lost, [], 'a heartbeating owner keeps its run alive');

    await owner.kill();
    assert.equal(isProcessAlive(owner.agentPid), true, 'the agent outlives its owner');
    await tb.board.refresh();
    assert.equal(tb.board.getRun(owner.runId)?.status, 'running', 'nobody recorded an outcome');

    const later = { now: () => Date.now() + settings.heartbeatTimeoutMs + 1000 };
    const outcome = await healStuckTickets(tb.board, { clock: later, settings, probe: localProcessProbe });
    assert.deepEqual(
      outcome.lost.map((r) => [r.id, r.status]),
      [[owner.runId, 'lost']],
    );
    assert.equal(tb.board.getTicket(ticket.id)?.status, 'READY', 'the stuck ticket is healed for a retry');
  });
});
