/**
 * Pairs what the last cycles tracked with what this cycle found, so an item that moved, was
 * re-worded, lives in a renamed file or was moved to another file keeps its ticket instead of
 * being closed and re-created. Every pass only sees what the earlier ones left, and each is
 * near-linear: lookups by fingerprint, by text and by word, never every record against every item.
 *
 * 1. The same fingerprint (the item may have moved any number of lines).
 * 2. The same text in the same file (after git's renames): identical copies are told apart by the
 *    code around them, then by nearness, so removing one of 24 identical TODOs closes that one.
 * 3. The same text in another file: a TODO moved, unchanged, without a rename git could see.
 * 4. An edited comment in the same file (after renames): texts at least {@link EDIT_SIMILARITY}
 *    alike, among the items sharing a word with it or sitting next to it; the most alike pair
 *    first, and of about equally alike ones (within a tenth) the nearest.
 * Items that were already there last cycle without a ticket (`existedBefore`) are never the new
 * place of a tracked item in passes 3 and 4: when a ticketed "TODO: test v2" goes, its ticket
 * closes rather than moving to a waiting "TODO: test v3".
 */
import { similarity } from './fingerprint';
import { isCommentKind, type GatheredItem } from './item';

export const EDIT_SIMILARITY = 0.5;
/** Words shared by more items than this say nothing about which one a record became. */
const COMMON_WORD = 64;
/** Items on each side of a record's line that are always candidates for its edit. */
const NEIGHBOURS = 4;
/** Above this many copies of one text in one file, copies are paired in order instead of by distance. */
const PAIRWISE_LIMIT = 200;

export interface TrackedRecord {
  fingerprint: string;
  kind: string;
  file: string;
  line: number;
  normText: string;
  occurrence: number;
  context: string;
}

export type MatchHow = 'exact' | 'renamed' | 'copy' | 'moved' | 'edited';

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
  /** Items that existed last cycle without being tracked: never the new place of a tracked one (passes 3 and 4). */
  existedBefore?: (item: GatheredItem) => boolean;
}

export function matchItems<R extends TrackedRecord>(records: readonly R[], items: readonly GatheredItem[], options: MatchOptions = {}): MatchResult<R> {
  const renames = options.renames ?? new Map<string, string>();
  const existedBefore = options.existedBefore ?? (() => false);
  const fileNow = (r: R): string => renames.get(r.file) ?? r.file;
  const matched: Match<R>[] = [];
  const free = new Set(items);

  const byFingerprint = new Map<string, GatheredItem>();
  for (const item of items) byFingerprint.set(item.fingerprint, item);
  let left: R[] = [];
  for (const record of records) {
    const item = byFingerprint.get(record.fingerprint);
    if (item && free.has(item)) {
      free.delete(item);
      matched.push({ record, item, how: 'exact' });
    } else {
      left.push(record);
    }
  }

  left = pairByText(left, free, (r) => `${r.kind}\0${fileNow(r)}\0${r.normText}`, (i) => `${i.kind}\0${i.file}\0${i.normText}`, () => true, (r, i) => (i.file === r.file ? 'copy' : 'renamed'), matched);
  left = pairByText(left, free, (r) => `${r.kind}\0${r.normText}`, (i) => `${i.kind}\0${i.normText}`, (i) => !existedBefore(i), () => 'moved', matched);
  left = pairEdits(left, free, fileNow, existedBefore, matched);
  return { matched, gone: left, fresh: items.filter((i) => free.has(i)) };
}

/** Passes 2 and 3: records and free items with the same key, copies told apart by context, then by nearness. */
function pairByText<R extends TrackedRecord>(
  left: R[],
  free: Set<GatheredItem>,
  recordKey: (r: R) => string,
  itemKey: (i: GatheredItem) => string,
  eligible: (i: GatheredItem) => boolean,
  how: (r: R, i: GatheredItem) => MatchHow,
  matched: Match<R>[],
): R[] {
  if (left.length === 0 || free.size === 0) return left;
  const itemsByKey = new Map<string, GatheredItem[]>();
  for (const item of free) {
    if (!eligible(item)) continue;
    const key = itemKey(item);
    const list = itemsByKey.get(key);
    if (list) list.push(item);
    else itemsByKey.set(key, [item]);
  }
  const recordsByKey = new Map<string, R[]>();
  const still: R[] = [];
  for (const record of left) {
    const key = recordKey(record);
    if (!itemsByKey.has(key)) {
      still.push(record);
      continue;
    }
    const list = recordsByKey.get(key);
    if (list) list.push(record);
    else recordsByKey.set(key, [record]);
  }
  for (const [key, records] of recordsByKey) {
    const candidates = itemsByKey.get(key)!;
    const taken = new Set<R>();
    const take = (record: R, item: GatheredItem): void => {
      taken.add(record);
      free.delete(item);
      matched.push({ record, item, how: how(record, item) });
    };
    // Same surroundings first: the copy still sitting on the same code.
    const byContext = new Map<string, GatheredItem[]>();
    for (const item of candidates) {
      const list = byContext.get(item.context);
      if (list) list.push(item);
      else byContext.set(item.context, [item]);
    }
    for (const record of records) {
      const same = nearest(record, (byContext.get(record.context) ?? []).filter((i) => free.has(i)));
      if (same) take(record, same);
    }
    const rest = records.filter((r) => !taken.has(r));
    const open = candidates.filter((i) => free.has(i));
    if (rest.length > 0 && open.length > 0) {
      for (const [record, item] of pairByDistance(rest, open)) take(record, item);
    }
    for (const r of records) if (!taken.has(r)) still.push(r);
  }
  return still;
}

function nearest<R extends TrackedRecord>(record: R, items: readonly GatheredItem[]): GatheredItem | undefined {
  let best: GatheredItem | undefined;
  for (const item of items) if (!best || Math.abs(item.line - record.line) < Math.abs(best.line - record.line)) best = item;
  return best;
}

/** Closest lines first; for very many copies, in order of position. */
function pairByDistance<R extends TrackedRecord>(records: readonly R[], items: readonly GatheredItem[]): Array<[R, GatheredItem]> {
  if (records.length * items.length > PAIRWISE_LIMIT * PAIRWISE_LIMIT) {
    const rs = [...records].sort((a, b) => a.line - b.line);
    const is = [...items].sort((a, b) => a.line - b.line);
    return rs.slice(0, is.length).map((r, k) => [r, is[k]]);
  }
  const pairs: Array<{ r: R; i: GatheredItem; d: number }> = [];
  for (const r of records) for (const i of items) pairs.push({ r, i, d: Math.abs(r.line - i.line) });
  pairs.sort((a, b) => a.d - b.d);
  const usedR = new Set<R>();
  const usedI = new Set<GatheredItem>();
  const out: Array<[R, GatheredItem]> = [];
  for (const { r, i } of pairs) {
    if (usedR.has(r) || usedI.has(i)) continue;
    usedR.add(r);
    usedI.add(i);
    out.push([r, i]);
  }
  return out;
}

/** Pass 4: re-worded comments, among the items of the same file that share a word with the record or sit next to it. */
function pairEdits<R extends TrackedRecord>(
  left: R[],
  free: Set<GatheredItem>,
  fileNow: (r: R) => string,
  existedBefore: (item: GatheredItem) => boolean,
  matched: Match<R>[],
): R[] {
  if (left.length === 0 || free.size === 0) return left;
  const files = new Map<string, { byLine: GatheredItem[]; byWord: Map<string, GatheredItem[]> }>();
  for (const item of free) {
    if (!isCommentKind(item.kind) || existedBefore(item)) continue;
    let index = files.get(item.file);
    if (!index) files.set(item.file, (index = { byLine: [], byWord: new Map() }));
    index.byLine.push(item);
    for (const word of words(item.normText)) {
      const list = index.byWord.get(word);
      if (list) list.push(item);
      else index.byWord.set(word, [item]);
    }
  }
  for (const index of files.values()) index.byLine.sort((a, b) => a.line - b.line);

  const candidates: Array<{ record: R; item: GatheredItem; score: number; distance: number }> = [];
  for (const record of left) {
    if (!isCommentKind(record.kind)) continue;
    const index = files.get(fileNow(record));
    if (!index) continue;
    const pool = new Set<GatheredItem>();
    for (const word of words(record.normText)) {
      const list = index.byWord.get(word);
      if (list && list.length <= COMMON_WORD) for (const item of list) pool.add(item);
    }
    const at = lowerBound(index.byLine, record.line);
    for (let k = Math.max(0, at - NEIGHBOURS); k < Math.min(index.byLine.length, at + NEIGHBOURS); k++) pool.add(index.byLine[k]);
    for (const item of pool) {
      const score = similarity(record.normText, item.normText);
      if (score >= EDIT_SIMILARITY) candidates.push({ record, item, score, distance: Math.abs(record.line - item.line) });
    }
  }
  const tenth = (score: number): number => Math.round(score * 10);
  candidates.sort((a, b) => tenth(b.score) - tenth(a.score) || a.distance - b.distance || b.score - a.score);
  const taken = new Set<R>();
  for (const c of candidates) {
    if (taken.has(c.record) || !free.has(c.item)) continue;
    taken.add(c.record);
    free.delete(c.item);
    matched.push({ record: c.record, item: c.item, how: c.item.file === c.record.file ? 'edited' : 'renamed' });
  }
  return left.filter((r) => !taken.has(r));
}

function words(text: string): Set<string> {
  return new Set(text.split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length >= 3));
}

function lowerBound(items: readonly GatheredItem[], line: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
