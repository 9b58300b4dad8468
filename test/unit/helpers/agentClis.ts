/**
 * The real agent CLIs the tests run, from the cache `scripts/agent-clis.mjs` fills (it installs
 * Claude Code and Codex when missing; Gemini and Copilot only when `--all` installed them).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './repoRoot';

export interface AgentCli {
  name: string;
  version: string;
  program: string;
  /** The folder to put on the PATH. */
  binDir: string;
}

export type AgentClis = Partial<Record<'claude-code' | 'codex' | 'gemini' | 'copilot', AgentCli>>;

export function agentClis(): AgentClis {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'agent-clis.mjs'), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  if (result.status !== 0) throw new Error(`scripts/agent-clis.mjs failed (exit code ${result.status ?? result.signal ?? '?'})`);
  const parsed = JSON.parse(result.stdout) as Record<string, AgentCli | { error: string } | null>;
  const clis: AgentClis = {};
  for (const [name, entry] of Object.entries(parsed)) {
    if (entry && !('error' in entry)) clis[name as keyof AgentClis] = entry;
  }
  return clis;
}
