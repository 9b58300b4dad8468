import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDecoder } from 'node:util';
import { sniffEncoding, StreamingDecoder } from '../../../src/scan/common/decode';

/** Every way of cutting `bytes` in two chunks, decoded chunk by chunk. */
function allCuts(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const decoder = new StreamingDecoder(sniffEncoding(bytes)!);
    out.push(decoder.push(bytes.subarray(0, cut)) + decoder.push(bytes.subarray(cut)) + decoder.end());
  }
  return out;
}

describe('StreamingDecoder', () => {
  it('gives the text one decoder gives, however the bytes are cut: ASCII, then characters of several bytes, invalid bytes, a cut sequence at the end, a byte-order mark', () => {
    const cases = [
      Buffer.from('plain ascii text\n'),
      Buffer.from('ascii first, then größe and 漢字 and 😀 at the end'),
      Buffer.concat([Buffer.from('ok '), Buffer.from([0xc3]), Buffer.from(' stray lead byte, then '), Buffer.from([0xff, 0xfe, 0x41])]),
      Buffer.concat([Buffer.from('ends in half a character '), Buffer.from([0xe6, 0xbc])]),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('after a byte-order mark é')]),
      Buffer.from([]),
    ];
    for (const bytes of cases) {
      const sniffed = sniffEncoding(bytes)!;
      const expected = new TextDecoder(sniffed.encoding, { fatal: false, ignoreBOM: true }).decode(bytes.subarray(sniffed.bomLength));
      for (const got of allCuts(bytes)) assert.equal(got, expected, JSON.stringify(bytes.toString('latin1')));
    }
  });
});
