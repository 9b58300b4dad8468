/**
 * Git's rename detection between the commit the last cycle saw and now (committed renames, then
 * the working tree's), so a gathered item in a renamed file keeps its ticket.
 */
import { gitOutput } from '../../git/gitOutput';

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
      const committed = await gitOutput(repoRoot, diffArgs(previousHead, head), { signal });
      for (const [from, to] of parseRenames(committed.stdout)) renames.set(from, to);
    } catch (err) {
      if (signal?.aborted) throw err;
      warning = `renames since ${previousHead.slice(0, 12)} are unknown: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const [working, deleted] = await Promise.all([
    head === undefined ? undefined : gitOutput(repoRoot, diffArgs(head), { signal }),
    gitOutput(repoRoot, ['ls-files', '-d', '-z', '--full-name'], { signal }),
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
