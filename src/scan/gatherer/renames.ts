/**
 * Git's rename detection between the commit the last cycle saw and now (committed renames, then
 * the working tree's), so a gathered item in a renamed file keeps its ticket.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from './gitProcess';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The commit HEAD points at, or undefined in a repository without commits. */
export async function headCommit(repoRoot: string, signal?: AbortSignal): Promise<string | undefined> {
  return (await readHeadFromFiles(repoRoot)) ?? revParseHead(repoRoot, signal);
}

/**
 * The common layout read straight from `.git` (HEAD, a loose ref or packed-refs), which spares a
 * process per cycle. Anything unusual (a `.git` file, reftable, an unborn branch) returns
 * undefined and git itself is asked.
 */
export async function readHeadFromFiles(repoRoot: string): Promise<string | undefined> {
  try {
    const gitDir = join(repoRoot, '.git');
    if (!(await stat(gitDir)).isDirectory()) return undefined;
    const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
    if (SHA.test(head)) return head;
    const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
    if (ref === undefined || ref.split('/').some((part) => part === '..' || part === '.' || part === '')) return undefined;
    const loose = await readFile(join(gitDir, ref), 'utf8').then(
      (text) => text.trim(),
      () => undefined,
    );
    if (loose !== undefined) return SHA.test(loose) ? loose : undefined;
    const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8');
    for (const line of packed.split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha !== undefined && SHA.test(sha)) return sha;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

async function revParseHead(repoRoot: string, signal?: AbortSignal): Promise<string | undefined> {
  const { code, stdout } = await runGit(repoRoot, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { signal, okCodes: [0, 1, 128] });
  const sha = stdout.toString('utf8').trim();
  return code === 0 && SHA.test(sha) ? sha : undefined;
}

export interface RenameReport {
  /** Old path -> path now, both repository-relative. */
  renames: Map<string, string>;
  /**
   * Files gone from the working tree but still in the index: deleted, or renamed outside git
   * (the new name is untracked, so neither grep nor rename detection sees it yet). Which one is
   * unknown until the change is staged.
   */
  deletedUnstaged: Set<string>;
  /** Why the committed part could not be read (history rewritten, commit gone), if so. */
  warning?: string | undefined;
}

export async function detectRenames(repoRoot: string, previousHead: string | undefined, head: string | undefined, signal?: AbortSignal): Promise<RenameReport> {
  const renames = new Map<string, string>();
  let warning: string | undefined;
  if (head !== undefined && previousHead !== undefined && previousHead !== head) {
    try {
      const committed = await runGit(repoRoot, diffArgs(previousHead, head), { signal });
      for (const [from, to] of parseRenames(committed.stdout)) renames.set(from, to);
    } catch (err) {
      if (signal?.aborted) throw err;
      warning = `renames since ${previousHead.slice(0, 12)} are unknown: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const [working, deleted] = await Promise.all([
    head === undefined ? undefined : runGit(repoRoot, diffArgs(head), { signal }),
    runGit(repoRoot, ['ls-files', '-d', '-z', '--full-name'], { signal }),
  ]);
  const now = working === undefined ? [] : parseRenames(working.stdout);
  const byOld = new Map(now);
  // Renamed in a commit and again in the working tree: follow the chain to where it lives now.
  for (const [from, to] of renames) {
    const next = byOld.get(to);
    if (next !== undefined) renames.set(from, next);
  }
  for (const [from, to] of now) if (!renames.has(from)) renames.set(from, to);
  const deletedUnstaged = new Set(deleted.stdout.toString('utf8').split('\0').filter((name) => name !== ''));
  return { renames, deletedUnstaged, warning };
}

function diffArgs(...revs: string[]): string[] {
  return ['-c', 'diff.renames=true', 'diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M', '--diff-filter=R', '--name-status', '-z', ...revs, '--'];
}

/** Parses `--name-status -z` rename records: `R<score> NUL old NUL new NUL`. */
export function parseRenames(stdout: Buffer | string): Array<[string, string]> {
  const fields = (typeof stdout === 'string' ? stdout : stdout.toString('utf8')).split('\0');
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 2 < fields.length; ) {
    const status = fields[i];
    if (status.startsWith('R') || status.startsWith('C')) {
      if (status.startsWith('R')) out.push([fields[i + 1], fields[i + 2]]);
      i += 3;
    } else {
      i += 2;
    }
  }
  return out;
}
