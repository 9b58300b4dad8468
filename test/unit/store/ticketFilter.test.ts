import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('listTickets filters', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('lists only the tickets with a worktree recorded, in board order, with the other filters', async () => {
    const [a, , c] = await tb.board.write((tx) => {
      const made = [1, 2, 3, 4].map((i) => tx.createTicket({ title: `Ticket ${i}`, status: 'READY' }, 'user'));
      for (const t of [made[0], made[2], made[3]]) tx.updateTicket(t.id, { worktree: { path: `/wt/${t.id}`, branch: `factory/${t.id}`, base: 'main' } });
      tx.updateTicket(made[3].id, { worktree: null });
      tx.transition(made[2].id, 'READY', 'IN_DEV', 'runner');
      return made;
    });
    assert.deepEqual(tb.board.listTickets({ hasWorktree: true }).map((t) => t.id), [a.id, c.id]);
    assert.deepEqual(tb.board.listTickets({ hasWorktree: true, status: 'IN_DEV' }).map((t) => t.id), [c.id]);
    assert.equal(tb.board.listTickets({ hasWorktree: false }).length, 4, 'false does not filter');
  });
});
