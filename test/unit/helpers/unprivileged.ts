/**
 * Running part of a test as a user without privileges, where file permissions are the point (root
 * reads and deletes everything). As root the step runs through `setpriv` as `nobody`; as any
 * other user it runs as that user. When neither works the test is skipped with the reason.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const NOBODY = { uid: 65534, gid: 65534 };

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Why an unprivileged step cannot run here, or undefined when it can. */
export function unprivilegedUnavailable(): string | undefined {
  if (process.platform === 'win32') return 'file permissions work differently on Windows';
  if (process.getuid?.() !== 0) return undefined;
  const probe = spawnSync('setpriv', ['--reuid', String(NOBODY.uid), '--regid', String(NOBODY.gid), '--clear-groups', 'true']);
  return probe.status === 0 ? undefined : `running as root, and setpriv cannot switch to an unprivileged user (${probe.error?.message ?? probe.stderr.toString().trim()})`;
}

/** Hands a folder tree to the unprivileged user (as root; otherwise it is the user's already). */
export function giveAway(path: string): void {
  if (process.getuid?.() !== 0) return;
  chownSync(path, NOBODY.uid, NOBODY.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) giveAway(join(path, name));
}

/** Runs `node <script> <args>` as the unprivileged user. */
export function runUnprivileged(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const asRoot = process.getuid?.() === 0;
  const program = asRoot ? 'setpriv' : process.execPath;
  const argv = asRoot ? ['--reuid', String(NOBODY.uid), '--regid', String(NOBODY.gid), '--clear-groups', process.execPath, script, ...args] : [script, ...args];
  return new Promise((resolve) => {
    execFile(program, argv, { env, maxBuffer: 32 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
