// The longest block of the thread during each background agent's cycles (PM, Gatherer, Worktree)
// on boards of 1,000 and 10,000 tickets (lib/seedBoard.mjs), measured around every cycle with
// perf_hooks.monitorEventLoopDelay, the longest gap between 1 ms timer ticks and the thread's own
// CPU time between two ticks (lib/hostBlock.mjs). On the extension host a block is time no other
// extension and no typing feedback gets; the target is at most 16 ms.
// PM: the first cycle (it reads the whole board), then the cycles that make every active ticket's
// check-in, 25 at a time, then cycles where only live runs reported in or nothing changed. Gatherer: a repository of 400
// files with 80 comment tags; the first cycle on the board creates tickets, later ones find
// little or nothing new. Worktree: 6 of the active tickets have a real worktree with a change in
// it (the conflict radar reads them too, as in every host). Composed as the editor and `serve` compose them (git
// started in the process starter), with the Worktree cycles measured again with git started on
// this thread, as a host does once its starter has died three times in a minute.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { bundle, bundleTogether } from './lib/bundle.mjs';
import { git } from './lib/git.mjs';
import { fmtBlock, measureHostBlock, worstBlock } from './lib/hostBlock.mjs';
import { boardShape, cycleContext, keepRunsAlive, quietLog, seedBoard } from './lib/seedBoard.mjs';

export const title = 'Longest block of the thread during each background agent cycle (PM, Gatherer, Worktree)';

const SIZES = [1_000, 10_000];
const ROUNDS = 4;
const FILES = 400;
const WORKTREES = 6;
const MIN = 60_000;
const SPAWNS = 10;

export async function run({ root, tmp, log }) {
  // As the editor composes them: the agents, the store, the scan's threads and the process starter
  // from one bundle, so that turning the starter on reaches every module that starts git. The
  // store's worker sits beside the bundle, where the store looks for it.
  const module = await bundleTogether(root, 'blocks', {
    'src/store/sqlBoard.ts': ['openBoard'],
    'src/agents/pm/pmAgent.ts': ['PmAgent', 'MAX_CHECKINS_PER_CYCLE'],
    'src/agents/pm/settings.ts': ['DEFAULT_PM_SETTINGS'],
    'src/process/localProbe.ts': ['localProcessProbe'],
    'src/agents/gathererAgent.ts': ['GathererAgent'],
    'src/agents/worktreeAgent.ts': ['WorktreeAgent', 'DEFAULT_WORKTREE_SETTINGS', 'ensureTicketWorktree'],
    'src/radar/conflictRadar.ts': ['ConflictRadar'],
    'src/git/simpleGitPort.ts': ['SimpleGitPort'],
    'src/scan/security/matchPool.ts': ['MatchPool'],
    'src/process/processStarter.ts': ['useProcessStarter', 'stopProcessStarter'],
  });
  await bundle(root, 'blocks', ['src/store/storeWorker.ts']);
  const matchWorker = join(await bundle(root, 'blocks-match', ['src/scan/security/matchWorker.ts']), 'matchWorker.js');
  const starter = join(await bundle(root, 'blocks-starter', ['src/git/processStarterMain.ts']), 'processStarterMain.js');
  const {
    openBoard, PmAgent, MAX_CHECKINS_PER_CYCLE, DEFAULT_PM_SETTINGS, localProcessProbe, GathererAgent,
    WorktreeAgent, DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree, ConflictRadar, MatchPool, SimpleGitPort,
    useProcessStarter, stopProcessStarter,
  } = createRequire(import.meta.url)(module);
  useProcessStarter({ script: starter, log: quietLog });

  const rows = [];
  for (const size of SIZES) {
    const repo = join(tmp, `repo-${size}`);
    makeRepo(repo);
    const dir = join(repo, '.factory');
    const clock = { t: Date.now(), now() { return this.t; } };
    log(`${size} tickets: generating the board`);
    let board = await openBoard({ dir, repoRoot: repo, clock, pollMs: 0 });
    const ids = await seedBoard(board, clock, size);
    await board.compact();
    await board.close();
    board = await openBoard({ dir, repoRoot: repo, clock, pollMs: 0 });
    const measure = (agent) => measureHostBlock(() => agent.runCycle(cycleContext(board, clock)));

    log(`${size} tickets: PM`);
    const pm = new PmAgent({
      settings: () => ({ ...DEFAULT_PM_SETTINGS, maxRunMinutes: 100_000, healGraceMinutes: 100_000 }),
      probe: localProcessProbe,
      signals: { activity: async () => undefined, exists: async () => true },
      stopper: { stop: async () => undefined },
    });
    const pmFirst = await measure(pm);
    const pmLater = [];
    // Every active ticket's check-in falls due; cycles 30 s apart make them 25 at a time, then
    // cycles see only live runs report in, or nothing at all.
    clock.t += 16 * MIN;
    for (let i = 0; i < Math.ceil(boardShape(size).active / MAX_CHECKINS_PER_CYCLE); i++) {
      await keepRunsAlive(board, clock);
      pmLater.push(await measure(pm));
      clock.t += 30_000;
    }
    for (let i = 0; i < ROUNDS; i++) {
      clock.t += 15_000;
      await keepRunsAlive(board, clock);
      pmLater.push(await measure(pm));
      clock.t += 15_000;
      pmLater.push(await measure(pm));
    }
    await pm.dispose?.();
    rows.push(['PM', size, fmtBlock(pmFirst), fmtBlock(worstBlock(pmLater)), fmtBound([pmFirst, ...pmLater]), pmLater.length]);

    log(`${size} tickets: Gatherer`);
    // As in the hosts, the secrets in new comments are found in the Security scan's threads, started by the first cycle; the bundles keep their folders, so the pool is told where its worker is.
    const secrets = new MatchPool({ script: matchWorker });
    const gatherer = new GathererAgent({ settings: () => ({ tags: ['TODO', 'FIXME'], maxNewPerCycle: 5, maxOpen: 50 }), secrets });
    const gFirst = await measure(gatherer);
    const gLater = [];
    for (let i = 0; i < ROUNDS; i++) {
      clock.t += 5 * MIN;
      gLater.push(await measure(gatherer));
    }
    rows.push(['Gatherer', size, fmtBlock(gFirst), fmtBlock(worstBlock(gLater)), fmtBound([gFirst, ...gLater]), gLater.length]);
    await secrets.end();

    log(`${size} tickets: Worktree (${WORKTREES} worktrees)`);
    const port = new SimpleGitPort();
    const settings = { ...DEFAULT_WORKTREE_SETTINGS };
    for (const id of ids.slice(0, WORKTREES)) {
      const worktree = await ensureTicketWorktree(board, port, board.getTicket(id), settings);
      writeFileSync(join(worktree.path, 'src', 'file0.ts'), `export const changed = '${id}';\n`);
    }
    const worktree = new WorktreeAgent({ git: port, settings: () => settings, clock, radar: new ConflictRadar() });
    const wFirst = await measure(worktree);
    const wLater = [];
    for (let i = 0; i < ROUNDS; i++) {
      clock.t += MIN;
      wLater.push(await measure(worktree));
    }
    rows.push(['Worktree', size, fmtBlock(wFirst), fmtBlock(worstBlock(wLater)), fmtBound([wFirst, ...wLater]), wLater.length]);
    // Without a process starter (a host whose starter died three times in a minute): git starts on this thread.
    stopProcessStarter();
    const direct = [];
    for (let i = 0; i < ROUNDS; i++) {
      clock.t += MIN;
      direct.push(await measure(worktree));
    }
    useProcessStarter({ script: starter, log: quietLog });
    rows.push(['Worktree, git started on this thread (no starter)', size, '', fmtBlock(worstBlock(direct)), fmtBound(direct), direct.length]);
    // What one child process costs this thread now (the board, the agents and their caches in memory).
    const spawns = [];
    for (let i = 0; i < SPAWNS; i++) spawns.push(await measureHostBlock(() => spawnGit(repo)));
    rows.push(['reference: spawning `git --version`', size, '', fmtBlock(worstBlock(spawns)), fmtBound(spawns), SPAWNS]);
    await board.close();
  }
  stopProcessStarter();
  const avg = loadavg().map((x) => x.toFixed(2)).join(', ');
  return {
    tables: [
      {
        title: `Longest block of the thread, ms (monitorEventLoopDelay / longest timer-tick gap / on-CPU between two ticks); ${cpus().length} CPUs, load average ${avg}`,
        columns: ['agent', 'tickets', 'first cycle', 'worst later cycle', 'at most (all cycles)', 'later cycles'],
        rows,
      },
    ],
    notes: [
      'Target: at most 16 ms in every cycle. The first two figures also count time a loaded machine did not run the thread; the third (the thread\'s own CPU time between two 1 ms ticks, from /proc schedstat) does not.',
      'First cycle: the agent starts on this board (the PM reads the whole board once, the Gatherer creates its first tickets, the Worktree agent measures every worktree).',
      'At most: in each cycle the longest block is at most the smaller of its monitorEventLoopDelay and on-CPU figures (the first counts time the machine did not run the thread, the second can add up short blocks inside one late tick); the worst of those over every cycle, first included.',
      'Composed as the editor and serve compose them: git starts in the process starter, so the thread only sends it a message. The "no starter" row is the same agent\'s later cycles with git started on this thread, as a host does once its starter has died three times in a minute.',
      'Reference: starting one child process blocks the thread while the kernel copies the process\'s page tables, in proportion to its memory; the Gatherer and Worktree cycles start git many times (one start per turn of the event loop).',
    ],
  };
}

/** The worst, over cycles, of min(monitorEventLoopDelay, on-CPU): a bound on each cycle's longest block. */
function fmtBound(blocks) {
  return Math.max(...blocks.map((b) => Math.min(b.blockMs, b.cpuMs ?? Number.POSITIVE_INFINITY))).toFixed(1);
}

/** Starts `git --version` and waits for it to end. */
function spawnGit(cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--version'], { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

/** A repository of FILES small TypeScript files, every fifth with a TODO or FIXME, committed. */
function makeRepo(repo) {
  mkdirSync(join(repo, 'src'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'gc.auto', '0');
  for (let i = 0; i < FILES; i++) {
    const tag = i % 5 === 0 ? `// ${i % 10 === 0 ? 'FIXME' : 'TODO'}: handle case ${i} before the release\n` : '';
    writeFileSync(join(repo, 'src', `file${i}.ts`), `${tag}export function f${i}(x: number): number {\n  return x + ${i};\n}\n`);
  }
  writeFileSync(join(repo, '.gitignore'), '.factory/\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'generated');
}
