/**
 * Turns one cycle's items into board changes inside a single transaction: matched items update
 * their ticket in place, vanished ones close theirs (or leave a note), new ones become BACKLOG
 * tickets within the noise budget.
 *
 * The Gatherer's memory is its findings (scanner "gatherer"): one live finding per tracked item,
 * pointing at its ticket, or at no ticket when the user deleted that ticket ("suppressed": still
 * followed through moves, edits and renames so it never comes back under a new fingerprint).
 */
import type { BoardReader, BoardTx, Finding } from '../../store/api';
import type { Ticket } from '../../domain/ticket';
import { createHash } from 'node:crypto';
import { FINGERPRINT_PREFIX } from './fingerprint';
import { compareByValue, DIAGNOSTICS_KIND, priorityOfRank, type GatheredItem } from './item';
import { matchItems, type MatchResult, type TrackedRecord } from './matching';
import { descriptionOf, titleOf } from './render';

export const SCANNER = 'gatherer';
export const ACTOR = 'Gatherer';
export const RESOLVED_NOTE = 'resolved in code';
const THREAD_KEY = 'gatherer';
/**
 * Meta key: items left waiting by the noise budget in files that hold tracked items, as short
 * fingerprints. Waiting items are not tracked, so without this an edit in such a file could not
 * tell a re-worded comment from a neighbour that was already there.
 */
export const WAITING_META_KEY = 'gatherer.waitingNearTracked';

export interface ReconcileInput {
  /** Everything found this cycle. */
  items: readonly GatheredItem[];
  /**
   * The pairing of tracked records and items, made once before the write (see planMatch). The
   * write uses it when the tracked records are still those it was made from, and pairs again only
   * when another process changed them meanwhile.
   */
  plan?: MatchPlan | undefined;
  /**
   * The kinds this cycle looked for. A tracked item of another kind (a tag removed from the
   * setting, diagnostics in a headless run) was not looked for, so it is not "gone".
   */
  observedKinds: ReadonlySet<string>;
  /** Files whose diagnostics are current; a diagnostics item elsewhere is gone only with its file. */
  diagnosticsCurrentFiles: ReadonlySet<string>;
  fileExists(file: string): boolean;
  renames: ReadonlyMap<string, string>;
  /**
   * Files deleted from the working tree but not from the index: maybe renamed outside git. Their
   * items are left alone until the change is staged or committed and git can tell.
   */
  deletedUnstaged: ReadonlySet<string>;
  maxNewPerCycle: number;
  maxOpen: number;
}

export interface ReconcileOutcome {
  created: Ticket[];
  updated: number;
  /** Closed "resolved in code" from BACKLOG. */
  closed: number;
  /** Tickets a human had moved on whose item vanished: they got a note instead. */
  noted: number;
  /** New items left for a later cycle by the noise budget. */
  waiting: number;
  /** Items whose ticket the user deleted: followed, never recreated. */
  suppressed: number;
  /** Open gathered tickets after the cycle. */
  open: number;
}

export interface Tracked extends TrackedRecord {
  finding: Finding;
  data: FindingData;
}

export interface MatchPlan {
  match: MatchResult<Tracked>;
  /** The tracked records the match was made from (see signatureOf). */
  signature: string;
}

/** What a finding remembers besides its columns. */
interface FindingData {
  occurrence: number;
  /** The code around the item (see GatheredItem.context). */
  context?: string | undefined;
  tag: string;
  /** What the Gatherer last wrote, so a title or description the user edited is left alone. */
  title?: string | undefined;
  descriptionHash?: string | undefined;
  priority?: number | undefined;
}

/** The live gathered findings of the kinds looked for this cycle, as matchable records. */
export function trackedRecords(reader: BoardReader, observedKinds: ReadonlySet<string>): Tracked[] {
  const out: Tracked[] = [];
  for (const finding of reader.listFindings({ scanner: SCANNER })) {
    if (!observedKinds.has(finding.kind)) continue;
    const data = readData(finding.data);
    out.push({ fingerprint: finding.fingerprint, kind: finding.kind, file: finding.file, line: finding.line, normText: finding.text, occurrence: data.occurrence, context: data.context ?? '', finding, data });
  }
  return out;
}

/** What the match depends on in the tracked records: if another process changed any of it, the match is made again. */
export function signatureOf(records: readonly Tracked[]): string {
  return records.map((r) => `${r.fingerprint}\0${r.file}\0${r.line}\0${r.normText}\0${r.context}`).join('\n');
}

/**
 * Pairs the board's tracked records with this cycle's items, outside any transaction. Rename
 * detection (which stats the whole working tree) runs only when a record was not found and its file
 * is gone from where it was, and then only the records and items left over are paired again.
 */
export async function planMatch(
  reader: BoardReader,
  items: readonly GatheredItem[],
  observedKinds: ReadonlySet<string>,
  fileExists: (file: string) => boolean,
  detectRenames: () => Promise<ReadonlyMap<string, string>>,
): Promise<MatchPlan & { renames: ReadonlyMap<string, string> }> {
  const records = trackedRecords(reader, observedKinds);
  const existedBefore = waitingLastCycle(reader);
  const first = matchItems(records, items, { existedBefore });
  let renames: ReadonlyMap<string, string> = new Map();
  let match = first;
  if (first.gone.some((r) => !fileExists(r.file))) {
    renames = await detectRenames();
    const again = matchItems(first.gone, first.fresh, { renames, existedBefore });
    match = { matched: [...first.matched, ...again.matched], gone: again.gone, fresh: again.fresh };
  }
  return { match, signature: signatureOf(records), renames };
}

function waitingLastCycle(reader: BoardReader): (item: GatheredItem) => boolean {
  let known: Set<string>;
  try {
    const parsed: unknown = JSON.parse(reader.getMeta(WAITING_META_KEY) ?? '[]');
    known = new Set(Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    known = new Set();
  }
  return (item) => known.has(shortFingerprint(item.fingerprint));
}

function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(FINGERPRINT_PREFIX.length, FINGERPRINT_PREFIX.length + 16);
}

export function reconcile(tx: BoardTx, input: ReconcileInput): ReconcileOutcome {
  const outcome: ReconcileOutcome = { created: [], updated: 0, closed: 0, noted: 0, waiting: 0, suppressed: 0, open: 0 };
  const records = trackedRecords(tx, input.observedKinds);
  const { matched, gone, fresh } =
    input.plan !== undefined && input.plan.signature === signatureOf(records)
      ? input.plan.match
      : matchItems(records, input.items, { renames: input.renames, existedBefore: waitingLastCycle(tx) });
  const trackedFiles = new Set(matched.map((m) => m.item.file));

  for (const { record, item } of matched) {
    const ticket = record.finding.ticketId === undefined ? undefined : tx.getTicket(record.finding.ticketId);
    if (ticket === undefined) {
      outcome.suppressed++;
      track(tx, item, undefined, { occurrence: item.occurrence, context: item.context, tag: item.tag }, record);
      continue;
    }
    const { changed, data } = refreshTicket(tx, ticket, item, record.data, record.kind);
    if (changed) outcome.updated++;
    track(tx, item, ticket.id, data, record);
  }

  for (const record of gone) {
    if (input.deletedUnstaged.has(record.file)) continue;
    if (record.kind === DIAGNOSTICS_KIND && !input.diagnosticsCurrentFiles.has(record.file) && input.fileExists(record.file)) continue;
    const ticket = record.finding.ticketId === undefined ? undefined : tx.getTicket(record.finding.ticketId);
    if (ticket?.status === 'BACKLOG') {
      tx.transition(ticket.id, 'BACKLOG', 'DONE', ACTOR, RESOLVED_NOTE);
      outcome.closed++;
    } else if (ticket !== undefined && ticket.status !== 'DONE') {
      addNote(tx, ticket, goneNote(record));
      outcome.noted++;
    }
    tx.markFindingGone(record.fingerprint);
  }

  const openByFingerprint = new Map<string, Ticket>();
  let open = 0;
  for (const t of tx.listTickets({ source: 'gatherer' })) {
    if (t.status === 'DONE') continue;
    open++;
    if (t.fingerprint !== undefined) openByFingerprint.set(t.fingerprint, t);
  }
  // A deleted gathered ticket's fingerprint is always one the Gatherer tracked (its finding stays,
  // without a ticket, and is matched above as suppressed). So only an item tracked once, then gone,
  // and now back needs the store's deleted-fingerprint lookup, which costs a query per item; the
  // few items about to become tickets are checked again below as a safety net.
  const everTracked = new Set(tx.listFindings({ scanner: SCANNER, includeGone: true }).map((f) => f.fingerprint));
  const suppress = (item: GatheredItem): void => {
    outcome.suppressed++;
    track(tx, item, undefined, { occurrence: item.occurrence, context: item.context, tag: item.tag }, undefined);
    trackedFiles.add(item.file);
  };
  const candidates: GatheredItem[] = [];
  for (const item of fresh) {
    const open = openByFingerprint.get(item.fingerprint);
    if (open !== undefined) {
      // Its item had vanished while a human worked the ticket, and now it is back.
      const { changed, data } = refreshTicket(tx, open, item, { occurrence: item.occurrence, context: item.context, tag: item.tag }, item.kind);
      if (changed) outcome.updated++;
      track(tx, item, open.id, data, undefined);
      trackedFiles.add(item.file);
    } else if (everTracked.has(item.fingerprint) && tx.isFingerprintDeleted(item.fingerprint)) {
      suppress(item);
    } else {
      candidates.push(item);
    }
  }

  const room = Math.max(0, Math.min(input.maxNewPerCycle, input.maxOpen - open));
  candidates.sort(compareByValue);
  let next = 0;
  while (outcome.created.length < room && next < candidates.length) {
    const item = candidates[next++];
    if (tx.isFingerprintDeleted(item.fingerprint)) {
      suppress(item);
      continue;
    }
    const ticket = tx.createTicket(
      {
        title: titleOf(item),
        description: descriptionOf(item),
        priority: priorityOfRank(item.rank),
        type: 'idea',
        labels: [item.kind],
        source: 'gatherer',
        fingerprint: item.fingerprint,
        status: 'BACKLOG',
      },
      ACTOR,
    );
    track(tx, item, ticket.id, createdData(item, ticket), undefined);
    trackedFiles.add(item.file);
    outcome.created.push(ticket);
    open++;
  }
  const waiting = candidates.slice(next);
  outcome.waiting = waiting.length;
  const nearTracked = JSON.stringify(waiting.filter((i) => trackedFiles.has(i.file)).map((i) => shortFingerprint(i.fingerprint)).sort());
  if ((tx.getMeta(WAITING_META_KEY) ?? '[]') !== nearTracked) tx.setMeta(WAITING_META_KEY, nearTracked);
  outcome.open = open;
  return outcome;
}

/** Brings a ticket in line with its item; returns whether it changed and what to remember. */
function refreshTicket(tx: BoardTx, ticket: Ticket, item: GatheredItem, last: FindingData, lastKind: string): { changed: boolean; data: FindingData } {
  const title = titleOf(item);
  const description = descriptionOf(item);
  const priority = priorityOfRank(item.rank);
  const patch: Parameters<BoardTx['updateTicket']>[1] = {};
  // Only what the Gatherer itself wrote is rewritten; a human's edit wins from then on.
  if (title !== ticket.title && (last.title === undefined || last.title === ticket.title)) patch.title = title;
  if (description !== ticket.description && (last.descriptionHash === undefined || last.descriptionHash === hash(ticket.description))) {
    patch.description = description;
  }
  if (priority !== ticket.priority && (last.priority === undefined || last.priority === ticket.priority)) patch.priority = priority;
  if (ticket.fingerprint !== item.fingerprint) patch.fingerprint = item.fingerprint;
  // The kind label follows a tag that changed (TODO -> FIXME); labels are otherwise the user's.
  if (lastKind !== item.kind) {
    const labels = [...ticket.labels.filter((l) => l !== lastKind), ...(ticket.labels.includes(item.kind) ? [] : [item.kind])];
    if (labels.join('\0') !== ticket.labels.join('\0')) patch.labels = labels;
  }
  const changed = Object.keys(patch).length > 0;
  if (changed) tx.updateTicket(ticket.id, patch);
  const descriptionNow = patch.description ?? ticket.description;
  const data: FindingData = {
    occurrence: item.occurrence,
    context: item.context,
    tag: item.tag,
    title: (patch.title ?? ticket.title) === title ? title : last.title,
    descriptionHash: descriptionNow === description ? hash(description) : last.descriptionHash,
    priority: (patch.priority ?? ticket.priority) === priority ? priority : last.priority,
  };
  return { changed, data };
}

/** Records the item as tracked under its current fingerprint, writing only what changed. */
function track(tx: BoardTx, item: GatheredItem, ticketId: string | undefined, data: FindingData, previous: Tracked | undefined): void {
  const p = previous?.finding;
  const unchanged =
    p !== undefined &&
    p.fingerprint === item.fingerprint &&
    p.ticketId === ticketId &&
    p.file === item.file &&
    p.line === item.line &&
    p.text === item.normText &&
    sameData(previous!.data, data);
  if (unchanged) return;
  tx.upsertFinding({ fingerprint: item.fingerprint, scanner: SCANNER, ticketId, kind: item.kind, file: item.file, line: item.line, text: item.normText, data: { ...data } });
  if (p !== undefined && p.fingerprint !== item.fingerprint) tx.markFindingGone(p.fingerprint);
}

function createdData(item: GatheredItem, ticket: Ticket): FindingData {
  return { occurrence: item.occurrence, context: item.context, tag: item.tag, title: ticket.title, descriptionHash: hash(ticket.description), priority: ticket.priority };
}

function sameData(a: FindingData, b: FindingData): boolean {
  return (
    a.occurrence === b.occurrence &&
    (a.context ?? '') === (b.context ?? '') &&
    a.tag === b.tag &&
    a.title === b.title &&
    a.descriptionHash === b.descriptionHash &&
    a.priority === b.priority
  );
}

function readData(raw: Record<string, unknown> | undefined): FindingData {
  const occurrence = typeof raw?.occurrence === 'number' ? raw.occurrence : 0;
  const tag = typeof raw?.tag === 'string' ? raw.tag : '';
  return {
    occurrence,
    context: typeof raw?.context === 'string' ? raw.context : undefined,
    tag,
    title: typeof raw?.title === 'string' ? raw.title : undefined,
    descriptionHash: typeof raw?.descriptionHash === 'string' ? raw.descriptionHash : undefined,
    priority: typeof raw?.priority === 'number' ? raw.priority : undefined,
  };
}

function goneNote(record: Tracked): string {
  if (record.kind === DIAGNOSTICS_KIND) {
    return `The editor no longer reports ${record.data.tag || 'problems'} in ${record.file}: they look resolved in code. The ticket stays where it is.`;
  }
  return `The ${record.data.tag || record.kind.toUpperCase()} comment in ${record.file} (last seen at line ${record.line}) is no longer in the code: it looks resolved there. The ticket stays where it is.`;
}

function addNote(tx: BoardTx, ticket: Ticket, body: string): void {
  const thread = tx.findConversation(ticket.id, THREAD_KEY) ?? tx.createConversation({ ticketId: ticket.id, type: 'gatherer', title: 'Gatherer', key: THREAD_KEY });
  tx.addMessage({ conversationId: thread.id, author: ACTOR, kind: 'note', body });
}

function hash(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 16);
}
