// The Gatherer's cycle over a generated tree of 20,000 committed files holding 2,000 comment tags
// (TODO mostly, some FIXME, HACK and XXX), on a real git repository and a real board, against a bare
// `git grep -n -E` of the same tags over the same tree, in the same run and interleaved with it so
// both see the same machine load and the same warm file cache.
// First cycle: an empty board (scan, parse, fingerprint, match, and the one durable write that
// creates the five tickets the noise budget allows). Steady cycle: a board already holding the 50
// open tickets the budget allows, nothing changed in the code (what the agent does every five
// minutes).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { bundle } from './lib/bundle.mjs';
import { git } from './lib/git.mjs';

export const title = 'Gatherer: one cycle over 20,000 files with 2,000 TODOs vs bare git grep; 3,000 reworded TODOs in one file';

const FILES = 20_000;
const TAGGED = 2_000;
const RUNS = 9;
const TAGS = ['TODO', 'FIXME', 'HACK', 'XXX'];

const execFileAsync = promisify(execFile);

/** mulberry32: the same tree every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['parse', 'cache', 'retry', 'config', 'index', 'stream', 'token', 'limit', 'buffer', 'render', 'merge', 'queue'];

function generateFile(rnd, index, tag) {
  const pick = () => WORDS[Math.floor(rnd() * WORDS.length)];
  const out = [`// Module ${index}: generated for the benchmark.`, `import { helper${index % 17} } from './helpers';`, ''];
  const functions = 1 + Math.floor(rnd() * 6);
  const tagAt = Math.floor(rnd() * functions);
  for (let f = 0; f < functions; f++) {
    if (tag !== undefined && f === tagAt) out.push(`  // ${tag}: ${pick()} the ${pick()} before ${pick()} (${index})`);
    out.push(
      `export function ${pick()}${index}_${f}(input: string): string {`,
      `  const todoList = [${Math.floor(rnd() * 1000)}, ${Math.floor(rnd() * 1000)}];`,
      `  // keep the ${pick()} in sync with the ${pick()} of the caller`,
      `  return helper${index % 17}(input + todoList.join(','));`,
      '}',
      '',
    );
  }
  return out.join('\n');
}

const REWORDED = 3_000;

/**
 * One file with {@link REWORDED} distinct TODOs, each above a line of code of its own and each
 * tracked by a ticket; then every one of them is reworded and one cycle pairs the edits. Matching
 * every record against every item made this a minutes-long cycle using gigabytes; the word index
 * keeps it near-linear.
 */
async function rewordedCycle(tmp, log, GathererAgent, openBoard, secrets) {
  const repo = join(tmp, 'reworded');
  mkdirSync(join(repo, 'src'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  const rnd = random(2026);
  const texts = Array.from({ length: REWORDED }, (_, i) => `${WORDS[i % WORDS.length]} the ${WORDS[Math.floor(rnd() * WORDS.length)]} of record ${i} before ${WORDS[Math.floor(rnd() * WORDS.length)]}`);
  const file = (suffix) => texts.map((t, i) => `// TODO: ${t}${suffix}\nexport const value${i} = ${i};`).join('\n') + '\n';
  writeFileSync(join(repo, 'src', 'big.ts'), file(''));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'many TODOs');
  const board = await openBoard({ dir: join(tmp, 'boards', 'reworded', '.factory'), repoRoot: repo, pollMs: 0 });
  const agent = new GathererAgent({ settings: () => ({ tags: TAGS, maxNewPerCycle: REWORDED, maxOpen: REWORDED }), secrets });
  const ctx = { board, clock: { now: () => Date.now() }, log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, signal: new globalThis.AbortController().signal, setActivity() {} };
  log(`tracking ${REWORDED} TODOs in one file`);
  await agent.runCycle(ctx);
  writeFileSync(join(repo, 'src', 'big.ts'), file(', and retry on failure'));
  git(repo, 'commit', '-q', '-am', 'reword them all');
  log('one cycle over the reworded file');
  const m = await measure(() => agent.runCycle(ctx));
  const heapBytes = process.memoryUsage().heapUsed;
  const peakRssKb = process.resourceUsage().maxRSS;
  const parsed = /(\d+) updated/.exec(m.value.summary);
  const closed = /(\d+) resolved in code/.exec(m.value.summary);
  const created = /(\d+) new ticket/.exec(m.value.summary);
  await board.close();
  return { ms: m.ms, cpu: m.cpu, followed: parsed ? Number(parsed[1]) : 0, closed: closed ? Number(closed[1]) : 0, created: created ? Number(created[1]) : 0, heapBytes, peakRssKb };
}

/**
 * CPU time of this process and its finished children, in ms (Linux: /proc/self/stat, in clock
 * ticks of 10 ms for the children). Wall time on a busy machine mostly measures the other
 * processes; CPU time is what the work itself costs. Undefined elsewhere.
 */
function cpuMs() {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, so utime/stime/cutime/cstime (14-17) sit at 11-14.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime + stime + cutime + cstime) * 10;
}

async function measure(fn) {
  const cpu = cpuMs();
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  const cpuAfter = cpuMs();
  return { ms, cpu: cpu === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpu, value };
}

export async function run({ root, tmp, log }) {
  const build = await bundle(root, 'gatherer', ['src/agents/gathererAgent.ts', 'src/store/sqlBoard.ts', 'src/store/storeWorker.ts', 'src/scan/security/matchPool.ts']);
  const require = createRequire(import.meta.url);
  const { GathererAgent } = require(join(build, 'agents', 'gathererAgent.js'));
  const { openBoard } = require(join(build, 'store', 'sqlBoard.js'));
  // New comments are masked in the Security scan's threads, as in every host.
  const { MatchPool } = require(join(build, 'scan', 'security', 'matchPool.js'));
  const secrets = new MatchPool({ script: join(await bundle(root, 'gatherer-match', ['src/scan/security/matchWorker.ts']), 'matchWorker.js') });

  log(`generating ${FILES} files, ${TAGGED} of them with a tag`);
  const repo = join(tmp, 'repo');
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  // 20,000 loose objects would start a background gc that outlives the section's temp folder.
  git(repo, 'config', 'gc.auto', '0');
  const rnd = random(2025);
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const tagged = i % (FILES / TAGGED) === 0;
    const n = i / (FILES / TAGGED);
    const tag = !tagged ? undefined : n % 10 === 0 ? 'FIXME' : n % 10 === 1 ? 'HACK' : n % 10 === 2 ? 'XXX' : 'TODO';
    const text = generateFile(rnd, i, tag);
    const dir = join(repo, 'src', `pkg${i % 100}`, `sub${Math.floor(i / 100) % 20}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `module${i}.ts`), text);
    bytes += Buffer.byteLength(text);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'generated tree');
  log(`${FILES} files, ${(bytes / 2 ** 20).toFixed(1)} MB, committed`);

  const pattern = `(${TAGS.join('|')})`;
  const bareGrep = () =>
    measure(async () => {
      const { stdout } = await execFileAsync('git', ['grep', '-n', '-E', pattern], { cwd: repo, env: process.env, maxBuffer: 256 * 2 ** 20 });
      return stdout.split('\n').filter(Boolean).length;
    });
  const agent = new GathererAgent({ settings: () => ({ tags: TAGS, maxNewPerCycle: 5, maxOpen: 50 }), secrets });
  const cycleOn = async (board) => {
    const ctx = { board, clock: { now: () => Date.now() }, log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, signal: new globalThis.AbortController().signal, setActivity() {} };
    const m = await measure(() => agent.runCycle(ctx));
    return { ...m, summary: m.value.summary };
  };
  const freshBoard = (name) => openBoard({ dir: join(tmp, 'boards', name, '.factory'), repoRoot: repo, pollMs: 0 });

  // Warm the file cache and the modules before anything is timed.
  await bareGrep();
  const warmup = await freshBoard('warmup');
  await cycleOn(warmup);
  await warmup.close();

  const grep = [];
  const first = [];
  const steady = [];
  let grepLines = 0;
  let firstSummary = '';
  let steadySummary = '';
  // Ten cycles of five fill the board up to the 50 open tickets the budget allows.
  const steadyBoard = await freshBoard('steady');
  for (let i = 0; i < 10; i++) await cycleOn(steadyBoard);
  for (let i = 0; i < RUNS; i++) {
    log(`run ${i + 1} of ${RUNS}`);
    const g = await bareGrep();
    grep.push(g);
    grepLines = g.value;
    const board = await freshBoard(`first-${i}`);
    const f = await cycleOn(board);
    await board.close();
    first.push(f);
    firstSummary = f.summary;
    const s = await cycleOn(steadyBoard);
    steady.push(s);
    steadySummary = s.summary;
  }
  await steadyBoard.close();
  const reworded = await rewordedCycle(tmp, log, GathererAgent, openBoard, secrets);
  await secrets.end();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const wall = (runs) => median(runs.map((r) => r.ms));
  const cpu = (runs) => (runs.every((r) => r.cpu !== undefined) ? median(runs.map((r) => r.cpu)) : undefined);
  const row = (name, runs) => {
    const c = cpu(runs);
    return [
      name,
      wall(runs).toFixed(0),
      Math.min(...runs.map((r) => r.ms)).toFixed(0),
      `${(wall(runs) / wall(grep)).toFixed(2)}x`,
      c === undefined ? 'n/a' : c.toFixed(0),
      c === undefined ? 'n/a' : `${(c / cpu(grep)).toFixed(2)}x`,
    ];
  };
  return {
    tables: [
      {
        title: `${FILES} files (${(bytes / 2 ** 20).toFixed(1)} MB), ${TAGGED} tags; medians of ${RUNS} interleaved runs`,
        columns: ['run', 'wall ms', 'min wall ms', 'wall vs grep', 'CPU ms', 'CPU vs grep'],
        rows: [
          row(`git grep -n -E '${pattern}'`, grep),
          row('Gatherer cycle, first (empty board, creates 5)', first),
          row('Gatherer cycle, steady (50 open, nothing changed)', steady),
        ],
      },
      {
        title: `${REWORDED} TODOs in one file, each tracked by a ticket, all reworded in one commit: the next cycle`,
        columns: ['run', 'wall ms', 'CPU ms', 'edits followed', 'closed', 'new', 'heap after, MB', 'peak RSS, MB'],
        rows: [
          [
            'Gatherer cycle',
            reworded.ms.toFixed(0),
            reworded.cpu === undefined ? 'n/a' : reworded.cpu.toFixed(0),
            reworded.followed,
            reworded.closed,
            reworded.created,
            (reworded.heapBytes / 2 ** 20).toFixed(0),
            (reworded.peakRssKb / 1024).toFixed(0),
          ],
        ],
      },
    ],
    notes: [
      `git grep printed ${grepLines} lines; the generated files also hold \`todoList\` identifiers, which neither it (case-sensitive) nor the Gatherer counts.`,
      `First cycle: ${firstSummary}. Steady cycle: ${steadySummary}.`,
      'A cycle is everything the agent does: git grep -z -I -w with the .factory exclusion, reading HEAD, parsing, fingerprinting, matching against the board, and the durable board write when something changed (the steady cycle finds that nothing did and skips it).',
      'CPU ms: this process and its git children (user + system, from /proc; children in 10 ms ticks), the cost of the work itself whatever else the machine runs.',
      `Target: within 1.3x of the bare git grep. Machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
    ],
  };
}
