import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { openBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

/** A closed board with 20 tickets in its last good copy and 5 more only in the journal. */
async function boardWithHistory(): Promise<TempBoard> {
  const tb = await makeTempBoard();
  await tb.board.write((tx) => {
    for (let i = 1; i <= 20; i++) tx.createTicket({ title: `before compaction ${i}` }, 'user');
  });
  await tb.board.compact();
  for (let i = 1; i <= 5; i++) await tb.board.write((tx) => tx.createTicket({ title: `journal only ${i}` }, 'user'));
  await tb.board.close();
  return tb;
}

const damages: [string, (file: string) => void][] = [
  ['a truncated file', (file) => truncateSync(file, Math.floor(statSync(file).size / 2))],
  ['a file of random bytes', (file) => writeFileSync(file, randomBytes(statSync(file).size))],
  ['a zero-length file', (file) => writeFileSync(file, '')],
  ['a file cut inside its header', (file) => truncateSync(file, 60)],
];

describe('damaged board files', () => {
  for (const [what, damage] of damages) {
    it(`sets aside ${what}, restores the last good copy with the journal, and says so`, async () => {
      const tb = await boardWithHistory();
      try {
        const dbFile = join(tb.dir, 'factory.db');
        damage(dbFile);
        const damagedBytes = readFileSync(dbFile);
        const board = await tb.open({ create: false });
        assert.equal(board.openReport.restored, true);
        assert.match(board.openReport.message ?? '', /damaged/);
        assert.match(board.openReport.message ?? '', /last good copy was restored/);
        const aside = board.openReport.corruptPath;
        assert.ok(aside && existsSync(aside), 'the damaged file was kept');
        assert.match(aside, /factory\.db\.corrupt-/);
        assert.deepEqual(readFileSync(aside), damagedBytes);
        const titles = board.listTickets().map((t) => t.title);
        assert.equal(titles.length, 25, 'nothing was lost: the journal was replayed on the copy');
        assert.ok(titles.includes('journal only 5'));
        // And it keeps working.
        const next = await board.write((tx) => tx.createTicket({ title: 'after repair' }, 'user'));
        assert.equal(next.id, 'T-26');
      } finally {
        await tb.dispose();
      }
    });
  }

  it('refuses to open (never an empty board) when there is no good copy to restore', async () => {
    const tb = await boardWithHistory();
    try {
      const dbFile = join(tb.dir, 'factory.db');
      writeFileSync(dbFile, 'not a database');
      writeFileSync(join(tb.dir, 'factory.db.bak'), '');
      await assert.rejects(tb.open(), (err: unknown) => err instanceof FactoryError && err.reason === 'store-damaged' && /no usable last good copy/.test(err.message));
      assert.equal(readFileSync(dbFile, 'utf8'), 'not a database', 'the damaged file is left for recovery');
    } finally {
      await tb.dispose();
    }
  });

  it('ignores a write torn by a crash and cuts it off before the next write', async () => {
    const tb = await boardWithHistory();
    try {
      const journal = join(tb.dir, 'factory.db.journal');
      const intact = statSync(journal).size;
      // Half of a frame: a valid-looking header whose payload never made it to disk.
      const header = Buffer.alloc(24);
      header.writeUInt32LE(0x314a4641, 0);
      header.writeDoubleLE(999, 4);
      header.writeUInt32LE(500, 12);
      appendFileSync(journal, Buffer.concat([header, Buffer.from('{"s":["DELETE FROM tickets"]')]));
      const board = await tb.open();
      assert.equal(board.openReport.restored, false);
      assert.equal(board.listTickets().length, 25);
      await board.write((tx) => tx.createTicket({ title: 'after the torn write' }, 'user'));
      const reopened = await tb.open();
      assert.equal(reopened.listTickets().length, 26);
      assert.ok(statSync(journal).size > intact);
      assert.equal(readdirSync(tb.dir).filter((f) => f.includes('corrupt')).length, 0, 'a torn tail is not damage');
    } finally {
      await tb.dispose();
    }
  });

  it('treats a missing database next to its last good copy as damage, not as a new board', async () => {
    const tb = await boardWithHistory();
    try {
      rmSync(join(tb.dir, 'factory.db'));
      const board = await openBoard({ dir: tb.dir, repoRoot: tb.root, pollMs: 0 });
      try {
        assert.equal(board.openReport.restored, true);
        assert.equal(board.openReport.created, false);
        assert.equal(board.listTickets().length, 25);
      } finally {
        await board.close();
      }
    } finally {
      await tb.dispose();
    }
  });

  it('reports a missing board as not found when asked not to create one', async () => {
    const tb = await makeTempBoard();
    try {
      await assert.rejects(
        openBoard({ dir: join(tb.root, 'elsewhere', '.factory'), repoRoot: tb.root, create: false, pollMs: 0 }),
        (err: unknown) => err instanceof FactoryError && err.reason === 'not-found',
      );
      assert.equal(existsSync(join(tb.root, 'elsewhere')), false, 'nothing was created');
    } finally {
      await tb.dispose();
    }
  });
});
