/**
 * Stash entries made in a worktree. The stash is shared by all worktrees and survives a removal,
 * but work stashed in a worktree is easily forgotten once it is gone, so the Worktree agent never
 * removes one with such entries without asking.
 */
import { tryGit } from '../runGit';

/** `stash@{n}` of every entry based on this worktree's HEAD or its own commits, or made on its branch. */
export async function stashesMadeIn(worktree: string, branch: string | undefined, base: string, signal?: AbortSignal): Promise<string[]> {
  const list = await tryGit(worktree, ['stash', 'list', '--format=%gd%x1f%P%x1f%gs%x1e'], { signal });
  if (!list?.trim()) return [];
  const head = (await tryGit(worktree, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { signal }))?.trim();
  const own = new Set(head ? [head] : []);
  if (head && !base.startsWith('-')) {
    const ahead = await tryGit(worktree, ['rev-list', '--max-count=10000', 'HEAD', '--not', base, '--'], { signal });
    for (const sha of (ahead ?? '').split('\n')) if (sha) own.add(sha);
  }
  const out: string[] = [];
  for (const record of list.split('\x1e')) {
    const [name, parents, subject] = record.replace(/^\n/, '').split('\x1f');
    if (!name) continue;
    const stashBase = parents?.split(' ')[0];
    const subj = subject ?? '';
    const onBranch = branch !== undefined && (subj.startsWith(`WIP on ${branch}: `) || subj.startsWith(`On ${branch}: `));
    if ((stashBase && own.has(stashBase)) || onBranch) out.push(name);
  }
  return out;
}
