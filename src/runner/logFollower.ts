/**
 * Follows a run's log file while its agent writes to it directly (the agent's stdout and stderr
 * are the file itself, so it never depends on its owner staying alive): new output is read as it
 * arrives, split into lines for the output channel, and the file is kept to its cap. Past the cap
 * the file keeps its first half, a line saying how much was left out, and the latest output; at
 * most the bytes written in the instant of a cut can be lost.
 */
import { watch, type FSWatcher } from 'node:fs';
import { appendFile, open, truncate, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from './runFiles';

const POLL_MS = 500;
const CHUNK = 64 * 1024;

export interface FollowOptions {
  maxBytes: number;
  onLine(line: string): void;
  /** Any output at all (for the run's last-output time). */
  onOutput(): void;
}

export class LogFollower {
  private handle: FileHandle | undefined;
  private position = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly splitter = new LineSplitter();
  private readonly headBytes: number;
  private readonly tailBytes: number;
  private tail: Buffer[] = [];
  private tailSize = 0;
  /** Bytes of output read so far (a cut does not change it). */
  private total = 0;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly options: FollowOptions,
  ) {
    const max = Math.max(2, Math.floor(options.maxBytes));
    this.headBytes = Math.floor(max / 2);
    this.tailBytes = max - this.headBytes;
  }

  async start(): Promise<void> {
    this.handle = await open(this.file, 'r');
    try {
      this.watcher = watch(this.file, { persistent: false }, () => void this.poke());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // Watching is a shortcut; the timer below reads anyway.
    }
    this.timer = setInterval(() => void this.poke(), POLL_MS);
    this.timer.unref();
  }

  /** Reads what is new now (coalesced with a read in progress). */
  poke(): Promise<void> {
    if (this.closed || !this.handle) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readNew()
      .catch(() => undefined)
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          void this.poke();
        }
      });
    return this.reading;
  }

  /** Reads the rest, cuts the file to its cap a last time, and stops following. */
  async finish(): Promise<void> {
    // No read starts any more (a poke now returns at once); the one in flight is waited for, so
    // the last read below never runs beside another one over the same bytes.
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    while (this.reading) await this.reading;
    await this.readNew().catch(() => undefined);
    for (const line of this.splitter.flush()) this.options.onLine(line);
    if (this.position > this.headBytes + this.tailBytes) await this.cut().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }

  private async readNew(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, this.position);
      if (bytesRead === 0) break;
      const chunk = Buffer.from(buffer.subarray(0, bytesRead));
      this.position += bytesRead;
      this.total += bytesRead;
      this.keepTail(chunk);
      this.options.onOutput();
      for (const line of this.splitter.push(this.decoder.write(chunk))) this.options.onLine(line);
    }
    // Half a cap of slack, so the file is not rewritten on every read once it is full.
    if (this.position > this.headBytes + this.tailBytes + this.tailBytes / 2) await this.cut();
  }

  /** The file becomes its first half, the marker, and the latest output read. */
  private async cut(): Promise<void> {
    const omitted = Math.max(0, this.total - this.headBytes - this.tailSize);
    await truncate(this.file, this.headBytes);
    const marker = Buffer.from(`\n[... ${omitted} bytes of output left out: the log keeps its first and last ${Math.round(this.tailBytes / 1024)} KB ...]\n`);
    const rest = Buffer.concat(this.tail);
    await appendFile(this.file, Buffer.concat([marker, rest]));
    this.position = this.headBytes + marker.length + rest.length;
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
