// The soak's invariants, checked while it runs (every tick) and once at the end:
// - no agent process is killed except by a cancel, an overrun, a moved ticket or a vanished worktree;
// - no run stays queued or running longer than the lease timeout plus one PM cycle after its
//   process and its owner are gone;
// - no process started by the soak is left when it ends, and none an agent started outlives its
//   run by more than the lease timeout plus one PM cycle and a stop once its owner and agent are gone;
// - no ticket stays IN_DEV without a live run longer than the heal grace plus one PM cycle, unless
//   a person moved it there with a note (theirs then, as README says, until a run starts);
// - never two live runs of one ticket; never two hosts running the agents at once;
// - every run that finished its stage advanced its ticket exactly once; no acknowledged write is lost.
import { readdir, readFile } from 'node:fs/promises';
import { parseOwner } from '../../src/domain/liveness';
import { isLive, type Run } from '../../src/domain/run';
import { nextStageIn } from '../../src/domain/pipeline';
import { isStatus } from '../../src/domain/status';
import { isProcessAlive, processTreeAlive } from '../../src/process/processTree';
import { isDeadState, readProcStat } from '../../src/process/procStat';
import type { SqlBoard } from '../../src/store/sqlBoard';
import type { JournalEntry } from '../fixtures/agents/fakeAgent';
import type { HostEvent } from './hostProcess';
import type { SoakSettings } from './world';

/** How long after an agent noted its exit a cancel may still find it alive. */
const RACE_MARGIN_MS = 250;
/** How often the checks look for processes left behind by agents. */
const LEFTOVER_LOOK_MS = 2000;

export interface Violation {
  at: number;
  invariant: string;
  detail: string;
}

/** What the soak did that the checks need to know. */
export interface Ledger {
  /** Agent pids the soak itself SIGKILLed. */
  killedBySoak: Set<number>;
  /** Cancels the soak sent: when, for which run. */
  cancels: { runId: string; at: number }[];
  /** Notes and moves the soak's own CLI calls had acknowledged. */
  ackedMoves: { ticketId: string; note: string }[];
  ackedTickets: string[];
  /** Worktrees the soak deleted under a run. */
  deletedWorktrees: { runId: string; at: number }[];
  /** Tickets the soak moved away from a live run's stage. */
  movedUnderRuns: { runId: string; at: number }[];
  /** Orphaned agents the soak stopped with the hosts' Stop action, as a person would. */
  stoppedOrphans: Set<string>;
  /** When a host could not act: SIGKILLed (for good) or SIGSTOPped (until `to`). */
  hostOutages: { pid: number; kind: 'kill' | 'stop'; from: number; to?: number | undefined }[];
}

export class InvariantChecker {
  readonly violations: Violation[] = [];
  private readonly seen = new Set<string>();
  private readonly bothGoneSince = new Map<string, number>();
  private readonly idleSince = new Map<string, number>();
  private readonly leftSince = new Map<string, number>();
  private leftoversLookedAt = -Infinity;

  constructor(
    private readonly board: SqlBoard,
    private readonly settings: SoakSettings,
    /** Scheduling noise a loaded two-core machine adds to each deadline. */
    private readonly slackMs: number,
  ) {}

  private violate(key: string, invariant: string, detail: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.violations.push({ at: Date.now(), invariant, detail });
  }

  /**
   * The checks that hold at every moment. `availableSince`: since when some host that can run the
   * PM has been up without a break (deadlines cannot start while none is).
   */
  async tick(now: number, availableSince: number, ledger: Ledger): Promise<void> {
    await this.board.refresh();
    const live = this.board.listRuns({ status: ['queued', 'running'] });
    const byTicket = new Map<string, Run[]>();
    for (const run of live) byTicket.set(run.ticketId, [...(byTicket.get(run.ticketId) ?? []), run]);
    for (const [ticketId, runs] of byTicket) {
      if (runs.length > 1) this.violate(`two:${runs.map((r) => r.id).sort().join()}`, 'never two live runs of one ticket', `${ticketId}: ${runs.map((r) => `${r.id} ${r.stage} ${r.status}`).join(', ')}`);
    }

    const leaseMs = this.settings.leaseTimeoutSeconds * 1000;
    const cycleMs = this.settings.pmIntervalSeconds * 1000;
    for (const run of live) {
      const ownerPid = parseOwner(run.owner).pid;
      const ownerGone = ownerPid === undefined || !isProcessAlive(ownerPid);
      const processGone = run.pid === undefined || !(await processTreeAlive(run.pid));
      if (!(ownerGone && processGone)) {
        this.bothGoneSince.delete(run.id);
        continue;
      }
      const since = this.bothGoneSince.get(run.id) ?? now;
      this.bothGoneSince.set(run.id, since);
      const overdue = now - Math.max(since, availableSince) - (leaseMs + cycleMs + this.slackMs);
      if (overdue > 0) this.violate(`stuck-run:${run.id}`, 'no run stays live after its process and owner are gone', `${run.id} of ${run.ticketId} still ${run.status} ${Math.round((now - since) / 1000)} s after both were gone`);
    }
    for (const id of this.bothGoneSince.keys()) if (!live.some((r) => r.id === id)) this.bothGoneSince.delete(id);
    await this.checkLeftovers(now, availableSince);

    const graceMs = this.settings.healGraceMinutes * 60_000;
    const liveTickets = new Set(live.map((r) => r.ticketId));
    for (const ticket of this.board.listTickets({ status: 'IN_DEV' })) {
      if (liveTickets.has(ticket.id) || this.heldByPerson(ticket.id)) {
        this.idleSince.delete(ticket.id);
        continue;
      }
      const since = this.idleSince.get(ticket.id) ?? now;
      this.idleSince.set(ticket.id, since);
      const overdue = now - Math.max(since, availableSince) - (graceMs + cycleMs + this.slackMs);
      if (overdue > 0) this.violate(`stuck-ticket:${ticket.id}:${since}`, 'no ticket stays IN_DEV without a live run', `${ticket.id} without a live run for ${Math.round((now - since) / 1000)} s`);
    }
    for (const id of this.idleSince.keys()) if (this.board.getTicket(id)?.status !== 'IN_DEV') this.idleSince.delete(id);

    // A run whose worktree vanished, whose ticket moved, or that was cancelled must end promptly:
    // its owner acts at once, or the PM within a cycle when the owner is gone.
    const mustEnd = [
      ...ledger.deletedWorktrees.map((d) => ({ ...d, what: 'a vanished worktree stops its agent', why: 'its worktree was deleted' })),
      ...ledger.movedUnderRuns.map((m) => ({ ...m, what: 'a ticket that leaves a run\'s stage stops that run', why: 'its ticket moved' })),
      ...ledger.cancels.map((c) => ({ ...c, what: 'a cancel stops the run', why: 'it was cancelled' })),
    ];
    for (const m of mustEnd) {
      const run = this.board.getRun(m.runId);
      if (!run || !isLive(run)) continue;
      const overdue = now - Math.max(m.at, availableSince) - (leaseMs + cycleMs + this.slackMs);
      if (overdue > 0) this.violate(`must-end:${run.id}:${m.why}`, m.what, `${run.id} still ${run.status} ${Math.round((now - m.at) / 1000)} s after ${m.why}`);
    }
  }

  /**
   * Processes an agent started (its run's id in their environment, in its process group) that run
   * on after the agent exited and its owner died, whatever the run's status: the PM must stop them
   * within the lease timeout, a cycle and a stop's grace.
   */
  private async checkLeftovers(now: number, availableSince: number): Promise<void> {
    // A look through the whole process table: every few ticks is precise enough for the deadline.
    if (now - this.leftoversLookedAt < LEFTOVER_LOOK_MS) return;
    this.leftoversLookedAt = now;
    const left = await leftoversByRun(this.board.listRuns());
    const deadlineMs = (this.settings.leaseTimeoutSeconds + this.settings.pmIntervalSeconds + this.settings.stopGraceSeconds) * 1000 + this.slackMs;
    for (const [runId, pids] of left) {
      const since = this.leftSince.get(runId) ?? now;
      this.leftSince.set(runId, since);
      if (now - Math.max(since, availableSince) > deadlineMs) {
        this.violate(`leftover:${runId}`, 'no process an agent started outlives its run once its owner and agent are gone', `run ${runId}: pid ${pids.join(', ')} still running ${Math.round((now - since) / 1000)} s after its agent and owner were gone`);
      }
    }
    for (const id of this.leftSince.keys()) if (!left.has(id)) this.leftSince.delete(id);
  }

  /**
   * A person's move to IN_DEV with a note is theirs (README: the PM does not heal it back) until
   * a run starts on the ticket: the soak's own moves are such moves.
   */
  private heldByPerson(ticketId: string): boolean {
    const move = this.board
      .history(ticketId)
      .filter((h) => h.from !== h.to)
      .at(-1);
    if (move?.to !== 'IN_DEV' || move.by !== 'user' || !move.note?.trim()) return false;
    return !this.board.listRuns({ ticketId }).some((r) => r.startedAt >= move.at);
  }

  /** Writes under the agents lease, in time order, must never go back to an earlier term. */
  checkLeaseTerms(hostEvents: HostEvent[][]): void {
    const writes = hostEvents.flat().filter((e): e is Extract<HostEvent, { kind: 'write' }> => e.kind === 'write');
    writes.sort((a, b) => a.at - b.at);
    const over = new Set<string>();
    let current: string | undefined;
    for (const w of writes) {
      const term = `${w.owner}@${w.term}`;
      if (term === current) continue;
      if (over.has(term)) this.violate(`term:${term}:${w.at}`, 'never two hosts running the agents at once', `${w.agent} of ${w.owner} wrote at ${new Date(w.at).toISOString()} under a lease term another host had already followed`);
      if (current) over.add(current);
      current = term;
    }
  }

  /** Everything that can only be judged once the soak is over and its hosts are gone. */
  async final(ledger: Ledger, agentJournal: string, marker: string): Promise<void> {
    await this.board.refresh();
    const runs = this.board.listRuns();
    for (const run of runs.filter(isLive)) this.violate(`live-at-end:${run.id}`, 'no run stays live after its process and owner are gone', `${run.id} of ${run.ticketId} is still ${run.status} after every host shut down`);

    const journal = await readJournal(agentJournal);
    this.checkKills(journal, ledger, runs);
    this.checkAdvances(runs);
    this.checkAcknowledged(journal, ledger, runs);
    this.checkCancelRaces(journal, ledger, runs);
    for (const pid of await processesMarked(marker)) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      this.violate(`left:${pid}`, 'no process started by the soak is left', `pid ${pid} still runs: ${cmdline.split('\0').join(' ').trim() || '?'}`);
    }
  }

  private checkKills(journal: JournalEntry[], ledger: Ledger, runs: Run[]): void {
    const agents = new Map<number, { runId?: string | undefined; exited: boolean; exitedClean: boolean; termed: boolean }>();
    for (const e of journal) {
      const agent = agents.get(e.pid) ?? { runId: e.runId, exited: false, exitedClean: false, termed: false };
      if (e.event === 'exit') {
        agent.exited = true;
        agent.exitedClean = e.code === 0;
      }
      if (e.event === 'term') agent.termed = true;
      agents.set(e.pid, agent);
    }
    for (const [pid, agent] of agents) {
      if (agent.exited && !agent.termed) continue;
      if (ledger.killedBySoak.has(pid)) continue;
      const run = runs.find((r) => r.id === agent.runId);
      const note = run?.note ?? '';
      const allowed =
        run?.status === 'cancelled' ||
        run?.status === 'timed_out' ||
        (run?.status === 'failed' && /worktree disappeared/.test(note)) ||
        (run?.status === 'lost' && /orphaned agent was stopped/.test(note)) ||
        // Asked to stop (its host shut down) and done first: it reported its verdict and exited 0
        // within the grace period, so nothing of it was killed and its work counts.
        (run?.status === 'succeeded' && agent.exitedClean) ||
        // An orphan's agent stopped by a person's Stop, or by the PM because its ticket moved or
        // its worktree vanished: the run may have been marked lost by whoever saw it gone first.
        (run !== undefined && (ledger.stoppedOrphans.has(run.id) || ledger.movedUnderRuns.some((m) => m.runId === run.id) || ledger.deletedWorktrees.some((d) => d.runId === run.id)));
      if (!allowed) {
        this.violate(`kill:${pid}`, 'no agent is killed except by a cancel, an overrun, a moved ticket or a vanished worktree', `agent ${pid} of run ${agent.runId ?? '?'} was ${agent.termed ? 'sent SIGTERM' : 'killed'}; its run ended ${run?.status ?? 'nowhere'}${note ? ` (${note})` : ''}`);
      }
    }
  }

  private checkAdvances(runs: Run[]): void {
    for (const run of runs) {
      if (!isStatus(run.stage)) continue;
      const to = nextStageIn(this.settings.pipeline, run.stage);
      const moves = this.board.history(run.ticketId).filter((h) => h.from === run.stage && h.to === to && (h.note ?? '').includes(`run ${run.id}`));
      const advanced = run.status === 'succeeded' && !/left there|could not move on|no longer exists/.test(run.note ?? '');
      const expected = advanced ? 1 : 0;
      if (moves.length !== expected) {
        this.violate(`advance:${run.id}`, 'a run that finished its stage advanced its ticket exactly once', `${run.id} (${run.stage}, ${run.status}${run.note ? `: ${run.note}` : ''}) moved ${run.ticketId} ${moves.length} times`);
      }
    }
  }

  private checkAcknowledged(journal: JournalEntry[], ledger: Ledger, runs: Run[]): void {
    const bodies = new Set<string>();
    for (const ticket of this.board.listTickets()) {
      for (const conversation of this.board.listConversations({ ticketId: ticket.id })) {
        for (const m of this.board.listMessages(conversation.id)) bodies.add(m.body);
      }
    }
    for (const e of journal) {
      if (e.event !== 'cli' || !e.ok || !e.args) continue;
      const [command, text] = e.args;
      if (command === 'note' && text !== undefined && !bodies.has(text)) this.violate(`note:${text}`, 'no acknowledged write is lost', `the note ${text} of run ${e.runId ?? '?'} is not on the board`);
      if ((command === 'done' || command === 'approve') && runs.find((r) => r.id === e.runId)?.status !== 'succeeded') {
        this.violate(`done:${e.runId ?? '?'}`, 'no acknowledged write is lost', `run ${e.runId ?? '?'} reported ${command} but ended ${runs.find((r) => r.id === e.runId)?.status ?? 'nowhere'}`);
      }
    }
    for (const id of ledger.ackedTickets) if (!this.board.getTicket(id)) this.violate(`ticket:${id}`, 'no acknowledged write is lost', `${id} was created but is not on the board`);
    for (const move of ledger.ackedMoves) {
      if (!this.board.history(move.ticketId).some((h) => h.note === move.note)) this.violate(`move:${move.note}`, 'no acknowledged write is lost', `the move "${move.note}" of ${move.ticketId} is not in its history`);
    }
  }

  /**
   * A cancel sent after the agent had exited by itself must not replace its exit result. The
   * agent notes its exit just before it ends; the margin covers that and the way to its owner.
   */
  private checkCancelRaces(journal: JournalEntry[], ledger: Ledger, runs: Run[]): void {
    for (const cancel of ledger.cancels) {
      const run = runs.find((r) => r.id === cancel.runId);
      if (run?.status !== 'cancelled') continue;
      const exit = journal.find((e) => e.runId === cancel.runId && e.event === 'exit');
      const termed = journal.some((e) => e.runId === cancel.runId && e.event === 'term');
      if (!exit || termed) continue;
      // Only a live, running owner sees the exit and records it: one killed or frozen meanwhile
      // learns of the exit after the cancel, if ever, so the cancel rightly stands.
      const ownerPid = parseOwner(run.owner).pid;
      const ownerDown = ledger.hostOutages.some((o) => o.pid === ownerPid && o.from <= cancel.at && (o.to ?? Infinity) >= exit.at);
      if (ownerDown) continue;
      if (cancel.at - exit.at > RACE_MARGIN_MS) this.violate(`race:${cancel.runId}`, 'a cancel racing a natural exit: the exit result stands', `run ${cancel.runId}'s agent exited ${cancel.at - exit.at} ms before the cancel, yet it ended cancelled`);
    }
  }
}

async function readJournal(file: string): Promise<JournalEntry[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalEntry];
      } catch {
        return [];
      }
    });
}

/**
 * For every run whose agent and owner are gone: the live processes in the agent's process group
 * whose environment names the run (one look through the process table).
 */
export async function leftoversByRun(runs: readonly Run[]): Promise<Map<string, number[]>> {
  // A pid may have served several agents over the soak: each group id maps to all of its runs.
  const candidates = new Map<number, Run[]>();
  for (const run of runs) {
    const ownerPid = parseOwner(run.owner).pid;
    if (run.pid === undefined || (ownerPid !== undefined && isProcessAlive(ownerPid)) || isProcessAlive(run.pid)) continue;
    candidates.set(run.pid, [...(candidates.get(run.pid) ?? []), run]);
  }
  const found = new Map<string, number[]>();
  if (candidates.size === 0) return found;
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = await readProcStat(pid);
    const group = stat && !isDeadState(stat.state) ? candidates.get(stat.pgrp) : undefined;
    if (!group) continue;
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
    const run = group.find((r) => environ.includes(`AGENT_FACTORY_RUN_ID=${r.id}`));
    if (run) found.set(run.id, [...(found.get(run.id) ?? []), pid]);
  }
  return found;
}

/** Live processes whose environment holds the soak's marker (hosts, agents, their children). */
export async function processesMarked(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(marker) && isProcessAlive(pid)) found.push(pid);
  }
  return found;
}
