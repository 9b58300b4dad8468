import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBoardFolder, resolveBoardLocation, resolveBoardLocationWithoutGit } from '../../../src/store/location';
import { openBoard } from '../../../src/store/sqlBoard';
import { git, makeTempRepo } from '../helpers/tempRepo';
import type { TempRepo } from '../helpers/tempRepo';

describe('board location', () => {
  let repo: TempRepo;
  before(() => {
    repo = makeTempRepo();
  });
  after(() => {
    repo.dispose();
  });

  it('puts the board in the main checkout and finds it from subfolders', async () => {
    mkdirSync(join(repo.root, 'src', 'deep'), { recursive: true });
    const loc = await resolveBoardLocation(join(repo.root, 'src', 'deep'));
    assert.ok(loc);
    assert.equal(realpathSync(loc.repoRoot), realpathSync(repo.root));
    assert.equal(loc.dir, join(loc.repoRoot, '.factory'));
    assert.equal(loc.dbPath, join(loc.repoRoot, '.factory', 'factory.db'));
    assert.equal(loc.exists, false);
  });

  it('resolves a linked worktree to the main checkout board', async () => {
    const wt = join(repo.parent, 'repo.worktrees', 'T-1-x');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'af/T-1-x', wt);
    const fromWorktree = await resolveBoardLocation(wt);
    const fromMain = await resolveBoardLocation(repo.root);
    assert.ok(fromWorktree && fromMain);
    assert.equal(fromWorktree.dbPath, fromMain.dbPath);
  });

  it('finds the same board without running git (untrusted workspaces)', async () => {
    const wt = join(repo.parent, 'repo.worktrees', 'T-2-y');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'af/T-2-y', wt);
    mkdirSync(join(wt, 'pkg'), { recursive: true });
    for (const folder of [repo.root, join(repo.root, 'src'), wt, join(wt, 'pkg')]) {
      mkdirSync(folder, { recursive: true });
      const withGit = await resolveBoardLocation(folder);
      const withoutGit = await resolveBoardLocationWithoutGit(folder);
      assert.ok(withGit && withoutGit, folder);
      assert.equal(realpathSync(withoutGit.repoRoot), realpathSync(withGit.repoRoot), folder);
    }
    const plain = mkdtempSync(join(tmpdir(), 'af-nogit-'));
    try {
      assert.equal(await resolveBoardLocationWithoutGit(plain), undefined);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('gives the same answer without running git (untrusted workspaces)', async () => {
    const wt = join(repo.parent, 'repo.worktrees', 'T-1-x');
    for (const folder of [repo.root, join(repo.root, 'src', 'deep'), wt]) {
      const withGit = await resolveBoardLocation(folder);
      const withoutGit = await resolveBoardLocationWithoutGit(folder);
      assert.ok(withGit && withoutGit, folder);
      assert.equal(realpathSync(withoutGit.repoRoot), realpathSync(withGit.repoRoot), folder);
      assert.equal(withoutGit.exists, withGit.exists);
    }
  });

  it('creates an ignored board folder only when asked, and then reports it exists', async () => {
    const loc = await resolveBoardLocation(repo.root);
    assert.ok(loc);
    assert.equal(loc.exists, false);
    const dir = await createBoardFolder(loc.repoRoot);
    assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8').trim(), '*');
    const board = await openBoard({ dir, repoRoot: loc.repoRoot, pollMs: 0 });
    await board.close();
    assert.equal((await resolveBoardLocation(repo.root))?.exists, true);
    assert.equal(git(repo.root, 'status', '--porcelain', '--untracked-files=all'), '');
  });

  it('is undefined outside a git repository', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'af-nogit-'));
    try {
      assert.equal(await resolveBoardLocation(plain), undefined);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
