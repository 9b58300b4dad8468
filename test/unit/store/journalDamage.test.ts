import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFrames } from '../../../src/store/journal';
import { META_LAST_REPAIR, parseRepair } from '../../../src/store/repairRecord';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

/** A closed board: 10 tickets in its snapshot (change 1), then changes 2–11 (T-11..T-20) only in the journal. */
async function boardWithJournal(): Promise<TempBoard> {
  const tb = await makeTempBoard();
  await tb.board.write((tx) => {
    for (let i = 1; i <= 10; i++) tx.createTicket({ title: `snapshot ${i}` }, 'user');
  });
  await tb.board.compact();
  for (let i = 11; i <= 20; i++) await tb.board.write((tx) => tx.createTicket({ title: `journal ${i}` }, 'user'));
  await tb.board.close();
  return tb;
}

function journalPath(tb: TempBoard): string {
  return join(tb.dir, 'factory.db.journal');
}

/** Changes the journal's bytes in place; returns the offsets of its frames before the change. */
function damageJournal(tb: TempBoard, change: (bytes: Buffer, frames: { start: number; end: number }[]) => void): void {
  const bytes = readFileSync(journalPath(tb));
  change(bytes, parseFrames(bytes).entries);
  writeFileSync(journalPath(tb), bytes);
}

describe('a journal damaged before its end', () => {
  const cases: [string, (tb: TempBoard) => void, { recovered: RegExp; lost: string }][] = [
    ['one flipped byte in the 4th entry', (tb) => damageJournal(tb, (b, f) => (b[f[3].start + 40] ^= 0x01)), { recovered: /changes 6–11 were recovered/, lost: 'T-14' }],
    ['a zeroed header of the 4th entry', (tb) => damageJournal(tb, (b, f) => b.fill(0, f[3].start, f[3].start + 24)), { recovered: /changes 6–11 were recovered/, lost: 'T-14' }],
  ];
  for (const [what, damage, expect] of cases) {
    it(`${what}: later entries are recovered, the user is told which, no id is used twice`, async () => {
      const tb = await boardWithJournal();
      try {
        damage(tb);
        const board = await tb.open({ create: false });
        const report = board.openReport;
        assert.equal(report.restored, true);
        assert.match(report.message ?? '', /change 5 in the journal is unreadable/);
        assert.match(report.message ?? '', expect.recovered);
        assert.match(report.message ?? '', /change 5 is lost/);
        assert.match(report.message ?? '', /set aside at .*factory\.db\.journal\.damaged-/);
        assert.equal(report.lostChanges, 1);
        const titles = board.listTickets().map((t) => t.id);
        assert.equal(titles.length, 19);
        assert.ok(!titles.includes(expect.lost));
        // The lost entry created T-14: that id stays retired.
        const next = await board.write((tx) => tx.createTicket({ title: 'after the damage' }, 'user'));
        assert.equal(next.id, 'T-21');
        assert.equal(readdirSync(tb.dir).filter((f) => f.startsWith('factory.db.journal.damaged-')).length, 1);
        // Every other process learns of the repair from the board itself.
        assert.match(parseRepair(board.getMeta(META_LAST_REPAIR))?.message ?? '', /change 5 is lost/);
        const again = await tb.open({ create: false });
        assert.equal(again.openReport.restored, false, 'the repair is done once');
        assert.equal(again.listTickets().length, 20);
      } finally {
        await tb.dispose();
      }
    });
  }

  it('a deleted journal: the lost changes are named and their ticket ids never reused', async () => {
    const tb = await boardWithJournal();
    try {
      rmSync(journalPath(tb));
      const board = await tb.open({ create: false });
      assert.equal(board.openReport.restored, true);
      assert.match(board.openReport.message ?? '', /the journal is missing \(changes up to 11 had been saved\)/);
      assert.match(board.openReport.message ?? '', /changes 2–11 are lost/);
      assert.equal(board.openReport.lostChanges, 10);
      assert.equal(board.listTickets().length, 10);
      const next = await board.write((tx) => tx.createTicket({ title: 'after the loss' }, 'user'));
      assert.equal(next.id, 'T-21', 'T-11..T-20 were handed out before and stay retired');
    } finally {
      await tb.dispose();
    }
  });

  it('a journal deleted under an open board is rebuilt from its memory: nothing lost', async () => {
    const tb = await makeTempBoard();
    try {
      for (let i = 1; i <= 5; i++) await tb.board.write((tx) => tx.createTicket({ title: `t${i}` }, 'user'));
      rmSync(journalPath(tb));
      await tb.board.write((tx) => tx.createTicket({ title: 't6' }, 'user'));
      const other = await tb.open({ create: false });
      assert.equal(other.openReport.restored, false);
      assert.deepEqual(
        other.listTickets().map((t) => t.title),
        ['t1', 't2', 't3', 't4', 't5', 't6'],
      );
      assert.match(parseRepair(other.getMeta(META_LAST_REPAIR))?.message ?? '', /the journal was deleted; .* nothing was lost/);
    } finally {
      await tb.dispose();
    }
  });
});
