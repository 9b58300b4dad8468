import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Db, loadSqlJs } from '../../../src/store/sqlite';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

describe('pragmas', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await tb.dispose();
  });

  it('keeps foreign keys on across export, which closes and reopens the connection in sql.js', async () => {
    const SQL = await loadSqlJs();
    const db = new Db(new SQL.Database());
    try {
      assert.equal(db.pragma('foreign_keys'), 1);
      db.exec('CREATE TABLE p (id INTEGER PRIMARY KEY)');
      db.exec('CREATE TABLE c (p INTEGER REFERENCES p(id) ON DELETE CASCADE)');
      db.exec('INSERT INTO p VALUES (1)');
      db.exec('INSERT INTO c VALUES (1)');
      db.export();
      assert.equal(db.pragma('foreign_keys'), 1);
      db.exec('DELETE FROM p');
      assert.equal(db.value('SELECT COUNT(*) FROM c'), 0, 'the cascade ran after the export');
    } finally {
      db.close();
    }
  });

  it('enforces cascades on a board saved, compacted and reopened', async () => {
    const { board } = tb;
    const t = await board.write((tx) => {
      const ticket = tx.createTicket({ title: 'with children' }, 'user');
      tx.addBug({ ticketId: ticket.id, title: 'bug', severity: 'low', foundBy: 'user' });
      return ticket;
    });
    await board.compact();
    const reopened = await tb.open();
    assert.equal(reopened.pragma('foreign_keys'), 1);
    await reopened.write((tx) => tx.deleteTicket(t.id, 'user'));
    assert.deepEqual(reopened.listBugs(t.id), [], 'bugs went with their ticket');
    assert.deepEqual(reopened.history(t.id), [], 'history went with its ticket');
  });
});
