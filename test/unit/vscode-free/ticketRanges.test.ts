import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Priority } from '../../../src/domain/ticket';
import { parseTicketFilter } from '../../../src/vscode/tickets/ticketFilter';
import type { StatusGroup } from '../../../src/vscode/tickets/ticketGroups';
import { rangeAt, rangeLabel, TICKET_RANGE_SIZE, ticketRanges } from '../../../src/vscode/tickets/ticketRanges';
import { TicketTreeModel } from '../../../src/vscode/tickets/ticketTreeModel';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { ticket } from './ticketFixtures';

const rowsOf = (ids: string[]) => ids.map((id) => ({ ticket: ticket({ id }) }));

describe('ticket ranges', () => {
  it('leaves a group of up to the bound as it is', () => {
    assert.deepEqual(ticketRanges(0), []);
    assert.deepEqual(ticketRanges(TICKET_RANGE_SIZE), []);
    assert.equal(rangeAt(TICKET_RANGE_SIZE, 0), undefined);
  });

  it('cuts a bigger group into ranges of at most the bound, the last one holding the rest', () => {
    assert.deepEqual(ticketRanges(TICKET_RANGE_SIZE + 1), [
      { index: 0, start: 0, end: TICKET_RANGE_SIZE },
      { index: 1, start: TICKET_RANGE_SIZE, end: TICKET_RANGE_SIZE + 1 },
    ]);
    assert.deepEqual(
      ticketRanges(11, 5).map((r) => [r.start, r.end]),
      [
        [0, 5],
        [5, 10],
        [10, 11],
      ],
    );
  });

  it('finds the range of every position, as the ranges hold them', () => {
    for (const count of [6, 10, 11, 23]) {
      const ranges = ticketRanges(count, 5);
      for (let position = 0; position < count; position++) {
        const range = rangeAt(count, position, 5);
        assert.deepEqual(range, ranges.find((r) => r.start <= position && position < r.end), `position ${position} of ${count}`);
      }
      assert.equal(rangeAt(count, count, 5), undefined);
      assert.equal(rangeAt(count, -1, 5), undefined);
    }
  });

  it('labels a range with its first and last ticket in the group order and its size', () => {
    const rows = rowsOf(['T-12', 'T-3', 'T-4', 'T-40', 'T-5', 'T-6', 'T-7']);
    const [first, second] = ticketRanges(rows.length, 5);
    assert.equal(rangeLabel(rows, first), 'T-12 – T-5 (5)');
    assert.equal(rangeLabel(rows, second), 'T-6 – T-7 (2)');
  });
});

describe('ticket ranges of a real board', () => {
  let temp: TempBoard;
  let model: TicketTreeModel;
  const count = 2 * TICKET_RANGE_SIZE + 37;

  beforeEach(async () => {
    temp = await makeTempBoard();
    await temp.board.write((tx) => {
      for (let i = 0; i < count; i++) tx.createTicket({ title: `Ticket ${i}`, priority: ((i % 4) + 1) as Priority, labels: i % 10 === 0 ? ['even', 'tenth'] : i % 2 === 0 ? ['even'] : [] }, 'user');
      tx.createTicket({ title: 'Ready one', status: 'READY' }, 'user');
    });
    model = new TicketTreeModel(40);
  });

  afterEach(async () => {
    model.dispose();
    await temp.dispose();
  });

  const backlog = (): StatusGroup => {
    const group = model.statusGroups.find((g) => g.status === 'BACKLOG');
    assert.ok(group);
    return group;
  };
  const ids = (group: StatusGroup) => group.rows.map((r) => r.ticket.id);
  const byRange = (group: StatusGroup) => ticketRanges(group.rows.length).map((r) => ids(group).slice(r.start, r.end));

  it('holds every ticket of a big group once, in the group order, and leaves a small one whole', async () => {
    model.setBoard(temp.board);
    await model.built();
    const group = backlog();
    assert.equal(group.rows.length, count);
    const ranges = byRange(group);
    assert.equal(ranges.length, 3);
    assert.ok(ranges.every((r) => r.length <= TICKET_RANGE_SIZE));
    assert.deepEqual(ranges.flat(), ids(group));
    // The group's order: by priority, then by ticket number.
    assert.equal(group.rows[0].ticket.priority, 1);
    assert.equal(group.rows.at(-1)?.ticket.priority, 4);
    assert.deepEqual(ticketRanges(model.statusGroups.find((g) => g.status === 'READY')?.rows.length ?? -1), []);
    for (const [i, id] of ids(group).entries()) assert.equal(rangeAt(group.rows.length, i)?.index, Math.floor(i / TICKET_RANGE_SIZE), id);
  });

  it('follows the filter: a group filtered down to the bound has no ranges', async () => {
    model.setBoard(temp.board);
    await model.built();
    const parsed = parseTicketFilter('label:even');
    assert.ok(parsed.ok);
    model.setFilter(parsed.filter);
    await model.built();
    const group = backlog();
    assert.equal(group.rows.length, Math.ceil(count / 2));
    assert.equal(byRange(group).length, 2);
    assert.ok(group.rows.every((r) => r.ticket.labels.includes('even')));
    const narrow = parseTicketFilter('label:tenth');
    assert.ok(narrow.ok);
    model.setFilter(narrow.filter);
    await model.built();
    assert.equal(backlog().rows.length, Math.ceil(count / 10));
    assert.deepEqual(byRange(backlog()), []);
  });

  it('moves a ticket into the range its new place falls in when the board changes', async () => {
    model.setBoard(temp.board);
    await model.built();
    const before = backlog();
    const last = before.rows.at(-1)!.ticket.id;
    assert.equal(rangeAt(before.rows.length, before.rows.length - 1)?.index, 2);
    await temp.board.write((tx) => tx.updateTicket(last, { priority: 1 }));
    model.refreshNow();
    const after = backlog();
    const position = ids(after).indexOf(last);
    assert.ok(position >= 0 && position < TICKET_RANGE_SIZE, `${last} is at ${position}`);
    assert.equal(rangeAt(after.rows.length, position)?.index, 0);
  });
});
