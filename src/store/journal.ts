/**
 * The append-only journal beside the snapshot: one framed entry per committed write. A frame is
 * a fixed header (magic, sequence number, payload length, checksum) and a JSON payload. A reader
 * stops at the first frame that is incomplete or fails its checksum, so a write torn by a crash is
 * never applied: what a killed process left half-written is simply not there.
 */
import { createHash } from 'node:crypto';
import type { Recording } from './sqlite';

const MAGIC = 0x314a4641; // "AFJ1" little-endian
export const FRAME_HEADER_BYTES = 24;

export interface JournalPayload extends Recording {
  /** Ticket ids the write touched, so other windows can refresh just those. */
  tickets: string[];
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
}

export function encodeFrame(seq: number, payload: JournalPayload): Buffer {
  const body = Buffer.from(JSON.stringify({ s: payload.sql, o: payload.ops, t: payload.tickets }), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(MAGIC, 0);
  frame.writeDoubleLE(seq, 4);
  frame.writeUInt32LE(body.length, 12);
  checksum(frame.subarray(4, 16), body).copy(frame, 16);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Parses frames from `buf`, which holds the file's bytes starting at `baseOffset`. */
export function parseFrames(buf: Buffer, baseOffset = 0): ParsedJournal {
  const entries: JournalEntry[] = [];
  let pos = 0;
  let tail: ParsedJournal['tail'] = 'none';
  while (pos < buf.length) {
    if (buf.length - pos < FRAME_HEADER_BYTES) {
      tail = 'incomplete';
      break;
    }
    if (buf.readUInt32LE(pos) !== MAGIC) {
      tail = 'garbage';
      break;
    }
    const seq = buf.readDoubleLE(pos + 4);
    const length = buf.readUInt32LE(pos + 12);
    const end = pos + FRAME_HEADER_BYTES + length;
    if (end > buf.length) {
      tail = 'incomplete';
      break;
    }
    const body = buf.subarray(pos + FRAME_HEADER_BYTES, end);
    if (!Number.isSafeInteger(seq) || seq < 1 || !checksum(buf.subarray(pos + 4, pos + 16), body).equals(buf.subarray(pos + 16, pos + 24))) {
      tail = 'garbage';
      break;
    }
    let payload: JournalPayload;
    try {
      payload = decodePayload(body);
    } catch {
      tail = 'garbage';
      break;
    }
    entries.push({ seq, start: baseOffset + pos, end: baseOffset + end, payload });
    pos = end;
  }
  return { entries, validEnd: baseOffset + pos, tail };
}

function decodePayload(body: Buffer): JournalPayload {
  const raw = JSON.parse(body.toString('utf8')) as { s?: unknown; o?: unknown; t?: unknown };
  if (!Array.isArray(raw.s) || !Array.isArray(raw.o)) throw new Error('not a journal payload');
  return {
    sql: raw.s as string[],
    ops: raw.o as JournalPayload['ops'],
    tickets: Array.isArray(raw.t) ? (raw.t as string[]) : [],
  };
}

function checksum(header: Buffer, body: Buffer): Buffer {
  return createHash('sha256').update(header).update(body).digest().subarray(0, 8);
}
