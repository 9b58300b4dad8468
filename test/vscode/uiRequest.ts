// Asking the runner outside the extension host to act in the workbench as a user would (click a
// button, look at a view): the request is a console line that scripts/lib/inHost.mjs watches for,
// and the answer a file it writes into the test output folder.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testOutputDir } from './environment';

export interface UiAnswer {
  ok: boolean;
  detail: string;
}

let next = 0;

/** Resolves with the runner's answer; rejects when it does not come within `timeoutMs`. */
export async function askUi(name: string, timeoutMs = 60_000): Promise<UiAnswer> {
  next += 1;
  const id = `${process.pid}-${next}`;
  const file = join(testOutputDir(), `ui-${id}.json`);
  rmSync(file, { force: true });
  console.log(`agent-factory: ui request ${name} ${id}`);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the runner did not answer the UI request ${name} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return JSON.parse(readFileSync(file, 'utf8')) as UiAnswer;
}
