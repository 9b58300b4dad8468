/**
 * Where this process starts its short-lived commands (git, lsof). Starting a process holds the
 * starting thread while the kernel copies its page tables, in proportion to its memory: 7-30 ms
 * in an extension host, a dropped frame for every extension each time the background agents run
 * git. The editor and `serve` therefore hand those starts to one small long-lived child, the
 * process starter (starterServer.ts), over an IPC channel: the host only sends a message.
 * Elsewhere (the one-shot CLI commands, tests) commands start here, directly; both ways give the
 * same `StartedProcess`.
 *
 * The starter is started lazily, ended with its owner (useProcessStarter / stopProcessStarter) and
 * restarted when it dies, with the error logged; the commands it was running fail like a git that
 * crashed. Should it keep dying, commands start directly again, said once in the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { FactoryError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { FromStarter, StarterStdin, ToStarter } from './starterProtocol';
import { STARTER_RESTORE_ENV } from './starterServer';

/** What a started command offers, whichever way it was started (a ChildProcess is one). */
export interface StartedProcess extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface StartOptions {
  cwd: string;
  /** Added to the inherited environment. */
  extraEnv?: Record<string, string> | undefined;
  stdin?: StarterStdin | undefined;
  /** Aborting kills the process (SIGTERM); it still closes as usual. */
  signal?: AbortSignal | undefined;
}

export interface ProcessStarterOptions {
  /** The starter's script; by default the one beside this module (see defaultStarterScript). */
  script?: string;
  log: Logger;
}

/** dist/processStarter.js beside the bundles (the extension's and the CLI's), or the compiled one in tests. */
export function defaultStarterScript(): string {
  const bundled = join(__dirname, 'processStarter.js');
  // Compiled, this module itself is processStarter.js: the starter's program is src/git's.
  return bundled !== __filename && existsSync(bundled) ? bundled : join(__dirname, '..', 'git', 'processStarterMain.js');
}

/** Deaths within this window that make commands start directly again. */
const CRASH_WINDOW_MS = 60_000;
const MAX_CRASHES = 3;

let settings: Required<ProcessStarterOptions> | undefined;
let connection: Connection | undefined;
let crashes: number[] = [];

/** From now on this process's commands start in a process starter (the editor calls this once). */
export function useProcessStarter(options: ProcessStarterOptions): void {
  settings = { ...options, script: options.script ?? defaultStarterScript() };
  crashes = [];
}

/** Commands start here again; the starter exits once what it started has finished. */
export function stopProcessStarter(): void {
  settings = undefined;
  const c = connection;
  connection = undefined;
  c?.close();
}

/**
 * Whether this process's commands start in a process starter (the editor, until the starter has
 * died too often). Work that runs in a thread only so that starting git does not hold this one can
 * then stay here.
 */
export function usesProcessStarter(): boolean {
  return settings !== undefined;
}

/** The starter's pid while one runs (for the log and tests). */
export function processStarterPid(): number | undefined {
  return connection?.pid;
}

/** Starts `file args` without a shell, in the process starter when this process uses one. */
export function startProcess(file: string, args: readonly string[], options: StartOptions): StartedProcess {
  const starter = starterConnection();
  const child = starter ? starter.spawn(file, args, options) : startHere(file, args, options);
  const { signal } = options;
  if (signal) {
    const onAbort = (): void => void child.kill('SIGTERM');
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      child.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return child;
}

/**
 * Runs one task of the starter (see serveStarter) when this process uses one; otherwise resolves
 * undefined and the caller does the work itself. Aborting the signal cancels the task.
 */
export function starterTask(task: string, params: unknown, signal?: AbortSignal): Promise<string> | undefined {
  return starterConnection()?.task(task, params, signal);
}

function startHere(file: string, args: readonly string[], options: StartOptions): StartedProcess {
  const child = spawn(file, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.extraEnv },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  return child as StartedProcess;
}

function starterConnection(): Connection | undefined {
  const s = settings;
  if (!s) return undefined;
  if (connection?.alive) return connection;
  const now = Date.now();
  crashes = crashes.filter((t) => now - t < CRASH_WINDOW_MS);
  if (crashes.length >= MAX_CRASHES || !existsSync(s.script)) {
    s.log.error(
      crashes.length >= MAX_CRASHES
        ? `The process starter died ${crashes.length} times within a minute; commands start in this process from now on.`
        : `The process starter ${s.script} is missing; commands start in this process (reinstall the extension).`,
    );
    settings = undefined;
    return undefined;
  }
  connection = new Connection(s, () => crashes.push(Date.now()));
  return connection;
}

type Waiting =
  | { kind: 'process'; child: RemoteProcess }
  | { kind: 'task'; resolve: (output: string) => void; reject: (err: Error) => void; label: string };

class Connection {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stderrTail = '';
  private closing = false;
  alive = true;

  constructor(
    private readonly options: Required<ProcessStarterOptions>,
    onCrash: () => void,
  ) {
    this.child = spawn(process.execPath, [options.script], {
      // Inside VS Code process.execPath is Electron: run it as plain node, and give what it starts
      // the environment this process has.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', [STARTER_RESTORE_ENV]: JSON.stringify({ ELECTRON_RUN_AS_NODE: process.env.ELECTRON_RUN_AS_NODE ?? null }) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      windowsHide: true,
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
    });
    this.child.on('message', (m: FromStarter) => this.receive(m));
    this.child.on('error', (err) => this.died(`could not run: ${err.message}`, onCrash));
    this.child.on('exit', (code, signal) => this.died(signal ? `killed by ${signal}` : `exit ${code ?? '?'}`, onCrash));
    this.refWhileBusy();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  spawn(file: string, args: readonly string[], options: StartOptions): RemoteProcess {
    const id = this.nextId++;
    const stdin = options.stdin ?? 'ignore';
    const child = new RemoteProcess(stdin === 'pipe' ? (m, done) => this.send(m, done) : undefined, id);
    this.waiting.set(id, { kind: 'process', child });
    this.refWhileBusy();
    this.send({ kind: 'spawn', id, file, args: [...args], cwd: options.cwd, extraEnv: options.extraEnv ?? {}, stdin });
    return child;
  }

  task(task: string, params: unknown, signal?: AbortSignal): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => this.send({ kind: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(fn: (value: T) => void) => (value: T): void => {
        signal?.removeEventListener('abort', onAbort);
        fn(value);
      };
      this.waiting.set(id, { kind: 'task', resolve: settle(resolve), reject: settle(reject), label: task });
      this.refWhileBusy();
      this.send({ kind: 'task', id, task, params });
    });
  }

  /** Ends the channel: the starter exits once what it started has finished. */
  close(): void {
    this.closing = true;
    this.alive = false;
    this.failAll('the process starter was stopped');
    if (this.child.connected) this.child.disconnect();
  }

  private send(message: ToStarter, done?: (err: Error | null) => void): void {
    if (!this.child.connected) {
      done?.(new FactoryError('git', 'the process starter is gone'));
      return;
    }
    this.child.send(message, (err) => done?.(err));
  }

  private receive(m: FromStarter): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    if (w.kind === 'task') {
      if (m.kind === 'done') w.resolve(m.output);
      else if (m.kind === 'failed') w.reject(new Error(m.message));
      else return;
      this.forget(m.id);
      return;
    }
    const child = w.child;
    switch (m.kind) {
      case 'spawned':
        child.started(m.pid, (signal) => this.send({ kind: 'kill', id: m.id, signal }));
        return;
      case 'data':
        (m.stream === 'stdout' ? child.stdout : child.stderr).push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
        return;
      case 'error':
        child.emit('error', Object.assign(new Error(m.message), { code: m.code }));
        return;
      case 'close':
        this.forget(m.id);
        child.finish(m.code, m.signal);
        return;
    }
  }

  private forget(id: number): void {
    this.waiting.delete(id);
    this.refWhileBusy();
  }

  private died(how: string, onCrash: () => void): void {
    if (!this.alive) return;
    this.alive = false;
    if (connection === this) connection = undefined;
    if (this.closing) return;
    onCrash();
    const detail = this.stderrTail.trim();
    this.options.log.warn(`The process starter stopped (${how})${detail ? `: ${detail}` : ''}; ${this.waiting.size} command(s) it ran failed, the next command starts a new one.`);
    this.failAll(`the process starter stopped (${how})`);
  }

  private failAll(why: string): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) {
      if (w.kind === 'task') w.reject(new FactoryError('git', `${w.label}: ${why}`));
      else {
        w.child.emit('error', new FactoryError('git', why));
        w.child.finish(null, null);
      }
    }
    this.refWhileBusy();
  }

  /** Keeps this process alive only while the starter works for it (a CLI exits when done). */
  private refWhileBusy(): void {
    const busy = this.waiting.size > 0 && this.alive;
    const handles: Array<{ ref(): unknown; unref(): unknown } | null | undefined> = [this.child, this.child.channel, this.child.stderr as Socket | null];
    for (const h of handles) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }
}

/** A process the starter runs, seen from here. */
class RemoteProcess extends EventEmitter implements StartedProcess {
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  readonly stdin: Writable | null;
  pid: number | undefined;
  private killer: ((signal: NodeJS.Signals) => void) | undefined;
  /** A kill asked for before the starter said the process started: sent once it has. */
  private killedWith: NodeJS.Signals | undefined;
  private closed = false;

  constructor(sendStdin: ((m: ToStarter, done: (err: Error | null) => void) => void) | undefined, id: number) {
    super();
    this.stdin = sendStdin
      ? new Writable({
          write(chunk: Buffer, _encoding, done) {
            sendStdin({ kind: 'stdin', id, chunk }, done);
          },
          final(done) {
            sendStdin({ kind: 'stdin-end', id }, done);
          },
        })
      : null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.closed) return false;
    if (this.killer) this.killer(signal);
    else this.killedWith = signal;
    return true;
  }

  started(pid: number, killer: (signal: NodeJS.Signals) => void): void {
    this.pid = pid;
    this.killer = killer;
    if (this.killedWith) killer(this.killedWith);
  }

  finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    this.stdout.push(null);
    this.stderr.push(null);
    // 'close' comes after the output has been read, as with a ChildProcess.
    let ended = 0;
    const onEnd = (): void => {
      if (++ended === 2) this.emit('close', code, signal);
    };
    for (const stream of [this.stdout, this.stderr]) {
      if (stream.readableEnded) onEnd();
      else stream.once('end', onEnd);
      // Output nobody reads is dropped, so its end is reached (a reader that has started keeps it all).
      if (stream.readableFlowing === null) stream.resume();
    }
  }
}
