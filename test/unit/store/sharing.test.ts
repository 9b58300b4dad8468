import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StoreChange } from '../../../src/store/api';
import { openBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';
import { loadSqlJs } from '../../../src/store/sqlite';

describe('several windows on one board', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard({ compactBytes: 8 * 1024 });
  });
  after(async () => {
    await tb.dispose();
  });

  it('tells a listener about another window\'s change within 2 seconds, with the ticket id', async () => {
    // The default poll interval, as the extension uses it.
    const watcher = await openBoard({ dir: tb.dir, repoRoot: tb.root, clock: tb.clock });
    try {
      const seen: StoreChange[] = [];
      let guard: NodeJS.Timeout | undefined;
      const arrived = new Promise<number>((resolve, reject) => {
        // Also keeps the test alive: the store's own poll timer is unref'd.
        guard = setTimeout(() => reject(new Error('no external change within 5 s')), 5000);
        watcher.onDidChange((e) => {
          seen.push(e);
          if (e.source === 'external') resolve(Date.now());
        });
      });
      const started = Date.now();
      const t = await tb.board.write((tx) => tx.createTicket({ title: 'from the other window' }, 'user'));
      const at = await arrived.finally(() => clearTimeout(guard));
      assert.ok(at - started < 2000, `took ${at - started} ms`);
      assert.deepEqual(seen.at(-1), { source: 'external', ticketIds: [t.id] });
      assert.equal(watcher.getTicket(t.id)?.title, 'from the other window');
    } finally {
      await watcher.close();
    }
  });

  it('fires local changes with the touched ticket ids, and none for a write that changed nothing', async () => {
    const seen: StoreChange[] = [];
    const sub = tb.board.onDidChange((e) => seen.push(e));
    const t = await tb.board.write((tx) => tx.createTicket({ title: 'local' }, 'user'));
    await tb.board.write((tx) => tx.listTickets());
    sub.dispose();
    assert.deepEqual(seen, [{ source: 'local', ticketIds: [t.id] }]);
  });

  it('compacts the journal off the main thread and keeps every window current across it', async () => {
    const other = await tb.open();
    const journal = join(tb.dir, 'factory.db.journal');
    for (let i = 0; i < 60; i++) await tb.board.write((tx) => tx.createTicket({ title: `filler ${i} ${'x'.repeat(100)}` }, 'user'));
    await tb.board.whenCompacted();
    // Writes that landed while the automatic compaction ran stay in the journal until the next
    // one; fold them now so the size says something whatever the machine's load.
    await tb.board.compact();
    assert.ok(statSync(journal).size < 8 * 1024, `the journal was folded into the snapshot (${statSync(journal).size} bytes left)`);
    // The other window followed the journal being replaced.
    await other.write((tx) => tx.createTicket({ title: 'written by the other window' }, 'user'));
    await tb.board.refresh();
    const count = tb.board.listTickets().length;
    assert.equal(other.listTickets().length, count);
    assert.equal(tb.board.listTickets().at(-1)?.title, 'written by the other window');
    // The last good copy was refreshed by the compaction and is a complete board.
    const SQL = await loadSqlJs();
    const backup = new SQL.Database(readFileSync(join(tb.dir, 'factory.db.bak')));
    try {
      const inBackup = Number(backup.exec('SELECT COUNT(*) FROM tickets')[0]?.values[0]?.[0]);
      assert.ok(inBackup >= 50, `backup holds ${inBackup} tickets`);
    } finally {
      backup.close();
    }
    const fresh = await tb.open();
    assert.equal(fresh.listTickets().length, count);
  });

  it('never serves a stale or shared ticket from its read cache', async () => {
    const other = await tb.open();
    const t = await tb.board.write((tx) => tx.createTicket({ title: 'cached' }, 'user'));
    await other.refresh();
    assert.equal(other.listTickets().find((x) => x.id === t.id)?.title, 'cached');
    await tb.board.write((tx) => tx.updateTicket(t.id, { title: 'renamed' }));
    await other.refresh();
    assert.equal(other.getTicket(t.id)?.title, 'renamed');
    assert.equal(other.listTickets().find((x) => x.id === t.id)?.title, 'renamed');
    await assert.rejects(
      tb.board.write((tx) => {
        tx.updateTicket(t.id, { title: 'never committed' });
        assert.equal(tx.getTicket(t.id)?.title, 'never committed', 'a transaction reads its own writes');
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(tb.board.getTicket(t.id)?.title, 'renamed');
    tb.board.getTicket(t.id)?.labels.push('changed by a caller');
    assert.deepEqual(tb.board.getTicket(t.id)?.labels, []);
  });

  it('closes idempotently and refuses writes afterwards', async () => {
    const b = await tb.open();
    await Promise.all([b.close(), b.close()]);
    await b.close();
    await assert.rejects(b.write((tx) => tx.createTicket({ title: 'too late' }, 'user')), /closed/);
  });
});
