/**
 * Background threads yield the CPU to the extension host's thread. On a busy machine (two cores
 * and two matching threads, say) the host's thread otherwise waits for a core behind our own
 * background work, and that wait is a block no other extension and no typing feedback gets past.
 * On Linux a thread's nice value is its own (setpriority on its thread id), and the processes it
 * starts inherit it, so git started from a matching thread runs at the same lower priority. So do
 * the threads it starts, libuv's thread pool among them (shared by every thread of the process,
 * the host's file system calls included) when this thread is the first to use it: the pool is
 * made to start before the priority drops. Other systems set priority per process, which would
 * slow the whole extension host: there this does nothing.
 */
import { readlinkSync, stat } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much lower than the host a background thread runs (nice steps, 0-19). */
export const BACKGROUND_NICE_STEPS = 10;

/**
 * Lowers the calling thread's priority by `steps` nice steps (at most to 19); returns the new nice
 * value, or undefined where a thread's priority is not its own or the system refused.
 */
export function lowerThisThreadPriority(steps = BACKGROUND_NICE_STEPS): number | undefined {
  if (process.platform !== 'linux') return undefined;
  // Queuing work starts the process's thread pool, from this thread, if nothing has yet.
  stat('/', () => undefined);
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(19, getPriority(tid) + steps);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
