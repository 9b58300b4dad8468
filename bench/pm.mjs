// One PM cycle on boards of 100, 1,000 and 10,000 tickets (see lib/seedBoard.mjs: 5% active, 500
// at 10,000; 10% as many runs, 1,000 at 10,000, 2% of those still running), against the same reads
// on native SQLite (better-sqlite3) over a copy of the very same database file.
// Measured per cycle: the thread's CPU time (everything the cycle does on the extension host's
// thread), the durable write (from write() to resolved: lock, catch-up, the transaction, journal
// append and fsync), wall time, and the longest block of the thread. After a first cycle (the
// PM's start: it reads the whole board), 16 minutes pass and every active ticket's check-in falls
// due: the next 20 cycles, 30 s apart, make 25 check-ins each ("due", the heaviest cycles there
// are). Then, 15 s apart and before any check-in falls due again, cycles where only the live runs
// reported in ("steady") alternate with cycles where nothing changed at all ("quiet").
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundle } from './lib/bundle.mjs';
import { fmtBlock, measureHostBlock, threadCpuMs, worstBlock } from './lib/hostBlock.mjs';
import { ACTIVE, boardShape, cycleContext, keepRunsAlive, seedBoard } from './lib/seedBoard.mjs';

export const title = 'PM cycle: sql.js board vs the same reads on native SQLite (better-sqlite3)';

const SIZES = [100, 1_000, 10_000];
const CYCLES = 9;
const MIN = 60_000;

export async function run({ root, tmp, log }) {
  const build = await bundle(root, 'pm', ['src/store/sqlBoard.ts', 'src/store/storeWorker.ts', 'src/agents/pm/pmAgent.ts', 'src/agents/pm/settings.ts', 'src/process/localProbe.ts']);
  const require = createRequire(import.meta.url);
  const { openBoard } = require(join(build, 'store', 'sqlBoard.js'));
  const { PmAgent, MAX_CHECKINS_PER_CYCLE } = require(join(build, 'agents', 'pm', 'pmAgent.js'));
  const { DEFAULT_PM_SETTINGS } = require(join(build, 'agents', 'pm', 'settings.js'));
  const { localProcessProbe } = require(join(build, 'process', 'localProbe.js'));
  const Database = require('better-sqlite3');

  const rows = [];
  const targets = [];
  for (const size of SIZES) {
    const { active, runs } = boardShape(size);
    log(`${size} tickets (${active} active, ${runs} runs): generating`);
    const dir = join(tmp, `pm-${size}`, '.factory');
    const clock = { t: Date.now(), now() { return this.t; } };
    let board = await openBoard({ dir, repoRoot: join(dir, '..'), clock, pollMs: 0 });
    await seedBoard(board, clock, size);
    await board.compact();
    await board.close();

    // The same bytes for the native reference: the compacted snapshot is a plain SQLite file.
    const nativeDir = join(tmp, `native-${size}`);
    mkdirSync(nativeDir, { recursive: true });
    copyFileSync(join(dir, 'factory.db'), join(nativeDir, 'factory.db'));
    const db = new Database(join(nativeDir, 'factory.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const nativeMs = mean(Array.from({ length: 4 * CYCLES }, () => nativeReads(db)));
    db.close();

    board = await openBoard({ dir, repoRoot: join(dir, '..'), clock, pollMs: 0 });
    const agent = new PmAgent({
      settings: () => ({ ...DEFAULT_PM_SETTINGS, maxRunMinutes: 100_000, healGraceMinutes: 100_000 }),
      probe: localProcessProbe,
      signals: { activity: async () => undefined, exists: async () => true },
      stopper: { stop: async () => undefined },
    });
    const first = await measureCycle(agent, board, clock);
    const allDue = [];
    const steady = [];
    const quiet = [];
    clock.t += 16 * MIN;
    for (let i = 0; i < Math.ceil(active / MAX_CHECKINS_PER_CYCLE); i++) {
      await keepRunsAlive(board, clock);
      allDue.push(await measureCycle(agent, board, clock));
      clock.t += 30_000;
    }
    for (let i = 0; i < CYCLES; i++) {
      clock.t += 15_000;
      await keepRunsAlive(board, clock);
      steady.push(await measureCycle(agent, board, clock));
      clock.t += 15_000;
      quiet.push(await measureCycle(agent, board, clock));
    }
    await agent.dispose?.();
    await board.close();
    const due = typical(allDue);
    const calm = typical(steady);
    const still = typical(quiet);
    const block = worstBlock([...allDue, ...steady, ...quiet]);
    log(`${size} tickets: steady ${fmt(calm.mainMs)} ms thread CPU, due ${fmt(due.mainMs)} ms, quiet ${fmt(still.mainMs)} ms; native reads ${fmt(nativeMs)} ms`);
    rows.push([size, active, runs, fmt(first.mainMs), fmt(calm.mainMs), fmt(calm.writeMs), fmt(calm.wallMs), fmt(due.mainMs), fmt(due.writeMs), fmt(still.mainMs), fmt(nativeMs), `${(calm.mainMs / nativeMs).toFixed(2)}x`, fmtBlock(block), fmtBlock(first)]);
    if (size === 10_000) {
      targets.push(
        ['thread CPU of a steady cycle at most 20 ms', `${fmt(calm.mainMs)} ms`, calm.mainMs <= 20 ? 'met' : 'MISSED'],
        ['thread CPU of a steady cycle within 2x of native reads', `${(calm.mainMs / nativeMs).toFixed(2)}x`, calm.mainMs <= 2 * nativeMs ? 'met' : 'MISSED'],
        ['thread CPU of a cycle with nothing changed at most 5 ms', `${fmt(still.mainMs)} ms`, still.mainMs <= 5 ? 'met' : 'MISSED'],
        ['longest block of the thread in any cycle after the first at most 16 ms (ELD / tick gap / on-CPU)', `${fmtBlock(block)} ms`, (block.cpuMs ?? block.blockMs) <= 16 ? 'met' : 'MISSED'],
        ['thread CPU with every check-in due (the heaviest cycle, 25 check-ins)', `${fmt(due.mainMs)} ms`, due.mainMs <= 20 ? 'at most 20 ms' : 'over 20 ms'],
      );
    }
  }
  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  return {
    tables: [
      {
        title: `One PM cycle: CPU is the mean (the thread's CPU time; ${CYCLES} steady and quiet cycles, 20 due at 10,000), write and wall the median (ms); load average ${load}`,
        columns: ['tickets', 'active', 'runs', 'first CPU', 'steady CPU', 'steady write', 'steady wall', 'due CPU', 'due write', 'quiet CPU', 'native reads', 'steady CPU / native', 'longest block', 'first cycle block'],
        rows,
      },
      { title: `Targets at 10,000 tickets; load average ${load}`, columns: ['target', 'measured', 'result'], rows: targets },
    ],
    notes: [
      "CPU = the thread's CPU time during the cycle (schedstat; event-loop busy time where that is not available), native reads the same; write = the durable write, from call to resolve (mostly waiting on the lock and fsync, off the thread).",
      "first = the first cycle, which reads the whole board; quiet = a cycle with nothing changed since the last; longest block = the longest time the thread could not run anything else in any cycle after the first, ms: monitorEventLoopDelay / longest gap between 1 ms timer ticks / the thread's longest CPU time between two ticks (schedstat; the first two also count time a loaded machine did not run the thread).",
    ],
  };
}

/** The reads a steady PM cycle of a full read makes, as plain SQL on better-sqlite3. */
function nativeReads(db) {
  const cpu0 = threadCpuMs();
  const t = performance.now();
  const active = db.prepare(`SELECT * FROM tickets WHERE status IN (${ACTIVE.map(() => '?').join(',')})`).all(...ACTIVE);
  db.prepare("SELECT * FROM runs WHERE status IN ('running','queued')").all();
  db.prepare('SELECT status, COUNT(*) AS n FROM tickets GROUP BY status').all();
  const latest = db.prepare('SELECT * FROM checkins WHERE ticket_id = ? ORDER BY created_at DESC LIMIT 1');
  const runsOf = db.prepare('SELECT * FROM runs WHERE ticket_id = ?');
  for (const ticket of active) {
    latest.get(ticket.id);
    latest.get(ticket.id);
    runsOf.all(ticket.id);
  }
  db.prepare("SELECT * FROM tickets WHERE status = 'BLOCKED'").all();
  db.prepare("SELECT * FROM conversations WHERE type = 'pm_checkin' AND status = 'open'").all();
  return cpu0 === undefined ? performance.now() - t : threadCpuMs() - cpu0;
}

async function measureCycle(agent, board, clock) {
  let writeMs = 0;
  const write = board.write.bind(board);
  board.write = async (fn) => {
    const t = performance.now();
    try {
      return await write(fn);
    } finally {
      writeMs += performance.now() - t;
    }
  };
  const elu = performance.eventLoopUtilization();
  const cpu0 = threadCpuMs();
  const t = performance.now();
  const { blockMs, gapMs, cpuMs } = await measureHostBlock(() => agent.runCycle(cycleContext(board, clock)));
  const wallMs = performance.now() - t;
  const busy = performance.eventLoopUtilization(elu);
  const cpu1 = threadCpuMs();
  board.write = write;
  // The thread's CPU time where Linux gives it: event-loop busy time also counts time a loaded machine did not run the thread.
  return { mainMs: cpu0 === undefined ? busy.active : cpu1 - cpu0, writeMs, wallMs, blockMs, gapMs, cpuMs };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The mean: the kernel charges CPU time a scheduler tick at a time, so one sample is coarse but their mean is not biased. */
function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function typical(samples) {
  return { mainMs: mean(samples.map((s) => s.mainMs)), writeMs: median(samples.map((s) => s.writeMs)), wallMs: median(samples.map((s) => s.wallMs)) };
}

function fmt(n) {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
