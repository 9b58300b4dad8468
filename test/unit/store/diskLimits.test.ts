import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { parseFrames } from '../../../src/store/journal';
import { openBoard } from '../../../src/store/sqlBoard';
import { cli } from '../cli/cliProcess';

const isRoot = process.getuid?.() === 0;

function mount(args: string[]): boolean {
  return spawnSync('mount', args).status === 0;
}

function umount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/** Fills the file system holding `dir` until nothing more fits. */
function fillUp(dir: string): string {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(filler, chunk, { flag: 'a' });
    } catch {
      break;
    }
    if (i > 10_000) throw new Error('the disk never filled up');
  }
  // The last partial chunk may have taken the last block: top up byte by byte too.
  for (;;) {
    try {
      writeFileSync(filler, Buffer.alloc(512, 1), { flag: 'a' });
    } catch {
      return filler;
    }
  }
}

describe('a full disk', () => {
  for (const mechanism of ['os', 'file'] as const) {
    it(`refuses the write with a clear message and leaves nothing half made (${mechanism} lock)`, { skip: !isRoot && 'needs root to mount a small tmpfs' }, async () => {
      const mnt = mkdtempSync(join(tmpdir(), 'af-full-'));
      assert.ok(mount(['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]), 'mounting a tmpfs failed');
      try {
        const dir = join(mnt, '.factory');
        const board = await openBoard({ dir, repoRoot: mnt, pollMs: 0, lockMechanism: mechanism });
        try {
          await board.write((tx) => tx.createTicket({ title: 'before the disk filled up' }, 'user'));
          const filler = fillUp(mnt);
          const before = readdirSync(dir).sort();
          await assert.rejects(
            board.write((tx) => tx.createTicket({ title: 'x'.repeat(200), description: 'y'.repeat(20_000) }, 'user')),
            (err: unknown) => err instanceof FactoryError && /the disk holding the board is full .*free some space and try again: nothing was changed/.test(err.message),
          );
          assert.deepEqual(readdirSync(dir).sort(), before, 'no lock or temporary file was left behind');
          assert.equal(board.listTickets().length, 1, 'the refused change is not in memory either');
          rmSync(filler);
          const after = await board.write((tx) => tx.createTicket({ title: 'after space was freed' }, 'user'));
          assert.equal(after.id, 'T-2');
        } finally {
          await board.close();
        }
        const journal = parseFrames(readFileSync(join(dir, 'factory.db.journal')));
        assert.equal(journal.tail, 'none', 'no torn entry was left in the journal');
        const reopened = await openBoard({ dir, repoRoot: mnt, pollMs: 0, create: false });
        assert.deepEqual(
          reopened.listTickets().map((t) => t.title),
          ['before the disk filled up', 'after space was freed'],
        );
        await reopened.close();
      } finally {
        umount(mnt);
        rmSync(mnt, { recursive: true, force: true });
      }
    });
  }
});

describe('a read-only board folder', () => {
  it('opens for reading with a note; every change is refused clearly; the CLI lists it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'af-ro-'));
    const writable = join(root, 'rw', '.factory');
    const board = await openBoard({ dir: writable, repoRoot: join(root, 'rw'), pollMs: 0 });
    await board.write((tx) => tx.createTicket({ title: 'readable' }, 'user'));
    await board.close();
    // As root permissions do not apply: a read-only bind mount stands in for a read-only disk.
    const view = join(root, 'ro');
    let dir = writable;
    if (isRoot) {
      mkdirSync(view);
      assert.ok(mount(['--bind', join(root, 'rw'), view]) && mount(['-o', 'remount,ro,bind', view]), 'a read-only bind mount failed');
      dir = join(view, '.factory');
    } else {
      chmodSync(writable, 0o555);
    }
    const files = readdirSync(dir).sort();
    try {
      const ro = await openBoard({ dir, repoRoot: join(dir, '..'), pollMs: 0, create: false });
      try {
        assert.equal(ro.openReport.readOnly, true);
        assert.match(ro.openReport.notes?.[0] ?? '', /is read-only: the board can be read, but changes are not possible/);
        assert.equal(ro.lockMechanism, 'none');
        assert.deepEqual(
          ro.listTickets().map((t) => t.title),
          ['readable'],
        );
        await assert.rejects(ro.write((tx) => tx.createTicket({ title: 'refused' }, 'user')), (err: unknown) => err instanceof FactoryError && err.reason === 'read-only');
      } finally {
        await ro.close();
      }
      const env = { AGENT_FACTORY_BOARD: dir };
      const list = await cli(['list'], { cwd: root, env });
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /T-1 +Backlog +medium +feature +readable/);
      assert.match(list.stderr, /^agent-factory: note: the board's folder .* is read-only/);
      const create = await cli(['create', 'refused'], { cwd: root, env });
      assert.equal(create.code, 1);
      assert.match(create.stderr, /changes are not possible/);
      assert.deepEqual(readdirSync(dir).sort(), files, 'nothing was created in the folder');
    } finally {
      if (isRoot) umount(view);
      else chmodSync(writable, 0o755);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
