/**
 * The commit a checkout's HEAD points at, read from git's files when the layout is the common one
 * (a `.git` folder, or a linked worktree's `.git` file naming its folder) so that a cycle spares a
 * process per checkout, and asked of git itself otherwise (reftable, an unborn branch, anything
 * unusual).
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { gitOutput } from '../../git/gitOutput';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The commit HEAD of `dir` points at, or undefined in a repository without commits. */
export async function headCommit(dir: string, signal?: AbortSignal): Promise<string | undefined> {
  return (await readHeadFromFiles(dir)) ?? revParseHead(dir, signal);
}

/** HEAD from the files alone, or undefined when they do not say plainly. */
export async function readHeadFromFiles(dir: string): Promise<string | undefined> {
  try {
    const dirs = await gitDirs(dir);
    if (!dirs) return undefined;
    const head = (await readFile(join(dirs.gitDir, 'HEAD'), 'utf8')).trim();
    if (SHA.test(head)) return head;
    const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
    if (ref === undefined || ref.split('/').some((part) => part === '..' || part === '.' || part === '')) return undefined;
    // Branches live in the common folder; a worktree's own folder holds only its HEAD.
    const loose = await readFile(join(dirs.commonDir, ref), 'utf8').then(
      (text) => text.trim(),
      () => undefined,
    );
    if (loose !== undefined) return SHA.test(loose) ? loose : undefined;
    const packed = await readFile(join(dirs.commonDir, 'packed-refs'), 'utf8');
    for (const line of packed.split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha !== undefined && SHA.test(sha)) return sha;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

async function gitDirs(dir: string): Promise<{ gitDir: string; commonDir: string } | undefined> {
  const dotGit = join(dir, '.git');
  const st = await stat(dotGit);
  if (st.isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
  if (!st.isFile()) return undefined;
  const pointer = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'))?.[1]?.trim();
  if (!pointer) return undefined;
  const gitDir = isAbsolute(pointer) ? pointer : resolve(dir, pointer);
  const common = await readFile(join(gitDir, 'commondir'), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  return { gitDir, commonDir: common === undefined ? gitDir : isAbsolute(common) ? common : resolve(gitDir, common) };
}

async function revParseHead(dir: string, signal?: AbortSignal): Promise<string | undefined> {
  const { code, stdout } = await gitOutput(dir, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { signal, okCodes: [0, 1, 128] });
  const sha = stdout.toString('utf8').trim();
  return code === 0 && SHA.test(sha) ? sha : undefined;
}
