/**
 * Runs one Worktree agent cycle, or a Clean Up Worktrees that confirms everything, on an existing
 * board, and prints the outcome as one line of JSON. Tests start it as an unprivileged user where
 * file permissions are what they test.
 *
 * Usage: node worktreeChild.js <board dir> <repo root> cycle|cleanup <settings JSON>
 */
import { silentLogger } from '../../../../src/agents/agent';
import { WorktreeAgent, type WorktreeSettings } from '../../../../src/agents/worktreeAgent';
import { systemClock } from '../../../../src/domain/clock';
import { errorMessage } from '../../../../src/domain/errors';
import { SimpleGitPort } from '../../../../src/git/simpleGitPort';
import { openBoard } from '../../../../src/store/sqlBoard';

async function main(): Promise<void> {
  const [dir, repoRoot, mode, settingsJson] = process.argv.slice(2);
  if (!dir || !repoRoot || !settingsJson || (mode !== 'cycle' && mode !== 'cleanup')) throw new Error('usage: worktreeChild <board dir> <repo root> cycle|cleanup <settings JSON>');
  const settings = JSON.parse(settingsJson) as WorktreeSettings;
  const board = await openBoard({ dir, repoRoot, pollMs: 0, create: false });
  try {
    const agent = new WorktreeAgent({ git: new SimpleGitPort(), settings: () => settings });
    if (mode === 'cycle') {
      const result = await agent.runCycle({ board, clock: systemClock, log: silentLogger, signal: new AbortController().signal, setActivity() {} });
      process.stdout.write(`${JSON.stringify({ result, report: agent.lastReport })}\n`);
    } else {
      const plan = await agent.planCleanup(board);
      const outcome = await agent.executeCleanup(board, plan, { confirmedDirty: true });
      process.stdout.write(`${JSON.stringify({ plan, outcome })}\n`);
    }
  } finally {
    await board.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exitCode = 1;
});
