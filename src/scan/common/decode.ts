/**
 * Bytes to text the way editors read them: a byte-order mark decides UTF-8 or UTF-16 (little or big
 * endian); without one the bytes are UTF-8 unless git would call them binary. UTF-16 text is full
 * of NUL bytes, so the BOM is looked at before the binary test, never after.
 */
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { looksBinary } from './binary';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface Sniffed {
  encoding: TextEncodingName;
  /** Bytes of the byte-order mark to skip. */
  bomLength: number;
}

/** The encoding of a file from its first bytes, or undefined when it is binary. */
export function sniffEncoding(head: Uint8Array): Sniffed | undefined {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  return looksBinary(head) ? undefined : { encoding: 'utf-8', bomLength: 0 };
}

/**
 * Decodes chunk by chunk: a character split across two chunks comes out whole. `fatal` is off, so
 * a stray invalid byte becomes U+FFFD instead of hiding the rest of the file.
 *
 * UTF-8 that is plain ASCII so far (most source files, whole) is read byte for byte, which is the
 * same text: the decoder, costly to set up and slower to run, starts at the first chunk that is
 * not, with nothing held over from before, and decodes everything after it.
 */
export class StreamingDecoder {
  private decoder: TextDecoder | undefined;
  private ascii: boolean;
  private skip: number;

  constructor(private readonly sniffed: Sniffed) {
    this.ascii = sniffed.encoding === 'utf-8';
    this.skip = sniffed.bomLength;
  }

  push(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.skip > 0) {
      const cut = Math.min(this.skip, bytes.length);
      bytes = bytes.subarray(cut);
      this.skip -= cut;
    }
    if (this.ascii && isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    this.ascii = false;
    this.decoder ??= new TextDecoder(this.sniffed.encoding, { fatal: false, ignoreBOM: true });
    return this.decoder.decode(bytes, { stream: true });
  }

  end(): string {
    return this.decoder?.decode() ?? '';
  }
}

/** The whole text of `bytes`, or undefined when they are binary. */
export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncodingName } | undefined {
  const sniffed = sniffEncoding(bytes.subarray(0, 8000));
  if (!sniffed) return undefined;
  const decoder = new StreamingDecoder(sniffed);
  return { text: decoder.push(bytes) + decoder.end(), encoding: sniffed.encoding };
}
