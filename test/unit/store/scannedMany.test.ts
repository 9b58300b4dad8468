import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeTempBoard } from '../helpers/tempBoard';

describe('marking many contents scanned at once', () => {
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
      }
    } finally {
      await tb.dispose();
    }
  });
});
