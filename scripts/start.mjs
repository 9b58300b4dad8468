// `npm start`: builds the extension and opens it, under development, in a real VS Code on a demo
// workspace: the desktop VS Code when there is one (VSCODE_EXECUTABLE, or `code` on PATH), else
// code-server on 127.0.0.1, whose URL is printed. Runs until Ctrl-C, then stops what it started.
// The demo workspace (a git repository) and the editor's settings live in
// ~/.cache/agent-factory/demo and survive restarts; delete that folder for a fresh start.
// `npm run watch` in another terminal plus "Developer: Reload Window" picks up changes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cleanup } from './lib/cleanup.mjs';
import { ensureCodeServer, quietSettings, startCodeServer } from './lib/codeServer.mjs';
import { root } from './lib/paths.mjs';
import { mustRunNode } from './lib/run.mjs';
import { ensureSystemDeps } from './lib/systemDeps.mjs';
import { createWorkspace } from './lib/workspace.mjs';

const cache = process.env.AGENT_FACTORY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agent-factory');
const demo = join(cache, 'demo');

function demoWorkspace() {
  const dir = join(demo, 'workspace');
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(demo, { recursive: true });
    createWorkspace({ parent: demo, name: 'workspace' });
    console.log(`created the demo workspace ${dir}`);
  }
  return dir;
}

function desktopCode() {
  if (process.env.VSCODE_EXECUTABLE) return process.env.VSCODE_EXECUTABLE;
  const found = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function main() {
  await ensureSystemDeps('start');
  await mustRunNode('the build', [join(root, 'scripts', 'build.mjs')]);
  const workspace = demoWorkspace();
  const code = desktopCode();
  if (code) {
    console.log(`opening ${workspace} in ${code} with the extension under development`);
    const child = spawn(code, ['--new-window', '--wait', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
    await new Promise((resolve) => child.once('exit', resolve));
    return;
  }
  const bin = await ensureCodeServer();
  const server = await startCodeServer({
    bin,
    port: Number(process.env.AGENT_FACTORY_PORT ?? 0),
    userDataDir: join(demo, 'user-data'),
    extensionsDir: join(demo, 'extensions'),
    settings: { ...quietSettings, 'workbench.startupEditor': 'readme' },
  });
  // The development extension comes in through the URL's payload, as with the in-host tests.
  const url = server.workbenchUrl({ folder: workspace, payload: [['extensionDevelopmentPath', root]] });
  console.log(`\nAgent Factory is running in code-server. Open:\n\n  ${url}\n\nCtrl-C stops it.`);
  await server.exited;
  console.log('code-server stopped');
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await cleanup();
}
