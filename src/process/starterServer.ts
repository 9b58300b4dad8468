/**
 * The process starter's side of the channel: it starts the processes and runs the tasks its parent
 * asks for and streams back what they print. Starting a process holds the starting thread while the
 * kernel copies the parent's page tables, in proportion to its memory: 7-30 ms for an extension
 * host, well under a millisecond for this small process.
 *
 * When the parent goes away (closed or killed) the channel disconnects: the processes already
 * started finish their work (a git write is never cut in half) and then the starter exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { errorMessage } from '../domain/errors';
import type { FromStarter, ToStarter } from './starterProtocol';

/** A named piece of work the parent may ask for; its text is the answer, a throw its failure. */
export type StarterTask = (params: unknown, signal: AbortSignal) => Promise<string>;

/** Variables the parent set only so this process could start (Electron's "run as node"), restored for what it starts. */
export const STARTER_RESTORE_ENV = 'AGENT_FACTORY_STARTER_RESTORE';

export function serveStarter(tasks: Record<string, StarterTask>): void {
  restoreEnvironment();
  const children = new Map<number, ChildProcess>();
  const running = new Map<number, AbortController>();
  let disconnected = false;

  const send = (message: FromStarter, sent?: () => void): void => {
    if (!process.connected) {
      sent?.();
      return;
    }
    process.send!(message, undefined, undefined, () => sent?.());
  };
  const exitWhenIdle = (): void => {
    if (disconnected && children.size === 0 && running.size === 0) process.exit(0);
  };

  const forward = (id: number, stream: 'stdout' | 'stderr', from: Readable): void => {
    from.on('data', (chunk: Buffer) => {
      // One chunk in flight per stream: a parent that reads slowly slows the child, memory stays flat.
      from.pause();
      send({ kind: 'data', id, stream, chunk }, () => from.resume());
    });
  };

  const start = (m: Extract<ToStarter, { kind: 'spawn' }>): void => {
    let child: ChildProcess;
    try {
      child = spawn(m.file, m.args, { cwd: m.cwd, env: { ...process.env, ...m.extraEnv }, stdio: [m.stdin, 'pipe', 'pipe'], windowsHide: true });
    } catch (err) {
      send({ kind: 'error', id: m.id, message: errorMessage(err), code: (err as NodeJS.ErrnoException).code });
      send({ kind: 'close', id: m.id, code: null, signal: null });
      return;
    }
    children.set(m.id, child);
    if (child.pid !== undefined) send({ kind: 'spawned', id: m.id, pid: child.pid });
    // A child that exits early closes its stdin; what was still being written to it is moot.
    child.stdin?.on('error', () => undefined);
    forward(m.id, 'stdout', child.stdout!);
    forward(m.id, 'stderr', child.stderr!);
    child.on('error', (err: NodeJS.ErrnoException) => send({ kind: 'error', id: m.id, message: err.message, code: err.code }));
    child.on('close', (code, signal) => {
      children.delete(m.id);
      send({ kind: 'close', id: m.id, code, signal });
      exitWhenIdle();
    });
  };

  const runTask = (m: Extract<ToStarter, { kind: 'task' }>): void => {
    const task = tasks[m.task];
    if (!task) {
      send({ kind: 'failed', id: m.id, message: `the process starter has no task ${JSON.stringify(m.task)}` });
      return;
    }
    const abort = new AbortController();
    running.set(m.id, abort);
    task(m.params, abort.signal).then(
      (output) => send({ kind: 'done', id: m.id, output }),
      (err: unknown) => send({ kind: 'failed', id: m.id, message: errorMessage(err) }),
    ).finally(() => {
      running.delete(m.id);
      exitWhenIdle();
    });
  };

  process.on('message', (m: ToStarter) => {
    switch (m.kind) {
      case 'spawn':
        return start(m);
      case 'stdin':
        children.get(m.id)?.stdin?.write(m.chunk);
        return;
      case 'stdin-end':
        children.get(m.id)?.stdin?.end();
        return;
      case 'kill':
        children.get(m.id)?.kill(m.signal);
        return;
      case 'task':
        return runTask(m);
      case 'cancel':
        running.get(m.id)?.abort();
        return;
    }
  });
  process.on('disconnect', () => {
    disconnected = true;
    // Nobody can write to them any more: what reads its stdin to the end can finish.
    for (const child of children.values()) child.stdin?.end();
    exitWhenIdle();
  });
}

function restoreEnvironment(): void {
  const saved = process.env[STARTER_RESTORE_ENV];
  delete process.env[STARTER_RESTORE_ENV];
  if (saved === undefined) return;
  for (const [key, value] of Object.entries(JSON.parse(saved) as Record<string, string | null>)) {
    if (value === null) delete process.env[key];
    else process.env[key] = value;
  }
}
