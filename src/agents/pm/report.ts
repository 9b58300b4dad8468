/** The PM's last findings across the board, kept in the store for every window's views. */
export const PM_REPORT_META = 'pm.report';

export interface RunMark {
  runId: string;
  ticketId: string;
  stalled: boolean;
  overrun: boolean;
  lastProgressAt: number;
}

export interface PmReport {
  /** When the PM last found something different (a report that says the same is not written again). */
  at: number;
  /** DONE / (all tickets not in BACKLOG), as a decimal percentage ("42.9%"). */
  boardProgress: string;
  runs: RunMark[];
  /** IN_DEV tickets with no live run, still inside the grace period. */
  stuck: string[];
  healed: string[];
  lost: string[];
  timedOut: string[];
  /** Active tickets whose latest check-in has blockers. */
  blocked: string[];
  /** BLOCKED tickets whose reason has cleared. */
  unblockable: string[];
  /** Runs whose agent runs on after its owner (window or host) died: stopped by a person, or by themselves. */
  orphans: { runId: string; ticketId: string; pid?: number | undefined }[];
  /** Processes this cycle stopped that exited agents left running after their owners died. */
  leftovers?: { runId: string; ticketId: string; pids: number[] }[] | undefined;
}

export function parsePmReport(raw: string | undefined): PmReport | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as PmReport;
    if (typeof value !== 'object' || value === null || !Array.isArray(value.runs)) return undefined;
    // Reports written before orphans were reported have none.
    return Array.isArray(value.orphans) ? value : { ...value, orphans: [] };
  } catch {
    return undefined;
  }
}
