import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBoard } from '../../../src/store/sqlBoard';
import { startChild } from './children/spawnChild';

const CHILD = join(__dirname, 'children', 'boardChild.js');

function tempDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'af-proc-')), '.factory');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('crashes and concurrent processes', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('survives 50 SIGKILLs at random moments without losing an acknowledged write', async () => {
    const acked = new Set<number>();
    let next = 1;
    let killedWhileWriting = 0;
    for (let round = 0; round < 50; round++) {
      const child = startChild(CHILD, ['crash-writer', dir, String(next)]);
      if (round % 5 === 4) {
        // Now and then while it is still opening (reading, repairing, migrating).
        await sleep(Math.random() * 150);
      } else {
        await child.waitForLine(/^ack /);
        await sleep(Math.random() * 120);
        killedWhileWriting++;
      }
      await child.kill('SIGKILL');
      for (const line of child.lines) if (line.startsWith('ack ')) acked.add(Number(line.slice(4)));

      const board = await openBoard({ dir, repoRoot: dir, create: false, pollMs: 0 });
      try {
        assert.equal(board.openReport.restored, false, `round ${round}: a crash must never look like damage (${board.openReport.message ?? ''})`);
        const tickets = board.listTickets();
        const numbers = new Set(tickets.map((t) => Number(t.title.slice(2))));
        for (const n of acked) assert.ok(numbers.has(n), `round ${round}: acknowledged write ${n} is missing`);
        // Consistent: ids are contiguous, the counter continues them, each has its creation row.
        tickets.forEach((t, i) => assert.equal(t.id, `T-${i + 1}`));
        assert.equal(board.getMeta('next_ticket_number'), String(tickets.length + 1));
        for (const t of tickets.slice(-3)) assert.equal(board.history(t.id)[0]?.note, 'created');
        next = Math.max(0, ...numbers) + 1;
      } finally {
        await board.close();
      }
    }
    assert.ok(acked.size > 50, `only ${acked.size} writes were acknowledged`);
    assert.ok(killedWhileWriting >= 40);
  });

  it('keeps all 1,000 changes of two processes writing at the same time', async () => {
    const shared = tempDir();
    try {
      // Create the board first so both children open the same one.
      await (await openBoard({ dir: shared, repoRoot: shared, pollMs: 0 })).close();
      const a = startChild(CHILD, ['concurrent', shared, 'a', '500']);
      const b = startChild(CHILD, ['concurrent', shared, 'b', '500']);
      await Promise.all([a.waitForLine(/^done$/, 240_000), b.waitForLine(/^done$/, 240_000)]);
      await Promise.all([a.exited, b.exited]);
      const board = await openBoard({ dir: shared, repoRoot: shared, create: false, pollMs: 0 });
      try {
        const titles = new Set(board.listTickets().map((t) => t.title));
        assert.equal(titles.size, 1000);
        for (let i = 1; i <= 500; i++) assert.ok(titles.has(`a-${i}`) && titles.has(`b-${i}`), `change ${i} missing`);
        // A read-modify-write from both sides: any lost update would show here.
        assert.equal(board.getMeta('counter'), '1000');
      } finally {
        await board.close();
      }
    } finally {
      rmSync(join(shared, '..'), { recursive: true, force: true });
    }
  });
});

describe('the agents lease', () => {
  it('stays with a live holder and passes on after a killed holder times out', async () => {
    const dir = tempDir();
    const timeoutMs = 1500;
    const board = await openBoard({ dir, repoRoot: dir, pollMs: 0 });
    const holder = startChild(CHILD, ['lease-holder', dir, String(timeoutMs)]);
    try {
      const held = await holder.waitForLine(/^held /);
      const holderId = held.slice(5);
      for (let i = 0; i < 8; i++) {
        assert.equal(await board.acquireLease('agents', timeoutMs), false, 'a live holder keeps the lease');
        await sleep(300);
      }
      assert.equal(board.getLease('agents')?.owner, holderId);
      assert.equal(board.isLeaseLive(board.getLease('agents'), timeoutMs), true);

      await holder.kill('SIGKILL');
      const killedAt = Date.now();
      assert.equal(await board.acquireLease('agents', timeoutMs), false, 'not before the timeout');
      let tookOver = false;
      while (!tookOver && Date.now() - killedAt < timeoutMs + 3000) {
        await sleep(100);
        tookOver = await board.acquireLease('agents', timeoutMs);
      }
      assert.ok(tookOver, 'the lease passed on after the timeout');
      assert.equal(board.getLease('agents')?.owner, board.ownerId);
      assert.ok(Date.now() - killedAt <= timeoutMs + 1000);
    } finally {
      await holder.kill();
      await board.close();
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
