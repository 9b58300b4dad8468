/** Content identity for scanner caches: the same bytes give the same key wherever they live. */
import { createHash } from 'node:crypto';

/** sha256 of the parts in order, each followed by a NUL so that ("ab", "c") and ("a", "bc") differ. */
export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}
