/**
 * Dependencies between tickets (`dependsOn`): which tickets a ticket waits for, whether it can be
 * started, the order READY tickets are dispatched in, and the refusal of a cycle. Pure: callers
 * pass the tickets (or a lookup) they read from the board.
 */
import { FactoryError } from './errors';
import { isTicketId, ticketNumber } from './ids';
import type { Status } from './status';
import type { Ticket } from './ticket';
import { statusLabel } from './vocabulary';

/** More than this many dependencies on one ticket is a mistake, not a plan. */
export const MAX_DEPENDENCIES = 50;
const LISTED = 3;

/** How a function looks up another ticket's status and dependencies; undefined when it is gone. */
export type TicketLookup = (id: string) => Pick<Ticket, 'id' | 'status' | 'dependsOn'> | undefined;

/**
 * Checks the shape of a dependency list (ticket ids, no repeats, not the ticket itself) and returns
 * it normalised (trimmed, upper case, in the order given).
 */
export function validateDependsOn(value: unknown, ticketId?: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FactoryError('invalid-input', 'dependencies must be a list of ticket ids');
  const out: string[] = [];
  for (const raw of value as unknown[]) {
    const id = typeof raw === 'string' ? raw.trim().toUpperCase() : raw;
    if (!isTicketId(id)) throw new FactoryError('invalid-input', `a dependency must be a ticket id like T-3, not ${JSON.stringify(raw)?.slice(0, 40) ?? typeof raw}`);
    if (id === ticketId) throw new FactoryError('invalid-input', `${id} cannot depend on itself`);
    if (!out.includes(id)) out.push(id);
  }
  if (out.length > MAX_DEPENDENCIES) throw new FactoryError('invalid-input', `a ticket can depend on at most ${MAX_DEPENDENCIES} others (${out.length} given)`);
  return out;
}

/**
 * The cycle that giving `ticketId` the dependencies `dependsOn` would close, as the path of ids
 * from the ticket back to itself (`['T-1', 'T-3', 'T-1']`), or undefined when there is none.
 */
export function dependencyCycle(ticketId: string, dependsOn: readonly string[], lookup: TicketLookup): string[] | undefined {
  const visited = new Set<string>();
  const walk = (id: string, path: string[]): string[] | undefined => {
    if (id === ticketId) return [...path, id];
    if (visited.has(id)) return undefined;
    visited.add(id);
    for (const next of lookup(id)?.dependsOn ?? []) {
      const found = walk(next, [...path, id]);
      if (found) return found;
    }
    return undefined;
  };
  for (const dep of dependsOn) {
    const found = walk(dep, [ticketId]);
    if (found) return found;
  }
  return undefined;
}

/** The sentence a refused cycle is reported with. */
export function describeCycle(cycle: readonly string[]): string {
  const [ticket, first] = cycle;
  return `${ticket} cannot depend on ${first ?? '?'}: that would make a cycle (${cycle.join(' -> ')}); a ticket in a cycle could never start`;
}

/** The dependencies of `ticket` that are not DONE yet. A dependency deleted from the board no longer holds it back. */
export function unmetDependencies(ticket: Pick<Ticket, 'dependsOn'>, lookup: TicketLookup): string[] {
  return ticket.dependsOn.filter((id) => {
    const dep = lookup(id);
    return dep !== undefined && dep.status !== 'DONE';
  });
}

/** A ticket can be started when it is READY and everything it depends on is DONE. */
export function isStartable(ticket: Pick<Ticket, 'status' | 'dependsOn'>, lookup: TicketLookup): boolean {
  return ticket.status === 'READY' && unmetDependencies(ticket, lookup).length === 0;
}

export interface WaitingTicket {
  ticket: Ticket;
  /** Its dependencies that are not DONE yet. */
  on: string[];
}

export interface DispatchPlan {
  /** READY tickets that can start, in the order to start them. */
  ready: Ticket[];
  /** READY tickets held back by dependencies, in the same order. */
  waiting: WaitingTicket[];
}

/** Highest priority first (1 = critical), then oldest, then lowest number. */
export function compareForDispatch(a: Ticket, b: Ticket): number {
  return a.priority - b.priority || a.createdAt - b.createdAt || ticketNumber(a.id) - ticketNumber(b.id);
}

/**
 * Orders READY tickets for dispatch, setting aside those waiting on dependencies. `lookup` finds
 * any ticket of the board (dependencies are rarely READY themselves); by default, among `tickets`.
 */
export function planDispatch(tickets: readonly Ticket[], lookup: TicketLookup = lookupIn(tickets)): DispatchPlan {
  const plan: DispatchPlan = { ready: [], waiting: [] };
  for (const ticket of tickets.filter((t) => t.status === 'READY').sort(compareForDispatch)) {
    const on = unmetDependencies(ticket, lookup);
    if (on.length === 0) plan.ready.push(ticket);
    else plan.waiting.push({ ticket, on });
  }
  return plan;
}

/** "Queue: 3 ready, next T-7; 2 waiting on T-3", as the Agents view and `status` show it. */
export function queueSummary(plan: DispatchPlan): string {
  const first = plan.ready[0];
  const head = first ? `Queue: ${plan.ready.length} ready, next ${first.id}` : 'Queue: nothing ready';
  if (plan.waiting.length === 0) return head;
  const blockers = [...new Set(plan.waiting.flatMap((w) => w.on))].sort((a, b) => ticketNumber(a) - ticketNumber(b));
  const listed = blockers.slice(0, LISTED).join(', ') + (blockers.length > LISTED ? ` and ${blockers.length - LISTED} more` : '');
  return `${head}; ${plan.waiting.length} waiting on ${listed}`;
}

/** "T-3 (IN_DEV), T-4 (DONE)": a ticket's dependencies with their statuses, for people. */
export function describeDependencies(dependsOn: readonly string[], lookup: TicketLookup): string {
  return dependsOn.map((id) => `${id} (${statusOf(lookup(id)?.status)})`).join(', ');
}

function lookupIn(tickets: readonly Ticket[]): TicketLookup {
  const byId = new Map(tickets.map((t) => [t.id, t]));
  return (id) => byId.get(id);
}

function statusOf(status: Status | undefined): string {
  return status ? statusLabel(status) : 'deleted';
}
