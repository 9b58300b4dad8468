import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Status } from '../../../src/domain/status';
import { Autopilot } from '../../../src/loop/autopilot';
import { setAutopilot } from '../../../src/loop/autopilotState';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

/** An autopilot on `tb` with nothing to start, calling `onPass` at the start of every pass. */
function quietAutopilot(tb: TempBoard, intervalMs: number, onPass: () => void): Autopilot {
  return quietAutopilotLeading(tb, intervalMs, () => {
    onPass();
    return true;
  });
}

function quietAutopilotLeading(tb: TempBoard, intervalMs: number, isLeader: () => boolean): Autopilot {
  return new Autopilot({
    board: tb.board,
    settings: { pipeline: () => ['IN_DEV'] as Status[], hasAgent: () => true, maxParallel: () => 1, maxAttempts: () => 3, avoidOverlap: () => false },
    clock: tb.clock,
    log: { info: () => undefined, warn: () => undefined },
    // Asked once at the start of every pass.
    isLeader,
    start: async () => {
      throw new Error('nothing is READY');
    },
    intervalMs,
  });
}

describe('the autopilot on a quiet board', () => {
  let tb: TempBoard;
  let autopilot: Autopilot;
  let passes = 0;
  beforeEach(async () => {
    tb = await makeTempBoard();
    passes = 0;
    autopilot = quietAutopilot(tb, 3_600_000, () => passes++);
    await autopilot.pass();
  });
  afterEach(async () => {
    autopilot.dispose();
    await tb.dispose();
  });

  it('looks at the board after writes that touch tickets or turn it on, not after the rest', async () => {
    const after = async (write: Parameters<TempBoard['board']['write']>[0]): Promise<number> => {
      const before = passes;
      await tb.board.write(write);
      await autopilot.settle();
      return passes - before;
    };
    assert.equal(await after((tx) => tx.setAgentState('PM', { lastCycleAt: tb.clock.now() })), 0, 'an agent state');
    assert.equal(await after((tx) => tx.setMeta('something', 'else')), 0, 'another meta value');
    assert.equal(await after((tx) => tx.createTicket({ title: 'new', status: 'BACKLOG' }, 'user')), 1, 'a ticket');
    assert.equal(await after((tx) => setAutopilot(tx, true, 'user', tb.clock.now())), 1, 'turned on');
    assert.equal(await after((tx) => tx.setMeta('something', 'more')), 0, 'another meta value while on');
    assert.equal(await after((tx) => setAutopilot(tx, false, 'user', tb.clock.now())), 1, 'turned off');
  });
});

describe('the autopilot\'s timer', () => {
  it('looks at the board on its timer only while the autopilot is on', async () => {
    const tb = await makeTempBoard();
    let passes = 0;
    const autopilot = quietAutopilot(tb, 10, () => passes++);
    try {
      await autopilot.pass();
      const off = passes;
      await new Promise((resolve) => setTimeout(resolve, 150));
      await autopilot.settle();
      assert.equal(passes, off, 'no pass on the timer while off');
      await tb.board.write((tx) => setAutopilot(tx, true, 'user', tb.clock.now()));
      await autopilot.settle();
      const on = passes;
      for (let waited = 0; passes <= on && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(passes > on, 'the timer makes passes while on');
    } finally {
      autopilot.dispose();
      await tb.dispose();
    }
  });
});

describe('the autopilot and the background agents', () => {
  it("looks again when this process starts or stops leading, not at every cycle's status", async () => {
    const tb = await makeTempBoard();
    let leading = false;
    let passes = 0;
    const refresh = tb.board.refresh.bind(tb.board);
    // Every pass begins by taking in other processes' changes.
    tb.board.refresh = () => {
      passes++;
      return refresh();
    };
    const autopilot = quietAutopilotLeading(tb, 3_600_000, () => leading);
    const statusesChanged = async (times: number): Promise<number> => {
      const before = passes;
      for (let i = 0; i < times; i++) autopilot.agentsChanged();
      await autopilot.settle();
      return passes - before;
    };
    try {
      assert.equal(await statusesChanged(1), 1, 'the first status');
      assert.equal(await statusesChanged(5), 0, 'cycles starting and ending elsewhere');
      leading = true;
      assert.equal(await statusesChanged(1), 1, 'this process took the lease');
      assert.equal(await statusesChanged(5), 0, 'its own cycles');
      leading = false;
      assert.equal(await statusesChanged(1), 1, 'it stepped down');
    } finally {
      autopilot.dispose();
      await tb.dispose();
    }
  });
});
