// A node:test reporter that writes the run's counts as JSON (for scripts/test-unit.mjs), next to
// the spec reporter the developer reads. Suites are not counted: only tests, as `spec` does.
// It writes the file itself, synchronously, because Node 20 can exit before a reporter's file
// destination is flushed; the file is named by AGENT_FACTORY_UNIT_COUNTS.
import { writeFileSync } from 'node:fs';

export default async function* unitCounts(source) {
  const counts = { tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, failures: /** @type {string[]} */ ([]) };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    counts.tests += 1;
    if (event.data.skip !== undefined) counts.skipped += 1;
    else if (event.data.todo !== undefined) counts.todo += 1;
    else if (event.type === 'test:pass') counts.passed += 1;
    else {
      counts.failed += 1;
      counts.failures.push(`${event.data.name} (${event.data.file ?? 'unknown file'})`);
    }
  }
  const file = process.env.AGENT_FACTORY_UNIT_COUNTS;
  if (file) writeFileSync(file, `${JSON.stringify(counts, null, 2)}\n`);
  yield '';
}
