/**
 * What a land leaves on the board, each in one transaction with a compare-and-set on PM_REVIEW:
 * DONE with the landed commit in the ticket's history; or back to IN_DEV with a bug the agent
 * reads (the conflicting files, or the end of the failing check's output) and the same text in
 * its inbox. A later land that succeeds marks the land bugs it supersedes fixed.
 */
import { TITLE_MAX, type Bug } from '../domain/ticket';
import { messageAgent } from '../loop/inbox';
import { ensureRunThread } from '../runner/threads';
import type { BoardTx } from '../store/api';
import type { LandStrategy } from './landSettings';

/** Who moves tickets and files bugs when landing. */
export const LAND_AUTHOR = 'Land';
const LISTED_FILES = 5;

export interface Landed {
  ticketId: string;
  base: string;
  /** The commit the base now points at. */
  commit: string;
  /** Where the base was before. */
  previous: string;
  strategy: LandStrategy;
  /** The check that passed, as a person reads it; undefined when none is configured. */
  check?: string | undefined;
}

export function landBugFingerprint(ticketId: string, kind: 'conflict' | 'check'): string {
  return `land-${kind}:${ticketId}`;
}

export function recordLanded(tx: BoardTx, l: Landed): void {
  const how = l.check ? `check passed: ${l.check}` : 'no check configured';
  tx.transition(l.ticketId, 'PM_REVIEW', 'DONE', LAND_AUTHOR, `Landed ${l.commit} on ${l.base} (${l.strategy}, ${how}); ${l.base} was at ${l.previous}`);
  for (const bug of openLandBugs(tx, l.ticketId)) tx.setBugFixed(bug.id, true);
  tx.addMessage({
    conversationId: ensureRunThread(tx, l.ticketId).id,
    author: LAND_AUTHOR,
    kind: 'system',
    body: `${l.ticketId} landed on ${l.base} as ${l.commit.slice(0, 12)} (${l.strategy}, ${how}).`,
    metadata: { landed: l.commit, base: l.base, previous: l.previous },
  });
}

/**
 * The base moved to the landed commit, but someone moved the ticket in the moment between the last
 * look and the write: it stays where they put it, and its run thread says what landed.
 */
export function recordLandedElsewhere(tx: BoardTx, l: Landed): void {
  const status = tx.getTicket(l.ticketId)?.status ?? 'gone';
  tx.addMessage({
    conversationId: ensureRunThread(tx, l.ticketId).id,
    author: LAND_AUTHOR,
    kind: 'system',
    body: `${l.ticketId} landed on ${l.base} as ${l.commit.slice(0, 12)}, but it had been moved to ${status} meanwhile, so it was left there.`,
    metadata: { landed: l.commit, base: l.base, previous: l.previous },
  });
}

export function recordConflict(tx: BoardTx, ticketId: string, base: string, branch: string, files: readonly string[]): Bug {
  const listed = files.slice(0, LISTED_FILES).join(', ') + (files.length > LISTED_FILES ? ` and ${files.length - LISTED_FILES} more` : '');
  const description = [
    `Bringing ${branch} up to date with ${base} stopped on conflicts in:`,
    ...files.map((f) => `- ${f}`),
    '',
    `Nothing was landed and ${base} did not move; the attempt was aborted, so the branch is as it was. Rebase ${branch} onto ${base}, resolve the conflicts, commit, and finish the stage again.`,
  ].join('\n');
  return sendBack(tx, ticketId, {
    title: `Conflicts with ${base} in ${files.length} file${files.length === 1 ? '' : 's'}: ${listed}`,
    description,
    file: files.length === 1 ? files[0] : undefined,
    fingerprint: landBugFingerprint(ticketId, 'conflict'),
    note: `Land conflict with ${base} in ${listed}`,
  });
}

/** `tail` must already be masked. */
export function recordCheckFailed(tx: BoardTx, ticketId: string, base: string, check: string, why: string, tail: string): Bug {
  const description = [
    `The land check \`${check}\` ${why} after ${ticketId} was brought up to date with ${base}; nothing was landed and ${base} did not move.`,
    '',
    'The end of its output:',
    '',
    tail.trim() === '' ? '(no output)' : tail,
  ].join('\n');
  return sendBack(tx, ticketId, {
    title: `Land check failed: ${check} ${why}`,
    description,
    fingerprint: landBugFingerprint(ticketId, 'check'),
    note: `Land check failed: ${check} ${why}`,
  });
}

function sendBack(tx: BoardTx, ticketId: string, b: { title: string; description: string; file?: string | undefined; fingerprint: string; note: string }): Bug {
  tx.transition(ticketId, 'PM_REVIEW', 'IN_DEV', LAND_AUTHOR, b.note);
  for (const bug of openLandBugs(tx, ticketId)) tx.setBugFixed(bug.id, true);
  const bug = tx.addBug({
    ticketId,
    title: [...b.title].length > TITLE_MAX ? `${[...b.title].slice(0, TITLE_MAX - 1).join('')}…` : b.title,
    description: b.description,
    severity: 'medium',
    foundBy: LAND_AUTHOR,
    ...(b.file !== undefined ? { file: b.file } : {}),
    fingerprint: b.fingerprint,
  });
  messageAgent(tx, { ticketId, author: LAND_AUTHOR, kind: 'system', body: `${b.title}\n\n${b.description}` });
  return bug;
}

function openLandBugs(tx: BoardTx, ticketId: string): Bug[] {
  const prints = new Set([landBugFingerprint(ticketId, 'conflict'), landBugFingerprint(ticketId, 'check')]);
  return tx.listBugs(ticketId).filter((b) => !b.fixed && b.fingerprint !== undefined && prints.has(b.fingerprint));
}
