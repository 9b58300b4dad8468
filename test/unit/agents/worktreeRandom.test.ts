import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSoak, runWorktreeSoak } from '../../soak/worktreeSoak';

// The short, seeded version of `npm run soak:worktrees`.
void describe('Worktrees under random work, cycles and cleanups', () => {
  void it('loses no byte: every removed worktree comes back from its salvage exactly', async () => {
    const result = await runWorktreeSoak({ seed: 21, worktrees: 10, operations: 26 });
    const summary = describeSoak(result);
    assert.deepEqual(result.problems, [], summary);
    assert.equal(result.bytesUnrecoverable, 0, summary);
    assert.equal(result.gitStateMismatches, 0, summary);
    assert.equal(result.foldersChanged, 0, summary);
    assert.ok(result.removed >= 4, `enough removals to mean something: ${summary}`);
    assert.ok(result.bytesVerified > 0, summary);
  });
});
