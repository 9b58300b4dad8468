/**
 * `npm run soak:worktrees [-- --seed S] [--worktrees N] [--operations N] [--minutes M] [--verbose]`:
 * the randomized worktree run at full size (seed 21, 300 worktrees, 600 operations, no time bound
 * by default). `--minutes` stops starting operations after that long, so a loaded machine still
 * gives a figure in bounded time. Prints the figure and exits non-zero when a single byte could not
 * be recovered.
 */
import { parseArgs } from 'node:util';
import { describeSoak, runWorktreeSoak } from './worktreeSoak';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '21' },
      worktrees: { type: 'string', default: '300' },
      operations: { type: 'string', default: '600' },
      minutes: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
    return value;
  };
  const result = await runWorktreeSoak({
    seed: number('seed', values.seed),
    worktrees: number('worktrees', values.worktrees),
    operations: number('operations', values.operations),
    maxMinutes: values.minutes === undefined ? undefined : number('minutes', values.minutes),
    log: values.verbose ? (line) => console.log(`  ${line}`) : undefined,
  });
  for (const p of result.problems) console.log(`problem: ${p}`);
  console.log(describeSoak(result));
  const clean = result.problems.length === 0 && result.bytesUnrecoverable === 0 && result.gitStateMismatches === 0 && result.foldersChanged === 0 && result.restoreDifferences === 0;
  console.log(clean ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exitCode = clean ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
});
