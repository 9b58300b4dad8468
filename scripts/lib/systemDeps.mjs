// Runs scripts/system-deps.sh, the one list of system packages the project needs, before
// `npm start` or `npm test` does anything that needs them. It installs what is missing where it
// can and otherwise says exactly what to run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './paths.mjs';

/** @param {'start' | 'test'} purpose */
export async function ensureSystemDeps(purpose) {
  const child = spawn('bash', [join(root, 'scripts', 'system-deps.sh'), purpose], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (status, signal) => resolve(status ?? signal));
  });
  if (code !== 0) throw new Error(`the system packages are not ready (scripts/system-deps.sh ${purpose} exited with ${code}); see its message above`);
}
