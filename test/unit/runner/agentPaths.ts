import * as path from 'node:path';
import { repoRoot } from '../helpers/repoRoot';

export { repoRoot };

/** The stand-in coding agent, compiled with the tests. */
export const fakeAgent = path.join(repoRoot, 'out', 'test', 'fixtures', 'agents', 'fakeAgent.js');

/** The compiled CLI, as the runner's shim starts it in tests. */
export const compiledCli = path.join(repoRoot, 'out', 'src', 'cli', 'main.js');

// The fake agent's script is the one definition of its steps.
import type { Step } from '../../fixtures/agents/fakeAgent';
export type { Step };

/** The command settings would hold for the fake agent running `steps`, then `extraArgs`. */
export function fakeAgentCommand(steps: Step[], extraArgs: string[] = []): { program: string; args: string[] } {
  return { program: process.execPath, args: [fakeAgent, JSON.stringify(steps), ...extraArgs] };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is true or the time is up. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}
