/** The board's dispatch queue: its READY tickets in the order the autopilot starts them. */
import { planDispatch, type DispatchPlan } from '../domain/dependencies';
import type { BoardReader } from '../store/api';

/** READY tickets that can start, in order, and those waiting on dependencies. */
export function dispatchPlan(reader: BoardReader): DispatchPlan {
  // The store's own tickets, not copies: the status bar and the Agents view ask on every change,
  // and a board may hold a thousand READY tickets.
  return planDispatch(reader.readTickets({ status: 'READY' }), (id) => reader.getTicket(id));
}
