/**
 * Is a run still being worked? The answer decides whether the PM may call a run `lost` (and so
 * heal its ticket), so it errs on the side of "alive" whenever there is evidence of life:
 *
 * - On this machine the processes themselves are the evidence. An agent whose process is alive
 *   (the same process that started, not a reused pid) is working, whoever owns it; if its owner
 *   is gone it is an orphan, still alive until someone stops it. An owner whose process is alive
 *   records its runs' outcomes itself, even when it was stalled (suspended, stopped in a debugger)
 *   and has not heartbeated for a while. Only when both are gone is the run lost.
 * - Runs owned on another machine can only be judged by their owner's heartbeat; silence that
 *   began before this process itself stalled does not count, since the other side may have been
 *   asleep too.
 */
import { isLive, type Run } from './run';

export interface ProcessProbe {
  readonly hostname: string;
  /** The pid exists and has not exited. */
  isAlive(pid: number): boolean;
  /** Whether `pid` is still the process recorded with `startToken`; undefined when it cannot be told. */
  isSameProcess(pid: number, startToken: string | undefined): boolean | undefined;
}

export interface LivenessContext {
  now: number;
  heartbeatTimeoutMs: number;
  probe: ProcessProbe;
  /** When this process last came back from a stall of its own; silence before does not count. */
  awakeSince?: number | undefined;
  /** Runs whose agent's process tree was just seen alive (its leader may have exited). */
  treeAlive?: ReadonlySet<string> | undefined;
}

export type Liveness = { alive: true; orphan: boolean } | { alive: false; reason: string };

export interface OwnerId {
  host: string;
  pid?: number | undefined;
}

/** Owner ids are `<hostname>:<pid>:<random>`. */
export function parseOwner(owner: string): OwnerId {
  const [host = '', pid] = owner.split(':');
  const n = Number(pid);
  return { host, pid: Number.isInteger(n) && n > 0 ? n : undefined };
}

export function ownerHost(owner: string): string {
  return parseOwner(owner).host;
}

export function runLiveness(run: Run, ctx: LivenessContext): Liveness {
  if (!isLive(run)) return { alive: false, reason: `it ended ${run.status}` };
  const { probe } = ctx;
  const owner = parseOwner(run.owner);
  if (owner.host === probe.hostname) {
    const ownerAlive = owner.pid !== undefined && probe.isAlive(owner.pid);
    if (agentAlive(run, ctx)) return { alive: true, orphan: !ownerAlive };
    if (ownerAlive) return { alive: true, orphan: false };
    const what = run.pid !== undefined ? `its agent (process ${run.pid}) and its owner are gone` : 'its owner is gone';
    return { alive: false, reason: `${what}, and no outcome was recorded (window closed or crashed)` };
  }
  const since = Math.max(run.heartbeatAt, ctx.awakeSince ?? -Infinity);
  const silence = ctx.now - since;
  if (silence > ctx.heartbeatTimeoutMs) {
    return { alive: false, reason: `its owner on ${owner.host || 'another machine'} has not reported for ${Math.round(silence / 1000)} s` };
  }
  return { alive: true, orphan: false };
}

function agentAlive(run: Run, ctx: LivenessContext): boolean {
  if (run.pid === undefined) return false;
  if (ctx.treeAlive?.has(run.id)) return true;
  return ctx.probe.isAlive(run.pid) && ctx.probe.isSameProcess(run.pid, run.processStart) !== false;
}
