import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { decodeTickets, WORKING_STATUSES } from '../../../src/store/ticketWarmup';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('decoding the working tickets ahead of their readers', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('decodes the tickets of every status but the backlog and the done, a page per step, so a later read decodes none', async () => {
    await tb.board.write((tx) => {
      for (let i = 0; i < 160; i++) {
        const t = tx.createTicket({ title: `Ticket ${i}`, status: i < 40 ? 'BACKLOG' : 'READY' }, 'user');
        if (i >= 100) tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
        if (i >= 150) tx.transition(t.id, 'IN_DEV', 'BLOCKED', 'user', 'waiting');
      }
    });
    // A board as a window opens it: nothing decoded yet.
    const board = await tb.open();
    type Row = Record<string, unknown>;
    const db = (board as unknown as { db: { all(sql: string, params?: unknown[]): Row[]; get(sql: string, params?: unknown[]): Row | undefined } }).db;
    const all = db.all.bind(db);
    const get = db.get.bind(db);
    // Tickets decoded: one per row of a read of whole ticket rows, a page at once or one by one.
    let decodes = 0;
    db.all = (sql, params) => {
      const rows = all(sql, params);
      if (/^SELECT \* FROM tickets/.test(sql)) decodes += rows.length;
      return rows;
    };
    db.get = (sql, params) => {
      const row = get(sql, params);
      if (/^SELECT \* FROM tickets/.test(sql) && row) decodes++;
      return row;
    };
    try {
      let steps = 0;
      for (const step of decodeTickets(board)) {
        void step;
        steps++;
      }
      assert.equal(steps, 2, '120 working tickets: three pages of at most 50, a step between them');
      assert.equal(decodes, 120);
      decodes = 0;
      assert.equal(board.readTickets({ status: WORKING_STATUSES }).length, 120);
      assert.equal(board.readTickets({ status: 'IN_DEV' }).length, 50);
      assert.equal(decodes, 0, 'the working tickets are read from what was decoded');
      assert.equal(board.readTickets({ status: 'BACKLOG' }).length, 40);
      assert.equal(decodes, 40, 'the backlog was left to its readers');
    } finally {
      db.all = all;
      db.get = get;
    }
  });
});
