/**
 * The read half of a Security scan for one file, done in a matching thread (matchWorker.ts) so
 * that the extension host's thread never pays for it: look at the file, decide whether it can be
 * read at all, read it, decide whether it is text, and name its content. Synchronous calls: in a
 * thread of its own a file costs a few system calls, where the host's asynchronous ones cost a
 * round trip through its event loop each.
 *
 * A file whose identity on disk (device, inode, size, modification and change times) is what the
 * caller saw last time is not read again: its content key is the one the caller already holds,
 * which is what makes a cycle with nothing changed cheap. Like git's index, an identity is only
 * offered for reuse when the file was last modified well before it was read, so a change within
 * the same timestamp tick cannot hide behind an unchanged identity.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { sha256Hex } from '../common/contentHash';
import { sniffEncoding } from '../common/decode';
import type { NotScannedReason } from '../../domain/securityScan';
import { SNIFF_BYTES } from './scanContent';

/** Files up to this size are read whole; larger ones are hashed and matched as they stream from disk. */
export const READ_WHOLE_BYTES = 1024 * 1024;
const STREAM_CHUNK_BYTES = 256 * 1024;
/**
 * How long before its reading a file must have been modified for its identity to stand for its
 * content (coarse file-system clocks tick in up to 2 s).
 */
export const SETTLED_MS = 3000;

export interface ReadFile {
  /** Absolute. */
  path: string;
  /** Not to be read (the settings ignore it): only its size and time are looked at. */
  ignored?: boolean | undefined;
  /** The identity of the file when its content key was last taken (see {@link ReadResult}). */
  known?: string | undefined;
}

export type ReadResult =
  /** Not read; `size` and `mtimeMs` stand for its content in the change's fingerprint (-1: it is gone). */
  | { state: 'skipped'; reason: NotScannedReason; size: number; mtimeMs: number }
  /** Same identity as `known`: the content key the caller holds still stands. */
  | { state: 'same' }
  /** Read and named. `identity` is set when it may be offered as `known` next time. */
  | { state: 'read'; contentKey: string; identity?: string | undefined };

/**
 * The cache key of a file: its bytes and its name, since the name decides which rules apply
 * (language rules by extension, secretlint's .npmrc and package.json handling).
 */
export function contentKeyOf(path: string, data: Uint8Array): string {
  return sha256Hex(basename(path).toLowerCase(), data);
}

/** Binary files a secret rule reads itself (a GCP `.p12` key); any other binary file is not scanned. */
export function readsBinary(path: string): boolean {
  return path.toLowerCase().endsWith('.p12');
}

/** What a file on disk is, as far as its metadata tells: equal identities, equal content (once settled). */
export function identityOf(stat: Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

/** One file's outcome, and its bytes when it was read whole. */
export function readForScan(file: ReadFile, maxBytes: number, now: number = Date.now()): { result: ReadResult; data?: Uint8Array | undefined } {
  let stat: Stats;
  try {
    stat = lstatSync(file.path);
  } catch {
    return { result: { state: 'skipped', reason: file.ignored ? 'ignored' : 'not-a-file', size: -1, mtimeMs: -1 } };
  }
  const skip = (reason: NotScannedReason): { result: ReadResult } => ({ result: { state: 'skipped', reason, size: stat.size, mtimeMs: stat.mtimeMs } });
  if (file.ignored) return skip('ignored');
  // A symlink may point outside the worktree and a folder is a submodule: neither is this ticket's text.
  if (!stat.isFile()) return skip('not-a-file');
  if (stat.size > maxBytes) return skip('too-large');
  const identity = identityOf(stat);
  if (file.known !== undefined && file.known === identity) return { result: { state: 'same' } };
  const settled = now - Math.max(stat.mtimeMs, stat.ctimeMs) > SETTLED_MS ? identity : undefined;
  if (stat.size > READ_WHOLE_BYTES) {
    const hashed = hashStreamed(file.path);
    if (hashed === undefined) return skip('not-a-file');
    if (hashed === 'binary') return skip('binary');
    return { result: { state: 'read', contentKey: hashed.contentKey, identity: settled } };
  }
  let data: Buffer;
  try {
    data = readFileSync(file.path);
  } catch {
    return skip('not-a-file');
  }
  if (!sniffEncoding(data.subarray(0, SNIFF_BYTES)) && !readsBinary(file.path)) return skip('binary');
  return { result: { state: 'read', contentKey: contentKeyOf(file.path, data), identity: settled }, data };
}

/** A large file's content key, computed as it streams by; its text is read again only when it is new. */
function hashStreamed(path: string): { contentKey: string } | 'binary' | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(STREAM_CHUNK_BYTES);
    const hash = createHash('sha256').update(basename(path).toLowerCase()).update('\0');
    let first = true;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      if (first && !sniffEncoding(buf.subarray(0, Math.min(n, SNIFF_BYTES))) && !readsBinary(path)) return 'binary';
      first = false;
      hash.update(buf.subarray(0, n));
    }
    return { contentKey: hash.update('\0').digest('hex') };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
