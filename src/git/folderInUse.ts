/**
 * Whether any process is using a folder: its current directory, its root, or an open file is
 * inside. On Linux from `/proc/<pid>/{cwd,root,fd/*}`; elsewhere from `lsof +D`. On Windows a
 * folder with an open handle or a process inside cannot be renamed, so the move aside that every
 * removal starts with is the check. When it cannot be told, the answer says so, and nothing is
 * removed.
 *
 * Processes of other users are only visible with their permissions (root sees all); a process
 * we may not inspect cannot be seen here.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { errorMessage } from '../domain/errors';
import { canonicalPath } from './paths';

export interface FolderUser {
  pid: number;
  command: string;
  /** What ties it to the folder: `cwd`, `root` or a file it has open. */
  how: string;
}

export type FolderUse =
  | { state: 'free'; how: 'proc' | 'lsof' | 'rename' }
  | { state: 'busy'; users: FolderUser[] }
  | { state: 'unknown'; why: string };

export async function folderInUse(folder: string, platform: NodeJS.Platform = process.platform): Promise<FolderUse> {
  if (platform === 'win32') return { state: 'free', how: 'rename' };
  if (platform === 'linux') return fromProc(folder);
  return fromLsof(folder);
}

/** "pid 4242 (bash, current directory)". */
export function describeUsers(users: readonly FolderUser[]): string {
  const shown = users.slice(0, 3).map((u) => `pid ${u.pid} (${u.command}, ${u.how})`);
  return `${shown.join(', ')}${users.length > 3 ? ` and ${users.length - 3} more` : ''}`;
}

async function fromProc(folder: string): Promise<FolderUse> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^[0-9]+$/.test(n));
  } catch (err) {
    return { state: 'unknown', why: `cannot read /proc: ${errorMessage(err)}` };
  }
  if (pids.length === 0) return { state: 'unknown', why: '/proc lists no processes' };
  // The kernel reports real paths, so the folder's real path is compared as text.
  const real = canonicalPath(folder);
  const inside = (target: string): boolean => {
    const path = target.replace(/ \(deleted\)$/, '');
    return path === real || path.startsWith(`${real}/`);
  };
  const users: FolderUser[] = [];
  for (const pid of pids) {
    const base = `/proc/${pid}`;
    const how: string[] = [];
    // A process of another user (EACCES) or one that just ended (ENOENT) has nothing we can see.
    const cwd = await readlink(`${base}/cwd`).catch(() => undefined);
    if (cwd && inside(cwd)) how.push('current directory');
    const procRoot = await readlink(`${base}/root`).catch(() => undefined);
    if (procRoot && procRoot !== '/' && inside(procRoot)) how.push('root');
    if (how.length === 0) {
      const fds = await readdir(`${base}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(`${base}/fd/${fd}`).catch(() => undefined);
        if (target && inside(target)) {
          how.push(`open file ${target}`);
          break;
        }
      }
    }
    if (how.length > 0) {
      const command = (await readFile(`${base}/comm`, 'utf8').catch(() => '?')).trim();
      users.push({ pid: Number(pid), command, how: how.join(', ') });
    }
  }
  return users.length > 0 ? { state: 'busy', users } : { state: 'free', how: 'proc' };
}

function fromLsof(folder: string): Promise<FolderUse> {
  return new Promise((resolve) => {
    execFile('lsof', ['-n', '-P', '-w', '-F', 'pcn', '+D', folder], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') return resolve({ state: 'unknown', why: 'lsof is not installed' });
      // lsof exits 1 both when nothing uses the folder and on errors; only a silent exit 1 means "nothing".
      if (err && stdout.trim() === '') {
        return resolve(stderr.trim() ? { state: 'unknown', why: `lsof failed: ${stderr.trim()}` } : { state: 'free', how: 'lsof' });
      }
      const users: FolderUser[] = [];
      let current: FolderUser | undefined;
      for (const line of stdout.split('\n')) {
        const tag = line[0];
        const value = line.slice(1);
        if (tag === 'p') {
          current = { pid: Number(value), command: '?', how: 'open file' };
          users.push(current);
        } else if (tag === 'c' && current) {
          current.command = value;
        } else if (tag === 'n' && current && current.how === 'open file') {
          current.how = `open file ${value}`;
        }
      }
      resolve(users.length > 0 ? { state: 'busy', users } : { state: 'free', how: 'lsof' });
    });
  });
}
