/**
 * The I/O half of a scan: lists what a ticket changed in its worktree and decides per file whether
 * it needs matching, is known (by content) from an earlier scan, or is not scanned (and why). The
 * files themselves are read, hashed and matched in the matching threads, in batches (fileRead.ts,
 * matchBatches.ts): this thread only sends names and decides on content keys. A file whose
 * identity on disk is unchanged since the agent last read it is not read again. It also
 * fingerprints the change as a whole (HEAD and every changed file's content), the state the
 * Security gate compares. Nothing here writes to the board; reconcile.ts turns the outcome into
 * one write.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sha256Hex } from '../common/contentHash';
import { headCommit } from '../common/head';
import { mapLimit } from '../common/pool';
import type { BoardReader } from '../../store/api';
import type { ChangeListing } from '../../git/changeListing';
import { FactoryError } from '../../domain/errors';
import type { NotScannedReason } from '../../domain/securityScan';
import type { ReadFile } from './fileRead';
import { sharedMatchPool, type MatchPool } from './matchPool';
import { SECURITY_RULES_VERSION, type RawFinding } from './scanText';
import { ignoreMatcher, type SecuritySettings } from './settings';
import { SECURITY_SCANNER, type SecurityFindingData } from './model';

/** Files sent to a matching thread at once. */
const BATCH_FILES = 64;

/** The part of the git port a scan needs (GitPort satisfies it). */
export interface ChangeLister {
  changedFiles(
    path: string,
    base: string,
    opts?: { signal?: AbortSignal },
  ): Promise<readonly { path: string; kind: string; oldPath?: string | undefined; sources?: readonly string[] }[]>;
  /** The same files, and whether any is not committed, from fewer git processes (changeListing.ts); used when present. */
  listChange?(path: string, base: string, opts?: { signal?: AbortSignal }): Promise<ChangeListing>;
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
  /** Batches of files in flight at once; reading overlaps with matching. */
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
  /** Where files are read and matched (default: the process's shared pool of matching threads). */
  matcher?: Pick<MatchPool, 'read'> | undefined;
  /**
   * Per absolute path, the file's identity on disk when its content key was last taken: a file
   * whose identity is unchanged is not read again. Owned by the caller across cycles.
   */
  fileKeys?: FileKeys | undefined;
}

export type FileKeys = Map<string, { identity: string; contentKey: string }>;

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

export async function collectTicket(
  board: BoardReader,
  lister: ChangeLister,
  ticket: { id: string; worktree: { path: string; base: string } },
  opts: CollectOptions,
): Promise<TicketScan> {
  const { signal } = opts;
  const root = ticket.worktree.path;
  const commit = await headCommit(root, signal);
  const { files: changed, dirty } = lister.listChange
    ? await lister.listChange(root, ticket.worktree.base, { signal })
    : layered(await lister.changedFiles(root, ticket.worktree.base, { signal }));
  const paths = changed.filter((f) => f.kind !== 'deleted').map((f) => f.path);
  const renames = new Map<string, string>();
  for (const f of changed) if (f.kind === 'renamed' && f.oldPath !== undefined) renames.set(f.oldPath, f.path);
  const { files, keys } = await collectFileOutcomes(board, ticket.id, root, paths, opts);
  const stateParts: string[] = [commit ?? ''];
  for (const f of [...changed].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    stateParts.push(f.path, f.kind, f.kind === 'deleted' ? '' : (keys.get(f.path) ?? ''));
  }
  return { ticketId: ticket.id, files, commit, state: sha256Hex(...stateParts), dirty, changed: changed.length, renames };
}

/** A layered listing's files, and whether some of the change is not committed. */
function layered(changed: Awaited<ReturnType<ChangeLister['changedFiles']>>): { files: typeof changed; dirty: boolean } {
  return { files: changed, dirty: changed.some((f) => f.sources === undefined || f.sources.some((s) => s !== 'committed')) };
}

/** Each file's outcome, and what identifies its content for the change's fingerprint. */
async function collectFileOutcomes(
  board: BoardReader,
  ticketId: string,
  root: string,
  paths: readonly string[],
  opts: CollectOptions,
): Promise<{ files: FileOutcome[]; keys: Map<string, string> }> {
  const { signal, settings, memo, knownClean, budget, fileKeys } = opts;
  const matcher = opts.matcher ?? sharedMatchPool;
  const ignored = ignoreMatcher(settings.ignore);
  const maxBytes = settings.maxFileSizeKB * 1024;
  const standing = knownContent(board, ticketId);
  const keys = new Map<string, string>();
  const files = new Array<FileOutcome>(paths.length);
  const batches: number[][] = [];
  for (let i = 0; i < paths.length; i += BATCH_FILES) batches.push(Array.from({ length: Math.min(BATCH_FILES, paths.length - i) }, (_, k) => i + k));

  /** What a file comes to before matching, `clean` holding the batch's keys in the store's scan cache; undefined when it needs matching. */
  const decide = (path: string, contentKey: string, clean: ReadonlySet<string>): FileOutcome | undefined => {
    if (knownClean?.has(contentKey) || clean.has(contentKey)) return { path, state: 'unchanged-clean' };
    if (standing.get(path)?.has(contentKey)) return { path, state: 'unchanged-with-findings' };
    const known = memo?.get(contentKey);
    if (known) return { path, state: 'scanned', contentKey, findings: known, reused: true };
    if (budget && !budget.take()) return { path, state: 'deferred' };
    return undefined;
  };

  await mapLimit(batches, opts.concurrency ?? 4, async (batch) => {
    if (signal?.aborted) throw new FactoryError('cancelled', 'the security scan was stopped');
    const cached = batch.map((i) => fileKeys?.get(join(root, paths[i])));
    const asked: ReadFile[] = batch.map((i, j) => ({ path: join(root, paths[i]), ignored: ignored(paths[i]) || undefined, known: cached[j]?.identity }));
    const read = await matcher.read(asked, maxBytes);
    const toMatch: number[] = [];
    const matchKeys: string[] = [];
    try {
      const contentKeys = read.results.map((r, j) => (r.state === 'read' ? r.contentKey : r.state === 'same' ? cached[j]!.contentKey : undefined));
      // One look-up in the store's scan cache for the batch's keys this agent does not know yet.
      const clean = board.scannedAmong(contentKeys.filter((k): k is string => k !== undefined && !knownClean?.has(k)), SECURITY_RULES_VERSION);
      for (const key of clean) knownClean?.add(key);
      for (const [j, r] of read.results.entries()) {
        const i = batch[j];
        const path = paths[i];
        const abs = asked[j].path;
        if (r.state === 'skipped') {
          fileKeys?.delete(abs);
          // What is not read is still part of the change: its size and time stand for its content.
          keys.set(path, `skip:${r.reason}:${r.size}:${r.mtimeMs}`);
          files[i] = { path, state: 'skipped', reason: r.reason };
          continue;
        }
        const contentKey = contentKeys[j]!;
        if (r.state === 'read') {
          if (r.identity !== undefined) fileKeys?.set(abs, { identity: r.identity, contentKey });
          else fileKeys?.delete(abs);
        }
        keys.set(path, contentKey);
        const outcome = decide(path, contentKey, clean);
        if (outcome) {
          files[i] = outcome;
        } else {
          toMatch.push(j);
          matchKeys.push(contentKey);
        }
      }
    } catch (err) {
      read.release();
      throw err;
    }
    const results = await read.match(toMatch);
    for (const [k, j] of toMatch.entries()) {
      const findings = results[k].findings;
      memo?.set(matchKeys[k], findings);
      files[batch[j]] = { path: paths[batch[j]], state: 'scanned', contentKey: matchKeys[k], findings, reused: false };
    }
  });
  return { files, keys };
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
