// Proves the packaged artifact works: installs the .vsix (not the dev folder) into a fresh
// extensions folder of its own code-server, opens a workspace in the browser, runs the UI smoke
// steps against the installed copy, and reads the extension host's logs for its activation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runUiSmoke } from '../../test/ui/smoke.mjs';
import { installExtension, startCodeServer } from './codeServer.mjs';
import { outputDir } from './paths.mjs';
import { makeTempDir } from './temp.mjs';
import { createWorkspace } from './workspace.mjs';

/** Every file under `dir` whose path ends with `suffix`. */
function findFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(suffix))
    .map((file) => join(dir, file));
}

/** Resolves with one { name, ok, error? } per check. */
export async function checkInstalledVsix({ bin, context, file, manifest }) {
  const checks = [];
  const check = (name, ok, error) => {
    checks.push({ name, ok, error });
    console.log(ok ? `  ✔ ${name}` : `  ✘ ${name}\n      ${error}`);
  };
  const extensionId = `${manifest.publisher}.${manifest.name}`;
  const extensionsDir = makeTempDir('vsix-extensions');
  const installOutput = await installExtension(bin, file, extensionsDir);
  const installed = join(extensionsDir, `${extensionId}-${manifest.version}`);
  check(`code-server installs ${file.split('/').pop()}`, existsSync(join(installed, 'package.json')), `nothing at ${installed}; code-server said: ${installOutput}`);
  if (!checks.at(-1).ok) return checks;

  const out = outputDir('vsix');
  const server = await startCodeServer({ bin, extensionsDir, smokeTestDriver: false, logFile: join(out, 'code-server.log') });
  try {
    const { results } = await runUiSmoke({ server, context, workspace: createWorkspace(), extensionPath: installed, installed: true, outName: 'vsix' });
    for (const result of results) checks.push({ name: `installed: ${result.name}`, ok: result.ok, error: result.error });

    // By now the views rendered (or timed out), so activation has happened if it ever will.
    const logs = join(server.userDataDir, 'logs');
    const hostLog = findFiles(logs, 'exthost.log').map((log) => readFileSync(log, 'utf8')).join('\n');
    const failure = new RegExp(`Activating extension '?${extensionId.replace('.', '\\.')}'? failed[^\\n]*`).exec(hostLog);
    const ownLog = findFiles(logs, join(extensionId, 'Agent Factory.log')).map((log) => readFileSync(log, 'utf8')).join('\n');
    check('the installed extension activated (its "Agent Factory" log says so)',
      !failure && /activated/i.test(ownLog),
      failure ? failure[0] : `no activation line in the extension's log under ${logs}:\n${ownLog || '(no log)'}`);
  } finally {
    await server.stop();
  }
  return checks;
}
