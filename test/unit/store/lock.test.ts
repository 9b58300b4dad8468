import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

function plantLock(dir: string, pid: number, ageMs: number): string {
  const lock = join(dir, 'factory.db.lock');
  mkdirSync(lock);
  writeFileSync(join(lock, 'owner.json'), JSON.stringify({ host: hostname(), pid, token: 'planted' }));
  const t = new Date(Date.now() - ageMs);
  utimesSync(lock, t, t);
  return lock;
}

describe('the write lock', () => {
  let tb: TempBoard;
  before(async () => {
    tb = await makeTempBoard({ lockStaleMs: 2000 });
  });
  after(async () => {
    await tb.dispose();
  });

  it('takes over at once from a holder that died on this machine', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead !== undefined);
    plantLock(tb.dir, dead, 0);
    const started = Date.now();
    await tb.board.write((tx) => tx.createTicket({ title: 'after a dead holder' }, 'user'));
    assert.ok(Date.now() - started < 1500, `waited ${Date.now() - started} ms, as if for staleness`);
  });

  it('waits for a live holder even when its lock looks stale', async () => {
    // A live process that held the lock through a long synchronous stretch: not refreshed, not dead.
    const lock = plantLock(tb.dir, process.pid, 60_000);
    let done = false;
    const write = tb.board.write((tx) => tx.createTicket({ title: 'after a busy holder' }, 'user')).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(done, false, 'the lock of a live holder was broken');
    rmSync(lock, { recursive: true });
    await write;
    assert.equal(done, true);
  });
});
