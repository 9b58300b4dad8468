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
    assert.deepEqual(tb.board.listTickets({ hasWorktree: true, status: ['READY', 'IN_DEV'] }).map((t) => t.id), [a.id, c.id]);
    assert.deepEqual(tb.board.readTickets({ hasWorktree: true, status: 'DONE' }), []);
  });

  it('reads the tickets with a worktree through their own index, whatever the statuses asked for', async () => {
    await tb.board.write((tx) => {
      for (let i = 0; i < 50; i++) tx.createTicket({ title: `Ticket ${i}` }, 'user');
    });
    const plans: string[] = [];
    const db = (tb.board as unknown as { db: { all(sql: string, params?: unknown[]): Record<string, unknown>[]; column(sql: string, params?: unknown[]): unknown[] } }).db;
    const column = db.column.bind(db);
    db.column = (sql, params) => {
      plans.push(db.all(`EXPLAIN QUERY PLAN ${sql}`, params).map((r) => String(r.detail)).join('; '));
      return column(sql, params);
    };
    try {
      tb.board.readTickets({ hasWorktree: true });
      tb.board.readTickets({ hasWorktree: true, status: ['DONE', 'IN_DEV', 'READY'] });
      tb.board.readTickets({ status: ['DONE', 'IN_DEV'] });
    } finally {
      db.column = column;
    }
    assert.match(plans[0], /USING INDEX tickets_worktree/);
    assert.match(plans[1], /USING INDEX tickets_worktree/);
    assert.doesNotMatch(plans[2], /tickets_worktree/, 'without a worktree asked for, the status index serves');
  });

  it('reads the same tickets without copying them, frozen, and in pages of board order', async () => {
    const made = await tb.board.write((tx) => [1, 2, 3, 4, 5].map((i) => tx.createTicket({ title: `Ticket ${i}`, labels: ['x'], status: i % 2 ? 'READY' : 'BACKLOG' }, 'user')));
    const read = tb.board.readTickets();
    assert.deepEqual(read, tb.board.listTickets());
    assert.equal(tb.board.readTickets()[0], read[0], 'the same object on every read');
    assert.notEqual(tb.board.listTickets()[0], read[0], 'listTickets still hands out copies');
    assert.throws(() => read[0].labels.push('y'), TypeError);
    assert.throws(() => Object.assign(read[0], { title: 'changed' }), TypeError);
    assert.deepEqual(tb.board.getTicket(made[0].id)?.labels, ['x'], 'nothing changed for anyone');
    const copy = tb.board.getTicket(made[0].id);
    copy?.labels.push('mine');
    assert.deepEqual(tb.board.readTickets()[0].labels, ['x'], 'a copy changed leaves the shared ticket alone');
    assert.deepEqual(tb.board.readTickets({}, { afterNumber: 0, limit: 2 }).map((t) => t.id), [made[0].id, made[1].id]);
    assert.deepEqual(tb.board.readTickets({}, { afterNumber: 2, limit: 2 }).map((t) => t.id), [made[2].id, made[3].id]);
    assert.deepEqual(tb.board.readTickets({ status: 'READY' }, { afterNumber: 1, limit: 10 }).map((t) => t.id), [made[2].id, made[4].id]);
    await tb.board.write((tx) => tx.updateTicket(made[0].id, { title: 'renamed' }));
    assert.equal(tb.board.readTickets()[0].title, 'renamed', 'a change is read again');
    assert.equal(read[0].title, 'Ticket 1', 'what was read before stays as it was');
  });
});
