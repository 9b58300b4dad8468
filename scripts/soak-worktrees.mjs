// `npm run soak:worktrees [-- --seed S] [--worktrees N] [--operations N] [--minutes M]`: compiles
// the tests, then runs the randomized worktree soak at full size (test/soak/worktreeSoakMain.ts)
// and prints its figure. Fails when any byte of a removed worktree could not be recovered.
import { join } from 'node:path';
import { root } from './lib/paths.mjs';
import { runNode } from './lib/run.mjs';
import { compileTests } from './test-unit.mjs';

try {
  await compileTests();
  const { code } = await runNode([join(root, 'out', 'test', 'soak', 'worktreeSoakMain.js'), ...process.argv.slice(2)]);
  process.exitCode = code;
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
