import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('dependencies in the store', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('stores what a ticket depends on, and another process reads it', async () => {
    const [a, b, c] = await tb.board.write((tx) => [
      tx.createTicket({ title: 'Schema' }, 'user'),
      tx.createTicket({ title: 'API' }, 'user'),
      tx.createTicket({ title: 'UI' }, 'user'),
    ]);
    const d = await tb.board.write((tx) => tx.createTicket({ title: 'Docs', dependsOn: [a.id, b.id] }, 'user'));
    assert.deepEqual(d.dependsOn, [a.id, b.id]);
    await tb.board.write((tx) => tx.updateTicket(c.id, { dependsOn: [b.id] }));
    const other = await tb.open();
    assert.deepEqual(other.getTicket(d.id)?.dependsOn, [a.id, b.id]);
    assert.deepEqual(other.getTicket(c.id)?.dependsOn, [b.id]);
    assert.deepEqual(other.getTicket(a.id)?.dependsOn, []);
  });

  it('refuses a dependency on a ticket that does not exist, changing nothing', async () => {
    const a = await tb.board.write((tx) => tx.createTicket({ title: 'A' }, 'user'));
    await assert.rejects(
      tb.board.write((tx) => tx.createTicket({ title: 'B', dependsOn: ['T-40'] }, 'user')),
      (err: unknown) => err instanceof FactoryError && err.reason === 'not-found' && /cannot depend on T-40: no such ticket/.test(err.message),
    );
    await assert.rejects(tb.board.write((tx) => tx.updateTicket(a.id, { dependsOn: ['T-41'] })), /cannot depend on T-41/);
    assert.equal(tb.board.listTickets().length, 1);
    assert.deepEqual(tb.board.getTicket(a.id)?.dependsOn, []);
  });

  it('refuses a cycle when it is written, with the cycle in the message', async () => {
    const [a, b, c] = await tb.board.write((tx) => {
      const t1 = tx.createTicket({ title: 'A' }, 'user');
      const t2 = tx.createTicket({ title: 'B', dependsOn: [t1.id] }, 'user');
      const t3 = tx.createTicket({ title: 'C', dependsOn: [t2.id] }, 'user');
      return [t1, t2, t3];
    });
    await assert.rejects(
      tb.board.write((tx) => tx.updateTicket(a.id, { title: 'A, renamed', dependsOn: [c.id] })),
      (err: unknown) => err instanceof FactoryError && err.reason === 'dependency-cycle' && err.message.includes(`(${a.id} -> ${c.id} -> ${b.id} -> ${a.id})`),
    );
    assert.equal(tb.board.getTicket(a.id)?.title, 'A', 'the whole edit was refused');
    await assert.rejects(tb.board.write((tx) => tx.updateTicket(a.id, { dependsOn: [a.id] })), /cannot depend on itself/);
  });

  it('lets go of a deleted ticket in every ticket that depended on it', async () => {
    const [a, b, c] = await tb.board.write((tx) => {
      const t1 = tx.createTicket({ title: 'A' }, 'user');
      const t2 = tx.createTicket({ title: 'B' }, 'user');
      const t3 = tx.createTicket({ title: 'C', dependsOn: [t1.id, t2.id] }, 'user');
      return [t1, t2, t3];
    });
    await tb.board.write((tx) => tx.deleteTicket(a.id, 'user'));
    assert.deepEqual(tb.board.getTicket(c.id)?.dependsOn, [b.id]);
    const other = await tb.open();
    assert.deepEqual(other.getTicket(c.id)?.dependsOn, [b.id]);
  });

  it('records a verdict and summary on a run, and messages to the agent with who read them', async () => {
    const { run, message } = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'A', status: 'READY' }, 'user');
      const r = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' });
      const thread = tx.createConversation({ ticketId: t.id, type: 'pm_checkin', title: 'PM', key: 'pm' });
      const m = tx.addMessage({ conversationId: thread.id, author: 'user', kind: 'reply', body: 'Use the v2 API', toAgent: true });
      return { run: r, message: m };
    });
    assert.equal(message.toAgent, true);
    assert.equal(message.readAt, undefined);
    tb.clock.advance(1000);
    await tb.board.write((tx) => {
      tx.updateRun(run.id, { verdict: 'done', summary: 'Parser written' });
      tx.markMessagesRead([message.id], run.id);
    });
    tb.clock.advance(1000);
    await tb.board.write((tx) => tx.markMessagesRead([message.id], 'r-0000000000000000'));
    const other = await tb.open();
    const read = other.listMessages(message.conversationId)[0];
    assert.equal(read?.readBy, run.id, 'the first reader stays');
    assert.equal(read?.readAt, tb.clock.now() - 1000);
    assert.deepEqual([other.getRun(run.id)?.verdict, other.getRun(run.id)?.summary], ['done', 'Parser written']);
    await assert.rejects(tb.board.write((tx) => tx.updateRun(run.id, { verdict: 'maybe' as 'done' })), /verdict must be one of done, approved, rejected, blocked/);
    await assert.rejects(tb.board.write((tx) => tx.markMessagesRead(['m-0000000000000000'], run.id)), /no message/);
  });
});
