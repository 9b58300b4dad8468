// The board's store against native SQLite (better-sqlite3, WAL, synchronous=FULL) on boards of
// 100, 1,000 and 10,000 tickets, each with 5 history rows, 2 check-ins and 3 messages.
// Measured: cold open in a fresh process (wasm load + open + migrate), durable single-ticket
// transition latency p50/p95 over 200 transitions, the longest block of the calling thread during
// them (event-loop delay), the same again while a compaction runs in the store's worker thread,
// reading every ticket, and memory after a cold open.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bundle } from './lib/bundle.mjs';

export const title = 'Store: sql.js + journal vs native SQLite (better-sqlite3, WAL, synchronous=FULL)';

const SIZES = [100, 1_000, 10_000];
const TRANSITIONS = 200;
const OPEN_RUNS = 3;
const FINDINGS = { progressPercent: 40, concerns: ['no commits for 20 minutes'], blockers: [], achievements: ['3 commits'], evidence: ['3 files changed'], stalled: false };
const DESCRIPTION = 'As a user I want the thing to work.\n\n- [ ] it works\n- [ ] it has tests\n'.repeat(3);

export async function run({ root, tmp, log }) {
  const build = await bundle(root, 'store', ['src/store/sqlBoard.ts', 'src/store/storeWorker.ts', 'src/store/sqlite.ts', 'src/store/schema.ts']);
  const require = createRequire(import.meta.url);
  const { openBoard } = require(join(build, 'sqlBoard.js'));
  const { MIGRATIONS } = require(join(build, 'schema.js'));
  const Database = require('better-sqlite3');

  const loadBefore = loadavg()[0];
  const rows = [];
  const ratios = [];
  const targets = [];
  const breakdown = [];
  const heap = [];
  for (const size of SIZES) {
    log(`${size} tickets: generating`);
    const dir = join(tmp, `sqljs-${size}`, '.factory');
    let board = await openBoard({ dir, repoRoot: join(dir, '..') });
    let t = performance.now();
    await board.write((tx) => {
      for (let i = 0; i < size; i++) {
        const ticket = tx.createTicket({ title: `Ticket ${i}: make the thing work`, description: DESCRIPTION, acceptanceCriteria: ['works', 'has tests'], labels: ['bench'] }, 'user');
        tx.transition(ticket.id, 'BACKLOG', 'READY', 'user');
        tx.transition(ticket.id, 'READY', 'IN_DEV', 'runner');
        tx.transition(ticket.id, 'IN_DEV', 'IN_QA', 'runner');
        tx.transition(ticket.id, 'IN_QA', 'IN_UX', 'runner');
        const conv = tx.createConversation({ ticketId: ticket.id, type: 'pm_checkin', title: 'PM check-in', key: 'pm' });
        for (let c = 0; c < 2; c++) tx.addCheckIn({ ticketId: ticket.id, type: 'review', summary: 'Progress 40%, one concern', findings: FINDINGS, actionRequired: false, conversationId: conv.id });
        for (let m = 0; m < 3; m++) tx.addMessage({ conversationId: conv.id, author: 'PM', kind: 'checkin', body: `Check-in ${m}: progress 40%, no commits for 20 minutes.` });
      }
    });
    const genWrite = performance.now() - t;
    t = performance.now();
    await board.compact();
    const genCompact = performance.now() - t;
    await board.close();
    log(`${size} tickets: generated in ${fmt(genWrite)} ms, first compaction ${fmt(genCompact)} ms`);

    const nativeFile = join(tmp, `native-${size}`, 'factory.db');
    mkdirSync(join(nativeFile, '..'), { recursive: true });
    generateNative(Database, MIGRATIONS, nativeFile, size);

    // Each measurement in a fresh process: cold wasm load, no garbage from the generation above.
    log(`${size} tickets: cold opens and ${TRANSITIONS} transitions per engine`);
    const sqlOpen = median(Array.from({ length: OPEN_RUNS }, () => probe(['open', 'sqljs', build, dir])), 'totalMs');
    const nativeOpen = median(Array.from({ length: OPEN_RUNS }, () => probe(['open', 'native', nativeFile])), 'totalMs');
    const held = probe(['heap', 'sqljs', build, dir]);
    heap.push(`${size.toLocaleString('en-US')}: ${fmt(held.heldMB)} MB (${Math.round(held.bytesPerTicket)} B a ticket)`);
    const sql = probe(['transitions', 'sqljs', build, dir, String(TRANSITIONS)]);
    const sqlCompacting = probe(['compacting', 'sqljs', build, dir, String(TRANSITIONS)]);
    const native = probe(['transitions', 'native', nativeFile, String(TRANSITIONS)]);

    const snapshotMB = statSync(join(dir, 'factory.db')).size / 2 ** 20;
    const nativeMB = statSync(nativeFile).size / 2 ** 20;
    rows.push(
      [size, 'sql.js + journal', fmt(sqlOpen.wasmMs), fmt(sqlOpen.openMs), fmt(sqlOpen.totalMs), fmt(sqlOpen.cpuMs), fmt(sql.p50), fmt(sql.p95), fmt(sql.maxBlock), `${fmt(sqlCompacting.p50)} / ${fmt(sqlCompacting.maxBlock)}`, `${fmt(sqlOpen.listColdMs)} / ${fmt(sqlOpen.listWarmMs)}`, fmt(sqlOpen.rssMB), fmt(snapshotMB)],
      [size, 'better-sqlite3', '-', fmt(nativeOpen.openMs), fmt(nativeOpen.totalMs), fmt(nativeOpen.cpuMs), fmt(native.p50), fmt(native.p95), fmt(native.maxBlock), '-', fmt(nativeOpen.listColdMs), fmt(nativeOpen.rssMB), fmt(nativeMB)],
    );
    const p = sql.phases;
    if (p) breakdown.push([size, sql.lock, fmt(p.lock), fmt(p.catchUp), fmt(p.statement), fmt(p.encode), fmt(p.append), fmt(p.sync), fmt(p.verify), fmt(p.release), fmt(p.total), fmt(native.p50)]);
    ratios.push([size, `${(sqlOpen.totalMs / nativeOpen.totalMs).toFixed(1)}x`, `${(sql.p50 / native.p50).toFixed(2)}x`, `${(sql.p95 / native.p95).toFixed(2)}x`, `${(sql.maxBlock / native.maxBlock).toFixed(2)}x`, `${(sqlOpen.rssMB / nativeOpen.rssMB).toFixed(1)}x`]);
    if (size === 10_000) {
      targets.push(
        ['transition p50 within 2x of native', `${(sql.p50 / native.p50).toFixed(2)}x`, sql.p50 <= 2 * native.p50 ? 'met' : 'MISSED'],
        ['transition p95 within 3x of native', `${(sql.p95 / native.p95).toFixed(2)}x`, sql.p95 <= 3 * native.p95 ? 'met' : 'MISSED'],
        ['open under 300 ms', `${fmt(sqlOpen.totalMs)} ms (CPU ${fmt(sqlOpen.cpuMs)} ms)`, sqlOpen.totalMs < 300 ? 'met' : 'MISSED'],
        ['no synchronous block over 50 ms', `${fmt(sql.maxBlock)} ms (${fmt(sqlCompacting.maxBlock)} ms while compacting)`, Math.max(sql.maxBlock, sqlCompacting.maxBlock) <= 50 ? 'met' : 'MISSED'],
      );
    }
  }
  return {
    tables: [
      {
        title: 'Per board size (times in ms, memory in MB; open = fresh process, median of 3)',
        columns: ['tickets', 'engine', 'wasm load', 'open', 'open total', 'open CPU', 'transition p50', 'p95', 'max block', 'compacting: p50 / max block', 'list all (cold / warm)', 'rss after open', 'db file'],
        rows,
      },
      { title: 'sql.js store / native (lower is better)', columns: ['tickets', 'open', 'transition p50', 'p95', 'max block', 'rss'], rows: ratios },
      {
        title: "Where a durable transition's time goes (median of each phase over the 200 transitions, ms; the floor is one append and one sync)",
        columns: ['tickets', 'lock kind', 'lock', 'catch-up', 'statement', 'encode', 'append', 'sync', 'verify', 'release', 'total', 'native p50'],
        rows: breakdown,
      },
      { title: 'Targets at 10,000 tickets', columns: ['target', 'measured', 'result'], rows: targets },
    ],
    notes: [
      `Machine: ${cpus().length} CPUs, load average ${loadBefore.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end; node ${process.version}.`,
      'A transition is durable when it resolves: the store appends a checksummed journal entry and fdatasyncs it under a cross-process lock;',
      'better-sqlite3 commits in WAL mode with synchronous=FULL. "max block" is the longest event-loop delay seen during the 200 transitions',
      '(native SQLite blocks the thread for each whole commit; the store only for the in-memory part). "compacting" repeats the 200',
      'transitions while a compaction of the whole board runs in its worker thread. Event-loop delay also counts time the OS did not schedule the process: compare with the native row, and',
      'with the load average printed above, before blaming the code. "open CPU" is the CPU time the open took (all threads), which a',
      'loaded machine inflates far less than wall time. "list all" reads every ticket as the PM cycle does.',
      `Heap the store keeps for its decoded tickets (every ticket read once; V8's heap in use after a full collection, before and after): ${heap.join('; ')}.`,
    ],
  };
}

function generateNative(Database, migrations, file, size) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  const now = Date.now();
  db.transaction(() => {
    for (const m of migrations) {
      for (const sql of m.statements) db.prepare(sql).run();
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    }
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(migrations.at(-1).version));
    const ticket = db.prepare(`INSERT INTO tickets (id, num, title, description, acceptance_criteria, priority, type, labels, source, status, heal_count, created_at, updated_at, status_since)
      VALUES (?, ?, ?, ?, ?, 3, 'feature', '["bench"]', 'user', 'IN_UX', 0, ?, ?, ?)`);
    const history = db.prepare('INSERT INTO ticket_history (ticket_id, from_status, to_status, at, by, note) VALUES (?, ?, ?, ?, ?, ?)');
    const conv = db.prepare("INSERT INTO conversations (id, ticket_id, type, title, status, key, created_at, updated_at) VALUES (?, ?, 'pm_checkin', 'PM check-in', 'open', 'pm', ?, ?)");
    const checkin = db.prepare("INSERT INTO checkins (id, ticket_id, type, summary, findings, action_required, resolved, conversation_id, created_at) VALUES (?, ?, 'review', ?, ?, 0, 0, ?, ?)");
    const message = db.prepare("INSERT INTO messages (id, conversation_id, author, kind, body, created_at) VALUES (?, ?, 'PM', 'checkin', ?, ?)");
    const steps = [null, 'BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX'];
    for (let i = 1; i <= size; i++) {
      const id = `T-${i}`;
      ticket.run(id, i, `Ticket ${i}: make the thing work`, DESCRIPTION, '["works","has tests"]', now, now, now);
      for (let s = 1; s < steps.length; s++) history.run(id, steps[s - 1], steps[s], now, 'runner', null);
      const cv = `cv-${i.toString(16).padStart(8, '0')}`;
      conv.run(cv, id, now, now);
      for (let c = 0; c < 2; c++) checkin.run(`c-${i.toString(16).padStart(8, '0')}${c}`, id, 'Progress 40%, one concern', JSON.stringify(FINDINGS), cv, now);
      for (let m = 0; m < 3; m++) message.run(`m-${i.toString(16).padStart(8, '0')}${m}`, cv, `Check-in ${m}: progress 40%, no commits for 20 minutes.`, now);
    }
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_ticket_number', ?)").run(String(size + 1));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function probe(args) {
  const flags = args[0] === 'heap' ? ['--expose-gc'] : [];
  const out = execFileSync(process.execPath, [...flags, fileURLToPath(new URL('./lib/storeProbe.mjs', import.meta.url)), ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1));
}

function median(results, key) {
  return [...results].sort((a, b) => a[key] - b[key])[Math.floor(results.length / 2)];
}

function fmt(n) {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
