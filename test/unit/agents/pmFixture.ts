// What the PM's tests share: a board on a fake clock owned by this process, a PM wired to real
// processes, and one cycle run the way the manager runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { silentLogger, type CycleContext, type CycleResult } from '../../../src/agents/agent';
import { PmAgent, type PmAgentDeps } from '../../../src/agents/pm/pmAgent';
import { DEFAULT_PM_SETTINGS, type PmSettings } from '../../../src/agents/pm/settings';
import type { RunStopper, WorktreeSignals } from '../../../src/agents/pm/signals';
import type { Board } from '../../../src/store/api';
import { openBoard } from '../../../src/store/sqlBoard';
import { localProcessProbe } from '../../../src/process/localProbe';
import { stopProcessTree } from '../../../src/process/stopProcessTree';
import { FakeClock } from '../helpers/fakeClock';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

export interface Fixture {
  board: Board;
  clock: FakeClock;
  root: string;
}

export async function fixture(): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'af-pm-'));
  roots.push(root);
  const clock = new FakeClock();
  const board = await openBoard({ dir: join(root, '.factory'), repoRoot: root, create: true, clock, ownerId: `${localProcessProbe.hostname}:${process.pid}:pmtest` });
  return { board, clock, root };
}

/** A window on another machine: only its heartbeat tells whether it lives. */
export const ELSEWHERE = 'other-machine:4242:window';

/** A worktree where nothing happens: no commits, no changed files. */
export const noSignals: WorktreeSignals = { activity: async () => ({ commitsAhead: 0, changedFileCount: 0 }), exists: async () => true };

/** Stops a run's real process group through the one stop routine, as the hosts' stopper does. */
export const realStopper: RunStopper = {
  async stop(run) {
    if (run.pid !== undefined) await stopProcessTree(run.pid, { graceMs: 1000 });
  },
};

export function pm(settings: Partial<PmSettings> = {}, signals = noSignals, more: Partial<PmAgentDeps> = {}): PmAgent {
  return new PmAgent({ settings: () => ({ ...DEFAULT_PM_SETTINGS, ...settings }), probe: localProcessProbe, signals, stopper: realStopper, ...more });
}

export async function cycle(agent: PmAgent, f: Fixture): Promise<CycleResult> {
  const ctx: CycleContext = { board: f.board, clock: f.clock, log: silentLogger, signal: new AbortController().signal, setActivity: () => undefined };
  return agent.runCycle(ctx);
}

export async function inDev(f: Fixture, title = 'Build the thing'): Promise<string> {
  return f.board.write((tx) => {
    const t = tx.createTicket({ title, status: 'READY' }, 'user');
    tx.updateTicket(t.id, { assignedAgent: 'fake-agent', worktree: { path: join(f.root, 'wt', t.id), branch: `factory/${t.id}`, base: 'main' } });
    tx.transition(t.id, 'READY', 'IN_DEV', 'user');
    return t.id;
  });
}
