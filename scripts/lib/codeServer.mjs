// code-server: VS Code's server with its web workbench, the Node extension host and the built-in
// git extension. Used where no desktop VS Code is available (as on CI), for the in-host suite, the
// UI smoke, the packaged-extension check and `npm start`.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { URLSearchParams } from 'node:url';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.mjs';
import { root } from './paths.mjs';
import { makeTempDir } from './temp.mjs';

const run = promisify(execFile);

/** Settings for a workbench that only shows what the tests look at. */
export const quietSettings = {
  // Trust prompts are a modal dialog; the tests exercise a trusted workspace.
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.autofetch': false,
  // code-server looks for ports to forward by starting `ls` and `ps` in a shell from the extension
  // host every few seconds and reading /proc: CPU and blocks of its own in every window, and not
  // done by VS Code on the desktop. Turning auto-forwarding off is not enough: code-server has a
  // tunnel provider, and with one the host keeps looking unless the ports' source is the output.
  'remote.autoForwardPorts': false,
  'remote.autoForwardPortsSource': 'output',
};

/**
 * A workbench in Restricted Mode: workspace trust on, and no modal asking about it at startup, so
 * a folder nobody trusted yet opens untrusted.
 */
export const restrictedSettings = {
  ...quietSettings,
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
};

/**
 * Installs code-server into the per-user cache once (scripts/code-server.sh; about 3 minutes)
 * and returns the folder with its `code-server` and `node`.
 * @returns {Promise<string>}
 */
export async function ensureCodeServer() {
  if (process.env.CODE_SERVER_BIN) return process.env.CODE_SERVER_BIN;
  const started = Date.now();
  const child = spawn('bash', [join(root, 'scripts', 'code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`installing code-server failed (scripts/code-server.sh exited with ${code})`);
  const elapsed = Date.now() - started;
  if (elapsed > 5000) console.log(`code-server installed in ${Math.round(elapsed / 1000)} s`);
  const bin = out.trim().split('\n').at(-1);
  if (!bin) throw new Error('scripts/code-server.sh printed no folder');
  return bin;
}

/** Environment that keeps code-server's config, data, caches and temp files out of the user's home. */
function isolatedEnv(base) {
  const env = { ...process.env };
  for (const name of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'TMPDIR']) {
    env[name] = join(base, name.toLowerCase());
    mkdirSync(env[name], { recursive: true });
  }
  // Variables of an enclosing VS Code must not leak into the server's extension host.
  for (const name of Object.keys(env)) {
    if (/^(VSCODE_|ELECTRON_)/.test(name) || name === 'NODE_OPTIONS') delete env[name];
  }
  return env;
}

/**
 * Installs a .vsix into an extensions folder, offline.
 * @param {string} bin @param {string} vsix @param {string} extensionsDir
 */
export async function installExtension(bin, vsix, extensionsDir) {
  const base = makeTempDir('install');
  const { stdout, stderr } = await run(join(bin, 'code-server'), ['--extensions-dir', extensionsDir, '--user-data-dir', join(base, 'user-data'), '--install-extension', vsix], {
    env: isolatedEnv(base),
    timeout: 120_000,
  });
  return `${stdout}${stderr}`.trim();
}

/**
 * Starts code-server on loopback (port 0: any free port) with fresh XDG and temp folders, and
 * fresh user data and extensions folders unless given, and resolves once it listens. Everything
 * it starts is one process group, stopped by `stop()` or at cleanup. `logFile` receives its
 * output; `exited` resolves if it stops by itself.
 * @param {{ bin: string, userDataDir?: string, extensionsDir?: string, settings?: Record<string, unknown>,
 *   smokeTestDriver?: boolean, logFile?: string, port?: number }} options
 */
export async function startCodeServer({ bin, userDataDir, extensionsDir, settings = quietSettings, smokeTestDriver = true, logFile, port = 0 }) {
  const base = makeTempDir('code-server');
  userDataDir ??= join(base, 'user-data');
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  mkdirSync(dirname(settingsFile), { recursive: true });
  // A kept user data folder keeps the user's own settings.
  if (!existsSync(settingsFile)) writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  extensionsDir ??= join(base, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });

  const args = [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--reconnection-grace-time', '30',
    '--extensions-dir', extensionsDir,
    '--user-data-dir', userDataDir,
    '--ignore-last-opened',
  ];
  // Without the smoke-test driver the workbench silently ignores the test payload in the URL.
  if (smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');

  const started = Date.now();
  const child = spawn(join(bin, 'code-server'), args, {
    env: isolatedEnv(base),
    cwd: base,
    detached: true, // its own process group, so one signal reaches the extension hosts too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = logFile ? createWriteStream(logFile) : undefined;
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = onCleanup(async () => {
    await killGroup(child, exited);
    log?.end();
  }, () => signalGroup(child.pid, 'SIGKILL'));

  const address = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within 60 s. Its output:\n${output}`)), 60_000);
    const onData = (chunk) => {
      const text = chunk.toString();
      output += text;
      log?.write(text);
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ origin: match[1].replace(/\/$/, ''), port: Number(match[2]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${signal ?? code}) before listening. Its output:\n${output}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });

  return {
    ...address,
    userDataDir,
    extensionsDir,
    startupMs: Date.now() - started,
    output: () => output,
    exited,
    stop,
    /**
     * The workbench URL for `folder`; `payload` entries (name/value pairs such as
     * extensionDevelopmentPath) take local paths and are turned into URIs on this server.
     */
    workbenchUrl({ folder, payload = [] }) {
      const remote = (path) => `vscode-remote://127.0.0.1:${address.port}${path}`;
      const entries = payload.map(([name, value]) => [name, name.endsWith('Path') ? remote(value) : value]);
      const query = new URLSearchParams({ folder });
      if (entries.length > 0) query.set('payload', JSON.stringify(entries));
      return `${address.origin}/?${query.toString()}`;
    },
  };
}

/** SIGTERM to the whole process group, SIGKILL after a grace period. */
async function killGroup(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child.pid, 'SIGKILL'); // its children may outlive it
    return;
  }
  signalGroup(child.pid, 'SIGTERM');
  let timer;
  const grace = new Promise((resolve) => { timer = setTimeout(resolve, 5000, 'timeout'); });
  if ((await Promise.race([exited, grace])) === 'timeout') console.error('code-server ignored SIGTERM; killing it');
  clearTimeout(timer);
  signalGroup(child.pid, 'SIGKILL');
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ESRCH') throw error;
  }
}
