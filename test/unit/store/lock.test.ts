import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { currentProcess, startTimeOf } from '../../../src/store/processIdentity';
import { openBoard } from '../../../src/store/sqlBoard';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { deadPid } from '../helpers/deadPid';
import { startChild } from './children/spawnChild';
import type { Child } from './children/spawnChild';

const CHILD = join(__dirname, 'children', 'boardChild.js');
const NAMES = ['a', 'b', 'c'];

/** The file's text, or '' when it is not there: another writer may remove it between any two calls. */
function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

function tempBoardDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'af-lock-')), '.factory');
}

/**
 * A lock file as the fallback lock writes it, for a holder that `stamp` describes: linked into
 * place like the real one, so it never overwrites a lock a writer holds (its compaction, say).
 */
async function plantFileLock(dir: string, stamp: Record<string, unknown>, ageMs = 0): Promise<void> {
  const lock = join(dir, 'factory.db.lockfile');
  const tmp = `${lock}.planting`;
  writeFileSync(tmp, JSON.stringify({ ...currentProcess(), token: 'planted0planted0', ...stamp }));
  const t = new Date(Date.now() - ageMs);
  utimesSync(tmp, t, t);
  for (;;) {
    try {
      linkSync(tmp, lock);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  rmSync(tmp);
}

async function startWriters(dir: string, lock: 'os' | 'file'): Promise<Child[]> {
  const writers = NAMES.map((name) => startChild(CHILD, ['round-writer', dir, name, lock], { stdin: true }));
  await Promise.all(writers.map((w) => w.waitForLine(/^ready$/, 60_000)));
  return writers;
}

/** Sends round `n` to every writer and waits for each one's answer; returns the errors. */
async function round(writers: Child[], n: number): Promise<string[]> {
  const answers = writers.map((w, i) => w.waitForLine(new RegExp(`^(ack ${NAMES[i]} ${n}|error .*)$`), 60_000));
  for (const w of writers) w.send(`go ${n}`);
  return (await Promise.all(answers)).filter((line) => line.startsWith('error'));
}

async function expectAllWrites(dir: string, rounds: number): Promise<void> {
  const board = await openBoard({ dir, repoRoot: dir, create: false, pollMs: 0 });
  try {
    const titles = new Set(board.listTickets().map((t) => t.title));
    const missing: string[] = [];
    for (let n = 0; n < rounds; n++) for (const name of NAMES) if (!titles.has(`${name}-${n}`)) missing.push(`${name}-${n}`);
    assert.deepEqual(missing, [], 'acknowledged writes are missing');
    const ids = board.listTickets().map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length, 'an id was handed out twice');
    assert.equal(ids.length, rounds * NAMES.length);
  } finally {
    await board.close();
  }
}

describe('the write lock', () => {
  let dir: string;
  let board: SqlBoard;
  before(async () => {
    dir = tempBoardDir();
    board = await openBoard({ dir, repoRoot: dir, pollMs: 0 });
  });
  after(async () => {
    await board.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it("is the operating system's advisory lock here", () => {
    assert.equal(board.lockMechanism, 'os');
    assert.equal(board.openReport.notes, undefined);
  });

  it('three writers waiting on a holder that is killed: 100 rounds, nothing lost, no error', async () => {
    const shared = tempBoardDir();
    await (await openBoard({ dir: shared, repoRoot: shared, pollMs: 0 })).close();
    const writers = await startWriters(shared, 'os');
    try {
      // A process per round: 100 rounds keep this file within its time on a busy machine (the
      // fallback's 300 rounds below break a stale lock each; the crash soak kills writers too).
      for (let n = 0; n < 100; n++) {
        const holder = startChild(CHILD, ['hold-os-lock', join(shared, 'factory.db.lock')]);
        await holder.waitForLine(/^locked$/);
        const answers = round(writers, n);
        await new Promise((resolve) => setTimeout(resolve, n % 10));
        await holder.kill('SIGKILL');
        assert.deepEqual(await answers, [], `round ${n}`);
      }
    } finally {
      await Promise.all(writers.map((w) => w.kill()));
    }
    await expectAllWrites(shared, 100);
    rmSync(join(shared, '..'), { recursive: true, force: true });
  });

  it('fallback: three writers breaking one dead holder\'s lock file: 300 rounds, nothing lost, no error', async () => {
    const shared = tempBoardDir();
    await (await openBoard({ dir: shared, repoRoot: shared, pollMs: 0, lockMechanism: 'file' })).close();
    const writers = await startWriters(shared, 'file');
    const dead = deadPid();
    try {
      for (let n = 0; n < 300; n++) {
        await plantFileLock(shared, { pid: dead, start: undefined });
        assert.deepEqual(await round(writers, n), [], `round ${n}`);
        // Gone, or held by a writer's compaction by now: never the dead holder's any more.
        const left = readIfThere(join(shared, 'factory.db.lockfile'));
        assert.ok(!left.includes('planted0planted0'), `round ${n}: the dead holder's lock is still there`);
      }
    } finally {
      await Promise.all(writers.map((w) => w.kill()));
    }
    await expectAllWrites(shared, 300);
    rmSync(join(shared, '..'), { recursive: true, force: true });
  });

  it('fallback: a holder killed before or after any step never costs the next writer a wait', async () => {
    const fb = await openBoard({ dir, repoRoot: dir, pollMs: 0, lockMechanism: 'file', lockStaleMs: 10_000 });
    try {
      const dead = deadPid();
      // Killed after writing its stamp, before linking it into place: only a stray stamp file.
      writeFileSync(join(dir, 'factory.db.lockfile.0123456789abcdef'), JSON.stringify({ ...currentProcess(), pid: dead, token: '0123456789abcdef' }));
      let started = Date.now();
      await fb.write((tx) => tx.createTicket({ title: 'after a stray stamp' }, 'user'));
      assert.ok(Date.now() - started < 1000, `waited ${Date.now() - started} ms`);
      // Killed while holding, or between linking and removing its stamp file: a complete lock.
      await plantFileLock(dir, { pid: dead });
      started = Date.now();
      await fb.write((tx) => tx.createTicket({ title: 'after a dead holder' }, 'user'));
      assert.ok(Date.now() - started < 1000, `waited ${Date.now() - started} ms, as if for staleness`);
      // Killed while breaking a lock: the breaker's own lock is dead too.
      await plantFileLock(dir, { pid: dead });
      writeFileSync(join(dir, 'factory.db.lockfile.break'), JSON.stringify({ ...currentProcess(), pid: dead, token: 'fedcba9876543210' }));
      started = Date.now();
      await fb.write((tx) => tx.createTicket({ title: 'after a dead breaker' }, 'user'));
      assert.ok(Date.now() - started < 1000, `waited ${Date.now() - started} ms`);
    } finally {
      await fb.close();
    }
  });

  it('fallback: a pid reused by an unrelated process does not keep the lock', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
    const unrelated = spawn('sleep', ['30']);
    try {
      assert.ok(unrelated.pid !== undefined);
      const start = startTimeOf(unrelated.pid);
      assert.ok(start !== undefined);
      // The stamp names this pid but a process that started at another time.
      await plantFileLock(dir, { pid: unrelated.pid, start: start - 1000 });
      const fb = await openBoard({ dir, repoRoot: dir, pollMs: 0, lockMechanism: 'file', lockStaleMs: 10_000 });
      try {
        const started = Date.now();
        await fb.write((tx) => tx.createTicket({ title: 'after a reused pid' }, 'user'));
        assert.ok(Date.now() - started < 1000, `waited ${Date.now() - started} ms for an unrelated process`);
      } finally {
        await fb.close();
      }
    } finally {
      unrelated.kill();
    }
  });

  it("takes over an earlier version's stale lock folder, and refuses while a fresh one is held", async () => {
    const legacy = tempBoardDir();
    await (await openBoard({ dir: legacy, repoRoot: legacy, pollMs: 0 })).close();
    const lockPath = join(legacy, 'factory.db.lock');
    rmSync(lockPath);
    mkdirSync(lockPath);
    writeFileSync(join(lockPath, 'owner.json'), '{}');
    await assert.rejects(openBoard({ dir: legacy, repoRoot: legacy, pollMs: 0 }), (err: unknown) => err instanceof FactoryError && err.reason === 'store-locked' && /earlier version/.test(err.message));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath, old, old);
    const reopened = await openBoard({ dir: legacy, repoRoot: legacy, pollMs: 0 });
    await reopened.write((tx) => tx.createTicket({ title: 'after the old lock folder' }, 'user'));
    await reopened.close();
    rmSync(join(legacy, '..'), { recursive: true, force: true });
  });

  it('fallback: waits for a live holder on this machine even when its heartbeat is late', async () => {
    await plantFileLock(dir, { pid: process.pid, start: startTimeOf(process.pid) }, 3000);
    const fb = await openBoard({ dir, repoRoot: dir, pollMs: 0, lockMechanism: 'file', lockStaleMs: 1000 });
    try {
      let done = false;
      const write = fb.write((tx) => tx.createTicket({ title: 'after a busy holder' }, 'user')).then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(done, false, 'the lock of a live holder was broken');
      rmSync(join(dir, 'factory.db.lockfile'));
      await write;
    } finally {
      await fb.close();
    }
  });
});
