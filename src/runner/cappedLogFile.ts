/**
 * A run's log file kept to its cap by the one process that writes it (the masking log writer):
 * past the cap the file keeps its first half, a line saying how much was left out, and the latest
 * output. Half a cap of slack lets it grow before each cut, so it is not rewritten on every write.
 * Synchronous on purpose: it runs in a process of its own, never on a host's thread. A write that
 * fails (a full disk) is dropped, so the agent's output never stops flowing.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export class CappedLogFile {
  private readonly fd: number;
  private readonly headBytes: number;
  private readonly tailBytes: number;
  private size: number;
  /** Bytes of output written so far (a cut does not change it). */
  private total: number;
  private tail: Buffer[] = [];
  private tailSize = 0;

  constructor(file: string, maxBytes: number) {
    const max = Math.max(2, Math.floor(maxBytes));
    this.headBytes = Math.floor(max / 2);
    this.tailBytes = max - this.headBytes;
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
    this.total = this.size;
  }

  write(data: Buffer): void {
    if (data.length === 0) return;
    try {
      writeSync(this.fd, data);
    } catch {
      return;
    }
    this.size += data.length;
    this.total += data.length;
    this.keepTail(data);
    if (this.size > this.headBytes + this.tailBytes + this.tailBytes / 2) this.cut();
  }

  /** Cuts the file to its cap a last time and closes it. */
  close(): void {
    if (this.size > this.headBytes + this.tailBytes) this.cut();
    closeSync(this.fd);
  }

  /** The file becomes its first half, the marker, and the latest output. */
  private cut(): void {
    const omitted = Math.max(0, this.total - this.headBytes - this.tailSize);
    const marker = Buffer.from(`\n[... ${omitted} bytes of output left out: the log keeps its first and last ${Math.round(this.tailBytes / 1024)} KB ...]\n`);
    const rest = Buffer.concat([marker, ...this.tail]);
    try {
      ftruncateSync(this.fd, this.headBytes);
      // The file is open for appending: this lands right after the head.
      writeSync(this.fd, rest);
      this.size = this.headBytes + rest.length;
    } catch {
      // Left as it was; the next write tries again.
    }
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
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailSize -= excess;
      }
    }
  }
}
