import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { healStuckTickets } from '../../../src/agents/pm/heal';
import { DEFAULT_PM_SETTINGS } from '../../../src/agents/pm/settings';
import { localProcessProbe } from '../../../src/process/localProbe';
import { isProcessAlive } from '../../../src/process/processTree';
import { findOrphans, stopOrphan } from '../../../src/runner/orphans';
import { silentLogger } from '../../../src/domain/logger';
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

  void it('is an orphan while its agent runs on: listed, never marked lost, until it is stopped; then lost and healed', async () => {
    const worktree = path.join(tb.root, 'wt');
    mkdirSync(worktree);
    // The owner host runs on the real clock; so does this test.
    const clock = { now: () => Date.now() };
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
    assert.ok(running?.processStart, 'the agent\'s start token is recorded with its pid');

    const settings = { ...DEFAULT_PM_SETTINGS, healGraceMinutes: 0 };
    const orphanContext = { probe: localProcessProbe, heartbeatTimeoutMs: settings.heartbeatTimeoutMs, clock };
    assert.deepEqual(await findOrphans(tb.board, orphanContext), [], 'a live owner: no orphan');

    await owner.kill();
    assert.equal(isProcessAlive(owner.agentPid), true, 'the agent outlives its owner');
    await tb.board.refresh();

    const later = { now: () => Date.now() + settings.heartbeatTimeoutMs + 60_000 };
    const whileOrphaned = await healStuckTickets(tb.board, { clock: later, settings, probe: localProcessProbe });
    assert.deepEqual(whileOrphaned.lost, [], 'an orphan still works: its run is not lost');
    assert.deepEqual(whileOrphaned.healed, [], 'nor is its ticket healed');
    assert.deepEqual((await findOrphans(tb.board, { ...orphanContext, clock: later })).map((r) => r.id), [owner.runId]);

    const outcome = await stopOrphan(tb.board, owner.runId, { ...orphanContext, graceMs: 1000, log: silentLogger });
    assert.equal(outcome, 'stopped');
    assert.equal(isProcessAlive(owner.agentPid), false);
    assert.equal(tb.board.getRun(owner.runId)?.status, 'lost');
    assert.match(tb.board.getRun(owner.runId)?.note ?? '', /orphaned agent was stopped/);

    const healed = await healStuckTickets(tb.board, { clock: later, settings, probe: localProcessProbe });
    assert.deepEqual(healed.healed.map((h) => h.ticketId), [ticket.id], 'the stuck ticket is healed for a retry');
  });

  void it('is lost once both its owner and its agent are gone', async () => {
    const worktree = path.join(tb.root, 'wt');
    mkdirSync(worktree);
    tb.clock.set(Date.now());
    const ticket = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Crash us both', status: 'READY' }, 'user');
      return tx.transition(t.id, 'READY', 'IN_DEV', 'user');
    });
    owner = await startDoomedOwner({ dir: tb.dir, repoRoot: tb.root, ticketId: ticket.id, worktree });
    await owner.kill();
    owner.killOrphans();
    await new Promise((r) => setTimeout(r, 200));
    await tb.board.refresh();
    const outcome = await healStuckTickets(tb.board, { clock: { now: () => Date.now() }, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    assert.deepEqual(outcome.lost.map((r) => [r.id, r.status]), [[owner.runId, 'lost']], 'no need to wait for the heartbeat timeout: both are gone');
    assert.match(outcome.lost[0]?.note ?? '', /its agent \(process \d+\) and its owner are gone/);
  });
});
