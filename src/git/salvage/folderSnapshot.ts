/**
 * What a folder holds, file by file: type, executable bit, size and a SHA-256 of the bytes (a
 * symlink's target). Two snapshots compared tell whether a salvage checked out afresh is exactly
 * what is on disk; any difference refuses a removal.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { walkTree } from './walkTree';

export type FactKind = 'file' | 'symlink' | 'empty-dir' | 'special';

export interface FileFact {
  kind: FactKind;
  exec: boolean;
  size: number;
  /** SHA-256 of the bytes, or of a symlink's target. */
  digest?: string | undefined;
}

export type Snapshot = Map<string, FileFact>;

/** 'skip': leave this path (and what is below it) out; 'pass': a folder only walked through. */
export type Ruling = 'include' | 'skip' | 'pass';

const PARALLEL_HASHES = 8;

export async function snapshotFolder(root: string, rule: (rel: string) => Ruling, signal?: AbortSignal): Promise<Snapshot> {
  const facts: Snapshot = new Map();
  const pending: Promise<void>[] = [];
  const flush = async (): Promise<void> => {
    await Promise.all(pending.splice(0));
  };
  await walkTree(
    root,
    async (e) => {
      const ruling = rule(e.rel);
      if (ruling === 'skip') return 'skip';
      const exec = (e.stat.mode & 0o111) !== 0;
      if (e.stat.isDirectory()) {
        if (ruling === 'include' && e.children && e.children.length === 0) facts.set(e.rel, { kind: 'empty-dir', exec: false, size: 0 });
        if (e.readError) facts.set(e.rel, { kind: 'special', exec: false, size: 0, digest: `unreadable:${e.readError}` });
        return 'descend';
      }
      if (ruling === 'pass') return;
      if (e.stat.isSymbolicLink()) {
        const target = await readlink(e.abs);
        facts.set(e.rel, { kind: 'symlink', exec: false, size: Buffer.byteLength(target), digest: sha256(target) });
      } else if (e.stat.isFile()) {
        const fact: FileFact = { kind: 'file', exec, size: e.stat.size };
        facts.set(e.rel, fact);
        pending.push(
          hashFile(e.abs).then(
            (digest) => void (fact.digest = digest),
            (err: unknown) => void (fact.digest = `unreadable:${(err as NodeJS.ErrnoException).code ?? String(err)}`),
          ),
        );
        if (pending.length >= PARALLEL_HASHES) await flush();
      } else {
        facts.set(e.rel, { kind: 'special', exec: false, size: 0 });
      }
    },
    signal,
  );
  await flush();
  return facts;
}

/** Every difference between what was expected and what is there, as sentences (at most `limit`). */
export function compareSnapshots(expected: Snapshot, actual: Snapshot, limit = 20): string[] {
  const out: string[] = [];
  const add = (line: string): boolean => {
    out.push(line);
    return out.length >= limit;
  };
  for (const [rel, want] of expected) {
    const got = actual.get(rel);
    if (!got) {
      if (add(`${rel}: missing`)) return out;
    } else if (got.kind !== want.kind) {
      if (add(`${rel}: a ${got.kind} where a ${want.kind} was expected`)) return out;
    } else if (got.digest !== want.digest || got.size !== want.size) {
      if (add(`${rel}: different content`)) return out;
    } else if (got.kind === 'file' && got.exec !== want.exec) {
      if (add(`${rel}: executable bit differs`)) return out;
    }
  }
  for (const rel of actual.keys()) {
    if (!expected.has(rel) && add(`${rel}: not expected`)) return out;
  }
  return out;
}

/** Total bytes of the files and symlinks in a snapshot. */
export function snapshotBytes(s: Snapshot): number {
  let total = 0;
  for (const f of s.values()) total += f.size;
  return total;
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.once('error', reject);
    stream.once('end', () => resolve(hash.digest('hex')));
  });
}
