import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { dismissFinding, findingBugOf, isOpenFinding } from '../../../src/loop/dismissFinding';
import { securityProblems } from '../../../src/scan/security/view';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

describe('dismissing a finding', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  /** A ticket in IN_SEC with one critical Security finding, its thread, and a worktree. */
  async function inSecurityWithFinding() {
    return tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Config', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: tb.root, branch: 'factory/x', base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      tx.transition(t.id, 'IN_DEV', 'IN_SEC', 'runner');
      const fingerprint = 'security:abc';
      tx.upsertFinding({ fingerprint, scanner: 'security', ticketId: t.id, kind: 'secret/aws', file: 'config.ts', line: 2, text: 'AKIA****', data: { severity: 'critical' } });
      const bug = tx.addBug({ ticketId: t.id, title: 'AWS key in config.ts', severity: 'critical', foundBy: 'Security', file: 'config.ts', line: 2, fingerprint });
      const thread = tx.createConversation({ ticketId: t.id, type: 'security', title: bug.title, key: fingerprint, file: 'config.ts', line: 2 });
      return { id: t.id, bugId: bug.id, threadId: thread.id };
    });
  }

  it('lets the Security gate pass, records the decision in the history and resolves the thread', async () => {
    const { id, bugId, threadId } = await inSecurityWithFinding();
    assert.equal(securityProblems(tb.board).length, 1);
    // The moves below are judged by the findings gate alone: the scan-currency gate (a scan of the
    // worktree at its current state, tested with the Security gate) applies only to a ticket with a
    // worktree, and this one's is no git worktree.
    await tb.board.write((tx) => tx.updateTicket(id, { worktree: null }));
    await assert.rejects(tb.board.write((tx) => tx.transition(id, 'IN_SEC', 'PM_REVIEW', 'runner')), /critical\/high security finding/);

    const result = await tb.board.write((tx) => dismissFinding(tx, bugId, id, 'false-positive', 'user'));
    assert.equal(result.changed, true);
    assert.deepEqual([result.bug.dismissed?.reason, result.bug.dismissed?.by, result.bug.fixed], ['false-positive', 'user', false]);
    assert.equal(tb.board.history(id).at(-1)?.note, 'Dismissed the critical finding "AWS key in config.ts" as a false positive');
    assert.equal(tb.board.getConversation(threadId)?.status, 'resolved');
    assert.match(tb.board.listMessages(threadId).at(-1)?.body ?? '', /^Dismissed as a false positive\./);
    assert.deepEqual(securityProblems(tb.board), [], 'no Problems entry for a dismissed finding');
    assert.equal(isOpenFinding(findingBugOf(tb.board, tb.board.getConversation(threadId)!)), false);

    await tb.board.write((tx) => tx.transition(id, 'IN_SEC', 'PM_REVIEW', 'runner'));
    assert.equal(tb.board.getTicket(id)?.status, 'PM_REVIEW');

    const reopened = await tb.open();
    assert.equal(reopened.listBugs(id)[0].dismissed?.reason, 'false-positive', 'the dismissal is on disk');
  });

  it('keeps the first dismissal and refuses bugs the Security agent did not file', async () => {
    const { id, bugId } = await inSecurityWithFinding();
    await tb.board.write((tx) => dismissFinding(tx, bugId, id, 'test-data', 'user'));
    const second = await tb.board.write((tx) => dismissFinding(tx, bugId, id, 'accepted-risk', 'user'));
    assert.deepEqual([second.changed, second.bug.dismissed?.reason], [false, 'test-data']);
    const qa = await tb.board.write((tx) => tx.addBug({ ticketId: id, title: 'Crash', severity: 'high', foundBy: 'qa' }));
    await assert.rejects(
      tb.board.write((tx) => dismissFinding(tx, qa.id, id, 'false-positive', 'user')),
      /was not found by the Security agent/,
    );
  });
});
