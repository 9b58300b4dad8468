// Measures one engine on one board in a fresh process (so the wasm load is really measured and
// no garbage from generating the board distorts pauses) and prints one JSON line.
//   node storeProbe.mjs open        sqljs <buildDir> <boardDir> | native <dbFile>
//   node storeProbe.mjs transitions sqljs <buildDir> <boardDir> <count> | native <dbFile> <count>
//   node storeProbe.mjs compacting  sqljs <buildDir> <boardDir> <count>   (a compaction starts at the first transition)
//   node --expose-gc storeProbe.mjs heap sqljs <buildDir> <boardDir>     (the heap its decoded tickets hold)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';

const require = createRequire(import.meta.url);

const CYCLE = { IN_UX: 'IN_DEV', IN_DEV: 'IN_QA', IN_QA: 'IN_UX' };

async function main() {
  const [what, engine, ...rest] = process.argv.slice(2);
  const rssBefore = process.memoryUsage().rss;
  if (engine === 'sqljs') {
    const [build, dir, count] = rest;
    const { loadSqlJs, defaultWasmPath } = require(join(build, 'sqlite.js'));
    const { openBoard } = require(join(build, 'sqlBoard.js'));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await loadSqlJs(defaultWasmPath());
    const t1 = performance.now();
    const board = await openBoard({ dir, repoRoot: dir, create: false });
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    if (what === 'heap') {
      // What the store keeps of every ticket once decoded (the Tickets view and the PM read them
      // all): the heap in use after full collections, before and after one read of every ticket.
      globalThis.gc();
      const before = process.memoryUsage().heapUsed;
      const tickets = board.readTickets({ status: Object.keys(board.countByStatus()) });
      globalThis.gc();
      const held = process.memoryUsage().heapUsed - before;
      print({ tickets: tickets.length, heldMB: held / 2 ** 20, bytesPerTicket: held / tickets.length });
    } else if (what === 'open') {
      const tickets = board.listTickets();
      const t3 = performance.now();
      board.listTickets();
      const t4 = performance.now();
      const mem = process.memoryUsage();
      print({ wasmMs: t1 - t0, openMs: t2 - t1, totalMs: t2 - t0, cpuMs: (cpu.user + cpu.system) / 1000, listColdMs: t3 - t2, listWarmMs: t4 - t3, tickets: tickets.length, rssMB: mem.rss / 2 ** 20, rssDeltaMB: (mem.rss - rssBefore) / 2 ** 20 });
    } else {
      const size = board.countByStatus();
      const total = Object.values(size).reduce((s, n) => s + n, 0);
      let compaction;
      const phases = [];
      const result = await measure(Number(count), total, async (i, id) => {
        if (what === 'compacting' && i === 0) compaction = board.compact();
        const from = board.getTicket(id).status;
        await board.write((tx) => tx.transition(id, from, CYCLE[from], 'runner'));
        if (board.lastWriteTimings) phases.push(board.lastWriteTimings);
      });
      await compaction;
      print({ ...result, phases: medianPhases(phases), lock: board.lockMechanism });
    }
    await board.close();
  } else {
    const [file, count] = rest;
    const Database = require('better-sqlite3');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
    const total = db.prepare('SELECT COUNT(*) AS n FROM tickets').get().n;
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    if (what === 'open') {
      const rows = db.prepare('SELECT * FROM tickets ORDER BY num').all();
      const t2 = performance.now();
      const mem = process.memoryUsage();
      print({ wasmMs: 0, openMs: t1 - t0, totalMs: t1 - t0, cpuMs: (cpu.user + cpu.system) / 1000, listColdMs: t2 - t1, listWarmMs: t2 - t1, tickets: rows.length, rssMB: mem.rss / 2 ** 20, rssDeltaMB: (mem.rss - rssBefore) / 2 ** 20 });
    } else {
      const transition = nativeTransition(db);
      print(await measure(Number(count), total, async (_i, id) => transition(id)));
    }
    db.close();
  }
}

function nativeTransition(db) {
  // The same database work as the store's transition: read, compare-and-set, history row.
  const get = db.prepare('SELECT * FROM tickets WHERE id = ?');
  const update = db.prepare('UPDATE tickets SET status = ?, status_since = ?, updated_at = ?, blocked_from = NULL, blocked_reason = NULL WHERE id = ? AND status = ?');
  const history = db.prepare('INSERT INTO ticket_history (ticket_id, from_status, to_status, at, by, note) VALUES (?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((id) => {
    const from = get.get(id).status;
    const to = CYCLE[from];
    const now = Date.now();
    if (update.run(to, now, now, id, from).changes !== 1) throw new Error('conflict');
    history.run(id, from, to, now, 'runner', null);
    return get.get(id);
  });
  return (id) => tx(id);
}

async function measure(count, size, step) {
  const latencies = [];
  const monitor = monitorEventLoopDelay({ resolution: 1 });
  monitor.enable();
  for (let i = 0; i < count; i++) {
    // Spread over the board, deterministic, with repeats so a ticket moves more than once.
    const id = `T-${((i * 7919) % size) + 1}`;
    const t = performance.now();
    await step(i, id);
    latencies.push(performance.now() - t);
    // Let the event loop turn, so the delay monitor samples between transitions as well.
    await new Promise((resolve) => setImmediate(resolve));
  }
  monitor.disable();
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(count * 0.5)],
    p95: latencies[Math.floor(count * 0.95)],
    maxBlock: monitor.max / 1e6,
    blockP99: monitor.percentile(99) / 1e6,
  };
}

/** The median of each phase of a durable write, over all the writes measured. */
function medianPhases(list) {
  if (list.length === 0) return undefined;
  const out = {};
  for (const key of Object.keys(list[0])) {
    const values = list.map((t) => t[key]).sort((a, b) => a - b);
    out[key] = values[Math.floor(values.length / 2)];
  }
  return out;
}

function print(obj) {
  console.log(JSON.stringify(obj));
}

await main();
