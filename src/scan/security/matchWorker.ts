/**
 * Entry point of the Security scan's matching threads (bundled as dist/matchWorker.js): each
 * request is one file's name and bytes (or, for a file too large to read whole, its path to stream
 * from), and the reply is its findings. secretlint and the risky-code rules run here, never on the
 * extension host's thread.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../domain/errors';
import type { MatchReply, MatchRequest } from './matchProtocol';
import { scanContent } from './scanContent';
import { scanStreamed } from './scanStreamed';

const port = parentPort;
if (port !== null) {
  port.on('message', (req: MatchRequest) => {
    const work = req.data !== undefined ? scanContent(req.path, req.data) : scanStreamed(req.path);
    work.then(
      (result) => port.postMessage({ id: req.id, ok: true, result } satisfies MatchReply),
      (err: unknown) => port.postMessage({ id: req.id, ok: false, error: errorMessage(err) } satisfies MatchReply),
    );
  });
}
