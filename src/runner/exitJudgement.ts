/**
 * What an agent's exit 0 is worth when it reported no verdict. A model inside an agent CLI cannot
 * choose its exit code (some exit 0 even when every tool call was refused), so exit 0 finishes a
 * stage only where the stage's policy (`agentFactory.agents.<stage>.completion`) is `exit`, and a
 * development stage only with something to show for it: commits ahead of its base or changed files.
 */
import type { CompletionPolicy } from '../domain/pipeline';
import type { Run } from '../domain/run';
import { isStatus, type Status } from '../domain/status';
import type { Worktree } from '../domain/ticket';

export const NO_VERDICT = 'finished without a verdict';
export const NO_CHANGE = 'finished without changing anything';

export interface ExitJudgeDeps {
  completionPolicy(stage: Status): CompletionPolicy;
  /** The ticket's worktree now (its path and base), when it has one. */
  worktreeOf(ticketId: string): Worktree | undefined;
  /** Commits ahead of `base` or changed files in the worktree. */
  hasChanges(worktree: Worktree): Promise<boolean>;
}

/** Why a run that exited 0 without a verdict did not finish its stage, or undefined when it did. */
export type ExitJudge = (run: Run) => Promise<string | undefined>;

export function exitJudge(deps: ExitJudgeDeps): ExitJudge {
  return async (run) => {
    if (!isStatus(run.stage)) return undefined;
    if (deps.completionPolicy(run.stage) !== 'exit') return NO_VERDICT;
    if (run.stage !== 'IN_DEV') return undefined;
    const worktree = deps.worktreeOf(run.ticketId);
    if (!worktree) return NO_CHANGE;
    try {
      return (await deps.hasChanges(worktree)) ? undefined : NO_CHANGE;
    } catch {
      // A worktree git cannot read shows nothing done.
      return NO_CHANGE;
    }
  };
}
