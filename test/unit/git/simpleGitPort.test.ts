import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { samePath } from '../../../src/git/paths';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { git, gitEnv, makeTempRepo, type TempRepo } from '../helpers/tempRepo';

const port = new SimpleGitPort();

/** Bytes that are not text in any encoding: NUL, high bytes, an invalid UTF-8 sequence. */

void describe('SimpleGitPort against real repositories', () => {
  let repo: TempRepo;
  let wt: string;

  beforeEach(() => {
    repo = makeTempRepo();
    wt = join(repo.parent, 'repo.worktrees', 'T-1-work');
  });
  afterEach(() => repo.dispose());

  const commitIn = (dir: string, file: string, content: string | Buffer, message = `change ${file}`): void => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', message);
  };

  void describe('worktree lifecycle', () => {
    void it('creates a worktree on a new branch from base, lists it, removes it', async () => {
      const created = await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
      assert.equal(created.createdBranch, true);
      assert.ok(existsSync(join(wt, 'README.md')));
      assert.equal(git(wt, 'rev-parse', '--abbrev-ref', 'HEAD'), 'factory/T-1-work');

      const list = await port.listWorktrees(repo.root);
      assert.equal(list.length, 2);
      assert.ok(list[0]?.main && samePath(list[0].path, repo.root));
      const entry = list.find((w) => samePath(w.path, wt));
      assert.equal(entry?.branch, 'factory/T-1-work');
      assert.equal(entry?.head, git(repo.root, 'rev-parse', 'main'));

    });

    void it('checks out an existing branch as it is, ignoring base', async () => {
      git(repo.root, 'branch', 'factory/T-1-work');
      git(repo.root, 'checkout', '-q', 'factory/T-1-work');
      repo.write('feature.txt', 'done\n');
      const tip = repo.commit('feature');
      git(repo.root, 'checkout', '-q', 'main');

      const created = await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
      assert.equal(created.createdBranch, false);
      assert.equal(git(wt, 'rev-parse', 'HEAD'), tip);
      assert.equal(readFileSync(join(wt, 'feature.txt'), 'utf8'), 'done\n');
    });

    void it('a new branch does not track a remote base', async () => {
      git(repo.root, 'update-ref', 'refs/remotes/origin/main', 'main');
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'origin/main' });
      assert.throws(() => git(repo.root, 'config', '--get', 'branch.factory/T-1-work.merge'));
    });

    void it('lists the registration of a deleted folder as prunable', async () => {
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
      rmSync(wt, { recursive: true, force: true });
      const before = await port.listWorktrees(repo.root);
      assert.equal(before.find((w) => samePath(w.path, wt))?.prunable, true);
    });

    void it('reports a locked worktree', async () => {
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
      git(repo.root, 'worktree', 'lock', '--reason', 'on a usb disk', wt);
      const entry = (await port.listWorktrees(repo.root)).find((w) => samePath(w.path, wt));
      assert.equal(entry?.locked, true);
      assert.equal(entry?.lockedReason, 'on a usb disk');
    });
  });

  void describe('refs', () => {
    void it('branchExists and revisionExists', async () => {
      assert.equal(await port.branchExists(repo.root, 'main'), true);
      assert.equal(await port.branchExists(repo.root, 'nope'), false);
      assert.equal(await port.branchExists(repo.root, '--help'), false);
      assert.equal(await port.revisionExists(repo.root, 'HEAD'), true);
      assert.equal(await port.revisionExists(repo.root, 'v9'), false);
    });

    void it('defaultBranch follows origin/HEAD, then main/master, then the current branch', async () => {
      assert.equal(await port.defaultBranch(repo.root), 'main');
      git(repo.root, 'branch', '-m', 'main', 'trunk');
      assert.equal(await port.defaultBranch(repo.root), 'trunk');
      git(repo.root, 'update-ref', 'refs/remotes/origin/develop', 'trunk');
      git(repo.root, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/develop');
      assert.equal(await port.defaultBranch(repo.root), 'origin/develop');
      git(repo.root, 'branch', 'develop');
      assert.equal(await port.defaultBranch(repo.root), 'develop');
    });
  });

  void describe('status, ahead/behind, merged', () => {
    beforeEach(async () => {
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
    });

    void it('status sees staged, modified and untracked files but not ignored ones', async () => {
      assert.equal((await port.status(wt)).dirty, false);
      commitIn(wt, '.gitignore', 'build/\n');
      commitIn(wt, 'a.txt', 'a\n');
      writeFileSync(join(wt, 'a.txt'), 'a changed\n');
      writeFileSync(join(wt, 'b.txt'), 'b\n');
      git(wt, 'add', 'b.txt');
      mkdirSync(join(wt, 'sub'));
      writeFileSync(join(wt, 'sub', 'c.txt'), 'c\n');
      mkdirSync(join(wt, 'build'));
      writeFileSync(join(wt, 'build', 'out.js'), 'x');
      const s = await port.status(wt);
      assert.equal(s.dirty, true);
      assert.deepEqual(s.staged, ['b.txt']);
      assert.deepEqual(s.modified, ['a.txt']);
      assert.deepEqual(s.untracked, ['sub/c.txt']);
    });

    void it('an ignored file alone leaves the worktree clean', async () => {
      commitIn(wt, '.gitignore', '*.log\n');
      writeFileSync(join(wt, 'debug.log'), 'noise');
      assert.equal((await port.status(wt)).dirty, false);
    });

    void it('counts commits ahead of and behind the base', async () => {
      commitIn(wt, 'one.txt', '1');
      commitIn(wt, 'two.txt', '2');
      commitIn(repo.root, 'main.txt', 'm');
      assert.deepEqual(await port.aheadBehind(wt, 'main'), { ahead: 2, behind: 1 });
      assert.equal(await port.mergeBase(wt, 'HEAD', 'main'), git(repo.root, 'rev-parse', 'main~1'));
    });

    void it('isMerged: unmerged, merged, and rebased onto base', async () => {
      commitIn(wt, 'one.txt', '1');
      assert.equal(await port.isMerged(repo.root, 'factory/T-1-work', 'main'), false);
      commitIn(repo.root, 'main.txt', 'm');
      git(repo.root, 'cherry-pick', 'factory/T-1-work');
      assert.equal(await port.isMerged(repo.root, 'factory/T-1-work', 'main'), true, 'patch-equivalent commits count as merged');
      commitIn(wt, 'two.txt', '2');
      assert.equal(await port.isMerged(repo.root, 'factory/T-1-work', 'main'), false);
      git(repo.root, 'merge', '-q', '--no-edit', 'factory/T-1-work');
      assert.equal(await port.isMerged(repo.root, 'factory/T-1-work', 'main'), true);
    });

    void it('a fresh branch with no commits counts as merged', async () => {
      assert.equal(await port.isMerged(repo.root, 'factory/T-1-work', 'main'), true);
    });
  });

  void describe('changedFiles', () => {
    beforeEach(async () => {
      repo.write('keep.txt', 'keep\n');
      repo.write('rename-me.txt', 'a file with enough lines\nto be recognised\nas the same file\nafter a rename\n');
      repo.write('.gitignore', 'secret.env\nnode_modules/\n');
      repo.commit('base files');
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
    });

    void it('covers committed, staged, modified and untracked files with their kinds, and excludes ignored ones', async () => {
      commitIn(wt, 'committed.ts', 'export {}\n');
      git(wt, 'mv', 'rename-me.txt', 'renamed.txt');
      git(wt, 'commit', '-q', '-m', 'rename');
      writeFileSync(join(wt, 'staged.ts'), 'staged\n');
      git(wt, 'add', 'staged.ts');
      writeFileSync(join(wt, 'keep.txt'), 'keep, edited\n');
      writeFileSync(join(wt, 'untracked.ts'), 'new\n');
      writeFileSync(join(wt, 'secret.env'), 'TOKEN=1');
      mkdirSync(join(wt, 'node_modules'));
      writeFileSync(join(wt, 'node_modules', 'x.js'), '');
      commitIn(repo.root, 'on-main.txt', 'main moved on');

      const files = await port.changedFiles(wt, 'main');
      assert.deepEqual(
        files.map((f) => [f.path, f.kind, f.sources.join('+'), f.oldPath]),
        [
          ['committed.ts', 'added', 'committed', undefined],
          ['keep.txt', 'modified', 'modified', undefined],
          ['renamed.txt', 'renamed', 'committed', 'rename-me.txt'],
          ['staged.ts', 'added', 'staged', undefined],
          ['untracked.ts', 'untracked', 'untracked', undefined],
        ],
      );
    });

    void it('a deleted file shows as deleted; a change committed then reverted in the working tree does not show', async () => {
      commitIn(wt, 'keep.txt', 'changed\n');
      writeFileSync(join(wt, 'keep.txt'), 'keep\n');
      rmSync(join(wt, 'rename-me.txt'));
      const files = await port.changedFiles(wt, 'main');
      assert.deepEqual(files.map((f) => [f.path, f.kind]), [['rename-me.txt', 'deleted']]);
    });

    void it('a file both committed and modified since lists both sources', async () => {
      commitIn(wt, 'keep.txt', 'one\n');
      writeFileSync(join(wt, 'keep.txt'), 'two\n');
      const [file] = await port.changedFiles(wt, 'main');
      assert.deepEqual(file?.sources, ['committed', 'modified']);
    });
  });

  void describe('worktreeActivity', () => {
    void it('counts commits and changed files and dates the last commit and the newest file change', async () => {
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
      const fresh = await port.worktreeActivity(wt, 'main');
      assert.deepEqual(fresh, { commitsAhead: 0, lastCommitAt: undefined, changedFileCount: 0, lastFileChangeAt: undefined });

      mkdirSync(join(wt, 'src'));
      writeFileSync(join(wt, 'src', 'a.ts'), 'a');
      git(wt, 'add', '-A');
      execCommitAt(wt, 'a', '2026-01-10T08:00:00Z');
      writeFileSync(join(wt, 'src', 'b.ts'), 'b');
      git(wt, 'add', '-A');
      execCommitAt(wt, 'b', '2026-01-11T08:00:00Z');
      writeFileSync(join(wt, 'untracked.ts'), 'u');
      writeFileSync(join(wt, 'README.md'), 'edited');
      const t1 = new Date('2026-01-12T10:00:00Z');
      const t2 = new Date('2026-01-12T11:30:00Z');
      utimesSync(join(wt, 'untracked.ts'), t1, t1);
      utimesSync(join(wt, 'README.md'), t2, t2);

      const a = await port.worktreeActivity(wt, 'main');
      assert.equal(a.commitsAhead, 2);
      assert.equal(a.lastCommitAt, Date.parse('2026-01-11T08:00:00Z'));
      assert.equal(a.changedFileCount, 4);
      assert.equal(a.lastFileChangeAt, t2.getTime());
    });
  });

  void describe('sizeOnDisk and cancellation', () => {
    void it('measures a folder without blocking and grows with its content', async () => {
      await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
      const before = await port.sizeOnDisk(wt);
      assert.ok(before > 0);
      mkdirSync(join(wt, 'big'));
      for (let i = 0; i < 300; i++) writeFileSync(join(wt, 'big', `f${i}.bin`), Buffer.alloc(4096, i));
      const after = await port.sizeOnDisk(wt);
      assert.ok(after - before >= 300 * 4096, `${before} -> ${after}`);
      assert.equal(await port.sizeOnDisk(join(wt, 'missing')), 0);
    });

    void it('an aborted signal cancels git calls and the disk walk', async () => {
      const ac = new AbortController();
      ac.abort();
      const isCancelled = (err: unknown): boolean => err instanceof FactoryError && err.reason === 'cancelled';
      await assert.rejects(port.status(repo.root, { signal: ac.signal }), isCancelled);
      await assert.rejects(port.listWorktrees(repo.root, { signal: ac.signal }), isCancelled);
      await assert.rejects(port.sizeOnDisk(repo.root, { signal: ac.signal }), isCancelled);
    });

    void it('a git failure carries git\'s message and names the folder', async () => {
      await assert.rejects(port.status(join(repo.parent, 'nowhere')), (err: unknown) => err instanceof FactoryError && err.reason === 'git' && /nowhere/.test(err.message));
    });
  });
});

function execCommitAt(dir: string, message: string, iso: string): void {
  // A fixed commit date, so lastCommitAt can be checked exactly.
  execFileSync('git', ['commit', '-q', '-m', message], { cwd: dir, env: { ...gitEnv, GIT_COMMITTER_DATE: iso, GIT_AUTHOR_DATE: iso }, stdio: 'ignore' });
}
