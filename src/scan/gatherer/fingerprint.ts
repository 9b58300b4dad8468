/**
 * The identity of a gathered item: kind, file and normalized text; for identical texts in one
 * file also the code around each and, among those still alike, their order. The line is never part
 * of it, so a moved TODO keeps its ticket; a unique text ignores its surroundings, so editing the
 * code next to it changes nothing.
 */
import { createHash } from 'node:crypto';

export const FINGERPRINT_PREFIX = 'gatherer:';

/** Whitespace collapsed and lower case, so re-wrapping or re-casing a comment changes nothing. */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** A short hash of the code an item is about, its context among identical texts. */
export function contextOf(code: string): string {
  return createHash('sha256').update(normalizeText(code)).digest('hex').slice(0, 16);
}

export function fingerprintOf(kind: string, file: string, normText: string, context = '', occurrence = 0): string {
  const key = context === '' && occurrence === 0 ? `${kind}\0${file}\0${normText}\0${0}` : `${kind}\0${file}\0${normText}\0${context}\0${occurrence}`;
  return FINGERPRINT_PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 32);
}

interface Identifiable {
  kind: string;
  file: string;
  line: number;
  normText: string;
  context: string;
  occurrence: number;
  fingerprint: string;
}

/**
 * Sets every item's fingerprint: a text unique in its file by the text alone; identical texts by
 * their context too, numbered top to bottom only where even that is the same.
 */
export function assignFingerprints<T extends Identifiable>(items: T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.kind}\0${item.file}\0${item.normText}`;
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  for (const group of groups.values()) {
    if (group.length === 1) {
      const [item] = group;
      item.occurrence = 0;
      item.fingerprint = fingerprintOf(item.kind, item.file, item.normText);
      continue;
    }
    group.sort((a, b) => a.line - b.line);
    const seen = new Map<string, number>();
    for (const item of group) {
      const n = seen.get(item.context) ?? 0;
      seen.set(item.context, n + 1);
      item.occurrence = n;
      item.fingerprint = fingerprintOf(item.kind, item.file, item.normText, item.context, n);
    }
  }
  return items;
}

/**
 * Sørensen–Dice coefficient over character bigrams (0 = nothing shared, 1 = same), the measure
 * that decides whether an edited comment is still the same item.
 */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const counts = new Map<string, number>();
  for (let i = 0; i < a.length - 1; i++) {
    const bigram = a.slice(i, i + 2);
    counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
  }
  let shared = 0;
  for (let i = 0; i < b.length - 1; i++) {
    const bigram = b.slice(i, i + 2);
    const n = counts.get(bigram) ?? 0;
    if (n > 0) {
      counts.set(bigram, n - 1);
      shared++;
    }
  }
  return (2 * shared) / (a.length - 1 + b.length - 1);
}
