import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DiskUsageWalk, sizeOnDisk } from '../../../src/git/diskUsage';

void describe('DiskUsageWalk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-du-'));
    for (let d = 0; d < 5; d++) {
      mkdirSync(join(dir, `d${d}`, 'nested'), { recursive: true });
      for (let f = 0; f < 40; f++) writeFileSync(join(dir, `d${d}`, 'nested', `f${f}.bin`), Buffer.alloc(8192, f));
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  void it('measured in slices against a deadline, it ends with the same total as one full walk', async () => {
    const full = await sizeOnDisk(dir);
    assert.ok(full >= 200 * 8192, String(full));
    const walk = new DiskUsageWalk(dir);
    let slices = 0;
    while (!(await walk.advance(0))) {
      slices++;
      assert.ok(walk.bytes < full);
    }
    assert.ok(slices > 3, `a deadline in the past still progresses one batch per call (${slices} slices)`);
    assert.equal(walk.bytes, full);
    assert.equal(walk.done, true);
  });

  void it('counts a hard-linked file once', async () => {
    const before = await sizeOnDisk(dir);
    linkSync(join(dir, 'd0', 'nested', 'f0.bin'), join(dir, 'hardlink.bin'));
    assert.equal(await sizeOnDisk(dir), before);
  });

  void it('an aborted walk stops with a cancellation', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(new DiskUsageWalk(dir).advance(Number.POSITIVE_INFINITY, ac.signal), /cancelled/);
  });
});
