// What the runner outside the extension host hands to the tests inside it, through the
// extension host's environment (scripts/test-vscode.mjs sets these variables).
import { existsSync } from 'node:fs';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the in-host suite through npm run test:vscode`);
  return value;
}

/** The throwaway git repository opened as the workspace (a fresh one per run, on branch main). */
export function testWorkspace(): string {
  const dir = required('AGENT_FACTORY_TEST_WORKSPACE');
  if (!existsSync(dir)) throw new Error(`AGENT_FACTORY_TEST_WORKSPACE (${dir}) does not exist`);
  return dir;
}

/** A writable folder kept after the run (test-output/in-host/) for results and evidence. */
export function testOutputDir(): string {
  return required('AGENT_FACTORY_TEST_OUTPUT');
}
