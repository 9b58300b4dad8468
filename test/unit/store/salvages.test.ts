import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import type { NewSalvage } from '../../../src/domain/salvage';
import type { StoreChange } from '../../../src/store/api';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const salvage = (over: Partial<NewSalvage> = {}): NewSalvage => ({
  id: 'sv-0123456789abcdef',
  ticketId: 'T-1',
  worktreePath: '/tmp/repo.worktrees/T-1-x',
  branch: 'factory/T-1-x',
  head: 'a'.repeat(40),
  refPrefix: 'refs/agent-factory/salvage/T-1/sv-0123456789abcdef',
  archiveDir: '/tmp/repo/.factory/salvage/T-1/sv-0123456789abcdef',
  savedBytes: 1234,
  storedBytes: 456,
  reason: "removed on confirmation (2 uncommitted files); 'quotes' and \"more\"",
  summary: { files: 3, archived: ['.env'], archivedCount: 1, leftOut: [{ path: 'node_modules', bytes: 99, why: 'regenerable' }], leftOutCount: 1, nestedRepos: [], folderGone: false },
  ...over,
});

void describe('store: salvages', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
    await tb.board.write((tx) => tx.createTicket({ title: 'x' }, 'user'));
  });
  afterEach(() => tb.dispose());

  void it('records a salvage, lists it per ticket, marks it restored and deletes it only when asked, seen by another process', async () => {
    const changes: StoreChange[] = [];
    tb.board.onDidChange((c) => changes.push(c));
    const added = await tb.board.write((tx) => tx.addSalvage(salvage()));
    assert.equal(added.createdAt, tb.clock.now());
    assert.deepEqual(changes.at(-1)?.ticketIds, ['T-1'], 'the ticket page of T-1 re-renders');
    await tb.board.write((tx) => tx.addSalvage(salvage({ id: 'sv-orphan0000000001', ticketId: undefined, refPrefix: 'refs/agent-factory/salvage/orphans/sv-orphan0000000001' })));

    const other = await tb.open();
    assert.deepEqual(other.listSalvages({ ticketId: 'T-1' }), [added]);
    assert.equal(other.listSalvages().length, 2);
    assert.equal(other.getSalvage('sv-orphan0000000001')?.ticketId, undefined);

    tb.clock.advance(60_000);
    const restored = await other.write((tx) => tx.markSalvageRestored(added.id, '/tmp/back'));
    assert.equal(restored.restoredTo, '/tmp/back');
    assert.equal(restored.restoredAt, tb.clock.now());

    await tb.board.write((tx) => tx.deleteTicket('T-1', 'user'));
    assert.ok(tb.board.getSalvage(added.id), 'a salvage outlives its ticket');
    await tb.board.write((tx) => tx.deleteSalvage(added.id));
    await other.refresh();
    assert.equal(other.getSalvage(added.id), undefined);
  });

  void it('refuses an id that is not a generated one, and a salvage that is not there', async () => {
    await assert.rejects(tb.board.write((tx) => tx.addSalvage(salvage({ id: '../../etc' }))), (e: unknown) => e instanceof FactoryError && e.reason === 'invalid-input');
    await assert.rejects(tb.board.write((tx) => tx.addSalvage(salvage({ ticketId: 'T-1; rm' }))), (e: unknown) => e instanceof FactoryError && e.reason === 'invalid-input');
    await assert.rejects(tb.board.write((tx) => tx.deleteSalvage('sv-nothere000000000')), (e: unknown) => e instanceof FactoryError && e.reason === 'not-found');
  });
});
