/**
 * The two git folders a worktree's commits write to: its own (`.git/worktrees/<name>` for a linked
 * worktree: HEAD, the index) and the repository's common one (objects, refs). A sandboxed agent
 * must be allowed to write both to commit.
 */
import { runGit } from './runGit';

export interface WorktreeGitDirs {
  gitDir: string;
  gitCommonDir: string;
}

export async function worktreeGitDirs(worktree: string): Promise<WorktreeGitDirs> {
  const out = await runGit(worktree, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir'], { idleTimeoutMs: 30_000 });
  const [gitDir, gitCommonDir] = out.split(/\r?\n/).map((line) => line.trim());
  if (!gitDir || !gitCommonDir) throw new Error(`git rev-parse printed no git folders for ${worktree}`);
  return { gitDir, gitCommonDir };
}
