import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSoak, runWorktreeSoak } from '../../soak/worktreeSoak';

// The short, seeded version of `npm run soak:worktrees`: small enough to stay well inside the
// per-file time guard on a machine shared by many test runs (about a minute at a load of 12).
void describe('Worktrees under random work, cycles and cleanups', () => {
  void it('loses no byte: every removed worktree comes back from its salvage exactly', async () => {
    const result = await runWorktreeSoak({ seed: 21, worktrees: 6, operations: 16 });
    const summary = describeSoak(result);
    assert.deepEqual(result.problems, [], summary);
    assert.equal(result.bytesUnrecoverable, 0, summary);
    assert.equal(result.gitStateMismatches, 0, summary);
    assert.equal(result.foldersChanged, 0, summary);
    assert.ok(result.removed >= 1, `a removal to check: ${summary}`);
    assert.ok(result.bytesVerified > 0, summary);
  });
});
