/**
 * What a coding agent's model calls cost: tokens read from the agent's own machine output, and
 * money where the agent reports it. `inputTokens` counts every prompt token, cached or not;
 * `cachedTokens` is the part of them served from the provider's prompt cache.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** US dollars, only when the agent itself reports a cost. */
  costUsd?: number | undefined;
}

export const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const cost = a.costUsd === undefined && b.costUsd === undefined ? undefined : (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    costUsd: cost,
  };
}

export function sameUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.inputTokens === b.inputTokens && a.outputTokens === b.outputTokens && a.cachedTokens === b.cachedTokens && a.costUsd === b.costUsd;
}

/** "12.3k in (4.1k cached) · 845 out · $0.0312", for tooltips, documents and the CLI. */
export function formatUsage(u: TokenUsage): string {
  const cached = u.cachedTokens > 0 ? ` (${formatTokens(u.cachedTokens)} cached)` : '';
  const cost = u.costUsd !== undefined ? ` · $${u.costUsd.toFixed(4)}` : '';
  return `${formatTokens(u.inputTokens)} in${cached} · ${formatTokens(u.outputTokens)} out${cost}`;
}

function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}
