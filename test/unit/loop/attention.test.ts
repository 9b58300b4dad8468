import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { PmReport } from '../../../src/agents/pm/report';
import { attentionHeadline, boardAttention } from '../../../src/loop/attention';
import { dismissFinding } from '../../../src/loop/dismissFinding';
import type { StageConfig } from '../../../src/loop/stageHandling';
import type { BoardTx } from '../../../src/store/api';
import { groupTickets } from '../../../src/vscode/tickets/ticketGroups';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const REPORT: PmReport = { at: 0, boardProgress: '0.0%', runs: [], stuck: [], healed: [], lost: [], timedOut: [], blocked: [], unblockable: [], orphans: [] };

/** A Security finding as the agent records it: a live finding and its bug. */
function finding(tx: BoardTx, ticketId: string, severity: 'critical' | 'high' | 'medium', n: number): string {
  const fingerprint = `security:fp${n}`;
  tx.upsertFinding({ fingerprint, scanner: 'security', ticketId, kind: 'secret/aws', file: 'src/config.ts', line: n, text: 'AKIA****', data: { severity } });
  return tx.addBug({ ticketId, title: `AWS key ${n}`, severity, foundBy: 'Security', file: 'src/config.ts', line: n, rule: 'secret/aws', fingerprint }).id;
}

function active(tx: BoardTx, title: string): string {
  const t = tx.createTicket({ title, status: 'READY' }, 'user');
  tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
  return t.id;
}

describe('what needs a person', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  it('counts open critical and high Security findings; dismissed, fixed and medium ones do not count', async () => {
    const { secret, dismissed } = await tb.board.write((tx) => {
      const secret = active(tx, 'Leaks a key');
      finding(tx, secret, 'critical', 1);
      finding(tx, secret, 'medium', 2);
      const fixed = finding(tx, secret, 'high', 3);
      tx.setBugFixed(fixed, true);
      const dismissed = active(tx, 'Test fixture');
      const bug = finding(tx, dismissed, 'critical', 4);
      dismissFinding(tx, bug, dismissed, 'test-data', 'user');
      finding(tx, dismissed, 'high', 5);
      return { secret, dismissed };
    });
    const a = boardAttention(tb.board, { report: REPORT });
    assert.deepEqual(a.items.map((i) => [i.kind, i.ticketId, i.severity]), [
      ['finding', secret, 'critical'],
      ['finding', dismissed, 'high'],
    ]);
    assert.deepEqual([a.counts.finding, a.criticalFindings, a.level], [2, 1, 'error']);
    assert.deepEqual(attentionHeadline(a), ['1 critical finding', '1 high finding']);
    assert.deepEqual(a.tickets, [secret, dismissed]);
  });

  it('counts BLOCKED tickets as blocked, so the status bar and the Blocked group agree', async () => {
    const ids = await tb.board.write((tx) => {
      const a = tx.createTicket({ title: 'A', status: 'READY' }, 'user');
      tx.transition(a.id, 'READY', 'BLOCKED', 'user', 'needs the API key');
      const b = active(tx, 'B');
      return [a.id, b];
    });
    // The PM's report says the active ticket's check-in has a blocker (a failed stage): that is
    // waiting for a person, not "blocked".
    await tb.board.write((tx) =>
      tx.addCheckIn({
        ticketId: ids[1],
        type: 'blocker',
        summary: 'x',
        findings: { progressPercent: 0, concerns: [], blockers: ['The IN_QA agent\'s last run ended failed and nothing is working on it'], achievements: [], evidence: [], stalled: false },
        actionRequired: true,
      }),
    );
    const a = boardAttention(tb.board, { report: { ...REPORT, blocked: [ids[1]] } });
    const groups = groupTickets(tb.board.listTickets().map((ticket) => ({ ticket })));
    assert.equal(a.counts.blocked, groups.find((g) => g.status === 'BLOCKED')?.total);
    assert.deepEqual(attentionHeadline(a), ['1 blocked', '1 waiting for you']);
    assert.equal(a.items.find((i) => i.kind === 'blocked')?.detail, 'needs the API key');
    assert.match(a.items.find((i) => i.kind === 'waiting')?.detail ?? '', /last run ended failed/);
  });

  it('counts a check-in blocker that is a finding once, as a finding', async () => {
    const id = await tb.board.write((tx) => {
      const t = active(tx, 'Leaky');
      finding(tx, t, 'high', 1);
      return t;
    });
    const a = boardAttention(tb.board, { report: { ...REPORT, blocked: [id] } });
    assert.deepEqual(a.items.map((i) => i.kind), ['finding']);
  });

  it('counts stalled and overrun runs that are still live, stuck IN_DEV tickets, and runs that asked for a person', async () => {
    const { run, ended, stuck } = await tb.board.write((tx) => {
      const t = active(tx, 'Slow');
      const run = tx.createRun({ ticketId: t, stage: 'IN_DEV', agent: 'claude' });
      tx.setRunAttention(run.id, { needsInput: { reason: 'May I run npm install?', since: 1, source: 'hook' } });
      // An ended run's old request counts no more.
      const ended = tx.createRun({ ticketId: t, stage: 'IN_DEV', agent: 'claude' });
      tx.setRunAttention(ended.id, { needsInput: { reason: 'old', since: 1, source: 'output' } });
      tx.updateRun(ended.id, { status: 'failed', endedAt: 1 });
      const stuck = active(tx, 'Nobody on it');
      return { run: run.id, ended: ended.id, stuck };
    });
    const report: PmReport = {
      ...REPORT,
      runs: [
        { runId: run, ticketId: 'T-1', stalled: true, overrun: false, lastProgressAt: 0 },
        { runId: ended, ticketId: 'T-1', stalled: true, overrun: false, lastProgressAt: 0 },
      ],
      stuck: [stuck, 'T-99'],
    };
    const a = boardAttention(tb.board, { report });
    assert.deepEqual(a.items.map((i) => [i.kind, i.ticketId, i.runId]), [
      ['needsInput', 'T-1', run],
      ['stalled', 'T-1', run],
      ['stuck', stuck, undefined],
    ]);
    assert.equal(a.items[0].question, true);
    assert.match(a.items[0].detail, /asks: May I run npm install\?/);
    assert.deepEqual(attentionHeadline(a), ['1 needs input', '1 stalled', '1 stuck']);
    assert.deepEqual([a.level, a.tickets], ['warning', ['T-1', stuck]]);
  });

  it('counts orphaned agents and tickets waiting in a stage only a person finishes', async () => {
    const id = await tb.board.write((tx) => {
      const t = active(tx, 'Review me');
      tx.transition(t, 'IN_DEV', 'PM_REVIEW', 'runner');
      return t;
    });
    const stages: StageConfig = { pipeline: () => ['IN_DEV', 'PM_REVIEW'], hasAgent: (stage) => stage === 'IN_DEV' };
    const a = boardAttention(tb.board, { report: undefined, stages, orphans: 2 });
    assert.deepEqual(a.items.map((i) => [i.kind, i.ticketId]), [['review', id]]);
    assert.deepEqual(attentionHeadline(a), ['2 orphaned', '1 waiting for review']);
    assert.equal(a.level, 'warning');
    assert.deepEqual(boardAttention(tb.board, { report: undefined }).items, [], 'without the stages nobody is waiting for review');
  });

  it('marks a ticket whose agent asked with block as a question for a person', async () => {
    const id = await tb.board.write((tx) => {
      const t = active(tx, 'Asks');
      const r = tx.createRun({ ticketId: t, stage: 'IN_DEV', agent: 'claude' });
      tx.transition(t, 'IN_DEV', 'BLOCKED', 'claude', 'Which database?');
      tx.updateRun(r.id, { verdict: 'blocked', summary: 'Which database?', status: 'succeeded', endedAt: 1 });
      return t;
    });
    const [item] = boardAttention(tb.board, { report: undefined }).items;
    assert.deepEqual([item?.kind, item?.ticketId, item?.question, item?.detail], ['blocked', id, true, 'its agent asks: Which database?']);
  });
});
