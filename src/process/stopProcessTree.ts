/**
 * The one way a run's agent is stopped, by the runner that owns it, by the PM (an overrun, an
 * orphan's ticket that moved) and by the Stop action on an orphan: SIGTERM to the whole tree,
 * a grace period for it to finish cleanly, then SIGKILL to whatever is left, and a wait until the
 * tree is gone. Waiting polls the process table asynchronously, at most every 250 ms, so stopping a
 * stubborn agent never blocks the thread that asked.
 */
import { formatDuration } from '../domain/duration';
import { errorMessage } from '../domain/errors';
import { silentLogger, type Logger } from '../domain/logger';
import { processTreeAlive, signalProcessTree } from './processTree';

/** The fastest the stop routine looks at the process table. */
export const MIN_STOP_POLL_MS = 250;
/** How long to wait for the tree to go after SIGKILL before giving up (it is unkillable then). */
const AFTER_KILL_MS = 5_000;

export interface StopTreeOptions {
  /** Between SIGTERM and SIGKILL. */
  graceMs: number;
  /** For the log: "run r-12 (pid 345)". */
  label?: string;
  log?: Logger;
  /**
   * Also wait for this before calling the tree gone: the owner's `exit` event, so the exit status
   * is known before anyone writes the outcome.
   */
  exited?: () => boolean;
  /** Polling period; values under MIN_STOP_POLL_MS are raised to it. */
  pollMs?: number;
  /** The liveness check (tests count its calls); defaults to the process table. */
  treeAlive?: (pid: number) => Promise<boolean>;
  /**
   * Delivers a signal to the tree; false when nothing was left to signal. Defaults to the whole
   * process group; what an exited agent left behind is signalled process by process instead.
   */
  send?: (signal: NodeJS.Signals) => boolean;
}

export interface StopTreeResult {
  /** False when there was nothing left to stop. */
  signalled: boolean;
  /** SIGKILL was needed: the tree ignored SIGTERM for the whole grace period. */
  killed: boolean;
  /** The tree is gone (false only when even SIGKILL did not end it within a few seconds). */
  gone: boolean;
}

export async function stopProcessTree(pid: number, options: StopTreeOptions): Promise<StopTreeResult> {
  const log = options.log ?? silentLogger;
  const label = options.label ?? `process group ${pid}`;
  const alive = options.treeAlive ?? processTreeAlive;
  const exited = options.exited ?? (() => true);
  const pollMs = Math.max(MIN_STOP_POLL_MS, options.pollMs ?? MIN_STOP_POLL_MS);
  const gone = async (): Promise<boolean> => exited() && !(await alive(pid));
  const deliver = options.send ?? ((signal: NodeJS.Signals) => signalProcessTree(pid, signal));

  // A group of zombies takes signals without a complaint: look first.
  if (await gone()) return { signalled: false, killed: false, gone: true };
  if (!send(deliver, 'SIGTERM', label, log)) return { signalled: false, killed: false, gone: exited() };
  if (await waitFor(gone, options.graceMs, pollMs)) return { signalled: true, killed: false, gone: true };
  log.warn(`${label} ignored SIGTERM for ${formatDuration(options.graceMs)}; killing it`);
  send(deliver, 'SIGKILL', label, log);
  const after = await waitFor(gone, AFTER_KILL_MS, pollMs);
  if (!after) log.error(`${label} is still there after SIGKILL`);
  return { signalled: true, killed: true, gone: after };
}

function send(deliver: (signal: NodeJS.Signals) => boolean, signal: NodeJS.Signals, label: string, log: Logger): boolean {
  try {
    return deliver(signal);
  } catch (err) {
    log.error(`Could not send ${signal} to ${label}: ${errorMessage(err)}`);
    return false;
  }
}

/** Polls `done` every `pollMs` until it holds or `ms` have passed; the first look after one period. */
async function waitFor(done: () => Promise<boolean>, ms: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    await delay(pollMs);
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
