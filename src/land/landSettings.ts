/** How tickets land (`agentFactory.land.*`), as every host reads it through `Settings.landSettings()`. */

export const LAND_STRATEGIES = ['rebase', 'merge', 'squash'] as const;
export type LandStrategy = (typeof LAND_STRATEGIES)[number];

export interface LandSettings {
  /** How the ticket's branch is brought up to date with the base before the check. */
  strategy: LandStrategy;
  /** The check run in the ticket's worktree (program, then arguments; no shell); empty: no check. */
  checkCommand: readonly string[];
  /** A check running longer than this fails. */
  checkTimeoutMs: number;
  /** Lands PM_REVIEW tickets that passed by themselves while the autopilot runs. */
  auto: boolean;
  /** When a holder of the land queue that stopped heartbeating is passed over. */
  leaseTimeoutMs: number;
}

export const DEFAULT_LAND_SETTINGS: LandSettings = {
  strategy: 'rebase',
  checkCommand: [],
  checkTimeoutMs: 30 * 60_000,
  auto: false,
  leaseTimeoutMs: 30_000,
};
