/**
 * A run's files under the board folder: `.factory/runs/<run id>/output.log` and `prompt.md`. The
 * run id is checked before it becomes part of a path.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import * as path from 'node:path';
import { assertEntityId } from '../domain/ids';

export function runDir(boardDir: string, runId: string): string {
  return path.join(boardDir, 'runs', assertEntityId(runId, 'run id'));
}

export function runLogFile(boardDir: string, runId: string): string {
  return path.join(runDir(boardDir, runId), 'output.log');
}

export function runPromptFile(boardDir: string, runId: string): string {
  return path.join(runDir(boardDir, runId), 'prompt.md');
}

export async function ensureRunDir(boardDir: string, runId: string): Promise<string> {
  const dir = runDir(boardDir, runId);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The default cap on one run's log (`agentFactory.runs.maxLogKB`). */
export const DEFAULT_MAX_LOG_BYTES = 4096 * 1024;

/**
 * Appends raw output to the log file, at most `maxBytes` of it: the first half as it comes, then
 * only the latest output (the second half) is kept, in memory, and written after a marker saying
 * how much was left out when the log closes. `close` resolves once everything is on disk.
 */
export class RunLogWriter {
  private readonly stream: WriteStream;
  private failed: Error | undefined;
  private readonly headBytes: number;
  private readonly tailBytes: number;
  private written = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private omitted = 0;

  constructor(
    readonly file: string,
    maxBytes = DEFAULT_MAX_LOG_BYTES,
  ) {
    const max = Math.max(2, Math.floor(maxBytes));
    this.headBytes = Math.floor(max / 2);
    this.tailBytes = max - this.headBytes;
    this.stream = createWriteStream(file, { flags: 'a' });
    this.stream.on('error', (err) => {
      this.failed = err;
    });
  }

  write(chunk: Buffer | string): void {
    if (this.failed) return;
    let data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const room = this.headBytes - this.written;
    if (room > 0) {
      const head = data.subarray(0, room);
      this.stream.write(head);
      this.written += head.length;
      data = data.subarray(head.length);
    }
    if (data.length > 0) this.keepTail(data);
  }

  get error(): Error | undefined {
    return this.failed;
  }

  /** Bytes of output left out of the log so far. */
  get omittedBytes(): number {
    return this.omitted;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.closed || this.stream.destroyed) {
        resolve();
        return;
      }
      if (!this.failed && this.tailSize > 0) {
        let rest = Buffer.concat(this.tail);
        if (this.omitted > 0) {
          // Start the kept tail on a line of its own: the cut is at an arbitrary byte.
          const newline = rest.indexOf(10);
          if (newline >= 0 && newline < rest.length - 1) {
            this.omitted += newline + 1;
            rest = rest.subarray(newline + 1);
          }
          this.stream.write(`\n[... ${this.omitted} bytes of output left out: the log keeps its first and last ${Math.round(this.tailBytes / 1024)} KB ...]\n`);
        }
        this.stream.write(rest);
      }
      this.tail = [];
      this.tailSize = 0;
      this.stream.end(() => resolve());
      this.stream.once('error', () => resolve());
    });
  }

  private keepTail(data: Buffer): void {
    this.tail.push(data);
    this.tailSize += data.length;
    while (this.tailSize > this.tailBytes && this.tail.length > 0) {
      const first = this.tail[0];
      const excess = this.tailSize - this.tailBytes;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailSize -= first.length;
        this.omitted += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailSize -= excess;
        this.omitted += excess;
      }
    }
  }
}

/** Splits a byte stream into lines, keeping a partial last line until it is complete. */
export class LineSplitter {
  private pending = '';
  constructor(private readonly maxLine = 4000) {}

  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const parts = text.split(/\r?\n/);
    this.pending = parts.pop() ?? '';
    if (this.pending.length > this.maxLine) {
      parts.push(this.pending);
      this.pending = '';
    }
    return parts.map((line) => (line.length > this.maxLine ? `${line.slice(0, this.maxLine)}…` : line));
  }

  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}

/** The last `lines` lines of a file (reading at most its last `maxBytes`), or [] when missing. */
export async function readTail(file: string, lines = 40, maxBytes = 64 * 1024): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    let text = buffer.toString('utf8');
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
    const all = text.split(/\r?\n/);
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  } finally {
    await handle.close();
  }
}
