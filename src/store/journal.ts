/**
 * The append-only journal beside the snapshot: one framed entry per committed write. A frame is
 * a fixed header (magic, sequence number, payload length, checksum) and a JSON payload. An entry
 * names its place in the sequence (it follows entry `seq - 1`), the next ticket number after it
 * (so ids are never handed out twice, even when entries are lost) and a random writer tag (so a
 * writer can tell its own entry from an identical one). A write torn by a crash is never applied:
 * a frame that is incomplete or fails its checksum is skipped, and the reader looks for the next
 * valid frame after it, so damage in the middle costs what it destroyed and no more.
 */
import { createHash } from 'node:crypto';
import type { Recording } from './sqlite';

const MAGIC = 0x314a4641; // "AFJ1" little-endian
export const FRAME_HEADER_BYTES = 24;

export interface JournalPayload extends Recording {
  /** Ticket ids the write touched, so other windows can refresh just those. */
  tickets: string[];
  /** The board's next ticket number after this entry (absent in entries of older versions). */
  nextTicket?: number | undefined;
  /** A random tag of the write, so its writer recognises it among entries with the same `seq`. */
  writer?: string | undefined;
}

export interface JournalEntry {
  seq: number;
  /** Byte offset of the frame in the file, and the offset just after it. */
  start: number;
  end: number;
  payload: JournalPayload;
}

export interface ParsedJournal {
  entries: JournalEntry[];
  /** Offset after the last valid frame: everything from here on is not (yet) a valid entry. */
  validEnd: number;
  /**
   * What follows `validEnd`: nothing; a frame that is still being written or was torn by a
   * crash (its declared length runs past the end); or bytes that are no frame at all.
   */
  tail: 'none' | 'incomplete' | 'garbage';
  /** Byte ranges before `validEnd` that held no valid frame (damage, or a torn write). */
  skipped: { start: number; end: number }[];
}

export function encodeFrame(seq: number, payload: JournalPayload): Buffer {
  const body = Buffer.from(JSON.stringify({ s: payload.sql, o: payload.ops, t: payload.tickets, n: payload.nextTicket, w: payload.writer }), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(MAGIC, 0);
  frame.writeDoubleLE(seq, 4);
  frame.writeUInt32LE(body.length, 12);
  checksum(frame.subarray(4, 16), body).copy(frame, 16);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Parses frames from `buf`, which holds the file's bytes starting at `baseOffset`. Bytes that are
 * not a valid frame are skipped up to the next valid frame; when none follows they are the tail.
 */
export function parseFrames(buf: Buffer, baseOffset = 0): ParsedJournal {
  const entries: JournalEntry[] = [];
  const skipped: ParsedJournal['skipped'] = [];
  let pos = 0;
  let validEnd = 0;
  let tail: ParsedJournal['tail'] = 'none';
  while (pos < buf.length) {
    const frame = frameAt(buf, pos);
    if (frame.kind === 'ok') {
      if (pos > validEnd) skipped.push({ start: baseOffset + validEnd, end: baseOffset + pos });
      entries.push({ seq: frame.seq, start: baseOffset + pos, end: baseOffset + frame.end, payload: frame.payload });
      pos = frame.end;
      validEnd = pos;
      continue;
    }
    // Not a frame here: either the end of what was written so far, or damage with frames after it.
    const next = nextFrame(buf, pos + 1);
    if (next === undefined) {
      tail = validEnd === pos ? frame.kind : 'garbage';
      break;
    }
    pos = next;
  }
  return { entries, validEnd: baseOffset + validEnd, tail, skipped };
}

type FrameAt = { kind: 'ok'; seq: number; end: number; payload: JournalPayload } | { kind: 'incomplete' | 'garbage' };

function frameAt(buf: Buffer, pos: number): FrameAt {
  if (buf.length - pos < FRAME_HEADER_BYTES) return { kind: buf.length - pos < 4 || buf.readUInt32LE(pos) === MAGIC ? 'incomplete' : 'garbage' };
  if (buf.readUInt32LE(pos) !== MAGIC) return { kind: 'garbage' };
  const seq = buf.readDoubleLE(pos + 4);
  const length = buf.readUInt32LE(pos + 12);
  const end = pos + FRAME_HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'incomplete' };
  const body = buf.subarray(pos + FRAME_HEADER_BYTES, end);
  if (!Number.isSafeInteger(seq) || seq < 1 || !checksum(buf.subarray(pos + 4, pos + 16), body).equals(buf.subarray(pos + 16, pos + 24))) return { kind: 'garbage' };
  try {
    return { kind: 'ok', seq, end, payload: decodePayload(body) };
  } catch {
    return { kind: 'garbage' };
  }
}

const MAGIC_BYTES = Buffer.alloc(4);
MAGIC_BYTES.writeUInt32LE(MAGIC, 0);

/** The offset of the next valid frame at or after `from`, if any. */
function nextFrame(buf: Buffer, from: number): number | undefined {
  for (let at = buf.indexOf(MAGIC_BYTES, from); at >= 0; at = buf.indexOf(MAGIC_BYTES, at + 1)) {
    if (frameAt(buf, at).kind === 'ok') return at;
  }
  return undefined;
}

function decodePayload(body: Buffer): JournalPayload {
  const raw = JSON.parse(body.toString('utf8')) as { s?: unknown; o?: unknown; t?: unknown; n?: unknown; w?: unknown };
  if (!Array.isArray(raw.s) || !Array.isArray(raw.o)) throw new Error('not a journal payload');
  return {
    sql: raw.s as string[],
    ops: raw.o as JournalPayload['ops'],
    tickets: Array.isArray(raw.t) ? (raw.t as string[]) : [],
    nextTicket: typeof raw.n === 'number' && Number.isSafeInteger(raw.n) ? raw.n : undefined,
    writer: typeof raw.w === 'string' ? raw.w : undefined,
  };
}

function checksum(header: Buffer, body: Buffer): Buffer {
  return createHash('sha256').update(header).update(body).digest().subarray(0, 8);
}
