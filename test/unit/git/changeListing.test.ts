import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fromChangedFiles, parseStatusV2, ScanChangeLister } from '../../../src/git/changeListing';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';

const port = new SimpleGitPort();

void describe('ScanChangeLister lists what changedFiles lists, from fewer processes', () => {
  let repo: TempRepo;
  let wt: string;
  let lister: ScanChangeLister;

  beforeEach(async () => {
    repo = makeTempRepo();
    wt = join(repo.parent, 'repo.worktrees', 'T-1-work');
    lister = new ScanChangeLister();
    repo.write('keep.txt', 'keep\n');
    repo.write('edit me.txt', 'to be edited\n');
    repo.write('delete-me.txt', 'to be deleted\n');
    repo.write('rename-me.txt', 'a file with enough lines\nto be recognised\nas the same file\nafter a rename\n');
    repo.write('move-me.txt', 'another file with enough lines\nto be recognised\nas the same file\nafter a move\n');
    repo.write('.gitignore', 'secret.env\nnode_modules/\n');
    repo.commit('base files');
    await port.createWorktree(repo.root, { path: wt, branch: 'factory/T-1-work', base: 'main' });
  });
  afterEach(() => repo.dispose());

  const write = (file: string, text: string): void => {
    mkdirSync(join(wt, file, '..'), { recursive: true });
    writeFileSync(join(wt, file), text);
  };
  const commit = (message: string): void => {
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', message);
  };
  /** Both listings, twice for the lean one (the second from its remembered merge-base). */
  const same = async (dirty: boolean): Promise<void> => {
    const expected = fromChangedFiles(await port.changedFiles(wt, 'main'));
    assert.equal(expected.dirty, dirty);
    assert.deepEqual(await lister.listChange(wt, 'main'), expected);
    assert.deepEqual(await lister.listChange(wt, 'main'), expected);
  };

  void it('a fresh branch: nothing changed, clean', async () => {
    await same(false);
  });

  void it('committed added, modified, deleted and renamed files, with ignored ones beside them: clean', async () => {
    write('src/added.ts', 'export {}\n');
    write('edit me.txt', 'edited\n');
    rmSync(join(wt, 'delete-me.txt'));
    git(wt, 'mv', 'rename-me.txt', 'renamed.txt');
    commit('work');
    write('secret.env', 'TOKEN=1');
    write('node_modules/x.js', '');
    repo.write('on-main.txt', 'main moved on');
    repo.commit('main moves');
    await same(false);
  });

  void it('staged, modified, deleted, renamed and untracked files over committed ones: dirty', async () => {
    write('committed.ts', 'export {}\n');
    commit('work');
    write('staged.ts', 'staged\n');
    git(wt, 'add', 'staged.ts');
    write('edit me.txt', 'edited, not staged\n');
    rmSync(join(wt, 'delete-me.txt'));
    git(wt, 'mv', 'move-me.txt', 'moved.txt');
    write('renamed-by-hand.txt', 'a file with enough lines\nto be recognised\nas the same file\nafter a rename\n');
    rmSync(join(wt, 'rename-me.txt'));
    write('dir with space/untracked.ts', 'new\n');
    write('secret.env', 'TOKEN=1');
    await same(true);
  });

  void it('only an untracked file: dirty', async () => {
    write('untracked.ts', 'new\n');
    await same(true);
  });

  void it('a committed change reverted in the working tree: the status names a file the net diff does not', async () => {
    write('keep.txt', 'changed\n');
    write('committed.ts', 'export {}\n');
    commit('work');
    write('keep.txt', 'keep\n');
    await same(false);
    git(wt, 'add', 'keep.txt');
    await same(false);
  });

  void it('a committed rename whose target is then deleted in the working tree', async () => {
    git(wt, 'mv', 'rename-me.txt', 'renamed.txt');
    commit('rename');
    rmSync(join(wt, 'renamed.txt'));
    await same(true);
  });

  void it('a new commit on the branch and on the base: the remembered merge-base is not reused', async () => {
    write('a.ts', 'a\n');
    commit('a');
    await same(false);
    write('b.ts', 'b\n');
    commit('b');
    repo.write('c.txt', 'c');
    repo.commit('main moves');
    await same(false);
    git(wt, 'merge', '-q', '--no-edit', 'main');
    await same(false);
  });

  void it('a base that does not resolve fails as changedFiles does', async () => {
    await assert.rejects(port.changedFiles(wt, 'no-such-branch'));
    await assert.rejects(lister.listChange(wt, 'no-such-branch'));
    await assert.rejects(lister.listChange(wt, '--output=x'), /not a usable git base/);
  });
});

void describe('parseStatusV2', () => {
  void it('reads ordinary, renamed, unmerged and untracked entries, paths with spaces, and skips headers and ignored files', () => {
    const h = 'a'.repeat(40);
    const out = [
      '# branch.oid ' + h,
      `1 .M N... 100644 100644 100644 ${h} ${h} dir/a file.txt`,
      `2 R. N... 100644 100644 100644 ${h} ${h} R100 new name.txt`,
      'old name.txt',
      `u UU N... 100644 100644 100644 100644 ${h} ${h} ${h} both.txt`,
      '? untracked file.ts',
      '! ignored.env',
      '',
    ].join('\0');
    const parsed = parseStatusV2(out);
    assert.deepEqual([...parsed.tracked], ['dir/a file.txt', 'new name.txt', 'both.txt']);
    assert.deepEqual(parsed.untracked, ['untracked file.ts']);
  });
});
