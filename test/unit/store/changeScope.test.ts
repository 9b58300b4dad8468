// A change that touched no ticket says so, here and in every other window: a listener that keeps
// tickets (the PM's board view) then reads nothing again, where an empty list of tickets would
// otherwise mean "anything may have changed".
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StoreChange } from '../../../src/store/api';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('store change scope', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('marks writes of agent states, leases, meta and the scan cache as touching no ticket, here and in another window', async () => {
    const other = await tb.open();
    const here: StoreChange[] = [];
    const there: StoreChange[] = [];
    const subs = [tb.board.onDidChange((e) => here.push(e)), other.onDidChange((e) => there.push(e))];
    await tb.board.write((tx) => {
      tx.setAgentState('Gatherer', { lastCycleAt: tb.clock.now() });
      tx.setMeta('some.key', 'value');
      tx.markScanned('hash', 'rules-1');
    });
    await tb.board.acquireLease('agents', 60_000);
    await other.refresh();
    const t = await tb.board.write((tx) => tx.createTicket({ title: 'a ticket' }, 'user'));
    await other.refresh();
    for (const s of subs) s.dispose();
    assert.deepEqual(here, [
      { source: 'local', ticketIds: [], noTickets: true },
      { source: 'local', ticketIds: [], noTickets: true },
      { source: 'local', ticketIds: [t.id] },
    ]);
    assert.deepEqual(there, [
      { source: 'external', ticketIds: [], noTickets: true },
      { source: 'external', ticketIds: [t.id] },
    ]);
  });

  it('does not mark a write that reached ticket rows without naming a ticket', async () => {
    const other = await tb.open();
    await tb.board.write((tx) => tx.createTicket({ title: 'a ticket' }, 'user'));
    await other.refresh();
    const there: StoreChange[] = [];
    const sub = other.onDidChange((e) => there.push(e));
    // A raw statement, as a migration makes: nothing says which tickets it changed.
    await (tb.board as unknown as { writeInternal(fn: (db: { run(sql: string): void }) => void): Promise<void> }).writeInternal((db) => db.run("UPDATE runs SET note = 'x'"));
    await tb.board.write((tx) => tx.setMeta('some.key', 'value'));
    await other.refresh();
    sub.dispose();
    assert.deepEqual(there, [{ source: 'external', ticketIds: [] }]);
  });
});
