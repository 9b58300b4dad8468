/**
 * A matching thread's batches: what it read of each (fileRead.ts), and the bytes of files read
 * whole, kept until the scan says which of them to match so that a new file is read from disk
 * once. The bytes kept are bounded; a file past the bound, or one whose content key the caller
 * already held, is read again when it is matched.
 */
import { readFileSync, statSync } from 'node:fs';
import { READ_WHOLE_BYTES, readForScan, type ReadFile, type ReadResult } from './fileRead';
import { scanContent, type ContentResult } from './scanContent';
import { scanStreamed } from './scanStreamed';

/** Bytes a thread keeps between reading a batch and matching it. */
const KEEP_BYTES = 32 * 1024 * 1024;

interface Batch {
  files: ReadFile[];
  data: Map<number, Uint8Array>;
}

export class BatchStore {
  private readonly batches = new Map<number, Batch>();
  private kept = 0;

  read(id: number, files: ReadFile[], maxBytes: number): ReadResult[] {
    const batch: Batch = { files, data: new Map() };
    const results = files.map((file, i) => {
      const { result, data } = readForScan(file, maxBytes);
      if (data !== undefined && this.kept + data.byteLength <= KEEP_BYTES) {
        batch.data.set(i, data);
        this.kept += data.byteLength;
      }
      return result;
    });
    this.batches.set(id, batch);
    return results;
  }

  async match(id: number, indices: readonly number[]): Promise<ContentResult[]> {
    const batch = this.batches.get(id);
    if (!batch) throw new Error(`no batch ${id} in this scan thread`);
    try {
      const out: ContentResult[] = [];
      for (const i of indices) {
        const file = batch.files[i];
        if (!file) throw new Error(`no file ${i} in batch ${id}`);
        const data = batch.data.get(i);
        if (data !== undefined) out.push(await scanContent(file.path, data));
        else if (statSync(file.path).size > READ_WHOLE_BYTES) out.push(await scanStreamed(file.path));
        else out.push(await scanContent(file.path, readFileSync(file.path)));
      }
      return out;
    } finally {
      this.release(id);
    }
  }

  release(id: number): void {
    const batch = this.batches.get(id);
    if (!batch) return;
    for (const data of batch.data.values()) this.kept -= data.byteLength;
    this.batches.delete(id);
  }
}
