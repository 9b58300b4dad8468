import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PM_REPORT_META, type PmReport } from '../../../src/agents/pm/report';
import { AttentionModel } from '../../../src/vscode/attention/attentionModel';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const COALESCE_MS = 5;

describe('attention model on a quiet board', () => {
  let tb: TempBoard;
  let model: AttentionModel;
  let builds = 0;

  beforeEach(async () => {
    tb = await makeTempBoard();
    model = new AttentionModel(COALESCE_MS);
    model.setBoard(tb.board);
    builds = 0;
    // Every rebuild reads the live runs first.
    const listRuns = tb.board.listRuns.bind(tb.board);
    tb.board.listRuns = (filter) => {
      builds++;
      return listRuns(filter);
    };
  });
  afterEach(async () => {
    model.dispose();
    await tb.dispose();
  });

  const after = async (write: Parameters<TempBoard['board']['write']>[0]): Promise<number> => {
    const before = builds;
    await tb.board.write(write);
    await sleep(COALESCE_MS * 6);
    return builds - before;
  };

  it("is rebuilt for writes that can change it, not for leases, agent states or other meta values", async () => {
    assert.equal(await after((tx) => tx.setAgentState('PM', { lastCycleAt: tb.clock.now() })), 0, 'an agent state');
    assert.equal(await after((tx) => tx.setMeta('worktree.report', '{}')), 0, 'another meta value');
    await tb.board.acquireLease('agents', 30_000);
    await sleep(COALESCE_MS * 6);
    assert.equal(builds, 0, 'a lease');

    const t = await tb.board.write((tx) => tx.createTicket({ title: 'Stuck', status: 'READY' }, 'user'));
    await tb.board.write((tx) => tx.transition(t.id, 'READY', 'IN_DEV', 'user'));
    await sleep(COALESCE_MS * 6);
    assert.ok(builds > 0, 'tickets');
    assert.deepEqual(model.current.tickets, []);

    const report: PmReport = { at: tb.clock.now(), boardProgress: '0%', runs: [], stuck: [t.id], healed: [], lost: [], timedOut: [], blocked: [], unblockable: [], orphans: [] };
    assert.equal(await after((tx) => tx.setMeta(PM_REPORT_META, JSON.stringify(report))), 1, "the PM's report");
    assert.deepEqual(model.forTicket(t.id).map((i) => i.kind), ['stuck']);
  });
});
