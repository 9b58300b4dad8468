import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Status } from '../../../src/domain/status';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { parseTicketFilter, type TicketFilterSpec } from '../../../src/vscode/tickets/ticketFilter';
import { groupsSignature } from '../../../src/vscode/tickets/ticketGroups';
import { TicketTreeModel, type TicketTreeChange } from '../../../src/vscode/tickets/ticketTreeModel';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const findings = (progressPercent: number) => ({ progressPercent, concerns: [], blockers: [], achievements: [], evidence: [], stalled: false });
const SIZE = 450;

/** What a model built from scratch shows of the board now. */
function fresh(board: SqlBoard, filter?: TicketFilterSpec): string {
  const model = new TicketTreeModel();
  try {
    model.setBoard(board);
    if (filter) model.setFilter(filter);
    return groupsSignature(model.statusGroups);
  } finally {
    model.dispose();
  }
}

describe('ticket tree model, change by change on a bigger board', () => {
  let temp: TempBoard;
  let model: TicketTreeModel;
  let ids: string[];
  const events: TicketTreeChange[] = [];

  beforeEach(async () => {
    temp = await makeTempBoard();
    ids = await temp.board.write((tx) => {
      const made: string[] = [];
      for (let i = 0; i < SIZE; i++) {
        const t = tx.createTicket({ title: `Ticket ${i}`, priority: ((i % 4) + 1) as 1 | 2 | 3 | 4, labels: i % 7 === 0 ? ['ui'] : [], status: i % 3 === 0 ? 'READY' : 'BACKLOG' }, 'user');
        made.push(t.id);
      }
      for (const id of made.slice(0, 20).filter((_, i) => i % 3 === 0)) {
        tx.transition(id, 'READY', 'IN_DEV', 'runner');
        tx.addCheckIn({ ticketId: id, type: 'progress', summary: 'going', findings: findings(30), actionRequired: false });
      }
      tx.updateTicket(made[1], { dependsOn: [made[0]] });
      tx.setChangedFiles(made[0], 'main', [{ path: 'src/a.ts', kind: 'modified', additions: 3, deletions: 1 }]);
      tx.setChangedFiles(made[3], 'main', [{ path: 'src/b.ts', kind: 'modified', additions: 1, deletions: 0 }]);
      return made;
    });
    model = new TicketTreeModel(5);
    events.length = 0;
    model.onDidChange((change) => events.push(change));
    model.setBoard(temp.board);
    await model.built();
  });

  afterEach(async () => {
    model.dispose();
    await temp.dispose();
  });

  /** Writes, lets the model pick the change up by itself, and compares it with a model built from scratch. */
  async function step(what: string, write: Parameters<SqlBoard['write']>[0]): Promise<readonly Status[] | undefined> {
    events.length = 0;
    await temp.board.write(write);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await model.built();
    assert.equal(groupsSignature(model.statusGroups), fresh(temp.board, model.filter), what);
    assert.ok(events.length <= 1, `${what}: one refresh`);
    return events[0]?.statuses;
  }

  it('shows what a fresh build shows after every kind of change, and names only the groups that changed', async () => {
    assert.equal(groupsSignature(model.statusGroups), fresh(temp.board));
    assert.deepEqual(await step('a move', (tx) => tx.transition(ids[2], 'BACKLOG', 'READY', 'user')), ['BACKLOG', 'READY']);
    assert.deepEqual(await step('a new title', (tx) => tx.updateTicket(ids[4], { title: 'Renamed' })), ['BACKLOG']);
    assert.deepEqual(await step('a new priority', (tx) => tx.updateTicket(ids[5], { priority: 1 })), ['BACKLOG']);
    assert.equal(await step('an unseen field', (tx) => tx.updateTicket(ids[5], { description: 'not in the tree' })), undefined);
    assert.equal(events.length, 0, 'nothing shown changed, nothing fired');
    await step('a check-in', (tx) => tx.addCheckIn({ ticketId: ids[0], type: 'progress', summary: 'later', findings: findings(80), actionRequired: false }));
    await step('the dependency is done', (tx) => {
      tx.transition(ids[0], 'IN_DEV', 'IN_QA', 'runner');
    });
    assert.deepEqual(await step('files that overlap another ticket', (tx) => tx.setChangedFiles(ids[6], 'main', [{ path: 'src/a.ts', kind: 'modified', additions: 1, deletions: 1 }])), ['IN_DEV', 'IN_QA']);
    assert.ok(model.row(ids[0])?.overlaps?.some((o) => o.ticketId === ids[6]), 'the other ticket learns of the overlap too');
    await step('a new ticket', (tx) => tx.createTicket({ title: 'Fresh', status: 'READY' }, 'user'));
    await step('a deleted ticket', (tx) => tx.deleteTicket(ids[8], 'user'));
    await step('a blocked ticket', (tx) => tx.transition(ids[21], 'READY', 'BLOCKED', 'user', 'waits for a decision'));
  });

  it('filters and unfilters as a fresh build does, and keeps up with changes under the filter', async () => {
    const parsed = parseTicketFilter('label:ui');
    assert.ok(parsed.ok);
    model.setFilter(parsed.filter);
    await model.built();
    assert.equal(groupsSignature(model.statusGroups), fresh(temp.board, parsed.filter));
    assert.equal(model.row(ids[1]), undefined, 'a filtered-out ticket has no row');
    await step('a label added', (tx) => tx.updateTicket(ids[1], { labels: ['ui'] }));
    assert.ok(model.row(ids[1]));
    model.setFilter(undefined);
    await model.built();
    assert.equal(groupsSignature(model.statusGroups), fresh(temp.board));
  });

  it('reads everything again when a change does not say which tickets it touched', async () => {
    const other = await temp.open();
    await other.write((tx) => {
      for (const id of ids.slice(30, 60)) tx.updateTicket(id, { title: `Edited ${id}` });
    });
    await temp.board.refresh();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await model.built();
    assert.equal(groupsSignature(model.statusGroups), fresh(temp.board));
  });
});
