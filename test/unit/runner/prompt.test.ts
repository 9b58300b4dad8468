import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import { messageAgent } from '../../../src/loop/inbox';
import { recordVerdict } from '../../../src/loop/verdicts';
import { buildPrompt } from '../../../src/runner/prompt';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const PIPELINE = ['IN_DEV', 'IN_SEC', 'PM_REVIEW'] as const;

describe('the prompt of a run', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  const prompt = (run: Run, completion?: 'verdict' | 'exit'): string => {
    const ticket = tb.board.getTicket(run.ticketId);
    assert.ok(ticket);
    return buildPrompt(tb.board, { ticket, run, worktree: '/w/T-1', boardDir: tb.dir, completion });
  };

  it('tells a work stage to finish with done, with an example, and what an exit without it means', async () => {
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Retry uploads', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' });
    });
    const text = prompt(run, 'exit');
    assert.match(text, /```sh\nagent-factory done --summary "[^"]+"\n```/);
    assert.match(text, /Exiting with status 0 without a verdict also counts as done, but only when the branch has commits or changed files/);
    assert.match(text, /- `agent-factory done \[--summary "<text>"\]`: this stage is finished/);
    assert.doesNotMatch(text, /agent-factory approve/);
    assert.match(text, /agent-factory inbox \[--wait SECONDS\]/);
    assert.match(text, /agent-factory bug "<text>"/);
    assert.match(prompt(run, 'verdict'), /Exiting without a verdict counts as a failed attempt, whatever your exit status/);
  });

  it('tells a review stage to approve or reject with bugs, with examples', async () => {
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Retry uploads', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      tx.transition(t.id, 'IN_DEV', 'IN_SEC', 'runner');
      return tx.createRun({ ticketId: t.id, stage: 'IN_SEC', agent: 'sec-bot' });
    });
    const text = prompt(run, 'verdict');
    assert.match(text, /agent-factory approve --summary "[^"]+"\nagent-factory reject --bug "[^"]+" --severity high --file \S+ --line \d+ --bug "[^"]+"/);
    assert.match(text, /- `agent-factory reject --bug "<text>" \[--severity high\] \[--file F --line N\] \.\.\.`/);
    assert.doesNotMatch(text, /`agent-factory done/);
  });

  it('carries the earlier attempts\' verdicts, the bugs of a rejection, the answers to a block and messages from people', async () => {
    const ticketId = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Refunds', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return t.id;
    });
    // Attempt 1 asks a question and is answered.
    const first = await tb.board.write((tx) => tx.createRun({ ticketId, stage: 'IN_DEV', agent: 'claude' }));
    await tb.board.write((tx) => {
      tx.transition(ticketId, 'IN_DEV', 'BLOCKED', 'claude', 'Which currency do refunds use?');
      tx.updateRun(first.id, { verdict: 'blocked', summary: 'Which currency do refunds use?', status: 'succeeded', endedAt: tb.clock.now() });
    });
    tb.clock.advance(60_000);
    await tb.board.write((tx) => messageAgent(tx, { ticketId, body: 'The original payment\'s currency.' }));
    // Attempt 2 finishes; the review rejects it with a bug.
    tb.clock.advance(60_000);
    const second = await tb.board.write((tx) => {
      tx.transition(ticketId, 'READY', 'IN_DEV', 'runner');
      return tx.createRun({ ticketId, stage: 'IN_DEV', agent: 'claude', attempt: 2 });
    });
    await tb.board.write((tx) => recordVerdict(tx, { runId: second.id, verdict: 'done', summary: 'Refunds in EUR only', pipeline: PIPELINE, now: tb.clock.now() }));
    tb.clock.advance(60_000);
    const review = await tb.board.write((tx) => tx.createRun({ ticketId, stage: 'IN_SEC', agent: 'sec-bot' }));
    await tb.board.write((tx) => recordVerdict(tx, { runId: review.id, verdict: 'rejected', bugs: [{ text: 'Refund amount is not validated', severity: 'high', file: 'src/refund.ts', line: 12 }], pipeline: PIPELINE, now: tb.clock.now() }));
    await tb.board.write((tx) => messageAgent(tx, { ticketId, body: 'Please also log refunds.' }));
    tb.clock.advance(60_000);
    const third = await tb.board.write((tx) => tx.createRun({ ticketId, stage: 'IN_DEV', agent: 'claude', attempt: 3 }));

    const text = prompt(third);
    assert.match(text, /- \*\*high\*\* Refund amount is not validated at src\/refund\.ts:12 \(found by sec-bot\)/);
    assert.match(text, /- IN_SEC attempt 1 by sec-bot: \*\*succeeded\*\*, verdict \*\*rejected\*\*: the agent rejected the change with 1 bug; ticket back to IN_DEV for rework/);
    assert.match(text, /- IN_DEV attempt 2 by claude: \*\*succeeded\*\*, verdict \*\*done\*\*: the agent reported done; ticket moved to IN_SEC\n {2}- Its summary: Refunds in EUR only/);
    assert.match(text, /## Questions asked on this ticket, and the answers[\s\S]*- IN_DEV attempt 1 asked: Which currency do refunds use\?\n {2}- user answered: The original payment's currency\./);
    assert.match(text, /## Messages to you from people \(latest last\)\n\n- user: Please also log refunds\.\n/);
    assert.equal(text.match(/The original payment's currency/g)?.length, 1, 'an answer is listed once, with its question');
  });
});
