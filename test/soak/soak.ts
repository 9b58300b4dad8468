// The chaos soak: real headless hosts (src/host) on a real board in a temporary git repository,
// fake agents that are real processes with children, working, committing and reporting through
// the CLI, and faults injected at random moments from a printed seed. The invariants are checked
// while it runs and once it is over; the report lists the faults injected per kind and every
// violation. `npm run soak -- --minutes 20 --seed 42`; a short one runs inside `npm test`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseOwner } from '../../src/domain/liveness';
import { isProcessAlive } from '../../src/process/processTree';
import { repoRoot } from '../unit/helpers/repoRoot';
import { canLimitFileSize, FAULT_KINDS, inject, liveRunOf, stopGracefully, type FaultContext, type FaultKind } from './faults';
import { InvariantChecker, leftoversByRun, processesMarked, type Ledger, type Violation } from './invariants';
import { Rng } from './rng';
import { drawScenario } from './scenario';
import { delay, SOAK_SETTINGS, SoakWorld } from './world';

export interface SoakOptions {
  /** How long faults are injected; shutting down and the final checks come on top. */
  minutes: number;
  seed: number;
  /** Keep the temporary folder (it is kept anyway when something was violated). */
  keep?: boolean;
  /** Progress lines; default console.log. */
  print?: (line: string) => void;
}

export interface SoakReport {
  command: string;
  seed: number;
  minutes: number;
  tookSeconds: number;
  faults: Record<FaultKind, number>;
  violations: Violation[];
  runs: Record<string, number>;
  tickets: number;
  /** Board writes a host's lowered file size limit made fail (the full-disk fault). */
  failedWrites: number;
  /** Where the logs are (removed unless kept). */
  folder: string;
  slackSeconds: number;
}

const TICK_MS = 500;
const LIVE_RUNS_WANTED = 3;
const TICKETS_ACTIVE = 6;
const SLACK_MS = 10_000;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started = Date.now();
  const command = `npm run soak -- --minutes ${options.minutes} --seed ${options.seed}`;
  print(`soak: seed ${options.seed}, ${options.minutes} min of faults (${command})`);
  const root = mkdtempSync(path.join(tmpdir(), 'af-soak-'));
  const world = new SoakWorld(
    {
      root,
      repo: path.join(root, 'repo'),
      outDir: path.join(repoRoot, 'out'),
      scenarios: path.join(root, 'scenarios'),
      agentJournal: path.join(root, 'agents.jsonl'),
      logs: path.join(root, 'logs'),
    },
    SOAK_SETTINGS,
    `${options.seed}-${process.pid}`,
  );
  const rng = new Rng(options.seed);
  const ledger: Ledger = { killedBySoak: new Set(), cancels: [], ackedMoves: [], ackedTickets: [], deletedWorktrees: [], movedUnderRuns: [], stoppedOrphans: new Set(), hostOutages: [] };
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const winding = new AbortController();
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    const tracked = work.catch((err: unknown) => print(`soak: background work failed: ${String(err)}`));
    background.add(tracked);
    void tracked.finally(() => background.delete(tracked));
  };
  let token = 0;
  let moves = 0;
  let raceArmed = false;
  const log = (message: string): void => print(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${message}`);
  if (!(await canLimitFileSize())) throw new Error('the soak needs prlimit (util-linux) for its full-disk fault');

  await world.create();
  const checker = new InvariantChecker(world.board, SOAK_SETTINGS, SLACK_MS);
  const ctx: FaultContext = {
    world,
    rng,
    ledger,
    winding: winding.signal,
    track,
    nextMoveNote: () => `soak move ${++moves}`,
    armRace: () => !raceArmed && (raceArmed = true),
    log,
  };

  const createTicket = async (): Promise<void> => {
    const made = await world.cli(['create', `Soak ticket ${ledger.ackedTickets.length + 1}`, '--status', 'READY', '--priority', String(rng.int(1, 4))]);
    if (made.code === 0) ledger.ackedTickets.push(made.stdout.trim());
  };
  for (let i = 0; i < TICKETS_ACTIVE; i++) await createTicket();
  await world.startHost();

  /** Since when some usable host has been up without a break. */
  let availableSince = Date.now();
  let hostRestartAt: number | undefined;
  const raceMarkers = new Map<string, { ticketId: string; stage: string }>();
  const racesSeen = new Set<string>();
  const blockedSince = new Map<string, number>();

  const writeScenario = (ticketId: string, stage: string): void => {
    const raceMarker = path.join(world.paths.scenarios, `${ticketId}-${stage}-${++token}.marker`);
    raceMarkers.set(raceMarker, { ticketId, stage });
    const scenario = drawScenario(rng, {
      ticketId,
      stage,
      raceMarker,
      overrunMs: SOAK_SETTINGS.maxRunMinutes * 60_000 + 15_000,
      nextToken: () => `soak-note-${options.seed}-${++token}`,
      // An armed race needs an agent that ends by itself at a known moment.
      ending: raceArmed ? 'race' : undefined,
    });
    writeFileSync(path.join(world.paths.scenarios, `${ticketId}-${stage}.json`), JSON.stringify(scenario.steps));
  };

  const startSomething = async (): Promise<void> => {
    const board = world.board;
    const live = board.listRuns({ status: ['queued', 'running'] });
    if (live.length >= LIVE_RUNS_WANTED) return;
    const busy = new Set(live.map((r) => r.ticketId));
    const candidates = board.listTickets({ status: ['READY', 'IN_DEV', 'IN_QA'] }).filter((t) => !busy.has(t.id));
    const hosts = world.usableHosts();
    if (candidates.length === 0 || hosts.length === 0) return;
    const ticket = rng.pick(candidates);
    const stage = ticket.status === 'READY' ? 'IN_DEV' : ticket.status;
    writeScenario(ticket.id, stage);
    if (stage === 'IN_DEV') writeScenario(ticket.id, 'IN_QA');
    const host = rng.pick(hosts);
    const reply = await host.send({ cmd: 'start', ticketId: ticket.id });
    if (!reply.ok) log(`start ${ticket.id} on ${host.name} refused: ${reply.error ?? '?'}`);
  };

  /** What a person does meanwhile: unblock, send back for rework, add tickets, stop orphans. */
  const tend = async (now: number): Promise<void> => {
    for (const t of world.board.listTickets({ status: 'BLOCKED' })) {
      const since = blockedSince.get(t.id) ?? now;
      blockedSince.set(t.id, since);
      if (now - since < 10_000) continue;
      blockedSince.delete(t.id);
      const note = ctx.nextMoveNote();
      const r = await world.cli(['move', t.id, 'READY', '--from', 'BLOCKED', '--note', note]);
      if (r.code === 0) ledger.ackedMoves.push({ ticketId: t.id, note });
    }
    for (const t of world.board.listTickets({ status: 'IN_UX' })) {
      const note = ctx.nextMoveNote();
      const r = await world.cli(['move', t.id, 'IN_DEV', '--from', 'IN_UX', '--note', note]);
      if (r.code === 0) ledger.ackedMoves.push({ ticketId: t.id, note });
    }
    const active = world.board.listTickets({ status: ['READY', 'IN_DEV', 'IN_QA'] }).length;
    if (active < TICKETS_ACTIVE && ledger.ackedTickets.length < 12) await createTicket();
  };

  const stopOrphans = async (): Promise<number> => {
    const host = world.usableHosts()[0];
    if (!host) return 0;
    const reply = await host.send({ cmd: 'orphans' });
    const ids = reply.ok && Array.isArray(reply.result) ? (reply.result as string[]) : [];
    for (const runId of ids) {
      const stopped = await host.send({ cmd: 'stopOrphan', runId });
      if (stopped.ok) ledger.stoppedOrphans.add(runId);
      log(`stopped orphan ${runId}: ${stopped.ok ? String(stopped.result) : stopped.error ?? '?'}`);
    }
    return ids.length;
  };

  /** Cancels a race agent's run around the moment it exits by itself. */
  const watchRaces = (): void => {
    if (!raceArmed) return;
    for (const [marker, at] of raceMarkers) {
      if (racesSeen.has(marker) || !existsSync(marker)) continue;
      racesSeen.add(marker);
      const run = liveRunOf(world, at.ticketId, at.stage);
      const hosts = world.usableHosts();
      if (!run || hosts.length === 0) continue;
      raceArmed = false;
      faults['cancel-race']++;
      const host = rng.pick(hosts);
      // The agent exits 300 ms after its marker: most cancels come after the exit, some before.
      const wait = rng.int(0, 1200);
      track(
        delay(wait).then(async () => {
          ledger.cancels.push({ runId: run.id, at: Date.now() });
          const reply = await host.send({ cmd: 'cancel', runId: run.id });
          log(`cancel ${run.id} ${wait} ms after its agent's last step, on ${host.name}: ${reply.ok ? String(reply.result) : reply.error ?? '?'}`);
        }),
      );
      return;
    }
  };

  const keepHostsUp = async (now: number): Promise<void> => {
    if (world.liveHosts().length > 0) {
      hostRestartAt = undefined;
      return;
    }
    hostRestartAt ??= now + rng.int(1000, 5000);
    if (now >= hostRestartAt) {
      hostRestartAt = undefined;
      const host = await world.startHost();
      log(`started ${host.name}`);
    }
  };

  const chaosEnd = started + options.minutes * 60_000;
  let nextFault = Date.now() + rng.int(3000, 8000);
  let rotation: FaultKind[] = [];
  let lastCheck = 0;
  let lastTend = 0;
  let lastOrphans = Date.now();
  const chaos = async (): Promise<void> => {
    while (Date.now() < chaosEnd) {
      const now = Date.now();
      if (world.usableHosts().length === 0) availableSince = now;
      await keepHostsUp(now);
      watchRaces();
      if (now - lastTend >= 2000) {
        lastTend = now;
        await tend(now);
        await startSomething();
      }
      if (now - lastOrphans >= 20_000) {
        lastOrphans = now;
        await stopOrphans();
      }
      if (now >= nextFault) {
        if (rotation.length === 0) rotation = shuffle(rng, [...FAULT_KINDS]);
        const kind = rotation[0];
        if (await inject(kind, ctx)) {
          rotation.shift();
          // A race is counted when its cancel goes out (watchRaces), not when it is armed.
          if (kind !== 'cancel-race') {
            faults[kind]++;
            log(`fault: ${kind}`);
          }
        } else {
          rotation.push(rotation.shift()!);
        }
        nextFault = now + rng.int(2000, 7000);
      }
      if (now - lastCheck >= 1000) {
        lastCheck = now;
        await checker.tick(now, availableSince, ledger);
      }
      await delay(TICK_MS);
    }
  };
  // A failure of the soak itself is reported like a violation, after the same orderly wind-down.
  try {
    await chaos();
  } catch (err) {
    checker.violations.push({ at: Date.now(), invariant: 'the soak runs to its end', detail: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }

  // Winding down: no more faults; every host continued, orphans stopped, hosts shut down cleanly.
  print(`soak: faults over after ${((Date.now() - started) / 1000).toFixed(0)} s; winding down`);
  winding.abort();
  for (const host of world.liveHosts()) {
    if (host.stoppedSince !== undefined) {
      host.signal('SIGCONT');
      for (const o of ledger.hostOutages) if (o.pid === host.pid && o.kind === 'stop') o.to ??= Date.now();
      host.stoppedSince = undefined;
    }
  }
  await Promise.allSettled([...background]);
  availableSince = Date.now();
  if (world.usableHosts().length === 0) await world.startHost();
  const settleUntil = Date.now() + (SOAK_SETTINGS.leaseTimeoutSeconds + 2 * SOAK_SETTINGS.pmIntervalSeconds) * 1000 + SLACK_MS;
  while (Date.now() < settleUntil) {
    await checker.tick(Date.now(), availableSince, ledger);
    const stopped = await stopOrphans();
    const waitingOnPm = world.board.listRuns({ status: ['queued', 'running'] }).filter((r) => {
      const owner = parseOwner(r.owner).pid;
      return owner === undefined || !isProcessAlive(owner);
    });
    // What exited agents left running after their owners died is the PM's to stop: give it its cycle.
    const leftovers = await leftoversByRun(world.board.listRuns());
    if (stopped === 0 && waitingOnPm.length === 0 && leftovers.size === 0) break;
    await delay(1000);
  }
  await Promise.all(world.liveHosts().map((h) => stopGracefully(h)));
  // Processes of killed hosts (a git command in flight) end by themselves; a loaded machine is slow.
  for (let i = 0; i < 60 && (await processesMarked(world.marker)).length > 0; i++) await delay(500);

  checker.checkLeaseTerms(world.hosts.map((h) => h.events));
  await checker.final(ledger, world.paths.agentJournal, world.marker);
  const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: world.paths.repo, encoding: 'utf8' }).trim();
  if (dirty !== '') checker.violations.push({ at: Date.now(), invariant: 'no agent goes on in the main checkout', detail: `the main checkout changed:\n${dirty}` });
  for (const pid of await processesMarked(world.marker)) process.kill(pid, 'SIGKILL');

  const runs: Record<string, number> = {};
  for (const run of world.board.listRuns()) runs[run.status] = (runs[run.status] ?? 0) + 1;
  const failedWrites = world.hosts.flatMap((h) => h.events).filter((e) => e.kind === 'log' && /could not be saved|EFBIG|too large/i.test(e.message)).length;
  const report: SoakReport = {
    command,
    seed: options.seed,
    minutes: options.minutes,
    tookSeconds: Math.round((Date.now() - started) / 1000),
    faults,
    violations: checker.violations,
    runs,
    tickets: world.board.listTickets().length,
    failedWrites,
    folder: root,
    slackSeconds: SLACK_MS / 1000,
  };
  await world.board.close();
  for (const host of world.hosts) await host.closeLog();
  writeFileSync(path.join(root, 'report.json'), JSON.stringify(report, null, 2));
  printReport(report, print);
  if (report.violations.length === 0 && !options.keep) rmSync(root, { recursive: true, force: true });
  else print(`soak: kept ${root} (logs/, agents.jsonl, report.json, the repository and its board)`);
  return report;
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function printReport(report: SoakReport, print: (line: string) => void): void {
  print(`soak: ${report.command} took ${report.tookSeconds} s`);
  print(`  faults injected: ${Object.entries(report.faults).map(([k, n]) => `${k} ${n}`).join(', ')} (${Object.values(report.faults).reduce((a, b) => a + b, 0)} in all; ${report.failedWrites} board writes failed on a full disk)`);
  print(`  runs: ${Object.entries(report.runs).map(([k, n]) => `${n} ${k}`).join(', ')}; ${report.tickets} tickets`);
  print(`  violations: ${report.violations.length}`);
  for (const v of report.violations) print(`    ${new Date(v.at).toISOString()}  ${v.invariant}: ${v.detail}`);
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const arg = args[i];
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
}

async function main(args: string[]): Promise<void> {
  const minutes = Number(argValue(args, '--minutes') ?? '20');
  const seedArg = argValue(args, '--seed');
  const seed = seedArg === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedArg);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) throw new Error(`--minutes must be a number of minutes, not ${JSON.stringify(argValue(args, '--minutes'))}`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number, not ${JSON.stringify(seedArg)}`);
  const report = await runSoak({ minutes, seed, keep: args.includes('--keep') });
  const out = argValue(args, '--report');
  if (out) writeFileSync(out, JSON.stringify(report, null, 2));
  // Nothing of the soak may linger: its hosts are gone, and so must this process be.
  process.exit(report.violations.length === 0 ? 0 : 1);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
