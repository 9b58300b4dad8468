/**
 * The write half of a scan: turns one ticket's scan outcome into findings, bugs and threads in
 * a few short writes, and records the scan for the Security gate (last, so a recorded scan always
 * has its findings). A new finding opens a bug and a thread on its line; a moved one updates both,
 * also into a renamed file (git's rename detection, or the same finding gone from one file and
 * found in another); a gone one marks the bug fixed and resolves the thread; a finding that comes
 * back reopens them.
 */
import { performance } from 'node:perf_hooks';
import { openSecurityBlockers } from '../../domain/gates';
import { notScannedWhy, type NotScannedFile } from '../../domain/securityScan';
import type { Bug } from '../../domain/ticket';
import type { Board, BoardTx, Finding } from '../../store/api';
import type { FileOutcome, TicketScan } from './collect';
import { FINGERPRINT_PREFIX, identityHash, SECURITY_AUTHOR, SECURITY_SCANNER, securityFingerprint, type SecurityFindingData } from './model';
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

/** Where one ticket's scan outcome goes, decided from the board as it stood; nothing written yet. */
interface ReconcilePlan {
  ticketId: string;
  /** Each finding found, with the fingerprint it is recorded under, in order. */
  placements: Array<{ path: string; contentKey: string; raw: RawFinding; fp: string }>;
  /** Live findings no longer found, with why. */
  gone: Array<{ fp: string; reason: string }>;
}

/**
 * How long one write may spend placing findings, in ms: a new finding is a few statements (the
 * finding, its bug, its thread and first message), and a cold scan of many files may place
 * dozens. A write places at least one, so every write makes progress.
 */
export const PLACE_WRITE_MS = 4;

/**
 * The outcome in several writes: the placements, as many per write as fit in
 * {@link PLACE_WRITE_MS}, then the findings gone and the scan record, so no one write holds the
 * thread long. Each write reads the bugs, threads and findings it touches again; a finding placed
 * twice (a write repeated after a stopped cycle) is recognised by its fingerprint.
 */
export async function reconcileInWrites(board: Board, scan: TicketScan, scannedAt: number): Promise<ReconcileReport> {
  // Planned inside the first write, on the board as it is then, like the placements after it.
  const first = await board.write((tx) => {
    const until = performance.now() + PLACE_WRITE_MS;
    const plan = planTicket(tx, scan);
    return plan && { plan, ...placeFindings(tx, plan, 0, until) };
  });
  if (!first) return { changes: [], live: 0 };
  const { plan } = first;
  const changes = [...first.changes];
  for (let next = first.next; next < plan.placements.length; ) {
    const placed = await board.write((tx) => (tx.getTicket(plan.ticketId) ? placeFindings(tx, plan, next, performance.now() + PLACE_WRITE_MS) : { changes: [], next: plan.placements.length }));
    changes.push(...placed.changes);
    next = placed.next;
  }
  const end = await board.write((tx) => (tx.getTicket(plan.ticketId) ? finishTicket(tx, plan, scan, scannedAt) : { changes: [], live: 0 }));
  return { changes: [...changes, ...end.changes], live: end.live };
}

/** Which fingerprint each finding is recorded under, and which live findings are gone; undefined when the ticket was deleted. */
function planTicket(tx: BoardTx, scan: TicketScan): ReconcilePlan | undefined {
  const ticket = tx.getTicket(scan.ticketId);
  // Deleted while the scan ran: nothing to hang findings on.
  if (!ticket) return undefined;
  const ticketId = ticket.id;
  const plan: ReconcilePlan = { ticketId, placements: [], gone: [] };
  const existing = new Map<string, Finding>();
  const byLocation = new Map<string, Finding>();
  for (const f of tx.listFindings({ scanner: SECURITY_SCANNER, ticketId, includeGone: true })) {
    existing.set(f.fingerprint, f);
    const id = (f.data as Partial<SecurityFindingData> | undefined)?.identityHash;
    if (typeof id === 'string') byLocation.set(locationKey(f.kind, id, f.file), f);
  }
  const renamedFrom = new Map([...scan.renames].map(([from, to]) => [to, from]));

  const present = new Set<string>();
  const standing = new Set<string>();
  const outcomeOf = new Map<string, FileOutcome>();
  const unplaced: Array<{ file: FileOutcome & { state: 'scanned' }; raw: RawFinding; id: string }> = [];
  const place = (file: FileOutcome & { state: 'scanned' }, raw: RawFinding, fp: string): void => {
    present.add(fp);
    plan.placements.push({ path: file.path, contentKey: file.contentKey, raw, fp });
  };
  for (const file of scan.files) {
    outcomeOf.set(file.path, file);
    if (file.state === 'unchanged-with-findings' || file.state === 'deferred') standing.add(file.path);
    if (file.state !== 'scanned') continue;
    for (const raw of file.findings) {
      const id = identityHash(raw.rule, raw.identity);
      const from = renamedFrom.get(file.path);
      const known =
        byLocation.get(locationKey(raw.rule, id, file.path)) ??
        existing.get(securityFingerprint(ticketId, raw.rule, file.path, raw.identity)) ??
        (from === undefined ? undefined : (byLocation.get(locationKey(raw.rule, id, from)) ?? existing.get(securityFingerprint(ticketId, raw.rule, from, raw.identity))));
      if (known && !present.has(known.fingerprint)) place(file, raw, known.fingerprint);
      else unplaced.push({ file, raw, id });
    }
  }
  // A finding gone from one file and found in another, with no rename git could see (a move of
  // uncommitted files, a copy-and-delete): the same finding, followed rather than fixed and refiled.
  for (const { file, raw, id } of unplaced) {
    const moved = [...existing.values()].find(
      (f) => f.goneAt === undefined && !present.has(f.fingerprint) && f.kind === raw.rule && !standing.has(f.file) && (f.data as Partial<SecurityFindingData> | undefined)?.identityHash === id,
    );
    place(file, raw, moved?.fingerprint ?? securityFingerprint(ticketId, raw.rule, file.path, raw.identity));
  }

  for (const f of existing.values()) {
    if (f.goneAt !== undefined || present.has(f.fingerprint) || standing.has(f.file)) continue;
    plan.gone.push({ fp: f.fingerprint, reason: goneReason(outcomeOf.get(f.file)) });
  }
  return plan;
}

/**
 * Records the plan's placements from `from` on, with the bugs and threads they open, move or
 * reopen, until `until` (performance.now()) has passed; at least one. `next` is the first not placed.
 */
function placeFindings(tx: BoardTx, plan: ReconcilePlan, from: number, until: number): { changes: FindingChange[]; next: number } {
  const { ticketId } = plan;
  const bugs = new Map<string, Bug>();
  for (const b of tx.listBugs(ticketId)) if (b.fingerprint?.startsWith(FINGERPRINT_PREFIX)) bugs.set(b.fingerprint, b);
  const changes: FindingChange[] = [];
  let next = from;
  while (next < plan.placements.length) {
    const p = plan.placements[next++];
    const change = applyPresent(tx, ticketId, p.path, p.contentKey, p.raw, p.fp, tx.getFinding(p.fp), bugs);
    if (change) changes.push(change);
    if (performance.now() >= until) break;
  }
  return { changes, next };
}

/** Marks the plan's gone findings fixed and records the scan for the Security gate. */
function finishTicket(tx: BoardTx, plan: ReconcilePlan, scan: TicketScan, scannedAt: number): ReconcileReport {
  const { ticketId } = plan;
  const report: ReconcileReport = { changes: [], live: 0 };
  const bugs = new Map<string, Bug>();
  for (const b of tx.listBugs(ticketId)) if (b.fingerprint?.startsWith(FINGERPRINT_PREFIX)) bugs.set(b.fingerprint, b);
  for (const g of plan.gone) {
    const f = tx.getFinding(g.fp);
    if (!f || f.goneAt !== undefined) continue;
    const change = applyGone(tx, ticketId, f, g.reason, bugs.get(g.fp));
    if (change) report.changes.push(change);
  }
  report.live = tx.listFindings({ scanner: SECURITY_SCANNER, ticketId }).length;
  const notScanned: NotScannedFile[] = [];
  for (const f of scan.files) if (f.state === 'skipped') notScanned.push({ path: f.path, reason: f.reason });
  tx.recordSecurityScan({
    ticketId,
    commit: scan.commit,
    state: scan.state,
    dirty: scan.dirty,
    complete: !scan.files.some((f) => f.state === 'deferred'),
    files: scan.changed,
    blockers: openSecurityBlockers(tx.listBugs(ticketId)).length,
    notScanned,
    scannedAt,
  });
  return report;
}

function locationKey(rule: string, identity: string, file: string): string {
  return `${rule}\0${identity}\0${file}`;
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
    identityHash: identityHash(raw.rule, raw.identity),
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
  if (outcome.state === 'skipped') return `The file is no longer scanned: ${notScannedWhy(outcome.reason)}`;
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
