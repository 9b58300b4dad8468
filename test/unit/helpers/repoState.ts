/**
 * Everything a test compares before a worktree is removed and after it is restored: every file
 * (ignored ones included) with its bytes, every ref but the salvages themselves, the stash list,
 * and the reflogs (the repository's and the worktree's own HEAD log).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotFolder, type Snapshot } from '../../../src/git/salvage/folderSnapshot';
import { git } from './tempRepo';

export interface RepoState {
  files: Snapshot;
  refs: string[];
  stash: string[];
  reflogs: string[];
  /** The worktree's own HEAD reflog, as git keeps it in its admin folder. */
  headLog: string;
  /** HEAD as the worktree sees it (`ref: refs/heads/x` or a commit). */
  head: string;
  /** `git ls-files --stage` plus skip-worktree and assume-unchanged flags. */
  index: string;
}

export async function repoState(repo: string, worktree: string): Promise<RepoState> {
  const lines = (text: string): string[] => text.split('\n').filter(Boolean);
  const admin = git(worktree, 'rev-parse', '--absolute-git-dir');
  const headFile = readFileSync(join(admin, 'HEAD'), 'utf8').trim();
  return {
    files: await snapshotFolder(worktree, (rel) => (rel === '.git' ? 'skip' : 'include')),
    refs: lines(git(repo, 'for-each-ref', '--format=%(refname) %(objectname)')).filter((l) => !l.startsWith('refs/agent-factory/')),
    stash: lines(git(repo, 'stash', 'list', '--format=%gd %H %gs')),
    reflogs: lines(git(repo, 'reflog', 'show', '--all', '--format=%gd %H %gs')).filter((l) => !l.startsWith('refs/agent-factory/')),
    headLog: readLog(join(admin, 'logs', 'HEAD')),
    head: headFile,
    index: `${git(worktree, 'ls-files', '--stage')}\n${git(worktree, 'ls-files', '-v')}`,
  };
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
