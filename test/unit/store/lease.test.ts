import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

describe('leases on a fake clock', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await tb.dispose();
  });

  it('is taken when free, renewed by its holder, refused to others until the heartbeat is too old', async () => {
    const a = tb.board;
    const b = await tb.open({ ownerId: 'window-b' });
    assert.equal(await a.acquireLease('agents', 30_000), true);
    const first = a.getLease('agents');
    tb.clock.advance(20_000);
    assert.equal(await b.acquireLease('agents', 30_000), false);
    assert.equal(await a.acquireLease('agents', 30_000), true, 'renewal');
    assert.equal(a.getLease('agents')?.acquiredAt, first?.acquiredAt, 'renewing keeps the original acquisition time');
    assert.equal(a.getLease('agents')?.heartbeatAt, tb.clock.now());
    tb.clock.advance(29_000);
    assert.equal(await b.acquireLease('agents', 30_000), false, 'still within the timeout');
    tb.clock.advance(2_000);
    assert.equal(b.isLeaseLive(b.getLease('agents'), 30_000), false);
    assert.equal(await b.acquireLease('agents', 30_000), true, 'taken over after the timeout');
    assert.equal(await a.acquireLease('agents', 30_000), false, 'the old holder has lost it');
    await b.releaseLease('agents');
    await a.refresh();
    assert.equal(a.getLease('agents'), undefined);
    assert.equal(await a.acquireLease('agents', 30_000), true, 'free again after release');
  });
});
