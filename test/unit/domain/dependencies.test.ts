import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dependencyCycle,
  describeCycle,
  isStartable,
  planDispatch,
  queueSummary,
  unmetDependencies,
  validateDependsOn,
  type TicketLookup,
} from '../../../src/domain/dependencies';
import { FactoryError } from '../../../src/domain/errors';
import type { Ticket } from '../../../src/domain/ticket';
import { ticket } from '../vscode-free/ticketFixtures';

const AT = Date.UTC(2026, 0, 15, 9, 0, 0);

function lookupOf(tickets: Ticket[]): TicketLookup {
  return (id) => tickets.find((t) => t.id === id);
}

describe('ticket dependencies', () => {
  it('takes a list of ticket ids, normalised, without repeats or the ticket itself', () => {
    assert.deepEqual(validateDependsOn([' t-3', 'T-4', 'T-3']), ['T-3', 'T-4']);
    assert.deepEqual(validateDependsOn(undefined), []);
    assert.throws(() => validateDependsOn(['T-5'], 'T-5'), /T-5 cannot depend on itself/);
    assert.throws(() => validateDependsOn(['T-0']), (err: unknown) => err instanceof FactoryError && err.reason === 'invalid-input' && /ticket id like T-3, not "T-0"/.test(err.message));
    assert.throws(() => validateDependsOn(['../etc']), /not "..\/etc"/);
    assert.throws(() => validateDependsOn('T-3'), /must be a list/);
    assert.throws(() => validateDependsOn(Array.from({ length: 51 }, (_, i) => `T-${i + 1}`)), /at most 50/);
  });

  it('finds the cycle a new dependency would close, and names it', () => {
    const tickets = [ticket({ id: 'T-1', dependsOn: ['T-2'] }), ticket({ id: 'T-2', dependsOn: ['T-3'] }), ticket({ id: 'T-3' }), ticket({ id: 'T-4', dependsOn: ['T-3'] })];
    const lookup = lookupOf(tickets);
    assert.deepEqual(dependencyCycle('T-3', ['T-1'], lookup), ['T-3', 'T-1', 'T-2', 'T-3']);
    assert.deepEqual(dependencyCycle('T-3', ['T-4'], lookup), ['T-3', 'T-4', 'T-3'], 'two tickets waiting on each other');
    assert.equal(dependencyCycle('T-4', ['T-1'], lookup), undefined, 'T-1 waits on T-3, which waits on nothing');
    assert.equal(dependencyCycle('T-1', ['T-4', 'T-3'], lookup), undefined, 'a diamond is not a cycle');
    assert.match(describeCycle(['T-3', 'T-1', 'T-2', 'T-3']), /^T-3 cannot depend on T-1: that would make a cycle \(T-3 -> T-1 -> T-2 -> T-3\)/);
  });

  it('starts a ticket only when it is READY and everything it depends on is DONE', () => {
    const tickets = [ticket({ id: 'T-1', status: 'DONE' }), ticket({ id: 'T-2', status: 'IN_DEV' }), ticket({ id: 'T-3', status: 'READY', dependsOn: ['T-1', 'T-2'] })];
    const lookup = lookupOf(tickets);
    const t3 = tickets[2];
    assert.deepEqual(unmetDependencies(t3, lookup), ['T-2']);
    assert.equal(isStartable(t3, lookup), false);
    tickets[1] = { ...tickets[1], status: 'DONE' };
    assert.equal(isStartable(t3, lookupOf(tickets)), true);
    assert.equal(isStartable({ ...t3, status: 'BACKLOG' }, lookupOf(tickets)), false);
    assert.equal(isStartable(ticket({ id: 'T-9', status: 'READY', dependsOn: ['T-77'] }), lookup), true, 'a dependency that is gone holds nothing back');
  });

  it('dispatches by priority, then age, setting aside tickets that wait on others', () => {
    const tickets = [
      ticket({ id: 'T-1', status: 'IN_DEV' }),
      ticket({ id: 'T-2', status: 'READY', priority: 3, createdAt: AT }),
      ticket({ id: 'T-3', status: 'READY', priority: 1, createdAt: AT + 5000, dependsOn: ['T-1'] }),
      ticket({ id: 'T-4', status: 'READY', priority: 2, createdAt: AT + 2000 }),
      ticket({ id: 'T-5', status: 'READY', priority: 3, createdAt: AT - 1000 }),
      ticket({ id: 'T-6', status: 'BACKLOG', priority: 1 }),
      ticket({ id: 'T-7', status: 'READY', priority: 4, dependsOn: ['T-1', 'T-8'] }),
      ticket({ id: 'T-8', status: 'BLOCKED' }),
    ];
    const plan = planDispatch(tickets);
    assert.deepEqual(plan.ready.map((t) => t.id), ['T-4', 'T-5', 'T-2']);
    assert.deepEqual(plan.waiting.map((w) => [w.ticket.id, w.on]), [['T-3', ['T-1']], ['T-7', ['T-1', 'T-8']]]);
    assert.equal(queueSummary(plan), 'Queue: 3 ready, next T-4; 2 waiting on T-1, T-8');
  });

  it('says so when nothing is ready, and shortens a long list of blockers', () => {
    assert.equal(queueSummary(planDispatch([])), 'Queue: nothing ready');
    const blockers = ['T-1', 'T-2', 'T-3', 'T-4', 'T-5'].map((id) => ticket({ id, status: 'IN_DEV' }));
    const waiting = ticket({ id: 'T-9', status: 'READY', dependsOn: blockers.map((b) => b.id) });
    assert.equal(queueSummary(planDispatch([...blockers, waiting])), 'Queue: nothing ready; 1 waiting on T-1, T-2, T-3 and 2 more');
  });
});
