import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeTempBoard } from '../helpers/tempBoard';

void describe("a run's token usage", () => {
  void it('is unknown until recorded, then replaced by each newer total, and read back by another process', async () => {
    const tb = await makeTempBoard();
    try {
      const run = await tb.board.write((tx) => {
        const t = tx.createTicket({ title: 'Tokens', status: 'READY' }, 'user');
        return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' });
      });
      assert.equal(run.usage, undefined);
      await tb.board.write((tx) => tx.setRunUsage(run.id, { inputTokens: 10, outputTokens: 2, cachedTokens: 0 }));
      await tb.board.write((tx) => tx.setRunUsage(run.id, { inputTokens: 1500, outputTokens: 320, cachedTokens: 900, costUsd: 0.0421 }));
      const other = await tb.open();
      assert.deepEqual(other.getRun(run.id)?.usage, { inputTokens: 1500, outputTokens: 320, cachedTokens: 900, costUsd: 0.0421 });
      await assert.rejects(
        tb.board.write((tx) => tx.setRunUsage(run.id, { inputTokens: -1, outputTokens: 0, cachedTokens: 0 })),
        /input tokens must be a whole number/,
      );
      assert.equal(tb.board.getRun(run.id)?.usage?.inputTokens, 1500, 'a refused write changes nothing');
    } finally {
      await tb.dispose();
    }
  });
});
