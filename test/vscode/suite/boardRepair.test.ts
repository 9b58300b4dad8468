import * as assert from 'assert';
import { META_LAST_REPAIR } from '../../../src/store/repairRecord';
import { openBoard } from '../../../src/store/sqlBoard';
import { ensureBoard, eventually, testApi } from '../board';

suite('Board repairs', () => {
  test('a repair made by another process (the CLI, another window) is shown in this window once', async () => {
    const api = await testApi();
    const board = await ensureBoard();
    // Another process on the same board: its own store, its own lock, its own owner id.
    const other = await openBoard({ dir: board.dir, repoRoot: board.repoRoot, pollMs: 0, ownerId: 'cli:4242:test' });
    try {
      const record = { at: Date.now(), by: other.ownerId, message: 'change 7 in the journal is unreadable (damaged); change 7 is lost', lostChanges: 1 };
      await other.write((tx) => tx.setMeta(META_LAST_REPAIR, JSON.stringify(record)));
    } finally {
      await other.close();
    }
    const shown = await eventually('the window showed the repair', () => api.session.shownRepairs.find((text) => text.includes('change 7 is lost')));
    assert.match(shown, /^The board was damaged and has been repaired: change 7 in the journal is unreadable/);
    assert.match(shown, /by another process/);
    await board.refresh();
    assert.strictEqual(api.session.shownRepairs.filter((text) => text.includes('change 7 is lost')).length, 1, 'shown once');
  });
});
