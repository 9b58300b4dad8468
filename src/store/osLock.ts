/**
 * The operating system's advisory lock on `factory.db.lock`, through fs-native-extensions (an
 * N-API addon whose prebuilt binaries for Linux, macOS and Windows ship inside its npm package):
 * an open-file-description `fcntl` lock on Linux, `flock` on macOS, `LockFileEx` on Windows. The
 * kernel releases it when the holder's file is closed, including when the process is killed, and
 * never while the holder lives: however long it stalls, whatever its host name or pid namespace.
 *
 * Waiting is fair: a waiter first takes a second lock, the gate (`factory.db.lock.gate`), and
 * holds it while it waits for the lock itself, so a writer that has just released cannot take
 * the lock straight back (it has to pass the gate first) and busy writers never starve a newcomer.
 */
import { closeSync, openSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { FactoryError } from '../domain/errors';
import type { Release, WriteLock } from './lock';
import { backoff, sleep } from './lockWait';

interface NativeLock {
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

/** Linux file system types whose locks are not kept by this kernel (statfs f_type). */
const NETWORK_FILE_SYSTEMS = new Map<number, string>([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x01021997, '9p'],
  [0x5346414f, 'AFS'],
  [0x00c36400, 'Ceph'],
]);

let native: NativeLock | string | undefined;

function loadNative(): NativeLock | string {
  if (native === undefined) {
    try {
      // Loaded lazily so a platform without a prebuilt binary falls back instead of failing to start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon, loaded on demand
      native = require('fs-native-extensions') as NativeLock;
    } catch (err) {
      native = `the native lock library could not be loaded on ${process.platform}-${process.arch} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
    }
  }
  return native;
}

function networkFileSystem(dir: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return NETWORK_FILE_SYSTEMS.get(statfsSync(dir).type);
  } catch {
    return undefined;
  }
}

export class OsLock implements WriteLock {
  readonly mechanism = 'os' as const;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private readonly gate: number,
    private readonly lib: NativeLock,
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  /** The lock, or why it cannot be used here. Throws only when the lock file cannot be opened. */
  static open(path: string, timeoutMs: number): { lock?: OsLock; unavailable?: string } {
    const lib = loadNative();
    if (typeof lib === 'string') return { unavailable: lib };
    const fs = networkFileSystem(dirname(path));
    if (fs !== undefined) return { unavailable: `the board is on a network file system (${fs}), where this machine's kernel cannot keep the lock` };
    const fd = openSync(path, 'a+');
    const gate = openSync(`${path}.gate`, 'a+');
    try {
      if (lib.tryLock(fd)) lib.unlock(fd);
    } catch (err) {
      closeSync(fd);
      closeSync(gate);
      return { unavailable: `the file system refuses advisory locks (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    return { lock: new OsLock(fd, gate, lib, path, timeoutMs) };
  }

  async acquire(): Promise<Release> {
    // Nobody waiting: the gate is free and so, most often, is the lock: two system calls.
    if (this.lib.tryLock(this.gate)) {
      if (this.lib.tryLock(this.fd)) {
        this.lib.unlock(this.gate);
        return () => this.release();
      }
      return this.waitHoldingGate(Date.now());
    }
    const started = Date.now();
    for (let attempt = 0; !this.lib.tryLock(this.gate); attempt++) {
      this.checkWait(started);
      await sleep(backoff(attempt));
    }
    return this.waitHoldingGate(started);
  }

  /** Waits for the lock itself while holding the gate, so no one else can take it first. */
  private async waitHoldingGate(started: number): Promise<Release> {
    try {
      // The holder keeps it for about a millisecond per write: look often.
      while (!this.lib.tryLock(this.fd)) {
        this.checkWait(started);
        await sleep(1);
      }
    } finally {
      if (!this.closed) this.lib.unlock(this.gate);
    }
    return () => this.release();
  }

  private checkWait(started: number): void {
    if (this.closed) throw new FactoryError('cancelled', 'the board is closed');
    if (Date.now() - started > this.timeoutMs) {
      throw new FactoryError(
        'store-locked',
        `another process has held the board's lock for over ${Math.round(this.timeoutMs / 1000)} s and is still running (the system releases it when that process exits): ${this.path}`,
      );
    }
  }

  private release(): void {
    if (!this.closed) this.lib.unlock(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    closeSync(this.gate);
  }
}
