// The PM's incremental cycle against the cycle that reads the whole board: over seeded random
// histories (tickets moving, runs of every kind of owner starting, reporting in, going silent and
// orphaned, bugs, blockers, threads, changes made by another process, some of them in the middle
// of a cycle), each step runs one incremental cycle on the board and one full cycle on an exact
// copy of it, and the two boards must come out the same.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger, type CycleContext } from '../../../src/agents/agent';
import { PmAgent } from '../../../src/agents/pm/pmAgent';
import { parsePmReport, PM_REPORT_META } from '../../../src/agents/pm/report';
import { DEFAULT_PM_SETTINGS } from '../../../src/agents/pm/settings';
import type { WorktreeSignals } from '../../../src/agents/pm/signals';
import { ACTIVE_STATUSES, type Status } from '../../../src/domain/status';
import { localProcessProbe } from '../../../src/process/localProbe';
import type { Board, BoardTx } from '../../../src/store/api';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { deadPid } from '../helpers/deadPid';
import { FakeClock } from '../helpers/fakeClock';
import { Rng } from '../../soak/rng';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const HOST = localProcessProbe.hostname;
/** The PM's own process: its runs are never judged by it. */
const OWNER = `${HOST}:${process.pid}:pm-incremental`;
/** A window on another machine: its runs live as long as it heartbeats. */
const ELSEWHERE = 'other-machine:4242:window';
/** A window of this machine that is gone: its runs are lost, or orphans while their agent lives. */
const GONE = `${HOST}:${deadPid()}:gone`;
const settings = { ...DEFAULT_PM_SETTINGS, checkinIntervalMinutes: 15, healGraceMinutes: 20, stallMinutes: 25, maxRunMinutes: 90, maxHeals: 2, heartbeatTimeoutMs: 5 * 60_000 };
const stopper = { stop: async () => undefined };

type Change = (tx: BoardTx) => void;

/**
 * An agent whose worktree reads make `midCycle` happen once per cycle through `other` (another
 * process's board): a change the cycle's write catches up with after its own reads.
 */
function agent(incremental: boolean, other: Board, midCycle: { change: Change | undefined }): PmAgent {
  let pending: Change | undefined;
  const signals: WorktreeSignals = {
    activity: async (path) => {
      pending ??= midCycle.change;
      if (pending !== undefined) {
        const change = pending;
        pending = undefined;
        midCycle.change = undefined;
        await other.write(change);
      }
      return { commitsAhead: path.length % 3, changedFileCount: path.length % 5 };
    },
    exists: async () => true,
  };
  return new PmAgent({ settings: () => settings, probe: localProcessProbe, signals, stopper, incremental });
}

function ctx(board: Board, clock: FakeClock): CycleContext {
  return { board, clock, log: silentLogger, signal: new AbortController().signal, setActivity: () => undefined };
}

/** Everything a PM cycle decides, as the board records it (ids of rows a cycle creates are random: left out). */
function dump(board: Board): unknown {
  const tickets = board.listTickets({ status: ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'BLOCKED', 'DONE'] as Status[] });
  const report = parsePmReport(board.getMeta(PM_REPORT_META));
  return {
    tickets: tickets.map((t) => [t.id, t.status, t.healCount, t.blockedReason ?? '', t.assignedAgent ?? '']),
    runs: board.listRuns().map((r) => [r.id, r.status, r.endedAt ?? 0, r.note ?? '']),
    bugs: tickets.flatMap((t) => board.listBugs(t.id).map((b) => [t.id, b.title, b.severity, b.fixed])),
    checkIns: tickets.flatMap((t) => board.listCheckIns(t.id).map((c) => [t.id, c.type, c.summary, c.resolved, c.actionRequired, c.createdAt])),
    threads: tickets.flatMap((t) => board.listConversations({ ticketId: t.id }).map((c) => [t.id, c.key ?? '', c.status, board.listMessages(c.id).map((m) => [m.author, m.kind, m.body])])),
    report: report ? { ...report, at: 0 } : undefined,
  };
}

function attempt(fn: () => void): void {
  try {
    fn();
  } catch {
    // A move the rules refuse is part of a random history: nothing happens.
  }
}

const NEXT: Partial<Record<Status, Status>> = { IN_DEV: 'IN_QA', IN_QA: 'IN_UX', IN_UX: 'IN_SEC' };

/**
 * One random change to the board, as people, runners, agents and other windows make them. Its
 * dice are thrown here, so it does the same on any board it is applied to; `startsNoRun` leaves
 * out new runs (their ids are random), for a change made on the board and on its copy alike.
 */
function randomChange(rnd: () => number, clock: FakeClock, startsNoRun = false): Change {
  const roll = startsNoRun && rnd() < 0.5 ? 0.4 : rnd();
  const r1 = rnd();
  const r2 = rnd();
  const r3 = rnd();
  const kind = Math.floor(rnd() * 4);
  return (tx) => {
    const tickets = tx.listTickets({ status: ['BACKLOG', 'READY', ...ACTIVE_STATUSES, 'BLOCKED', 'DONE'] as Status[] });
    const active = tickets.filter((t) => ACTIVE_STATUSES.includes(t.status));
    const live = tx.listRuns({ status: ['running', 'queued'] });
    const choose = <T>(xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(r1 * xs.length)]);
    if (roll < 0.1 || tickets.length < 4) {
      const t = tx.createTicket({ title: `Ticket ${tickets.length + 1}`, status: r2 < 0.7 ? 'READY' : 'BACKLOG' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: join('/nowhere', t.id), branch: `factory/${t.id}`, base: 'main' } });
    } else if (roll < 0.2) {
      const t = choose(tickets.filter((x) => x.status === 'READY'));
      // Now and then a person takes it by hand, with a note.
      if (t) attempt(() => tx.transition(t.id, 'READY', 'IN_DEV', r2 < 0.3 ? 'user' : 'runner', r2 < 0.3 ? 'mine' : undefined));
    } else if (roll < 0.32) {
      const t = choose(active);
      if (!t) return;
      if (startsNoRun) return;
      const run = tx.createRun({ ticketId: t.id, stage: t.status, agent: 'fake-agent', status: r2 < 0.1 ? 'queued' : 'running' });
      // Whose it is decides how it is judged: the PM's own process, a window elsewhere, or a window gone (its agent still alive or not).
      if (kind === 1) tx.updateRun(run.id, { owner: ELSEWHERE });
      if (kind === 2) tx.updateRun(run.id, { owner: GONE });
      if (kind === 3) tx.updateRun(run.id, { owner: GONE, pid: process.pid });
    } else if (roll < 0.42) {
      live.forEach((r, i) => {
        const dice = (Math.floor(r3 * 997) + i * 31) % 10;
        if (dice < 7) tx.updateRun(r.id, { heartbeatAt: clock.now(), ...(dice < 4 ? { lastOutputAt: clock.now() } : {}) });
      });
    } else if (roll < 0.5) {
      const r = choose(live);
      if (r) tx.updateRun(r.id, { status: r2 < 0.5 ? 'succeeded' : 'failed', endedAt: clock.now(), exitCode: r2 < 0.5 ? 0 : 1 });
    } else if (roll < 0.58) {
      const t = choose(active.filter((x) => NEXT[x.status] !== undefined));
      if (t) attempt(() => tx.transition(t.id, t.status, NEXT[t.status]!, 'runner'));
    } else if (roll < 0.63) {
      const t = choose(active);
      const other = tickets[Math.floor(r3 * tickets.length)];
      if (t) attempt(() => tx.transition(t.id, t.status, 'BLOCKED', 'user', other && r2 < 0.6 ? `waits for ${other.id}` : 'needs a decision'));
    } else if (roll < 0.67) {
      const t = choose(tickets.filter((x) => x.status === 'BLOCKED'));
      if (t) attempt(() => tx.transition(t.id, 'BLOCKED', 'READY', 'user'));
    } else if (roll < 0.72) {
      const t = choose([...active, ...tickets.filter((x) => x.status === 'BLOCKED')]);
      if (t) tx.addBug({ ticketId: t.id, title: `Bug ${Math.floor(r2 * 100)}`, description: 'It breaks.', severity: r2 < 0.5 ? 'high' : 'low', foundBy: 'QA' });
    } else if (roll < 0.77) {
      const bug = choose(tickets.flatMap((t) => tx.listBugs(t.id)).filter((b) => !b.fixed));
      if (bug) tx.setBugFixed(bug.id, true);
    } else if (roll < 0.8) {
      const conv = choose(tx.listConversations({ type: 'pm_checkin', status: 'open' }));
      if (conv) tx.setConversationStatus(conv.id, 'resolved');
    } else if (roll < 0.83) {
      // A ticket waited on finishes (its comment tag was resolved in the code): whoever was
      // blocked on it can be unblocked. Or a finished one is reopened.
      const t = choose(tickets.filter((x) => x.status === (r2 < 0.3 ? 'DONE' : 'BACKLOG')));
      if (t) attempt(() => (t.status === 'DONE' ? tx.transition(t.id, 'DONE', 'READY', 'user') : tx.transition(t.id, 'BACKLOG', 'DONE', 'Gatherer')));
    } else if (roll < 0.86) {
      const t = choose(active);
      if (t) tx.addCheckIn({ ticketId: t.id, type: 'blocker', summary: 'QA is blocked', findings: { progressPercent: 10, concerns: [], blockers: ['no data'], achievements: [], evidence: [], stalled: false }, actionRequired: true });
    } else if (roll < 0.89) {
      const t = choose(tickets.filter((x) => x.status === 'BACKLOG' || x.status === 'DONE'));
      if (t) tx.updateTicket(t.id, { title: `${t.title}, reworded` });
    } else if (roll < 0.91) {
      const t = choose(tickets.filter((x) => x.status !== 'IN_DEV'));
      if (t) tx.deleteTicket(t.id, 'user');
    } else {
      // Writes that touch no ticket: other agents' states, meta, the scan cache.
      tx.setAgentState('Gatherer', { lastCycleAt: clock.now() });
      tx.setMeta('bench.note', String(r2));
      tx.markScanned(`hash-${Math.floor(r2 * 1000)}`, 'rules-1');
    }
  };
}

interface Instance {
  board: SqlBoard;
  other: SqlBoard;
}

async function open(dir: string, clock: FakeClock): Promise<Instance> {
  const repoRoot = join(dir, '..');
  return {
    board: await openBoard({ dir, repoRoot, create: true, clock, ownerId: OWNER, pollMs: 0 }),
    other: await openBoard({ dir, repoRoot, clock, ownerId: ELSEWHERE, pollMs: 0 }),
  };
}

describe('PM agent, incremental', () => {
  /** What the histories reached, over every seed. */
  const seen = new Set<string>();
  for (const seed of [1, 2, 3]) {
    it(`decides what a cycle reading the whole board decides, over a random history (seed ${seed})`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'af-pm-inc-'));
      roots.push(root);
      const clock = new FakeClock();
      const main = await open(join(root, 'a', '.factory'), clock);
      const midCycle: { change: Change | undefined } = { change: undefined };
      const incremental = agent(true, main.other, midCycle);
      const rng = new Rng(seed);
      const rnd = (): number => rng.next();
      let fullReads = 0;
      const listTickets = main.board.listTickets.bind(main.board);
      main.board.listTickets = (filter) => {
        const statuses = filter?.status;
        if (Array.isArray(statuses) && statuses.length === ACTIVE_STATUSES.length && ACTIVE_STATUSES.every((st) => statuses.includes(st))) fullReads++;
        return listTickets(filter);
      };
      const steps = 70;
      try {
        for (let step = 0; step < steps; step++) {
          const changes = Math.floor(rnd() * 4);
          // Half the changes come from another process: the PM's board hears of them when it catches up.
          for (let c = 0; c < changes; c++) {
            const change = randomChange(rnd, clock);
            await (rnd() < 0.5 ? main.board : main.other).write(change);
            clock.advanceMinutes(1 + Math.floor(rnd() * 6));
          }
          const mid = rnd() < 0.3 ? randomChange(rnd, clock, true) : undefined;
          await main.other.refresh();
          await main.board.refresh();
          // The same board, copied: a full cycle there and the incremental one here start from the same state.
          await main.board.compact();
          const copyDir = join(root, `b${step}`, '.factory');
          mkdirSync(copyDir, { recursive: true });
          copyFileSync(join(main.board.dir, 'factory.db'), join(copyDir, 'factory.db'));
          const copy = await open(copyDir, clock);
          try {
            assert.deepEqual(dump(copy.board), dump(main.board), `step ${step}: the copy is not the board`);
            const copyMid = { change: mid };
            const full = await agent(false, copy.other, copyMid).runCycle(ctx(copy.board, clock));
            midCycle.change = mid;
            const inc = await incremental.runCycle(ctx(main.board, clock));
            midCycle.change = undefined;
            assert.equal(inc.summary, full.summary, `step ${step}: summaries differ`);
            assert.deepEqual(dump(main.board), dump(copy.board), `step ${step}: the incremental cycle decided otherwise`);
          } finally {
            await copy.other.close();
            await copy.board.close();
            rmSync(join(root, `b${step}`), { recursive: true, force: true });
          }
          for (const t of main.board.listTickets({ status: ['IN_DEV', 'IN_QA', 'BLOCKED', 'READY', 'DONE'] })) seen.add(t.status);
          for (const c of main.board.listConversations({ type: 'pm_checkin' })) seen.add(`thread ${c.status}`);
          for (const r of main.board.listRuns()) seen.add(`run ${r.status}`);
          const report = parsePmReport(main.board.getMeta(PM_REPORT_META));
          if (report?.healed.length) seen.add('healed');
          if (report?.unblockable.length) seen.add('unblockable');
          if (report?.orphans.length) seen.add('orphan');
          if (report?.stuck.length) seen.add('stuck');
          clock.advanceMinutes(Math.floor(rnd() * 8));
        }
        assert.ok(main.board.listTickets({ status: ACTIVE_STATUSES }).some((t) => main.board.listCheckIns(t.id).length > 0), 'no check-in was ever made');
        // Most cycles read what changed, not the whole board (else this test compares a full read with itself).
        assert.ok(fullReads < steps / 5, `${fullReads} of ${steps} cycles read every active ticket`);
      } finally {
        await incremental.dispose();
        await main.other.close();
        await main.board.close();
      }
    });
  }

  it('went through every state worth checking', () => {
    for (const state of ['IN_DEV', 'IN_QA', 'BLOCKED', 'READY', 'DONE', 'thread open', 'thread resolved', 'run lost', 'run running', 'run cancelled', 'healed', 'stuck', 'orphan', 'unblockable']) {
      assert.ok(seen.has(state), `never seen: ${state} (seen: ${[...seen].join(', ')})`);
    }
  });

  it('reads no ticket again and writes nothing when nothing changed, even as other agents record their cycles', async () => {
    const root = mkdtempSync(join(tmpdir(), 'af-pm-inc-'));
    roots.push(root);
    const clock = new FakeClock();
    const { board, other } = await open(join(root, '.factory'), clock);
    const pm = agent(true, other, { change: undefined });
    try {
      await board.write((tx) => {
        for (let i = 0; i < 20; i++) {
          const t = tx.createTicket({ title: `Ticket ${i}`, status: 'READY' }, 'user');
          tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
          tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'fake-agent', status: 'succeeded' });
        }
      });
      // The first cycle checks in on every ticket; the second reads those check-ins (its own change) back.
      await pm.runCycle(ctx(board, clock));
      clock.advance(30_000);
      await pm.runCycle(ctx(board, clock));
      clock.advance(30_000);
      // Another agent's state, here and from another process: no ticket changed.
      await board.write((tx) => tx.setAgentState('Worktree', { lastCycleAt: clock.now() }));
      await other.write((tx) => tx.setAgentState('Gatherer', { lastCycleAt: clock.now() }));
      let writes = 0;
      const sub = board.onDidChange((e) => {
        if (e.source === 'local') writes++;
      });
      // Reads of tickets and what hangs off them, on the board and inside its write.
      let reads = 0;
      const ticketReads = new Set(['getTicket', 'listTickets', 'latestCheckIn', 'listConversations', 'listCheckIns', 'listBugs', 'countByStatus', 'history', 'listMessages', 'findConversation']);
      const counting = <T extends object>(target: T): T =>
        new Proxy(target, {
          get(t, prop, receiver) {
            const value: unknown = Reflect.get(t, prop, receiver);
            if (typeof value !== 'function') return value;
            if (prop === 'write') return (fn: (tx: BoardTx) => unknown) => board.write((tx) => fn(counting(tx)));
            if (typeof prop === 'string' && ticketReads.has(prop)) reads++;
            return (value as (...args: unknown[]) => unknown).bind(t);
          },
        });
      await pm.runCycle(ctx(counting(board), clock));
      sub.dispose();
      assert.equal(writes, 0, 'a cycle with nothing changed wrote to the board');
      assert.equal(reads, 0, 'a cycle with nothing changed read tickets again');
    } finally {
      await pm.dispose();
      await other.close();
      await board.close();
    }
  });
});
