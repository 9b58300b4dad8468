// `npm run test:vscode`: builds, compiles the tests and runs the in-host suite
// (test/vscode/suite/**/*.test.ts) inside a real extension host, against a fresh throwaway git
// repository opened as the workspace. A desktop VS Code named by VSCODE_EXECUTABLE runs it through
// @vscode/test-electron; otherwise code-server does, driven from headless chromium. Then the
// Restricted Mode suite (test/vscode/restricted/) runs in a code-server of its own with workspace
// trust on, on a folder nobody trusted.
//
// Environment: AGENT_FACTORY_TEST_GREP (mocha grep), AGENT_FACTORY_TEST_SEED (workspace seed from
// scripts/lib/workspace.mjs), AGENT_FACTORY_KEEP_TEMP (keep the temp folders for a post-mortem).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Workbench } from '../test/ui/workbench.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { cleanup } from './lib/cleanup.mjs';
import { ensureCodeServer, restrictedSettings, startCodeServer } from './lib/codeServer.mjs';
import { runInCodeServer, runInDesktop } from './lib/inHost.mjs';
import { outputDir, root } from './lib/paths.mjs';
import { mustRunNode } from './lib/run.mjs';
import { makeTempDir } from './lib/temp.mjs';
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

/**
 * A `git` first on the PATH that appends `<parent pid> <args>` to a log, then runs the real git:
 * the Restricted Mode suite reads it to tell whether its own extension host ran git.
 */
function gitSpy() {
  const dir = makeTempDir('git-spy');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'git-calls.log');
  writeFileSync(log, '');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const script = join(bin, 'git');
  writeFileSync(script, `#!/bin/sh\necho "$PPID $*" >> '${log}'\nexec '${realGit}' "$@"\n`);
  chmodSync(script, 0o755);
  return { bin, log };
}

/** What the Restricted Mode suite asks of the workbench (see test/vscode/uiRequest.ts). */
const restrictedUiRequests = {
  /** The Tickets view as a user sees it: the seeded ticket, the notice, and no Create Board. */
  async 'tickets-view'(page) {
    const wb = new Workbench(page);
    await wb.openContainer('agentFactory', 'Agent Factory');
    const tickets = await wb.viewRendered('Tickets');
    await tickets.locator('.monaco-list-row[aria-label^="T-1, "]').waitFor();
    const text = await tickets.innerText();
    const createBoard = await page.getByRole('button', { name: 'Create Board' }).count();
    await page.screenshot({ path: join(outputDir('in-host-restricted'), 'tickets-view.png') });
    return JSON.stringify({ text, createBoard });
  },
  /** Grants trust in the trust editor (which the test opened through Manage Workspace Trust). */
  async 'grant-trust'(page) {
    const editor = page.locator('.workspace-trust-editor');
    await editor.waitFor({ timeout: 30_000 });
    await editor.getByRole('button', { name: /^Trust\b/ }).first().click();
    return 'clicked Trust in the workspace trust editor';
  },
};

/**
 * The Restricted Mode suite on a code-server of its own (workspace trust on, a folder nobody
 * trusted, a board with a READY ticket and a dev agent configured), with git spied on.
 */
export async function restrictedSuite({ bin, context }) {
  const workspace = createWorkspace({ seed: 'boardWithAgent' });
  const spy = gitSpy();
  const server = await startCodeServer({
    bin,
    settings: restrictedSettings,
    logFile: join(outputDir('in-host-restricted'), 'code-server.log'),
  });
  try {
    const { code, results, elapsedMs } = await runInCodeServer({
      server,
      context,
      workspace,
      suite: 'restricted',
      outName: 'in-host-restricted',
      // The extension host's own environment: what the extension's child processes inherit.
      extraEnv: { AGENT_FACTORY_TEST_GIT_LOG: spy.log, PATH: `${spy.bin}:${process.env.PATH ?? ''}` },
      uiRequests: restrictedUiRequests,
    });
    if (!results) throw new Error(`the Restricted Mode suite reported no results (exit code ${code}); see ${outputDir('in-host-restricted')}`);
    if (results.tests === 0) throw new Error('the Restricted Mode suite ran zero tests');
    console.log(`in-host, Restricted Mode: ${results.passes} passed, ${results.failures} failed in ${(elapsedMs / 1000).toFixed(1)} s`);
    const failed = code !== 0 && results.failures === 0 ? 1 : results.failures;
    return { passed: results.passes, failed, detail: `${results.tests} tests in code-server with workspace trust on` };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let ok = false;
  try {
    await mustRunNode('the build', [join(root, 'scripts', 'build.mjs')]);
    await compileTests();
    // The Restricted Mode suite needs code-server and the browser even beside a desktop VS Code.
    const bin = await ensureCodeServer();
    const { context } = await launchBrowser();
    const server = desktopVsCode() ? undefined : await startCodeServer({ bin, logFile: join(outputDir('in-host'), 'code-server.log') });
    const { failed } = await inHostSuite({ server, context });
    await server?.stop();
    const restricted = await restrictedSuite({ bin, context });
    ok = failed === 0 && restricted.failed === 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
  } finally {
    await cleanup();
  }
  process.exitCode = ok ? 0 : 1;
}
