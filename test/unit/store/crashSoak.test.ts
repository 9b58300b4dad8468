import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { runCrashSoak } from './children/crashSoak';

// The short version of `npm run soak:store` (which kills at least 1,000 times).
it('three writers, 30 SIGKILLs at random moments: no acknowledged write lost, no id used twice', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'af-soak-')), '.factory');
  try {
    const result = await runCrashSoak({ dir, kills: 30, seed: 13, checkEvery: 15 });
    assert.deepEqual(result.lost, []);
    assert.equal(result.duplicateIds, 0);
    assert.deepEqual(result.repairs, [], 'a crash must never look like damage');
    assert.ok(result.acknowledged > 30, `only ${result.acknowledged} writes were acknowledged`);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
