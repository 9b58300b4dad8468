/**
 * Writes a git tree into a folder byte for byte, the way `git checkout` would without any
 * conversion: no smudge filter, no end-of-line change, no `ident`. A salvage stores files as they
 * were on disk, so it must come back as exactly those bytes.
 */
import { chmod, copyFile, lstat, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { FactoryError } from '../../domain/errors';
import { spawnGit } from '../gitStream';
import { parseNulList } from '../porcelain';
import { runGit } from '../runGit';

export interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
  path: string;
}

/** Every blob and symlink of `tree` (recursively), as `git ls-tree -r` lists them. */
export async function listTree(repo: string, tree: string, signal?: AbortSignal): Promise<TreeEntry[]> {
  const out = await runGit(repo, ['ls-tree', '-r', '-z', '--full-tree', tree], { signal });
  return parseNulList(out).map((line) => {
    const tab = line.indexOf('\t');
    const [mode = '', type = '', sha = ''] = line.slice(0, tab).split(' ');
    return { mode, type, sha, path: line.slice(tab + 1) };
  });
}

export interface CheckoutOptions {
  /** Leave files that already exist alone (filling in what a failed removal deleted). */
  keepExisting?: boolean;
  signal?: AbortSignal | undefined;
}

/** Writes every blob and symlink of `tree` below `dest`. Returns the number of files written. */
export async function checkoutTreeRaw(repo: string, tree: string, dest: string, opts: CheckoutOptions = {}): Promise<number> {
  const entries = (await listTree(repo, tree, opts.signal)).filter((e) => e.type === 'blob');
  const wanted: TreeEntry[] = [];
  for (const e of entries) {
    if (!isSafeRelative(e.path)) throw new FactoryError('git', `the salvage holds an unsafe path ${JSON.stringify(e.path)}`);
    if (opts.keepExisting && (await exists(join(dest, e.path)))) continue;
    wanted.push(e);
  }
  if (wanted.length === 0) return 0;
  const bySha = new Map<string, TreeEntry[]>();
  for (const e of wanted) bySha.set(e.sha, [...(bySha.get(e.sha) ?? []), e]);
  const order = [...bySha.keys()];

  const { child, done } = spawnGit(repo, ['cat-file', '--batch'], { signal: opts.signal });
  child.stdin.end(`${order.join('\n')}\n`);
  let buffer: Buffer = Buffer.alloc(0);
  let index = 0;
  // The object being written: its remaining bytes and where they go.
  let current: { left: number; chunks: Buffer[]; handle?: Awaited<ReturnType<typeof open>> | undefined; first: TreeEntry; symlink: boolean } | undefined;

  const startObject = async (header: string): Promise<void> => {
    const sha = order[index];
    const [gotSha, type, sizeText] = header.split(' ');
    if (sha === undefined || gotSha !== sha || type !== 'blob') throw new FactoryError('git', `git cat-file answered ${JSON.stringify(header)} for ${sha ?? 'nothing'}`);
    const first = bySha.get(sha)![0];
    const isLink = first.mode === '120000';
    const target = join(dest, first.path);
    await mkdir(dirname(target), { recursive: true });
    const handle = isLink ? undefined : await open(target, 'w', first.mode === '100755' ? 0o777 : 0o666);
    current = { left: Number(sizeText), chunks: [], handle, first, symlink: isLink };
  };

  const finishObject = async (): Promise<void> => {
    const c = current!;
    const sha = order[index++];
    if (c.symlink) {
      await symlink(Buffer.concat(c.chunks).toString('utf8'), join(dest, c.first.path));
    } else {
      await c.handle!.close();
    }
    for (const other of bySha.get(sha)!.slice(1)) {
      const target = join(dest, other.path);
      await mkdir(dirname(target), { recursive: true });
      if (other.mode === '120000') {
        await symlink(Buffer.concat(c.chunks).toString('utf8'), target);
      } else {
        await copyFile(join(dest, c.first.path), target);
        if (other.mode !== c.first.mode) await chmod(target, toggledExec((await lstat(target)).mode, other.mode === '100755'));
      }
    }
    current = undefined;
  };

  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!current) {
          const nl = buffer.indexOf(0x0a);
          if (nl < 0) break;
          const header = buffer.subarray(0, nl).toString('utf8');
          buffer = buffer.subarray(nl + 1);
          await startObject(header);
        }
        const c = current!;
        if (c.left > 0) {
          if (buffer.length === 0) break;
          const take = buffer.subarray(0, Math.min(c.left, buffer.length));
          buffer = buffer.subarray(take.length);
          c.left -= take.length;
          if (c.handle) await c.handle.write(take);
          else c.chunks.push(Buffer.from(take));
          if (c.left > 0) break;
        }
        // Each object ends with a newline after its bytes.
        if (buffer.length === 0) break;
        buffer = buffer.subarray(1);
        await finishObject();
      }
    }
    await done;
  } finally {
    await current?.handle?.close().catch(() => undefined);
    // A no-op once git has exited (its pid is never signalled after that).
    child.kill();
  }
  if (index !== order.length) throw new FactoryError('git', `git cat-file stopped after ${index} of ${order.length} objects`);
  return wanted.length;
}

/** A copy's mode with the executable bits set where it may be read (as git does), or cleared. */
function toggledExec(mode: number, exec: boolean): number {
  const perms = mode & 0o777;
  return exec ? perms | ((perms & 0o444) >> 2) : perms & ~0o111;
}

function isSafeRelative(path: string): boolean {
  return path !== '' && !isAbsolute(path) && !path.split('/').some((part) => part === '..' || part === '' || part === '.git');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
