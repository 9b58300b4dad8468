/** Small durable-file primitives: fsync'd writes, atomic replacement, fsync of a folder. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `bytes` to `path` and forces them to disk. */
export async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` atomically: readers see the old file or the new one, never a mix. */
export async function replaceDurably(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeDurably(tmp, bytes);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Makes a rename in `dir` durable. Folders cannot be opened for sync on Windows: skipped there. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems refuse to sync a directory; the rename itself is still atomic.
  }
}

/** `<path>.<what>-<timestamp>`, for files set aside. */
export function asidePath(path: string, what: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${path}.${what}-${stamp}`;
}
