import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { healStuckTickets } from '../../../src/agents/pm/heal';
import { localProcessProbe } from '../../../src/process/localProbe';
import { MAX_CHECKINS_PER_CYCLE } from '../../../src/agents/pm/pmAgent';
import { parsePmReport } from '../../../src/agents/pm/report';
import { DEFAULT_PM_SETTINGS } from '../../../src/agents/pm/settings';
import { PM_THREAD_KEY } from '../../../src/agents/pm/thread';
import { openBoard } from '../../../src/store/sqlBoard';
import { processTreeAlive } from '../../../src/process/processTree';
import { cycle, ELSEWHERE, fixture, inDev, pm } from './pmFixture';

describe('PM agent', () => {
  it('marks runs whose owner on another machine stopped heartbeating lost, and leaves live ones running', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const [dead, live] = await f.board.write((tx) => [
      tx.updateRun(tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'running' }).id, { owner: ELSEWHERE }),
      tx.updateRun(tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'running' }).id, { owner: ELSEWHERE }),
    ]);
    f.clock.advance(45_000);
    await f.board.write((tx) => tx.updateRun(live.id, { heartbeatAt: f.clock.now() }));
    await cycle(pm(), f);
    assert.equal(f.board.getRun(dead.id)?.status, 'lost');
    assert.match(f.board.getRun(dead.id)?.note ?? '', /not reported/);
    assert.equal(f.board.getRun(live.id)?.status, 'running');
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.lost, [dead.id]);
    await f.board.close();
  });

  it('never heals a ticket inside the grace period, then heals it with a note, a message and its worktree kept', async () => {
    const f = await fixture();
    const id = await inDev(f);
    f.clock.advanceMinutes(1);
    await cycle(pm(), f);
    assert.equal(f.board.getTicket(id)?.status, 'IN_DEV', 'a ticket that is just starting is left alone');
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.stuck, [id]);

    f.clock.advanceMinutes(2);
    await cycle(pm(), f);
    const t = f.board.getTicket(id)!;
    assert.equal(t.status, 'READY');
    assert.equal(t.assignedAgent, undefined);
    assert.equal(t.worktree?.branch, `factory/${id}`, 'worktree and branch kept for the retry');
    assert.equal(t.healCount, 1);
    const last = f.board.history(id).at(-1)!;
    assert.deepEqual([last.from, last.to, last.by], ['IN_DEV', 'READY', 'PM']);
    assert.match(last.note ?? '', /no live agent for 3 min.*heal 1 of 3/);
    const thread = f.board.findConversation(id, PM_THREAD_KEY)!;
    assert.match(f.board.listMessages(thread.id).at(-1)!.body, /Moved back to READY/);
    assert.equal(f.board.getConversation(thread.id)?.status, 'resolved', 'READY is not active: the thread asks for nothing');
    await f.board.close();
  });

  it('does not heal a ticket whose run was recorded before it moved and is still alive', async () => {
    const f = await fixture();
    const id = await f.board.write((tx) => {
      const t = tx.createTicket({ title: 'Starting', status: 'READY' }, 'user');
      tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'fake', status: 'queued' });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return t.id;
    });
    for (let i = 0; i < 5; i++) {
      f.clock.advanceMinutes(1);
      await f.board.write((tx) => {
        for (const r of tx.listRuns({ ticketId: id })) tx.updateRun(r.id, { heartbeatAt: f.clock.now() });
      });
      await cycle(pm(), f);
    }
    assert.equal(f.board.getTicket(id)?.status, 'IN_DEV');
    await f.board.close();
  });

  it('blocks a ticket after maxHeals heals instead of looping forever, and the change is on disk', async () => {
    const f = await fixture();
    const id = await inDev(f);
    for (let heal = 1; heal <= 3; heal++) {
      f.clock.advanceMinutes(3);
      await cycle(pm(), f);
      assert.equal(f.board.getTicket(id)?.status, 'READY', `heal ${heal}`);
      await f.board.write((tx) => tx.transition(id, 'READY', 'IN_DEV', 'user'));
    }
    f.clock.advanceMinutes(3);
    await cycle(pm(), f);
    const t = f.board.getTicket(id)!;
    assert.equal(t.status, 'BLOCKED');
    assert.equal(t.blockedFrom, 'IN_DEV');
    assert.match(t.blockedReason ?? '', /after 3 self-heals/);
    await f.board.close();
    const reopened = await openBoard({ dir: join(f.root, '.factory'), repoRoot: f.root });
    assert.equal(reopened.getTicket(id)?.status, 'BLOCKED', 'the heal was saved');
    await reopened.close();
  });

  it('says which tickets wait out the grace period and when each becomes healable', async () => {
    const f = await fixture();
    const id = await inDev(f);
    f.clock.advanceMinutes(1);
    const early = await healStuckTickets(f.board, { clock: f.clock, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    assert.deepEqual(early.healed, []);
    const statusSince = f.board.getTicket(id)!.statusSince;
    assert.deepEqual(early.waiting, [{ ticketId: id, healableAt: statusSince + 2 * 60_000 + 1 }]);
    f.clock.advance(early.waiting[0].healableAt - f.clock.now());
    const due = await healStuckTickets(f.board, { clock: f.clock, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    assert.deepEqual([due.healed.map((h) => h.ticketId), due.waiting], [[id], []], 'healable at the time it said');
    await f.board.close();
  });

  it("leaves a ticket a person moved to IN_DEV with a note to that person, until a run starts on it", async () => {
    const f = await fixture();
    const id = await f.board.write((tx) => {
      const t = tx.createTicket({ title: 'Mine', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user', 'I am on it');
      return t.id;
    });
    f.clock.advanceMinutes(30);
    const report = await cycle(pm(), f);
    assert.equal(f.board.getTicket(id)?.status, 'IN_DEV', 'not healed out from under the person');
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.stuck, [], 'and not counted as stuck');
    assert.ok(!report.summary.includes('stuck'));
    assert.match(f.board.latestCheckIn(id)?.findings.evidence.join('\n') ?? '', /Worked by hand/);
    const outcome = await healStuckTickets(f.board, { clock: f.clock, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    assert.deepEqual([outcome.healed, outcome.waiting], [[], []]);

    // Once an agent run has started (and died), the ticket is the agents' again: normal healing.
    await f.board.write((tx) => tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'failed' }));
    f.clock.advanceMinutes(3);
    await cycle(pm(), f);
    assert.equal(f.board.getTicket(id)?.status, 'READY');
    await f.board.close();
  });

  it('heals from the command even with no PM cycle, and reports nothing to do', async () => {
    const f = await fixture();
    const id = await inDev(f);
    f.clock.advanceMinutes(5);
    const first = await healStuckTickets(f.board, { clock: f.clock, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    assert.deepEqual(first.healed.map((h) => [h.ticketId, h.to]), [[id, 'READY']]);
    const second = await healStuckTickets(f.board, { clock: f.clock, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    assert.deepEqual(second.healed, []);
    await f.board.close();
  });

  it('keeps one PM thread per ticket and writes to it only when the findings change', async () => {
    const f = await fixture();
    const id = await f.board.write((tx) => {
      const t = tx.createTicket({ title: 'Reviewed', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      tx.transition(t.id, 'IN_DEV', 'IN_QA', 'runner');
      tx.createRun({ ticketId: t.id, stage: 'IN_QA', agent: 'qa', status: 'running' });
      tx.addBug({ ticketId: t.id, title: 'Crash on save', severity: 'high', foundBy: 'QA' });
      return t.id;
    });
    const patient = pm({ maxRunMinutes: 10_000 });
    const keepAlive = () => f.board.write((tx) => {
      for (const r of tx.listRuns({ ticketId: id, status: 'running' })) tx.updateRun(r.id, { heartbeatAt: f.clock.now(), lastOutputAt: f.clock.now() });
    });
    await cycle(patient, f);
    for (let i = 0; i < 3; i++) {
      f.clock.advanceMinutes(16);
      await keepAlive();
      await cycle(patient, f);
    }
    const threads = f.board.listConversations({ ticketId: id });
    assert.equal(threads.length, 1, 'one thread, not one per interval');
    assert.equal(f.board.listMessages(threads[0].id).length, 1, 'same findings, no new message');
    assert.equal(f.board.listCheckIns(id).length, 4, 'each check-in is still recorded');
    assert.equal(f.board.latestCheckIn(id)?.type, 'blocker');

    await f.board.write((tx) => tx.addBug({ ticketId: id, title: 'Typo in label', severity: 'low', foundBy: 'QA' }));
    f.clock.advanceMinutes(16);
    await keepAlive();
    await cycle(patient, f);
    assert.equal(f.board.listMessages(threads[0].id).length, 2, 'changed findings, one new message');

    await f.board.write((tx) => {
      for (const b of tx.listBugs(id)) tx.setBugFixed(b.id, true);
    });
    f.clock.advanceMinutes(16);
    await keepAlive();
    await cycle(patient, f);
    assert.equal(f.board.getConversation(threads[0].id)?.status, 'resolved', 'cleared findings resolve the thread');
    assert.ok(f.board.listCheckIns(id).every((c) => c.resolved));
    await f.board.close();
  });

  it('records progress check-ins quietly and resolves the thread when the ticket leaves the active statuses', async () => {
    const f = await fixture();
    const id = await f.board.write((tx) => {
      const t = tx.createTicket({ title: 'Quiet', status: 'READY' }, 'user');
      tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'dev', status: 'running' });
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return t.id;
    });
    await f.board.write((tx) => {
      for (const r of tx.listRuns({ ticketId: id })) tx.updateRun(r.id, { lastOutputAt: f.clock.now() });
    });
    await cycle(pm(), f);
    assert.equal(f.board.latestCheckIn(id)?.type, 'progress');
    assert.equal(f.board.listConversations({ ticketId: id }).length, 0, 'progress opens no thread');

    await f.board.write((tx) => tx.addBug({ ticketId: id, title: 'Broken build', severity: 'critical', foundBy: 'QA' }));
    f.clock.advanceMinutes(16);
    await f.board.write((tx) => {
      for (const r of tx.listRuns({ ticketId: id })) tx.updateRun(r.id, { heartbeatAt: f.clock.now(), lastOutputAt: f.clock.now() });
    });
    await cycle(pm(), f);
    const thread = f.board.findConversation(id, PM_THREAD_KEY)!;
    assert.equal(thread.status, 'open');
    await f.board.write((tx) => {
      for (const r of tx.listRuns({ ticketId: id })) tx.updateRun(r.id, { status: 'succeeded', endedAt: f.clock.now() });
      tx.transition(id, 'IN_DEV', 'IN_QA', 'runner');
      tx.transition(id, 'IN_QA', 'IN_DEV', 'user');
      tx.transition(id, 'IN_DEV', 'READY', 'user');
    });
    await cycle(pm(), f);
    assert.equal(f.board.getConversation(thread.id)?.status, 'resolved');
    await f.board.close();
  });

  it('stops an overrun run (its real process is gone) and marks it timed_out', async () => {
    const f = await fixture();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    child.unref();
    const id = await inDev(f);
    const run = await f.board.write((tx) => tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'slow', status: 'running', pid }));
    f.clock.advanceMinutes(61);
    await f.board.write((tx) => tx.updateRun(run.id, { heartbeatAt: f.clock.now(), lastOutputAt: f.clock.now() }));
    const result = await cycle(pm(), f);
    assert.equal(f.board.getRun(run.id)?.status, 'timed_out');
    assert.equal(await processTreeAlive(pid), false, 'the process is gone');
    assert.match(result.summary, /1 overrun stopped/);
    await f.board.close();
  });

  it('marks a stalled run in the report and in a guidance check-in', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const run = await f.board.write((tx) => tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'quiet', status: 'running' }));
    f.clock.advanceMinutes(20);
    await f.board.write((tx) => tx.updateRun(run.id, { heartbeatAt: f.clock.now() }));
    const result = await cycle(pm(), f);
    const report = parsePmReport(f.board.getMeta('pm.report'))!;
    assert.deepEqual(report.runs.map((r) => [r.runId, r.stalled]), [[run.id, true]]);
    assert.equal(f.board.latestCheckIn(id)?.type, 'guidance');
    assert.ok(result.attention);
    await f.board.close();
  });

  it('reports a blocked ticket whose blocking bug was fixed, once', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const bug = await f.board.write((tx) => {
      const b = tx.addBug({ ticketId: id, title: 'Leaked key', severity: 'critical', foundBy: 'Security' });
      tx.transition(id, 'IN_DEV', 'BLOCKED', 'user', 'waiting for the leaked key to be rotated');
      return b;
    });
    await cycle(pm(), f);
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.unblockable, []);
    f.clock.advanceMinutes(1);
    await f.board.write((tx) => tx.setBugFixed(bug.id, true));
    const result = await cycle(pm(), f);
    assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.unblockable, [id]);
    assert.match(result.summary, new RegExp(`${id} can be unblocked`));
    const thread = f.board.findConversation(id, PM_THREAD_KEY)!;
    await cycle(pm(), f);
    assert.equal(f.board.listMessages(thread.id).length, 1, 'reported once');
    await f.board.close();
  });

  it('spreads check-ins over cycles, most overdue first, so no cycle does them all at once', async () => {
    const f = await fixture();
    const ids = await f.board.write((tx) => {
      const out: string[] = [];
      for (let i = 0; i < MAX_CHECKINS_PER_CYCLE + 5; i++) {
        const t = tx.createTicket({ title: `active ${i}`, status: 'READY' }, 'user');
        tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'dev', status: 'running' });
        tx.transition(t.id, 'READY', 'IN_DEV', 'user');
        out.push(t.id);
      }
      return out;
    });
    const checked = () => ids.filter((id) => f.board.latestCheckIn(id) !== undefined).length;
    await cycle(pm(), f);
    assert.equal(checked(), MAX_CHECKINS_PER_CYCLE);
    f.clock.advance(30_000);
    await f.board.write((tx) => {
      for (const r of tx.listRuns({ status: 'running' })) tx.updateRun(r.id, { heartbeatAt: f.clock.now() });
    });
    await cycle(pm(), f);
    assert.equal(checked(), ids.length, 'the rest got theirs on the next cycle');
    await f.board.close();
  });

  it('reports board progress as a decimal percentage', async () => {
    const f = await fixture();
    await f.board.write((tx) => {
      tx.createTicket({ title: 'backlog item' }, 'user');
      for (let i = 0; i < 3; i++) tx.createTicket({ title: `ready ${i}`, status: 'READY' }, 'user');
      const done = tx.createTicket({ title: 'done', status: 'READY' }, 'user');
      for (const [from, to] of [['READY', 'IN_DEV'], ['IN_DEV', 'IN_QA'], ['IN_QA', 'IN_UX'], ['IN_UX', 'IN_SEC'], ['IN_SEC', 'PM_REVIEW'], ['PM_REVIEW', 'DONE']] as const) {
        tx.transition(done.id, from, to, 'user');
      }
    });
    const result = await cycle(pm(), f);
    assert.equal(parsePmReport(f.board.getMeta('pm.report'))?.boardProgress, '25.0%');
    assert.match(result.summary, /^Board 25\.0% done/);
    await f.board.close();
  });
});
