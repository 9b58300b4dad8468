import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATUSES } from '../../../src/domain/status';
import { groupCountText, groupTickets, ticketDescription } from '../../../src/vscode/tickets/ticketGroups';
import { parseTicketFilter } from '../../../src/vscode/tickets/ticketFilter';
import { ticket } from './ticketFixtures';

describe('ticket groups', () => {
  it('shows nothing for an empty board, so the view can show its welcome', () => {
    assert.deepEqual(groupTickets([]), []);
  });

  it('has one group per status in pipeline order with BLOCKED last, empty groups included as drop targets', () => {
    const groups = groupTickets([{ ticket: ticket({ id: 'T-1', status: 'IN_QA' }) }]);
    assert.deepEqual(groups.map((g) => g.status), [...STATUSES]);
    assert.equal(groups.at(-1)?.status, 'BLOCKED');
    assert.deepEqual(groups.find((g) => g.status === 'IN_QA')?.rows.map((r) => r.ticket.id), ['T-1']);
    assert.equal(groups.find((g) => g.status === 'READY')?.rows.length, 0);
  });

  it('orders a group by priority, then by ticket number (T-10 after T-9)', () => {
    const rows = [
      { ticket: ticket({ id: 'T-10', status: 'READY', priority: 3 }) },
      { ticket: ticket({ id: 'T-9', status: 'READY', priority: 3 }) },
      { ticket: ticket({ id: 'T-12', status: 'READY', priority: 1 }) },
    ];
    const ready = groupTickets(rows).find((g) => g.status === 'READY');
    assert.deepEqual(ready?.rows.map((r) => r.ticket.id), ['T-12', 'T-9', 'T-10']);
  });

  it('counts what the filter hides ("1 of 2")', () => {
    const parsed = parseTicketFilter('login');
    assert.ok(parsed.ok);
    const rows = [
      { ticket: ticket({ id: 'T-1', status: 'READY', title: 'Login form' }) },
      { ticket: ticket({ id: 'T-2', status: 'READY', title: 'Logout' }) },
    ];
    const ready = groupTickets(rows, parsed.filter).find((g) => g.status === 'READY')!;
    assert.equal(groupCountText(ready, true), '1 of 2');
    assert.equal(groupCountText(groupTickets(rows).find((g) => g.status === 'READY')!, false), '2');
  });

  it('describes a ticket by its assignee and its latest progress', () => {
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-1', assignedAgent: 'claude' }), progress: 42.6 }), 'claude · 43%');
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-1' }), progress: 140 }), '100%');
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-1' }) }), '');
  });

  it('says what a ticket waits on first, until it is done', () => {
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-3', status: 'READY', dependsOn: ['T-1', 'T-2'] }), waitingOn: ['T-1', 'T-2'] }), 'waits on T-1, T-2');
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-3', status: 'IN_DEV', assignedAgent: 'claude' }), waitingOn: ['T-1'] }), 'waits on T-1 · claude');
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-3', status: 'DONE' }), waitingOn: ['T-1'] }), '');
  });
});
