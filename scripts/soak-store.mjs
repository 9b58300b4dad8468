// `npm run soak:store [-- --kills N] [--seed S] [--lock os|file]`: the store's crash soak. Three
// processes write to one board while one of them, chosen by the seeded generator, is killed with
// SIGKILL at a random moment and restarted, until N kills (default 1,000). The board is checked
// every 50 kills and at the end: every acknowledged write present, no id used twice, no repair.
// Prints the figures and exits 1 when a write was lost. The short version runs in `npm test`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from './lib/paths.mjs';
import { compileTests } from './test-unit.mjs';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' }, lock: { type: 'string', default: 'os' } } });
const kills = Number(values.kills);
const seed = Number(values.seed);
if (!Number.isSafeInteger(kills) || kills < 1 || !Number.isSafeInteger(seed) || !['os', 'file'].includes(values.lock)) {
  console.error('usage: npm run soak:store -- [--kills N] [--seed S] [--lock os|file]');
  process.exit(2);
}

await compileTests({ quiet: true });
const { runCrashSoak } = await import(join(root, 'out', 'test', 'unit', 'store', 'children', 'crashSoak.js'));
const dir = join(mkdtempSync(join(tmpdir(), 'af-soak-store-')), '.factory');
console.log(`crash soak: 3 writers, ${kills} SIGKILLs, seed ${seed}, ${values.lock} lock, board in ${dir}`);
try {
  const result = await runCrashSoak({ dir, kills, seed, lock: values.lock, log: (line) => console.log(`  ${line}`) });
  console.log(
    `kills ${result.kills}, acknowledged writes ${result.acknowledged}, lost ${result.lost.length}, ids used twice ${result.duplicateIds}, repairs ${result.repairs.length}, ${result.seconds.toFixed(0)} s`,
  );
  if (result.lost.length > 0) console.log(`lost: ${result.lost.slice(0, 20).join(', ')}`);
  for (const repair of result.repairs.slice(0, 5)) console.log(`repair: ${repair}`);
  const failed = result.lost.length > 0 || result.duplicateIds > 0 || result.repairs.length > 0;
  console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
  process.exitCode = failed ? 1 : 0;
} finally {
  rmSync(join(dir, '..'), { recursive: true, force: true });
}
