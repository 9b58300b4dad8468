/**
 * The I/O half of a scan: lists what a ticket changed in its worktree, reads each file once, and
 * decides per file whether it needs scanning, is known (by content) from an earlier scan, or is
 * not scanned (and why). Files up to {@link READ_WHOLE_BYTES} are read in one go; larger ones are
 * streamed, first to hash them and then, when their content is new, to match them window by
 * window. It also fingerprints the change as a whole (HEAD and every changed file's content), the
 * state the Security gate compares. Nothing here writes to the board; reconcile.ts turns the
 * outcome into one write.
 */
import { createReadStream, lstat as lstatCallback, readFile as readFileCallback, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { basename, join } from 'node:path';
import { sha256Hex } from '../common/contentHash';
import { sniffEncoding } from '../common/decode';
import { headCommit } from '../common/head';
import { mapLimit } from '../common/pool';
import type { BoardReader } from '../../store/api';
import { FactoryError } from '../../domain/errors';
import type { NotScannedReason } from '../../domain/securityScan';
import { sharedMatchPool, type MatchPool } from './matchPool';
import { SNIFF_BYTES } from './scanContent';
import { SECURITY_RULES_VERSION, type RawFinding } from './scanText';
import { ignoreMatcher, type SecuritySettings } from './settings';
import { SECURITY_SCANNER, type SecurityFindingData } from './model';

// The callback forms: for thousands of small files they cost about a third less than
// fs/promises, whose FileHandle makes four trips through JavaScript per file.
const lstat = promisify(lstatCallback);
const readFile = promisify(readFileCallback);

/** Files up to this size are read whole; larger ones are streamed. */
export const READ_WHOLE_BYTES = 1024 * 1024;
const STREAM_CHUNK_BYTES = 256 * 1024;

/** The part of the git port a scan needs (GitPort satisfies it). */
export interface ChangeLister {
  changedFiles(
    path: string,
    base: string,
    opts?: { signal?: AbortSignal },
  ): Promise<readonly { path: string; kind: string; oldPath?: string | undefined; sources?: readonly string[] }[]>;
}

export type SkipReason = NotScannedReason;

export type FileOutcome =
  /** `reused`: the same content was matched earlier in this cycle (another ticket, another copy) and its result taken. */
  | { path: string; state: 'scanned'; contentKey: string; findings: RawFinding[]; reused: boolean }
  /** Same content as an earlier scan that found nothing. */
  | { path: string; state: 'unchanged-clean' }
  /** Same content as this ticket's last scan of the file, whose findings stand. */
  | { path: string; state: 'unchanged-with-findings' }
  | { path: string; state: 'skipped'; reason: SkipReason }
  /** Changed and not judged yet: the cycle's time budget ran out. Its findings, if any, stand. */
  | { path: string; state: 'deferred' };

export interface TicketScan {
  ticketId: string;
  /** Every file the ticket changed that still exists; a file not listed here left the change. */
  files: FileOutcome[];
  /** HEAD of the worktree when the change was listed. */
  commit?: string | undefined;
  /** Fingerprint of the whole change: HEAD, and every changed file's path, kind and content. */
  state: string;
  /** Some of the change is not committed. */
  dirty: boolean;
  /** Changed files, deleted ones included. */
  changed: number;
  /** Old path -> new path, from git's rename detection over the change. */
  renames: Map<string, string>;
}

export interface CollectOptions {
  settings: SecuritySettings;
  signal?: AbortSignal | undefined;
  /** Files read and scanned at once; reading overlaps with matching. */
  concurrency?: number;
  /**
   * Results by content key, shared by the collections of one cycle: the store's cache is written
   * only when the cycle's write lands, and the same content in two tickets is matched once.
   */
  memo?: Map<string, RawFinding[]>;
  /**
   * Content keys known to be clean without asking the store: the agent remembers what it has
   * already seen in the store's cache, so an unchanged file costs a hash and no query.
   */
  knownClean?: Set<string>;
  budget?: ScanBudget;
  /** Where files are matched (default: the process's shared pool of matching threads). */
  matcher?: Pick<MatchPool, 'match'> | undefined;
}

/**
 * How long one cycle may spend matching. A cycle that runs into the manager's timeout is aborted
 * and writes nothing, so a very large change would never finish; with a budget, files past it wait
 * for the next cycle and what was scanned is kept. The first file always runs, so every cycle
 * makes progress.
 */
export class ScanBudget {
  private started = 0;

  constructor(
    private readonly deadline: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when one more file may be matched. */
  take(): boolean {
    if (this.started > 0 && this.now() > this.deadline) return false;
    this.started++;
    return true;
  }
}

/**
 * The cache key of a file: its bytes and its name, since the name decides which rules apply
 * (language rules by extension, secretlint's .npmrc and package.json handling).
 */
export function contentKeyOf(path: string, data: Uint8Array): string {
  return sha256Hex(basename(path).toLowerCase(), data);
}

export async function collectTicket(
  board: BoardReader,
  lister: ChangeLister,
  ticket: { id: string; worktree: { path: string; base: string } },
  opts: CollectOptions,
): Promise<TicketScan> {
  const { signal } = opts;
  const root = ticket.worktree.path;
  const commit = await headCommit(root, signal);
  const changed = await lister.changedFiles(root, ticket.worktree.base, { signal });
  const paths = changed.filter((f) => f.kind !== 'deleted').map((f) => f.path);
  const renames = new Map<string, string>();
  for (const f of changed) if (f.kind === 'renamed' && f.oldPath !== undefined) renames.set(f.oldPath, f.path);
  const dirty = changed.some((f) => f.sources === undefined || f.sources.some((s) => s !== 'committed'));
  const { files, keys } = await collectFileOutcomes(board, ticket.id, root, paths, opts);
  const stateParts: string[] = [commit ?? ''];
  for (const f of [...changed].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    stateParts.push(f.path, f.kind, f.kind === 'deleted' ? '' : (keys.get(f.path) ?? ''));
  }
  return { ticketId: ticket.id, files, commit, state: sha256Hex(...stateParts), dirty, changed: changed.length, renames };
}

/** Each file's outcome, and what identifies its content for the change's fingerprint. */
async function collectFileOutcomes(
  board: BoardReader,
  ticketId: string,
  root: string,
  paths: readonly string[],
  opts: CollectOptions,
): Promise<{ files: FileOutcome[]; keys: Map<string, string> }> {
  const { signal, settings, memo, knownClean, budget } = opts;
  const ignored = ignoreMatcher(settings.ignore);
  const maxBytes = settings.maxFileSizeKB * 1024;
  const standing = knownContent(board, ticketId);
  const keys = new Map<string, string>();
  const files = await mapLimit(paths, opts.concurrency ?? 8, async (path): Promise<FileOutcome> => {
    if (signal?.aborted) throw new FactoryError('cancelled', 'the security scan was stopped');
    const abs = join(root, path);
    const stat = await lstat(abs).catch(() => undefined);
    const skip = (reason: SkipReason): FileOutcome => {
      // What is not read is still part of the change: its size and time stand for its content.
      keys.set(path, `skip:${reason}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`);
      return { path, state: 'skipped', reason };
    };
    if (ignored(path)) return skip('ignored');
    // A symlink may point outside the worktree and a folder is a submodule: neither is this ticket's text.
    if (!stat?.isFile()) return skip('not-a-file');
    if (stat.size > maxBytes) return skip('too-large');
    const read = stat.size <= READ_WHOLE_BYTES ? await readWhole(abs) : await hashStreamed(abs, path, stat);
    if (read === undefined) return skip('not-a-file');
    if (read === 'binary') return skip('binary');
    const { contentKey } = read;
    keys.set(path, contentKey);
    if (knownClean?.has(contentKey)) return { path, state: 'unchanged-clean' };
    if (board.wasScanned(contentKey, SECURITY_RULES_VERSION)) {
      knownClean?.add(contentKey);
      return { path, state: 'unchanged-clean' };
    }
    if (standing.get(path)?.has(contentKey)) return { path, state: 'unchanged-with-findings' };
    const known = memo?.get(contentKey);
    if (known) return { path, state: 'scanned', contentKey, findings: known, reused: true };
    if (budget && !budget.take()) return { path, state: 'deferred' };
    // Matching runs in a thread of the pool: the bytes are handed over, a large file is streamed there.
    const result = await (opts.matcher ?? sharedMatchPool).match(abs, read.data);
    memo?.set(contentKey, result.findings);
    return { path, state: 'scanned', contentKey, findings: result.findings, reused: false };
  });
  return { files, keys };

  async function readWhole(abs: string): Promise<{ contentKey: string; data: Uint8Array } | 'binary' | undefined> {
    const data = await readFile(abs).catch(() => undefined);
    if (!data) return undefined;
    if (!sniffEncoding(data.subarray(0, SNIFF_BYTES)) && !readsBinary(abs)) return 'binary';
    return { contentKey: contentKeyOf(abs, data), data };
  }
}

/** Binary files a secret rule reads itself (a GCP `.p12` key); any other binary file is not scanned. */
function readsBinary(path: string): boolean {
  return path.toLowerCase().endsWith('.p12');
}

/** A large file's content key, computed as it streams by; its text is read again only when it is new. */
async function hashStreamed(abs: string, path: string, stat: Stats): Promise<{ contentKey: string; data?: undefined } | 'binary' | undefined> {
  const head = await readHead(abs).catch(() => undefined);
  if (head === undefined) return undefined;
  if (!sniffEncoding(head) && !readsBinary(abs)) return 'binary';
  const hash = createHash('sha256').update(basename(path).toLowerCase()).update('\0');
  try {
    for await (const chunk of createReadStream(abs, { highWaterMark: STREAM_CHUNK_BYTES, end: stat.size - 1 })) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return { contentKey: hash.update('\0').digest('hex') };
}

async function readHead(abs: string): Promise<Uint8Array> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Per file, the content keys this ticket's live findings were made from. Only clean content goes
 * into the store's scan cache (it is shared by every ticket and file name); content with findings
 * is recognised here instead, so an unchanged file keeps its findings without a rescan.
 */
function knownContent(board: BoardReader, ticketId: string): Map<string, Set<string>> {
  const byFile = new Map<string, Set<string>>();
  for (const f of board.listFindings({ scanner: SECURITY_SCANNER, ticketId })) {
    const data = f.data as Partial<SecurityFindingData> | undefined;
    if (f.goneAt !== undefined || data?.rulesVersion !== SECURITY_RULES_VERSION || typeof data.contentKey !== 'string') continue;
    let keys = byFile.get(f.file);
    if (!keys) byFile.set(f.file, (keys = new Set()));
    keys.add(data.contentKey);
  }
  return byFile;
}
