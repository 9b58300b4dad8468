import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger, type CycleContext } from '../../../src/agents/agent';
import { localProcessProbe } from '../../../src/process/localProbe';
import { PmAgent } from '../../../src/agents/pm/pmAgent';
import { DEFAULT_PM_SETTINGS } from '../../../src/agents/pm/settings';
import { PM_THREAD_KEY } from '../../../src/agents/pm/thread';
import { DEFAULT_WORKTREE_SETTINGS, WorktreeAgent } from '../../../src/agents/worktreeAgent';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { ConflictRadar } from '../../../src/radar/conflictRadar';
import { overlapsByTicket, overlapWithRunning } from '../../../src/radar/overlaps';
import { makeLandRepo, type LandRepo } from '../land/landFixture';

void describe('the conflict radar', () => {
  let r: LandRepo;
  let agent: WorktreeAgent;
  beforeEach(async () => {
    r = await makeLandRepo();
    agent = new WorktreeAgent({ git: new SimpleGitPort(), settings: () => DEFAULT_WORKTREE_SETTINGS, clock: r.clock, radar: new ConflictRadar() });
  });
  afterEach(async () => {
    await r.dispose();
  });

  const ctx = (): CycleContext => ({ board: r.board, clock: r.clock, log: silentLogger, signal: new AbortController().signal, setActivity() {} });

  void it('records each live ticket\'s files on every Worktree cycle and flags two tickets editing one file, on both', async () => {
    r.commitIn(r.repo.root, { 'src/api.ts': 'v1\n' }, 'api');
    // Under review, so the PM checks in on them without healing them back to READY.
    const a = await r.ticketWithChange('Rename the endpoint', { 'src/api.ts': 'v2\n', 'docs/a.md': 'a\n' }, 'IN_QA');
    const b = await r.ticketWithChange('Version the endpoint', { 'src/other.ts': 'o\n' }, 'IN_QA');
    const c = await r.ticketWithChange('Unrelated', { 'src/c.ts': 'c\n' }, 'IN_DEV');
    // b edits the same file without committing yet: the worktree counts too.
    writeFileSync(join((await r.ticket(b.id)).worktree!.path, 'src/api.ts'), 'v3\nmore\n');

    await agent.runCycle(ctx());
    const records = r.board.listChangedFiles();
    assert.deepEqual(records.filter((x) => x.ticketId === a.id).map((x) => [x.path, x.additions, x.deletions]), [['docs/a.md', 1, 0], ['src/api.ts', 1, 1]]);
    assert.deepEqual(records.filter((x) => x.ticketId === b.id).map((x) => x.path), ['src/api.ts', 'src/other.ts']);
    const overlaps = overlapsByTicket(records);
    assert.deepEqual(overlaps.get(a.id), [{ ticketId: b.id, files: ['src/api.ts'] }]);
    assert.deepEqual(overlaps.get(b.id), [{ ticketId: a.id, files: ['src/api.ts'] }]);
    assert.equal(overlaps.get(c.id), undefined);

    // Nothing changed: the next cycle rewrites nothing.
    const recordedAt = records[0]?.recordedAt;
    r.clock.advanceMinutes(5);
    await agent.runCycle(ctx());
    assert.equal(r.board.listChangedFiles()[0]?.recordedAt, recordedAt);

    // The PM names the other ticket and the file in its check-in on both.
    const pm = new PmAgent({ settings: () => DEFAULT_PM_SETTINGS, probe: localProcessProbe, signals: { activity: async () => ({ commitsAhead: 1, changedFileCount: 1 }), exists: async () => true }, stopper: { stop: async () => undefined } });
    await pm.runCycle(ctx());
    for (const [id, other] of [[a.id, b.id], [b.id, a.id]]) {
      const concerns = r.board.latestCheckIn(id)?.findings.concerns ?? [];
      assert.ok(concerns.some((x) => x.startsWith(`Changes the same files as ${other} (src/api.ts)`)), concerns.join(' | '));
      const thread = r.board.findConversation(id, PM_THREAD_KEY);
      assert.ok(thread && r.board.listMessages(thread.id).some((m) => m.body.includes(`Changes the same files as ${other}`)));
    }

    // A ticket that is done is no longer live: its record goes, and with it the warning.
    await r.board.write((tx) => {
      for (const s of ['IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE'] as const) tx.transition(a.id, tx.getTicket(a.id)!.status, s, 'runner');
    });
    await agent.runCycle(ctx());
    assert.deepEqual(r.board.listChangedFiles(a.id), []);
    assert.equal(overlapsByTicket(r.board.listChangedFiles()).get(b.id), undefined);
  });

  void it('the autopilot, with avoidOverlap, waits on a ticket whose recorded files overlap a running one', async () => {
    r.commitIn(r.repo.root, { 'shared.ts': 's\n' }, 'shared');
    const running = await r.ticketWithChange('Running', { 'shared.ts': 'running\n' }, 'IN_DEV');
    const waiting = await r.ticketWithChange('Reworked', { 'shared.ts': 'again\n' }, 'IN_DEV');
    await r.board.write((tx) => tx.transition(waiting.id, 'IN_DEV', 'READY', 'PM', 'healed'));
    const fresh = await r.board.write((tx) => tx.createTicket({ title: 'Never started', status: 'READY' }, 'user'));
    await agent.runCycle(ctx());
    const records = r.board.listChangedFiles();
    const runningIds = new Set([running.id]);
    assert.deepEqual(overlapWithRunning(records, waiting.id, runningIds, true), { ticketId: running.id, files: ['shared.ts'] });
    assert.equal(overlapWithRunning(records, waiting.id, runningIds, false), undefined, 'avoidOverlap off');
    assert.equal(overlapWithRunning(records, waiting.id, new Set(), true), undefined, 'nothing running');
    assert.equal(overlapWithRunning(records, fresh.id, runningIds, true), undefined, 'a ticket never worked overlaps nothing');
  });
});
