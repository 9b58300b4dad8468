/**
 * The Worktree agent (SPEC section 3 "Worktree"). Each cycle: prunes registrations whose folder is
 * gone; makes every active ticket's worktree present (recreated from its branch, or a blocker bug
 * when the branch is gone too); removes finished and orphaned worktrees only when clean, unlocked
 * and merged (never with force); measures every worktree (dirty, ahead/behind, size, stale,
 * heavy) and stores the report for every window. Git work happens first, then one durable write.
 *
 * The same class serves the "Clean Up Worktrees" command (planCleanup / executeCleanup), the only
 * path that removes a dirty or unmerged worktree: the user confirmed it, and the changes were saved
 * as a verified patch under `.factory/backups/` first.
 */
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { systemClock, type Clock } from '../domain/clock';
import { FactoryError, errorMessage } from '../domain/errors';
import { isTicketId } from '../domain/ids';
import { fullChangeScanned } from '../domain/securityScan';
import { isActive, type Status } from '../domain/status';
import type { Ticket, Worktree } from '../domain/ticket';
import { savePatchBackup } from '../git/backup';
import { changedCount, cleanupVerdict, type CleanupDecision, type KeptBecause } from '../git/cleanupPolicy';
import { DiskUsageWalk } from '../git/diskUsage';
import { newestChangeTime } from '../git/fileTimes';
import { BranchGoneError, materializeWorktree, type MaterializeAction } from '../git/materialize';
import { checkedTicketNames, resolveWorktreeLocation, validateBranchPrefix } from '../git/naming';
import { isInside, pathKey, samePath } from '../git/paths';
import type { GitPort, WorktreeEntry, WorktreeStatus } from '../git/port';
import type { ConflictRadar } from '../radar/conflictRadar';
import type { Board, BoardReader, BoardTx } from '../store/api';
import { silentLogger, type BackgroundAgent, type CycleContext, type CycleResult, type Logger } from './agent';

export interface WorktreeSettings {
  /** Empty: `<parent of repo>/<repo name>.worktrees`. */
  location: string;
  branchPrefix: string;
  /** Empty: the repository's default branch. */
  baseBranch: string;
  staleDays: number;
  heavyMB: number;
}

export const DEFAULT_WORKTREE_SETTINGS: WorktreeSettings = { location: '', branchPrefix: 'factory/', baseBranch: '', staleDays: 14, heavyMB: 500 };

/** Where the last report lives in the store (JSON of WorktreeReport). */
export const WORKTREE_REPORT_META = 'worktree.report';
export const WORKTREE_AUTHOR = 'Worktree';
/** Fingerprint of the one "Worktree missing" bug a ticket can have open. */
export function worktreeMissingFingerprint(ticketId: string): string {
  return `worktree-missing:${ticketId}`;
}

export type WorktreeAction = 'ok' | MaterializeAction | 'removed' | 'kept' | 'missing';

export interface WorktreeReportEntry {
  path: string;
  ticketId?: string | undefined;
  ticketStatus?: Status | undefined;
  branch?: string | undefined;
  base: string;
  dirty: boolean;
  /** Staged, modified, untracked and conflicted files. */
  changedFiles: number;
  ahead: number;
  behind: number;
  sizeBytes?: number | undefined;
  /** Newest of: last commit, newest uncommitted file change, worktree creation. */
  lastActivityAt?: number | undefined;
  stale: boolean;
  heavy: boolean;
  missing: boolean;
  locked: boolean;
  action: WorktreeAction;
  keptBecause?: KeptBecause | undefined;
  /** "kept: dirty (2 uncommitted or untracked files)", "recreated from factory/T-1-x". */
  note?: string | undefined;
}

export interface WorktreeReport {
  at: number;
  location: string;
  base: string;
  entries: WorktreeReportEntry[];
  blockers: { ticketId: string; reason: string }[];
  errors: string[];
}

export function parseWorktreeReport(raw: string | undefined): WorktreeReport | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as WorktreeReport;
    return typeof value === 'object' && value !== null && Array.isArray(value.entries) ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface CleanupItem {
  path: string;
  branch?: string | undefined;
  ticketId?: string | undefined;
  ticketStatus?: Status | undefined;
  base: string;
  dirty: boolean;
  changedFiles: number;
  merged: boolean;
  /** remove: clean and merged; confirm: removable only when the user confirms it; keep: never. */
  decision: CleanupDecision;
  keptBecause?: KeptBecause | undefined;
  why: string;
}

export interface CleanupPlan {
  at: number;
  base: string;
  location: string;
  items: CleanupItem[];
}

export interface CleanupOptions {
  /**
   * Items of decision "confirm" the user agreed to remove: true for all, or their paths. Their
   * uncommitted changes are saved as a patch first; unmerged commits stay on their branch.
   */
  confirmedDirty?: boolean | readonly string[];
  signal?: AbortSignal;
}

export interface CleanupResult {
  removed: { path: string; backup?: string | undefined }[];
  skipped: { path: string; reason: string }[];
}

export interface WorktreeAgentOptions {
  git: GitPort;
  settings: () => WorktreeSettings;
  logger?: Logger;
  /** For backup file names when no cycle clock is at hand (the cleanup command). */
  clock?: Clock;
  /** Sizes are walked again only after this long (default 10 minutes). */
  sizeTtlMs?: number;
  /**
   * Time a cycle may spend measuring sizes (default 10 s). A bigger worktree is measured across
   * cycles, so a huge node_modules never makes a cycle overrun its timeout.
   */
  sizeBudgetMs?: number;
  /** Records what every live ticket changes, in the same cycle and write. */
  radar?: ConflictRadar;
}

const DAY = 86_400_000;
const MB = 1024 * 1024;

interface Owner {
  ticket?: Ticket | undefined;
  /** Finished ticket or no ticket: a cleanup candidate. */
  finished: boolean;
}

interface TicketOutcome {
  ticket: Ticket;
  worktree: Worktree;
  action: MaterializeAction | 'missing';
  blocker?: string | undefined;
}

interface Inspection {
  status: WorktreeStatus;
  ahead: number;
  behind: number;
  /** The last complete measurement. */
  sizeBytes?: number | undefined;
  /** Bytes counted by a measurement still in progress. */
  sizeSoFar?: number | undefined;
  lastActivityAt?: number | undefined;
}

/** What every worktree of one cycle is judged against. */
interface CycleState {
  board: BoardReader;
  repo: string;
  base: string;
  now: number;
  settings: WorktreeSettings;
  actionByPath: Map<string, MaterializeAction>;
  report: WorktreeReport;
  signal: AbortSignal;
  /** Wall-clock time after which size walks stop for this cycle. */
  sizeDeadline: number;
}

/** What a cycle found before it writes. */
interface Gathered {
  report: WorktreeReport;
  outcomes: TicketOutcome[];
}

export class WorktreeAgent implements BackgroundAgent {
  readonly name = 'Worktree' as const;
  readonly defaultIntervalSeconds = 30;
  /** The last cycle's report, also stored under WORKTREE_REPORT_META for other windows. */
  lastReport: WorktreeReport | undefined;

  private readonly git: GitPort;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly sizeTtlMs: number;
  private readonly sizeBudgetMs: number;
  private readonly sizes = new Map<string, { bytes: number; at: number }>();
  /** Measurements still in progress, resumed next cycle. */
  private readonly walks = new Map<string, DiskUsageWalk>();

  constructor(private readonly options: WorktreeAgentOptions) {
    this.git = options.git;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.sizeTtlMs = options.sizeTtlMs ?? 10 * 60_000;
    this.sizeBudgetMs = options.sizeBudgetMs ?? 10_000;
  }

  async runCycle(ctx: CycleContext): Promise<CycleResult> {
    const settings = this.options.settings();
    ctx.setActivity('Checking worktrees');
    const gathered = await this.gather(ctx, settings);
    const recordRadar = await this.options.radar?.scan(ctx);
    ctx.setActivity('Recording worktree report');
    await ctx.board.write((tx) => {
      this.apply(tx, gathered);
      recordRadar?.(tx);
    });
    this.lastReport = gathered.report;
    return summarize(gathered.report);
  }

  /** What "Clean Up Worktrees" would do, and why; changes nothing. */
  async planCleanup(board: Board, opts: { signal?: AbortSignal } = {}): Promise<CleanupPlan> {
    const signal = opts.signal;
    const settings = this.options.settings();
    await board.refresh();
    const { location, base } = await this.context(board.repoRoot, settings, signal);
    const tickets = board.listTickets();
    const items: CleanupItem[] = [];
    for (const entry of await this.git.listWorktrees(board.repoRoot, { signal })) {
      signal?.throwIfAborted();
      if (entry.main || entry.bare || entry.prunable) continue;
      const owner = ownerOf(entry, tickets, location);
      if (!owner) continue;
      const entryBase = owner.ticket?.worktree?.base ?? base;
      try {
        items.push(await this.judge(board, entry, owner, entryBase, signal));
      } catch (err) {
        if (isCancel(err)) throw err;
        items.push({
          path: entry.path, branch: entry.branch, ticketId: owner.ticket?.id, ticketStatus: owner.ticket?.status, base: entryBase,
          dirty: true, changedFiles: 0, merged: false, decision: 'keep', keptBecause: 'error', why: errorMessage(err),
        });
      }
    }
    return { at: this.clock.now(), base, location, items };
  }

  /**
   * Carries out a plan the user accepted. Every item is checked again first; a dirty one is
   * removed only when confirmed and after its changes were saved to a verified patch.
   */
  async executeCleanup(board: Board, plan: CleanupPlan, opts: CleanupOptions = {}): Promise<CleanupResult> {
    const { signal } = opts;
    const repo = board.repoRoot;
    const result: CleanupResult = { removed: [], skipped: [] };
    const confirmed = (path: string): boolean =>
      opts.confirmedDirty === true || (Array.isArray(opts.confirmedDirty) && opts.confirmedDirty.some((p: string) => samePath(p, path)));
    const tickets = board.listTickets();
    const list = await this.git.listWorktrees(repo, { signal });

    for (const item of plan.items) {
      signal?.throwIfAborted();
      const skip = (reason: string): void => void result.skipped.push({ path: item.path, reason });
      if (item.decision === 'keep') {
        skip(`kept: ${item.why}`);
        continue;
      }
      const entry = list.find((e) => samePath(e.path, item.path));
      const owner = entry && ownerOf(entry, tickets, plan.location);
      if (!entry || !owner || entry.main) {
        skip('no longer a worktree of this repository');
        continue;
      }
      try {
        // The plan may be minutes old: judge again on what is there now.
        const now = await this.judge(board, entry, owner, item.base, signal);
        if (now.decision === 'keep') {
          skip(`kept: ${now.why}`);
          continue;
        }
        if (now.decision === 'confirm' && !confirmed(item.path)) {
          skip(`kept: ${now.why} (not confirmed)`);
          continue;
        }
        let backup: string | undefined;
        if (now.dirty) {
          const name = owner.ticket?.id ?? basename(item.path);
          backup = (await savePatchBackup(this.git, item.path, join(board.dir, 'backups'), name, this.clock.now(), signal)).file;
          this.log.info(`Worktree: saved the changes of ${item.path} to ${backup}`);
        }
        // Force only after a verified backup; a clean worktree never needs it.
        await this.git.removeWorktree(repo, item.path, { force: now.dirty }, { signal });
        this.forgetSize(item.path);
        result.removed.push({ path: item.path, backup });
        this.log.info(`Worktree: removed ${item.path} (${now.why})`);
      } catch (err) {
        if (isCancel(err)) throw err;
        skip(`not removed: ${errorMessage(err)}`);
        this.log.warn(`Worktree: could not remove ${item.path}: ${errorMessage(err)}`);
      }
    }
    return result;
  }

  private async context(repo: string, s: WorktreeSettings, signal: AbortSignal | undefined): Promise<{ location: string; base: string }> {
    validateBranchPrefix(s.branchPrefix);
    const location = resolveWorktreeLocation(repo, s.location);
    const base = s.baseBranch.trim() || (await this.git.defaultBranch(repo, { signal }));
    if (!(await this.git.revisionExists(repo, base, { signal }))) {
      throw new FactoryError('invalid-input', `the base branch ${base} does not exist in ${repo}; check agentFactory.worktrees.baseBranch`);
    }
    return { location, base };
  }

  private async gather(ctx: CycleContext, s: WorktreeSettings): Promise<Gathered> {
    const { board, signal } = ctx;
    const repo = board.repoRoot;
    await board.refresh();
    const now = ctx.clock.now();
    const { location, base } = await this.context(repo, s, signal);
    const report: WorktreeReport = { at: now, location, base, entries: [], blockers: [], errors: [] };

    await this.git.prune(repo, { signal });
    let list = await this.git.listWorktrees(repo, { signal });
    const tickets = board.listTickets();

    // 1. Every active ticket has its worktree.
    const outcomes: TicketOutcome[] = [];
    for (const ticket of tickets.filter((t) => isActive(t.status))) {
      signal.throwIfAborted();
      const outcome = await this.ensurePresent(repo, ticket, s, base, list, signal);
      outcomes.push(outcome);
      if (outcome.action === 'missing') {
        report.blockers.push({ ticketId: ticket.id, reason: outcome.blocker ?? 'worktree missing' });
        ctx.log.warn(`Worktree: ${ticket.id}: ${outcome.blocker ?? 'worktree missing'}`);
      } else if (outcome.action !== 'present') {
        ctx.log.info(`Worktree: ${outcome.action} the worktree of ${ticket.id} at ${outcome.worktree.path}`);
        list = await this.git.listWorktrees(repo, { signal });
      }
    }
    const knownTickets = tickets.map((t) => {
      const o = outcomes.find((x) => x.ticket.id === t.id);
      return o && o.action !== 'missing' ? { ...t, worktree: o.worktree } : t;
    });
    const actionByPath = new Map<string, MaterializeAction>();
    for (const o of outcomes) if (o.action !== 'missing') actionByPath.set(pathKey(o.worktree.path), o.action);

    // 2. Measure every worktree we are responsible for; remove finished ones that are safe to remove.
    const cycle: CycleState = { board, repo, base, now, settings: s, actionByPath, report, signal, sizeDeadline: Date.now() + this.sizeBudgetMs };
    for (const entry of list) {
      signal.throwIfAborted();
      if (entry.main || entry.bare || entry.prunable) continue;
      const owner = ownerOf(entry, knownTickets, location);
      if (!owner) continue;
      ctx.setActivity(`Checking ${basename(entry.path)}`);
      report.entries.push(await this.reportEntry(entry, owner, cycle));
    }
    const measured = new Set(report.entries.map((e) => pathKey(e.path)));
    for (const key of [...this.walks.keys()]) if (!measured.has(key)) this.walks.delete(key);
    for (const o of outcomes.filter((x) => x.action === 'missing')) {
      report.entries.push({
        path: o.worktree.path, ticketId: o.ticket.id, ticketStatus: o.ticket.status, branch: o.worktree.branch, base: o.worktree.base,
        dirty: false, changedFiles: 0, ahead: 0, behind: 0, stale: false, heavy: false, missing: true, locked: false,
        action: 'missing', note: o.blocker,
      });
    }
    return { report, outcomes };
  }

  private async ensurePresent(repo: string, ticket: Ticket, s: WorktreeSettings, base: string, list: WorktreeEntry[], signal: AbortSignal): Promise<TicketOutcome> {
    let want = ticket.worktree;
    try {
      if (!want) {
        const names = await checkedTicketNames((n) => this.git.checkRefFormat(n, { signal }), repo, ticket, s);
        want = { path: names.path, branch: names.branch, base };
      }
      // A ticket that never had a worktree has no work to lose: create one. One that had a worktree
      // is only ever recreated from its own branch.
      const r = await materializeWorktree(this.git, repo, want, { allowNewBranch: !ticket.worktree, signal, list });
      return { ticket, worktree: r.worktree, action: r.action };
    } catch (err) {
      if (isCancel(err)) throw err;
      const fallback = want ?? { path: '', branch: '', base };
      const reason =
        err instanceof BranchGoneError
          ? `Worktree missing: ${fallback.path} is gone and so is its branch ${fallback.branch}`
          : `Worktree missing: ${errorMessage(err)}`;
      return { ticket, worktree: fallback, action: 'missing', blocker: reason };
    }
  }

  private async reportEntry(entry: WorktreeEntry, owner: Owner, cycle: CycleState): Promise<WorktreeReportEntry> {
    const { repo, base, now, settings: s, actionByPath, report, signal } = cycle;
    const ticket = owner.ticket;
    const entryBase = ticket?.worktree?.base ?? base;
    const out: WorktreeReportEntry = {
      path: entry.path, ticketId: ticket?.id, ticketStatus: ticket?.status, branch: entry.branch, base: entryBase,
      dirty: false, changedFiles: 0, ahead: 0, behind: 0, stale: false, heavy: false, missing: false, locked: entry.locked,
      action: actionByPath.get(pathKey(entry.path)) ?? 'ok',
    };
    if (out.action === 'present') out.action = 'ok';
    try {
      const ins = await this.inspect(entry, entryBase, cycle);
      Object.assign(out, {
        dirty: ins.status.dirty, changedFiles: changedCount(ins.status), ahead: ins.ahead, behind: ins.behind,
        sizeBytes: ins.sizeBytes, lastActivityAt: ins.lastActivityAt,
        stale: ins.lastActivityAt !== undefined && now - ins.lastActivityAt > s.staleDays * DAY,
        // A walk still in progress that already passed the threshold is heavy for sure.
        heavy: Math.max(ins.sizeBytes ?? 0, ins.sizeSoFar ?? 0) > s.heavyMB * MB,
      });
      if (!owner.finished) return out;

      const merged = await this.git.isMerged(repo, entry.branch ?? entry.head ?? 'HEAD', entryBase, { signal });
      const submodules = await this.git.initializedSubmodules(entry.path, { signal });
      const verdict = cleanupVerdict({
        finished: true, locked: entry.locked, lockedReason: entry.lockedReason, status: ins.status, merged, submodules, branch: entry.branch, base: entryBase,
      });
      if (verdict.decision !== 'remove') {
        out.action = 'kept';
        out.keptBecause = verdict.keptBecause;
        out.note = `kept: ${verdict.keptBecause ?? 'unknown'} (${verdict.why})`;
        return out;
      }
      const waiting = awaitingSecurityScan(cycle.board, ticket, entry);
      if (waiting !== undefined) {
        out.action = 'kept';
        out.keptBecause = 'security-scan';
        out.note = `kept: ${waiting}`;
        return out;
      }
      // Never --force: should a file appear since the status above, git itself refuses.
      await this.git.removeWorktree(repo, entry.path, { force: false }, { signal });
      this.forgetSize(entry.path);
      out.action = 'removed';
      out.note = `removed: ${verdict.why}`;
      this.log.info(`Worktree: removed ${entry.path} (${verdict.why})`);
    } catch (err) {
      if (isCancel(err)) throw err;
      const message = `${entry.path}: ${errorMessage(err)}`;
      report.errors.push(message);
      out.note = `error: ${errorMessage(err)}`;
      if (owner.finished) {
        out.action = 'kept';
        out.keptBecause = 'error';
      }
    }
    return out;
  }

  private async inspect(entry: WorktreeEntry, base: string, cycle: CycleState): Promise<Inspection> {
    const { signal } = cycle;
    const path = entry.path;
    const status = await this.git.status(path, { signal });
    let ahead = 0;
    let behind = 0;
    try {
      ({ ahead, behind } = await this.git.aheadBehind(path, base, { signal }));
    } catch (err) {
      if (isCancel(err)) throw err;
      // A base that was deleted or renamed: the rest of the report still stands.
      this.log.warn(`Worktree: cannot compare ${path} with ${base}: ${errorMessage(err)}`);
    }
    const times = [await this.git.lastCommitTime(path, 'HEAD', { signal })];
    if (status.dirty) times.push(await newestChangeTime(path, [...status.staged, ...status.modified, ...status.untracked], signal));
    times.push(createdAt(path));
    const known = times.filter((t): t is number => t !== undefined);
    const lastActivityAt = known.length > 0 ? Math.max(...known) : undefined;
    return { status, ahead, behind, lastActivityAt, ...(await this.size(path, cycle)) };
  }

  /** The cached size when fresh; otherwise the walk advances within the cycle's size budget. */
  private async size(path: string, cycle: CycleState): Promise<{ sizeBytes?: number | undefined; sizeSoFar?: number | undefined }> {
    const key = pathKey(path);
    const cached = this.sizes.get(key);
    if (cached && cycle.now - cached.at < this.sizeTtlMs) return { sizeBytes: cached.bytes };
    let walk = this.walks.get(key);
    if (!walk) {
      walk = new DiskUsageWalk(path);
      this.walks.set(key, walk);
    }
    if (await walk.advance(cycle.sizeDeadline, cycle.signal)) {
      this.walks.delete(key);
      this.sizes.set(key, { bytes: walk.bytes, at: cycle.now });
      return { sizeBytes: walk.bytes };
    }
    return { sizeBytes: cached?.bytes, sizeSoFar: walk.bytes };
  }

  private forgetSize(path: string): void {
    this.sizes.delete(pathKey(path));
    this.walks.delete(pathKey(path));
  }

  private async judge(board: Board, entry: WorktreeEntry, owner: Owner, base: string, signal: AbortSignal | undefined): Promise<CleanupItem> {
    const repo = board.repoRoot;
    const ticket = owner.ticket;
    const status = await this.git.status(entry.path, { signal });
    const merged = owner.finished ? await this.git.isMerged(repo, entry.branch ?? entry.head ?? 'HEAD', base, { signal }) : false;
    const submodules = owner.finished ? await this.git.initializedSubmodules(entry.path, { signal }) : [];
    let verdict = cleanupVerdict({
      finished: owner.finished,
      inUse: ticket ? `${ticket.id} is ${ticket.status}` : undefined,
      locked: entry.locked,
      lockedReason: entry.lockedReason,
      status,
      merged,
      submodules,
      branch: entry.branch,
      base,
    });
    const waiting = verdict.decision === 'remove' ? awaitingSecurityScan(board, ticket, entry) : undefined;
    if (waiting !== undefined) verdict = { decision: 'keep', keptBecause: 'security-scan', why: waiting };
    return {
      path: entry.path, branch: entry.branch, ticketId: ticket?.id, ticketStatus: ticket?.status, base,
      dirty: status.dirty, changedFiles: changedCount(status), merged,
      decision: verdict.decision, keptBecause: verdict.keptBecause, why: verdict.why,
    };
  }

  private apply(tx: BoardTx, g: Gathered): void {
    for (const o of g.outcomes) {
      const current = tx.getTicket(o.ticket.id);
      if (!current) continue;
      if (o.action !== 'missing' && !sameWorktree(current.worktree, o.worktree)) {
        // Only fill in or follow a move; a worktree someone recorded meanwhile wins.
        if (!current.worktree || o.action === 'adopted') tx.updateTicket(current.id, { worktree: o.worktree });
      }
      recordBlocker(tx, current.id, o.blocker);
    }
    tx.setMeta(WORKTREE_REPORT_META, JSON.stringify(g.report));
  }
}

/**
 * "Start Ticket": the ticket's worktree, created or reused, recorded on the ticket. A ticket that
 * never had one gets `<location>/<id>-<slug>` on a new branch from the base.
 */
export async function ensureTicketWorktree(
  board: Board,
  git: GitPort,
  ticket: Ticket,
  settings: WorktreeSettings,
  opts: { signal?: AbortSignal } = {},
): Promise<Worktree> {
  const { signal } = opts;
  const repo = board.repoRoot;
  let want = ticket.worktree;
  if (!want) {
    validateBranchPrefix(settings.branchPrefix);
    const base = settings.baseBranch.trim() || (await git.defaultBranch(repo, { signal }));
    if (!(await git.revisionExists(repo, base, { signal }))) {
      throw new FactoryError('invalid-input', `the base branch ${base} does not exist; check agentFactory.worktrees.baseBranch`);
    }
    const names = await checkedTicketNames((n) => git.checkRefFormat(n, { signal }), repo, ticket, settings);
    want = { path: names.path, branch: names.branch, base };
  }
  // The user asked to start: a branch that is gone is started again from base (the agent has
  // already raised the loss as a blocker).
  const { worktree } = await materializeWorktree(git, repo, want, { allowNewBranch: true, signal });
  const openBlocker = board.listBugs(ticket.id).some((b) => b.fingerprint === worktreeMissingFingerprint(ticket.id) && !b.fixed);
  if (!sameWorktree(ticket.worktree, worktree) || openBlocker) {
    await board.write((tx) => {
      if (!sameWorktree(tx.getTicket(ticket.id)?.worktree, worktree)) tx.updateTicket(ticket.id, { worktree });
      recordBlocker(tx, ticket.id, undefined);
    });
  }
  return worktree;
}

/** Opens, reopens or fixes the ticket's one "Worktree missing" bug: open high bugs are PM blockers. */
function recordBlocker(tx: BoardTx, ticketId: string, blocker: string | undefined): void {
  const fingerprint = worktreeMissingFingerprint(ticketId);
  const bugs = tx.listBugs(ticketId).filter((b) => b.fingerprint === fingerprint);
  if (blocker === undefined) {
    for (const b of bugs) if (!b.fixed) tx.setBugFixed(b.id, true);
    return;
  }
  if (bugs.some((b) => !b.fixed)) return;
  const previous = bugs[0];
  if (previous) {
    tx.setBugFixed(previous.id, false);
    return;
  }
  tx.addBug({
    ticketId,
    title: 'Worktree missing',
    description:
      `${blocker}.\n\nThe Worktree agent could not give this ticket a worktree. Restore the branch (for example from ` +
      'the reflog or a remote), or start the ticket again to begin from the base branch. This bug is marked fixed ' +
      'as soon as the worktree is back.',
    severity: 'high',
    foundBy: WORKTREE_AUTHOR,
    fingerprint,
  });
}

/**
 * Who a worktree belongs to: the ticket that recorded it, a ticket whose id names the folder and
 * that has not recorded one yet (it is being started right now), or nobody when it lies inside
 * the location. Worktrees outside the location that no ticket knows are the user's own: undefined.
 */
function ownerOf(entry: WorktreeEntry, tickets: readonly Ticket[], location: string): Owner | undefined {
  const recorded = tickets.find((t) => t.worktree && samePath(t.worktree.path, entry.path));
  if (recorded) return { ticket: recorded, finished: recorded.status === 'DONE' };
  if (!isInside(location, entry.path)) return undefined;
  const id = /^(T-[1-9][0-9]*)-/.exec(basename(entry.path))?.[1];
  const named = id && isTicketId(id) ? tickets.find((t) => t.id === id && !t.worktree) : undefined;
  if (named) return { ticket: named, finished: named.status === 'DONE' };
  return { finished: true };
}

function sameWorktree(a: Worktree | undefined, b: Worktree | undefined): boolean {
  if (!a || !b) return a === b;
  return a.branch === b.branch && a.base === b.base && samePath(a.path, b.path);
}

/**
 * Why a finished ticket's worktree must wait for the Security agent, or undefined when its full
 * change was scanned as it stands (clean, at the worktree's HEAD). Orphans have no ticket to scan.
 */
function awaitingSecurityScan(board: BoardReader, ticket: Ticket | undefined, entry: WorktreeEntry): string | undefined {
  if (ticket?.status !== 'DONE' || fullChangeScanned(board.getSecurityScan(ticket.id), entry.head)) return undefined;
  return `waiting for the Security agent's scan of ${ticket.id}'s full change`;
}

/** When `git worktree add` wrote the worktree's `.git` file. */
function createdAt(path: string): number | undefined {
  try {
    return Math.floor(statSync(join(path, '.git')).mtimeMs);
  } catch {
    return undefined;
  }
}

function isCancel(err: unknown): boolean {
  return (err instanceof FactoryError && err.reason === 'cancelled') || (err instanceof Error && err.name === 'AbortError');
}

function summarize(r: WorktreeReport): CycleResult {
  const count = (a: WorktreeAction): number => r.entries.filter((e) => e.action === a).length;
  const present = r.entries.filter((e) => !e.missing && e.action !== 'removed').length;
  const parts = [`${present} worktree${present === 1 ? '' : 's'}`];
  const created = count('created') + count('recreated') + count('adopted');
  if (created > 0) parts.push(`${created} created`);
  if (count('removed') > 0) parts.push(`${count('removed')} removed`);
  const kept = r.entries.filter((e) => e.action === 'kept');
  if (kept.length > 0) {
    const why = ['dirty', 'unmerged', 'locked', 'submodules', 'security-scan', 'error'].map((k) => [k, kept.filter((e) => e.keptBecause === k).length] as const).filter(([, n]) => n > 0);
    parts.push(`${kept.length} kept (${why.map(([k, n]) => `${n} ${k}`).join(', ')})`);
  }
  const flagged = r.entries.filter((e) => e.stale || e.heavy).length;
  if (flagged > 0) parts.push(`${flagged} stale or heavy`);
  if (r.blockers.length > 0) parts.push(`${r.blockers.length} missing: ${r.blockers.map((b) => b.ticketId).join(', ')}`);
  if (r.errors.length > 0) parts.push(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`);
  return { summary: parts.join(', '), attention: r.blockers.length > 0 || r.errors.length > 0 };
}
