/** The messages between the Security scan and its matching threads (see matchPool.ts). */
import type { ChangeListing } from '../../git/changeListing';
import type { ChangedFile } from '../../git/port';
import type { ReadFile, ReadResult } from './fileRead';
import type { ContentResult } from './scanContent';

export type MatchRequest =
  /** Match one file: `data` is its bytes, or absent for a file to stream from `path`. */
  | { kind: 'match'; id: number; path: string; data?: Uint8Array | undefined }
  /** Read a batch of files (fileRead.ts); the thread keeps what it read whole until `matchBatch`. */
  | { kind: 'read'; id: number; batch: number; files: ReadFile[]; maxBytes: number }
  /** Match the batch's files at these indices (from what the thread kept, or read again) and forget the batch. */
  | { kind: 'matchBatch'; id: number; batch: number; indices: number[] }
  /** List what a worktree changed against its base (GitPort.changedFiles), so git's processes start from this thread. */
  | { kind: 'list'; id: number; path: string; base: string }
  /** The same files and whether any is not committed, from fewer git processes (changeListing.ts). */
  | { kind: 'listChange'; id: number; path: string; base: string }
  /** The raw value of every secret the secret rules match in `text`, placeholders included (for masking what is written). */
  | { kind: 'secrets'; id: number; path: string; text: string }
  /** Forget a batch's bytes without matching anything (no reply). */
  | { kind: 'release'; batch: number };

export type MatchReply =
  | { id: number; ok: true; result: ContentResult }
  | { id: number; ok: true; read: ReadResult[] }
  | { id: number; ok: true; results: ContentResult[] }
  | { id: number; ok: true; changed: ChangedFile[] }
  | { id: number; ok: true; listing: ChangeListing }
  | { id: number; ok: true; secrets: string[] }
  | { id: number; ok: false; error: string };
