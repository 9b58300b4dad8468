import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanupVerdict, type CleanupFacts } from '../../../src/git/cleanupPolicy';

const clean = { dirty: false, staged: [], modified: [], untracked: [], conflicted: [] };
const facts = (more: Partial<CleanupFacts>): CleanupFacts => ({
  finished: true, locked: false, status: clean, merged: true, submodules: [], branch: 'factory/T-1-x', base: 'main', ...more,
});

void describe('cleanupVerdict', () => {
  void it('removes only a finished, unlocked, clean, merged worktree without submodules', () => {
    assert.deepEqual(cleanupVerdict(facts({})), { decision: 'remove', why: 'clean and merged into main' });
  });

  void it('never removes a worktree in use, whatever its state', () => {
    const v = cleanupVerdict(facts({ finished: false, inUse: 'T-2 is IN_QA' }));
    assert.equal(v.decision, 'keep');
    assert.equal(v.why, 'T-2 is IN_QA');
  });

  void it('asks before removing dirty or unmerged work, counting files once', () => {
    const dirty = cleanupVerdict(facts({ status: { ...clean, dirty: true, staged: ['a'], modified: ['a', 'b'], untracked: ['c'] } }));
    assert.deepEqual([dirty.decision, dirty.keptBecause, dirty.why], ['confirm', 'dirty', '3 uncommitted or untracked files']);
    const unmerged = cleanupVerdict(facts({ merged: false }));
    assert.deepEqual([unmerged.decision, unmerged.keptBecause], ['confirm', 'unmerged']);
    assert.match(unmerged.why, /factory\/T-1-x has commits not in main/);
  });

  void it('keeps locked worktrees and ones with submodules even when the user would confirm', () => {
    assert.equal(cleanupVerdict(facts({ locked: true, lockedReason: 'usb', status: { ...clean, dirty: true, untracked: ['x'] } })).keptBecause, 'locked');
    const sub = cleanupVerdict(facts({ submodules: ['vendor/lib'], status: { ...clean, dirty: true, modified: ['vendor/lib'] } }));
    assert.deepEqual([sub.decision, sub.keptBecause], ['keep', 'submodules']);
  });
});
