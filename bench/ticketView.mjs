// The Tickets view's model alone (src/vscode/tickets/ticketTreeModel.ts, which has no `vscode`
// import), in plain node against a real board made through the store: the longest block of the
// thread from handing it a freshly opened 10,000-ticket board until its groups are built, and
// from each ticket moved through the store until the model rebuilt. The same on a 10-ticket
// board is the reference, measured in the same run.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeBoard } from './lib/board.mjs';
import { bundle } from './lib/bundle.mjs';
import { fmtBlock, measureHostBlock, worstBlock } from './lib/hostBlock.mjs';

export const title = 'The Tickets view model in plain node: first build and rebuilds, longest block';

const SIZES = [10, 10_000];
const MOVES = 6;

export async function run({ root, tmp, log }) {
  const load = loadavg();
  const build = await bundle(root, 'ticketView', ['src/store/sqlBoard.ts', 'src/store/storeWorker.ts', 'src/vscode/tickets/ticketTreeModel.ts']);
  const require = createRequire(import.meta.url);
  const { openBoard } = require(join(build, 'store', 'sqlBoard.js'));
  const { TicketTreeModel } = require(join(build, 'vscode', 'tickets', 'ticketTreeModel.js'));
  const rows = [];
  for (const size of SIZES) {
    const repo = join(tmp, `board-${size}`);
    mkdirSync(repo, { recursive: true });
    log(`${size} tickets: making the board`);
    await makeBoard(join(build, 'store'), repo, size);
    const board = await openBoard({ dir: join(repo, '.factory'), repoRoot: repo, pollMs: 0 });
    const model = new TicketTreeModel();
    try {
      const first = await measureHostBlock(async () => {
        const t0 = performance.now();
        const built = nextChange(model);
        model.setBoard(board);
        await built;
        return performance.now() - t0;
      });
      const moves = [];
      const backlog = board.listTickets({ status: 'BACKLOG' }).slice(0, MOVES / 2);
      const plan = [...backlog.map((t) => [t.id, 'BACKLOG', 'READY']), ...backlog.map((t) => [t.id, 'READY', 'BACKLOG'])];
      for (const [id, from, to] of plan) {
        const rebuilt = nextChange(model);
        await board.write((tx) => tx.transition(id, from, to, 'user'));
        moves.push(await measureHostBlock(() => rebuilt));
      }
      const worst = worstBlock(moves);
      rows.push([String(size), first.result.toFixed(0), fmtBlock(first), fmtBlock(worst)]);
    } finally {
      model.dispose();
      await board.close();
    }
  }
  return {
    tables: [
      {
        title: `One run; load average ${load.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
        columns: ['tickets', 'first build, wall (ms)', 'longest block, first build (delay / gap / CPU, ms)', `longest block over ${MOVES} moves, each until rebuilt (ms)`],
        rows,
      },
    ],
    notes: ['A move is one transition written through the store; its block is measured from the write being on disk until the model fired its change (after its 200 ms coalescing delay).'],
  };
}

function nextChange(model) {
  return new Promise((resolve) => {
    const sub = model.onDidChange(() => {
      sub.dispose();
      resolve();
    });
  });
}
