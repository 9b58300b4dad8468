import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { changeTotals, describeTotals, parseNumstat, summarizeChanges } from '../../../src/git/changeSummary';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';

void describe('change summary', () => {
  void it('reads git diff --numstat -z, renames and binary files included', () => {
    const out = parseNumstat('3\t1\tsrc/a.ts\0-\t-\timg.png\0' + '2\t0\t\0old name.ts\0new name.ts\0');
    assert.deepEqual([...out.entries()], [
      ['src/a.ts', { additions: 3, deletions: 1 }],
      ['img.png', {}],
      ['new name.ts', { additions: 2, deletions: 0 }],
    ]);
    assert.equal(describeTotals(changeTotals([{ additions: 3, deletions: 1 }, {}])), '2 files +3 −1');
    assert.equal(describeTotals(changeTotals([])), '');
  });

  let repo: TempRepo;
  let tree: string;
  beforeEach(() => {
    repo = makeTempRepo();
    repo.write('keep.txt', 'one\ntwo\nthree\n');
    repo.write('gone.txt', 'bye\n');
    repo.write('moved.txt', 'a long enough line to be found as the same file\nsecond line\n');
    repo.commit('base');
    tree = join(repo.parent, 'wt');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'topic', tree, 'main');
  });
  afterEach(() => repo.dispose());

  void it('covers committed, staged, modified, untracked, deleted and renamed files against the merge-base, not the moved base', async () => {
    writeFileSync(join(tree, 'keep.txt'), 'one\nTWO\nthree\nfour\n');
    git(tree, 'commit', '-qam', 'edit keep');
    rmSync(join(tree, 'gone.txt'));
    git(tree, 'mv', 'moved.txt', 'renamed.txt');
    mkdirSync(join(tree, 'src'));
    writeFileSync(join(tree, 'src', 'staged.ts'), 'x\ny\n');
    git(tree, 'add', 'src/staged.ts');
    writeFileSync(join(tree, 'notes.md'), 'untracked\nwithout a final newline');
    writeFileSync(join(tree, 'blob.bin'), Buffer.from([0, 1, 2, 0, 255]));
    // The base moves on: its new file is not part of the ticket's change.
    repo.write('base-only.txt', 'main moved\n');
    repo.commit('main moves');

    const summary = await summarizeChanges(tree, 'main');
    assert.equal(summary.mergeBase, git(repo.root, 'rev-parse', 'main~1'));
    const byPath = Object.fromEntries(summary.files.map((f) => [f.path, f]));
    assert.deepEqual(Object.keys(byPath), ['blob.bin', 'gone.txt', 'keep.txt', 'notes.md', 'renamed.txt', 'src/staged.ts']);
    assert.deepEqual([byPath['keep.txt'].kind, byPath['keep.txt'].additions, byPath['keep.txt'].deletions], ['modified', 2, 1]);
    assert.deepEqual([byPath['gone.txt'].kind, byPath['gone.txt'].deletions], ['deleted', 1]);
    assert.deepEqual([byPath['renamed.txt'].kind, byPath['renamed.txt'].oldPath], ['renamed', 'moved.txt']);
    assert.deepEqual([byPath['src/staged.ts'].kind, byPath['src/staged.ts'].additions], ['added', 2]);
    assert.deepEqual([byPath['notes.md'].kind, byPath['notes.md'].additions], ['untracked', 2]);
    assert.deepEqual([byPath['blob.bin'].kind, byPath['blob.bin'].additions], ['untracked', undefined]);
  });

  void it('refuses a base that looks like an option', async () => {
    await assert.rejects(summarizeChanges(tree, '--output=/tmp/x'), /not a usable git base/);
  });
});
