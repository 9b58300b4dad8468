import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeWatch } from '../../../src/store/changeWatch';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'af-watch-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'journal'), '');
  return dir;
}

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

describe('ChangeWatch', () => {
  it('looks when the file changes or is replaced, not on a timer, and not for other files', async () => {
    const dir = folder();
    let looks = 0;
    // Periods far longer than the test: every look comes from a notice.
    const watch = new ChangeWatch({ dir, file: 'journal', pollMs: 60_000, watchedPollMs: 60_000, look: async () => void looks++ });
    try {
      assert.equal(watch.watching, true);
      await sleep(100);
      assert.equal(looks, 0, 'a quiet folder is not looked at');
      appendFileSync(join(dir, 'journal'), 'an entry\n');
      await until('the append is looked at', () => looks === 1);
      writeFileSync(join(dir, 'journal.lock'), 'x');
      writeFileSync(join(dir, 'other'), 'x');
      await sleep(150);
      assert.equal(looks, 1, 'changes to other files are not looked at');
      // A compaction elsewhere replaces the file.
      writeFileSync(join(dir, 'journal.tmp'), '');
      renameSync(join(dir, 'journal.tmp'), join(dir, 'journal'));
      await until('the replacement is looked at', () => looks === 2);
    } finally {
      watch.dispose();
    }
  });

  it('looks again after a look that a notice arrived during, and never runs two looks at once', async () => {
    const dir = folder();
    let looks = 0;
    let running = 0;
    let overlapped = false;
    let release = (): void => {};
    const watch = new ChangeWatch({
      dir,
      file: 'journal',
      pollMs: 60_000,
      watchedPollMs: 60_000,
      look: async () => {
        looks++;
        running++;
        overlapped ||= running > 1;
        if (looks === 1) await new Promise<void>((resolve) => (release = resolve));
        running--;
      },
    });
    try {
      appendFileSync(join(dir, 'journal'), 'first\n');
      await until('the first look started', () => looks === 1);
      appendFileSync(join(dir, 'journal'), 'second, during the first look\n');
      await sleep(100);
      assert.equal(looks, 1, 'no second look while the first runs');
      release();
      await until('the write during the look is looked at', () => looks === 2);
      assert.equal(overlapped, false);
    } finally {
      watch.dispose();
    }
  });

  it('polls at the short period where the folder cannot be watched', async () => {
    const missing = join(folder(), 'gone');
    let looks = 0;
    const watch = new ChangeWatch({ dir: missing, file: 'journal', pollMs: 50, look: async () => void looks++ });
    try {
      assert.equal(watch.watching, false);
      await until('it polled a few times', () => looks >= 3);
    } finally {
      watch.dispose();
    }
  });

  it('looks at the watched period too, for notices that never come', async () => {
    const dir = folder();
    let looks = 0;
    const watch = new ChangeWatch({ dir, file: 'journal', pollMs: 20, watchedPollMs: 50, look: async () => void looks++ });
    try {
      await until('it looked without a notice', () => looks >= 2);
    } finally {
      watch.dispose();
    }
    const settled = looks;
    await sleep(150);
    assert.equal(looks, settled, 'nothing after dispose');
  });
});
