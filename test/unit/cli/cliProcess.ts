import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../runner/agentPaths';

export const cliScript = path.join(repoRoot, 'out', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as a real process, the way an agent or a person would. */
export function cli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const key of Object.keys(env)) if (key.startsWith('AGENT_FACTORY_') && !(options.env && key in options.env)) delete env[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [cliScript, ...args], { cwd: options.cwd, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
