import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AgentStatus } from '../../../src/agents/manager';
import { PM_REPORT_META, type PmReport } from '../../../src/agents/pm/report';
import { planDispatch } from '../../../src/domain/dependencies';
import { AUTOPILOT_META, readAutopilot, setAutopilot } from '../../../src/loop/autopilotState';
import { boardAttention } from '../../../src/loop/attention';
import { readBoardStatus, summarizeBoardStatus } from '../../../src/loop/boardStatus';
import { dispatchPlan } from '../../../src/loop/queue';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { ticket } from '../vscode-free/ticketFixtures';

function agent(name: AgentStatus['name'], state: AgentStatus['state']): AgentStatus {
  return { name, state, activity: `${name} activity`, cycleCount: 1, attention: false, local: true };
}

const EMPTY_REPORT: PmReport = { at: 0, boardProgress: '10.0%', runs: [], stuck: [], healed: [], lost: [], timedOut: [], blocked: [], unblockable: [], orphans: [] };

describe('the board status line', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('counts running agents when nothing needs a person, and says what does otherwise, in one order', async () => {
    const quietAttention = boardAttention(tb.board, { report: EMPTY_REPORT });
    const quiet = summarizeBoardStatus({ statuses: [agent('PM', 'Idle'), agent('Security', 'Running'), agent('Gatherer', 'Stopped')], report: EMPTY_REPORT, attention: quietAttention, autopilot: { on: false }, queue: planDispatch([]) });
    assert.deepEqual([quiet.headline, quiet.level, quiet.progress, quiet.autopilotLine, quiet.queue], ['2 agents', 'ok', '10.0%', 'Autopilot: off', 'Queue: nothing ready']);

    const { stuck, blocked } = await tb.board.write((tx) => {
      const s = tx.createTicket({ title: 'Stuck', status: 'READY' }, 'user');
      tx.transition(s.id, 'READY', 'IN_DEV', 'runner');
      const b = tx.createTicket({ title: 'Blocked', status: 'READY' }, 'user');
      tx.transition(b.id, 'READY', 'BLOCKED', 'user', 'waiting for the API key');
      return { stuck: s.id, blocked: b.id };
    });
    const report: PmReport = { ...EMPTY_REPORT, stuck: [stuck], blocked: [] };
    const busy = summarizeBoardStatus({
      statuses: [agent('PM', 'Error')],
      report,
      attention: boardAttention(tb.board, { report }),
      autopilot: { on: true, by: 'user', at: 5 },
      queue: planDispatch([ticket({ id: 'T-4', status: 'READY' })]),
    });
    assert.deepEqual([busy.headline, busy.level, busy.autopilotLine, busy.queue], ['1 stuck · 1 blocked', 'error', 'Autopilot: on (turned on by user)', 'Queue: 1 ready, next T-4']);
    assert.deepEqual(busy.attention.items.map((i) => [i.kind, i.ticketId]), [
      ['stuck', stuck],
      ['blocked', blocked],
    ]);
  });

  it('reads the same line from the board for the editor and the CLI', async () => {
    await tb.board.write((tx) => tx.setMeta(PM_REPORT_META, JSON.stringify(EMPTY_REPORT)));
    const status = readBoardStatus(tb.board, [agent('PM', 'Idle')]);
    assert.deepEqual([status.headline, status.level, status.progress], ['1 agents', 'ok', '10.0%']);
    const given = boardAttention(tb.board, { report: EMPTY_REPORT });
    assert.equal(readBoardStatus(tb.board, [agent('PM', 'Idle')], given).attention, given, 'the editor passes the attention it keeps');
  });
});

describe('the autopilot switch', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('is off on a new board, and every process on the board sees it turned on and off', async () => {
    assert.deepEqual(readAutopilot(tb.board), { on: false });
    const other = await tb.open();
    await tb.board.write((tx) => setAutopilot(tx, true, 'user', tb.clock.now()));
    await other.refresh();
    assert.deepEqual(readAutopilot(other), { on: true, by: 'user', at: tb.clock.now() });
    await other.write((tx) => setAutopilot(tx, false, 'serve', tb.clock.now()));
    await tb.board.refresh();
    assert.equal(readAutopilot(tb.board).on, false);
  });

  it('stays off when the stored value cannot be read', async () => {
    await tb.board.write((tx) => tx.setMeta(AUTOPILOT_META, '{not json'));
    assert.deepEqual(readAutopilot(tb.board), { on: false });
    await tb.board.write((tx) => tx.setMeta(AUTOPILOT_META, '{"on":"yes"}'));
    assert.equal(readAutopilot(tb.board).on, false);
  });

  it('reads the queue from the board, dependencies looked up among all tickets', async () => {
    await tb.board.write((tx) => {
      const a = tx.createTicket({ title: 'A', status: 'READY' }, 'user');
      tx.transition(a.id, 'READY', 'IN_DEV', 'runner');
      tx.createTicket({ title: 'B', status: 'READY', dependsOn: [a.id] }, 'user');
      tx.createTicket({ title: 'C', status: 'READY', priority: 1 }, 'user');
    });
    const plan = dispatchPlan(tb.board);
    assert.deepEqual(plan.ready.map((t) => t.id), ['T-3']);
    assert.deepEqual(plan.waiting.map((w) => [w.ticket.id, w.on]), [['T-2', ['T-1']]]);
  });
});
