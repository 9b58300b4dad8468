// The Security agent's cycle over a ticket branch with 2,000 changed files of realistic sizes
// (1-40 KB of generated TypeScript, skewed small; 20 hold a token, 40 an eval of input), on a real
// git repository and a real board: cold (empty scan cache) and warm (nothing changed since), each
// a full cycle (git listing, reads, hashing, matching, the board writes). The reference is
// `git grep -P` running the same risky-code patterns plus the fixed prefixes of the secrets planted
// (a lower bound: grep does no secretlint validation, masking, hashing or bookkeeping) over the same
// files in the same run. Composed as the editor and `serve` compose it (git started in the process starter), with
// one cold cycle as the one-shot CLI commands run it (`land`'s Security gate).
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundle, bundleTogether } from './lib/bundle.mjs';
import { git } from './lib/git.mjs';
import { fmtBlock, measureHostBlock } from './lib/hostBlock.mjs';

export const title = 'Security: one cycle over 2,000 changed files, cold and warm, vs git grep; precision per rule and recall';

const FILES = 2_000;
const WITH_SECRET = 20;
const WITH_EVAL = 40;
const WARM_RUNS = 3;
const GREP_RUNS = 3;
const WARMUP_CYCLES = 3;


export async function run({ root, tmp, log }) {
  const build = await bundle(root, 'security', [
    'src/agents/securityAgent.ts',
    'src/git/simpleGitPort.ts',
    'src/git/changeListing.ts',
    'src/scan/security/matchPool.ts',
    'src/scan/security/matchWorker.ts',
    'src/scan/security/rules.ts',
    'src/scan/security/scanContent.ts',
    'src/scan/security/secrets.ts',
    'src/store/sqlBoard.ts',
    'src/store/storeWorker.ts',
    'test/fixtures/security/benchCorpus.ts',
    'test/fixtures/security/riskyCorpus.ts',
    'test/fixtures/security/secretlintFixtures.ts',
  ]);
  const require = createRequire(import.meta.url);
  // As the editor composes it: the agent, its matching threads and the process starter from one
  // bundle, so that turning the starter on reaches the modules the agent runs.
  const editor = {
    module: await bundleTogether(root, 'security-editor', {
      'src/agents/securityAgent.ts': ['SecurityAgent'],
      'src/scan/security/matchPool.ts': ['MatchPool'],
      'src/process/processStarter.ts': ['useProcessStarter', 'stopProcessStarter'],
    }),
    starter: join(await bundle(root, 'security-starter', ['src/git/processStarterMain.ts']), 'processStarterMain.js'),
  };
  // With entries outside src/, esbuild keeps the folders below the repository; the store's worker stays beside sqlBoard.js.
  const { SecurityAgent } = require(join(build, 'src', 'agents', 'securityAgent.js'));
  const { SimpleGitPort } = require(join(build, 'src', 'git', 'simpleGitPort.js'));
  const { ScanChangeLister } = require(join(build, 'src', 'git', 'changeListing.js'));
  const { RISKY_RULES } = require(join(build, 'src', 'scan', 'security', 'rules.js'));
  const { openBoard } = require(join(build, 'src', 'store', 'sqlBoard.js'));
  const { MatchPool } = require(join(build, 'src', 'scan', 'security', 'matchPool.js'));
  const { benchCorpus, BENCH_TOKEN_PREFIX: TOKEN_PREFIX } = require(join(build, 'test', 'fixtures', 'security', 'benchCorpus.js'));
  // The bundles keep their folders, so the pool is told where its worker's bundle is.
  const matcher = new MatchPool({ script: join(build, 'src', 'scan', 'security', 'matchWorker.js') });
  const quality = await ruleQuality(root, build, require, log);

  log(`generating ${FILES} files`);
  const repo = join(tmp, 'repo');
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'switch', '-q', '-c', 'factory/T-1-bench');
  let bytes = 0;
  // Written a minute before the commit, as an agent's files are: a file written in the second git
  // writes its index is "racily clean", and every `git status` (ours runs without taking the
  // index's lock) reads it again until something refreshes the index; a corpus written and
  // committed in one go would measure that re-reading of all 2,000 files, on some runs and not others.
  const written = new Date(Date.now() - 60_000);
  // The same files as the prefilter test (test/fixtures/security/benchCorpus.ts).
  for (const file of benchCorpus({ files: FILES, withSecret: WITH_SECRET, withEval: WITH_EVAL })) {
    const abs = join(repo, file.path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, file.text);
    utimesSync(abs, written, written);
    bytes += Buffer.byteLength(file.text);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'agent work');
  log(`${FILES} files, ${(bytes / 2 ** 20).toFixed(1)} MB`);

  // As the hosts compose it (src/host/backgroundAgents.ts). In the editor and `serve`, git
  // starts in the process starter and the change is listed on the host's thread; the one-shot CLI
  // commands list it in the matching threads (one row below).
  const { useProcessStarter, stopProcessStarter } = require(editor.module);
  const editorMatcher = new (require(editor.module).MatchPool)({ script: join(build, 'src', 'scan', 'security', 'matchWorker.js') });
  const EditorAgent = require(editor.module).SecurityAgent;
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  useProcessStarter({ script: editor.starter, log: quiet });
  // A new agent for each cold cycle: an agent remembers the files it has read (a window that has
  // scanned them before), and a cold cycle is one that has seen nothing.
  const agentSettings = { settings: () => ({ maxFileSizeKB: 1024, ignore: ['**/node_modules/**'] }), scanBudgetMs: 600_000 };
  const newAgent = () => new EditorAgent({ ...agentSettings, git: editorMatcher, matcher: editorMatcher });
  const newCliAgent = () => new SecurityAgent({ ...agentSettings, git: matcher, matcher });
  const cycleOn = async (board, agent) => {
    const ctx = { board, clock: { now: () => Date.now() }, log: quiet, signal: new AbortController().signal, setActivity() {} };
    const t = performance.now();
    const elu = performance.eventLoopUtilization();
    const { result, blockMs, gapMs, cpuMs } = await measureHostBlock(() => agent.runCycle(ctx));
    return { ms: performance.now() - t, hostMs: performance.eventLoopUtilization(elu).active, blockMs, gapMs, cpuMs, result };
  };
  const freshBoard = async (name, filler = 0) => {
    const dir = join(tmp, name, '.factory');
    const board = await openBoard({ dir, repoRoot: repo, pollMs: 0 });
    await board.write((tx) => {
      // Tickets without a worktree: the board's size, which the scan must not pay for.
      for (let i = 0; i < filler; i++) tx.createTicket({ title: `Filler ${i}`, description: 'Backlog work.\n' }, 'user');
      const t = tx.createTicket({ title: 'Bench ticket', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: repo, branch: 'factory/T-1-bench', base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
    });
    // The filler's write folds the journal into a new snapshot in a thread of its own: setting up, not the cycle.
    await board.whenCompacted();
    return board;
  };

  // "Cold" means an empty scan cache, not cold code: secretlint is loaded in the matching threads on
  // their first use, and their code is compiled to its fastest only over their first few thousand
  // files (new threads took 525, 304 and 218 ms for their first three passes over the corpus, then
  // 110-130). The threads of a window that has been open a while are past that, so each pool runs
  // WARMUP_CYCLES cold cycles on boards of their own before anything is timed; the first of them
  // is printed too, as what a new window's first scan (or a one-shot CLI command's) pays.
  const warmUp = async (name, makeAgent) => {
    const cycles = [];
    for (let i = 0; i < WARMUP_CYCLES; i++) {
      const board = await freshBoard(`${name}-${i}`);
      cycles.push(await cycleOn(board, makeAgent()));
      await board.close();
    }
    return cycles[0];
  };
  log(`warming up the matching threads: ${WARMUP_CYCLES} cold cycles in each pool`);
  const firstEditor = await warmUp('warmup', newAgent);
  const firstCli = await warmUp('warmup-cli', newCliAgent);

  log('cold cycle, 10,000-ticket board');
  const big = await freshBoard('board-10000', 9_999);
  const cold10k = await cycleOn(big, newAgent());
  await big.close();
  log('cold cycle, 1,000-ticket board');
  const board = await freshBoard('board', 999);
  const agent = newAgent();
  const cold = await cycleOn(board, agent);
  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    log(`warm cycle ${i + 1}`);
    warm.push(await cycleOn(board, agent));
  }
  await board.close();
  log('cold cycle, 1,000-ticket board, listed in the matching threads');
  const cliBoard = await freshBoard('board-cli', 999);
  const coldCli = await cycleOn(cliBoard, newCliAgent());
  await cliBoard.close();
  await matcher.end();
  await editorMatcher.end();
  stopProcessStarter();

  // What the git layer's listing of the change alone costs, for reading the cycle's figures.
  const listTimes = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const t = performance.now();
    await new SimpleGitPort().changedFiles(repo, 'main');
    listTimes.push(performance.now() - t);
  }
  // The scan's own listing, as a warm cycle runs it: the merge-base already known.
  const scanLister = new ScanChangeLister();
  await scanLister.listChange(repo, 'main');
  const scanListTimes = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const t = performance.now();
    await scanLister.listChange(repo, 'main');
    scanListTimes.push(performance.now() - t);
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
  const coldRow = (label, c) => [label, c.ms.toFixed(0), mbps(c.ms), c.result.stats.scanned, c.result.stats.unchanged, c.result.stats.newFindings, `${(c.ms / grepMs).toFixed(1)}x`, c.hostMs.toFixed(0), fmtBlock(c)];
  return {
    tables: [
      ...quality.tables,
      {
        title: `${FILES} changed files, ${(bytes / 2 ** 20).toFixed(1)} MB`,
        columns: ['run', 'ms', 'MB/s', 'files scanned', 'unchanged', 'findings', 'vs git grep', 'host thread ms', 'longest block ms (ELD / tick gap / on-CPU)'],
        rows: [
          coldRow('Security cycle, cold, 1,000-ticket board', cold),
          coldRow('Security cycle, cold, 10,000-ticket board', cold10k),
          coldRow('Security cycle, cold, 1,000-ticket board, as the one-shot CLI commands run it', coldCli),
          coldRow('Security cycle, cold, new matching threads (their first cycle; secretlint loads in it), 1-ticket board', firstEditor),
          coldRow('  the same, as the one-shot CLI commands run it', firstCli),
          [`Security cycle, warm (median of ${WARM_RUNS})`, warmMs.toFixed(0), mbps(warmMs), w.scanned, w.unchanged, 0, `${(warmMs / grepMs).toFixed(1)}x`, median(warm.map((x) => x.hostMs)).toFixed(0), fmtBlock({ blockMs: Math.max(...warm.map((x) => x.blockMs)), gapMs: Math.max(...warm.map((x) => x.gapMs)), cpuMs: warm.some((x) => x.cpuMs === undefined) ? undefined : Math.max(...warm.map((x) => x.cpuMs)) })],
          [`git grep -P / -F, same patterns (median of ${GREP_RUNS})`, grepMs.toFixed(0), mbps(grepMs), FILES, '', grepHits, '1.0x', '', ''],
          [`  listing the change for other agents, GitPort.changedFiles (median of ${WARM_RUNS})`, median(listTimes).toFixed(0), '', '', '', '', `${(median(listTimes) / grepMs).toFixed(1)}x`, '', ''],
          [`  of the cycles: listing the change, ScanChangeLister, warm (median of ${WARM_RUNS})`, median(scanListTimes).toFixed(0), '', '', '', '', `${(median(scanListTimes) / grepMs).toFixed(1)}x`, '', ''],
        ],
      },
    ],
    notes: [
      ...quality.notes,
      `Load average (1, 5, 15 min) at the end: ${loadavg().map((x) => x.toFixed(2)).join(', ')}; matching threads: ${matcher.size}.`,
      'Longest block: the longest time this thread could not run anything else during the cycle (target: at most 16 ms); the first two also count time a loaded machine did not run the thread, the third (its own CPU time between two 1 ms ticks) does not.',
      `Planted: ${WITH_SECRET} tokens and ${WITH_EVAL} evals of input; the cold cycle found ${s.newFindings} (expected ${WITH_SECRET + WITH_EVAL}).`,
      'Composed as the editor and serve compose it: git starts in the process starter and the change is listed on this thread; the one-shot CLI commands start no starter and list it in the matching threads (their row).',
      'Cold and warm are full cycles: git listing of the change, reading and hashing every file whose identity on disk changed (all of them cold, none warm), matching (cold only), the durable board writes; listing, reading, hashing and matching run in the matching threads.',
      'git grep only matches lines; the cycle also runs secretlint\'s full recommended preset, masks, fingerprints and records bugs and threads.',
    ],
  };
}

/**
 * Precision and recall of each risky-code rule on its corpus of real-looking true and false cases
 * (test/fixtures/security/riskyCorpus.ts), and recall on secretlint's own fixtures for the
 * installed recommended preset, next to secretlint itself in its default configuration.
 */
async function ruleQuality(root, build, require, log) {
  const { scanContent } = require(join(build, 'src', 'scan', 'security', 'scanContent.js'));
  const { findSecrets } = require(join(build, 'src', 'scan', 'security', 'secrets.js'));
  const { scoreCorpus, precision, recall } = require(join(build, 'test', 'fixtures', 'security', 'riskyCorpus.js'));
  const { secretlintFixtureCases, measureRecall } = require(join(build, 'test', 'fixtures', 'security', 'secretlintFixtures.js'));
  const pct = (x) => `${(100 * x).toFixed(0)}%`;

  log('risky-code corpus');
  const scores = await scoreCorpus(async (file, code) => (await scanContent(file, Buffer.from(code))).findings.map((f) => f.rule));
  const rows = scores.map((s) => [s.rule, s.truePositives + s.falseNegatives, s.falsePositives + s.trueNegatives, s.truePositives, s.falsePositives, pct(precision(s)), pct(recall(s))]);
  const all = scores.reduce((a, s) => ({ truePositives: a.truePositives + s.truePositives, falsePositives: a.falsePositives + s.falsePositives, falseNegatives: a.falseNegatives + s.falseNegatives }), { truePositives: 0, falsePositives: 0, falseNegatives: 0 });
  rows.push(['all rules', all.truePositives + all.falseNegatives, '', all.truePositives, all.falsePositives, pct(precision(all)), pct(recall(all))]);

  log("secretlint's fixtures");
  const cases = secretlintFixtureCases(join(root, 'test', 'fixtures', 'secretlint-preset'));
  const ours = await measureRecall(cases, async (file) => (await scanContent(file, readFileSync(file))).findings.map((f) => ({ rule: f.rule, line: f.line })));
  const [core, preset] = await Promise.all([import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')]);
  const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: preset.creator }] };
  const plain = await measureRecall(cases, async (file) => {
    const binary = file.endsWith('.p12');
    const result = await core.lintSource({ source: { content: binary ? '' : readFileSync(file, 'utf8'), filePath: file, ext: extname(file), contentType: binary ? 'binary' : 'text' }, options: { config } });
    return result.messages.map((m) => ({ rule: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, 'secret/'), line: m.loc.start.line }));
  });
  // Each miss of ours, by whether the placeholder filter kept it quiet on purpose.
  let quiet = 0;
  for (const miss of ours.missed) {
    const file = cases.find((c) => c.name === miss.name).file;
    const hits = await findSecrets(file, readFileSync(file, 'utf8'));
    if (hits.some((h) => h.placeholder && h.line === miss.finding.startLine)) quiet++;
  }
  const version = JSON.parse(readFileSync(join(root, 'node_modules', '@secretlint', 'secretlint-rule-preset-recommend', 'package.json'), 'utf8')).version;
  return {
    tables: [
      {
        title: `Risky-code rules on their corpus (judged wrong: ${scores.reduce((n, s) => n + s.wrong.length, 0)}, each marked known in the corpus)`,
        columns: ['rule', 'risky cases', 'safe cases', 'reported risky', 'reported safe', 'precision', 'recall'],
        rows,
      },
      {
        title: `Recall on secretlint's fixtures for its recommended preset (${ours.cases} cases, ${ours.expected} expected findings; preset ${version} installed)`,
        columns: ['scanner', 'found', 'recall', 'misses kept quiet as stand-ins', 'findings in clean cases'],
        rows: [
          ['Security scanner', ours.found, pct(ours.found / ours.expected), quiet, ours.unexpected.length],
          ['secretlint, same preset, default options', plain.found, pct(plain.found / plain.expected), '', plain.unexpected.length],
        ],
      },
    ],
    notes: [
      `Security scanner misses: ${ours.missed.length}, of which ${quiet} are stand-ins the placeholder filter keeps quiet on purpose (runs of one character like sk_live_AAAA… or hf_xxxx…, values saying EXAMPLE, user:pass@…); ${ours.missed.length - quiet} others.`,
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
