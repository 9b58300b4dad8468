/**
 * Runs the calling test file again inside a network namespace whose only interface is loopback
 * (`unshare -n`, or `unshare -rn` where only user namespaces are allowed), so that the programs
 * it starts can reach 127.0.0.1 and nothing else. Must run before `node:test` is loaded: the
 * re-run inherits stdout and carries the file's results to the test runner, and this process exits
 * with its status. Where no namespace can be made, the file runs here and says so.
 */
import { spawnSync } from 'node:child_process';

const INSIDE = 'AGENT_FACTORY_TEST_LOOPBACK_ONLY';

export interface LoopbackNetwork {
  /** True when this process is inside the loopback-only namespace. */
  isolated: boolean;
  /** For test titles: how the network is restricted, or why it is not. */
  description: string;
}

const BRING_UP_LOOPBACK = 'ip link set lo up && exec "$@"';

function namespaceFlags(): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const flags of [['-n'], ['-r', '-n']]) {
    const probe = spawnSync('unshare', [...flags, '--', 'sh', '-c', BRING_UP_LOOPBACK, 'sh', 'true'], { stdio: 'ignore', timeout: 10_000 });
    if (probe.status === 0) return flags;
  }
  return undefined;
}

export function runInLoopbackNamespace(env: Record<string, string> = {}): LoopbackNetwork {
  if (process.env[INSIDE] !== undefined) return { isolated: true, description: `network: loopback only (unshare ${process.env[INSIDE]})` };
  const flags = namespaceFlags();
  if (!flags) return { isolated: false, description: 'network: NOT isolated (unshare -n is not available here)' };
  const script = process.argv[1];
  if (script === undefined) throw new Error('no script to run again in the network namespace');
  const rerun = spawnSync('unshare', [...flags, '--', 'sh', '-c', BRING_UP_LOOPBACK, 'sh', process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...env, [INSIDE]: flags.join(' ') },
  });
  process.exit(rerun.status ?? 1);
}
