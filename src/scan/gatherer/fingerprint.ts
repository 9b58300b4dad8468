/**
 * The identity of a gathered item: kind, file, normalized text and an occurrence index among
 * identical texts in one file. The line is deliberately not part of it, so a moved TODO keeps its
 * ticket.
 */
import { createHash } from 'node:crypto';

export const FINGERPRINT_PREFIX = 'gatherer:';

/** Whitespace collapsed and lower case, so re-wrapping or re-casing a comment changes nothing. */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

export function fingerprintOf(kind: string, file: string, normText: string, occurrence: number): string {
  const hash = createHash('sha256').update(`${kind}\0${file}\0${normText}\0${occurrence}`).digest('hex');
  return FINGERPRINT_PREFIX + hash.slice(0, 32);
}

interface Identifiable {
  kind: string;
  file: string;
  line: number;
  normText: string;
  occurrence: number;
  fingerprint: string;
}

/** Numbers identical texts in one file top to bottom and sets every item's fingerprint. */
export function assignFingerprints<T extends Identifiable>(items: T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.kind}\0${item.file}\0${item.normText}`;
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  for (const group of groups.values()) {
    if (group.length > 1) group.sort((a, b) => a.line - b.line);
    group.forEach((item, i) => {
      item.occurrence = i;
      item.fingerprint = fingerprintOf(item.kind, item.file, item.normText, i);
    });
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
