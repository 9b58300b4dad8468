/**
 * The git port on simple-git: plain git commands with argument arrays, for the headless core and
 * for everything the VS Code Git API does not offer.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FactoryError } from '../domain/errors';
import { sizeOnDisk } from './diskUsage';
import { newestChangeTime } from './fileTimes';
import type {
  AheadBehind,
  ChangedFile,
  ChangeSource,
  CreateWorktreeRequest,
  CreateWorktreeResult,
  GitCallOptions,
  GitPort,
  WorktreeActivity,
  WorktreeEntry,
  WorktreeStatus,
} from './port';
import { parseNameStatus, parseNulList, parseStatus, parseWorktreeList, type NameStatusEntry } from './porcelain';
import { runGit, tryGit } from './runGit';

/** Diff options that make the output independent of the user's diff configuration. */
export const PLAIN_DIFF = ['--no-ext-diff', '--no-textconv', '--no-color', '--no-relative'];

export class SimpleGitPort implements GitPort {
  async defaultBranch(repo: string, opts?: GitCallOptions): Promise<string> {
    const signal = opts?.signal;
    const originHead = (await tryGit(repo, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], { signal }))?.trim();
    if (originHead) {
      const local = originHead.replace(/^origin\//, '');
      return (await this.branchExists(repo, local, opts)) ? local : originHead;
    }
    const configured = (await tryGit(repo, ['config', '--get', 'init.defaultBranch'], { signal }))?.trim();
    for (const candidate of [configured, 'main', 'master']) {
      if (candidate && (await this.branchExists(repo, candidate, opts))) return candidate;
    }
    const current = (await tryGit(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { signal }))?.trim();
    if (current && (await this.branchExists(repo, current, opts))) return current;
    throw new FactoryError('git', `cannot tell the default branch of ${repo}: set agentFactory.worktrees.baseBranch`);
  }

  async branchExists(repo: string, branch: string, opts?: GitCallOptions): Promise<boolean> {
    if (!isPlainRev(branch)) return false;
    const out = await tryGit(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], { signal: opts?.signal });
    return Boolean(out?.trim());
  }

  async revisionExists(repo: string, rev: string, opts?: GitCallOptions): Promise<boolean> {
    if (!isPlainRev(rev)) return false;
    const out = await tryGit(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { signal: opts?.signal });
    return Boolean(out?.trim());
  }

  async createWorktree(repo: string, req: CreateWorktreeRequest, opts?: GitCallOptions): Promise<CreateWorktreeResult> {
    assertRev(req.branch, 'branch');
    const signal = opts?.signal;
    mkdirSync(dirname(req.path), { recursive: true });
    if (await this.branchExists(repo, req.branch, opts)) {
      await runGit(repo, ['worktree', 'add', '--', req.path, req.branch], { signal });
      return { path: req.path, branch: req.branch, createdBranch: false };
    }
    assertRev(req.base, 'base');
    // --no-track: a ticket branch started from origin/main must not push to main.
    await runGit(repo, ['worktree', 'add', '--no-track', '-b', req.branch, '--', req.path, req.base], { signal });
    return { path: req.path, branch: req.branch, createdBranch: true };
  }

  async listWorktrees(repo: string, opts?: GitCallOptions): Promise<WorktreeEntry[]> {
    const signal = opts?.signal;
    try {
      return parseWorktreeList(await runGit(repo, ['worktree', 'list', '--porcelain', '-z'], { signal }));
    } catch (err) {
      // git older than 2.36 has no -z here; its line format differs only for paths with newlines.
      if (err instanceof FactoryError && err.reason === 'git' && /unknown switch|usage:/i.test(err.message)) {
        return parseWorktreeList(await runGit(repo, ['worktree', 'list', '--porcelain'], { signal }));
      }
      throw err;
    }
  }

  async status(path: string, opts?: GitCallOptions): Promise<WorktreeStatus> {
    return parseStatus(await runGit(path, ['status', '--porcelain=v1', '-z', '--untracked-files=all'], { signal: opts?.signal }));
  }

  async aheadBehind(path: string, base: string, opts?: GitCallOptions): Promise<AheadBehind> {
    assertRev(base, 'base');
    const out = await runGit(path, ['rev-list', '--left-right', '--count', `HEAD...${base}`, '--'], { signal: opts?.signal });
    const [ahead, behind] = out.trim().split(/\s+/).map(Number);
    return { ahead: ahead ?? 0, behind: behind ?? 0 };
  }

  async lastCommitTime(path: string, rev = 'HEAD', opts?: GitCallOptions): Promise<number | undefined> {
    if (!isPlainRev(rev)) return undefined;
    const out = (await tryGit(path, ['log', '-1', '--format=%ct', rev, '--'], { signal: opts?.signal }))?.trim();
    return out ? Number(out) * 1000 : undefined;
  }

  async mergeBase(path: string, a: string, b: string, opts?: GitCallOptions): Promise<string | undefined> {
    assertRev(a, 'revision');
    assertRev(b, 'revision');
    const out = (await tryGit(path, ['merge-base', a, b], { signal: opts?.signal }))?.trim();
    return out || undefined;
  }

  async isMerged(repo: string, branch: string, base: string, opts?: GitCallOptions): Promise<boolean> {
    assertRev(branch, 'branch');
    assertRev(base, 'base');
    const signal = opts?.signal;
    const unmerged = Number((await runGit(repo, ['rev-list', '--count', `${base}..${branch}`, '--'], { signal })).trim());
    if (unmerged === 0) return true;
    // Rebased or cherry-picked into base: every commit has a patch-equivalent there ("-" lines).
    const cherry = (await runGit(repo, ['cherry', base, branch], { signal })).split('\n').filter((l) => l.trim() !== '');
    return cherry.length > 0 && cherry.every((l) => l.startsWith('-'));
  }

  async changedFiles(path: string, base: string, opts?: GitCallOptions): Promise<ChangedFile[]> {
    assertRev(base, 'base');
    const signal = opts?.signal;
    const since = (await this.mergeBase(path, 'HEAD', base, opts)) ?? base;
    const diff = async (args: string[]): Promise<NameStatusEntry[]> =>
      parseNameStatus(await runGit(path, ['diff', ...PLAIN_DIFF, '--name-status', '-z', ...args, '--'], { signal }));
    const [net, committed, staged, modified, untracked] = await Promise.all([
      diff(['--find-renames', since]),
      diff(['--find-renames', since, 'HEAD']),
      diff(['--find-renames', '--cached']),
      diff([]),
      runGit(path, ['ls-files', '-z', '--others', '--exclude-standard'], { signal }).then(parseNulList),
    ]);

    const byPath = new Map<string, ChangedFile>();
    for (const e of net) byPath.set(e.path, { path: e.path, kind: e.kind, oldPath: e.oldPath, sources: [] });
    const mark = (entries: readonly { path: string }[], source: ChangeSource): void => {
      for (const e of entries) {
        const file = byPath.get(e.path);
        if (file && !file.sources.includes(source)) file.sources.push(source);
      }
    };
    mark(committed, 'committed');
    mark(staged, 'staged');
    mark(modified, 'modified');
    for (const p of untracked) byPath.set(p, { path: p, kind: 'untracked', sources: ['untracked'] });
    for (const file of byPath.values()) {
      // A change the net diff sees but no layer names (a mode flip, an intent-to-add) is still local work.
      if (file.sources.length === 0) file.sources.push('modified');
    }
    return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async worktreeActivity(path: string, base: string, opts?: GitCallOptions): Promise<WorktreeActivity> {
    assertRev(base, 'base');
    const signal = opts?.signal;
    const [files, aheadOut] = await Promise.all([
      this.changedFiles(path, base, opts),
      runGit(path, ['rev-list', '--count', `${base}..HEAD`, '--'], { signal }),
    ]);
    const commitsAhead = Number(aheadOut.trim()) || 0;
    const lastCommitAt = commitsAhead > 0 ? await this.lastCommitTime(path, 'HEAD', opts) : undefined;
    const uncommitted = files.filter((f) => f.kind !== 'deleted' && f.sources.some((s) => s !== 'committed')).map((f) => f.path);
    const lastFileChangeAt = await newestChangeTime(path, uncommitted, signal);
    return { commitsAhead, lastCommitAt, changedFileCount: files.length, lastFileChangeAt };
  }

  async initializedSubmodules(path: string, opts?: GitCallOptions): Promise<string[]> {
    const out = await runGit(path, ['ls-files', '--stage', '-z'], { signal: opts?.signal });
    const gitlinks = parseNulList(out)
      .filter((line) => line.startsWith('160000 '))
      .map((line) => line.slice(line.indexOf('\t') + 1));
    return gitlinks.filter((rel) => existsSync(join(path, rel, '.git')));
  }

  async sizeOnDisk(path: string, opts?: GitCallOptions): Promise<number> {
    return sizeOnDisk(path, opts?.signal);
  }

  async checkRefFormat(name: string, opts?: GitCallOptions): Promise<boolean> {
    if (!isPlainRev(name)) return false;
    const out = await tryGit(tmpdir(), ['check-ref-format', '--branch', name], { signal: opts?.signal });
    // `--branch` expands `@{-1}` and friends; only a name that comes back unchanged is literal.
    return out?.trim() === name;
  }
}

/** Rules out what git would read as an option or what cannot be a ref at all. */
function isPlainRev(rev: string): boolean {
  return rev.length > 0 && rev.length <= 1024 && !rev.startsWith('-') && !/[\0\n\r]/.test(rev);
}

function assertRev(rev: string, what: string): void {
  if (!isPlainRev(rev)) throw new FactoryError('invalid-input', `not a usable git ${what}: ${JSON.stringify(rev).slice(0, 80)}`);
}
