/**
 * The ticket document's Changes section: the files the ticket changes against its base with their
 * +/- lines, as the conflict radar last recorded them (every Worktree cycle, and whenever Review
 * Changes opens). Pure, so it is tested in plain node; each file's line is also what the document
 * link provider looks for to open that file's diff.
 */
import { changeTotals, describeCounts, describeTotals } from '../../git/changeSummary';
import type { RecordedChange } from '../../store/api';
import { escapeInline } from './untrustedText';

export const CHANGES_HEADING = '## Changes';

/** `- src/a\.ts (modified, +10 −2)`; the path is escaped like any untrusted text. */
export function changeLine(change: Pick<RecordedChange, 'path' | 'kind' | 'additions' | 'deletions'>): string {
  return `- ${changePathText(change.path)} (${change.kind}, ${describeCounts(change)})`;
}

/** The path as the line shows it: where the link to its diff sits. */
export function changePathText(path: string): string {
  return escapeInline(path);
}

export function changesSection(changes: readonly RecordedChange[]): string[] {
  if (changes.length === 0) return ['_No changes recorded yet (the Worktree agent records them on its next cycle)._'];
  const base = changes[0]?.base ?? '';
  const summary = `${describeTotals(changeTotals(changes))} against ${escapeInline(base)}. Open a file's diff from its line, or all of them with Review Changes.`;
  return [summary, '', ...changes.map(changeLine)];
}
