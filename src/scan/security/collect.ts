/**
 * The I/O half of a scan: lists what a ticket changed in its worktree, reads each file once, and
 * decides per file whether it needs scanning, is known (by content) from an earlier scan, or is
 * skipped. Nothing here writes to the board; reconcile.ts turns the outcome into one write.
 */
import { lstat as lstatCallback, readFile as readFileCallback } from 'node:fs';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { basename, join } from 'node:path';
import { looksBinary } from '../common/binary';
import { sha256Hex } from '../common/contentHash';
import { mapLimit } from '../common/pool';
import type { BoardReader } from '../../store/api';
import { FactoryError } from '../../domain/errors';
import { scanText, SECURITY_RULES_VERSION, type RawFinding } from './scanText';
import { ignoreMatcher, type SecuritySettings } from './settings';
import { SECURITY_SCANNER, type SecurityFindingData } from './model';

// The callback forms: for thousands of small files they cost about a third less than
// fs/promises, whose FileHandle makes four trips through JavaScript per file.
const lstat = promisify(lstatCallback);
const readFile = promisify(readFileCallback);

/** The part of the git port a scan needs (GitPort satisfies it). */
export interface ChangeLister {
  changedFiles(path: string, base: string, opts?: { signal?: AbortSignal }): Promise<readonly { path: string; kind: string }[]>;
}

export type SkipReason = 'ignored' | 'too-large' | 'binary' | 'not-a-file';

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
  const changed = await lister.changedFiles(ticket.worktree.path, ticket.worktree.base, { signal });
  const paths = changed.filter((f) => f.kind !== 'deleted').map((f) => f.path);
  return collectFiles(board, ticket.id, ticket.worktree.path, paths, opts);
}

/** The scanning core over an explicit list of worktree-relative paths. */
export async function collectFiles(board: BoardReader, ticketId: string, root: string, paths: readonly string[], opts: CollectOptions): Promise<TicketScan> {
  const { signal, settings, memo, knownClean, budget } = opts;
  const ignored = ignoreMatcher(settings.ignore);
  const maxBytes = settings.maxFileSizeKB * 1024;
  const standing = knownContent(board, ticketId);
  const files = await mapLimit(paths, opts.concurrency ?? 8, async (path): Promise<FileOutcome> => {
    if (signal?.aborted) throw new FactoryError('cancelled', 'the security scan was stopped');
    if (ignored(path)) return { path, state: 'skipped', reason: 'ignored' };
    const abs = join(root, path);
    const stat = await lstat(abs).catch(() => undefined);
    // A symlink may point outside the worktree and a folder is a submodule: neither is this ticket's text.
    if (!stat?.isFile()) return { path, state: 'skipped', reason: 'not-a-file' };
    if (stat.size > maxBytes) return { path, state: 'skipped', reason: 'too-large' };
    const data = await readFile(abs).catch(() => undefined);
    if (!data) return { path, state: 'skipped', reason: 'not-a-file' };
    if (data.length > maxBytes) return { path, state: 'skipped', reason: 'too-large' };
    if (looksBinary(data)) return { path, state: 'skipped', reason: 'binary' };
    const contentKey = contentKeyOf(path, data);
    if (knownClean?.has(contentKey)) return { path, state: 'unchanged-clean' };
    if (board.wasScanned(contentKey, SECURITY_RULES_VERSION)) {
      knownClean?.add(contentKey);
      return { path, state: 'unchanged-clean' };
    }
    if (standing.get(path)?.has(contentKey)) return { path, state: 'unchanged-with-findings' };
    const known = memo?.get(contentKey);
    if (known) return { path, state: 'scanned', contentKey, findings: known, reused: true };
    if (budget && !budget.take()) return { path, state: 'deferred' };
    const findings = await scanText(path, data.toString('utf8'));
    memo?.set(contentKey, findings);
    return { path, state: 'scanned', contentKey, findings, reused: false };
  });
  return { ticketId, files };
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
