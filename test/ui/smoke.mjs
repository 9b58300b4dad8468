// UI smoke in a real browser: code-server's workbench with the extension under development
// loaded, driven through the steps in ./steps.mjs. Run alone with `node test/ui/smoke.mjs`
// (after `npm run build`); `npm test` runs it on the server it shares with the in-host suite.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../../scripts/lib/browser.mjs';
import { cleanup } from '../../scripts/lib/cleanup.mjs';
import { ensureCodeServer, startCodeServer } from '../../scripts/lib/codeServer.mjs';
import { outputDir, root } from '../../scripts/lib/paths.mjs';
import { createWorkspace } from '../../scripts/lib/workspace.mjs';
import { steps } from './steps.mjs';
import { UI_TIMEOUT_MS, Workbench } from './workbench.mjs';

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Opens the workbench on `workspace` (a fresh repository when omitted) with the extension at
 * `extensionPath` loaded as under development, or as installed when `installed` is set, and
 * runs `stepsToRun`. Resolves with one result per step. A failing step does not stop the
 * others: most failures are independent, and each step waits at most UI_TIMEOUT_MS.
 * @param {{ server: Awaited<ReturnType<typeof startCodeServer>>, context: import('playwright-core').BrowserContext,
 *   workspace?: string, extensionPath?: string, installed?: boolean,
 *   stepsToRun?: import('./steps.mjs').Step[], outName?: string }} options
 */
export async function runUiSmoke({ server, context, workspace = createWorkspace(), extensionPath = root, installed = false, stepsToRun = steps, outName = 'ui-smoke' }) {
  const out = outputDir(outName);
  const manifest = JSON.parse(readFileSync(join(extensionPath, 'package.json'), 'utf8'));
  const extensionId = `${manifest.publisher}.${manifest.name}`;
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  const consoleLog = [];
  page.on('console', (message) => consoleLog.push(`[${message.type()}] ${message.text()}`));
  const wb = new Workbench(page);
  const payload = installed ? [] : [['extensionDevelopmentPath', extensionPath]];
  const opened = Date.now();
  // Only the navigation: the steps wait for what they need, each within UI_TIMEOUT_MS.
  await page.goto(server.workbenchUrl({ folder: workspace, payload }), { waitUntil: 'commit', timeout: UI_TIMEOUT_MS });

  const results = [];
  for (const [index, step] of stepsToRun.entries()) {
    const started = Date.now();
    const notes = [];
    const shot = join(out, `${String(index + 1).padStart(2, '0')}-${slug(step.name)}.png`);
    try {
      await step.run({ wb, page, manifest, extensionId, note: (text) => notes.push(text) });
      await page.screenshot({ path: shot });
      results.push({ name: step.name, ok: true, ms: Date.now() - started, notes });
      console.log(`  ✔ ${step.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      for (const text of notes) console.log(`      ${text}`);
    } catch (error) {
      const failure = join(out, `${String(index + 1).padStart(2, '0')}-${slug(step.name)}-FAILED.png`);
      await page.screenshot({ path: failure }).catch(() => undefined);
      writeFileSync(join(out, 'failure.html'), await page.content().catch(() => ''));
      writeFileSync(join(out, 'browser-console.log'), `${consoleLog.join('\n')}\n`);
      const message = error instanceof Error ? error.message : String(error);
      results.push({ name: step.name, ok: false, ms: Date.now() - started, notes, error: message });
      console.log(`  ✘ ${step.name}\n      ${message.split('\n').join('\n      ')}\n      screenshot: ${failure}`);
    }
  }
  await page.close();
  return { results, totalMs: Date.now() - opened };
}

// Standalone: its own code-server and browser.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let failed = true;
  try {
    const bin = await ensureCodeServer();
    const server = await startCodeServer({ bin, logFile: join(outputDir('ui-smoke'), 'code-server.log') });
    const { context } = await launchBrowser();
    console.log('UI smoke');
    const { results } = await runUiSmoke({ server, context });
    failed = results.some((result) => !result.ok);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
  } finally {
    await cleanup();
  }
  process.exitCode = failed ? 1 : 0;
}
