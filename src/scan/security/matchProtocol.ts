/** The messages between the Security scan and its matching threads (see matchPool.ts). */
import type { ContentResult } from './scanContent';

export interface MatchRequest {
  id: number;
  /** The file's real name (absolute): the rules look at its name, a binary-format rule reads it there. */
  path: string;
  /** The file's bytes; absent for a file to stream from `path`. */
  data?: Uint8Array | undefined;
}

export type MatchReply = { id: number; ok: true; result: ContentResult } | { id: number; ok: false; error: string };
