import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TicketTreeModel } from '../../../src/vscode/tickets/ticketTreeModel';
import { parseTicketFilter } from '../../../src/vscode/tickets/ticketFilter';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const findings = (progressPercent: number) => ({ progressPercent, concerns: [], blockers: [], achievements: [], evidence: [], stalled: false });

describe('ticket tree model', () => {
  let temp: TempBoard;
  let model: TicketTreeModel;

  beforeEach(async () => {
    temp = await makeTempBoard();
    model = new TicketTreeModel(40);
  });

  afterEach(async () => {
    model.dispose();
    await temp.dispose();
  });

  it('groups the board and shows the latest check-in progress', async () => {
    const t = await temp.board.write((tx) => {
      const created = tx.createTicket({ title: 'Add retry', status: 'READY' }, 'user');
      tx.transition(created.id, 'READY', 'IN_DEV', 'user');
      tx.addCheckIn({ ticketId: created.id, type: 'progress', summary: 'early', findings: findings(20), actionRequired: false });
      temp.clock.advanceMinutes(5);
      tx.addCheckIn({ ticketId: created.id, type: 'progress', summary: 'later', findings: findings(55), actionRequired: false });
      return created;
    });
    model.setBoard(temp.board);
    const inDev = model.statusGroups.find((g) => g.status === 'IN_DEV');
    assert.deepEqual(inDev?.rows.map((r) => [r.ticket.id, r.progress]), [[t.id, 55]]);
  });

  it('folds a burst of change requests into one refresh', async () => {
    model.setBoard(temp.board);
    await model.built();
    let refreshes = 0;
    model.onDidChange(() => refreshes++);
    await temp.board.write((tx) => tx.createTicket({ title: 'new' }, 'user'));
    for (let i = 0; i < 5; i++) model.schedule();
    assert.equal(refreshes, 0, 'no refresh before the coalescing delay');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(refreshes, 1);
  });

  it('refreshes after a board write, once the coalescing delay has passed', async () => {
    // A delay far longer than a durable write takes on a loaded machine (40 ms was not always).
    model.dispose();
    model = new TicketTreeModel(2_000);
    model.setBoard(temp.board);
    // The first build runs in slices; it must have read the empty board before the write.
    await model.built();
    let refreshes = 0;
    const refreshed = new Promise<void>((resolve) =>
      model.onDidChange(() => {
        refreshes++;
        resolve();
      }),
    );
    await temp.board.write((tx) => tx.createTicket({ title: 'new' }, 'user'));
    assert.equal(model.statusGroups.length, 0, 'still the empty board until the refresh');
    await refreshed;
    assert.equal(refreshes, 1);
    assert.deepEqual(model.statusGroups.find((g) => g.status === 'BACKLOG')?.rows.map((r) => r.ticket.title), ['new']);
  });

  it('does not redraw for a change the view would not show', async () => {
    const id = (await temp.board.write((tx) => tx.createTicket({ title: 'Quiet', status: 'READY' }, 'user'))).id;
    model.setBoard(temp.board);
    await model.built();
    let refreshes = 0;
    model.onDidChange(() => refreshes++);
    await temp.board.write((tx) => tx.setMeta('unrelated', 'x'));
    await temp.board.write((tx) => tx.updateTicket(id, { description: 'not shown in the tree' }));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(refreshes, 0);
    await temp.board.write((tx) => tx.updateTicket(id, { title: 'Loud' }));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(refreshes, 1);
  });

  it('shows a change made by another process without being asked', async () => {
    model.setBoard(temp.board);
    const other = await temp.open();
    await other.write((tx) => tx.createTicket({ title: 'from another window', status: 'READY' }, 'cli'));
    await temp.board.refresh();
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(model.statusGroups.find((g) => g.status === 'READY')?.rows.map((r) => r.ticket.title), ['from another window']);
  });

  it('filters at once and forgets the board when it closes', async () => {
    await temp.board.write((tx) => {
      tx.createTicket({ title: 'Login form', labels: ['ui'] }, 'user');
      tx.createTicket({ title: 'Database pool' }, 'user');
    });
    model.setBoard(temp.board);
    const parsed = parseTicketFilter('label:ui');
    assert.ok(parsed.ok);
    model.setFilter(parsed.filter);
    assert.equal(model.filterText, 'label:ui');
    assert.deepEqual(model.statusGroups.find((g) => g.status === 'BACKLOG')?.rows.map((r) => r.ticket.title), ['Login form']);
    model.setBoard(undefined);
    assert.deepEqual(model.statusGroups, []);
  });
});
