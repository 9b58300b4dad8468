import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksBinary } from '../../../src/scan/common/binary';

describe('looksBinary', () => {
  it('is true for a NUL byte in the first 8,000 bytes only, also of a view into a larger buffer', () => {
    const at = (n: number, length = 9000): Uint8Array => {
      const bytes = new Uint8Array(length).fill(0x61);
      if (n >= 0) bytes[n] = 0;
      return bytes;
    };
    assert.equal(looksBinary(at(-1)), false);
    assert.equal(looksBinary(at(0)), true);
    assert.equal(looksBinary(at(7999)), true);
    assert.equal(looksBinary(at(8000)), false);
    assert.equal(looksBinary(new Uint8Array(0)), false);
    // A view starting past a NUL does not see it; one whose own first 8,000 bytes hold one does.
    assert.equal(looksBinary(at(10, 20000).subarray(11)), false);
    assert.equal(looksBinary(at(8100, 20000).subarray(200)), true);
    assert.equal(looksBinary(at(8300, 20000).subarray(200)), false);
  });
});
