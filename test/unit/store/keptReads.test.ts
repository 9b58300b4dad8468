import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Db, loadSqlJs } from '../../../src/store/sqlite';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

// The store keeps some reads (the live runs, a run, a status's ticket ids, meta values) until the
// database changes, and each statement's column names until the schema does. These tests change
// the database every way it can change and check that no kept read outlives its data.
describe('reads kept between changes', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await tb.dispose();
  });

  it('hands out shared runs frozen, in a list of the caller\'s own', async () => {
    const { board } = tb;
    const ticket = await board.write((tx) => tx.createTicket({ title: 'frozen runs' }, 'user'));
    const run = await board.write((tx) => tx.createRun({ ticketId: ticket.id, stage: 'IN_DEV', agent: 'a', status: 'running' }));
    const first = board.listRuns({ ticketId: ticket.id });
    const second = board.listRuns({ ticketId: ticket.id });
    assert.notEqual(first, second, 'each caller gets its own list to sort');
    assert.equal(first[0], second[0], 'the run itself is decoded once');
    assert.equal(board.getRun(run.id), board.getRun(run.id));
    assert.ok(Object.isFrozen(first[0]));
    assert.throws(() => {
      (first[0] as { status: string }).status = 'failed';
    }, TypeError);
    first.pop();
    assert.equal(board.listRuns({ ticketId: ticket.id }).length, 1, 'emptying a list leaves the kept one alone');
  });

  it('reads again after its own write, in a write, after a rollback and after another process writes', async () => {
    const { board } = tb;
    const ticket = await board.write((tx) => tx.createTicket({ title: 'kept runs' }, 'user'));
    const live = () => board.listRuns({ ticketId: ticket.id, status: ['running', 'queued'] }).map((r) => r.id);
    assert.deepEqual(live(), []);
    const run = await board.write((tx) => tx.createRun({ ticketId: ticket.id, stage: 'IN_DEV', agent: 'a', status: 'running' }));
    assert.deepEqual(live(), [run.id], 'a write of this board');
    assert.equal(board.getRun(run.id)?.pid, undefined);

    await board.write((tx) => {
      assert.deepEqual(tx.listRuns({ ticketId: ticket.id, status: 'running' }).map((r) => r.id), [run.id]);
      tx.updateRun(run.id, { pid: 4242 });
      assert.equal(tx.getRun(run.id)?.pid, 4242, 'the write sees what it wrote');
    });
    assert.equal(board.getRun(run.id)?.pid, 4242);

    await assert.rejects(
      board.write((tx) => {
        tx.updateRun(run.id, { status: 'failed', endedAt: 1 });
        assert.deepEqual(tx.listRuns({ ticketId: ticket.id, status: 'running' }), []);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.deepEqual(live(), [run.id], 'the rolled-back write is not kept');
    assert.equal(board.getRun(run.id)?.status, 'running');

    const other = await tb.open();
    try {
      assert.deepEqual(other.listRuns({ ticketId: ticket.id, status: 'running' }).map((r) => r.id), [run.id]);
      assert.equal(other.getMeta('kept-reads'), undefined);
      await board.write((tx) => {
        tx.updateRun(run.id, { status: 'succeeded', endedAt: 2 });
        tx.setMeta('kept-reads', 'one');
      });
      await other.refresh();
      assert.deepEqual(other.listRuns({ ticketId: ticket.id, status: 'running' }), [], 'another process ended it');
      assert.equal(other.getRun(run.id)?.status, 'succeeded');
      assert.equal(other.getMeta('kept-reads'), 'one');
      assert.deepEqual(
        other.readTickets({ status: 'BACKLOG' }).map((t) => t.id).filter((id) => id === ticket.id),
        [ticket.id],
      );
      await board.write((tx) => tx.transition(ticket.id, 'BACKLOG', 'READY', 'user'));
      await other.refresh();
      assert.ok(!other.readTickets({ status: 'BACKLOG' }).some((t) => t.id === ticket.id), 'the kept ids of a status follow the move');
      assert.ok(other.readTickets({ status: 'READY' }).some((t) => t.id === ticket.id));
    } finally {
      await other.close();
    }
  });

  it('names a row\'s columns as the schema has them, after a change of schema and after its rollback', async () => {
    const SQL = await loadSqlJs();
    const db = new Db(new SQL.Database());
    try {
      db.run('CREATE TABLE t (a INTEGER)');
      db.run('INSERT INTO t (a) VALUES (?)', [1]);
      assert.deepEqual(db.get('SELECT * FROM t'), { a: 1 });
      db.run('ALTER TABLE t ADD COLUMN b TEXT');
      assert.deepEqual(db.get('SELECT * FROM t'), { a: 1, b: null });
      assert.deepEqual(db.all('SELECT * FROM t'), [{ a: 1, b: null }]);
      db.exec('BEGIN');
      db.run('ALTER TABLE t ADD COLUMN c TEXT');
      assert.deepEqual(db.get('SELECT * FROM t'), { a: 1, b: null, c: null });
      db.exec('ROLLBACK');
      assert.deepEqual(db.get('SELECT * FROM t'), { a: 1, b: null });
      const before = db.generation;
      db.get('SELECT * FROM t');
      assert.equal(db.generation, before, 'a read changes nothing');
      db.run('UPDATE t SET a = 2');
      assert.notEqual(db.generation, before);
    } finally {
      db.close();
    }
  });
});
