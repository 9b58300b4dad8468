/**
 * Comment tags in the main checkout, as fingerprinted items: `git grep` names the files that hold
 * a tag (vendored and generated ones left out), excluded ones are dropped (paths.ts), each remaining file is read and its
 * comments parsed in its own language, minified and generated files are dropped by content, and
 * any secret in an item's text is masked before it can reach a ticket. A file unchanged since the
 * last cycle (same size and modification time) is not read again.
 */
import { readFile as readFileCallback, statSync, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { decodeText } from '../common/decode';
import { generatedKind } from '../common/generated';
import { mapLimit } from '../common/pool';
import { FactoryError } from '../../domain/errors';
import { scanComments, type Comment } from './comments';
import { createTagFinder, type TagFinder } from './commentTags';
import { assignFingerprints, contextOf, normalizeText } from './fingerprint';
import { gitGrepFiles } from './gitGrep';
import { rankOfTag, type GatheredItem } from './item';
import { commentSyntaxOf } from './languages';
import { excludedPaths, globMatcher } from './paths';
import { redactItemSecrets, type SecretFinder } from './redact';

// The callback form: for many small files it costs a third less than fs/promises'.
const readFile = promisify(readFileCallback);
/** Files stat'ed between two turns of the event loop (about a millisecond's work). */
const STAT_SLICE = 250;

/** Larger files are someone's data or a generator's output, not a place for notes. */
const MAX_READ_BYTES = 2 * 1024 * 1024;
/** How far below a comment the code it is about is looked for. */
const CONTEXT_LINES = 20;

export type FileSkip = 'excluded' | 'generated' | 'minified' | 'too-large' | 'unreadable';

export interface ParsedTag {
  tag: string;
  line: number;
  text: string;
  owner?: string | undefined;
  note?: string | undefined;
  context: string;
}

export interface CommentScanOptions {
  tags: readonly string[];
  /** `agentFactory.gatherer.exclude` globs. */
  exclude: readonly string[];
  signal?: AbortSignal | undefined;
  /** Parsed files of earlier cycles (keep one per repository). */
  cache?: ParsedFileCache | undefined;
  /** Where secrets in new items are found for masking (default: the Security scan's shared threads). */
  secrets?: SecretFinder | undefined;
}

export interface CommentScanReport {
  items: GatheredItem[];
  /** Files holding a tag that were not read, by why. */
  skipped: Record<FileSkip, number>;
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  tags: string;
  /** The file's items, masked and fingerprinted (fingerprints depend on the file alone), or why it was not read. */
  result: GatheredItem[] | FileSkip;
}

/**
 * What each file held the last time it was read, so a steady cycle costs a `stat` per file; and
 * the exclude globs compiled once.
 */
export class ParsedFileCache {
  readonly entries = new Map<string, CacheEntry>();
  private matcher: { key: string; excluded: (file: string) => boolean } | undefined;

  excludeMatcher(globs: readonly string[]): (file: string) => boolean {
    const key = globs.join('\0');
    if (this.matcher?.key !== key) this.matcher = { key, excluded: globMatcher(globs) };
    return this.matcher.excluded;
  }
}

export async function scanCommentTags(repoRoot: string, opts: CommentScanOptions): Promise<CommentScanReport> {
  const { tags, signal } = opts;
  const skipped: Record<FileSkip, number> = { excluded: 0, generated: 0, minified: 0, 'too-large': 0, unreadable: 0 };
  const cache = opts.cache ?? new ParsedFileCache();
  const files = await gitGrepFiles(repoRoot, tags, signal);
  const excluded = await excludedPaths(repoRoot, files, cache.excludeMatcher(opts.exclude), signal);
  const finder = createTagFinder(tags);
  const tagKey = tags.join(',');
  const seen = new Set(files);
  const stats = await statAll(repoRoot, files.filter((f) => !excluded.has(f)), signal);
  const fresh: Array<{ file: string; entry: CacheEntry; parsed: ParsedTag[] | FileSkip }> = [];
  // A file is known from the cache, skipped, or read now (its index in `fresh`).
  const results = await mapLimit(files, 8, async (file): Promise<GatheredItem[] | FileSkip | { fresh: number }> => {
    if (signal?.aborted) throw new FactoryError('cancelled', 'the Gatherer cycle was cancelled');
    if (excluded.has(file)) return 'excluded';
    const st = stats.get(file);
    if (!st?.isFile()) return 'unreadable';
    const cached = cache.entries.get(file);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.tags === tagKey) return cached.result;
    const parsed = await readAndParse(join(repoRoot, file), file, st.size, finder);
    fresh.push({ file, entry: { size: st.size, mtimeMs: st.mtimeMs, tags: tagKey, result: [] }, parsed });
    return { fresh: fresh.length - 1 };
  });
  for (const file of [...cache.entries.keys()]) if (!seen.has(file)) cache.entries.delete(file);
  // Only files read now are masked (in one pass of the secret rules) and fingerprinted.
  const newItems = fresh.map(({ file, parsed }) => (typeof parsed === 'string' ? [] : parsed.map((p) => toItem(file, p))));
  await redactItemSecrets(newItems.flat(), opts.secrets);
  fresh.forEach(({ file, entry, parsed }, k) => {
    entry.result = typeof parsed === 'string' ? parsed : assignFingerprints(newItems[k]);
    cache.entries.set(file, entry);
  });
  const items: GatheredItem[] = [];
  for (const slot of results) {
    const result = typeof slot === 'object' && 'fresh' in slot ? fresh[slot.fresh].entry.result : slot;
    // Copies: the cycle's items are its own, the cache's stay as they were read.
    if (typeof result === 'string') skipped[result]++;
    else for (const item of result) items.push({ ...item });
  }
  return { items, skipped };
}

/**
 * Every file's size and time. Synchronously, in slices with the thread given back between them:
 * a steady cycle does little else, and a synchronous stat costs a third of an asynchronous one.
 */
async function statAll(repoRoot: string, files: readonly string[], signal: AbortSignal | undefined): Promise<Map<string, Stats | undefined>> {
  const out = new Map<string, Stats | undefined>();
  for (let i = 0; i < files.length; i += STAT_SLICE) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw new FactoryError('cancelled', 'the Gatherer cycle was cancelled');
    for (const file of files.slice(i, i + STAT_SLICE)) out.set(file, statOrUndefined(join(repoRoot, file)));
  }
  return out;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    // Unreadable (permissions, a dangling link): reported as such, the cycle goes on.
    return undefined;
  }
}

async function readAndParse(abs: string, file: string, size: number, finder: TagFinder): Promise<ParsedTag[] | FileSkip> {
  if (size > MAX_READ_BYTES) return 'too-large';
  const bytes = await readFile(abs).catch(() => undefined);
  const decoded = bytes && decodeText(bytes);
  if (!decoded) return 'unreadable';
  const kind = generatedKind(file, decoded.text);
  if (kind !== undefined) return kind;
  return parseText(file, decoded.text, finder);
}

/** One file's items, fingerprinted as a cycle would (without the secret masking, which needs the whole cycle's texts). */
export function itemsFromText(file: string, text: string, tags: readonly string[]): GatheredItem[] {
  return assignFingerprints(parseText(file, text, createTagFinder(tags)).map((p) => toItem(file, p)));
}

/** The tags in one file's comments, with the code around each. */
export function parseText(file: string, text: string, finder: TagFinder): ParsedTag[] {
  const { comments, code } = scanComments(text, commentSyntaxOf(file));
  const out: ParsedTag[] = [];
  for (const comment of comments) {
    const hits = finder.find(comment);
    if (hits.length === 0) continue;
    const context = surroundingCode(comment, code);
    for (const hit of hits) if (hit.text !== '') out.push({ ...hit, context });
  }
  return out;
}

/**
 * The code a comment is about: the code on its own line for a trailing comment (`retry(); // TODO`),
 * otherwise the first line of code below it. Only that, so fixing one of many identical TODOs (and
 * the code under it) leaves the others' contexts as they were.
 */
function surroundingCode(comment: Comment, code: readonly string[]): string {
  const first = comment.lines[0].line;
  if (code[first - 1] !== '') return contextOf(code[first - 1]);
  const last = comment.lines[comment.lines.length - 1].line;
  for (let l = last + 1; l <= code.length && l <= last + CONTEXT_LINES; l++) if (code[l - 1] !== '') return contextOf(code[l - 1]);
  return contextOf('');
}

function toItem(file: string, p: ParsedTag): GatheredItem {
  const identity = p.note !== undefined ? `(${p.note}) ${p.text}` : p.text;
  return {
    kind: p.tag.toLowerCase(),
    tag: p.tag,
    file,
    line: p.line,
    text: p.text,
    normText: normalizeText(identity),
    occurrence: 0,
    context: p.context,
    fingerprint: '',
    owner: p.owner,
    note: p.note,
    rank: rankOfTag(p.tag),
  };
}
