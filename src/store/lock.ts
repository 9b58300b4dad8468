/**
 * The cross-process write lock of a board. The operating system's advisory lock (osLock.ts) is the
 * normal one: the kernel releases it when its holder exits, however it dies, so no holder is ever
 * judged dead by a guess. Where it cannot work (no native binary for this platform, a network file
 * system, locks refused) a lock file (fileLock.ts) takes its place, and the board says so on open.
 */
import { rmSync, statSync } from 'node:fs';
import { FactoryError } from '../domain/errors';
import { FileLock } from './fileLock';
import { OsLock } from './osLock';

/** Releases a held lock. */
export type Release = () => void | Promise<void>;

export interface WriteLock {
  /** `os`: an advisory lock the kernel releases on exit; `file`: the lock-file fallback. */
  readonly mechanism: 'os' | 'file';
  /** Waits for the lock; throws 'store-locked' after the timeout. */
  acquire(): Promise<Release>;
  close(): void;
}

export interface LockOptions {
  /** The OS lock's file (created when missing; never deleted); the fallback uses `<path>file`. */
  path: string;
  /** Give up (with a 'store-locked' error) after waiting this long. */
  timeoutMs?: number;
  /** The fallback only: a holder on another host or pid namespace counts as gone after this long without a heartbeat. */
  staleMs?: number;
  /** Force a mechanism (tests exercise the fallback on a machine where the OS lock works). */
  mechanism?: 'os' | 'file';
}

export interface OpenedLock {
  lock: WriteLock;
  /** Why the OS lock could not be used, when the fallback was chosen. */
  fallbackReason?: string | undefined;
}

export function openWriteLock(opts: LockOptions): OpenedLock {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  clearLegacyLockFolder(opts.path);
  // The fallback's lock file has a name of its own: the OS lock's file exists for good.
  const filePath = `${opts.path}file`;
  if (opts.mechanism === 'file') return { lock: new FileLock(filePath, { timeoutMs, staleMs: opts.staleMs }) };
  const os = OsLock.open(opts.path, timeoutMs);
  if (os.lock !== undefined) return { lock: os.lock };
  if (opts.mechanism === 'os') throw new FactoryError('store-locked', `the operating system's file lock is not available here: ${os.unavailable ?? 'unknown reason'}`);
  return { lock: new FileLock(filePath, { timeoutMs, staleMs: opts.staleMs }), fallbackReason: os.unavailable };
}

/** Earlier versions kept the lock as a folder, refreshed every few seconds while held. */
const LEGACY_STALE_MS = 30_000;

/** Removes an earlier version's lock folder at `path` once it is stale; a fresh one is still held. */
function clearLegacyLockFolder(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  if (Date.now() - st.mtimeMs < LEGACY_STALE_MS) {
    throw new FactoryError('store-locked', `an earlier version of Agent Factory is writing to this board (${path}); update or close it, then try again`);
  }
  rmSync(path, { recursive: true, force: true });
}
