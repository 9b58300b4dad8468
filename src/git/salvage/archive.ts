/**
 * The salvage's archives (gzipped tar, through node-tar): ignored files and folders, nested
 * repositories with their own `.git`, empty folders, and the worktree's admin folder. Modes and
 * symlinks are kept; any file that cannot be read fails the archive instead of being skipped.
 */
import { open } from 'node:fs/promises';
import * as tar from 'tar';
import { FactoryError, errorMessage } from '../../domain/errors';

/** Writes `entries` (paths relative to `cwd`, folders with everything in them) to `file`, flushed to disk. */
export async function writeArchive(cwd: string, entries: readonly string[], file: string): Promise<void> {
  try {
    await tar.create({ gzip: true, file, cwd, strict: true, follow: false }, [...entries]);
  } catch (err) {
    throw new FactoryError('git', `could not archive ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${cwd}: ${errorMessage(err)}`, { cause: err });
  }
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface ExtractOptions {
  /** Leave entries that already exist alone. */
  keepExisting?: boolean;
  /** Only these entries (relative paths, folders with what is below them). */
  only?: (path: string) => boolean;
}

/** Unpacks `file` into `dest` with the archived modes exactly (no umask). */
export async function extractArchive(file: string, dest: string, opts: ExtractOptions = {}): Promise<void> {
  const only = opts.only;
  try {
    await tar.extract({
      file,
      cwd: dest,
      strict: true,
      keep: opts.keepExisting ?? false,
      chmod: true,
      processUmask: 0,
      preserveOwner: false,
      ...(only ? { filter: (path: string) => only(path.replace(/\/+$/, '')) } : {}),
    });
  } catch (err) {
    throw new FactoryError('git', `could not unpack ${file}: ${errorMessage(err)}`, { cause: err });
  }
}
