/** The findings of a file too large to read whole, matched window by window as it streams from disk. */
import { createReadStream } from 'node:fs';
import { FactoryError } from '../../domain/errors';
import { ContentScanner, type ContentResult } from './scanContent';

const STREAM_CHUNK_BYTES = 256 * 1024;

export async function scanStreamed(abs: string, signal?: AbortSignal): Promise<ContentResult> {
  const scanner = new ContentScanner(abs);
  for await (const chunk of createReadStream(abs, { highWaterMark: STREAM_CHUNK_BYTES })) {
    if (signal?.aborted) throw new FactoryError('cancelled', 'the security scan was stopped');
    await scanner.push(chunk as Buffer);
  }
  return scanner.end();
}
