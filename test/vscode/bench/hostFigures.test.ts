// Figures the bench (bench/vscode.mjs) takes inside a real extension host: this code runs in the
// extension host's own process, so /proc/self is the host and the event loop measured is the one
// every extension shares. Not part of `npm test` (the `bench` suite runs only from the bench); it
// measures and records, it asserts nothing about speed. The plan comes from the bench through
// AGENT_FACTORY_BENCH_PLAN; the figures go to host-figures.json in the output folder.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import * as vscode from 'vscode';
import type { AgentName } from '../../../src/agents/agent';
import type { Status } from '../../../src/domain/status';
import type { Board } from '../../../src/store/api';
import type { TestApi } from '../../../src/vscode/extension';
import type { TicketTesting } from '../../../src/vscode/tickets/index';
import { ensureBoard, eventually, testApi } from '../board';
import { testOutputDir } from '../environment';
import { ourExtension } from '../extension';
import { askUi } from '../uiRequest';

interface Plan {
  /** False: measure idle CPU on a workspace without a board, the extension never activated. */
  activate: boolean;
  /** Seconds to wait after activation before measuring idle, so start-up work is over. */
  settleSeconds: number;
  /** Seconds of idle CPU measurement (0: none). */
  idleSeconds: number;
  /** Seconds of host-block measurement with every agent at its shortest interval (0: none). */
  blockSeconds: number;
  /** Live runs (real processes) started before the block measurement. */
  liveRuns: number;
  /** Ask the runner to open the Tickets view and time its first ticket row. */
  firstItems: boolean;
  /** Write a CPU profile of the idle and the block minutes (idle.cpuprofile, block.cpuprofile) beside the figures. */
  profile?: boolean;
}

export interface HostFigures {
  pid: number;
  /** Whether Agent Factory was active during the measurements. */
  active: boolean;
  tickets: number;
  activation?: { wallMs: number; cpuMs: number };
  firstItemsMs?: number;
  idle?: { seconds: number; cpuPercent: number; threads: ThreadCpu[] };
  block?: { seconds: number; maxDelayMs: number; p99DelayMs: number; maxTimerGapMs: number; maxGcPauseMs: number; maxGapOutsideGcMs: number; gc: GcFigures; liveRuns: number; cycles: Partial<Record<AgentName, number>>; cpuPercent: number; changes?: BoardChangeCounts };
  /** The longest host block from the start of this test (the board opening) to the Tickets view's first ticket row. */
  openBlock?: BlockFigures;
  /** The same from the click on the view to its first ticket row. */
  clickBlock?: BlockFigures;
  /** The longest host block over `moves` tickets moved through the store, each awaited until the view rebuilt. */
  rebuildBlock?: BlockFigures & { moves: number };
}

/** The board's changes seen by this window during a stretch: all of them, those touching no ticket (leases, agent states, meta), and those another process wrote. */
interface BoardChangeCounts {
  all: number;
  noTickets: number;
  external: number;
}

/** One kind of thread of the host (by its name in /proc) and its CPU over the idle stretch. */
interface ThreadCpu {
  name: string;
  threads: number;
  ms: number;
}

interface BlockFigures {
  maxDelayMs: number;
  maxTimerGapMs: number;
  /** The thread's longest CPU time between two timer ticks. */
  maxCpuMs?: number;
  /** The longest garbage-collection pause meanwhile, and its kind (every extension's heap). */
  maxGcPauseMs?: number;
  gcKind?: string;
}

const SHORTEST_INTERVALS: Record<string, number> = { 'pm.intervalSeconds': 5, 'security.intervalSeconds': 10, 'gatherer.intervalSeconds': 30, 'worktree.intervalSeconds': 5 };

function plan(): Plan {
  const text = process.env.AGENT_FACTORY_BENCH_PLAN;
  if (!text) throw new Error('AGENT_FACTORY_BENCH_PLAN is not set: run this through npm run bench -- vscode');
  return JSON.parse(text) as Plan;
}

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** This process's CPU time (user + system) so far, in seconds, from /proc/<pid>/stat. */
function cpuSeconds(): number {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each thread's name and CPU time so far (user + system, clock ticks), by thread id. */
function threadTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name: tid === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** The CPU of each kind of thread between two threadTicks(), most first (threads that ended in between are not counted). */
function threadCpu(before: ReturnType<typeof threadTicks>, after: ReturnType<typeof threadTicks>): ThreadCpu[] {
  const byName = new Map<string, ThreadCpu>();
  for (const [tid, t] of after) {
    const ms = ((t.ticks - (before.get(tid)?.ticks ?? 0)) * 1000) / ticksPerSecond;
    const entry = byName.get(t.name) ?? { name: t.name, threads: 0, ms: 0 };
    entry.threads++;
    entry.ms += ms;
    byName.set(t.name, entry);
  }
  return [...byName.values()].filter((e) => e.ms > 0).sort((a, b) => b.ms - a.ms);
}

/** CPU of this process over `seconds` as % of one core. */
async function cpuPercentOver(seconds: number): Promise<number> {
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return (100 * (cpuSeconds() - cpu0)) / ((performance.now() - t0) / 1000);
}

/** The host's CPU over an idle stretch, after `settleSeconds` for start-up work to end. */
async function idle(p: Plan): Promise<{ seconds: number; cpuPercent: number; threads: ThreadCpu[] }> {
  await sleep(p.settleSeconds * 1000);
  const before = threadTicks();
  const cpuPercent = await profiled(p.profile, 'idle.cpuprofile', () => cpuPercentOver(p.idleSeconds));
  return { seconds: p.idleSeconds, cpuPercent, threads: threadCpu(before, threadTicks()) };
}

function record(figures: HostFigures): void {
  writeFileSync(join(testOutputDir(), 'host-figures.json'), JSON.stringify(figures, null, 2));
}

/** Ticks of the watch's timer after which the thread had been on the CPU this long, kept for profiles. */
const LONG_CPU_MS = 10;
const longTicks: Array<{ start: number; end: number; cpuMs: number }> = [];

/**
 * What the collector did in a watch: the kind of its longest pause (V8's flags, from the `gc`
 * performance entry's detail), how many pauses of each kind, and the host's heap in use at the
 * watch's start and end, in MB (the heap is every extension's, Agent Factory's among them).
 */
interface GcFigures {
  longestKind: string;
  counts: Record<string, number>;
  heapStartMb: number;
  heapEndMb: number;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

/** This thread's CPU time so far in ms (the host's main thread has the process's id), from /proc/self/task/<tid>/schedstat. */
function threadCpuMs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/**
 * Starts watching this thread for blocks until `stop`: the delay monitor's maximum, the longest
 * gap between 1 ms timer ticks, and the thread's longest CPU time between two ticks (on a loaded
 * machine the first two also count time the thread was not running at all); beside them the
 * longest garbage-collection pause and the longest gap once the collector's pauses inside it are
 * taken out (the heap and its collector are shared by every extension of the host).
 */
function watchBlocks(): { stop(): BlockFigures & { p99DelayMs: number; maxGcPauseMs: number; maxGapOutsideGcMs: number; gc: GcFigures } } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const gaps: Array<{ start: number; end: number }> = [];
  const pauses: Array<{ start: number; end: number; kind: string }> = [];
  const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;
  const heapStartMb = heapMb();
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      pauses.push({ start: e.startTime, end: e.startTime + e.duration, kind: (kind !== undefined && GC_KINDS[kind]) || `kind ${kind}` });
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastCpu = threadCpuMs();
  let maxGap = 0;
  let maxCpu = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = threadCpuMs();
    maxGap = Math.max(maxGap, now - last - 1);
    if (now - last > 8) gaps.push({ start: last, end: now });
    maxCpu = Math.max(maxCpu, cpu - lastCpu);
    if (cpu - lastCpu > LONG_CPU_MS) longTicks.push({ start: last, end: now, cpuMs: cpu - lastCpu });
    last = now;
    lastCpu = cpu;
  }, 1);
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      clearInterval(timer);
      gc.disconnect();
      const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
      const longest = pauses.reduce<(typeof pauses)[number] | undefined>((m, p) => (m === undefined || p.end - p.start > m.end - m.start ? p : m), undefined);
      const maxGcPauseMs = longest ? longest.end - longest.start : 0;
      const maxGapOutsideGcMs = gaps.reduce((m, g) => Math.max(m, g.end - g.start - 1 - pauses.reduce((sum, p) => sum + overlap(g, p), 0)), 0);
      const counts: Record<string, number> = {};
      for (const p of pauses) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
      const gcFigures: GcFigures = { longestKind: longest?.kind ?? '-', counts, heapStartMb, heapEndMb: heapMb() };
      return { maxDelayMs: Math.max(0, histogram.max / 1e6 - 1), p99DelayMs: Math.max(0, histogram.percentile(99) / 1e6 - 1), maxTimerGapMs: maxGap, maxCpuMs: maxCpu, maxGcPauseMs, maxGapOutsideGcMs, gc: gcFigures };
    },
  };
}

/** The longest block of this thread over `seconds`. */
async function hostBlock(seconds: number) {
  const watch = watchBlocks();
  const cpuPercent = await cpuPercentOver(seconds);
  return { ...watch.stop(), cpuPercent };
}

/** Ends a watch, one timer turn later so a block at the very end is seen. */
async function stopWatch(watch: ReturnType<typeof watchBlocks>): Promise<BlockFigures> {
  await sleep(5);
  const { maxDelayMs, maxTimerGapMs, maxCpuMs, maxGcPauseMs, gc } = watch.stop();
  return { maxDelayMs, maxTimerGapMs, maxCpuMs, maxGcPauseMs, gcKind: gc.longestKind };
}

const REBUILD_MOVES = 6;

/**
 * Moves tickets between BACKLOG and READY through the store, one write at a time, each awaited
 * until the Tickets view's model fired and the tree had a moment to fetch what changed.
 */
async function moveTickets(api: TestApi, board: Board): Promise<void> {
  const tickets = (api as TestApi & { tickets?: TicketTesting }).tickets;
  if (!tickets) throw new Error('the extension test API has no `tickets`');
  const backlog = board.listTickets({ status: 'BACKLOG' }).slice(0, REBUILD_MOVES / 2);
  const moves: [string, Status, Status][] = [];
  for (const t of backlog) moves.push([t.id, 'BACKLOG', 'READY']);
  for (const t of backlog) moves.push([t.id, 'READY', 'BACKLOG']);
  for (const [id, from, to] of moves) {
    let fired = false;
    const sub = tickets.treeModel.onDidChange(() => (fired = true));
    try {
      await board.write((tx) => tx.transition(id, from, to, 'user'));
      await eventually(`the Tickets view rebuilt after moving ${id} to ${to}`, () => fired, 60_000);
      await sleep(1000);
    } finally {
      sub.dispose();
    }
  }
}

/**
 * Runs `work` under the V8 profiler of this process when asked to, writing the profile to `name`
 * and beside it (`name.longs.json`) the long ticks of any block watch meanwhile, in ms from the
 * profile's start, so the profile's samples of each long block can be found. With `heap`, a
 * sampling heap profile too (`name.heapprofile`): what was allocated where, collected since or
 * not. Heap sampling is the isolate's, so only one stretch may use it at once.
 */
async function profiled<T>(on: boolean | undefined, name: string, work: () => Promise<T>, opts: { heap?: boolean } = {}): Promise<T> {
  if (!on) return work();
  const profile = await startProfile(opts.heap === true);
  try {
    return await work();
  } finally {
    await profile.stop(name);
  }
}

/** Starts the V8 profiler in an inspector session of its own (and the heap sampler, `heapToo`); `stop` writes the profiles and the long ticks. */
async function startProfile(heapToo = false): Promise<{ stop(name: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  if (heapToo) {
    await post('HeapProfiler.enable');
    // A sample every 16 KB on average, of what the collector took since as well as what is left.
    await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  await post('Profiler.start');
  const startedAt = performance.now();
  return {
    async stop(name) {
      try {
        const { profile } = (await post('Profiler.stop')) as { profile: unknown };
        if (heapToo) {
          const heap = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
          writeFileSync(join(testOutputDir(), `${name}.heapprofile`), JSON.stringify(heap.profile));
        }
        writeFileSync(join(testOutputDir(), name), JSON.stringify(profile));
        const longs = longTicks.filter((l) => l.end >= startedAt).map((l) => ({ ...l, start: l.start - startedAt, end: l.end - startedAt }));
        writeFileSync(join(testOutputDir(), `${name}.longs.json`), JSON.stringify({ longs }, null, 1));
      } finally {
        session.disconnect();
      }
    },
  };
}

async function setShortestIntervals(): Promise<void> {
  const config = vscode.workspace.getConfiguration('agentFactory');
  for (const [key, value] of Object.entries(SHORTEST_INTERVALS)) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
}

suite('Host figures (bench)', () => {
  test('measures activation, the Tickets view, idle CPU and the longest block', async function () {
    const p = plan();
    this.timeout((p.settleSeconds + p.idleSeconds + p.blockSeconds + 600) * 1000);
    const openWatch = p.activate && p.firstItems ? watchBlocks() : undefined;
    // The whole opening, when profiling: the board, the agents' first cycles, the view (click.cpuprofile is its end).
    const opening = p.profile && openWatch ? await startProfile() : undefined;
    if (!p.activate) {
      const figures: HostFigures = { pid: process.pid, active: ourExtension().isActive, tickets: 0, idle: await idle(p) };
      // The host's own longest block, Agent Factory not active: what the window does without us.
      if (p.blockSeconds > 0) figures.block = { seconds: p.blockSeconds, ...(await profiled(p.profile, 'block.cpuprofile', () => hostBlock(p.blockSeconds), { heap: true })), liveRuns: 0, cycles: {} };
      record(figures);
      return;
    }
    const api = await testApi();
    const board = await ensureBoard();
    const figures: HostFigures = {
      pid: process.pid,
      active: true,
      tickets: Object.values(board.countByStatus()).reduce((sum, n) => sum + n, 0),
      activation: api.activation,
    };
    if (p.firstItems && openWatch) {
      const clickWatch = watchBlocks();
      const answer = await profiled(p.profile, 'click.cpuprofile', () => askUi('tickets-first-items', 600_000));
      figures.clickBlock = await stopWatch(clickWatch);
      figures.openBlock = await stopWatch(openWatch);
      await opening?.stop('open.cpuprofile');
      if (!answer.ok) throw new Error(`the Tickets view did not show its first ticket: ${answer.detail}`);
      figures.firstItemsMs = (JSON.parse(answer.detail) as { ms: number }).ms;
      const rebuildWatch = watchBlocks();
      await profiled(p.profile, 'rebuild.cpuprofile', () => moveTickets(api, board));
      figures.rebuildBlock = { ...(await stopWatch(rebuildWatch)), moves: REBUILD_MOVES };
    }
    if (p.idleSeconds > 0) figures.idle = await idle(p);

    if (p.blockSeconds > 0) {
      await setShortestIntervals();
      const runner = await eventually('the runner exists', () => api.runs.runner());
      const manager = await eventually('the agents run here', () => (api.manager()?.isLeader ? api.manager() : undefined), 60_000);
      const ready = board.listTickets().filter((t) => t.status === 'READY').slice(0, p.liveRuns);
      if (ready.length < p.liveRuns) throw new Error(`the board has ${ready.length} READY tickets, the plan asks for ${p.liveRuns} runs`);
      const started = [];
      for (const ticket of ready) started.push(await runner.startTicket(ticket.id));
      const runIds = started.map((s) => s.run.id);
      await eventually(`${p.liveRuns} runs are running`, () => runIds.every((id) => board.getRun(id)?.status === 'running'), 120_000);
      const before = new Map(manager.statuses().map((s) => [s.name, s.cycleCount]));
      const changes: BoardChangeCounts = { all: 0, noTickets: 0, external: 0 };
      const counting = board.onDidChange((change) => {
        changes.all++;
        if (change.noTickets) changes.noTickets++;
        if (change.source === 'external') changes.external++;
      });
      const block = await profiled(p.profile, 'block.cpuprofile', () => hostBlock(p.blockSeconds), { heap: true }).finally(() => counting.dispose());
      const liveRuns = runIds.filter((id) => board.getRun(id)?.status === 'running').length;
      const cycles = Object.fromEntries(manager.statuses().map((s) => [s.name, s.cycleCount - (before.get(s.name) ?? 0)]));
      figures.block = { seconds: p.blockSeconds, ...block, liveRuns, cycles, changes };
      const runs = api.runs.runs();
      for (const id of runIds) await runs?.stop(id, 'cancelled', 'the bench is over');
    }
    record(figures);
  });
});
