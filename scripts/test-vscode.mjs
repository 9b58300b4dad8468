// `npm run test:vscode`: builds, compiles the tests and runs the in-host suite
// (test/vscode/suite/**/*.test.ts) inside a real extension host, against a fresh throwaway git
// repository opened as the workspace. A desktop VS Code named by VSCODE_EXECUTABLE runs it through
// @vscode/test-electron; otherwise code-server does, driven from headless chromium.
//
// Environment: AGENT_FACTORY_TEST_GREP (mocha grep), AGENT_FACTORY_TEST_SEED (workspace seed from
// scripts/lib/workspace.mjs), AGENT_FACTORY_KEEP_TEMP (keep the temp folders for a post-mortem).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from './lib/browser.mjs';
import { cleanup } from './lib/cleanup.mjs';
import { ensureCodeServer, startCodeServer } from './lib/codeServer.mjs';
import { runInCodeServer, runInDesktop } from './lib/inHost.mjs';
import { outputDir, root } from './lib/paths.mjs';
import { mustRunNode } from './lib/run.mjs';
import { createWorkspace } from './lib/workspace.mjs';
import { compileTests } from './test-unit.mjs';

/** The desktop VS Code to use, if the environment names one. */
export function desktopVsCode() {
  return process.env.VSCODE_EXECUTABLE || undefined;
}

/**
 * Runs the suite and returns { passed, failed, detail } for the stage summary; throws when the
 * host did not run it (nothing ran, it crashed, it timed out).
 */
export async function inHostSuite({ server, context }) {
  const workspace = createWorkspace();
  const executable = desktopVsCode();
  const { code, results, elapsedMs } = executable
    ? await runInDesktop({ executable, workspace })
    : await runInCodeServer({ server, context, workspace });
  const where = executable ? `VS Code at ${executable}` : 'code-server';
  if (!results) throw new Error(`the in-host suite reported no results (exit code ${code}; ${where}); see ${outputDir('in-host')}`);
  if (results.tests === 0) throw new Error('the in-host suite ran zero tests');
  console.log(`in-host: ${results.passes} passed, ${results.failures} failed, ${results.pending} pending in ${(elapsedMs / 1000).toFixed(1)} s (${where})`);
  // A failing run that mocha counted as passing would be a harness bug: never report it green.
  const failed = code !== 0 && results.failures === 0 ? 1 : results.failures;
  return { passed: results.passes, failed, detail: `${results.tests} tests in ${where}` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let ok = false;
  try {
    await mustRunNode('the build', [join(root, 'scripts', 'build.mjs')]);
    await compileTests();
    let server;
    let context;
    if (!desktopVsCode()) {
      const bin = await ensureCodeServer();
      server = await startCodeServer({ bin, logFile: join(outputDir('in-host'), 'code-server.log') });
      ({ context } = await launchBrowser());
    }
    const { failed } = await inHostSuite({ server, context });
    ok = failed === 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
  } finally {
    await cleanup();
  }
  process.exitCode = ok ? 0 : 1;
}
