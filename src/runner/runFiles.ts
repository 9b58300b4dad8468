/**
 * A run's files under the board folder: `.factory/runs/<run id>/output.log` and `prompt.md`. The
 * run id is checked before it becomes part of a path.
 */
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
