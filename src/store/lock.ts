/**
 * The cross-process write lock of a board: a lock directory made atomically by proper-lockfile
 * (which also keeps its mtime fresh while held and treats an abandoned one as stale after
 * `staleMs`). Each holder stamps the directory with its host and pid, so a holder that died on
 * this machine (a killed window, a crashed CLI) is recognised at once instead of after `staleMs`.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import { FactoryError } from '../domain/errors';

export interface LockOptions {
  /** The file the lock protects (need not exist). */
  target: string;
  /** The lock directory. */
  lockPath: string;
  /** An unrefreshed lock older than this is abandoned (proper-lockfile's minimum is 2 s). */
  staleMs?: number;
  /** Give up (with a 'store-locked' error) after waiting this long. */
  timeoutMs?: number;
}

interface Stamp {
  host: string;
  pid: number;
  token: string;
}

const OWNER_FILE = 'owner.json';

export class BoardLock {
  private readonly staleMs: number;
  private readonly timeoutMs: number;
  private readonly host = hostname();

  constructor(private readonly opts: LockOptions) {
    this.staleMs = Math.max(opts.staleMs ?? 10_000, 2_000);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Waits for the lock; resolves with the function that releases it. */
  async acquire(): Promise<() => Promise<void>> {
    const started = Date.now();
    let delay = 1;
    for (;;) {
      try {
        return await this.tryAcquire();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOCKED') {
          if (await this.breakIfHolderDied()) continue;
        } else if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          // proper-lockfile found the lock stale (not refreshed for staleMs) but could not remove
          // it because it holds a stamp. A holder on this machine that is still alive is only
          // busy (a long synchronous write keeps its refresh timer from running): wait for it.
          const stamp = await readStamp(this.opts.lockPath);
          if (stamp === undefined || stamp.host !== this.host || !isAlive(stamp.pid)) {
            await this.breakLock(stamp?.token);
            continue;
          }
        } else {
          throw err;
        }
      }
      if (Date.now() - started > this.timeoutMs) {
        throw new FactoryError('store-locked', `the board is locked by another process (waited ${Math.round(this.timeoutMs / 1000)} s): ${this.opts.lockPath}`);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  }

  private async tryAcquire(): Promise<() => Promise<void>> {
    const release = await lockfile.lock(this.opts.target, {
      lockfilePath: this.opts.lockPath,
      realpath: false,
      stale: this.staleMs,
      retries: 0,
      // A lock taken over while held means our process stalled for `staleMs`; the write that
      // holds it still completes (the journal's checksums keep the file sound) and the next
      // write takes the lock again.
      onCompromised: () => undefined,
    });
    const stamp: Stamp = { host: this.host, pid: process.pid, token: randomBytes(8).toString('hex') };
    const ownerFile = join(this.opts.lockPath, OWNER_FILE);
    try {
      await writeFile(ownerFile, JSON.stringify(stamp));
    } catch (err) {
      await release().catch(() => undefined);
      throw err;
    }
    return async () => {
      await rm(ownerFile, { force: true });
      await release().catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ERELEASED') throw err;
        // proper-lockfile gave the lock up as compromised (we held it past staleMs without
        // refreshing it). Nobody took it from us (our stamp said we were alive), so remove it
        // rather than make the next writer wait for it to go stale.
        await rm(this.opts.lockPath, { recursive: true, force: true });
      });
    };
  }

  /** True when the holder was a process on this host that no longer exists and its lock is gone. */
  private async breakIfHolderDied(): Promise<boolean> {
    const stamp = await readStamp(this.opts.lockPath);
    if (stamp === undefined || stamp.host !== this.host || isAlive(stamp.pid)) return false;
    await this.breakLock(stamp.token);
    return true;
  }

  /**
   * Moves the lock directory aside (rename is atomic, so of several processes breaking the same
   * lock only one succeeds) and deletes it. When `expectedToken` is given and the directory moved
   * turns out to be someone else's fresh lock, it is put back.
   */
  private async breakLock(expectedToken?: string): Promise<void> {
    const aside = `${this.opts.lockPath}.broken-${randomBytes(6).toString('hex')}`;
    try {
      await rename(this.opts.lockPath, aside);
    } catch {
      return; // someone else broke or released it first
    }
    if (expectedToken !== undefined) {
      const moved = await readStamp(aside);
      if (moved?.token !== expectedToken) {
        try {
          await rename(aside, this.opts.lockPath);
          return;
        } catch {
          // A third process took the lock meanwhile; the one we moved is lost to its holder,
          // whose next write takes the lock again.
        }
      }
    }
    await rm(aside, { recursive: true, force: true });
  }
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Partial<Stamp>;
    if (typeof raw.host === 'string' && typeof raw.pid === 'number' && typeof raw.token === 'string') {
      return { host: raw.host, pid: raw.pid, token: raw.token };
    }
  } catch {
    // No stamp yet (the holder is between taking the lock and stamping it) or a torn one.
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
