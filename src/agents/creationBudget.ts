/**
 * How many worktrees a Worktree agent cycle may still recreate: a few per cycle, and none once the
 * board's live worktrees or their disk use reach the caps. Beyond them the agent reports; it never
 * makes a worktree storm.
 */
import { formatBytes } from '../domain/salvage';

export interface BudgetLimits {
  maxCreationsPerCycle: number;
  maxLive: number;
  maxDiskMB: number;
}

export class CreationBudget {
  private left: number;
  /** True once a board-wide cap (not the per-cycle limit) refused a creation. */
  capped = false;

  constructor(
    private readonly limits: BudgetLimits,
    private live: number,
    private readonly diskBytes: number,
  ) {
    this.left = limits.maxCreationsPerCycle;
  }

  /** Why no worktree may be created now, or undefined when one may. */
  refusal(): string | undefined {
    if (this.live >= this.limits.maxLive) {
      this.capped = true;
      return `not recreated: the board has ${this.live} live worktrees, the cap agentFactory.worktrees.maxLive is ${this.limits.maxLive}`;
    }
    if (this.diskBytes >= this.limits.maxDiskMB * 1024 * 1024) {
      this.capped = true;
      return `not recreated: the worktrees take ${formatBytes(this.diskBytes)}, the cap agentFactory.worktrees.maxDiskMB is ${this.limits.maxDiskMB} MB`;
    }
    if (this.left <= 0) {
      return `waits for the next cycle: at most ${this.limits.maxCreationsPerCycle} worktree${this.limits.maxCreationsPerCycle === 1 ? ' is' : 's are'} recreated per cycle (agentFactory.worktrees.maxCreationsPerCycle)`;
    }
    return undefined;
  }

  spend(): void {
    this.left--;
    this.live++;
  }
}
