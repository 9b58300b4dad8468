// `npm run soak`: the chaos soak (test/soak/soak.ts, compiled with the tests). Faults for
// `--minutes` (default 20), drawn from `--seed` (printed; random when not given); `--keep` keeps
// its folder. Exits 1 when an invariant was violated. `npm test` runs a short one (runSoak below).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './lib/paths.mjs';
import { runNode } from './lib/run.mjs';
import { compileTests } from './test-unit.mjs';

const soakScript = join(root, 'out', 'test', 'soak', 'soak.js');

/**
 * Runs the compiled soak; resolves with its exit code and report (undefined when it crashed).
 * @param {{ minutes: number, seed: number, quiet?: boolean }} options
 * @returns {Promise<{ code: number, output: string, report?: { violations: unknown[], faults: Record<string, number>, tookSeconds: number, command: string } }>}
 */
export async function runSoak({ minutes, seed, quiet = false }) {
  const dir = mkdtempSync(join(tmpdir(), 'af-soak-report-'));
  const file = join(dir, 'report.json');
  try {
    const { code, output } = await runNode([soakScript, '--minutes', String(minutes), '--seed', String(seed), '--report', file], { quiet });
    let report;
    try {
      report = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      report = undefined;
    }
    return { code, output, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await compileTests({ quiet: true });
  const { code } = await runNode([soakScript, ...process.argv.slice(2)]);
  process.exitCode = code;
}
