// Runs the compiled mocha suite (out/test/vscode/index.js) inside a real extension host: through
// @vscode/test-electron when a desktop VS Code is named by VSCODE_EXECUTABLE, otherwise in
// code-server's extension host driven from a headless browser.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { inHostIndex, outputDir, root } from './paths.mjs';
import { makeTempDir } from './temp.mjs';

/** The lines test/vscode/index.ts logs before mocha starts and after it ends. */
const SUITE_START = 'agent-factory: in-host suite starting';
const SUITE_END = 'agent-factory: in-host suite finished';
/** What test/vscode/uiRequest.ts logs to have the runner act in the workbench: `<prefix> <name> <id>`. */
const UI_REQUEST = /agent-factory: ui request ([\w-]+) ([\w-]+)/;

/**
 * The extension host's environment: what test/vscode/environment.ts reads. `suite` is the folder
 * under test/vscode/ whose tests run; its evidence goes to test-output/<outName>/.
 */
export function inHostEnvironment(workspace, { suite = 'suite', outName = 'in-host', extra = {} } = {}) {
  const env = { ...extra, AGENT_FACTORY_TEST_WORKSPACE: workspace, AGENT_FACTORY_TEST_OUTPUT: outputDir(outName), AGENT_FACTORY_TEST_SUITE: suite };
  for (const name of ['AGENT_FACTORY_TEST_GREP', 'AGENT_FACTORY_TEST_TIMEOUT_MS', 'AGENT_FACTORY_TEST_SEED']) {
    if (process.env[name]) env[name] = process.env[name];
  }
  return env;
}

function readResults(env) {
  const file = join(env.AGENT_FACTORY_TEST_OUTPUT, 'in-host-results.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8'));
}

function forgetResults(env) {
  rmSync(join(env.AGENT_FACTORY_TEST_OUTPUT, 'in-host-results.json'), { force: true });
}

/**
 * The suite in code-server: opens the workbench on `workspace` with a payload naming the
 * extension under development and the test entry, streams the host's console (mocha's reporter)
 * and resolves with mocha's counts once the host calls codeAutomationExit. The whole run may
 * take AGENT_FACTORY_SUITE_TIMEOUT_S seconds (default 600: a guard against a hang, not a speed limit; the suite takes five minutes on two busy cores); each test has mocha's own timeout.
 * `uiRequests` are what a test may ask of the workbench, as a user would do it (name -> function
 * of the page resolving with a detail string); the answer goes to `ui-<id>.json` in the output
 * folder, where the test waits for it.
 * @param {{ server: Awaited<ReturnType<typeof import('./codeServer.mjs').startCodeServer>>,
 *   context: import('playwright-core').BrowserContext, workspace: string, timeoutMs?: number,
 *   suite?: string, outName?: string, extraEnv?: Record<string, string>,
 *   uiRequests?: Record<string, (page: import('playwright-core').Page) => Promise<string>> }} options
 */
export async function runInCodeServer({ server, context, workspace, timeoutMs = 1000 * Number(process.env.AGENT_FACTORY_SUITE_TIMEOUT_S ?? 600), suite, outName = 'in-host', extraEnv, uiRequests = {} }) {
  if (!existsSync(inHostIndex)) throw new Error(`${inHostIndex} is missing: compile the tests first (npx tsc -p test)`);
  const env = inHostEnvironment(workspace, { suite, outName, extra: extraEnv });
  forgetResults(env);
  const page = await context.newPage();
  const consoleLog = [];
  page.on('console', (message) => consoleLog.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => consoleLog.push(`[pageerror] ${error.message}`));

  let exit;
  const exited = new Promise((resolve) => { exit = resolve; });
  // Both hooks must exist before the workbench loads: it looks for them once, at startup.
  // The hook gets the workbench's own log too: keep all of it in a file and echo only what comes
  // between the suite's start and end lines (test/vscode/index.ts), which is mocha's reporter.
  const hostLog = [];
  let suiteStarted = false;
  let suiteEnded = false;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = (Array.isArray(args) ? format(...args) : String(args)).replace(/\n$/, '');
    hostLog.push(`[${type}] ${line}`);
    if (line.includes(SUITE_START)) suiteStarted = true;
    else if (line.includes(SUITE_END)) suiteEnded = true;
    else if (suiteStarted && !suiteEnded) process.stdout.write(`${line}\n`);
    const request = UI_REQUEST.exec(line);
    if (request) void answerUiRequest(page, uiRequests, request[1], join(env.AGENT_FACTORY_TEST_OUTPUT, `ui-${request[2]}.json`));
  });
  await page.exposeFunction('codeAutomationExit', (code) => exit(Number(code)));

  const started = Date.now();
  const outDir = outputDir(outName);
  const url = server.workbenchUrl({
    folder: workspace,
    payload: [
      ['extensionDevelopmentPath', root],
      ['extensionTestsPath', inHostIndex],
      ['extensionEnvironment', JSON.stringify(env)],
    ],
  });
  // Only the navigation: the suite's own timeout covers the rest.
  await page.goto(url, { waitUntil: 'commit', timeout: 60_000 });
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'timeout'); });
  // Neither a crashed page nor a dead server would ever call codeAutomationExit.
  const crashed = new Promise((resolve) => page.once('crash', () => resolve('the browser page crashed')));
  const serverDied = server.exited.then(({ code: status, signal }) => `code-server exited (${signal ?? status})`);
  const code = await Promise.race([exited, timeout, crashed, serverDied]);
  clearTimeout(timer);
  const elapsedMs = Date.now() - started;
  writeFileSync(join(outDir, 'workbench.log'), `${hostLog.join('\n')}\n`);
  const results = typeof code === 'string' ? undefined : readResults(env);
  if (code !== 0 || !results) {
    await page.screenshot({ path: join(outDir, 'failure.png') }).catch(() => undefined);
    writeFileSync(join(outDir, 'browser-console.log'), `${consoleLog.join('\n')}\n`);
    if (!suiteStarted) {
      console.error(`the suite never started; the workbench's last words (all in ${join(outDir, 'workbench.log')}):`);
      console.error(hostLog.slice(-15).join('\n'));
    }
  }
  await page.close().catch(() => undefined);
  if (code === 'timeout') {
    throw new Error(`the in-host suite did not finish within ${timeoutMs / 1000} s (the host never called codeAutomationExit); ` +
      `see ${outDir}`);
  }
  if (typeof code === 'string') throw new Error(`the in-host suite did not finish: ${code}; see ${outDir}`);
  return { code, results, elapsedMs };
}

/** Does what a test asked in the workbench and writes the outcome where the test waits for it. */
async function answerUiRequest(page, uiRequests, name, file) {
  const handler = uiRequests[name];
  let answer;
  try {
    if (!handler) throw new Error(`no such UI request: ${name}`);
    answer = { ok: true, detail: await handler(page) };
  } catch (error) {
    answer = { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  // Whole or not at all: the test polls for the file.
  writeFileSync(`${file}.tmp`, JSON.stringify(answer));
  renameSync(`${file}.tmp`, file);
}

/** The suite in a desktop VS Code (VSCODE_EXECUTABLE) through @vscode/test-electron. */
export async function runInDesktop({ executable, workspace }) {
  const { runTests } = await import('@vscode/test-electron');
  const env = inHostEnvironment(workspace);
  forgetResults(env);
  const profile = makeTempDir('desktop');
  const started = Date.now();
  let code = 0;
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: root,
      extensionTestsPath: inHostIndex,
      extensionTestsEnv: env,
      launchArgs: [workspace, '--user-data-dir', join(profile, 'user-data'), '--extensions-dir', join(profile, 'extensions'), '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    code = 1;
  }
  return { code, results: readResults(env), elapsedMs: Date.now() - started };
}
