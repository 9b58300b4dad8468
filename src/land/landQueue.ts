/**
 * One land at a time per board, across every window, CLI and headless host: the board keeps a
 * queue of requested lands. A process lands only once its entry is the oldest live one and nobody
 * else's entry is landing, claimed in one store transaction (the store's cross-process lock orders
 * them), so two tickets never land on the same old base. Each requester heartbeats its entry; an
 * entry whose process stopped heartbeating is dropped by the next claim, so a killed host never
 * holds the queue. The base's own compare-and-set is the last guard.
 */
import { FactoryError } from '../domain/errors';
import { newEntityId } from '../store/boardData';
import type { BoardReader, BoardTx } from '../store/api';

export const LAND_QUEUE_META = 'land.queue';

export interface LandQueueEntry {
  id: string;
  ticketId: string;
  /** The process that asked for it and does the work (its board owner id). */
  owner: string;
  requestedAt: number;
  heartbeatAt: number;
  state: 'queued' | 'landing';
  startedAt?: number | undefined;
  /** What the land is doing now ("running the check"), for the Agents view. */
  activity?: string | undefined;
}

export type ClaimResult = { kind: 'landing' } | { kind: 'waiting'; behind: LandQueueEntry } | { kind: 'gone' };

export function readLandQueue(reader: Pick<BoardReader, 'getMeta'>): LandQueueEntry[] {
  const raw = reader.getMeta(LAND_QUEUE_META);
  if (!raw) return [];
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? value.filter(isEntry) : [];
  } catch {
    // An unreadable queue holds nobody back: the base's compare-and-set still guards every land.
    return [];
  }
}

/** The live entries, landing first, then in the order they were asked for. */
export function liveLandQueue(reader: Pick<BoardReader, 'getMeta'>, now: number, timeoutMs: number): LandQueueEntry[] {
  return order(readLandQueue(reader).filter((e) => now - e.heartbeatAt <= timeoutMs));
}

/** Queues a land of `ticketId`; refuses a ticket already queued or landing. */
export function enqueueLand(tx: BoardTx, ticketId: string, owner: string, now: number, timeoutMs: number): LandQueueEntry {
  const entries = liveLandQueue(tx, now, timeoutMs);
  const existing = entries.find((e) => e.ticketId === ticketId);
  if (existing) {
    throw new FactoryError('status-conflict', `${ticketId} is already ${existing.state === 'landing' ? 'landing' : 'queued to land'}`);
  }
  const entry: LandQueueEntry = { id: newEntityId('l'), ticketId, owner, requestedAt: now, heartbeatAt: now, state: 'queued' };
  write(tx, [...entries, entry]);
  return entry;
}

/**
 * Takes the queue for `entryId` when it is its turn: no other live entry is landing and no live
 * entry was asked for before it. Entries that stopped heartbeating are dropped on the way.
 */
export function claimLand(tx: BoardTx, entryId: string, now: number, timeoutMs: number): ClaimResult {
  const all = readLandQueue(tx);
  const live = liveLandQueue(tx, now, timeoutMs);
  const mine = live.find((e) => e.id === entryId);
  if (!mine) {
    if (all.length !== live.length) write(tx, live);
    return { kind: 'gone' };
  }
  const ahead = live.find((e) => e.id !== entryId && (e.state === 'landing' || before(e, mine)));
  if (ahead) {
    mine.heartbeatAt = now;
    write(tx, live);
    return { kind: 'waiting', behind: ahead };
  }
  mine.state = 'landing';
  mine.startedAt = now;
  mine.heartbeatAt = now;
  write(tx, live);
  return { kind: 'landing' };
}

/** Renews the entry's heartbeat (and what it is doing); false when it is no longer queued. */
export function heartbeatLand(tx: BoardTx, entryId: string, now: number, activity?: string): boolean {
  const entries = readLandQueue(tx);
  const mine = entries.find((e) => e.id === entryId);
  if (!mine) return false;
  mine.heartbeatAt = now;
  if (activity !== undefined) mine.activity = activity;
  write(tx, entries);
  return true;
}

/** Takes the entry off the queue (done, failed or cancelled). */
export function leaveLandQueue(tx: BoardTx, entryId: string): void {
  const entries = readLandQueue(tx);
  if (entries.some((e) => e.id === entryId)) write(tx, entries.filter((e) => e.id !== entryId));
}

/** "Landing T-3 (running the check); queued: T-5, T-7", or undefined when nothing is queued. */
export function describeLandQueue(entries: readonly LandQueueEntry[]): string | undefined {
  if (entries.length === 0) return undefined;
  const landing = entries.filter((e) => e.state === 'landing').map((e) => `Landing ${e.ticketId}${e.activity ? ` (${e.activity})` : ''}`);
  const queued = entries.filter((e) => e.state === 'queued').map((e) => e.ticketId);
  return [...landing, ...(queued.length > 0 ? [`queued: ${queued.join(', ')}`] : [])].join('; ');
}

function write(tx: BoardTx, entries: readonly LandQueueEntry[]): void {
  tx.setMeta(LAND_QUEUE_META, JSON.stringify(order(entries)));
}

function order(entries: readonly LandQueueEntry[]): LandQueueEntry[] {
  return [...entries].sort((a, b) => (a.state === b.state ? (before(a, b) ? -1 : 1) : a.state === 'landing' ? -1 : 1));
}

function before(a: LandQueueEntry, b: LandQueueEntry): boolean {
  return a.requestedAt < b.requestedAt || (a.requestedAt === b.requestedAt && a.id < b.id);
}

function isEntry(value: unknown): value is LandQueueEntry {
  const e = value as Partial<LandQueueEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e.ticketId === 'string' &&
    typeof e.owner === 'string' &&
    typeof e.requestedAt === 'number' &&
    typeof e.heartbeatAt === 'number' &&
    (e.state === 'queued' || e.state === 'landing')
  );
}
