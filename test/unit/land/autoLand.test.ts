import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { autoLand, autoLandCandidates } from '../../../src/land/autoLand';
import { setAutopilot } from '../../../src/loop/autopilotState';
import { makeLandRepo, type LandRepo } from './landFixture';

void describe('landing automatically (agentFactory.land.auto)', () => {
  let r: LandRepo;
  beforeEach(async () => {
    r = await makeLandRepo();
  });
  afterEach(async () => {
    await r.dispose();
  });

  void it('lands a PM_REVIEW ticket that passed, only with the setting and the autopilot both on', async () => {
    const ready = await r.ticketWithChange('Ready to land', { 'ok.txt': 'ok\n' });
    const flagged = await r.ticketWithChange('Has a blocker', { 'bad.txt': 'bad\n' });
    await r.board.write((tx) => tx.addBug({ ticketId: flagged.id, title: 'Crashes on start', severity: 'high', foundBy: 'QA' }));
    const reviewing = await r.ticketWithChange('Still being reviewed', { 'r.txt': 'r\n' });
    await r.board.write((tx) => tx.createRun({ ticketId: reviewing.id, stage: 'PM_REVIEW', agent: 'claude' }));
    assert.deepEqual(autoLandCandidates(r.board, r.clock.now(), 30_000).map((t) => t.id), [ready.id]);

    const deps = { board: r.board, clock: r.clock, settings: r.settings, pollMs: 20 };
    assert.equal(await autoLand(deps), undefined, 'land.auto is off');
    r.settings.auto = true;
    assert.equal(await autoLand(deps), undefined, 'the autopilot is off');
    await r.board.write((tx) => setAutopilot(tx, true, 'user', r.clock.now()));
    const outcome = await autoLand(deps);
    assert.equal(outcome?.kind, 'landed', JSON.stringify(outcome));
    assert.equal((await r.ticket(ready.id)).status, 'DONE');
    assert.equal(await autoLand(deps), undefined, 'nothing else may land by itself');
  });
});
