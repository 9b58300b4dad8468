import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNameStatus, parseStatus, parseWorktreeList } from '../../../src/git/porcelain';

void describe('parseWorktreeList', () => {
  void it('reads the -z format: main first, branches short, flags with reasons', () => {
    const out = [
      'worktree /r/repo', 'HEAD aaaa', 'branch refs/heads/main', '',
      'worktree /r/repo.worktrees/T-1-x', 'HEAD bbbb', 'branch refs/heads/factory/T-1-x', 'locked being moved', '',
      'worktree /r/gone', 'HEAD cccc', 'detached', 'prunable gitdir file points to non-existent location', '',
      '',
    ].join('\0');
    const list = parseWorktreeList(out);
    assert.equal(list.length, 3);
    assert.deepEqual(
      list.map((w) => [w.path, w.branch, w.main, w.detached, w.locked, w.prunable]),
      [
        ['/r/repo', 'main', true, false, false, false],
        ['/r/repo.worktrees/T-1-x', 'factory/T-1-x', false, false, true, false],
        ['/r/gone', undefined, false, true, false, true],
      ],
    );
    assert.equal(list[1]?.lockedReason, 'being moved');
    assert.equal(list[2]?.head, 'cccc');
  });

  void it('reads the newline format of older git, including a bare main entry and a path with spaces', () => {
    const out = 'worktree /r/bare.git\nbare\n\nworktree /r/my work\nHEAD dddd\nbranch refs/heads/x\nlocked\n\n';
    const list = parseWorktreeList(out);
    assert.equal(list.length, 2);
    assert.equal(list[0]?.bare, true);
    assert.equal(list[1]?.path, '/r/my work');
    assert.equal(list[1]?.locked, true);
    assert.equal(list[1]?.lockedReason, undefined);
  });
});

void describe('parseStatus', () => {
  void it('sorts entries into staged, modified, untracked and conflicted; renames skip their source path', () => {
    const out = ['M  staged.ts', ' M modified.ts', 'MM both.ts', '?? new dir/file.txt', 'R  new.ts', 'old.ts', 'UU conflict.ts', ''].join('\0');
    const s = parseStatus(out);
    assert.deepEqual(s.staged, ['staged.ts', 'both.ts', 'new.ts']);
    assert.deepEqual(s.modified, ['modified.ts', 'both.ts']);
    assert.deepEqual(s.untracked, ['new dir/file.txt']);
    assert.deepEqual(s.conflicted, ['conflict.ts']);
    assert.equal(s.dirty, true);
  });

  void it('an empty status is clean', () => {
    assert.equal(parseStatus('').dirty, false);
  });
});

void describe('parseNameStatus', () => {
  void it('reads kinds and renames with their old path', () => {
    const out = ['M', 'a.ts', 'A', 'b.ts', 'D', 'c.ts', 'R087', 'old name.ts', 'new name.ts', 'T', 'link', ''].join('\0');
    assert.deepEqual(parseNameStatus(out), [
      { path: 'a.ts', kind: 'modified' },
      { path: 'b.ts', kind: 'added' },
      { path: 'c.ts', kind: 'deleted' },
      { path: 'new name.ts', kind: 'renamed', oldPath: 'old name.ts' },
      { path: 'link', kind: 'typechange' },
    ]);
  });
});
