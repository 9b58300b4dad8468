// Temporary folders for one test run, removed at cleanup unless AGENT_FACTORY_KEEP_TEMP is set
// (then their paths are printed so a failure can be inspected).
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.mjs';

export function makeTempDir(label) {
  // realpath: the workbench and git report canonical paths, so tests compare against those.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `agent-factory-${label}-`)));
  const remove = () => {
    if (process.env.AGENT_FACTORY_KEEP_TEMP) {
      console.error(`kept ${dir}`);
      return;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  onCleanup(remove, remove);
  return dir;
}
