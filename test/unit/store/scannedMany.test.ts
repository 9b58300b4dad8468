import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeTempBoard } from '../helpers/tempBoard';

describe('marking and looking up many scanned contents at once', () => {
  it('marks every one, for that rules version only, and another process replays it from the journal', async () => {
    const tb = await makeTempBoard();
    try {
      // 341 = 256 + 64 + 16 + 4 + 1: every statement shape, plus the same hash twice.
      const hashes = Array.from({ length: 340 }, (_, i) => `sha256:${i}`);
      await tb.board.write((tx) => tx.markScannedMany([...hashes, hashes[0]], 'rules-2'));
      await tb.board.write((tx) => tx.markScannedMany([], 'rules-2'));
      const other = await tb.open();
      for (const b of [tb.board, other]) {
        for (const h of hashes) assert.ok(b.wasScanned(h, 'rules-2'), h);
        assert.equal(b.wasScanned(hashes[0], 'rules-1'), false);
        assert.equal(b.wasScanned('sha256:other', 'rules-2'), false);
        // Asked about all of them at once (every query shape), with strangers and a repeat among them.
        const asked = [...hashes.slice(0, 300), 'sha256:other', hashes[0], ...Array.from({ length: 40 }, (_, i) => `sha256:x${i}`)];
        assert.deepEqual([...b.scannedAmong(asked, 'rules-2')].sort(), hashes.slice(0, 300).sort());
        assert.equal(b.scannedAmong(asked, 'rules-1').size, 0);
        assert.equal(b.scannedAmong([], 'rules-2').size, 0);
      }
    } finally {
      await tb.dispose();
    }
  });
});
