import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Findings } from '../../../src/domain/checkin';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const findings = (progressPercent: number): Findings => ({ progressPercent, concerns: [], blockers: [], achievements: [], evidence: [], stalled: false });

describe('latestCheckIns', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await tb.dispose();
  });

  it('gives every ticket with check-ins the same check-in latestCheckIn gives, in one read; tickets without any are absent', async () => {
    const { board, clock } = tb;
    const [a, b, c] = await board.write((tx) => [1, 2, 3].map((n) => tx.createTicket({ title: `ticket ${n}` }, 'user')));
    await board.write((tx) => {
      tx.addCheckIn({ ticketId: a.id, type: 'progress', summary: 'a first', findings: findings(10), actionRequired: false });
      tx.addCheckIn({ ticketId: b.id, type: 'progress', summary: 'b first', findings: findings(20), actionRequired: false });
    });
    clock.advance(1000);
    await board.write((tx) => {
      tx.addCheckIn({ ticketId: a.id, type: 'progress', summary: 'a second', findings: findings(30), actionRequired: false });
      // Two in the same millisecond: the one written last is the latest, as for latestCheckIn.
      tx.addCheckIn({ ticketId: b.id, type: 'progress', summary: 'b second', findings: findings(40), actionRequired: false });
      tx.addCheckIn({ ticketId: b.id, type: 'blocker', summary: 'b third', findings: findings(50), actionRequired: true });
    });
    const all = board.latestCheckIns();
    assert.deepEqual([...all.keys()].sort(), [a.id, b.id]);
    assert.equal(all.get(a.id)?.summary, 'a second');
    assert.equal(all.get(b.id)?.summary, 'b third');
    for (const t of [a, b, c]) assert.deepEqual(all.get(t.id), board.latestCheckIn(t.id));
  });
});
