// Running the project's own tools (node scripts, tsc, eslint, vsce) as child processes.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { root } from './paths.mjs';

const require = createRequire(import.meta.url);

/** The JavaScript file behind a package's bin entry, run with this Node. */
export function binOf(pkg, name = pkg.split('/').pop()) {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath);
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[name];
  return join(dirname(manifestPath), bin);
}

/**
 * Runs `node ...args` (a script and its arguments, or node's own flags) in the repository. Output
 * is streamed, or captured and returned when `quiet` (so parallel tasks do not interleave).
 * Resolves with the exit code and the captured output.
 * @param {string[]} args
 * @param {{ quiet?: boolean, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ code: number, output: string }>}
 */
export function runNode(args, { quiet = false, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => { output += chunk; });
    child.stderr?.on('data', (chunk) => { output += chunk; });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/**
 * Like runNode, but rejects with the tool's output when it fails.
 * @param {string} what @param {string[]} args @param {{ quiet?: boolean, env?: NodeJS.ProcessEnv }} [options]
 */
export async function mustRunNode(what, args, options = {}) {
  const { code, output } = await runNode(args, options);
  if (code !== 0) throw new Error(`${what} failed (exit code ${code})${output ? `:\n${output}` : ''}`);
  return output;
}

/**
 * Runs an npm script of this package, as `npm run <name>` would, with the same npm.
 * @param {string} name @param {{ quiet?: boolean }} [options]
 * @returns {Promise<{ code: number, output: string }>}
 */
export function runNpmScript(name, { quiet = false } = {}) {
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli ? [process.execPath, [npmCli, 'run', '--silent', name]] : ['npm', ['run', '--silent', name]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'] });
    let output = '';
    child.stdout?.on('data', (chunk) => { output += chunk; });
    child.stderr?.on('data', (chunk) => { output += chunk; });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}
