// The entry the extension host loads as `extensionTestsPath`: runs every compiled
// <suite>/**/*.test.js with mocha (TDD interface) and rejects when a test fails or none ran. The
// suite is `suite` (the editor as usual) unless AGENT_FACTORY_TEST_SUITE names another folder
// (`restricted`: a workbench in Restricted Mode, run by scripts/test-vscode.mjs on its own server).
// Counts go to in-host-results.json in AGENT_FACTORY_TEST_OUTPUT for the runner outside the host.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { testOutputDir } from './environment';

const SUITE_START = 'agent-factory: in-host suite starting';
const SUITE_END = 'agent-factory: in-host suite finished';

interface Results {
  tests: number;
  passes: number;
  failures: number;
  pending: number;
  failed: { title: string; error: string }[];
}

/** Every test file in name order; `*.last.test.js` files end the run (they close the window). */
function suiteFiles(dir: string): string[] {
  const last = (file: string): number => (file.endsWith('.last.test.js') ? 1 : 0);
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.js'))
    .sort((a, b) => last(a) - last(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((file) => join(dir, file));
}

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    // A guard against a hang, not a speed limit: on two cores shared with other work a settings
    // write or a window round trip alone has taken tens of seconds.
    timeout: Number(process.env.AGENT_FACTORY_TEST_TIMEOUT_MS ?? 90_000),
    ...(process.env.AGENT_FACTORY_TEST_GREP ? { grep: process.env.AGENT_FACTORY_TEST_GREP } : {}),
  });
  const suite = process.env.AGENT_FACTORY_TEST_SUITE ?? 'suite';
  if (!/^[a-z]+$/.test(suite)) throw new Error(`AGENT_FACTORY_TEST_SUITE must name a folder under test/vscode, not ${JSON.stringify(suite)}`);
  const files = suiteFiles(join(__dirname, suite));
  for (const file of files) mocha.addFile(file);

  // The runner outside echoes the host's console from this line on (scripts/lib/inHost.mjs).
  console.log(`${SUITE_START} (${files.length} files)`);
  const results: Results = { tests: 0, passes: 0, failures: 0, pending: 0, failed: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('test end', () => { results.tests += 1; });
    runner.on('pass', () => { results.passes += 1; });
    runner.on('pending', () => { results.pending += 1; });
    runner.on('fail', (test, error: unknown) => {
      results.failures += 1;
      results.failed.push({ title: test.fullTitle(), error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });
  writeFileSync(join(testOutputDir(), 'in-host-results.json'), JSON.stringify(results, null, 2));

  let problem: string | undefined;
  if (results.tests === 0) {
    problem = `no in-host test ran (${files.length} test files found under ${join(__dirname, suite)})`;
  } else if (results.failures > 0) {
    problem = `${results.failures} of ${results.tests} in-host tests failed`;
  }
  if (problem) console.error(problem);
  // The runner outside stops echoing here: what follows is the workbench shutting the host down.
  console.log(SUITE_END);
  if (problem) throw new Error(problem);
}
