import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeTicket, assessRun, checkInMessage, progressPercent } from '../../../src/agents/pm/analysis';
import { boardProgress } from '../../../src/agents/pm/pmAgent';
import { DEFAULT_PM_SETTINGS } from '../../../src/agents/pm/settings';
import { checkInType, formatPercent } from '../../../src/domain/checkin';
import type { Run } from '../../../src/domain/run';
import type { Bug, Ticket } from '../../../src/domain/ticket';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MIN = 60_000;

function ticket(over: Partial<Ticket> = {}): Ticket {
  return {
    id: 'T-7', title: 'Add login', description: '', acceptanceCriteria: [], priority: 2, type: 'feature', labels: [], source: 'user',
    status: 'IN_DEV', dependsOn: [], healCount: 0, createdAt: NOW - 120 * MIN, updatedAt: NOW - 60 * MIN, statusSince: NOW - 60 * MIN,
    worktree: { path: '/w/T-7-add-login', branch: 'factory/T-7-add-login', base: 'main' }, ...over,
  };
}

function run(over: Partial<Run> = {}): Run {
  return { id: 'r-000001', ticketId: 'T-7', stage: 'IN_DEV', agent: 'fake', owner: 'h:1:x', startedAt: NOW - 30 * MIN, heartbeatAt: NOW, status: 'running', attempt: 1, ...over };
}

function bug(severity: Bug['severity'], over: Partial<Bug> = {}): Bug {
  return { id: `b-${severity}00001`, ticketId: 'T-7', title: `${severity} thing`, description: '', severity, foundBy: 'Security', fixed: false, createdAt: NOW, ...over };
}

describe('PM findings', () => {
  it('writes progress with digits, never as a character', () => {
    assert.equal(formatPercent(42.857), '42.9%');
    assert.equal(formatPercent(100), '100.0%');
    assert.equal(boardProgress({ BACKLOG: 9, READY: 1, IN_DEV: 1, IN_QA: 0, IN_UX: 0, IN_SEC: 0, PM_REVIEW: 0, DONE: 3, BLOCKED: 2 }), '42.9%');
    assert.equal(boardProgress({ BACKLOG: 4, READY: 0, IN_DEV: 0, IN_QA: 0, IN_UX: 0, IN_SEC: 0, PM_REVIEW: 0, DONE: 0, BLOCKED: 0 }), '0.0%');
  });

  it('never lets concerns hide a blocker', () => {
    const a = analyzeTicket({ ticket: ticket(), bugs: [bug('critical'), bug('low')], stageRuns: [], now: NOW, worktreeMissing: false }, DEFAULT_PM_SETTINGS);
    assert.equal(a.type, 'blocker');
    assert.ok(a.findings.concerns.length > 0, 'the concerns are still reported');
    assert.match(a.summary, /critical thing/);
  });

  it('reaches guidance when the live run has stalled and nothing else is wrong', () => {
    const live = assessRun(run({ lastOutputAt: NOW - 20 * MIN }), NOW, true, { commitsAhead: 1, changedFileCount: 0, lastCommitAt: NOW - 25 * MIN }, DEFAULT_PM_SETTINGS);
    assert.ok(live.stalled);
    const a = analyzeTicket({ ticket: ticket(), bugs: [], stageRuns: [live.run], live, now: NOW, worktreeMissing: false }, DEFAULT_PM_SETTINGS);
    assert.equal(a.type, 'guidance');
    assert.match(a.summary, /stalled: no output, file change or commit for 20 min/);
  });

  it('calls a looping run stalled though it prints all the time, and the check-in quotes the evidence', () => {
    const loop = { evidence: 'Bash {"command":"npm test"}', repeats: 5, since: NOW - MIN };
    const live = assessRun(run({ lastOutputAt: NOW, attention: { loop } }), NOW, true, undefined, DEFAULT_PM_SETTINGS);
    assert.ok(live.stalled);
    const a = analyzeTicket({ ticket: ticket(), bugs: [], stageRuns: [live.run], live, now: NOW, worktreeMissing: false }, DEFAULT_PM_SETTINGS);
    assert.equal(a.type, 'guidance');
    assert.equal(a.summary, 'T-7 has stalled: its agent repeats itself (Bash {"command":"npm test"})');
    assert.match(checkInMessage(a), /- Run r-000001 repeats itself, 5 times in a row: Bash \{"command":"npm test"\}/);
  });

  it('names a run that waits for a person among the concerns', () => {
    const needsInput = { reason: 'Do you want to proceed? [y/N]', since: NOW - MIN, source: 'output' as const };
    const live = assessRun(run({ lastOutputAt: NOW, attention: { needsInput } }), NOW, true, undefined, DEFAULT_PM_SETTINGS);
    const a = analyzeTicket({ ticket: ticket(), bugs: [], stageRuns: [live.run], live, now: NOW, worktreeMissing: false }, DEFAULT_PM_SETTINGS);
    assert.equal(a.type, 'review');
    assert.equal(a.summary, 'T-7 needs a look: Run r-000001 needs input: Do you want to proceed? [y/N]');
  });

  it('does not call a run stalled while its worktree keeps changing', () => {
    const live = assessRun(run({ lastOutputAt: NOW - 40 * MIN }), NOW, true, { commitsAhead: 0, changedFileCount: 3, lastFileChangeAt: NOW - 2 * MIN }, DEFAULT_PM_SETTINGS);
    assert.equal(live.stalled, false);
  });

  it('derives progress from commits and changed files, not from the passing of time', () => {
    const sig = { ticket: ticket(), bugs: [], stageRuns: [], now: NOW, worktreeMissing: false };
    const before = progressPercent({ ...sig, activity: { commitsAhead: 0, changedFileCount: 0 } });
    const later = progressPercent({ ...sig, now: NOW + 600 * MIN, activity: { commitsAhead: 0, changedFileCount: 0 } });
    assert.equal(before, later, 'nothing happened, so nothing grew');
    const worked = progressPercent({ ...sig, activity: { commitsAhead: 2, changedFileCount: 5 } });
    assert.ok(worked > before);
    assert.equal(progressPercent({ ...sig, live: assessRun(run({ reportedProgress: 50 }), NOW, true, undefined, DEFAULT_PM_SETTINGS) }), 30);
    assert.equal(progressPercent({ ...sig, ticket: ticket({ status: 'IN_SEC' }) }), 80);
  });

  it('reports a missing worktree and a dead review-stage run as blockers', () => {
    const failed = run({ stage: 'IN_QA', status: 'failed', exitCode: 2, endedAt: NOW - MIN });
    const a = analyzeTicket({ ticket: ticket({ status: 'IN_QA' }), bugs: [], stageRuns: [failed], now: NOW, worktreeMissing: true }, DEFAULT_PM_SETTINGS);
    assert.equal(a.type, 'blocker');
    assert.equal(a.findings.blockers.length, 2);
    assert.match(a.findings.blockers.join('\n'), /Worktree missing/);
    assert.match(a.findings.blockers.join('\n'), /ended failed \(exit 2\)/);
  });

  it('writes a readable message with each section', () => {
    const a = analyzeTicket({ ticket: ticket(), bugs: [bug('high')], stageRuns: [], now: NOW, worktreeMissing: false, activity: { commitsAhead: 3, changedFileCount: 1 } }, DEFAULT_PM_SETTINGS);
    const text = checkInMessage(a);
    assert.match(text, /^T-7 is blocked: Open high bug: high thing/);
    assert.match(text, /Progress: \d+\.\d%/);
    assert.match(text, /Blockers:\n- Open high bug/);
    assert.match(text, /Achievements:\n- 3 commits on factory\/T-7-add-login/);
  });

  it('orders check-in types blocker > review > guidance > progress', () => {
    assert.equal(checkInType({ blockers: ['b'], concerns: ['c'], stalled: true }), 'blocker');
    assert.equal(checkInType({ blockers: [], concerns: ['c'], stalled: true }), 'review');
    assert.equal(checkInType({ blockers: [], concerns: [], stalled: true }), 'guidance');
    assert.equal(checkInType({ blockers: [], concerns: [], stalled: false }), 'progress');
  });
});
