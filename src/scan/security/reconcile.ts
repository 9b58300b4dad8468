/**
 * The write half of a scan: turns one ticket's scan outcome into findings, bugs and threads inside
 * the caller's transaction. A new finding opens a bug and a thread on its line; a moved one
 * updates both; a gone one marks the bug fixed and resolves the thread; a finding that comes back
 * reopens them.
 */
import type { Bug } from '../../domain/ticket';
import type { BoardTx, Finding } from '../../store/api';
import type { FileOutcome, TicketScan } from './collect';
import { FINGERPRINT_PREFIX, SECURITY_AUTHOR, SECURITY_SCANNER, securityFingerprint, type SecurityFindingData } from './model';
import { SECURITY_RULES_VERSION, type RawFinding } from './scanText';

export type FindingChangeKind = 'new' | 'moved' | 'fixed' | 'reopened';

/** What changed, for the log and the activity line; every text in it is already masked. */
export interface FindingChange {
  kind: FindingChangeKind;
  ticketId: string;
  rule: string;
  severity: string;
  file: string;
  line: number;
  shown: string;
}

export interface ReconcileReport {
  changes: FindingChange[];
  /** Live findings of the ticket after the write. */
  live: number;
}

const TITLE_MAX = 200;

export function reconcileTicket(tx: BoardTx, scan: TicketScan): ReconcileReport {
  const report: ReconcileReport = { changes: [], live: 0 };
  const ticket = tx.getTicket(scan.ticketId);
  // Deleted while the scan ran: nothing to hang findings on.
  if (!ticket) return report;
  const ticketId = ticket.id;
  const existing = new Map<string, Finding>();
  for (const f of tx.listFindings({ scanner: SECURITY_SCANNER, ticketId, includeGone: true })) existing.set(f.fingerprint, f);
  const bugs = new Map<string, Bug>();
  for (const b of tx.listBugs(ticketId)) if (b.fingerprint?.startsWith(FINGERPRINT_PREFIX)) bugs.set(b.fingerprint, b);

  const present = new Set<string>();
  const standing = new Set<string>();
  const outcomeOf = new Map<string, FileOutcome>();
  for (const file of scan.files) {
    outcomeOf.set(file.path, file);
    if (file.state === 'unchanged-with-findings' || file.state === 'deferred') standing.add(file.path);
    if (file.state !== 'scanned') continue;
    if (file.findings.length === 0) tx.markScanned(file.contentKey, SECURITY_RULES_VERSION);
    for (const raw of file.findings) {
      const fp = securityFingerprint(ticketId, raw.rule, file.path, raw.identity);
      present.add(fp);
      const change = applyPresent(tx, ticketId, file.path, file.contentKey, raw, fp, existing.get(fp), bugs);
      if (change) report.changes.push(change);
    }
  }

  for (const f of existing.values()) {
    if (f.goneAt !== undefined || present.has(f.fingerprint) || standing.has(f.file)) continue;
    const change = applyGone(tx, ticketId, f, goneReason(outcomeOf.get(f.file)), bugs.get(f.fingerprint));
    if (change) report.changes.push(change);
  }
  report.live = tx.listFindings({ scanner: SECURITY_SCANNER, ticketId }).length;
  return report;
}

function applyPresent(
  tx: BoardTx,
  ticketId: string,
  file: string,
  contentKey: string,
  raw: RawFinding,
  fp: string,
  previous: Finding | undefined,
  bugs: Map<string, Bug>,
): FindingChange | undefined {
  const data: SecurityFindingData = {
    contentKey,
    rulesVersion: SECURITY_RULES_VERSION,
    severity: raw.severity,
    title: raw.title,
    message: raw.message,
    column: raw.column,
  };
  tx.upsertFinding({ fingerprint: fp, scanner: SECURITY_SCANNER, ticketId, kind: raw.rule, file, line: raw.line, text: raw.shown, data: { ...data } });
  const change = (kind: FindingChangeKind): FindingChange => ({ kind, ticketId, rule: raw.rule, severity: raw.severity, file, line: raw.line, shown: raw.shown });

  let bug = bugs.get(fp);
  let thread = tx.findConversation(ticketId, fp);
  if (!bug) {
    const title = clip(`${raw.title} in ${file}`, TITLE_MAX);
    bug = tx.addBug({
      ticketId,
      title,
      description: `${raw.message}\n\nFound: ${raw.shown}\nRule: ${raw.rule}`,
      severity: raw.severity,
      foundBy: SECURITY_AUTHOR,
      file,
      line: raw.line,
      rule: raw.rule,
      fingerprint: fp,
    });
    bugs.set(fp, bug);
    if (thread) {
      // The thread outlived a deleted bug: it is about this finding again.
      if (thread.status !== 'open') tx.setConversationStatus(thread.id, 'open');
      tx.updateConversation(thread.id, { file, line: raw.line });
    } else {
      thread = tx.createConversation({ ticketId, type: 'security', title, key: fp, file, line: raw.line });
    }
    tx.addMessage({ conversationId: thread.id, author: SECURITY_AUTHOR, kind: 'finding', body: findingBody(raw, file), metadata: { fingerprint: fp, rule: raw.rule, severity: raw.severity, bugId: bug.id } });
    return change('new');
  }

  thread ??= tx.createConversation({ ticketId, type: 'security', title: bug.title, key: fp, file, line: raw.line });
  const cameBack = previous === undefined || previous.goneAt !== undefined;
  let result: FindingChange | undefined;
  if (cameBack && (bug.fixed || thread.status === 'resolved')) {
    // A bug someone marked fixed while the code still had the finding stays as they left it;
    // only a finding that really went away and came back reopens it.
    if (bug.fixed) bug = tx.setBugFixed(bug.id, false);
    if (thread.status === 'resolved') tx.setConversationStatus(thread.id, 'open');
    tx.addMessage({ conversationId: thread.id, author: SECURITY_AUTHOR, kind: 'finding', body: `Found again at line ${raw.line} of ${file}; the bug is open again.`, metadata: { fingerprint: fp } });
    result = change('reopened');
  }
  if (bug.file !== file || bug.line !== raw.line) {
    bug = tx.updateBugLocation(bug.id, file, raw.line);
    result ??= change('moved');
  }
  if (thread.file !== file || thread.line !== raw.line) tx.updateConversation(thread.id, { file, line: raw.line });
  bugs.set(fp, bug);
  return result;
}

function applyGone(tx: BoardTx, ticketId: string, finding: Finding, reason: string, bug: Bug | undefined): FindingChange | undefined {
  tx.markFindingGone(finding.fingerprint);
  if (bug && !bug.fixed) tx.setBugFixed(bug.id, true);
  const thread = tx.findConversation(ticketId, finding.fingerprint);
  if (thread && thread.status !== 'resolved') {
    tx.setConversationStatus(thread.id, 'resolved');
    const history = finding.kind.startsWith('secret/') ? ' If it was committed, the secret remains in the branch\'s history until that history is rewritten: revoke it.' : '';
    tx.addMessage({ conversationId: thread.id, author: SECURITY_AUTHOR, kind: 'system', body: `${reason}; marked fixed.${history}`, metadata: { fingerprint: finding.fingerprint } });
  }
  const data = finding.data as Partial<SecurityFindingData> | undefined;
  return { kind: 'fixed', ticketId, rule: finding.kind, severity: data?.severity ?? 'unknown', file: finding.file, line: finding.line, shown: finding.text };
}

function goneReason(outcome: FileOutcome | undefined): string {
  if (!outcome) return 'The file is no longer part of the change';
  if (outcome.state === 'skipped') {
    const why = { ignored: 'it matches agentFactory.security.ignore', 'too-large': 'it is larger than agentFactory.security.maxFileSizeKB', binary: 'it is binary now', 'not-a-file': 'it is no longer a regular file' }[outcome.reason];
    return `The file is no longer scanned: ${why}`;
  }
  return 'No longer found in the file';
}

/**
 * Plain text: threads show message bodies as untrusted text (markdown escaped), and the Tickets
 * document and the CLI print them as they are.
 */
function findingBody(raw: RawFinding, file: string): string {
  const label = raw.severity.charAt(0).toUpperCase() + raw.severity.slice(1);
  return [`${label}: ${raw.title} in ${file}`, `Found: ${raw.shown}`, raw.message, `Rule ${raw.rule}. The next scan that no longer finds it marks the bug fixed and resolves this thread.`].join('\n');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
