import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { takeInbox } from '../../../src/loop/inbox';
import { EDIT_METADATA_KEY, editTicket } from '../../../src/loop/ticketEdits';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('editing a ticket', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('records what changed in the history, in words, and keeps a no-op out of it', async () => {
    const id = (await tb.board.write((tx) => tx.createTicket({ title: 'Add retry', status: 'READY' }, 'user'))).id;
    const edited = await tb.board.write((tx) => editTicket(tx, id, { priority: 2, title: 'Add retry to uploads', acceptanceCriteria: ['retries 3 times'], labels: ['net'] }, 'user'));
    assert.deepEqual(edited.changes, ['title "Add retry" → "Add retry to uploads"', 'acceptance criteria (0 → 1)', 'priority medium → high', 'labels: net']);
    assert.equal(edited.toAgent, false, 'no agent works on it');
    const last = tb.board.history(id).at(-1);
    assert.deepEqual([last?.from, last?.to, last?.by], ['READY', 'READY', 'user']);
    assert.equal(last?.note, 'Edited title "Add retry" → "Add retry to uploads"; acceptance criteria (0 → 1); priority medium → high; labels: net');
    assert.equal(tb.board.getTicket(id)?.status, 'READY', 'an edit is not a move');

    const again = await tb.board.write((tx) => editTicket(tx, id, { priority: 2 }, 'user'));
    assert.deepEqual(again.changes, []);
    assert.equal(tb.board.history(id).length, 2);
  });

  it("reaches the agent working the ticket through its inbox, with the new values", async () => {
    const { id, runId } = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Parser', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return { id: t.id, runId: tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' }).id };
    });
    const edited = await tb.board.write((tx) => editTicket(tx, id, { acceptanceCriteria: ['parses JSON', 'rejects trailing commas'] }, 'user'));
    assert.equal(edited.toAgent, true);
    const inbox = await tb.board.write((tx) => takeInbox(tx, tx.getRun(runId)!, tb.clock.now()));
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0].body, `A person edited ${id} while you work on it. Work from these values now:\n\nAcceptance criteria:\n- parses JSON\n- rejects trailing commas`);
    assert.deepEqual(inbox[0].metadata?.[EDIT_METADATA_KEY], ['acceptanceCriteria']);
    assert.equal(tb.board.getTicket(id)?.status, 'IN_DEV');
  });

  it('does not answer a blocked agent\'s question: the ticket stays BLOCKED', async () => {
    const id = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Asks', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      const r = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' });
      tx.transition(t.id, 'IN_DEV', 'BLOCKED', 'claude', 'Which database?');
      tx.updateRun(r.id, { verdict: 'blocked', status: 'succeeded', endedAt: 1 });
      return t.id;
    });
    await tb.board.write((tx) => editTicket(tx, id, { description: 'Use SQLite.' }, 'user'));
    assert.equal(tb.board.getTicket(id)?.status, 'BLOCKED');
  });
});
