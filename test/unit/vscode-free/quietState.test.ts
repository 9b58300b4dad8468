import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PM_REPORT_META } from '../../../src/agents/pm/report';
import { WORKTREE_REPORT_META } from '../../../src/agents/worktreeReport';
import { LAND_QUEUE_META } from '../../../src/land/landQueue';
import { setAutopilot } from '../../../src/loop/autopilotState';
import { quietState } from '../../../src/vscode/agents/quietState';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe("what a write touching no ticket can change of the Agents view", () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('stays the same across lease renewals and meta the view does not show', async () => {
    const before = quietState(tb.board);
    await tb.board.acquireLease('agents', 30_000);
    tb.clock.advance(10_000);
    await tb.board.acquireLease('agents', 30_000);
    await tb.board.write((tx) => tx.setMeta('gatherer.head', 'abc'));
    assert.equal(quietState(tb.board), before);
  });

  it('changes with each thing the view shows', async () => {
    const changes: [string, Parameters<TempBoard['board']['write']>[0]][] = [
      ['a published status', (tx) => tx.setAgentState('PM', { status: { state: 'Idle', activity: 'cycle 1' } })],
      ['the next published status', (tx) => tx.setAgentState('PM', { status: { state: 'Idle', activity: 'cycle 2' } })],
      ['a pause', (tx) => tx.setAgentState('Security', { paused: true })],
      ['the Worktree report', (tx) => tx.setMeta(WORKTREE_REPORT_META, '{"entries":[]}')],
      ["the PM's report", (tx) => tx.setMeta(PM_REPORT_META, '{"at":1}')],
      ['the autopilot', (tx) => setAutopilot(tx, true, 'user', tb.clock.now())],
      ['the land queue', (tx) => tx.setMeta(LAND_QUEUE_META, '[]')],
    ];
    for (const [what, write] of changes) {
      const before = quietState(tb.board);
      await tb.board.write(write);
      assert.notEqual(quietState(tb.board), before, what);
    }
  });
});
