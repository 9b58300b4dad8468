/**
 * Gates beyond the transition table: moves the table allows but the ticket's state forbids. The
 * store applies them inside `transition`, so every path (runner, drag and drop, CLI, autopilot)
 * obeys them; securityScan.ts adds the rule that the change must have been scanned as it is now.
 */
import { isForwardStep, type Status } from './status';
import { isBlockingBug, type Bug } from './ticket';

/** A person dismissed the finding (false positive, test data, accepted risk): the gate lets it pass. */
export function isDismissed(bug: Bug): boolean {
  return bug.dismissed !== undefined;
}

/** Who files Security findings as bugs. */
export const SECURITY_AUTHOR = 'Security';
const LISTED = 3;

/** Open critical/high bugs the Security agent filed, most severe first; a dismissed one is not open. */
export function openSecurityBlockers(bugs: readonly Bug[]): Bug[] {
  return bugs
    .filter((b) => b.foundBy === SECURITY_AUTHOR && isBlockingBug(b) && !isDismissed(b))
    .sort((a, b) => (a.severity === b.severity ? a.createdAt - b.createdAt : a.severity === 'critical' ? -1 : 1));
}

/**
 * A ticket with open critical or high Security findings does not move on from IN_SEC, nor reach
 * DONE by any path. Going back to IN_DEV to fix them, or to BLOCKED, stays allowed.
 */
export function securityGateRefusal(ticketId: string, from: Status, to: Status, bugs: readonly Bug[]): string | undefined {
  if (to !== 'DONE' && (from !== 'IN_SEC' || !isForwardStep(from, to))) return undefined;
  const blockers = openSecurityBlockers(bugs);
  if (blockers.length === 0) return undefined;
  const listed = blockers.slice(0, LISTED).map((b) => `${b.severity} ${b.title}${b.line !== undefined ? ` (line ${b.line})` : ''}`);
  const more = blockers.length > LISTED ? ` and ${blockers.length - LISTED} more` : '';
  const count = blockers.length === 1 ? 'an open critical/high security finding' : `${blockers.length} open critical/high security findings`;
  const where = to === 'DONE' ? 'reach DONE' : 'leave IN_SEC';
  return `${ticketId} cannot ${where} with ${count}: ${listed.join('; ')}${more}. Remove them from the code (the next Security scan marks them fixed) or mark the bugs fixed.`;
}
