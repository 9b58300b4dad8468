/**
 * Entry point of the Security scan's matching threads (bundled as dist/matchWorker.js). A thread
 * lists a worktree's change where no process starter runs (the one-shot CLI commands: git's
 * processes are started from here, since starting one copies the process's page tables, tens of
 * milliseconds in a large process), reads batches of files (fileRead.ts) and matches the ones the
 * scan asks for; it also matches a single file handed over
 * as bytes (or, for a file too large to read whole, its path to stream from), and finds the secrets
 * in a text others mask before writing it (the Gatherer's comments). Reading, hashing, secretlint
 * and the risky-code rules all run here, never on the extension host's thread, and at a lower
 * priority than it.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../domain/errors';
import { ScanChangeLister } from '../../git/changeListing';
import { SimpleGitPort } from '../../git/simpleGitPort';
import { BatchStore } from './matchBatches';
import type { MatchReply, MatchRequest } from './matchProtocol';
import { scanContent } from './scanContent';
import { scanStreamed } from './scanStreamed';
import { findSecrets } from './secrets';
import { lowerThisThreadPriority } from '../../process/threadPriority';

const port = parentPort;
if (port !== null) {
  lowerThisThreadPriority();
  const batches = new BatchStore();
  const git = new SimpleGitPort();
  const lister = new ScanChangeLister();
  // One request at a time: a thread's reading and matching are synchronous stretches anyway, and
  // in order the bytes a batch keeps are released before the next batch is read.
  let queue: Promise<void> = Promise.resolve();
  const reply = (message: MatchReply): void => port.postMessage(message);
  port.on('message', (req: MatchRequest) => {
    if (req.kind === 'release') {
      batches.release(req.batch);
      return;
    }
    if (req.kind === 'list') {
      // Waits on git, not on this thread: it runs beside the queue.
      git.changedFiles(req.path, req.base).then(
        (changed) => reply({ id: req.id, ok: true, changed }),
        (err: unknown) => reply({ id: req.id, ok: false, error: errorMessage(err) }),
      );
      return;
    }
    if (req.kind === 'listChange') {
      lister.listChange(req.path, req.base).then(
        (listing) => reply({ id: req.id, ok: true, listing }),
        (err: unknown) => reply({ id: req.id, ok: false, error: errorMessage(err) }),
      );
      return;
    }
    queue = queue.then(async () => {
      try {
        if (req.kind === 'match') reply({ id: req.id, ok: true, result: await (req.data !== undefined ? scanContent(req.path, req.data) : scanStreamed(req.path)) });
        else if (req.kind === 'read') reply({ id: req.id, ok: true, read: batches.read(req.batch, req.files, req.maxBytes) });
        else if (req.kind === 'matchBatch') reply({ id: req.id, ok: true, results: await batches.match(req.batch, req.indices) });
        else if (req.kind === 'secrets') reply({ id: req.id, ok: true, secrets: (await findSecrets(req.path, req.text)).map((h) => h.raw) });
      } catch (err) {
        reply({ id: req.id, ok: false, error: errorMessage(err) });
      }
    });
  });
}
