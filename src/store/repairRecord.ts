/**
 * What the user is told about how a board was opened, and the record of a repair kept in the
 * board itself (meta `last_repair`), so a repair made by one process (the CLI, `serve`, another
 * window) reaches every other process through the journal, and each says it the same way.
 */
import type { OpenReport } from './api';

export const META_LAST_REPAIR = 'last_repair';

export interface RepairRecord {
  /** When the repair was made (ms since the epoch) and by which process (its owner id). */
  at: number;
  by: string;
  message: string;
  lostChanges: number;
}

export function describeRepair(report: OpenReport, by: string, at: number): string {
  const record: RepairRecord = { at, by, message: report.message ?? 'the board was repaired', lostChanges: report.lostChanges ?? 0 };
  return JSON.stringify(record);
}

export function parseRepair(value: string | undefined): RepairRecord | undefined {
  if (value === undefined) return undefined;
  try {
    const raw = JSON.parse(value) as Partial<RepairRecord>;
    if (typeof raw.at === 'number' && typeof raw.by === 'string' && typeof raw.message === 'string') {
      return { at: raw.at, by: raw.by, message: raw.message, lostChanges: typeof raw.lostChanges === 'number' ? raw.lostChanges : 0 };
    }
  } catch {
    // Not a record this version wrote: nothing to show.
  }
  return undefined;
}

/** One sentence for a repair, the same in the editor, the CLI and `serve`. */
export function repairSentence(message: string): string {
  return `The board was damaged and has been repaired: ${message}.`;
}

/** The lines to show the user after opening a board (warnings first). Empty when all is well. */
export function openReportLines(report: OpenReport): { warnings: string[]; notes: string[] } {
  const warnings = report.restored ? [repairSentence(report.message ?? 'the last good copy was restored')] : [];
  return { warnings, notes: report.notes ?? [] };
}
