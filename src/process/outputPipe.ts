/**
 * A pipe for an agent's output, both ends as file descriptors. Node gives a child's stdio socket
 * pairs, not pipes, and a Node program writing to a socket loses what it wrote just before it
 * exits (such writes are asynchronous); to a pipe, as from a shell, they land. Node has no
 * pipe(2), but a FIFO opened at both ends and unlinked at once is one: the read end is opened
 * first (non-blocking, so it needs no writer yet), then the write end (which then does not block,
 * and stays a blocking descriptor, as an agent written in any language expects of its stdout).
 * Undefined where there are no FIFOs (Windows).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';

export interface OutputPipe {
  read: number;
  write: number;
}

/** Makes the pipe through a FIFO in `dir` (removed before this resolves). */
export async function openOutputPipe(dir: string): Promise<OutputPipe | undefined> {
  if (process.platform === 'win32') return undefined;
  const fifo = path.join(dir, `output-${randomBytes(6).toString('hex')}.fifo`);
  await promisify(execFile)('mkfifo', ['-m', '600', fifo]);
  try {
    const read = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      return { read, write: openSync(fifo, constants.O_WRONLY) };
    } catch (err) {
      closeSync(read);
      throw err;
    }
  } finally {
    await unlink(fifo).catch(() => undefined);
  }
}

export function closeOutputPipe(pipe: OutputPipe): void {
  for (const fd of [pipe.read, pipe.write]) {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}
