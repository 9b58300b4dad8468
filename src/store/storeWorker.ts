/**
 * Entry point of the store's worker thread (bundled as dist/storeWorker.js): compacts the board
 * off the extension host's main thread and reports the result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compactToTemp } from './compaction';
import type { CompactRequest } from './compaction';

export type WorkerReply = { ok: true; result: Awaited<ReturnType<typeof compactToTemp>> } | { ok: false; error: string };

const port = parentPort;
if (port !== null) {
  compactToTemp(workerData as CompactRequest).then(
    (result) => port.postMessage({ ok: true, result } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
}
