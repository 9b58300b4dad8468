/** How a security finding is named and recorded on the board. */
import { sha256Hex } from '../common/contentHash';
import type { Severity } from '../../domain/ticket';

/** The `scanner` of findings, the `foundBy` of bugs and the author of thread messages. */
export const SECURITY_SCANNER = 'security';
export { SECURITY_AUTHOR } from '../../domain/gates';
export const FINGERPRINT_PREFIX = 'security:';

/** What a finding's `data` holds; never the raw secret. */
export interface SecurityFindingData {
  /** Content key of the file the finding was last seen in (see contentKeyOf in fileRead.ts). */
  contentKey: string;
  rulesVersion: string;
  severity: Severity;
  title: string;
  message: string;
  column: number;
  /** Hash of the finding's identity (the secret's digest, the redacted statement), to follow it into a renamed file. */
  identityHash?: string | undefined;
}

/**
 * Stable across line moves and rescans: ticket, rule, file and the finding's identity (a secret's
 * digest or the normalized, redacted line), never the line number. The ticket is part of it because
 * two tickets may carry the same change in their own worktrees, and each gets its own bug.
 */
export function securityFingerprint(ticketId: string, rule: string, file: string, identity: string): string {
  return FINGERPRINT_PREFIX + sha256Hex(ticketId, rule, file, identity).slice(0, 40);
}

/** The identity as findings store it: short, and revealing nothing of a secret. */
export function identityHash(rule: string, identity: string): string {
  return sha256Hex(rule, identity).slice(0, 32);
}
