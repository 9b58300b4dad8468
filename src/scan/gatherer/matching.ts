/**
 * Pairs what the last cycles tracked with what this cycle found, so an item that moved, was
 * re-worded or lives in a renamed file keeps its ticket instead of being closed and re-created.
 *
 * Three passes, each only over what the earlier ones left:
 * 1. the same fingerprint (the item may have moved any number of lines);
 * 2. the fingerprint it would have in its renamed file (git's rename detection);
 * 3. an edited comment: same file (after renames), both comment tags, texts at least
 *    {@link EDIT_SIMILARITY} alike; the most alike pair first, and of about equally alike ones
 *    (within a tenth) the nearest.
 *    A comment replaced by an unrelated one at the same place is a new item, not an edit; so is
 *    one that was already there last cycle without a ticket (`existedBefore`): when a ticketed
 *    "TODO: test v2" goes, its ticket closes rather than moving to a waiting "TODO: test v3".
 */
import { fingerprintOf, similarity } from './fingerprint';
import { isCommentKind, type GatheredItem } from './item';

export const EDIT_SIMILARITY = 0.5;

export interface TrackedRecord {
  fingerprint: string;
  kind: string;
  file: string;
  line: number;
  normText: string;
  occurrence: number;
}

export type MatchHow = 'exact' | 'renamed' | 'edited';

export interface Match<R> {
  record: R;
  item: GatheredItem;
  how: MatchHow;
}

export interface MatchResult<R> {
  matched: Match<R>[];
  /** Tracked before, not found now. */
  gone: R[];
  /** Found now, not tracked before. */
  fresh: GatheredItem[];
}

export interface MatchOptions {
  /** Old path -> path now. */
  renames?: ReadonlyMap<string, string>;
  /** Items that existed last cycle without being tracked: never the new text of an edit. */
  existedBefore?: (item: GatheredItem) => boolean;
}

export function matchItems<R extends TrackedRecord>(records: readonly R[], items: readonly GatheredItem[], options: MatchOptions = {}): MatchResult<R> {
  const renames = options.renames ?? new Map<string, string>();
  const existedBefore = options.existedBefore ?? (() => false);
  const matched: Match<R>[] = [];
  const freeItems = new Map<string, GatheredItem>();
  for (const item of items) freeItems.set(item.fingerprint, item);

  let left: R[] = [];
  for (const record of records) {
    const item = freeItems.get(record.fingerprint);
    if (item) {
      freeItems.delete(record.fingerprint);
      matched.push({ record, item, how: 'exact' });
    } else {
      left.push(record);
    }
  }

  if (renames.size > 0 && left.length > 0) {
    const still: R[] = [];
    for (const record of left) {
      const to = renames.get(record.file);
      const item = to === undefined ? undefined : freeItems.get(fingerprintOf(record.kind, to, record.normText, record.occurrence));
      if (item) {
        freeItems.delete(item.fingerprint);
        matched.push({ record, item, how: 'renamed' });
      } else {
        still.push(record);
      }
    }
    left = still;
  }

  if (left.length > 0 && freeItems.size > 0) left = pairEdits(left, freeItems, renames, existedBefore, matched);

  return { matched, gone: left, fresh: [...freeItems.values()] };
}

function pairEdits<R extends TrackedRecord>(
  left: R[],
  freeItems: Map<string, GatheredItem>,
  renames: ReadonlyMap<string, string>,
  existedBefore: (item: GatheredItem) => boolean,
  matched: Match<R>[],
): R[] {
  const itemsByFile = new Map<string, GatheredItem[]>();
  for (const item of freeItems.values()) {
    if (!isCommentKind(item.kind) || existedBefore(item)) continue;
    const list = itemsByFile.get(item.file);
    if (list) list.push(item);
    else itemsByFile.set(item.file, [item]);
  }
  const candidates: Array<{ record: R; item: GatheredItem; score: number; distance: number }> = [];
  for (const record of left) {
    if (!isCommentKind(record.kind)) continue;
    const file = renames.get(record.file) ?? record.file;
    for (const item of itemsByFile.get(file) ?? []) {
      const score = similarity(record.normText, item.normText);
      if (score >= EDIT_SIMILARITY) candidates.push({ record, item, score, distance: Math.abs(record.line - item.line) });
    }
  }
  const tenth = (score: number): number => Math.round(score * 10);
  candidates.sort((a, b) => tenth(b.score) - tenth(a.score) || a.distance - b.distance || b.score - a.score);
  const taken = new Set<R>();
  for (const c of candidates) {
    if (taken.has(c.record) || !freeItems.has(c.item.fingerprint)) continue;
    taken.add(c.record);
    freeItems.delete(c.item.fingerprint);
    matched.push({ record: c.record, item: c.item, how: c.item.file === c.record.file ? 'edited' : 'renamed' });
  }
  return left.filter((r) => !taken.has(r));
}
