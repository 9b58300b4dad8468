/**
 * `agentFactory.runs.budget`: what all runs of one ticket may use together. Tokens count every
 * input token (cached ones included) and every output token; cost counts only what the agents
 * report (Claude Code and Aider do, the others do not, so a cost limit alone never stops them).
 */
import { addUsage, formatUsage, NO_USAGE, type TokenUsage } from '../domain/usage';

export interface RunBudget {
  tokens?: number | undefined;
  costUsd?: number | undefined;
}

export function hasBudget(b: RunBudget): boolean {
  return b.tokens !== undefined || b.costUsd !== undefined;
}

export function totalTokens(u: TokenUsage): number {
  return u.inputTokens + u.outputTokens;
}

/** The sum of the runs' usage, undefined when none of them has any recorded. */
export function ticketUsage(usages: readonly (TokenUsage | undefined)[]): TokenUsage | undefined {
  const known = usages.filter((u): u is TokenUsage => u !== undefined);
  return known.length === 0 ? undefined : known.reduce(addUsage, NO_USAGE);
}

/** Why `used` has reached the budget ("budget reached: 201.3k tokens of 200000"), or undefined. */
export function budgetReached(budget: RunBudget, used: TokenUsage): string | undefined {
  if (budget.tokens !== undefined && totalTokens(used) >= budget.tokens) {
    return `budget reached: ${totalTokens(used)} tokens used of ${budget.tokens} (${formatUsage(used)})`;
  }
  if (budget.costUsd !== undefined && used.costUsd !== undefined && used.costUsd >= budget.costUsd) {
    return `budget reached: $${used.costUsd.toFixed(4)} spent of $${budget.costUsd} (${formatUsage(used)})`;
  }
  return undefined;
}
