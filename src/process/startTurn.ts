/**
 * Starting a child process holds this thread while the kernel copies the process's page tables, in
 * proportion to its memory: milliseconds in an extension host. Commands started together (git
 * commands under a Promise.all) would start back to back, one block several starts long; through
 * this gate each start gets a turn of the event loop of its own, so timers and input run between.
 */
import { setImmediate } from 'node:timers';

let queue: Promise<void> = Promise.resolve();

/** Resolves when the caller may start its process: one start per turn of the event loop. */
export function processStartTurn(): Promise<void> {
  // An immediate queued while immediates run waits for the next turn: starts never share one.
  const turn = queue.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  queue = turn;
  return turn;
}
