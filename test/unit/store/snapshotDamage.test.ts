import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { META_LAST_REPAIR, parseRepair } from '../../../src/store/repairRecord';
import { loadSqlJs } from '../../../src/store/sqlite';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

async function quickCheck(bytes: Buffer): Promise<string> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(bytes);
  try {
    return String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    db.close();
  }
}

/** A closed board of 30 tickets, compacted, then `journal` written; then ticket_history's root page overwritten. */
async function damagedBoard(journal: (tb: TempBoard) => Promise<void>): Promise<{ tb: TempBoard; good: Buffer; dbFile: string; bakFile: string }> {
  const tb = await makeTempBoard();
  await tb.board.write((tx) => {
    for (let i = 1; i <= 30; i++) tx.createTicket({ title: `ticket ${i}` }, 'user');
  });
  await tb.board.compact();
  await journal(tb);
  await tb.board.close();
  const dbFile = join(tb.dir, 'factory.db');
  const bakFile = join(tb.dir, 'factory.db.bak');
  // Random bytes over the root page of ticket_history, as a failing disk might leave them.
  const SQL = await loadSqlJs();
  const probe = new SQL.Database(readFileSync(dbFile));
  const root = Number(probe.exec("SELECT rootpage FROM sqlite_master WHERE name = 'ticket_history'")[0]?.values[0]?.[0]);
  const pageSize = Number(probe.exec('PRAGMA page_size')[0]?.values[0]?.[0]);
  probe.close();
  const bytes = readFileSync(dbFile);
  randomBytes(pageSize).copy(bytes, (root - 1) * pageSize);
  writeFileSync(dbFile, bytes);
  assert.notEqual(await quickCheck(bytes), 'ok');
  return { tb, good: readFileSync(bakFile), dbFile, bakFile };
}

describe('damage in a table the open check does not read', () => {
  it('is caught before compaction: the last good copy stays good and the snapshot is restored from it', async () => {
    const { tb, good, dbFile, bakFile } = await damagedBoard((t) => t.board.write((tx) => void tx.updateTicket('T-1', { title: 'renamed' })));
    try {
      const board = await tb.open({ create: false });
      assert.equal(board.listTickets().length, 30, 'the open check does not read ticket_history');
      await board.compact();

      assert.deepEqual(readFileSync(bakFile), good, 'the last good copy was not replaced');
      assert.equal(await quickCheck(readFileSync(dbFile)), 'ok', 'the snapshot is sound again');
      assert.equal(readdirSync(tb.dir).filter((f) => f.startsWith('factory.db.corrupt-')).length, 1, 'the damaged file was kept');
      assert.equal(board.getTicket('T-1')?.title, 'renamed', 'the journal was replayed on the restored copy');
      assert.equal(board.history('T-1').length, 1);
      const record = parseRepair(board.getMeta(META_LAST_REPAIR));
      assert.match(record?.message ?? '', /failed its integrity check before compaction/);
      assert.match(record?.message ?? '', /the last good copy was not touched/);

      // Compaction works again, and every process sees the repaired board.
      await board.write((tx) => tx.transition('T-1', 'BACKLOG', 'READY', 'user'));
      await board.compact();
      const other = await tb.open({ create: false });
      assert.equal(other.listTickets().length, 30);
      assert.equal(other.history('T-1').length, 2);
      assert.equal(await quickCheck(readFileSync(bakFile)), 'ok');
    } finally {
      await tb.dispose();
    }
  });

  it('is caught at open when a journal entry touches the damaged table: restored from the last good copy', async () => {
    const { tb, good, bakFile } = await damagedBoard((t) => t.board.write((tx) => void tx.transition('T-1', 'BACKLOG', 'READY', 'user')));
    try {
      const board = await tb.open({ create: false });
      assert.equal(board.openReport.restored, true);
      assert.match(board.openReport.message ?? '', /failed its integrity check/);
      assert.deepEqual(readFileSync(bakFile), good);
      assert.equal(board.getTicket('T-1')?.status, 'READY');
      assert.equal(board.history('T-1').length, 2);
    } finally {
      await tb.dispose();
    }
  });
});
