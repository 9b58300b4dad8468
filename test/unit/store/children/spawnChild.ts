import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface Child {
  proc: ChildProcess;
  /** Every complete stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves with the first line matching, or rejects after `timeoutMs` / when the child exits first. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** One line on the child's stdin (started with `stdin: true`). */
  send(line: string): void;
}

export interface ChildOptions {
  /** Keep stdin open for `send`. */
  stdin?: boolean;
  /** Run node under these program and arguments (for example `unshare --pid --fork`). */
  wrapper?: string[];
}

/** Runs a compiled node script as a child process and follows its output line by line. */
export function startChild(script: string, args: string[], options: ChildOptions = {}): Child {
  const [program, ...before] = [...(options.wrapper ?? []), process.execPath, script, ...args];
  const proc = spawn(program ?? process.execPath, before, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  let errText = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => (errText += chunk));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    stderr: () => errText,
    exited,
    waitForLine(re, timeoutMs = 30_000) {
      const found = lines.find((l) => re.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stderr: ${errText}`)), timeoutMs);
        const waiter = {
          re,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(waiter);
        void exited.then((code) => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            reject(new Error(`child exited (${code}) before printing ${re}; stderr: ${errText}`));
          }
        });
      });
    },
    send(line) {
      proc.stdin?.write(`${line}\n`);
    },
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
