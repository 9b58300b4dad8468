import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { claimLand, describeLandQueue, enqueueLand, heartbeatLand, leaveLandQueue, liveLandQueue, readLandQueue } from '../../../src/land/landQueue';
import type { LandOutcome } from '../../../src/land/landTicket';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { git } from '../helpers/tempRepo';
import { cli } from '../cli/cliProcess';
import { makeLandRepo, type LandRepo } from './landFixture';

const TIMEOUT = 30_000;

void describe('the land queue', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
    await tb.board.write((tx) => {
      for (const title of ['one', 'two', 'three']) tx.createTicket({ title }, 'user');
    });
  });
  afterEach(async () => {
    await tb.dispose();
  });

  void it('lets one land at a time, in the order they were asked for, across processes', async () => {
    const other = await tb.open({ ownerId: 'other-window' });
    const a = await tb.board.write((tx) => enqueueLand(tx, 'T-1', tb.board.ownerId, tb.clock.now(), TIMEOUT));
    tb.clock.advance(10);
    const b = await other.write((tx) => enqueueLand(tx, 'T-2', other.ownerId, tb.clock.now(), TIMEOUT));
    await assert.rejects(other.write((tx) => enqueueLand(tx, 'T-1', other.ownerId, tb.clock.now(), TIMEOUT)), /T-1 is already queued to land/);

    // The second asker waits even when it asks first: T-1 is ahead of it.
    const early = await other.write((tx) => claimLand(tx, b.id, tb.clock.now(), TIMEOUT));
    assert.equal(early.kind, 'waiting');
    assert.equal(early.kind === 'waiting' && early.behind.ticketId, 'T-1');
    assert.deepEqual(await tb.board.write((tx) => claimLand(tx, a.id, tb.clock.now(), TIMEOUT)), { kind: 'landing' });
    assert.equal((await other.write((tx) => claimLand(tx, b.id, tb.clock.now(), TIMEOUT))).kind, 'waiting');
    await tb.board.write((tx) => heartbeatLand(tx, a.id, tb.clock.now(), 'running the check'));
    await other.refresh();
    assert.equal(describeLandQueue(liveLandQueue(other, tb.clock.now(), TIMEOUT)), 'Landing T-1 (running the check); queued: T-2');

    await tb.board.write((tx) => leaveLandQueue(tx, a.id));
    assert.deepEqual(await other.write((tx) => claimLand(tx, b.id, tb.clock.now(), TIMEOUT)), { kind: 'landing' });
  });

  void it('passes over a land whose process stopped heartbeating', async () => {
    const dead = await tb.board.write((tx) => enqueueLand(tx, 'T-1', 'crashed-host', tb.clock.now(), TIMEOUT));
    await tb.board.write((tx) => claimLand(tx, dead.id, tb.clock.now(), TIMEOUT));
    const next = await tb.board.write((tx) => enqueueLand(tx, 'T-2', tb.board.ownerId, tb.clock.now(), TIMEOUT));
    assert.equal((await tb.board.write((tx) => claimLand(tx, next.id, tb.clock.now(), TIMEOUT))).kind, 'waiting');
    tb.clock.advance(TIMEOUT / 2);
    await tb.board.write((tx) => heartbeatLand(tx, next.id, tb.clock.now()));
    tb.clock.advance(TIMEOUT / 2 + 1);
    assert.deepEqual(await tb.board.write((tx) => claimLand(tx, next.id, tb.clock.now(), TIMEOUT)), { kind: 'landing' });
    assert.deepEqual(readLandQueue(tb.board).map((e) => e.ticketId), ['T-2'], 'the dead entry is gone');
    assert.equal(await tb.board.write((tx) => heartbeatLand(tx, dead.id, tb.clock.now())), false);
  });
});

void describe('two lands requested at once', () => {
  let r: LandRepo;
  beforeEach(async () => {
    r = await makeLandRepo();
  });
  afterEach(async () => {
    await r.dispose();
  });

  void it('never land on the same old base: two agent-factory land processes queue and the second lands on the first', async () => {
    const one = await r.ticketWithChange('Left', { 'left.txt': 'left\n' });
    const two = await r.ticketWithChange('Right', { 'right.txt': 'right\n' });
    const start = r.baseHead();
    const env = { AGENT_FACTORY_BOARD: join(r.repo.root, '.factory') };
    const [a, b] = await Promise.all([cli(['land', one.id, '--json'], { cwd: r.repo.root, env }), cli(['land', two.id, '--json'], { cwd: r.repo.root, env })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const outcomes = [JSON.parse(a.stdout) as LandOutcome, JSON.parse(b.stdout) as LandOutcome];
    const landed = outcomes.flatMap((o) => (o.kind === 'landed' ? [o] : []));
    assert.equal(landed.length, 2);
    const [first, second] = landed[0].previous === start ? [landed[0], landed[1]] : [landed[1], landed[0]];
    assert.equal(first.previous, start);
    assert.equal(second.previous, first.commit, 'the second land did not start from the first one\'s result');
    assert.equal(r.baseHead(), second.commit);
    assert.equal(git(r.repo.root, 'rev-list', '--count', `${start}..main`), '2');
    assert.equal(git(r.repo.root, 'rev-list', '--merges', '--count', `${start}..main`), '0', 'linear history');
    for (const id of [one.id, two.id]) assert.equal((await r.ticket(id)).status, 'DONE');
    assert.equal(r.board.getMeta('land.queue'), '[]');
  });

  void it('agent-factory land exits 4 with the reason on a conflict; review lists the change; push needs a remote', async () => {
    r.commitIn(r.repo.root, { 'shared.txt': 'base\n' }, 'shared');
    const one = await r.ticketWithChange('Mine', { 'shared.txt': 'mine\n' });
    const two = await r.ticketWithChange('Theirs', { 'shared.txt': 'theirs\n', 'extra.txt': 'one\ntwo\n' });
    const env = { AGENT_FACTORY_BOARD: join(r.repo.root, '.factory') };
    const review = await cli(['review', two.id], { cwd: r.repo.root, env });
    assert.equal(review.code, 0, review.stderr);
    assert.match(review.stdout, /2 files \+3 −1/);
    assert.match(review.stdout, /A +extra\.txt +\+2 −0/);
    assert.match(review.stdout, /M +shared\.txt +\+1 −1/);
    const json = await cli(['review', two.id, '--json'], { cwd: r.repo.root, env });
    assert.deepEqual((JSON.parse(json.stdout) as { totals: unknown }).totals, { files: 2, additions: 3, deletions: 1 });

    assert.equal((await cli(['land', one.id], { cwd: r.repo.root, env })).code, 0);
    const conflict = await cli(['land', two.id], { cwd: r.repo.root, env });
    assert.equal(conflict.code, 4);
    assert.match(conflict.stderr, /T-2 conflicts with main in shared\.txt; it went back to IN_DEV with a bug/);
    const again = await cli(['land', two.id], { cwd: r.repo.root, env });
    assert.equal(again.code, 4);
    assert.match(again.stderr, /T-2 is IN_DEV: only a ticket in PM_REVIEW can land/);

    const push = await cli(['push', one.id], { cwd: r.repo.root, env });
    assert.equal(push.code, 2);
    assert.match(push.stderr, /no remote to push/);
  });
});
