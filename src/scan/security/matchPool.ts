/**
 * The threads the Security scan lists changes, reads and matches files in (secretlint and the
 * risky-code rules), so that a cold scan of thousands of files never holds the extension host's
 * thread; in the editor, whose git starts in the process starter, changes are listed on the
 * host's thread instead (see listsHere). The threads run at a lower priority than the host's
 * (threadPriority.ts). Threads start on the first request and end with {@link MatchPool.end} (the agents
 * stopping, the extension deactivating); they never keep a process alive on their own. A thread
 * that dies is replaced on the next request: the files it held fail with why (their ticket is
 * scanned again next cycle), and the death is logged, never a silent stall.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { errorMessage, FactoryError } from '../../domain/errors';
import type { ChangedFile } from '../../git/port';
import { ScanChangeLister, type ChangeListing } from '../../git/changeListing';
import { SimpleGitPort } from '../../git/simpleGitPort';
import { usesProcessStarter } from '../../process/processStarter';
import type { ReadFile, ReadResult } from './fileRead';
import { BatchStore } from './matchBatches';
import type { MatchReply, MatchRequest } from './matchProtocol';
import { scanContent, type ContentResult } from './scanContent';
import { scanStreamed } from './scanStreamed';
import { findSecrets } from './secrets';

/** Bundled beside the extension and the CLI (scripts/build.mjs); compiled beside this file in tests. */
const WORKER_FILE = 'matchWorker.js';

export interface MatchPoolOptions {
  /** Threads at most (default: the cores, between 1 and 4). */
  size?: number;
  /** The worker script (default: matchWorker.js beside this module). */
  script?: string;
  /** Where a thread's death is reported (default: console.warn). */
  warn?: (message: string) => void;
}

type Answer = Extract<MatchReply, { ok: true }>;

interface Pending {
  resolve(reply: Answer): void;
  reject(err: Error): void;
}

/** A batch of files read in one thread (see {@link MatchPool.read}). */
export interface ReadBatch {
  /** Per file, in the order asked. */
  results: ReadResult[];
  /** The findings of the files at these indices, in that order; the batch is forgotten after. */
  match(indices: number[]): Promise<ContentResult[]>;
  /** Forgets the batch without matching anything. */
  release(): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class MatchPool {
  private readonly threads: Thread[] = [];
  readonly size: number;
  private readonly script: string;
  private nextId = 1;
  private nextBatch = 1;
  /** Batches read on this thread when the worker script is missing. */
  private local: BatchStore | undefined;
  /** Lists changes on this thread when the worker script is missing. */
  private readonly localLister = new ScanChangeLister();
  /** Whether the worker script exists, checked once. */
  private scriptFound: boolean | undefined;
  /** Deaths of threads since the pool started, for tests and the log. */
  restarts = 0;
  warn: (message: string) => void;

  constructor(opts: MatchPoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? Math.min(4, availableParallelism()));
    this.script = opts.script ?? join(__dirname, WORKER_FILE);
    this.warn = opts.warn ?? ((message) => console.warn(`agent-factory: ${message}`));
  }

  /** Threads running now. */
  get running(): number {
    return this.threads.length;
  }

  /**
   * The findings of one file: `data` is its bytes (handed over to the thread: the caller must not
   * use them afterwards), or undefined to stream the file from `path`.
   */
  async match(path: string, data: Uint8Array | undefined): Promise<ContentResult> {
    // Without the worker file (an unusual packaging) the same matching runs here, window by window.
    if (!this.hasScript()) return data !== undefined ? scanContent(path, data) : scanStreamed(path);
    const whole = data !== undefined && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    const reply = await this.request(this.pick(), (id) => ({ kind: 'match', id, path, data }), whole ? [data.buffer] : []);
    if (!('result' in reply)) throw new Error('a scan thread answered a match with something else');
    return reply.result;
  }

  /**
   * Reads a batch of files in one thread (fileRead.ts): what each is, and its content key. The
   * thread keeps the bytes it read until {@link ReadBatch.match} or {@link ReadBatch.release}.
   */
  async read(files: ReadFile[], maxBytes: number): Promise<ReadBatch> {
    const batch = this.nextBatch++;
    if (!this.hasScript()) {
      const store = (this.local ??= new BatchStore());
      return { results: store.read(batch, files, maxBytes), match: (indices) => store.match(batch, indices), release: () => store.release(batch) };
    }
    const thread = this.pick();
    const reply = await this.request(thread, (id) => ({ kind: 'read', id, batch, files, maxBytes }));
    if (!('read' in reply)) throw new Error('a scan thread answered a read with something else');
    const release = (): void => {
      if (this.threads.includes(thread)) thread.worker.postMessage({ kind: 'release', batch } satisfies MatchRequest);
    };
    return {
      results: reply.read,
      match: async (indices) => {
        if (indices.length === 0) {
          release();
          return [];
        }
        const answer = await this.request(thread, (id) => ({ kind: 'matchBatch', id, batch, indices }));
        if (!('results' in answer)) throw new Error('a scan thread answered a batch with something else');
        return answer.results;
      },
      release,
    };
  }

  /**
   * What a worktree changed against its base, as GitPort.changedFiles lists it, with git's
   * processes started from a thread of the pool rather than this one (see listsHere).
   */
  async changedFiles(path: string, base: string, opts: { signal?: AbortSignal | undefined } = {}): Promise<ChangedFile[]> {
    const { signal } = opts;
    if (this.listsHere()) return new SimpleGitPort().changedFiles(path, base, { signal });
    signal?.throwIfAborted();
    const reply = await this.request(this.pick(), (id) => ({ kind: 'list', id, path, base }));
    if (signal?.aborted) throw new FactoryError('cancelled', 'the listing of the change was stopped');
    if (!('changed' in reply)) throw new Error('a scan thread answered a listing with something else');
    return reply.changed;
  }

  /**
   * What a worktree changed against its base and whether any of it is not committed, as
   * ScanChangeLister lists it, from a thread of the pool; each thread remembers the merge-bases it
   * found (an idle pool hands every listing to its first thread).
   */
  async listChange(path: string, base: string, opts: { signal?: AbortSignal | undefined } = {}): Promise<ChangeListing> {
    const { signal } = opts;
    if (this.listsHere()) return this.localLister.listChange(path, base, { signal });
    signal?.throwIfAborted();
    const reply = await this.request(this.pick(), (id) => ({ kind: 'listChange', id, path, base }));
    if (signal?.aborted) throw new FactoryError('cancelled', 'the listing of the change was stopped');
    if (!('listing' in reply)) throw new Error('a scan thread answered a listing with something else');
    return reply.listing;
  }

  /**
   * The raw value of every secret the secret rules match in `text` (named `path`), placeholders
   * included, found in a thread of the pool: what a writer of gathered text masks. secretlint is
   * loaded and run there, never on this thread.
   */
  async secretValues(path: string, text: string): Promise<string[]> {
    if (!this.hasScript()) return (await findSecrets(path, text)).map((h) => h.raw);
    const reply = await this.request(this.pick(), (id) => ({ kind: 'secrets', id, path, text }));
    if (!('secrets' in reply)) throw new Error('a scan thread answered a secrets request with something else');
    return reply.secrets;
  }

  /**
   * Listings run on this thread when there is no thread script, or when this process starts its
   * commands in a process starter (the editor): git's processes then start there. Started from one
   * of the pool's threads instead, each would copy the whole extension host's page tables, and
   * the host's thread waits for that copy whenever it touches new memory meanwhile.
   */
  private listsHere(): boolean {
    return !this.hasScript() || usesProcessStarter();
  }

  private hasScript(): boolean {
    if (this.scriptFound === undefined) {
      this.scriptFound = existsSync(this.script);
      if (!this.scriptFound) this.warn(`${this.script} is missing: the Security scan matches on this thread, window by window, and reads its files here too`);
    }
    return this.scriptFound;
  }

  private request(thread: Thread, make: (id: number) => MatchRequest, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (!this.threads.includes(thread)) return Promise.reject(new Error('the scan thread stopped before the request'));
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // Held while it has work, so a process waiting on a file does not end under it.
      thread.worker.ref();
      thread.worker.postMessage(make(id), transfer);
    });
  }

  /** Ends every thread; files in flight fail. The next request starts threads again. */
  async end(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(
      threads.map(async (t) => {
        const pending = [...t.pending.values()];
        t.pending.clear();
        for (const p of pending) p.reject(new Error('the Security scan was stopped'));
        await t.worker.terminate();
      }),
    );
  }

  /** The least busy thread, starting one while the pool has room and every thread is busy. */
  private pick(): Thread {
    let best: Thread | undefined;
    for (const t of this.threads) if (!best || t.pending.size < best.pending.size) best = t;
    if (best && (best.pending.size === 0 || this.threads.length >= this.size)) return best;
    return this.start();
  }

  private start(): Thread {
    const worker = new Worker(this.script);
    // An idle scan thread is a helper: it must not keep the CLI or a test process alive.
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    this.threads.push(thread);
    worker.on('message', (reply: MatchReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(reply.error));
    });
    const died = (why: string): void => {
      const i = this.threads.indexOf(thread);
      if (i < 0) return;
      this.threads.splice(i, 1);
      this.restarts++;
      const pending = [...thread.pending.values()];
      thread.pending.clear();
      this.warn(`a Security scan thread stopped (${why}); ${pending.length} file${pending.length === 1 ? '' : 's'} in it will be scanned again next cycle, and a new thread starts`);
      for (const p of pending) p.reject(new Error(`the scan thread stopped: ${why}`));
    };
    worker.on('error', (err) => died(errorMessage(err)));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return thread;
  }
}

/** The pool every Security scan of this process shares (the agent's cycles and the gate's scans). */
export const sharedMatchPool = new MatchPool();
