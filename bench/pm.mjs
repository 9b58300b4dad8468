// One PM cycle on boards of 100, 1,000 and 10,000 tickets (each with 5 history rows, 2 check-ins
// and 3 messages; 5% of them active, 500 at 10,000; 10% as many runs, 1,000 at 10,000, 2% of
// those still running), against the same reads on native SQLite (better-sqlite3) over a copy of
// the very same database file.
// Measured per cycle: main-thread time (event-loop utilization: everything the cycle does on the
// extension host's thread), the durable write (from write() to resolved: lock, catch-up, the
// transaction, journal append and fsync), and wall time. Two cycles: "steady" (no check-in due)
// and "all due" (every active ticket gets a check-in, the heaviest cycle there is).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundle } from './lib/bundle.mjs';

export const title = 'PM cycle: sql.js board vs the same reads on native SQLite (better-sqlite3)';

const SIZES = [100, 1_000, 10_000];
const CYCLES = 5;
const ACTIVE = ['IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'];
const PIPELINE = ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE'];
const FINDINGS = { progressPercent: 40, concerns: [], blockers: [], achievements: ['3 commits'], evidence: ['3 files changed'], stalled: false };
const MIN = 60_000;

export async function run({ root, tmp, log }) {
  const build = await bundle(root, 'pm', ['src/store/sqlBoard.ts', 'src/store/storeWorker.ts', 'src/agents/pm/pmAgent.ts', 'src/agents/pm/settings.ts', 'src/agents/pm/liveness.ts']);
  const require = createRequire(import.meta.url);
  const { openBoard } = require(join(build, 'store', 'sqlBoard.js'));
  const { PmAgent } = require(join(build, 'agents', 'pm', 'pmAgent.js'));
  const { DEFAULT_PM_SETTINGS } = require(join(build, 'agents', 'pm', 'settings.js'));
  const { localProcessProbe } = require(join(build, 'agents', 'pm', 'liveness.js'));
  const Database = require('better-sqlite3');

  const rows = [];
  const targets = [];
  for (const size of SIZES) {
    const active = Math.round(size * 0.05);
    const runs = Math.round(size * 0.1);
    log(`${size} tickets (${active} active, ${runs} runs): generating`);
    const dir = join(tmp, `pm-${size}`, '.factory');
    const clock = { t: Date.now(), now() { return this.t; } };
    let board = await openBoard({ dir, repoRoot: join(dir, '..'), clock, pollMs: 0 });
    await board.write((tx) => {
      const ids = [];
      for (let i = 0; i < size; i++) {
        const t = tx.createTicket({ title: `Ticket ${i}: make the thing work`, description: 'As a user I want it.\n', acceptanceCriteria: ['works'] }, 'user');
        ids.push(t.id);
        // Five history rows or more: creation, then moves; the active ones end in an active status.
        const target = i < active ? ACTIVE[i % ACTIVE.length] : i % 3 === 0 ? 'DONE' : 'BACKLOG';
        if (target === 'BACKLOG') {
          for (let b = 0; b < 2; b++) {
            tx.transition(t.id, 'BACKLOG', 'READY', 'user');
            tx.transition(t.id, 'READY', 'BACKLOG', 'user');
          }
        } else {
          for (let s = 1; s <= PIPELINE.indexOf(target); s++) tx.transition(t.id, PIPELINE[s - 1], PIPELINE[s], 'runner');
        }
        const conv = tx.createConversation({ ticketId: t.id, type: 'pm_checkin', title: 'PM check-ins', key: 'pm' });
        for (let c = 0; c < 2; c++) tx.addCheckIn({ ticketId: t.id, type: 'progress', summary: 'Progress 40%', findings: FINDINGS, actionRequired: false, conversationId: conv.id });
        for (let m = 0; m < 3; m++) tx.addMessage({ conversationId: conv.id, author: 'PM', kind: 'checkin', body: `Check-in ${m}: progress 40%.` });
      }
      for (let r = 0; r < runs; r++) {
        const ticketId = ids[r % Math.max(1, active)];
        const ticket = tx.getTicket(ticketId);
        const live = r < runs * 0.02;
        const run = tx.createRun({ ticketId, stage: ticket.status, agent: 'bench-agent', status: 'running' });
        if (!live) tx.updateRun(run.id, { status: r % 4 === 0 ? 'failed' : 'succeeded', endedAt: clock.now(), exitCode: r % 4 === 0 ? 1 : 0 });
      }
    });
    await board.compact();
    await board.close();

    // The same bytes for the native reference: the compacted snapshot is a plain SQLite file.
    const nativeDir = join(tmp, `native-${size}`);
    mkdirSync(nativeDir, { recursive: true });
    copyFileSync(join(dir, 'factory.db'), join(nativeDir, 'factory.db'));
    const db = new Database(join(nativeDir, 'factory.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const nativeMs = median(Array.from({ length: CYCLES }, () => nativeReads(db)));
    db.close();

    board = await openBoard({ dir, repoRoot: join(dir, '..'), clock, pollMs: 0 });
    const keepRunsAlive = () => board.write((tx) => {
      for (const r of tx.listRuns({ status: 'running' })) tx.updateRun(r.id, { heartbeatAt: clock.now(), lastOutputAt: clock.now() });
    });
    const agent = new PmAgent({
      settings: () => ({ ...DEFAULT_PM_SETTINGS, maxRunMinutes: 100_000, healGraceMinutes: 100_000 }),
      probe: localProcessProbe,
      signals: { activity: async () => undefined, exists: async () => true },
      stopper: { stop: async () => undefined },
    });
    // Each round: 16 minutes later every check-in is due ("due"), a minute later none is ("steady").
    const allDue = [];
    const steady = [];
    for (let i = 0; i < CYCLES; i++) {
      clock.t += 16 * MIN;
      await keepRunsAlive();
      allDue.push(await measureCycle(agent, board, clock));
      clock.t += MIN;
      await keepRunsAlive();
      steady.push(await measureCycle(agent, board, clock));
    }
    await board.close();
    const due = medianOf(allDue);
    const calm = medianOf(steady);
    log(`${size} tickets: steady ${fmt(calm.mainMs)} ms main thread, due ${fmt(due.mainMs)} ms; native reads ${fmt(nativeMs)} ms`);
    rows.push([size, active, runs, fmt(calm.mainMs), fmt(calm.writeMs), fmt(calm.wallMs), fmt(due.mainMs), fmt(due.writeMs), fmt(due.wallMs), fmt(nativeMs), `${(calm.mainMs / nativeMs).toFixed(2)}x`]);
    if (size === 10_000) {
      targets.push(
        ['main-thread time of a steady cycle under 20 ms', `${fmt(calm.mainMs)} ms`, calm.mainMs < 20 ? 'met' : 'MISSED'],
        ['main-thread time of a steady cycle within 2x of native reads', `${(calm.mainMs / nativeMs).toFixed(2)}x`, calm.mainMs <= 2 * nativeMs ? 'met' : 'MISSED'],
        ['main-thread time with every check-in due (heaviest cycle, capped per cycle)', `${fmt(due.mainMs)} ms`, due.mainMs < 20 ? 'under 20 ms' : 'over 20 ms'],
      );
    }
  }
  return {
    tables: [
      {
        title: `One PM cycle, median of ${CYCLES} (ms)`,
        columns: ['tickets', 'active', 'runs', 'steady main', 'steady write', 'steady wall', 'due main', 'due write', 'due wall', 'native reads', 'steady main / native'],
        rows,
      },
      { title: 'Targets at 10,000 tickets', columns: ['target', 'measured', 'result'], rows: targets },
    ],
    notes: ['main = event-loop busy time during the cycle; write = the durable write, from call to resolve (mostly waiting on the lock and fsync, off the thread).'],
  };
}

/** The reads a steady PM cycle makes, as plain SQL on better-sqlite3. */
function nativeReads(db) {
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
  return performance.now() - t;
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
  const t = performance.now();
  await agent.runCycle({ board, clock, log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, setActivity() {} });
  const wallMs = performance.now() - t;
  const busy = performance.eventLoopUtilization(elu);
  board.write = write;
  return { mainMs: busy.active, writeMs, wallMs };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function medianOf(samples) {
  return { mainMs: median(samples.map((s) => s.mainMs)), writeMs: median(samples.map((s) => s.writeMs)), wallMs: median(samples.map((s) => s.wallMs)) };
}

function fmt(n) {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
