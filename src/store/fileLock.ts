/**
 * The fallback write lock: a lock file that appears at once with its holder's stamp (written to a
 * private file first, then hard-linked into place, which fails when the lock exists: atomic on
 * local and network file systems alike). Nothing is ever half made: a holder killed at any step
 * leaves either no lock or a complete stamp naming a process that can be probed.
 *
 * A holder is gone when its process is (same host and pid namespace: the pid no longer exists or
 * now belongs to a process that started later), or, where it cannot be probed (another host or
 * pid namespace), when its heartbeat (the file's mtime, refreshed while held) is older than
 * `staleMs`. Breaking a lock takes a short second lock, so of several writers breaking the same
 * dead holder's lock exactly one removes it, and only that holder's lock, never a fresh one.
 *
 * Time cannot tell a stalled holder from a dead one on another host: the journal fences such a
 * holder (its entry must land where it expected, or the write is retried; see sqlBoard.ts).
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { FactoryError } from '../domain/errors';
import type { Release, WriteLock } from './lock';
import { backoff, sleep } from './lockWait';
import { currentProcess, probe } from './processIdentity';
import type { ProcessStamp } from './processIdentity';

interface Stamp extends ProcessStamp {
  token: string;
}

interface Holder {
  stamp?: Stamp | undefined;
  ino: number;
  mtimeMs: number;
}

/** A live holder on this machine whose heartbeat stopped this many times `staleMs` ago is taken to be a reused pid. */
const LIVE_STALL_FACTOR = 6;
/** Breaking takes milliseconds; a breaker's lock older than this was left by a killed breaker. */
const BREAK_STALE_MS = 5_000;

export class FileLock implements WriteLock {
  readonly mechanism = 'file' as const;
  private readonly self = currentProcess();
  private readonly staleMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly path: string,
    opts: { staleMs?: number | undefined; timeoutMs: number },
  ) {
    this.staleMs = Math.max(opts.staleMs ?? 10_000, 500);
    this.timeoutMs = opts.timeoutMs;
  }

  async acquire(): Promise<Release> {
    const stamp: Stamp = { ...this.self, token: randomBytes(8).toString('hex') };
    const mine = await this.placeStamp(this.path, stamp);
    const started = Date.now();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await link(mine, this.path);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw diskError(err, this.path);
        }
        const holder = await readHolder(this.path);
        if (holder === undefined) continue;
        if (this.isGone(holder)) {
          await this.breakLock(holder);
          continue;
        }
        if (Date.now() - started > this.timeoutMs) {
          throw new FactoryError('store-locked', `the board is locked by ${describe(holder)} (waited ${Math.round(this.timeoutMs / 1000)} s): ${this.path}`);
        }
        await sleep(backoff(attempt));
      }
    } finally {
      await rm(mine, { force: true });
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      void utimes(this.path, now, now).catch(() => undefined);
    }, Math.max(100, Math.floor(this.staleMs / 4)));
    heartbeat.unref();
    return async () => {
      clearInterval(heartbeat);
      const holder = await readHolder(this.path);
      if (holder?.stamp?.token === stamp.token) await unlink(this.path).catch(() => undefined);
    };
  }

  close(): void {
    // Nothing is held between writes.
  }

  private isGone(holder: Holder): boolean {
    const age = Date.now() - holder.mtimeMs;
    if (holder.stamp === undefined) return age > this.staleMs;
    switch (probe(holder.stamp, this.self)) {
      case 'dead':
        return true;
      case 'alive':
        return age > LIVE_STALL_FACTOR * this.staleMs;
      case 'unknown':
        return age > this.staleMs;
    }
  }

  /** Removes `holder`'s lock, and nothing else, under a short lock of its own. */
  private async breakLock(holder: Holder): Promise<void> {
    const breakPath = `${this.path}.break`;
    const stamp: Stamp = { ...this.self, token: randomBytes(8).toString('hex') };
    const mine = await this.placeStamp(breakPath, stamp);
    try {
      try {
        await link(mine, breakPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw diskError(err, breakPath);
        const breaker = await readHolder(breakPath);
        if (breaker !== undefined && (probe(breaker.stamp ?? { host: '', pid: 0 }, this.self) === 'dead' || Date.now() - breaker.mtimeMs > BREAK_STALE_MS)) {
          await unlink(breakPath).catch(() => undefined);
        }
        return;
      }
      try {
        // Only this process can remove the lock now (the holder is gone, other breakers wait), so
        // the lock seen here is still the gone holder's when it is removed.
        const again = await readHolder(this.path);
        if (again !== undefined && again.ino === holder.ino && again.stamp?.token === holder.stamp?.token) await unlink(this.path);
      } finally {
        await unlink(breakPath).catch(() => undefined);
      }
    } finally {
      await rm(mine, { force: true });
    }
  }

  private async placeStamp(path: string, stamp: Stamp): Promise<string> {
    const file = `${path}.${stamp.token}`;
    try {
      await writeFile(file, JSON.stringify(stamp));
    } catch (err) {
      await rm(file, { force: true });
      throw diskError(err, file);
    }
    return file;
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const [st, raw] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    let stamp: Stamp | undefined;
    try {
      const s = JSON.parse(raw) as Partial<Stamp>;
      if (typeof s.host === 'string' && typeof s.pid === 'number' && typeof s.token === 'string') {
        stamp = { host: s.host, pid: s.pid, token: s.token, pidns: typeof s.pidns === 'string' ? s.pidns : undefined, start: typeof s.start === 'number' ? s.start : undefined };
      }
    } catch {
      // An unreadable stamp: judged by its age alone.
    }
    return { stamp, ino: st.ino, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function describe(holder: Holder): string {
  return holder.stamp ? `process ${holder.stamp.pid} on ${holder.stamp.host}, still running` : 'another process';
}

/** A clear error for a failure to write the lock's files (a full disk above all). */
export function diskError(err: unknown, path: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new FactoryError('store-damaged', `the disk holding the board is full (${path}); free some space and try again: nothing was changed`, { cause: err });
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return new FactoryError('read-only', `the board's folder cannot be written (${code}): ${path}`, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
