import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition, legalTargets, nextStage, STATUSES, transitionRefusal } from '../../../src/domain/status';

describe('transition table', () => {
  it('walks the pipeline forward one step at a time', () => {
    assert.equal(nextStage('BACKLOG'), 'READY');
    assert.equal(nextStage('PM_REVIEW'), 'DONE');
    assert.equal(nextStage('DONE'), undefined);
    assert.ok(canTransition({ from: 'IN_SEC', to: 'PM_REVIEW', by: 'runner' }));
    assert.ok(!canTransition({ from: 'IN_DEV', to: 'IN_SEC', by: 'user' }));
  });

  it('sends any review stage back to development for rework', () => {
    for (const from of ['IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'] as const) {
      assert.ok(canTransition({ from, to: 'IN_DEV', by: 'PM' }), from);
    }
  });

  it('refuses to finish work that was never started', () => {
    assert.match(transitionRefusal({ from: 'BACKLOG', to: 'DONE', by: 'user' }) ?? '', /BACKLOG -> DONE/);
    assert.match(transitionRefusal({ from: 'READY', to: 'DONE', by: 'user' }) ?? '', /READY -> DONE/);
  });

  it('lets the Gatherer close a backlog item whose comment left the code', () => {
    assert.ok(canTransition({ from: 'BACKLOG', to: 'DONE', by: 'Gatherer' }));
    assert.ok(!canTransition({ from: 'READY', to: 'DONE', by: 'Gatherer' }));
  });

  it('lets only a user reopen a finished ticket, and only to READY', () => {
    assert.ok(canTransition({ from: 'DONE', to: 'READY', by: 'user' }));
    assert.ok(!canTransition({ from: 'DONE', to: 'READY', by: 'PM' }));
    assert.ok(!canTransition({ from: 'DONE', to: 'IN_DEV', by: 'user' }));
  });

  it('unblocks to READY or to the status the ticket was blocked from', () => {
    assert.ok(canTransition({ from: 'BLOCKED', to: 'READY', by: 'user' }));
    assert.ok(canTransition({ from: 'BLOCKED', to: 'IN_QA', by: 'user', blockedFrom: 'IN_QA' }));
    assert.ok(!canTransition({ from: 'BLOCKED', to: 'IN_UX', by: 'user', blockedFrom: 'IN_QA' }));
    assert.deepEqual(legalTargets('BLOCKED', 'user', 'IN_SEC'), ['READY', 'IN_SEC']);
  });

  it('blocks only active (or ready) tickets', () => {
    for (const s of STATUSES) {
      const ok = canTransition({ from: s, to: 'BLOCKED', by: 'user' });
      assert.equal(ok, ['READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'].includes(s), s);
    }
  });
});
