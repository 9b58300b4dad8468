import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { planDispatch } from '../../../src/domain/dependencies';
import type { Status } from '../../../src/domain/status';
import { attemptsExhausted, stageAttempts } from '../../../src/loop/attempts';
import { boardAttention } from '../../../src/loop/attention';
import { summarizeBoardStatus } from '../../../src/loop/boardStatus';
import { stageHandling, waitingForPerson, type StageConfig } from '../../../src/loop/stageHandling';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const config = (agents: Status[], pipeline: Status[] = ['IN_DEV', 'IN_SEC', 'PM_REVIEW']): StageConfig => ({
  pipeline: () => pipeline,
  hasAgent: (stage) => agents.includes(stage),
});

describe('who finishes a stage, and the tickets waiting for a person', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('is the agent when one is configured, the board for IN_SEC without one, a person otherwise', () => {
    assert.equal(stageHandling('IN_DEV', config(['IN_DEV'])), 'agent');
    assert.equal(stageHandling('IN_SEC', config(['IN_DEV'])), 'automatic');
    assert.equal(stageHandling('PM_REVIEW', config(['IN_DEV'])), 'person');
    assert.equal(stageHandling('PM_REVIEW', config(['PM_REVIEW'])), 'agent');
  });

  it('counts tickets in a listed stage only a person finishes and nobody works on, for the status line', async () => {
    const { board } = tb;
    await board.write((tx) => {
      for (const title of ['waits', 'worked on', 'in the automatic stage']) tx.createTicket({ title, status: 'READY' }, 'user');
      for (const id of ['T-1', 'T-2', 'T-3']) tx.transition(id, 'READY', 'IN_DEV', 'user');
      tx.transition('T-1', 'IN_DEV', 'PM_REVIEW', 'runner');
      tx.transition('T-2', 'IN_DEV', 'PM_REVIEW', 'runner');
      tx.createRun({ ticketId: 'T-2', stage: 'PM_REVIEW', agent: 'terminal' });
      tx.transition('T-3', 'IN_DEV', 'IN_SEC', 'runner');
    });
    const waiting = waitingForPerson(board, config(['IN_DEV']));
    assert.deepEqual(
      waiting.map((t) => t.id),
      ['T-1'],
    );
    const status = summarizeBoardStatus({ statuses: [], report: undefined, attention: boardAttention(board, { report: undefined, stages: config(['IN_DEV']) }), autopilot: { on: true }, queue: planDispatch([]) });
    assert.equal(status.waitingForReview, waiting.length);
    assert.equal(status.headline, '1 waiting for review');
    assert.equal(status.level, 'warning');
    assert.deepEqual(
      waitingForPerson(board, config(['IN_DEV'], ['IN_DEV', 'IN_SEC'])).map((t) => t.id),
      ['T-1'],
      'a ticket in a stage the pipeline no longer lists waits for a person: nothing else would move it on',
    );
    const unlisted = boardAttention(board, { report: undefined, stages: config(['IN_DEV'], ['IN_DEV', 'IN_SEC']) }).items.filter((i) => i.kind === 'review');
    assert.deepEqual(
      unlisted.map((i) => [i.ticketId, i.detail]),
      [['T-1', 'waiting for review in PM_REVIEW (agentFactory.pipeline no longer lists it)']],
    );
  });

  it("counts a stage's attempts since a person last moved the ticket, and says why it gives up", async () => {
    const { board, clock } = tb;
    await board.write((tx) => {
      tx.createTicket({ title: 'Tried', status: 'READY' }, 'user');
      tx.transition('T-1', 'READY', 'IN_DEV', 'autopilot');
      const run = tx.createRun({ ticketId: 'T-1', stage: 'IN_DEV', agent: 'claude', attempt: 1 });
      tx.updateRun(run.id, { status: 'failed', endedAt: clock.now(), note: 'finished without a verdict' });
    });
    clock.advance(1000);
    await board.write((tx) => {
      const run = tx.createRun({ ticketId: 'T-1', stage: 'IN_DEV', agent: 'claude', attempt: 2 });
      tx.updateRun(run.id, { status: 'failed', endedAt: clock.now(), note: 'finished without changing anything' });
    });
    const used = stageAttempts(board, 'T-1', 'IN_DEV');
    assert.equal(used.used, 2);
    assert.equal(attemptsExhausted('IN_DEV', used, 2), 'IN_DEV was tried 2 times (runs.maxAttempts 2); the last attempt failed: finished without changing anything');
    assert.equal(stageAttempts(board, 'T-1', 'IN_QA').used, 0);

    clock.advance(1000);
    await board.write((tx) => {
      tx.transition('T-1', 'IN_DEV', 'BLOCKED', 'autopilot', 'gave up');
      tx.transition('T-1', 'BLOCKED', 'READY', 'user', 'try again');
    });
    assert.equal(stageAttempts(board, 'T-1', 'IN_DEV').used, 0, 'a person putting it back gives a fresh count');
  });
});
