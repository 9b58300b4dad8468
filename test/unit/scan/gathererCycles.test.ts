import { strict as assert } from 'node:assert';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gatheredLocation } from '../../../src/scan/gatherer/location';
import { RESOLVED_NOTE } from '../../../src/scan/gatherer/reconcile';
import { lines, makeGathererHarness, snapshot, type GathererHarness } from '../../fixtures/gatherer/harness';

void describe('Gatherer over a repository that evolves', () => {
  let h: GathererHarness;
  beforeEach(async () => {
    h = await makeGathererHarness();
  });
  afterEach(async () => {
    await h.dispose();
  });

  void it('keeps exactly the right set of tickets through moves, edits, renames and deletions', async () => {
    // Cycle 1: four comments in three files.
    h.repo.write('src/a.ts', lines('// TODO: handle empty input', 'export const a = 1;', '// FIXME: slow loop over users', 'for (;;) break;'));
    h.repo.write('src/b.ts', lines('export const b = 2; // HACK(alice): global cache'));
    h.repo.write('lib/util.ts', lines(5, '// not shell, but a TODO: split this module'));
    h.repo.write('lib/keep.ts', lines('// XXX: keep me'));
    h.repo.commit('add comments');
    let result = await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), [
      'BACKLOG FIXME: slow loop over users',
      'BACKLOG HACK: global cache',
      'BACKLOG TODO: handle empty input',
      'BACKLOG TODO: split this module',
      'BACKLOG XXX: keep me',
    ]);
    assert.equal(result.summary, '5 new tickets');
    const empty = h.byTitle('TODO: handle empty input');
    const fixme = h.byTitle('FIXME: slow loop over users');
    const hack = h.byTitle('HACK: global cache');
    const split = h.byTitle('TODO: split this module');
    assert.deepEqual([empty.type, empty.source, empty.labels, empty.priority], ['idea', 'gatherer', ['todo'], 4]);
    assert.deepEqual([fixme.labels, fixme.priority], [['fixme'], 2]);
    assert.deepEqual([hack.labels, hack.priority], [['hack'], 3]);
    assert.deepEqual(gatheredLocation(h.board, empty.id), { file: 'src/a.ts', line: 1 });
    assert.doesNotMatch(empty.description, /src\/a\.ts/);
    assert.match(hack.description, /^Owner: alice$/m);

    // Cycle 2: the first TODO moves twenty lines down.
    h.repo.write('src/a.ts', lines(20, '// TODO: handle empty input', 'export const a = 1;', '// FIXME: slow loop over users', 'for (;;) break;'));
    h.repo.commit('move a TODO');
    result = await h.cycle();
    assert.equal(result.summary, 'No change (5 items in the code)', 'a line move is followed without rewriting any ticket');
    assert.equal(h.gathered().length, 5);
    assert.equal(h.byTitle('TODO: handle empty input').id, empty.id);
    assert.deepEqual(gatheredLocation(h.board, empty.id), { file: 'src/a.ts', line: 21 });
    assert.equal(h.board.getTicket(empty.id)!.updatedAt, empty.updatedAt);
    assert.equal(h.board.getTicket(empty.id)!.fingerprint, empty.fingerprint);

    // Cycle 3: the FIXME's text is edited (not committed: the working tree counts).
    h.repo.write('src/a.ts', lines(20, '// TODO: handle empty input', 'export const a = 1;', '// FIXME: slow loop over all the users', 'for (;;) break;'));
    result = await h.cycle();
    assert.equal(result.summary, '1 updated');
    assert.deepEqual(snapshot(h.gathered()), [
      'BACKLOG FIXME: slow loop over all the users',
      'BACKLOG HACK: global cache',
      'BACKLOG TODO: handle empty input',
      'BACKLOG TODO: split this module',
      'BACKLOG XXX: keep me',
    ]);
    const edited = h.board.getTicket(fixme.id)!;
    assert.equal(edited.title, 'FIXME: slow loop over all the users');
    assert.notEqual(edited.fingerprint, fixme.fingerprint);
    h.repo.commit('edit the FIXME');

    // Cycle 4: the file holding a TODO is renamed, and the TODO moves a little with it.
    h.git('mv', 'lib/util.ts', 'lib/helpers.ts');
    h.repo.write('lib/helpers.ts', lines(7, '// not shell, but a TODO: split this module'));
    h.repo.commit('rename util to helpers');
    result = await h.cycle();
    assert.equal(result.summary, '1 updated');
    const renamed = h.byTitle('TODO: split this module');
    assert.equal(renamed.id, split.id);
    assert.equal(renamed.status, 'BACKLOG');
    assert.deepEqual(gatheredLocation(h.board, renamed.id), { file: 'lib/helpers.ts', line: 8 });
    assert.notEqual(renamed.fingerprint, split.fingerprint);

    // Cycle 5: the HACK is deleted.
    h.repo.write('src/b.ts', lines('export const b = 2;'));
    h.repo.commit('drop the hack');
    result = await h.cycle();
    assert.equal(result.summary, '1 resolved in code');
    assert.equal(h.board.getTicket(hack.id)!.status, 'DONE');
    const last = h.board.history(hack.id).at(-1)!;
    assert.deepEqual([last.from, last.to, last.by, last.note], ['BACKLOG', 'DONE', 'Gatherer', RESOLVED_NOTE]);

    // Cycle 6: two identical TODOs in one file.
    h.repo.write('src/c.ts', lines('// TODO: check bounds', 'export const c = [1];', '// TODO:   Check   bounds'));
    h.repo.commit('two identical TODOs');
    result = await h.cycle();
    assert.equal(result.summary, '2 new tickets');
    const twins = h.gathered().filter((t) => t.title.toLowerCase().replace(/\s+/g, ' ') === 'todo: check bounds');
    assert.equal(twins.length, 2);
    assert.notEqual(twins[0].fingerprint, twins[1].fingerprint);

    // Cycle 7: nothing changed, nothing is written (not even an empty transaction).
    const before = JSON.stringify(h.gathered());
    const write = h.board.write.bind(h.board);
    let writes = 0;
    h.board.write = (fn) => {
      writes++;
      return write(fn);
    };
    result = await h.cycle();
    h.board.write = write;
    assert.equal(writes, 0);
    assert.match(result.summary, /^No change \(6 items in the code\)$/);
    assert.equal(JSON.stringify(h.gathered()), before);

    // Cycle 8: the twin above the code goes (and the other is re-cased); exactly its ticket closes.
    h.repo.write('src/c.ts', lines('export const c = [1];', '// TODO: check bounds'));
    h.repo.commit('one twin left');
    result = await h.cycle();
    assert.equal(result.summary, '1 updated, 1 resolved in code');
    assert.deepEqual(snapshot(h.gathered()), [
      'BACKLOG FIXME: slow loop over all the users',
      'BACKLOG TODO: check bounds',
      'BACKLOG TODO: handle empty input',
      'BACKLOG TODO: split this module',
      'BACKLOG XXX: keep me',
      'DONE HACK: global cache',
      'DONE TODO: check bounds',
    ]);
    const [kept] = twins.filter((t) => t.title === 'TODO: Check bounds');
    assert.equal(h.board.getTicket(kept.id)!.status, 'BACKLOG', 'the twin below the code kept its ticket');
  });

  void it('follows a rename that is staged but not committed', async () => {
    h.repo.write('old/name.ts', lines('// TODO: follow me'));
    h.repo.commit('add');
    await h.cycle();
    const ticket = h.byTitle('TODO: follow me');
    h.mv('old/name.ts', 'new/name.ts');
    await h.cycle();
    assert.equal(h.byTitle('TODO: follow me').id, ticket.id);
    assert.equal(h.board.getTicket(ticket.id)!.status, 'BACKLOG');
    assert.deepEqual(gatheredLocation(h.board, ticket.id), { file: 'new/name.ts', line: 1 });
    // Committing it later changes nothing more.
    h.repo.commit('commit the rename');
    const result = await h.cycle();
    assert.match(result.summary, /^No change/);
  });

  void it('waits for git to tell a rename done outside git from a deletion', async () => {
    h.repo.write('src/old.ts', lines('// TODO: survive a plain rename'));
    h.repo.write('src/gone.ts', lines('// TODO: deleted with the file'));
    h.repo.commit('add');
    await h.cycle();
    const renamed = h.byTitle('TODO: survive a plain rename');
    const deleted = h.byTitle('TODO: deleted with the file');
    // An editor's rename: the new file is untracked, the old one missing; and a plain rm.
    renameSync(join(h.repo.root, 'src/old.ts'), join(h.repo.root, 'src/new.ts'));
    h.remove('src/gone.ts');
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG TODO: deleted with the file', 'BACKLOG TODO: survive a plain rename']);
    // Staged, git sees a rename and a deletion.
    h.git('add', '-A');
    await h.cycle();
    assert.equal(h.board.getTicket(renamed.id)!.status, 'BACKLOG');
    assert.deepEqual(gatheredLocation(h.board, renamed.id), { file: 'src/new.ts', line: 1 });
    assert.equal(h.board.getTicket(deleted.id)!.status, 'DONE');
    assert.equal(h.gathered().length, 2);
  });

  void it('leaves a note instead of closing a ticket a human already moved on', async () => {
    h.repo.write('a.ts', lines('// FIXME: race in the cache'));
    h.repo.commit('add');
    await h.cycle();
    const ticket = h.byTitle('FIXME: race in the cache');
    await h.board.write((tx) => tx.transition(ticket.id, 'BACKLOG', 'READY', 'user'));
    h.repo.write('a.ts', lines('// fixed'));
    h.repo.commit('fix');
    const result = await h.cycle();
    assert.equal(result.summary, '1 noted as gone from the code');
    assert.equal(h.board.getTicket(ticket.id)!.status, 'READY');
    const threads = h.board.listConversations({ ticketId: ticket.id, type: 'gatherer' });
    assert.equal(threads.length, 1);
    const messages = h.board.listMessages(threads[0].id);
    assert.equal(messages.length, 1);
    assert.match(messages[0].body, /FIXME comment in a\.ts .* no longer in the code/);
    // The next cycle does not repeat the note.
    await h.cycle();
    assert.equal(h.board.listMessages(threads[0].id).length, 1);
    // It comes back: the same open ticket takes it again, no duplicate.
    h.repo.write('a.ts', lines(3, '// FIXME: race in the cache'));
    h.repo.commit('revert');
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['READY FIXME: race in the cache']);
    assert.deepEqual(gatheredLocation(h.board, ticket.id), { file: 'a.ts', line: 4 });
  });

  void it('gives a resolved comment that comes back a new ticket and leaves the closed one closed', async () => {
    h.repo.write('a.ts', lines('// TODO: flaky retry'));
    h.repo.commit('add');
    await h.cycle();
    const first = h.byTitle('TODO: flaky retry');
    h.repo.write('a.ts', lines('// nothing'));
    h.repo.commit('resolve');
    await h.cycle();
    h.git('revert', '--no-edit', 'HEAD');
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG TODO: flaky retry', 'DONE TODO: flaky retry']);
    assert.equal(h.board.getTicket(first.id)!.status, 'DONE');
    await h.cycle();
    assert.equal(h.gathered().length, 2);
  });

  void it('never recreates a ticket the user deleted, even after the comment moves, changes or is renamed', async () => {
    h.repo.write('a.ts', lines('// TODO: unwanted idea', '// TODO: wanted idea'));
    h.repo.commit('add');
    await h.cycle();
    const unwanted = h.byTitle('TODO: unwanted idea');
    await h.board.write((tx) => tx.deleteTicket(unwanted.id, 'user'));
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG TODO: wanted idea']);
    h.repo.write('a.ts', lines(10, '// TODO: wanted idea', '// TODO: unwanted idea'));
    h.repo.commit('move');
    await h.cycle();
    h.repo.write('a.ts', lines(10, '// TODO: wanted idea', '// TODO: unwanted idea, really'));
    await h.cycle();
    h.git('mv', 'a.ts', 'b.ts');
    h.repo.commit('rename');
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG TODO: wanted idea']);
  });

  void it('keeps a title, priority and labels the user changed', async () => {
    h.repo.write('a.ts', lines('// TODO: tidy the parser'));
    h.repo.commit('add');
    await h.cycle();
    const ticket = h.byTitle('TODO: tidy the parser');
    await h.board.write((tx) => tx.updateTicket(ticket.id, { title: 'Tidy the parser before 2.0', priority: 1, labels: ['parser'] }));
    h.repo.write('a.ts', lines(4, '// TODO: tidy the parser module'));
    h.repo.commit('move and edit');
    await h.cycle();
    const after = h.board.getTicket(ticket.id)!;
    assert.equal(after.title, 'Tidy the parser before 2.0');
    assert.equal(after.priority, 1);
    assert.deepEqual(after.labels, ['parser']);
    assert.deepEqual(gatheredLocation(h.board, ticket.id), { file: 'a.ts', line: 5 });
    assert.equal(h.gathered().length, 1);
  });

  void it('treats a tag turned into another (TODO -> FIXME) as the same item', async () => {
    h.repo.write('a.ts', lines('// TODO: null check'));
    h.repo.commit('add');
    await h.cycle();
    const ticket = h.byTitle('TODO: null check');
    h.repo.write('a.ts', lines('// FIXME: null check'));
    await h.cycle();
    const after = h.board.getTicket(ticket.id)!;
    assert.deepEqual([after.title, after.labels, after.priority], ['FIXME: null check', ['fixme'], 2]);
    assert.equal(h.gathered().length, 1);
  });

  void it('does not close tickets of a tag removed from the setting', async () => {
    h.repo.write('a.ts', lines('// HACK: keep for now', '// TODO: later'));
    h.repo.commit('add');
    await h.cycle();
    h.settings = { tags: ['TODO'] };
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG HACK: keep for now', 'BACKLOG TODO: later']);
  });

  void it('stops without writing when the cycle is cancelled', async () => {
    h.repo.write('a.ts', lines('// TODO: never written'));
    h.repo.commit('add');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(h.cycle(controller.signal), (err: Error & { reason?: string }) => err.reason === 'cancelled');
    assert.deepEqual(h.gathered(), []);
  });
});
