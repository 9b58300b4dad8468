/**
 * `factory.db.mark`: the highest journal entry and ticket number written so far, updated after
 * every write (not forced to disk: it only has to outlive the journal being deleted or cut short,
 * not a power cut, after which the journal itself is still there). On open, a mark ahead of what
 * the journal holds says that acknowledged entries went missing, how many, and which ticket
 * numbers they may have used, so those are never handed out again.
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';

export interface Mark {
  seq: number;
  nextTicket: number;
}

const WIDTH = 48;

export function readMark(path: string): Mark | undefined {
  try {
    const [seq, next] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isSafeInteger(seq) && Number.isSafeInteger(next) && seq >= 0 && next >= 1) return { seq, nextTicket: next };
  } catch {
    // No mark yet (a board from an older version) or an unreadable one: nothing to compare with.
  }
  return undefined;
}

/** An open mark file; writes are one small overwrite at offset 0. */
export class MarkFile {
  private constructor(private readonly fd: number) {}

  static open(path: string): MarkFile {
    // Read-write and created when missing, but not for appending (which would ignore the offset).
    return new MarkFile(openSync(path, constants.O_RDWR | constants.O_CREAT));
  }

  /** Fixed width, so an overwrite never leaves part of a longer earlier mark behind. */
  write(mark: Mark): void {
    writeSync(this.fd, `${mark.seq} ${mark.nextTicket}`.padEnd(WIDTH - 1, ' ') + '\n', 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
