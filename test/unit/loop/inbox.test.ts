import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import { answeredQuestions, awaitingAnswer, messageAgent, takeInbox, unreadForAgent } from '../../../src/loop/inbox';
import { PM_THREAD_KEY } from '../../../src/runner/threads';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('the agent inbox', () => {
  let tb: TempBoard;
  let run: Run;

  beforeEach(async () => {
    tb = await makeTempBoard();
    run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Payments', status: 'READY' }, 'user');
      const r = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return r;
    });
  });
  afterEach(async () => {
    await tb.dispose();
  });

  /** What the `block` command writes: the move by the agent and the verdict on its run. */
  const agentBlocks = (reason: string) =>
    tb.board.write((tx) => {
      tx.transition(run.ticketId, 'IN_DEV', 'BLOCKED', run.agent, reason);
      tx.updateRun(run.id, { verdict: 'blocked', summary: reason });
    });

  it('hands each message to the running agent once, oldest first, marked read by its run', async () => {
    await tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, body: 'Use the sandbox keys' }));
    tb.clock.advance(1000);
    const thread = await tb.board.write((tx) => tx.createConversation({ ticketId: run.ticketId, type: 'user_question', title: 'Question' }));
    await tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, conversationId: thread.id, body: 'And log every retry' }));
    await tb.board.write((tx) => tx.addMessage({ conversationId: thread.id, author: 'PM', kind: 'checkin', body: 'not for the agent' }));

    assert.deepEqual(unreadForAgent(tb.board, run.ticketId).map((m) => m.body), ['Use the sandbox keys', 'And log every retry']);
    const taken = await tb.board.write((tx) => takeInbox(tx, run, tb.clock.now()));
    assert.deepEqual(taken.map((m) => [m.body, m.author]), [['Use the sandbox keys', 'user'], ['And log every retry', 'user']]);
    assert.deepEqual(await tb.board.write((tx) => takeInbox(tx, run, tb.clock.now())), []);
    assert.deepEqual(unreadForAgent(tb.board, run.ticketId), []);
    assert.equal(tb.board.getRun(run.id)?.lastOutputAt, tb.clock.now(), 'reading the inbox is activity');
    assert.equal(tb.board.findConversation(run.ticketId, PM_THREAD_KEY)?.type, 'pm_checkin', 'a message without a thread goes to the PM thread');
  });

  it('takes a reply to an agent\'s block as the answer: READY again, the question and answer kept for the prompt', async () => {
    await agentBlocks('Which currency do refunds use?');
    const ticket = tb.board.getTicket(run.ticketId);
    assert.equal(ticket && awaitingAnswer(tb.board, ticket)?.id, run.id);
    const sent = await tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, body: 'The currency of the original payment.' }));
    assert.equal(sent.answered, true);
    const after = tb.board.getTicket(run.ticketId);
    assert.equal(after?.status, 'READY');
    assert.equal(after?.assignedAgent, undefined);
    assert.deepEqual(tb.board.history(run.ticketId).at(-1), {
      ticketId: run.ticketId, from: 'BLOCKED', to: 'READY', at: tb.clock.now(), by: 'user', note: 'Answered: The currency of the original payment.',
    });
    const answered = answeredQuestions(tb.board, run.ticketId);
    assert.deepEqual(answered.map((q) => [q.question, q.answers.map((a) => a.body)]), [['Which currency do refunds use?', ['The currency of the original payment.']]]);
    const again = await tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, body: 'One more thing' }));
    assert.equal(again.answered, false, 'a READY ticket waits on no answer');
  });

  it('does not unblock a ticket a person blocked by hand', async () => {
    await tb.board.write((tx) => tx.transition(run.ticketId, 'IN_DEV', 'BLOCKED', 'user', 'Waiting for legal'));
    const sent = await tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, body: 'Any news?' }));
    assert.equal(sent.answered, false);
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'BLOCKED');
  });

  it('does not unblock when the agent\'s block was followed by a person blocking it again', async () => {
    await agentBlocks('Which currency?');
    await tb.board.write((tx) => {
      tx.transition(run.ticketId, 'BLOCKED', 'READY', 'user');
      tx.transition(run.ticketId, 'READY', 'BLOCKED', 'user', 'Hold everything');
    });
    const sent = await tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, body: 'EUR' }));
    assert.equal(sent.answered, false);
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'BLOCKED');
  });

  it('refuses an empty message, an unknown ticket and a thread of another ticket', async () => {
    const other = await tb.board.write((tx) => tx.createTicket({ title: 'Other' }, 'user'));
    const thread = await tb.board.write((tx) => tx.createConversation({ ticketId: other.id, type: 'user_question', title: 'Q' }));
    await assert.rejects(tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, body: '   ' })), /empty message/);
    await assert.rejects(tb.board.write((tx) => messageAgent(tx, { ticketId: 'T-99', body: 'hi' })), /no ticket T-99/);
    await assert.rejects(tb.board.write((tx) => messageAgent(tx, { ticketId: run.ticketId, conversationId: thread.id, body: 'hi' })), /is not on T-1/);
    assert.deepEqual(unreadForAgent(tb.board, run.ticketId), []);
  });
});
