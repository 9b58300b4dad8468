import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openBoard } from '../../../src/store/sqlBoard';
import { startChild } from './children/spawnChild';

const CHILD = join(__dirname, 'children', 'boardChild.js');

/** Runs node in its own pid and UTS namespace under another host name, where unshare allows it. */
function otherHostWrapper(): string[] | undefined {
  const probe = spawnSync('unshare', ['--pid', '--fork', '--uts', 'sh', '-c', 'hostname af-other-host && hostname'], { encoding: 'utf8' });
  if (probe.status !== 0 || probe.stdout.trim() !== 'af-other-host') return undefined;
  return ['unshare', '--pid', '--fork', '--uts', 'sh', '-c', 'hostname af-other-host && exec "$0" "$@"'];
}

const wrapper = otherHostWrapper();
const skip = wrapper === undefined && 'unshare with new pid and UTS namespaces is not available here (needs root or user namespaces)';

describe('a holder stalled inside a write, under another host name and pid namespace', () => {
  for (const mechanism of ['os', 'file'] as const) {
    it(`${mechanism === 'os' ? "keeps the OS lock however long it stalls" : 'loses the fallback lock after staleMs, and its write is redone, not lost'}`, { skip }, async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'af-stall-')), '.factory');
      const board = await openBoard({ dir, repoRoot: dir, pollMs: 0, lockMechanism: mechanism, lockStaleMs: 1000 });
      const stalled = startChild(CHILD, ['stall-writer', dir, mechanism, 'from the stalled holder', '4000'], { wrapper });
      try {
        await stalled.waitForLine(/^stalling$/, 60_000);
        let done = false;
        const write = board.write((tx) => tx.createTicket({ title: 'from the waiting writer' }, 'user')).then(() => (done = true));
        await new Promise((resolve) => setTimeout(resolve, 2500));
        if (mechanism === 'os') assert.equal(done, false, 'the live holder lost its lock');
        else assert.equal(done, true, 'a holder that cannot be probed counts as gone after staleMs');
        await write;
        await stalled.waitForLine(/^ack$/, 60_000);
        await stalled.exited;
        await board.refresh();
        const tickets = board.listTickets();
        assert.deepEqual(tickets.map((t) => t.title).sort(), ['from the stalled holder', 'from the waiting writer']);
        assert.deepEqual(tickets.map((t) => t.id).sort(), ['T-1', 'T-2']);
        const reopened = await openBoard({ dir, repoRoot: dir, pollMs: 0, create: false });
        assert.equal(reopened.listTickets().length, 2, 'both acknowledged writes are on disk');
        await reopened.close();
      } finally {
        await stalled.kill();
        await board.close();
        rmSync(join(dir, '..'), { recursive: true, force: true });
      }
    });
  }
});
