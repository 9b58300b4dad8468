// Installs the real coding-agent CLIs the tests run, from the npm registry at pinned versions, into
// a cache outside the clone (beside code-server): <cache>/agent-clis/<name>@<version>. Claude Code
// and Codex are required; Gemini CLI and Copilot CLI are optional (`--all` installs them too).
// Each package's native program comes from a platform package on the npm registry (Claude Code's
// postinstall links it into place; Codex and Copilot resolve theirs at start), so nothing is
// downloaded from anywhere else. Safe to run twice at once: one install per CLI under a lock, into
// a temporary folder renamed into place only when the program answers `--version`.
//
//   node scripts/agent-clis.mjs [--all] [--json]
// prints, per CLI, the folder to put on the PATH (with --json: one JSON object name -> entry).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';

const run = promisify(execFile);

/** The pinned CLIs: the package, the version, the program it installs. */
export const AGENT_CLIS = {
  'claude-code': { pkg: '@anthropic-ai/claude-code', version: '2.1.332', program: 'claude', required: true },
  codex: { pkg: '@openai/codex', version: '0.171.0', program: 'codex', required: true },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', program: 'gemini', required: false },
  copilot: { pkg: '@github/copilot', version: '1.0.102', program: 'copilot', required: false },
};

export function agentClisCache() {
  const base = process.env.AGENT_FACTORY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agent-factory');
  return join(base, 'agent-clis');
}

function folderOf(name) {
  const cli = AGENT_CLIS[name];
  return join(agentClisCache(), `${name}@${cli.version}`);
}

function binDirOf(folder) {
  return join(folder, 'node_modules', '.bin');
}

/** What a finished install looks like; written last, inside the folder that is renamed into place. */
const MARKER = 'installed.json';

/**
 * The installed CLI, or undefined when it is not in the cache.
 * @param {keyof typeof AGENT_CLIS} name
 * @returns {{ name: string, version: string, program: string, binDir: string, bin: string } | undefined}
 */
export function installedAgentCli(name) {
  const cli = AGENT_CLIS[name];
  const folder = folderOf(name);
  if (!existsSync(join(folder, MARKER))) return undefined;
  const binDir = binDirOf(folder);
  return { name, version: cli.version, program: cli.program, binDir, bin: join(binDir, cli.program) };
}

/** The environment for npm: the caller's, without what `npm test` set for its own run. */
function npmEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca)$/i.test(key)) delete env[key];
  }
  return env;
}

function npmInstall(folder, spec) {
  writeFileSync(join(folder, 'package.json'), '{ "private": true }\n');
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli ? [process.execPath, [npmCli]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
  args.push('install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', spec);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: folder, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' && !npmCli });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`npm install ${spec} failed (exit code ${code}):\n${output.trim()}`))));
  });
}

/**
 * Installs one CLI unless the cache has it; resolves with where it is.
 * @param {keyof typeof AGENT_CLIS} name
 */
export async function ensureAgentCli(name, { log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`) } = {}) {
  const done = installedAgentCli(name);
  if (done) return done;
  const cli = AGENT_CLIS[name];
  const cache = agentClisCache();
  mkdirSync(cache, { recursive: true });
  const lockTarget = join(cache, `${name}@${cli.version}.lock`);
  writeFileSync(lockTarget, '', { flag: 'a' });
  // Another process may be installing the same CLI: wait for it (an install takes under a minute).
  const release = await lockfile.lock(lockTarget, { realpath: false, stale: 60_000, update: 10_000, retries: { retries: 120, minTimeout: 1000, maxTimeout: 5000 } });
  try {
    const again = installedAgentCli(name);
    if (again) return again;
    const started = Date.now();
    log(`installing ${cli.pkg}@${cli.version} into ${folderOf(name)} (once)`);
    const work = mkdtempSync(join(cache, `.install-${name}-`));
    try {
      await npmInstall(work, `${cli.pkg}@${cli.version}`);
      const bin = join(binDirOf(work), cli.program);
      const { stdout } = await run(bin, ['--version'], { timeout: 60_000, env: { ...process.env, COPILOT_AUTO_UPDATE: 'false' } });
      if (!stdout.includes(cli.version)) throw new Error(`${bin} --version printed ${JSON.stringify(stdout.trim())}, not ${cli.version}`);
      writeFileSync(join(work, MARKER), `${JSON.stringify({ pkg: cli.pkg, version: cli.version, installedAt: new Date().toISOString() })}\n`);
      rmSync(folderOf(name), { recursive: true, force: true });
      renameSync(work, folderOf(name));
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      throw error;
    }
    log(`installed ${cli.pkg}@${cli.version} in ${Math.round((Date.now() - started) / 1000)} s`);
    const installed = installedAgentCli(name);
    if (!installed) throw new Error(`${cli.pkg} was installed but is not where it should be`);
    return installed;
  } finally {
    await release();
  }
}

/**
 * The required CLIs (installed when missing), and the optional ones: installed too with `all`,
 * otherwise reported only when the cache already has them. An optional CLI that fails to install
 * is reported with its error instead of failing the whole call.
 * @param {{ all?: boolean }} [options]
 */
export async function ensureAgentClis({ all = false } = {}) {
  /** @type {Record<string, ReturnType<typeof installedAgentCli> | { error: string }>} */
  const result = {};
  for (const [name, cli] of Object.entries(AGENT_CLIS)) {
    const key = /** @type {keyof typeof AGENT_CLIS} */ (name);
    if (cli.required) result[name] = await ensureAgentCli(key);
    else if (all) result[name] = await ensureAgentCli(key).catch((error) => ({ error: error instanceof Error ? error.message : String(error) }));
    else result[name] = installedAgentCli(key);
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const clis = await ensureAgentClis({ all: process.argv.includes('--all') });
    if (process.argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify(clis)}\n`);
    } else {
      for (const [name, entry] of Object.entries(clis)) {
        console.log(`${name}: ${!entry ? 'not installed (optional; --all installs it)' : 'error' in entry ? `failed: ${entry.error}` : `${entry.version} in ${entry.binDir}`}`);
      }
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
