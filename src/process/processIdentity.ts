/**
 * Who a pid is. A pid is reused once its process is gone, so a pid alone never justifies a signal:
 * a run records its agent's start token (the boot it started in and its start time in clock ticks)
 * and anything that stops the agent later compares it first. Undefined where it cannot be told
 * (no /proc), and then nothing acts on the pid by itself.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hasProcFs, readProcStat, readProcStatSync } from './procStat';

let bootId: string | undefined;

/** The kernel's id of this boot: start times count from it. */
function currentBootId(): string | undefined {
  if (!hasProcFs) return undefined;
  // Read once: it cannot change while this process lives.
  bootId ??= (() => {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return '';
    }
  })();
  return bootId === '' ? undefined : bootId;
}

function token(startTicks: number | undefined): string | undefined {
  const boot = currentBootId();
  return boot === undefined || startTicks === undefined ? undefined : `${boot}/${startTicks}`;
}

/** The start token of a live process, or undefined (gone, or not knowable here). */
export function processStartTokenSync(pid: number): string | undefined {
  return token(readProcStatSync(pid)?.startTicks);
}

export async function processStartToken(pid: number): Promise<string | undefined> {
  return token((await readProcStat(pid))?.startTicks);
}

/**
 * True when `pid` is the process recorded with `expected`; false when it is gone or another
 * process took its pid; undefined when the identity cannot be checked (nothing recorded, no /proc).
 */
export function isSameProcess(pid: number, expected: string | undefined): boolean | undefined {
  if (expected === undefined || !hasProcFs) return undefined;
  const now = processStartTokenSync(pid);
  return now !== undefined && now === expected;
}

/**
 * Whether the process's environment holds `name=value` (how the runner marks an agent with its run
 * id); undefined where environments cannot be read. For runs recorded without a start token.
 */
export async function processHasEnv(pid: number, name: string, value: string): Promise<boolean | undefined> {
  if (!hasProcFs) return undefined;
  try {
    return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes(`${name}=${value}`);
  } catch {
    return false;
  }
}

/**
 * The start time (clock ticks) a start token records, when it was taken in this boot; `other-boot`
 * when it was taken in an earlier one (nothing of that boot still runs); undefined when unknown.
 */
export function startTicksThisBoot(startToken: string | undefined): number | 'other-boot' | undefined {
  const boot = currentBootId();
  if (startToken === undefined || boot === undefined) return undefined;
  const slash = startToken.lastIndexOf('/');
  if (startToken.slice(0, slash) !== boot) return 'other-boot';
  const ticks = Number(startToken.slice(slash + 1));
  return Number.isInteger(ticks) ? ticks : undefined;
}
