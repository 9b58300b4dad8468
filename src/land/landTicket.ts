/**
 * Land Ticket: a PM_REVIEW ticket's branch goes onto its base. In the ticket's worktree the branch
 * is brought up to date with the base (`agentFactory.land.strategy`), the check runs there, and
 * only when it passes does the base advance, by compare-and-set on the commit it was at. Then the
 * ticket is DONE with the landed commit in its history, and the Worktree agent's usual rule (clean
 * and merged) removes the worktree.
 *
 * A conflict or a failing check sends the ticket back to IN_DEV with a bug; the base never moves
 * then. Anything that would touch someone's uncommitted work (in the ticket's worktree, or in a
 * checkout of the base) refuses the land instead, naming the files, and leaves everything as it
 * was. Lands wait their turn in the board's land queue, so one lands at a time per board.
 */
import type { Logger } from '../agents/agent';
import { silentLogger } from '../agents/agent';
import type { Clock } from '../domain/clock';
import { errorMessage, FactoryError, StatusConflictError } from '../domain/errors';
import { assertTicketId } from '../domain/ids';
import type { Ticket } from '../domain/ticket';
import { redactSecrets } from '../scan/security/mask';
import { sharedMatchPool } from '../scan/security/matchPool';
import type { Board } from '../store/api';
import { describeCommand, runCheck } from './landCheck';
import {
  checkedOutBranch,
  checkoutsOf,
  commitOf,
  commitsBetween,
  fastForwardCheckout,
  isAncestor,
  mergeInto,
  moveBranch,
  operationInProgress,
  rebaseOnto,
  squashCommit,
  trackedChanges,
  worktreeStatus,
} from './landGit';
import { recordCheckFailed, recordConflict, recordLanded, recordLandedElsewhere, type Landed } from './landOutcome';
import { claimLand, enqueueLand, heartbeatLand, leaveLandQueue, type LandQueueEntry } from './landQueue';
import type { LandSettings } from './landSettings';

/** How often the base may move under a land (it is then brought up to date again) before it gives up. */
const MAX_ATTEMPTS = 3;
const LISTED = 5;

export type LandOutcome =
  | ({ kind: 'landed' } & Landed)
  | { kind: 'conflict'; ticketId: string; reason: string; files: string[]; bugId: string }
  | { kind: 'check-failed'; ticketId: string; reason: string; bugId: string; tail: string }
  /** Nothing moved and the ticket stays where it is; `reason` says what to do. */
  | { kind: 'refused'; ticketId: string; reason: string };

export interface LandDeps {
  board: Board;
  clock: Clock;
  settings: LandSettings;
  log?: Logger;
  /** What the land is doing now, for a person watching (a progress notification, the CLI). */
  onProgress?: (text: string) => void;
  /** Cancels waiting in the queue, or the land in progress (a rebase or check is stopped and undone). */
  signal?: AbortSignal;
  /** How often a waiting land looks whether it is its turn (default 300 ms). */
  pollMs?: number;
}

class Refusal extends Error {}

/** Lands `ticketId` when its turn in the board's land queue comes. */
export async function landTicket(deps: LandDeps, ticketId: string): Promise<LandOutcome> {
  const id = assertTicketId(ticketId);
  const { board, clock, settings } = deps;
  await board.refresh();
  const refusal = landRefusal(board.getTicket(id), id);
  if (refusal) return { kind: 'refused', ticketId: id, reason: refusal };
  const entry = await board.write((tx) => {
    const why = landRefusal(tx.getTicket(id), id);
    if (why) throw new FactoryError('illegal-transition', why);
    return enqueueLand(tx, id, board.ownerId, clock.now(), settings.leaseTimeoutMs);
  });
  const beat = new Heartbeat(deps, entry);
  try {
    await waitForTurn(deps, entry);
    return await new Lander(deps, id, beat).land();
  } finally {
    beat.stop();
    await board.write((tx) => leaveLandQueue(tx, entry.id)).catch((err: unknown) => deps.log?.warn(`Land: leaving the queue failed: ${errorMessage(err)}`));
  }
}

/** Why `ticket` cannot be landed now, or undefined when it can. */
export function landRefusal(ticket: Ticket | undefined, id: string): string | undefined {
  if (!ticket) return `there is no ticket ${id} on this board`;
  if (ticket.status !== 'PM_REVIEW') return `${id} is ${ticket.status}: only a ticket in PM_REVIEW can land`;
  if (!ticket.worktree) return `${id} has no worktree, so there is nothing to land`;
  return undefined;
}

/** Keeps the queue entry alive while the land waits or works; carries its activity to the Agents view. */
class Heartbeat {
  private readonly timer: NodeJS.Timeout;
  private activity: string | undefined;

  constructor(
    private readonly deps: LandDeps,
    private readonly entry: LandQueueEntry,
  ) {
    const every = Math.max(1000, Math.floor(deps.settings.leaseTimeoutMs / 3));
    this.timer = setInterval(() => void this.beat(), every);
    this.timer.unref();
  }

  report(activity: string): void {
    this.activity = activity;
    this.deps.onProgress?.(activity);
    void this.beat();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    try {
      await this.deps.board.write((tx) => heartbeatLand(tx, this.entry.id, this.deps.clock.now(), this.activity));
    } catch (err) {
      this.deps.log?.warn(`Land: heartbeat of ${this.entry.ticketId} failed: ${errorMessage(err)}`);
    }
  }
}

async function waitForTurn(deps: LandDeps, entry: LandQueueEntry): Promise<void> {
  const { board, clock, settings, signal } = deps;
  let told: string | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const claim = await board.write((tx) => claimLand(tx, entry.id, clock.now(), settings.leaseTimeoutMs));
    if (claim.kind === 'landing') return;
    if (claim.kind === 'gone') throw new FactoryError('cancelled', `the land of ${entry.ticketId} was dropped from the queue`);
    const waiting = `waiting for ${claim.behind.ticketId} to ${claim.behind.state === 'landing' ? 'land' : 'be landed first'}`;
    if (waiting !== told) deps.onProgress?.((told = waiting));
    await sleep(deps.pollMs ?? 300, signal);
  }
}

/** One claimed land, from the checks on what is there to the outcome on the board. */
class Lander {
  private readonly log: Logger;

  constructor(
    private readonly deps: LandDeps,
    private readonly id: string,
    private readonly beat: Heartbeat,
  ) {
    this.log = deps.log ?? silentLogger;
  }

  async land(): Promise<LandOutcome> {
    try {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const outcome = await this.attempt();
        if (outcome !== 'base-moved') return outcome;
        this.log.info(`Land: the base moved while ${this.id} was landing; bringing it up to date again`);
      }
      return this.refused(`the base kept moving while ${this.id} was landing (${MAX_ATTEMPTS} tries); land it again`);
    } catch (err) {
      if (err instanceof Refusal) return this.refused(err.message);
      throw err;
    }
  }

  private async attempt(): Promise<LandOutcome | 'base-moved'> {
    const { board, settings, signal } = this.deps;
    await board.refresh();
    const ticket = board.getTicket(this.id);
    const refusal = landRefusal(ticket, this.id);
    if (refusal || !ticket?.worktree) throw new Refusal(refusal ?? `${this.id} cannot land`);
    const { path, branch, base } = ticket.worktree;
    const repo = board.repoRoot;

    await this.checkWorktree(path, branch);
    const old = await commitOf(repo, `refs/heads/${base}`, signal);
    if (!old) throw new Refusal(`the base branch ${base} of ${this.id} does not exist`);
    await this.checkBaseCheckouts(repo, base);
    if ((await commitsBetween(path, old, 'HEAD', signal)) === 0) {
      throw new Refusal(`${branch} has no commits that are not on ${base}: there is nothing to land (Approve moves the ticket on without landing)`);
    }

    this.beat.report(`bringing ${branch} up to date with ${base}`);
    const updated =
      settings.strategy === 'merge' ? await mergeInto(path, old, `Merge ${base} into ${branch}`, signal) : await rebaseOnto(path, old, signal);
    if (updated.kind === 'conflict') {
      const bug = await board.write((tx) => recordConflict(tx, this.id, base, branch, updated.files));
      const reason = `${this.id} conflicts with ${base} in ${listed(updated.files)}; it went back to IN_DEV with a bug, and ${base} did not move`;
      return { kind: 'conflict', ticketId: this.id, reason, files: updated.files, bugId: bug.id };
    }

    const check = settings.checkCommand.length > 0 ? describeCommand(settings.checkCommand) : undefined;
    if (check !== undefined) {
      this.beat.report(`running the check: ${check}`);
      const result = await runCheck({ command: settings.checkCommand, cwd: path, timeoutMs: settings.checkTimeoutMs, signal });
      if (!result.passed) {
        const why = result.timedOut ? 'timed out' : result.exitCode !== undefined ? `exited with code ${result.exitCode}` : `was stopped by ${result.signal ?? 'a signal'}`;
        const tail = await maskSecretsIn(result.tail);
        const bug = await board.write((tx) => recordCheckFailed(tx, this.id, base, check, why, tail));
        return { kind: 'check-failed', ticketId: this.id, reason: `the check ${check} ${why}; ${this.id} went back to IN_DEV with its output as a bug, and ${base} did not move`, bugId: bug.id, tail };
      }
    }

    const head = await commitOf(path, 'HEAD', signal);
    if (!head) throw new FactoryError('git', `the worktree of ${this.id} has no HEAD after the update`);
    const landed = settings.strategy === 'squash' ? await squashCommit(path, old, squashMessage(ticket, branch), signal) : head;
    if (!(await isAncestor(repo, old, landed, signal))) throw new FactoryError('git', `${landed} does not descend from ${base} (${old}); nothing was landed`);

    this.beat.report(`advancing ${base}`);
    await board.refresh();
    const now = board.getTicket(this.id);
    if (now?.status !== 'PM_REVIEW') throw new Refusal(`${this.id} was moved to ${now?.status ?? 'nowhere (deleted)'} during the land; nothing was landed`);
    if ((await this.advanceBase(repo, base, old, landed)) === 'moved') return 'base-moved';
    if (settings.strategy === 'squash' && !(await moveBranch(repo, branch, landed, head, `agent-factory: ${this.id} landed as ${landed}`, signal))) {
      this.log.warn(`Land: ${branch} moved while ${this.id} was landing; it keeps its own commits and the Worktree agent keeps its worktree`);
    }
    const result: Landed = { ticketId: this.id, base, commit: landed, previous: old, strategy: settings.strategy, check };
    try {
      await board.write((tx) => recordLanded(tx, result));
    } catch (err) {
      if (!(err instanceof StatusConflictError)) throw err;
      await board.write((tx) => recordLandedElsewhere(tx, result));
      this.log.warn(`Land: ${this.id} landed as ${landed}, but it was moved meanwhile: ${err.message}`);
    }
    this.log.info(`Land: ${this.id} landed on ${base} as ${landed}`);
    return { kind: 'landed', ...result };
  }

  /** The ticket's worktree holds its branch and nothing uncommitted, with no operation half-done. */
  private async checkWorktree(path: string, branch: string): Promise<void> {
    const { signal } = this.deps;
    let current: string | undefined;
    try {
      current = await checkedOutBranch(path, signal);
    } catch (err) {
      throw new Refusal(`the worktree of ${this.id} (${path}) cannot be read: ${errorMessage(err)}`);
    }
    if (current !== branch) throw new Refusal(`the worktree of ${this.id} has ${current ?? 'a detached HEAD'} checked out, not ${branch}`);
    const busy = await operationInProgress(path, signal);
    if (busy) throw new Refusal(`${busy} is in progress in the worktree of ${this.id}; finish or abort it first`);
    const status = await worktreeStatus(path, signal);
    const pending = [...trackedChanges(status), ...status.untracked];
    if (pending.length > 0) {
      throw new Refusal(`the worktree of ${this.id} has uncommitted or untracked files (${listed(pending)}): they are not part of ${branch}. Commit or remove them, then land again`);
    }
  }

  /** Every checkout of the base is clean: a land only ever fast-forwards it. */
  private async checkBaseCheckouts(repo: string, base: string): Promise<void> {
    for (const checkout of await checkoutsOf(repo, base, this.deps.signal)) {
      const dirty = trackedChanges(await worktreeStatus(checkout.path, this.deps.signal));
      if (dirty.length > 0) {
        throw new Refusal(`${base} is checked out in ${checkout.path} with uncommitted changes (${listed(dirty)}); a land only fast-forwards a clean checkout. Commit or stash them, then land again`);
      }
    }
  }

  /** Compare-and-set of the base on `old`; 'moved' when someone else moved it first. */
  private async advanceBase(repo: string, base: string, old: string, landed: string): Promise<'advanced' | 'moved'> {
    const { signal } = this.deps;
    const reason = `agent-factory: land ${this.id}`;
    const [checkout] = await checkoutsOf(repo, base, signal);
    if (!checkout) return (await moveBranch(repo, base, landed, old, reason, signal)) ? 'advanced' : 'moved';
    // Checked out (the user's main checkout, typically): only a fast-forward of a clean checkout.
    const dirty = trackedChanges(await worktreeStatus(checkout.path, signal));
    if (dirty.length > 0) {
      throw new Refusal(`${base} is checked out in ${checkout.path} with uncommitted changes (${listed(dirty)}); a land only fast-forwards a clean checkout. Commit or stash them, then land again`);
    }
    if ((await commitOf(checkout.path, 'HEAD', signal)) !== old) return 'moved';
    try {
      await fastForwardCheckout(checkout.path, landed, signal);
    } catch (err) {
      if ((await commitOf(checkout.path, 'HEAD')) !== old) return 'moved';
      throw new Refusal(`git would not fast-forward ${base} in ${checkout.path}: ${errorMessage(err)}`);
    }
    return 'advanced';
  }

  private refused(reason: string): LandOutcome {
    this.log.info(`Land: ${this.id} not landed: ${reason}`);
    return { kind: 'refused', ticketId: this.id, reason };
  }
}

/** The text with every secret secretlint finds in it masked, found in the scan threads (secretlint is not loaded on this one). */
async function maskSecretsIn(text: string): Promise<string> {
  if (text.trim() === '') return text;
  return redactSecrets(text, await sharedMatchPool.secretValues('land-check.log', text));
}

function squashMessage(ticket: Ticket, branch: string): string {
  const title = ticket.title.replace(/\s+/g, ' ').trim();
  return `${title} (${ticket.id})\n\nSquashed from ${branch}.`;
}

function listed(files: readonly string[]): string {
  return files.slice(0, LISTED).join(', ') + (files.length > LISTED ? ` and ${files.length - LISTED} more` : '');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(new FactoryError('cancelled', 'the land was cancelled'));
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
