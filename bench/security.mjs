// The Security agent's cycle over a ticket branch with 2,000 changed files of realistic sizes
// (1-40 KB of generated TypeScript, skewed small; 20 hold a token, 40 an eval of input), on a real
// git repository and a real board: cold (empty scan cache) and warm (nothing changed since), each
// a full cycle (git listing, reads, hashing, matching, one board write). The reference is
// `git grep -P` running the same risky-code patterns plus the fixed prefixes of the secrets planted
// (a lower bound: grep does no secretlint validation, masking, hashing or bookkeeping) over the same
// files in the same run.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundle } from './lib/bundle.mjs';
import { git } from './lib/git.mjs';

export const title = 'Security: one cycle over 2,000 changed files, cold and warm, vs git grep';

const FILES = 2_000;
const WITH_SECRET = 20;
const WITH_EVAL = 40;
const WARM_RUNS = 3;
const GREP_RUNS = 3;


/** mulberry32: the same files every run. */
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

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Assembled here so that no file of the repository holds a token-shaped literal.
const TOKEN_PREFIX = ['gh', 'p_'].join('');

function generateFile(rnd, index, size, extra) {
  const words = ['value', 'count', 'items', 'result', 'config', 'path', 'name', 'index', 'entry', 'state'];
  const pick = () => words[Math.floor(rnd() * words.length)];
  const out = [`// Module ${index}: generated for the benchmark.`, `import { helper${index % 17} } from './helpers';`, ''];
  let length = out.join('\n').length;
  let fn = 0;
  const insertAt = Math.floor(rnd() * 40) + 3;
  while (length < size) {
    const block = [
      `export function ${pick()}${index}_${fn++}(${pick()}: number, ${pick()}: string): string {`,
      `  const ${pick()}List = [${Math.floor(rnd() * 1000)}, ${Math.floor(rnd() * 1000)}, ${Math.floor(rnd() * 1000)}];`,
      `  if (${pick()}List.length > ${Math.floor(rnd() * 10)}) return helper${index % 17}(String(${pick()}List[0]));`,
      `  // keep the ${pick()} in sync with the ${pick()} of the caller`,
      `  return \`\${${pick()}List.join(', ')} for ${pick()}\`;`,
      '}',
      '',
    ];
    if (out.length >= insertAt && extra.length > 0) block.unshift(extra.shift());
    out.push(...block);
    length += block.join('\n').length + 1;
  }
  out.push(...extra);
  return out.join('\n');
}

export async function run({ root, tmp, log }) {
  const build = await bundle(root, 'security', [
    'src/agents/securityAgent.ts',
    'src/git/simpleGitPort.ts',
    'src/scan/security/rules.ts',
    'src/scan/security/scanText.ts',
    'src/store/sqlBoard.ts',
    'src/store/storeWorker.ts',
  ]);
  const require = createRequire(import.meta.url);
  // esbuild keeps the entries' folders below src/; the store's worker stays beside sqlBoard.js.
  const { SecurityAgent } = require(join(build, 'agents', 'securityAgent.js'));
  const { SimpleGitPort } = require(join(build, 'git', 'simpleGitPort.js'));
  const { RISKY_RULES } = require(join(build, 'scan', 'security', 'rules.js'));
  const { openBoard } = require(join(build, 'store', 'sqlBoard.js'));

  log(`generating ${FILES} files`);
  const repo = join(tmp, 'repo');
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'switch', '-q', '-c', 'factory/T-1-bench');
  const rnd = random(2024);
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const size = Math.round(1024 + 39 * 1024 * rnd() ** 3);
    const extra = [];
    if (i % (FILES / WITH_SECRET) === 0) extra.push(`export const token = "${TOKEN_PREFIX}${Array.from({ length: 36 }, () => ALNUM[Math.floor(rnd() * ALNUM.length)]).join('')}";`);
    if (i % (FILES / WITH_EVAL) === 1) extra.push('export const run = (userInput: string) => eval(userInput);');
    const text = generateFile(rnd, i, size, extra);
    const dir = join(repo, 'src', `pkg${i % 40}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `module${i}.ts`), text);
    bytes += Buffer.byteLength(text);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'agent work');
  log(`${FILES} files, ${(bytes / 2 ** 20).toFixed(1)} MB`);

  const agent = new SecurityAgent({ settings: () => ({ maxFileSizeKB: 1024, ignore: ['**/node_modules/**'] }), git: new SimpleGitPort() });
  const cycleOn = async (board) => {
    const ctx = { board, clock: { now: () => Date.now() }, log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, setActivity() {} };
    const t = performance.now();
    const result = await agent.runCycle(ctx);
    return { ms: performance.now() - t, result };
  };
  const freshBoard = async (name) => {
    const dir = join(tmp, name, '.factory');
    const board = await openBoard({ dir, repoRoot: repo, pollMs: 0 });
    await board.write((tx) => {
      const t = tx.createTicket({ title: 'Bench ticket', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: repo, branch: 'factory/T-1-bench', base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
    });
    return board;
  };

  // secretlint is loaded on first use; load it before timing so "cold" means an empty cache, not a cold module.
  const warmup = await freshBoard('warmup');
  await cycleOn(warmup);
  await warmup.close();

  log('cold cycle');
  const board = await freshBoard('board');
  const cold = await cycleOn(board);
  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    log(`warm cycle ${i + 1}`);
    warm.push(await cycleOn(board));
  }
  await board.close();

  // What the git layer's listing of the change alone costs, for reading the cycle's figures.
  const listTimes = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const t = performance.now();
    await new SimpleGitPort().changedFiles(repo, 'main');
    listTimes.push(performance.now() - t);
  }

  // The same patterns for git grep: every risky rule for .ts files, and the planted secrets' fixed prefixes.
  const patterns = RISKY_RULES.filter((r) => r.languages.includes('*') || r.languages.includes('ts')).map((r) => r.pattern.source);
  const fixed = [TOKEN_PREFIX, ['AK', 'IA'].join(''), 'hooks.slack.com/services/', ['PRIVATE', ' KEY-----'].join('')];
  const grepTimes = [];
  let grepHits = 0;
  for (let i = 0; i < GREP_RUNS; i++) {
    const t = performance.now();
    const risky = grep(repo, ['-P', ...patterns.flatMap((p) => ['-e', p])]);
    const secrets = grep(repo, ['-F', ...fixed.flatMap((p) => ['-e', p])]);
    grepTimes.push(performance.now() - t);
    grepHits = risky + secrets;
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const warmMs = median(warm.map((w) => w.ms));
  const grepMs = median(grepTimes);
  const s = cold.result.stats;
  const w = warm[warm.length - 1].result.stats;
  const mbps = (ms) => (bytes / 2 ** 20 / (ms / 1000)).toFixed(1);
  return {
    tables: [
      {
        title: `${FILES} changed files, ${(bytes / 2 ** 20).toFixed(1)} MB`,
        columns: ['run', 'ms', 'MB/s', 'files scanned', 'unchanged', 'findings', 'vs git grep'],
        rows: [
          ['Security cycle, cold', cold.ms.toFixed(0), mbps(cold.ms), s.scanned, s.unchanged, s.newFindings, `${(cold.ms / grepMs).toFixed(1)}x`],
          [`Security cycle, warm (median of ${WARM_RUNS})`, warmMs.toFixed(0), mbps(warmMs), w.scanned, w.unchanged, 0, `${(warmMs / grepMs).toFixed(1)}x`],
          [`git grep -P / -F, same patterns (median of ${GREP_RUNS})`, grepMs.toFixed(0), mbps(grepMs), FILES, '', grepHits, '1.0x'],
          [`  of the cycles: listing the change, GitPort.changedFiles (median of ${WARM_RUNS})`, median(listTimes).toFixed(0), '', '', '', '', `${(median(listTimes) / grepMs).toFixed(1)}x`],
        ],
      },
    ],
    notes: [
      `Planted: ${WITH_SECRET} tokens and ${WITH_EVAL} evals of input; the cold cycle found ${s.newFindings} (expected ${WITH_SECRET + WITH_EVAL}).`,
      'Cold and warm are full cycles: git listing of the change, reading and hashing every file, matching (cold only) and the one durable board write.',
      'git grep only matches lines; the cycle also runs secretlint\'s full recommended preset, masks, fingerprints and records bugs and threads.',
    ],
  };
}

/** Matching lines of `git grep` over the tracked files of the working tree (exit 1 = none). */
function grep(repo, args) {
  try {
    return git(repo, 'grep', '-n', '-I', ...args, '--', 'src').split('\n').filter(Boolean).length;
  } catch (err) {
    if (err.status === 1) return 0;
    throw err;
  }
}
