/**
 * Comment tags in the main checkout, as fingerprinted items: `git grep` names the files that hold
 * a tag, vendored and excluded ones are dropped (paths.ts), each remaining file is read and its
 * comments parsed in its own language, minified and generated files are dropped by content, and
 * any secret in an item's text is masked before it can reach a ticket. A file unchanged since the
 * last cycle (same size and modification time) is not read again.
 */
import { readFile, stat } from 'node:fs/promises';
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
import { judgePaths, type PathVerdict } from './paths';
import { redactItemSecrets } from './redact';

/** Larger files are someone's data or a generator's output, not a place for notes. */
const MAX_READ_BYTES = 2 * 1024 * 1024;
/** How far below a comment the code it is about is looked for. */
const CONTEXT_LINES = 20;

export type FileSkip = 'excluded' | 'vendored' | 'generated' | 'minified' | 'too-large' | 'unreadable';

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
  result: ParsedTag[] | FileSkip;
}

/** What each file held the last time it was read. */
export class ParsedFileCache {
  readonly entries = new Map<string, CacheEntry>();
}

export async function scanCommentTags(repoRoot: string, opts: CommentScanOptions): Promise<CommentScanReport> {
  const { tags, signal } = opts;
  const skipped: Record<FileSkip, number> = { excluded: 0, vendored: 0, generated: 0, minified: 0, 'too-large': 0, unreadable: 0 };
  const files = await gitGrepFiles(repoRoot, tags, signal);
  const verdicts = files.length === 0 ? new Map<string, PathVerdict>() : await judgePaths(repoRoot, files, opts.exclude, signal);
  const finder = createTagFinder(tags);
  const cache = opts.cache ?? new ParsedFileCache();
  const tagKey = tags.join(',');
  const seen = new Set<string>();
  const parsed = await mapLimit(files, 8, async (file) => {
    if (signal?.aborted) throw new FactoryError('cancelled', 'the Gatherer cycle was cancelled');
    seen.add(file);
    const verdict = verdicts.get(file) ?? 'keep';
    if (verdict !== 'keep') return verdict;
    return parseFile(repoRoot, file, finder, cache, tagKey);
  });
  for (const file of [...cache.entries.keys()]) if (!seen.has(file)) cache.entries.delete(file);
  const items: GatheredItem[] = [];
  parsed.forEach((result, i) => {
    if (typeof result === 'string') {
      skipped[result]++;
      return;
    }
    for (const p of result) items.push(toItem(files[i], p));
  });
  await redactItemSecrets(items);
  return { items: assignFingerprints(items), skipped };
}

async function parseFile(repoRoot: string, file: string, finder: TagFinder, cache: ParsedFileCache, tagKey: string): Promise<ParsedTag[] | FileSkip> {
  const abs = join(repoRoot, file);
  const st = await stat(abs).catch(() => undefined);
  if (!st?.isFile()) return 'unreadable';
  const cached = cache.entries.get(file);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.tags === tagKey) return cached.result;
  const result = await readAndParse(abs, file, st.size, finder);
  cache.entries.set(file, { size: st.size, mtimeMs: st.mtimeMs, tags: tagKey, result });
  return result;
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
