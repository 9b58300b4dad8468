/**
 * `npm run soak:worktrees`: the randomized worktree run at full size. Options (environment):
 * AGENT_FACTORY_SOAK_SEED (21), AGENT_FACTORY_SOAK_WORKTREES (300), AGENT_FACTORY_SOAK_OPERATIONS (600).
 * Prints the figure and exits non-zero when a single byte could not be recovered.
 */
import { describeSoak, runWorktreeSoak } from './worktreeSoak';

async function main(): Promise<void> {
  const number = (name: string, fallback: number): number => {
    const raw = process.env[name];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
    return value;
  };
  const result = await runWorktreeSoak({
    seed: number('AGENT_FACTORY_SOAK_SEED', 21),
    worktrees: number('AGENT_FACTORY_SOAK_WORKTREES', 300),
    operations: number('AGENT_FACTORY_SOAK_OPERATIONS', 600),
    log: process.env.AGENT_FACTORY_SOAK_VERBOSE ? (line) => console.log(`  ${line}`) : undefined,
  });
  for (const p of result.problems) console.log(`problem: ${p}`);
  console.log(describeSoak(result));
  const clean = result.bytesUnrecoverable === 0 && result.gitStateMismatches === 0 && result.foldersChanged === 0 && result.restoreDifferences === 0;
  process.exitCode = clean ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
