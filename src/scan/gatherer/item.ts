/** What the Gatherer found in the code or the editor, before it becomes a ticket. */
import type { Priority } from '../../domain/ticket';

/** Lower is more valuable: FIXME and errors first, then HACK/XXX, then TODO and warnings. */
export type ValueRank = 0 | 1 | 2;

export interface DiagnosticLine {
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface GatheredItem {
  /** The ticket label and part of the fingerprint: the tag in lower case, or "diagnostics". */
  kind: string;
  /** The tag as written ("FIXME"), or the diagnostics' source name ("TypeScript"). */
  tag: string;
  /** Repository-relative, `/`-separated. */
  file: string;
  /** 1-based; for diagnostics the first one's line. */
  line: number;
  /** As written: the comment's text, or the diagnostics' source. */
  text: string;
  /** Whitespace collapsed, lower case: what the fingerprint and the matching compare. */
  normText: string;
  /** Among items of the same kind, file, normalized text and context, ordered by line. */
  occurrence: number;
  /**
   * A hash of the code the item's comment is about (see commentScan.ts), which tells identical
   * texts in one file apart; empty for diagnostics.
   */
  context: string;
  fingerprint: string;
  owner?: string | undefined;
  /** `TODO(v3)`: a note that names no owner. */
  note?: string | undefined;
  rank: ValueRank;
  /** For a diagnostics item: every diagnostic of its file and source, by line. */
  diagnostics?: DiagnosticLine[] | undefined;
}

export const DIAGNOSTICS_KIND = 'diagnostics';

const RANK_OF_TAG: Record<string, ValueRank> = { FIXME: 0, BUG: 0, HACK: 1, XXX: 1 };

export function rankOfTag(tag: string): ValueRank {
  return RANK_OF_TAG[tag] ?? 2;
}

export function priorityOfRank(rank: ValueRank): Priority {
  return rank === 0 ? 2 : rank === 1 ? 3 : 4;
}

export function isCommentKind(kind: string): boolean {
  return kind !== DIAGNOSTICS_KIND;
}

/** Most valuable first; ties by file and line so every cycle picks the same items. */
export function compareByValue(a: GatheredItem, b: GatheredItem): number {
  return a.rank - b.rank || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line;
}
