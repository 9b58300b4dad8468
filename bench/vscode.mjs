// Figures from a real VS Code (code-server's extension host, driven from headless chromium as
// `npm run test:vscode` does): activate() and the Tickets view's first ticket row on a 10,000-
// ticket board; the host's CPU over a minute with nothing happening and its longest block over a
// minute with all four background agents at their shortest intervals and five live runs (real
// processes), on a 1,000-ticket board. The reference is the same window on a 10-ticket board,
// measured in the same run. The measuring code runs inside the extension host
// (test/vscode/bench/hostFigures.test.ts); the boards are real sql.js files made through the store.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Workbench } from '../test/ui/workbench.mjs';
import { launchBrowser } from '../scripts/lib/browser.mjs';
import { cleanup } from '../scripts/lib/cleanup.mjs';
import { ensureCodeServer, startCodeServer } from '../scripts/lib/codeServer.mjs';
import { runInCodeServer } from '../scripts/lib/inHost.mjs';
import { outputDir } from '../scripts/lib/paths.mjs';
import { mustRunNode } from '../scripts/lib/run.mjs';
import { createWorkspace, git } from '../scripts/lib/workspace.mjs';
import { compileTests } from '../scripts/test-unit.mjs';
import { makeBoard } from './lib/board.mjs';
import { bundle } from './lib/bundle.mjs';

export const title = 'In a real VS Code (code-server): activation, the Tickets view, idle CPU, the longest host block';

const MINUTE = 60;
/** A live run: a real process that keeps writing output until it is stopped. */
const LIVE_AGENT = { program: '/bin/sh', args: ['-c', 'while :; do echo "working on $1"; sleep 2; done', 'agent', '${ticketId}'] };

const WINDOWS = [
  // The host's own idle: a workspace without a board, where Agent Factory never activates.
  { name: 'no-board', tickets: 0, plan: { activate: false, firstItems: false, settleSeconds: 20, idleSeconds: MINUTE, blockSeconds: MINUTE, liveRuns: 0 } },
  { name: 'reference', tickets: 10, plan: { activate: true, firstItems: true, settleSeconds: 20, idleSeconds: MINUTE, blockSeconds: MINUTE, liveRuns: 0 } },
  { name: 'board-1k', tickets: 1_000, plan: { activate: true, firstItems: true, settleSeconds: 20, idleSeconds: MINUTE, blockSeconds: MINUTE, liveRuns: 5 } },
  { name: 'board-10k', tickets: 10_000, plan: { activate: true, firstItems: true, settleSeconds: 0, idleSeconds: 0, blockSeconds: 0, liveRuns: 0 } },
];

/**
 * What the in-host figures ask of the workbench: open the Tickets view as a user does and time its
 * first ticket row, or its first range row (a big group shows ranges of its tickets, named "Tickets T-1 to ...").
 */
const uiRequests = {
  async 'tickets-first-items'(page) {
    const wb = new Workbench(page);
    // The entry's name carries the view's badge ("Agent Factory - 3 tickets need you").
    const entry = page.locator('#workbench\\.parts\\.activitybar').getByRole('tab', { name: /^Agent Factory\b/ });
    await entry.waitFor({ timeout: 60_000 });
    const t0 = performance.now();
    await entry.click();
    await wb.sideBar('agentFactory').waitFor({ timeout: 300_000 });
    const pane = await wb.viewRendered('Tickets');
    await pane.locator('.monaco-list-row[aria-label^="T-"], .monaco-list-row[aria-label^="Tickets T-"]').first().waitFor({ timeout: 300_000 });
    return JSON.stringify({ ms: performance.now() - t0 });
  },
};

/** AGENT_FACTORY_BENCH_WINDOWS=reference,board-10k measures only those windows (while looking into one figure). */
function windows() {
  const only = process.env.AGENT_FACTORY_BENCH_WINDOWS?.split(',');
  return only ? WINDOWS.filter((w) => only.includes(w.name)) : WINDOWS;
}

export async function run({ root, log }) {
  const load = loadavg();
  await mustRunNode('the build', [join(root, 'scripts', 'build.mjs')]);
  await compileTests();
  const build = await bundle(root, 'vscode', ['src/store/sqlBoard.ts', 'src/store/storeWorker.ts']);
  const figures = {};
  try {
    const bin = await ensureCodeServer();
    const { context } = await launchBrowser();
    const server = await startCodeServer({ bin, logFile: join(outputDir('bench-vscode'), 'code-server.log') });
    for (const w of windows()) {
      const workspace = createWorkspace();
      if (w.plan.activate) {
        log(`${w.name}: making a board of ${w.tickets} tickets`);
        await makeBoard(build, workspace, w.tickets);
      }
      if (w.plan.liveRuns > 0) {
        mkdirSync(join(workspace, '.vscode'), { recursive: true });
        writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'agentFactory.agents.dev.command': LIVE_AGENT, 'agentFactory.runs.maxParallel': w.plan.liveRuns }, null, 2));
        git(workspace, 'add', '.vscode');
        git(workspace, 'commit', '-q', '-m', 'bench settings');
      }
      const outName = `bench-vscode-${w.name}`;
      const result = join(outputDir(outName), 'host-figures.json');
      rmSync(result, { force: true });
      log(`${w.name}: measuring in the extension host (about ${Math.round((w.plan.settleSeconds + w.plan.idleSeconds + w.plan.blockSeconds) / 60) + 1} min)`);
      const { code, results } = await runInCodeServer({
        server,
        context,
        workspace,
        suite: 'bench',
        outName,
        timeoutMs: 30 * 60_000,
        extraEnv: {
          AGENT_FACTORY_BENCH_PLAN: JSON.stringify({ ...w.plan, profile: process.env.AGENT_FACTORY_BENCH_PROFILE === '1' }),
          AGENT_FACTORY_TEST_TIMEOUT_MS: String(30 * 60_000),
        },
        uiRequests,
      });
      if (code !== 0 || !existsSync(result)) throw new Error(`the in-host measurement on ${w.name} failed (${JSON.stringify(results?.failed ?? code)}); see ${outputDir(outName)}`);
      figures[w.name] = JSON.parse(readFileSync(result, 'utf8'));
    }
    await server.stop();
  } finally {
    await cleanup();
  }
  return report(figures, load);
}

function report(f, load) {
  const none = f['no-board'];
  const ref = f.reference;
  const k1 = f['board-1k'];
  const k10 = f['board-10k'];
  const ms = (n) => (n === undefined ? '' : n.toFixed(0));
  const pct = (n) => (n === undefined ? '' : `${n.toFixed(2)}%`);
  const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '' : `${(a / b).toFixed(1)}x`);
  const verdict = (n, limit) => (n === undefined ? '' : n <= limit ? 'met' : 'MISSED');
  const worst = (b) => (b ? Math.max(b.maxDelayMs, b.maxTimerGapMs) : undefined);
  const blk = (b) => (b ? `${b.maxDelayMs.toFixed(0)} / ${b.maxTimerGapMs.toFixed(0)}${b.maxCpuMs === undefined ? '' : ` / ${b.maxCpuMs.toFixed(0)}`}` : '');
  const cycles = (b) => (b ? Object.entries(b.cycles).map(([n, c]) => `${n} ${c}`).join(', ') : '');
  const gcPause = (b) => (b?.maxGcPauseMs === undefined ? '-' : `${b.maxGcPauseMs.toFixed(0)}${b.maxGcPauseMs > 0 ? ` ${b.gcKind}` : ''}`);
  const changeCounts = (b) => (b?.changes ? `${b.changes.all} / ${b.changes.noTickets} / ${b.changes.external}` : '-');
  const threadsLine = (threads) => (threads?.length ? threads.slice(0, 6).map((t) => `${t.name}${t.threads > 1 ? ` (${t.threads})` : ''} ${Math.round(t.ms)}`).join(', ') : '-');
  const gcLine = (b) => {
    const g = b?.gc;
    if (!g) return '-';
    const counts = Object.entries(g.counts).map(([kind, n]) => `${kind} ${n}`).join(', ');
    return `longest pause ${ms(b.maxGcPauseMs)} ms (${g.longestKind}); ${counts || 'no pauses'}; heap in use ${g.heapStartMb.toFixed(0)} -> ${g.heapEndMb.toFixed(0)} MB`;
  };
  const byWindow = (line) => [['not active', none], ['10 tickets', ref], [`${k1?.tickets ?? 1000} tickets`, k1]].map(([label, w]) => `${label}: ${line(w)}`).join('; ');
  const diff = (a, b) => (a === undefined || b === undefined ? undefined : a - b);
  const size = (w, extra = '') => (w ? `${w.tickets}${extra}` : '');
  return {
    tables: [
      {
        title: `One run each; load average ${load.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
        columns: ['figure', `reference (${ref?.tickets ?? '-'} tickets)`, 'measured', 'board', 'ratio', 'target', 'result'],
        rows: [
          ['activate(), wall (ms)', ms(ref?.activation?.wallMs), ms(k10?.activation?.wallMs), size(k10), ratio(k10?.activation?.wallMs, ref?.activation?.wallMs), '<= 150 ms', verdict(k10?.activation?.wallMs, 150)],
          ['activate(), CPU (ms)', ms(ref?.activation?.cpuMs), ms(k10?.activation?.cpuMs), size(k10), ratio(k10?.activation?.cpuMs, ref?.activation?.cpuMs), '', ''],
          ['activate(), wall (ms)', ms(ref?.activation?.wallMs), ms(k1?.activation?.wallMs), size(k1), ratio(k1?.activation?.wallMs, ref?.activation?.wallMs), '', ''],
          ['Tickets view: open to first ticket row (ms)', ms(ref?.firstItemsMs), ms(k10?.firstItemsMs), size(k10), ratio(k10?.firstItemsMs, ref?.firstItemsMs), '', ''],
          ['Tickets view: open to first ticket row (ms)', ms(ref?.firstItemsMs), ms(k1?.firstItemsMs), size(k1), ratio(k1?.firstItemsMs, ref?.firstItemsMs), '', ''],
          ['longest host block, board opening to first ticket row (delay monitor / timer gap / thread CPU, ms)', blk(ref?.openBlock), blk(k10?.openBlock), size(k10), ratio(worst(k10?.openBlock), worst(ref?.openBlock)), '<= 16 ms', verdict(worst(k10?.openBlock), 16)],
          ['longest host block, click on the view to first ticket row (ms)', blk(ref?.clickBlock), blk(k10?.clickBlock), size(k10), ratio(worst(k10?.clickBlock), worst(ref?.clickBlock)), '<= 16 ms', verdict(worst(k10?.clickBlock), 16)],
          [`longest host block over ${k10?.rebuildBlock?.moves ?? ''} tickets moved through the store, each rebuilding the view (ms)`, blk(ref?.rebuildBlock), blk(k10?.rebuildBlock), size(k10), ratio(worst(k10?.rebuildBlock), worst(ref?.rebuildBlock)), '<= 16 ms', verdict(worst(k10?.rebuildBlock), 16)],
          ['idle host CPU over a minute (% of a core)', pct(ref?.idle?.cpuPercent), pct(k1?.idle?.cpuPercent), size(k1), ratio(k1?.idle?.cpuPercent, ref?.idle?.cpuPercent), '<= 0.5%', verdict(k1?.idle?.cpuPercent, 0.5)],
          ['idle host CPU over a minute, Agent Factory not active (% of a core)', '', pct(none?.idle?.cpuPercent), none ? `no board${none.active ? ' (but it was active!)' : ''}` : '', '', '', ''],
          ['idle host CPU that is Agent Factory\'s (1,000 tickets minus not active)', '', pct(diff(k1?.idle?.cpuPercent, none?.idle?.cpuPercent)), size(k1), '', '<= 0.5%', verdict(diff(k1?.idle?.cpuPercent, none?.idle?.cpuPercent), 0.5)],
          ['longest host block over a minute (delay monitor / timer gap, ms)', blk(ref?.block), blk(k1?.block), size(k1, `, ${k1?.block?.liveRuns} live runs`), ratio(worst(k1?.block), worst(ref?.block)), '<= 16 ms', verdict(worst(k1?.block), 16)],
          ['longest host block over a minute, Agent Factory not active (ms)', '', blk(none?.block), none ? 'no board' : '', '', '', ''],
          ['longest garbage-collection pause in that minute (ms)', ms(ref?.block?.maxGcPauseMs), ms(k1?.block?.maxGcPauseMs), size(k1), '', '', ''],
          ['longest gap between timer ticks, garbage-collection pauses taken out (ms)', ms(ref?.block?.maxGapOutsideGcMs), ms(k1?.block?.maxGapOutsideGcMs), size(k1), ratio(k1?.block?.maxGapOutsideGcMs, ref?.block?.maxGapOutsideGcMs), '', ''],
          ['the same, Agent Factory not active (ms)', '', ms(none?.block?.maxGapOutsideGcMs), none ? 'no board' : '', '', '', ''],
          ['host CPU during that minute (% of a core)', pct(ref?.block?.cpuPercent), pct(k1?.block?.cpuPercent), size(k1), ratio(k1?.block?.cpuPercent, ref?.block?.cpuPercent), '', ''],
        ],
      },
    ],
    notes: [
      'Thread CPU: the longest CPU time of the host\'s thread between two 1 ms timer ticks (/proc/self/task/<tid>/schedstat), the block that is the host\'s own work whatever the load.',
      `Agent cycles during the block minute (every agent at its shortest interval): reference ${cycles(ref?.block)}; ${k1?.tickets} tickets ${cycles(k1?.block)}.`,
      `Longest garbage-collection pause while the 10,000-ticket board opened / after the click / over the moves (ms, kind): ${[k10?.openBlock, k10?.clickBlock, k10?.rebuildBlock].map(gcPause).join(' / ')}; on 10 tickets ${[ref?.openBlock, ref?.clickBlock, ref?.rebuildBlock].map(gcPause).join(' / ')}.`,
      `Board changes this window saw during the block minute (all / touching no ticket / written by another process): ${byWindow((w) => changeCounts(w?.block))}.`,
      `Garbage collection during the block minute (the host's heap, every extension's): ${byWindow((w) => gcLine(w?.block))}.`,
      `Idle CPU by thread (ms over the minute, from /proc/<pid>/task; threads of one name together): ${byWindow((w) => threadsLine(w?.idle?.threads))}.`,
      'activate() is timed by the extension itself (first line to result; CPU from process.cpuUsage); the Tickets view from the click on its activity bar entry to the first ticket (or range) row in the page; CPU is utime+stime of the extension host from /proc.',
    ],
  };
}
