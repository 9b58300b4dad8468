/**
 * A separate process working on a board, for the crash, concurrency and lease tests:
 *   crash-writer <dir> <first>        numbered writes forever, printing "ack <n>" after each resolves
 *   concurrent <dir> <name> <count>   <count> writes, each a ticket plus a read-modify-write counter
 *   lease-holder <dir> <timeoutMs>    holds the "agents" lease, renewing it, printing "held"
 * Anything else exits at once (so a test runner that picks this file up does no harm).
 */
import { openBoard } from '../../../../src/store/sqlBoard';

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
