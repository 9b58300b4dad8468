import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { unreadForAgent } from '../../../src/loop/inbox';
import { fileReviewComment } from '../../../src/review/reviewComments';
import { approveTicket, openReviewBugs, requestChanges, REVIEW_ACTOR } from '../../../src/review/reviewVerdicts';
import { cli } from '../cli/cliProcess';
import { makeLandRepo, type LandRepo } from '../land/landFixture';

void describe('review verdicts and comments', () => {
  let r: LandRepo;
  beforeEach(async () => {
    r = await makeLandRepo();
  });
  afterEach(async () => {
    await r.dispose();
  });

  void it('a comment on a line becomes a bug with file and line, and a message the agent reads through agent-factory inbox', async () => {
    const t = await r.ticketWithChange('Parse dates', { 'src/dates.ts': 'a\nb\nc\n' }, 'IN_DEV');
    const run = await r.board.write((tx) => tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' }));
    const filed = await r.board.write((tx) => fileReviewComment(tx, { ticketId: t.id, file: 'src/dates.ts', line: 3, body: 'Off by one here.\nUse the inclusive end.' }));
    assert.deepEqual([filed.bug.file, filed.bug.line, filed.bug.title, filed.bug.foundBy], ['src/dates.ts', 3, 'Off by one here.', 'user']);
    assert.equal(filed.bug.description, 'Off by one here.\nUse the inclusive end.');
    assert.deepEqual([filed.conversation.type, filed.conversation.file, filed.conversation.line], ['review', 'src/dates.ts', 3]);
    assert.deepEqual(unreadForAgent(r.board, t.id).map((m) => m.id), [filed.message.id]);

    const inbox = await cli(['inbox', '--json'], { cwd: r.repo.root, env: { AGENT_FACTORY_BOARD: join(r.repo.root, '.factory'), AGENT_FACTORY_RUN_ID: run.id } });
    assert.equal(inbox.code, 0, inbox.stderr);
    const [message] = JSON.parse(inbox.stdout) as { thread: string; body: string }[];
    assert.equal(message?.thread, 'Review comment on src/dates.ts line 3');
    assert.match(message?.body ?? '', /Off by one here/);

    for (const bad of [{ file: '../outside.ts', line: 1 }, { file: '/etc/passwd', line: 1 }, { file: 'src/dates.ts', line: 0 }]) {
      await assert.rejects(r.board.write((tx) => fileReviewComment(tx, { ticketId: t.id, body: 'x', ...bad })), /not a file of the worktree|needs a line number/);
    }
    await assert.rejects(r.board.write((tx) => fileReviewComment(tx, { ticketId: t.id, file: 'a', line: 1, body: '  ' })), /empty comment/);
  });

  void it('Request Changes sends a ticket under review back to IN_DEV, by the user, with its review bugs', async () => {
    const t = await r.ticketWithChange('Review me', { 'x.ts': 'x\n' }, 'PM_REVIEW');
    await assert.rejects(r.board.write((tx) => requestChanges(tx, t.id)), /has no review comments/);
    await r.board.write((tx) => fileReviewComment(tx, { ticketId: t.id, file: 'x.ts', line: 1, body: 'Name this better' }));
    const done = await r.board.write((tx) => requestChanges(tx, t.id, 'Also add a test'));
    assert.equal(done.from, 'PM_REVIEW');
    assert.deepEqual(done.bugs.map((b) => b.title).sort(), ['Also add a test', 'Name this better']);
    const ticket = await r.ticket(t.id);
    assert.equal(ticket.status, 'IN_DEV');
    const last = r.board.history(t.id).at(-1);
    assert.equal(last?.by, 'user');
    assert.match(last?.note ?? '', /Changes requested in review \(2 comments\)/);
    assert.equal(openReviewBugs(r.board, t.id).length, 2);
    assert.ok(unreadForAgent(r.board, t.id).some((m) => m.body === 'Changes requested: Also add a test'));
    await assert.rejects(r.board.write((tx) => requestChanges(tx, t.id, 'again')), /is for a ticket under review .* T-1 is IN_DEV/);
  });

  void it('Approve follows the pipeline, skipping the stages it leaves out, to DONE after the last', async () => {
    const t = await r.ticketWithChange('Approve me', { 'y.ts': 'y\n' }, 'IN_QA');
    const pipeline = ['IN_DEV', 'IN_QA', 'PM_REVIEW'] as const;
    const first = await r.board.write((tx) => approveTicket(tx, t.id, pipeline));
    assert.deepEqual([first.from, first.to], ['IN_QA', 'PM_REVIEW']);
    assert.equal(r.board.history(t.id).at(-1)?.by, REVIEW_ACTOR);
    const second = await r.board.write((tx) => approveTicket(tx, t.id, pipeline));
    assert.equal(second.to, 'DONE');
  });
});
