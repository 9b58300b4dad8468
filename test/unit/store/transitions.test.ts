import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IllegalTransitionError, StatusConflictError, FactoryError } from '../../../src/domain/errors';
import { legalTargets, STATUSES } from '../../../src/domain/status';
import type { Status } from '../../../src/domain/status';
import type { BoardTx } from '../../../src/store/api';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

/** Moves a new ticket along the pipeline to `status` (blocking it from IN_QA for BLOCKED). */
function ticketIn(tx: BoardTx, status: Status): string {
  const path: Status[] = ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE'];
  const t = tx.createTicket({ title: `in ${status}` }, 'user');
  const target = status === 'BLOCKED' ? 'IN_QA' : status;
  for (let i = 1; i <= path.indexOf(target); i++) tx.transition(t.id, path[i - 1], path[i], 'user');
  if (status === 'BLOCKED') tx.transition(t.id, 'IN_QA', 'BLOCKED', 'user', 'waiting for the API key');
  return t.id;
}

describe('transitions through the store', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await tb.dispose();
  });

  it('accepts every move of the transition table and records it in history', async () => {
    const { board } = tb;
    let moves = 0;
    for (const from of STATUSES) {
      for (const to of legalTargets(from, 'user', from === 'BLOCKED' ? 'IN_QA' : undefined)) {
        const id = await board.write((tx) => ticketIn(tx, from));
        tb.clock.advance(60_000);
        const moved = await board.write((tx) => tx.transition(id, from, to, 'user', to === 'BLOCKED' ? 'needs a decision' : 'moving on'));
        assert.equal(moved.status, to, `${from} -> ${to}`);
        assert.equal(moved.statusSince, tb.clock.now());
        const last = board.history(id).at(-1);
        assert.deepEqual([last?.from, last?.to, last?.at], [from, to, tb.clock.now()]);
        moves++;
      }
    }
    assert.ok(moves >= 20, `only ${moves} legal moves exercised`);
  });

  it('refuses illegal moves with a typed error naming both statuses, changing nothing', async () => {
    const { board } = tb;
    const samples: [Status, Status, string][] = [
      ['BACKLOG', 'DONE', 'user'],
      ['READY', 'DONE', 'user'],
      ['IN_DEV', 'IN_SEC', 'user'],
      ['IN_SEC', 'IN_QA', 'runner'],
      ['DONE', 'READY', 'PM'],
      ['DONE', 'IN_DEV', 'user'],
      ['BACKLOG', 'BLOCKED', 'user'],
      ['BLOCKED', 'IN_UX', 'user'],
      ['IN_QA', 'IN_QA', 'user'],
    ];
    for (const [from, to, by] of samples) {
      const id = await board.write((tx) => ticketIn(tx, from));
      const historyBefore = board.history(id).length;
      await assert.rejects(
        board.write((tx) => tx.transition(id, from, to, by, 'because')),
        (err: unknown) => err instanceof IllegalTransitionError && err.from === from && err.to === to && err.message.includes(`${from} -> ${to}`),
        `${from} -> ${to} by ${by}`,
      );
      assert.equal(board.getTicket(id)?.status, from);
      assert.equal(board.history(id).length, historyBefore);
    }
  });

  it('compares and sets: a stale expected status fails with both statuses named', async () => {
    const { board } = tb;
    const id = await board.write((tx) => ticketIn(tx, 'IN_DEV'));
    const other = await tb.open();
    await other.write((tx) => tx.transition(id, 'IN_DEV', 'IN_QA', 'runner'));
    // This window still believes IN_DEV; its write catches up first and then refuses.
    await assert.rejects(
      board.write((tx) => tx.transition(id, 'IN_DEV', 'READY', 'PM', 'self-heal')),
      (err: unknown) => err instanceof StatusConflictError && err.expected === 'IN_DEV' && err.actual === 'IN_QA',
    );
    assert.equal(board.getTicket(id)?.status, 'IN_QA');
  });

  it('keeps the blocked reason and origin, requires a reason, and clears both on unblock', async () => {
    const { board } = tb;
    const id = await board.write((tx) => ticketIn(tx, 'IN_SEC'));
    await assert.rejects(board.write((tx) => tx.transition(id, 'IN_SEC', 'BLOCKED', 'user', '  ')), (err: unknown) => err instanceof FactoryError && err.reason === 'invalid-input');
    const blocked = await board.write((tx) => tx.transition(id, 'IN_SEC', 'BLOCKED', 'PM', 'healed 3 times; needs a human'));
    assert.equal(blocked.blockedFrom, 'IN_SEC');
    assert.equal(blocked.blockedReason, 'healed 3 times; needs a human');
    await assert.rejects(board.write((tx) => tx.transition(id, 'BLOCKED', 'IN_QA', 'user')), IllegalTransitionError);
    const back = await board.write((tx) => tx.transition(id, 'BLOCKED', 'IN_SEC', 'user'));
    assert.equal(back.status, 'IN_SEC');
    assert.equal(back.blockedFrom, undefined);
    assert.equal(back.blockedReason, undefined);
  });

  it('rejects statuses that are not statuses', async () => {
    const { board } = tb;
    const id = await board.write((tx) => ticketIn(tx, 'READY'));
    await assert.rejects(board.write((tx) => tx.transition(id, 'READY', 'SHIPPED' as Status, 'user')), /not a status/);
  });
});

describe('the Security gate in transitions', () => {
  it('refuses to move a ticket on from IN_SEC while a critical Security finding is open, and says why', async () => {
    const temp = await makeTempBoard();
    const { board } = temp;
    try {
      const id = await board.write((tx) => {
        const t = tx.createTicket({ title: 'Ship it', status: 'READY' }, 'user');
        for (const [from, to] of [['READY', 'IN_DEV'], ['IN_DEV', 'IN_QA'], ['IN_QA', 'IN_UX'], ['IN_UX', 'IN_SEC']] as const) tx.transition(t.id, from, to, 'runner');
        tx.addBug({ ticketId: t.id, title: 'GitHub token', severity: 'critical', foundBy: 'Security', file: 'src/a.ts', line: 3 });
        tx.addBug({ ticketId: t.id, title: 'Typo', severity: 'critical', foundBy: 'QA' });
        return t.id;
      });
      await assert.rejects(
        board.write((tx) => tx.transition(id, 'IN_SEC', 'PM_REVIEW', 'runner')),
        (err: Error) => err.name === 'IllegalTransitionError' && /cannot leave IN_SEC with an open critical\/high security finding: critical GitHub token \(line 3\)/.test(err.message),
      );
      assert.equal(board.getTicket(id)?.status, 'IN_SEC', 'nothing changed');
      await board.write((tx) => tx.transition(id, 'IN_SEC', 'IN_DEV', 'PM', 'fix the leaked token'));
      await board.write((tx) => {
        for (const [from, to] of [['IN_DEV', 'IN_QA'], ['IN_QA', 'IN_UX'], ['IN_UX', 'IN_SEC']] as const) tx.transition(id, from, to, 'runner');
        for (const b of tx.listBugs(id)) if (b.foundBy === 'Security') tx.setBugFixed(b.id, true);
      });
      await board.write((tx) => tx.transition(id, 'IN_SEC', 'PM_REVIEW', 'runner'));
      assert.equal(board.getTicket(id)?.status, 'PM_REVIEW');
    } finally {
      await temp.dispose();
    }
  });
});
