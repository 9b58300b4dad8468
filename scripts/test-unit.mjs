// `npm run test:unit`: compiles the tests (tsc -p test) and runs every test/unit/**/*.test.ts,
// compiled, with node:test in plain Node. The files are listed explicitly (Node 20's --test takes
// no globs) and from the sources, so a stale compiled test of a deleted source never runs.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { outputDir, root } from './lib/paths.mjs';
import { binOf, runNode } from './lib/run.mjs';

export function unitTestFiles() {
  const dir = join(root, 'test', 'unit');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
    .map((file) => join(root, 'out', 'test', 'unit', file.replace(/\.ts$/, '.js')));
}

/** Compiles the tests; rejects with tsc's output when they do not compile. */
export async function compileTests({ quiet = false } = {}) {
  const { code, output } = await runNode([binOf('typescript', 'tsc'), '-p', 'test'], { quiet: true });
  if (code !== 0) throw new Error(`the tests do not compile (tsc -p test):\n${output}`);
  if (!quiet && output) process.stdout.write(output);
}

/** Runs the compiled unit tests with the spec reporter on stdout; resolves with their counts. */
export async function runUnitTests() {
  const files = unitTestFiles();
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`not compiled: ${missing.join(', ')}`);
  if (files.length === 0) throw new Error('no unit test files under test/unit/');
  const countsFile = join(outputDir('unit'), 'counts.json');
  rmSync(countsFile, { force: true });
  const started = Date.now();
  const { code } = await runNode([
    '--test',
    // Most unit tests wait on git and child processes rather than the CPU: four files at a time
    // took 2.4 min where node's default (one file per spare core: one on two cores) took 3.8.
    `--test-concurrency=${process.env.AGENT_FACTORY_UNIT_CONCURRENCY ?? 4}`,
    // A guard against hangs, not a speed limit: on Node 20 it bounds each whole file too, and the
    // WorktreeAgent file alone took three minutes, and the CLI files over five, on two busy cores.
    '--test-timeout=600000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'lib', 'unitCounts.mjs')}`, '--test-reporter-destination=stderr',
    ...files,
  ], { env: { AGENT_FACTORY_UNIT_COUNTS: countsFile } });
  if (!existsSync(countsFile)) throw new Error(`the unit test run (exit code ${code}) reported no counts: it crashed before the end`);
  const counts = JSON.parse(readFileSync(countsFile, 'utf8'));
  return { ...counts, files: files.length, code, elapsedMs: Date.now() - started };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await compileTests();
    const counts = await runUnitTests();
    console.log(`unit: ${counts.passed} passed, ${counts.failed} failed in ${counts.files} files`);
    process.exitCode = counts.code === 0 && counts.failed === 0 ? 0 : 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
