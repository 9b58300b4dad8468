// `npm test`: every check, in order, stopping at the first failing stage:
//   the system packages (scripts/system-deps.sh); build; typecheck and lint (in parallel); unit
//   tests in plain Node; a short chaos soak (real headless hosts and agents under faults); the
//   in-host suite in a real extension host; the Restricted Mode suite in a workbench with
//   workspace trust on; the UI smoke in a real browser; the packaged .vsix (contents, then
//   installed into its own code-server, where it must activate).
// Ends with a summary per stage and the line `N passed, N failed`. Evidence (screenshots, logs,
// results) goes to test-output/.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runUiSmoke } from '../test/ui/smoke.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { cleanup } from './lib/cleanup.mjs';
import { ensureCodeServer, startCodeServer } from './lib/codeServer.mjs';
import { outputDir, root, testOutput } from './lib/paths.mjs';
import { mustRunNode, runNpmScript } from './lib/run.mjs';
import { Stages } from './lib/stages.mjs';
import { ensureSystemDeps } from './lib/systemDeps.mjs';
import { checkInstalledVsix } from './lib/vsixCheck.mjs';
import { ensureAgentClis } from './agent-clis.mjs';
import { packageExtension } from './package.mjs';
import { runSoak } from './soak.mjs';
import { compileTests, runUnitTests } from './test-unit.mjs';
import { inHostSuite, restrictedSuite } from './test-vscode.mjs';

// `npm test -- --skip=lint,unit tests` leaves stages out for a quicker local loop.
const skipArg = process.argv.find((arg) => arg.startsWith('--skip='));
const stages = new Stages(skipArg ? skipArg.slice('--skip='.length).split(',').map((name) => name.trim()) : []);
rmSync(testOutput, { recursive: true, force: true });

// System packages first (installing code-server builds with some of them).
try {
  await ensureSystemDeps('test');
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

// Installing code-server takes minutes on a fresh machine (then it is cached): start now, next to
// the static checks, and wait for it only when a stage needs it.
const codeServerBin = ensureCodeServer();
codeServerBin.catch(() => undefined); // awaited (and reported) by the first stage that needs it
// The real agent CLIs the unit tests run (Claude Code, Codex): the same, into the same cache.
const agentClis = ensureAgentClis();
agentClis.catch(() => undefined); // awaited by the unit tests

/**
 * One code-server and one browser for the in-host suite and the UI smoke, started on first use.
 * @type {{ server: Awaited<ReturnType<typeof startCodeServer>>, context: import('playwright-core').BrowserContext, close: () => Promise<void> } | undefined}
 */
let shared;
async function sharedWorkbench() {
  if (!shared) {
    const bin = await codeServerBin;
    const server = await startCodeServer({ bin, logFile: join(outputDir('code-server'), 'shared.log') });
    console.log(`code-server listening on ${server.origin} after ${(server.startupMs / 1000).toFixed(1)} s`);
    const { context, close } = await launchBrowser();
    shared = { server, context, close };
  }
  return shared;
}

try {
  await stages.run('build', () => mustRunNode('the build', [join(root, 'scripts', 'build.mjs')]));

  await stages.runInParallel([
    ['typecheck', () => npmScript('typecheck')],
    ['lint', () => npmScript('lint')],
  ]);

  await stages.run('unit tests', async () => {
    await agentClis;
    await compileTests({ quiet: true });
    const unit = await runUnitTests();
    console.log(`unit: ${unit.passed} passed, ${unit.failed} failed, ${unit.skipped + unit.todo} skipped in ${unit.files} files`);
    // Tests that never reported (a crashed runner) count as one failure.
    const failed = unit.code !== 0 && unit.failed === 0 ? 1 : unit.failed;
    return { passed: unit.passed, failed, detail: `${unit.files} files` };
  });

  // The chaos soak, short: real headless hosts, agents and faults for under a minute and a half.
  await stages.run('chaos soak (short)', async () => {
    if (stages.skip.has('unit tests')) await compileTests({ quiet: true });
    const seed = Number(process.env.AGENT_FACTORY_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const { code, output, report } = await runSoak({ minutes: 0.9, seed, quiet: true });
    console.log(output.trim());
    if (!report) throw new Error(`the soak crashed (exit code ${code}); rerun it with: npm run soak -- --minutes 0.9 --seed ${seed}`);
    const faults = Object.values(report.faults).reduce((a, b) => a + b, 0);
    return { passed: report.violations.length === 0 ? 1 : 0, failed: report.violations.length, detail: `seed ${seed}, ${faults} faults, ${report.violations.length} violations in ${report.tookSeconds} s` };
  });

  await stages.run('in-host suite', async () => {
    const { server, context } = process.env.VSCODE_EXECUTABLE ? {} : await sharedWorkbench();
    return inHostSuite({ server, context });
  });

  await stages.run('in-host, Restricted Mode', async () => {
    // Its own code-server (workspace trust on), the shared browser.
    const { context } = await sharedWorkbench();
    return restrictedSuite({ bin: await codeServerBin, context });
  });

  await stages.run('UI smoke', async () => {
    const { server, context } = await sharedWorkbench();
    const { results, totalMs } = await runUiSmoke({ server, context });
    const passed = results.filter((result) => result.ok).length;
    console.log(`UI smoke: ${passed} of ${results.length} steps passed in ${(totalMs / 1000).toFixed(1)} s; screenshots in ${outputDir('ui-smoke')}`);
    return { passed, failed: results.length - passed, detail: `${results.length} steps` };
  });

  if (shared) {
    await shared.close();
    await shared.server.stop();
  }

  let vsix;
  await stages.run('package', async () => {
    vsix = await packageExtension({ quiet: true });
    console.log(`${vsix.file}:\n${vsix.names.map((name) => `  ${name}`).join('\n')}`);
    if (vsix.problems.length > 0) throw new Error(`the package is wrong:\n${vsix.problems.map((problem) => `  ${problem}`).join('\n')}`);
  });

  await stages.run('installed .vsix', async () => {
    const bin = await codeServerBin;
    const { context, close } = await launchBrowser();
    try {
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      const checks = await checkInstalledVsix({ bin, context, file: vsix.file, manifest });
      const passed = checks.filter((entry) => entry.ok).length;
      return { passed, failed: checks.length - passed, detail: `${checks.length} checks` };
    } finally {
      await close();
    }
  });
} catch (error) {
  console.error(error instanceof Error ? error.stack : String(error));
  stages.failed = true;
} finally {
  await cleanup();
}

const { failed } = stages.summary();
process.exitCode = failed > 0 || stages.failed ? 1 : 0;

/** An npm script as a stage: its output is printed when it ends (the two run side by side). */
async function npmScript(name) {
  const { code, output } = await runNpmScript(name, { quiet: true });
  const shown = output.split('\n').filter((line) => !line.startsWith('npm warn')).join('\n').trim();
  if (shown) console.log(`--- ${name}\n${shown}`);
  if (code !== 0) throw new Error(`npm run ${name} failed (exit code ${code})`);
}
