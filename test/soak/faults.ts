// The faults the soak injects at random moments, each against the real processes and files.
import { execFile } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isLive, type Run } from '../../src/domain/run';
import { isProcessAlive } from '../../src/process/processTree';
import type { Ledger } from './invariants';
import type { Rng } from './rng';
import { delay, type HostHandle, type SoakWorld } from './world';

export const FAULT_KINDS = [
  'kill-agent',
  'kill-host',
  'stop-host',
  'second-host',
  'move-ticket',
  'cancel-race',
  'delete-worktree',
  'full-write',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultContext {
  world: SoakWorld;
  rng: Rng;
  ledger: Ledger;
  /** Aborted when the soak winds down: background waits end early. */
  winding: AbortSignal;
  /** Things still running in the background (a host stopped for a while); awaited at the end. */
  track(work: Promise<unknown>): void;
  /** The next unique note for the soak's own moves. */
  nextMoveNote(): string;
  /** The next race agent seen about to exit gets cancelled then; false when one is armed already. */
  armRace(): boolean;
  log(message: string): void;
}

/** Injects one fault of `kind`; false when nothing fits right now (no running agent, ...). */
export async function inject(kind: FaultKind, ctx: FaultContext): Promise<boolean> {
  switch (kind) {
    case 'kill-agent':
      return killAgent(ctx);
    case 'kill-host':
      return killHost(ctx);
    case 'stop-host':
      return stopHost(ctx);
    case 'second-host':
      return secondHost(ctx);
    case 'move-ticket':
      return moveTicket(ctx);
    case 'cancel-race':
      return ctx.armRace();
    case 'delete-worktree':
      return deleteWorktree(ctx);
    case 'full-write':
      return fullWrite(ctx);
  }
}

function runningRuns(ctx: FaultContext): Run[] {
  return ctx.world.board.listRuns({ status: 'running' }).filter((r) => r.pid !== undefined && isProcessAlive(r.pid));
}

function killAgent(ctx: FaultContext): boolean {
  const runs = runningRuns(ctx);
  if (runs.length === 0) return false;
  const run = ctx.rng.pick(runs);
  try {
    process.kill(run.pid!, 'SIGKILL');
  } catch {
    return false;
  }
  ctx.ledger.killedBySoak.add(run.pid!);
  ctx.log(`SIGKILL agent ${run.pid} of ${run.id}`);
  return true;
}

function killHost(ctx: FaultContext): boolean {
  const hosts = ctx.world.liveHosts().filter((h) => h.stoppedSince === undefined);
  if (hosts.length === 0) return false;
  const host = ctx.rng.pick(hosts);
  host.signal('SIGKILL');
  ctx.log(`SIGKILL ${host.name} (${host.pid})`);
  return true;
}

function stopHost(ctx: FaultContext): boolean {
  if (ctx.world.liveHosts().some((h) => h.stoppedSince !== undefined)) return false;
  const hosts = ctx.world.usableHosts();
  if (hosts.length === 0) return false;
  const host = ctx.rng.pick(hosts);
  const forMs = ctx.world.settings.leaseTimeoutSeconds * 1000 + ctx.rng.int(1000, 6000);
  host.signal('SIGSTOP');
  host.stoppedSince = Date.now();
  ctx.log(`SIGSTOP ${host.name} for ${forMs} ms`);
  ctx.track(
    delay(forMs, ctx.winding).then(() => {
      host.signal('SIGCONT');
      host.stoppedSince = undefined;
      ctx.log(`SIGCONT ${host.name}`);
    }),
  );
  return true;
}

function secondHost(ctx: FaultContext): boolean {
  if (ctx.world.liveHosts().length >= 3) return false;
  const lifeMs = ctx.rng.int(15_000, 45_000);
  ctx.track(
    (async () => {
      const host = await ctx.world.startHost();
      ctx.log(`second host ${host.name} for ${lifeMs} ms`);
      await delay(lifeMs, ctx.winding);
      await stopGracefully(host);
    })(),
  );
  return true;
}

/** SIGTERM (a clean shutdown: its runs cancelled, the lease released); SIGCONT first if stopped. */
export async function stopGracefully(host: HostHandle): Promise<void> {
  if (host.exited) return;
  if (host.stoppedSince !== undefined) {
    host.signal('SIGCONT');
    host.stoppedSince = undefined;
  }
  host.signal('SIGTERM');
  const exited = await Promise.race([host.whenExited().then(() => true), delay(60_000).then(() => false)]);
  if (!exited) host.signal('SIGKILL');
}

async function moveTicket(ctx: FaultContext): Promise<boolean> {
  const runs = runningRuns(ctx);
  if (runs.length === 0) return false;
  const run = ctx.rng.pick(runs);
  const ticket = ctx.world.board.getTicket(run.ticketId);
  if (!ticket || ticket.status !== run.stage) return false;
  const note = ctx.nextMoveNote();
  const to = ctx.rng.chance(0.5) ? 'BLOCKED' : ticket.status === 'IN_DEV' ? 'READY' : 'IN_DEV';
  const result = await ctx.world.cli(['move', ticket.id, to, '--from', ticket.status, '--note', note]);
  if (result.code === 0) {
    ctx.ledger.ackedMoves.push({ ticketId: ticket.id, note });
    ctx.ledger.movedUnderRuns.push({ runId: run.id, at: Date.now() });
  }
  ctx.log(`move ${ticket.id} ${ticket.status} -> ${to} while ${run.id} runs: ${result.code === 0 ? 'done' : result.stderr.trim()}`);
  return result.code === 0;
}

function deleteWorktree(ctx: FaultContext): boolean {
  const runs = runningRuns(ctx).filter((r) => r.worktree !== undefined && existsSync(r.worktree));
  if (runs.length === 0) return false;
  const run = ctx.rng.pick(runs);
  const worktree = run.worktree!;
  // The agent and its helpers write into it meanwhile: a removal can race a new file.
  for (let i = 0; i < 10 && existsSync(worktree); i++) {
    try {
      rmSync(worktree, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
    } catch {
      // Tried again: something was written into it while it went.
    }
  }
  if (existsSync(worktree)) return false;
  ctx.ledger.deletedWorktrees.push({ runId: run.id, at: Date.now() });
  ctx.log(`deleted the worktree of ${run.id}: ${worktree}`);
  return true;
}

/**
 * A full disk for one of a host's writes: its file size limit drops to the journal's size, so its
 * next append to the board fails (and so would a log beyond it), then the limit is lifted.
 */
async function fullWrite(ctx: FaultContext): Promise<boolean> {
  const hosts = ctx.world.usableHosts();
  if (hosts.length === 0) return false;
  // The lease holder writes every few seconds; a follower with no runs may not write at all.
  const host = hosts.find((h) => h.leader) ?? ctx.rng.pick(hosts);
  const journal = path.join(ctx.world.paths.repo, '.factory', 'factory.db.journal');
  const size = existsSync(journal) ? statSync(journal).size : 0;
  const logged = host.events.length;
  if (!(await prlimit(host.pid, `${Math.max(1, size)}:`))) return false;
  ctx.log(`file size limit of ${host.name} set to ${size} bytes`);
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline && !host.events.slice(logged).some((e) => e.kind === 'log' && /could not be saved|EFBIG|too large/i.test(e.message))) await delay(100);
  await prlimit(host.pid, 'unlimited:');
  ctx.log(`file size limit of ${host.name} lifted`);
  return true;
}

function prlimit(pid: number, fsize: string): Promise<boolean> {
  return new Promise((resolve) => execFile('prlimit', ['--pid', String(pid), `--fsize=${fsize}`], (err) => resolve(!err)));
}

/** Whether faults that need prlimit can run here. */
export function canLimitFileSize(): Promise<boolean> {
  return new Promise((resolve) => execFile('prlimit', ['--version'], (err) => resolve(!err)));
}

export function liveRunOf(world: SoakWorld, ticketId: string, stage: string): Run | undefined {
  return world.board.listRuns({ ticketId }).find((r) => r.stage === stage && isLive(r));
}
