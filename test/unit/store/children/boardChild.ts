/**
 * A separate process working on a board, for the crash, concurrency and lease tests:
 *   crash-writer <dir> <first>        numbered writes forever, printing "ack <n>" after each resolves
 *   concurrent <dir> <name> <count>   <count> writes, each a ticket plus a read-modify-write counter
 *   lease-holder <dir> <timeoutMs>    holds the "agents" lease, renewing it, printing "held"
 *   round-writer <dir> <name> <lock>  one write per "go <n>" line on stdin (ticket "<name>-<n>"),
 *                                     printing "ack <name> <n>" or "error <message>"; lock: os | file
 *   stall-writer <dir> <lock> <title> <ms>  one write that stalls <ms> inside its transaction
 *                                     (after printing "stalling"), then "ack"
 *   hold-os-lock <lockFile>           takes the OS lock on <lockFile>, prints "locked", waits forever
 *   soak-writer <dir> <name> <first> <lock>  writes "<name>-<n>" from <first> on, forever, printing
 *                                     "ack <name> <n>" after each resolves (compacting often)
 * Anything else exits at once (so a test runner that picks this file up does no harm).
 */
import { writeSync } from 'node:fs';
import { openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { openBoard } from '../../../../src/store/sqlBoard';

/** Straight to the pipe, so a parent reading it sees the line before this process stalls. */
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

async function main(): Promise<void> {
  const [mode, dir, a, b] = process.argv.slice(2);
  if (mode === undefined || dir === undefined) return;
  const common = { dir, repoRoot: dir, pollMs: 0, lockStaleMs: 2000 };
  if (mode === 'crash-writer') {
    // A small compaction threshold, so kills also land inside compactions.
    const board = await openBoard({ ...common, compactBytes: 16 * 1024 });
    for (let n = Number(a); ; n++) {
      await board.write((tx) => {
        const t = tx.createTicket({ title: `w-${n}`, description: `write number ${n} ${'·'.repeat(n % 200)}` }, 'cli');
        if (n % 3 === 0) tx.transition(t.id, 'BACKLOG', 'READY', 'cli');
      });
      process.stdout.write(`ack ${n}\n`);
    }
  } else if (mode === 'concurrent') {
    const board = await openBoard({ ...common, compactBytes: 64 * 1024 });
    for (let i = 1; i <= Number(b); i++) {
      await board.write((tx) => {
        tx.createTicket({ title: `${a}-${i}` }, 'cli');
        tx.setMeta('counter', String(Number(tx.getMeta('counter') ?? '0') + 1));
      });
    }
    await board.close();
    process.stdout.write('done\n');
  } else if (mode === 'round-writer') {
    const board = await openBoard({ ...common, lockMechanism: b === 'file' ? 'file' : 'os', lockStaleMs: 1000, compactBytes: 32 * 1024 });
    say('ready');
    for await (const line of createInterface({ input: process.stdin })) {
      const n = line.startsWith('go ') ? line.slice(3) : undefined;
      if (n === undefined) break;
      try {
        await board.write((tx) => tx.createTicket({ title: `${a}-${n}` }, 'cli'));
        say(`ack ${a} ${n}`);
      } catch (err) {
        say(`error ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await board.close();
  } else if (mode === 'stall-writer') {
    const [, , lock, title, ms] = process.argv.slice(2);
    const board = await openBoard({ ...common, lockMechanism: lock === 'file' ? 'file' : 'os', lockStaleMs: 1000 });
    say(`pid ${process.pid}`);
    await board.write((tx) => {
      tx.createTicket({ title: title ?? 'stalled' }, 'cli');
      say('stalling');
      const until = Date.now() + Number(ms);
      while (Date.now() < until) {
        // A holder stalled inside its write: its event loop does not run (no heartbeat either).
      }
    });
    say('ack');
    await board.close();
  } else if (mode === 'soak-writer') {
    const [, , name, first, lock] = process.argv.slice(2);
    const board = await openBoard({ ...common, lockMechanism: lock === 'file' ? 'file' : 'os', lockStaleMs: 1000, compactBytes: 16 * 1024 });
    for (let n = Number(first); ; n++) {
      await board.write((tx) => {
        const t = tx.createTicket({ title: `${name}-${n}`, description: `${'·'.repeat(n % 300)}` }, 'cli');
        if (n % 3 === 0) tx.transition(t.id, 'BACKLOG', 'READY', 'cli');
      });
      say(`ack ${name} ${n}`);
    }
  } else if (mode === 'hold-os-lock') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same addon the store uses
    const lib = require('fs-native-extensions') as { tryLock(fd: number): boolean };
    const fd = openSync(dir, 'a+');
    while (!lib.tryLock(fd)) await new Promise((resolve) => setTimeout(resolve, 1));
    say('locked');
    setInterval(() => undefined, 60_000);
  } else if (mode === 'lease-holder') {
    const board = await openBoard(common);
    const timeoutMs = Number(a);
    const renew = async (): Promise<void> => {
      if (await board.acquireLease('agents', timeoutMs)) process.stdout.write(`held ${board.ownerId}\n`);
    };
    await renew();
    setInterval(() => void renew(), Math.max(50, Math.floor(timeoutMs / 5)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
