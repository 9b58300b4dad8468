/**
 * The Worktree agent (SPEC section 3 "Worktree"). Each cycle:
 * 1. finishes or undoes removals a crash interrupted;
 * 2. deals with registrations whose folder is gone: a copy moved by hand is found and linked
 *    again (the ticket follows it); otherwise what only the admin folder held is salvaged and the
 *    registration dropped (never a blind `git worktree prune`);
 * 3. recreates the missing worktree of an active ticket that had one, within a per-cycle limit
 *    and board-wide caps on live worktrees and disk use. It never creates worktrees for tickets
 *    that have none: a worktree is made when a run starts;
 * 4. removes finished and orphaned worktrees that need no salvage, still saving and verifying
 *    everything first and removing all or nothing;
 * 5. measures every worktree (dirty, ahead/behind, size, stale, heavy) and stores the report for
 *    every window. Git work happens first, then one durable write.
 *
 * The same class serves "Clean Up Worktrees" (planCleanup / executeCleanup), the only path that
 * removes a worktree with work in it: the user confirmed it, and all of it was salvaged first.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { systemClock, type Clock } from '../domain/clock';
import { FactoryError, errorMessage } from '../domain/errors';
import { isTicketId } from '../domain/ids';
import { fullChangeScanned } from '../domain/securityScan';
import type { Salvage } from '../domain/salvage';
import { isActive, type Status } from '../domain/status';
import type { Ticket, Worktree } from '../domain/ticket';
import { changedCount, cleanupVerdict, type CleanupDecision, type KeptBecause } from '../git/cleanupPolicy';
import { DiskUsageWalk } from '../git/diskUsage';
import { newestChangeTime } from '../git/fileTimes';
import { folderInUse } from '../git/folderInUse';
import { BranchGoneError, isWorktreePresent, materializeWorktree, type MaterializeAction } from '../git/materialize';
import { checkedTicketNames, resolveWorktreeLocation, validateBranchPrefix } from '../git/naming';
import { isInside, pathKey, samePath } from '../git/paths';
import type { GitPort, WorktreeEntry, WorktreeStatus } from '../git/port';
import type { ConflictRadar } from '../radar/conflictRadar';
import { takeInventory, type WorktreeInventory } from '../git/salvage/inventory';
import { followMovedCopy } from '../git/salvage/movedCopies';
import { recoverInterruptedRemovals } from '../git/salvage/safeRemoval';
import { stashesMadeIn } from '../git/salvage/stashes';
import type { Board, BoardReader, BoardTx } from '../store/api';
import { runIfReadOnly } from '../store/readOnlyRun';
import { silentLogger, type BackgroundAgent, type CycleContext, type CycleResult, type Logger } from './agent';
import { CreationBudget } from './creationBudget';
import { sameReport, WORKTREE_REPORT_META, summarizeReport, type WorktreeAction, type WorktreeReport, type WorktreeReportEntry } from './worktreeReport';
import { describeSalvage, NeedsConfirmationError, removeWithSalvage, retireMissingWorktree } from './worktreeSalvages';

export { parseWorktreeReport, WORKTREE_REPORT_META, type WorktreeReport, type WorktreeReportEntry } from './worktreeReport';

export interface WorktreeSettings {
  /** Empty: `<parent of repo>/<repo name>.worktrees`. */
  location: string;
  branchPrefix: string;
  /** Empty: the repository's default branch. */
  baseBranch: string;
  staleDays: number;
  heavyMB: number;
  /** Ignored folders that need no salvage (`node_modules`, build caches): left out and named. */
  regenerableFolders: string[];
  /** Cap on the ignored content a salvage archives. */
  salvageIgnoredMaxMB: number;
  /** Missing worktrees recreated per cycle at most. */
  maxCreationsPerCycle: number;
  /** Live ticket worktrees on the board at most; beyond, the agent reports instead of recreating. */
  maxLive: number;
  /** Disk use of all ticket worktrees at most; beyond, the agent reports instead of recreating. */
  maxDiskMB: number;
}

export const DEFAULT_WORKTREE_SETTINGS: WorktreeSettings = {
  location: '',
  branchPrefix: 'factory/',
  baseBranch: '',
  staleDays: 14,
  heavyMB: 500,
  regenerableFolders: ['node_modules', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.gradle', '.parcel-cache', '.turbo', '.next/cache'],
  salvageIgnoredMaxMB: 200,
  maxCreationsPerCycle: 3,
  maxLive: 30,
  maxDiskMB: 20480,
};

export const WORKTREE_AUTHOR = 'Worktree';
/** Fingerprint of the one "Worktree missing" bug a ticket can have open. */
export function worktreeMissingFingerprint(ticketId: string): string {
  return `worktree-missing:${ticketId}`;
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
  /** remove: needs no salvage; confirm: removable only when the user confirms it; keep: never. */
  decision: CleanupDecision;
  keptBecause?: KeptBecause | undefined;
  why: string;
  /** Regenerable folders a removal leaves out (`node_modules`): named before anyone confirms. */
  regenerable?: string[] | undefined;
}

export interface CleanupPlan {
  at: number;
  base: string;
  location: string;
  items: CleanupItem[];
}

export interface CleanupOptions {
  /**
   * Items of decision "confirm" the user agreed to remove: true for all, or their paths. All their
   * work is salvaged first; their branches stay.
   */
  confirmedDirty?: boolean | readonly string[];
  signal?: AbortSignal;
}

export interface CleanupResult {
  /** What was removed, where its salvage is and what was left out (`report`). */
  removed: { path: string; salvage: Salvage; report: string }[];
  skipped: { path: string; reason: string }[];
}

export interface WorktreeAgentOptions {
  git: GitPort;
  settings: () => WorktreeSettings;
  logger?: Logger;
  /** Report times when no cycle clock is at hand (the cleanup command). */
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
const RETRY_FAILED_REMOVAL_MS = 3_600_000;

interface Owner {
  ticket?: Ticket | undefined;
  /** Finished ticket or no ticket: a cleanup candidate. */
  finished: boolean;
}

interface TicketOutcome {
  ticket: Ticket;
  worktree: Worktree;
  action: MaterializeAction | 'missing' | 'deferred';
  blocker?: string | undefined;
  note?: string | undefined;
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
  board: Board;
  base: string;
  now: number;
  settings: WorktreeSettings;
  outcomeByPath: Map<string, TicketOutcome>;
  report: WorktreeReport;
  signal: AbortSignal;
  /** Wall-clock time after which size walks stop for this cycle. */
  sizeDeadline: number;
}

/** What a cycle found before it writes. */
interface Gathered {
  report: WorktreeReport;
  outcomes: TicketOutcome[];
  /** Tickets whose worktree was found moved by hand: they follow it. */
  moves: { ticketId: string; worktree: Worktree }[];
}

/** A verdict, and what was looked at to reach it (reused by the removal that may follow). */
interface Judged {
  item: CleanupItem;
  inventory?: WorktreeInventory | undefined;
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
  /** Removals run one at a time, whether from a cycle or the cleanup command. */
  private removals: Promise<unknown> = Promise.resolve();
  /** Automatic removals that failed or needed a person, by path: not tried again for a while. */
  private readonly failedRemovals = new Map<string, { at: number; why: string; keptBecause: KeptBecause }>();

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
    const record = (tx: BoardTx): void => {
      this.apply(tx, gathered);
      recordRadar?.(tx);
    };
    if (!runIfReadOnly(ctx.board, record)) await ctx.board.write(record);
    this.lastReport = gathered.report;
    return summarizeReport(gathered.report);
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
        items.push((await this.judge(board, entry, owner, entryBase, settings, signal, { thorough: true })).item);
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
   * Carries out a plan the user accepted. Every item is judged again first; one with work in it
   * is removed only when confirmed, and every removal salvages everything first.
   */
  async executeCleanup(board: Board, plan: CleanupPlan, opts: CleanupOptions = {}): Promise<CleanupResult> {
    const { signal } = opts;
    const repo = board.repoRoot;
    const settings = this.options.settings();
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
        const now = await this.judge(board, entry, owner, item.base, settings, signal, { thorough: true });
        if (now.item.decision === 'keep') {
          skip(`kept: ${now.item.why}`);
          continue;
        }
        if (now.item.decision === 'confirm' && !confirmed(item.path)) {
          skip(`kept: ${now.item.why} (not confirmed)`);
          continue;
        }
        const reason = now.item.decision === 'confirm' ? `removed on confirmation (${now.item.why})` : `removed by Clean Up Worktrees: ${now.item.why}`;
        const salvage = await this.removeSalvaged(board, item.path, owner.ticket?.id, reason, settings, now.inventory, signal);
        result.removed.push({ path: item.path, salvage, report: describeSalvage(salvage) });
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
    const report: WorktreeReport = { at: now, location, base, entries: [], blockers: [], errors: [], notes: [] };
    // Only tickets with a worktree own one by record; one named by a folder's name is looked up.
    // On a board of thousands of tickets, decoding them all each cycle would hold the thread.
    const tickets = board.listTickets({ hasWorktree: true });
    const named = (id: string): Ticket | undefined => board.getTicket(id);
    const note = (text: string): void => {
      report.notes!.push(text);
      ctx.log.info(`Worktree: ${text}`);
    };

    // 1. Removals a crash interrupted: finished when their salvage was recorded, else undone.
    const parents = [location, ...tickets.flatMap((t) => (t.worktree ? [dirname(t.worktree.path)] : []))];
    for (const r of await recoverInterruptedRemovals(repo, parents, (id) => board.getSalvage(id) !== undefined)) {
      note(r.outcome === 'finished' ? `finished removing ${r.path} (salvage ${r.salvageId})` : r.outcome === 'restored' ? `put ${r.path} back: its removal had been interrupted` : `an interrupted removal of ${r.path} needs a look: ${r.note ?? ''}`);
    }

    // 2. Registrations whose folder is gone.
    let list = await this.git.listWorktrees(repo, { signal });
    const moves: Gathered['moves'] = [];
    const movedTo = new Map<string, string>();
    for (const entry of list.filter((e) => e.prunable && !e.main && !e.locked)) {
      signal.throwIfAborted();
      const owner = ownerOf(entry, tickets, location, named);
      if (!owner) continue;
      const copy = await followMovedCopy(repo, entry.path, [location, dirname(entry.path), dirname(repo)], signal);
      if (copy) {
        movedTo.set(pathKey(entry.path), copy);
        const ticket = owner.ticket;
        if (ticket?.worktree) moves.push({ ticketId: ticket.id, worktree: { ...ticket.worktree, path: copy } });
        note(`${entry.path} was moved by hand to ${copy}; its link to the repository was repaired${ticket ? ` and ${ticket.id} now works there` : ''}`);
      } else if (!awaitsRecreation(owner.ticket, entry.path)) {
        // An active ticket's missing worktree is recreated below (within the budget); any other
        // registration goes, after what only it still held is saved.
        const salvage = await retireMissingWorktree(board, entry.path, {
          ticketId: owner.ticket?.id, reason: 'its folder was gone; only its git state was left', settings: s, signal,
        });
        note(`dropped the registration of ${entry.path}, whose folder is gone${salvage ? `; its git state was ${describeSalvage(salvage)}` : ''}`);
      }
    }
    if (report.notes!.length > 0) list = await this.git.listWorktrees(repo, { signal });

    // 3. Active tickets whose recorded worktree is missing: recreated, within the budget.
    const ours = list.filter((e) => !e.main && !e.bare && !e.prunable && ownerOf(e, tickets, location, named));
    const disk = ours.reduce((n, e) => n + (this.sizes.get(pathKey(e.path))?.bytes ?? 0), 0);
    const budget = new CreationBudget(s, ours.length, disk);
    const outcomes: TicketOutcome[] = [];
    for (const ticket of tickets.filter((t) => isActive(t.status) && t.worktree)) {
      signal.throwIfAborted();
      const outcome = await this.ensurePresent(board, ticket, s, list, movedTo, budget, signal);
      outcomes.push(outcome);
      if (outcome.action === 'missing') {
        report.blockers.push({ ticketId: ticket.id, reason: outcome.blocker ?? 'worktree missing' });
        ctx.log.warn(`Worktree: ${ticket.id}: ${outcome.blocker ?? 'worktree missing'}`);
      } else if (outcome.action === 'deferred') {
        ctx.log.info(`Worktree: ${ticket.id}: ${outcome.note ?? 'not recreated yet'}`);
      } else if (outcome.action !== 'present') {
        ctx.log.info(`Worktree: ${outcome.action} the worktree of ${ticket.id} at ${outcome.worktree.path}`);
        list = await this.git.listWorktrees(repo, { signal });
      }
    }
    report.capped = budget.capped;
    const knownTickets = tickets.map((t) => {
      const o = outcomes.find((x) => x.ticket.id === t.id);
      const moved = moves.find((m) => m.ticketId === t.id);
      return o && o.action !== 'missing' && o.action !== 'deferred' ? { ...t, worktree: o.worktree } : moved ? { ...t, worktree: moved.worktree } : t;
    });
    const outcomeByPath = new Map<string, TicketOutcome>();
    for (const o of outcomes) if (o.action !== 'missing' && o.action !== 'deferred') outcomeByPath.set(pathKey(o.worktree.path), o);

    // 4. Measure every worktree we are responsible for; remove finished ones that need no salvage.
    const cycle: CycleState = { board, base, now, settings: s, outcomeByPath, report, signal, sizeDeadline: Date.now() + this.sizeBudgetMs };
    for (const entry of list) {
      signal.throwIfAborted();
      if (entry.main || entry.bare || entry.prunable) continue;
      const owner = ownerOf(entry, knownTickets, location, named);
      if (!owner) continue;
      ctx.setActivity(`Checking ${basename(entry.path)}`);
      report.entries.push(await this.reportEntry(entry, owner, cycle));
    }
    const measured = new Set(report.entries.map((e) => pathKey(e.path)));
    for (const key of [...this.walks.keys()]) if (!measured.has(key)) this.walks.delete(key);
    for (const o of outcomes.filter((x) => x.action === 'missing' || x.action === 'deferred')) {
      report.entries.push({
        path: o.worktree.path, ticketId: o.ticket.id, ticketStatus: o.ticket.status, branch: o.worktree.branch, base: o.worktree.base,
        dirty: false, changedFiles: 0, ahead: 0, behind: 0, stale: false, heavy: false, missing: true, locked: false,
        action: o.action, note: o.action === 'missing' ? o.blocker : o.note,
      });
    }
    return { report, outcomes, moves };
  }

  /** An active ticket's recorded worktree, recreated when it went missing and the budget allows. */
  private async ensurePresent(
    board: Board,
    ticket: Ticket,
    s: WorktreeSettings,
    list: WorktreeEntry[],
    movedTo: ReadonlyMap<string, string>,
    budget: CreationBudget,
    signal: AbortSignal,
  ): Promise<TicketOutcome> {
    const want = ticket.worktree!;
    const moved = movedTo.get(pathKey(want.path));
    if (moved) return { ticket, worktree: { ...want, path: moved }, action: 'adopted', note: `moved by hand to ${moved}; the ticket follows it` };
    if (isWorktreePresent(list, want.path)) return { ticket, worktree: want, action: 'present' };
    const refusal = budget.refusal();
    if (refusal) return { ticket, worktree: want, action: 'deferred', note: refusal };
    budget.spend();
    const notes: string[] = [];
    try {
      // A ticket that had a worktree is only ever recreated from its own branch.
      const r = await materializeWorktree(this.git, board.repoRoot, want, {
        allowNewBranch: false,
        signal,
        list,
        retire: async (entry) => {
          const salvage = await retireMissingWorktree(board, entry.path, {
            ticketId: ticket.id, reason: 'its folder was gone when the worktree was recreated', settings: s, signal,
          });
          notes.push(
            'its folder was gone (deleted, or moved where it could not be found): recreated under a new admin folder, so a moved copy never shares it' +
              (salvage ? `; what only the old registration held was ${describeSalvage(salvage)}` : ''),
          );
        },
      });
      return { ticket, worktree: r.worktree, action: r.action, note: notes.join('; ') || undefined };
    } catch (err) {
      if (isCancel(err)) throw err;
      const reason =
        err instanceof BranchGoneError
          ? `Worktree missing: ${want.path} is gone and so is its branch ${want.branch}`
          : `Worktree missing: ${errorMessage(err)}`;
      return { ticket, worktree: want, action: 'missing', blocker: reason };
    }
  }

  private async reportEntry(entry: WorktreeEntry, owner: Owner, cycle: CycleState): Promise<WorktreeReportEntry> {
    const { board, base, now, settings: s, outcomeByPath, report, signal } = cycle;
    const ticket = owner.ticket;
    const entryBase = ticket?.worktree?.base ?? base;
    const outcome = outcomeByPath.get(pathKey(entry.path));
    const out: WorktreeReportEntry = {
      path: entry.path, ticketId: ticket?.id, ticketStatus: ticket?.status, branch: entry.branch, base: entryBase,
      dirty: false, changedFiles: 0, ahead: 0, behind: 0, stale: false, heavy: false, missing: false, locked: entry.locked,
      action: toAction(outcome?.action),
    };
    if (outcome?.note) out.note = outcome.note;
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

      const { item, inventory } = await this.judge(board, entry, owner, entryBase, s, signal, { thorough: false, status: ins.status });
      if (item.decision !== 'remove') {
        out.action = 'kept';
        out.keptBecause = item.keptBecause;
        out.note = `kept: ${item.keptBecause ?? 'unknown'} (${item.why})`;
        return out;
      }
      const waiting = awaitingSecurityScan(cycle.board, ticket, entry);
      if (waiting !== undefined) {
        out.action = 'kept';
        out.keptBecause = 'security-scan';
        out.note = `kept: ${waiting}`;
        return out;
      }
      const key = pathKey(entry.path);
      const earlier = this.failedRemovals.get(key);
      if (earlier && now - earlier.at < RETRY_FAILED_REMOVAL_MS) {
        out.action = 'kept';
        out.keptBecause = earlier.keptBecause;
        out.note =
          earlier.keptBecause === 'filtered'
            ? `kept: filtered (${earlier.why})`
            : `kept: error (removing it failed ${Math.round((now - earlier.at) / 60_000)} min ago: ${earlier.why}; retried after an hour, or now by Clean Up Worktrees)`;
        return out;
      }
      signal.throwIfAborted();
      let salvage: Salvage;
      try {
        salvage = await this.removeSalvaged(board, entry.path, ticket?.id, `removed by the Worktree agent: ${item.why}`, s, inventory, signal, true);
      } catch (err) {
        if (isCancel(err)) throw err;
        // Each attempt makes (and discards) a salvage: the same answer is not worked out every cycle.
        const filtered = err instanceof NeedsConfirmationError;
        this.failedRemovals.set(key, { at: now, why: filtered ? err.why : errorMessage(err), keptBecause: filtered ? 'filtered' : 'error' });
        if (!filtered) throw err;
        out.action = 'kept';
        out.keptBecause = 'filtered';
        out.note = `kept: filtered (${err.why})`;
        return out;
      }
      this.failedRemovals.delete(key);
      out.action = 'removed';
      out.salvageId = salvage.id;
      out.note = `removed: ${item.why}; ${describeSalvage(salvage)}`;
      this.log.info(`Worktree: removed ${entry.path} (${item.why}); ${describeSalvage(salvage)}`);
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

  /** One removal at a time in this window: a cycle and the cleanup command never race. */
  private removeSalvaged(
    board: Board,
    path: string,
    ticketId: string | undefined,
    reason: string,
    s: WorktreeSettings,
    inventory: WorktreeInventory | undefined,
    signal: AbortSignal | undefined,
    onlyWhenNothingUnsaved = false,
  ): Promise<Salvage> {
    const run = this.removals.then(async () => {
      const salvage = await removeWithSalvage(board, { path, ticketId, reason, settings: s, inventory, signal, onlyWhenNothingUnsaved });
      this.forgetSize(path);
      return salvage;
    });
    this.removals = run.catch(() => undefined);
    return run;
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

  /**
   * The verdict for one worktree. A finished one that could be removed is looked at closely:
   * everything in the folder (ignored files, nested repositories, hidden index flags), stash
   * entries made in it, and processes using it. A cycle (`thorough` false) looks closely only at
   * clean, merged ones, the only kind it may remove, so a kept worktree is not walked every cycle.
   */
  private async judge(
    board: Board,
    entry: WorktreeEntry,
    owner: Owner,
    base: string,
    s: WorktreeSettings,
    signal: AbortSignal | undefined,
    opts: { thorough: boolean; status?: WorktreeStatus | undefined },
  ): Promise<Judged> {
    const repo = board.repoRoot;
    const ticket = owner.ticket;
    const status = opts.status ?? (await this.git.status(entry.path, { signal }));
    const merged = owner.finished ? await this.isMerged(repo, entry, base, signal) : false;
    const submodules = owner.finished ? await this.git.initializedSubmodules(entry.path, { signal }) : [];
    let inventory: WorktreeInventory | undefined;
    let stashes: string[] | undefined;
    let use: Awaited<ReturnType<typeof folderInUse>> | undefined;
    if (owner.finished && !entry.locked && submodules.length === 0 && (opts.thorough || (!status.dirty && merged))) {
      inventory = await takeInventory(entry.path, s.regenerableFolders, signal);
      stashes = await stashesMadeIn(entry.path, entry.branch, base, signal);
      use = await folderInUse(entry.path);
    }
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
      inventory,
      stashes,
      use,
    });
    const waiting = verdict.decision === 'remove' ? awaitingSecurityScan(board, ticket, entry) : undefined;
    if (waiting !== undefined) verdict = { decision: 'keep', keptBecause: 'security-scan', why: waiting };
    const item: CleanupItem = {
      path: entry.path, branch: entry.branch, ticketId: ticket?.id, ticketStatus: ticket?.status, base,
      dirty: status.dirty, changedFiles: changedCount(status), merged,
      decision: verdict.decision, keptBecause: verdict.keptBecause, why: verdict.why,
      regenerable: inventory?.regenerable.map((r) => r.rel),
    };
    return { item, inventory };
  }

  /** A branch deleted under its worktree (HEAD names no commit) counts as unmerged, not as an error. */
  private async isMerged(repo: string, entry: WorktreeEntry, base: string, signal: AbortSignal | undefined): Promise<boolean> {
    const rev = entry.branch ?? entry.head ?? 'HEAD';
    if (!(await this.git.revisionExists(repo, rev, { signal }))) return false;
    return this.git.isMerged(repo, rev, base, { signal });
  }

  private apply(tx: BoardTx, g: Gathered): void {
    for (const m of g.moves) {
      const current = tx.getTicket(m.ticketId);
      if (current?.worktree && !sameWorktree(current.worktree, m.worktree)) tx.updateTicket(current.id, { worktree: m.worktree });
    }
    for (const o of g.outcomes) {
      const current = tx.getTicket(o.ticket.id);
      if (!current || o.action === 'deferred') continue;
      if (o.action !== 'missing' && !sameWorktree(current.worktree, o.worktree)) {
        // Only fill in or follow a move; a worktree someone recorded meanwhile wins.
        if (!current.worktree || o.action === 'adopted') tx.updateTicket(current.id, { worktree: o.worktree });
      }
      recordBlocker(tx, current.id, o.blocker);
    }
    // Written when it says something new: its `at` is when it last did.
    if (!sameReport(tx.getMeta(WORKTREE_REPORT_META), g.report)) tx.setMeta(WORKTREE_REPORT_META, JSON.stringify(g.report));
  }
}

/**
 * "Start Ticket": the ticket's worktree, created or reused, recorded on the ticket. A ticket that
 * never had one gets `<location>/<id>-<slug>` on a new branch from the base. A folder moved by
 * hand is followed; a missing one is recreated after what only its registration held is saved.
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
  } else if (!isWorktreePresent(await git.listWorktrees(repo, { signal }), want.path)) {
    const location = resolveWorktreeLocation(repo, settings.location);
    const copy = await followMovedCopy(repo, want.path, [location, dirname(want.path), dirname(repo)], signal);
    if (copy) want = { ...want, path: copy };
  }
  // The user asked to start: a branch that is gone is started again from base (the agent has
  // already raised the loss as a blocker).
  const { worktree } = await materializeWorktree(git, repo, want, {
    allowNewBranch: true,
    signal,
    retire: async (entry) => {
      await retireMissingWorktree(board, entry.path, { ticketId: ticket.id, reason: 'its folder was gone when the ticket was started', settings, signal });
    },
  });
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
 * Who a worktree belongs to: the ticket that recorded it (among `tickets`), a ticket whose id
 * names the folder and that has not recorded one yet (it is being started right now; `byId` finds
 * it, by default among `tickets`), or nobody when it lies inside the location. Worktrees outside
 * the location that no ticket knows are the user's own: undefined.
 */
function ownerOf(entry: WorktreeEntry, tickets: readonly Ticket[], location: string, byId: (id: string) => Ticket | undefined = (id) => tickets.find((t) => t.id === id)): Owner | undefined {
  const recorded = tickets.find((t) => t.worktree && samePath(t.worktree.path, entry.path));
  if (recorded) return { ticket: recorded, finished: recorded.status === 'DONE' };
  if (!isInside(location, entry.path)) return undefined;
  const id = /^(T-[1-9][0-9]*)-/.exec(basename(entry.path))?.[1];
  const candidate = id && isTicketId(id) ? byId(id) : undefined;
  // Looked up now, it may have recorded this very worktree since `tickets` was read.
  const named = candidate && (!candidate.worktree || samePath(candidate.worktree.path, entry.path)) ? candidate : undefined;
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

/** The active ticket's own recorded worktree: recreated (within the budget), not dropped. */
function awaitsRecreation(ticket: Ticket | undefined, path: string): boolean {
  return ticket !== undefined && isActive(ticket.status) && ticket.worktree !== undefined && samePath(ticket.worktree.path, path);
}

function toAction(action: TicketOutcome['action'] | undefined): WorktreeAction {
  return action === undefined || action === 'present' ? 'ok' : action;
}
