import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { ENTITY_ID_PATTERN } from '../../../src/domain/ids';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard } from '../helpers/tempBoard';
import type { TempBoard } from '../helpers/tempBoard';

/** Text that breaks naive storage: quotes, SQL, shell, HTML, markdown, emoji, RTL, NUL-free control chars. */
const NASTY = [
  `Robert'); DROP TABLE tickets;-- "quoted" \`tick\``,
  '$(rm -rf /) && echo `whoami` | tee ~/.bashrc; exit 1 > /dev/null',
  '<script>alert("x")</script><img src=x onerror=alert(1)> &amp; &lt;',
  '# Heading\n\n- [ ] task\n```js\nconst a = 1;\n```\n[link](command:workbench.action.quit)',
  '🎉👩‍👩‍👧 ñ 日本語 עברית مرحبا \u200b\u00a0 tab\tcr\r\nline',
  '\\ backslash \\\\ %s %d ${ticketId} {{x}}',
];

describe('store round trip', () => {
  let tb: TempBoard;
  let reopened: SqlBoard;

  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await tb.dispose();
  });

  it('stores every entity and returns it unchanged after a reopen', async () => {
    const { board, clock } = tb;
    const ids = await board.write((tx) => {
      const t = tx.createTicket(
        {
          title: NASTY[0],
          description: NASTY.join('\n'),
          acceptanceCriteria: NASTY,
          priority: 1,
          type: 'security',
          labels: ['a b', NASTY[2]],
          source: 'gatherer',
          fingerprint: 'fp:todo:src/a.ts:abc',
          status: 'READY',
        },
        'Gatherer',
      );
      tx.updateTicket(t.id, { assignedAgent: NASTY[1], worktree: { path: '/tmp/w ørk/T-1', branch: 'af/T-1-x', base: 'main' }, healCount: 2 });
      clock.advance(1000);
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner', NASTY[3]);
      const bug = tx.addBug({ ticketId: t.id, title: NASTY[2], description: NASTY[4], severity: 'critical', foundBy: 'Security', file: 'src/a b.ts', line: 7, rule: 'secret', fingerprint: 'bfp' });
      const run = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude', worktree: '/w', pid: 4242, attempt: 2, logFile: '/logs/r.log' });
      tx.updateRun(run.id, { lastOutputAt: clock.now(), reportedProgress: 42.5, note: NASTY[5] });
      const conv = tx.createConversation({ ticketId: t.id, type: 'security', title: 'Secret in src/a.ts', key: 'bfp', file: 'src/a.ts', line: 7 });
      const msg = tx.addMessage({ conversationId: conv.id, author: 'Security', kind: 'finding', body: NASTY.join(' '), metadata: { rule: 'secret', nested: { n: 1, s: NASTY[4] } } });
      const checkIn = tx.addCheckIn({
        ticketId: t.id,
        type: 'blocker',
        summary: NASTY[3],
        findings: { progressPercent: 33.3, concerns: [NASTY[0]], blockers: ['open critical bug'], achievements: [], evidence: ['3 commits'], stalled: false },
        actionRequired: true,
        conversationId: conv.id,
      });
      tx.upsertFinding({ fingerprint: 'f1', scanner: 'security', ticketId: t.id, kind: 'aws-key', file: 'src/a.ts', line: 7, text: 'AKIA****', data: { masked: true } });
      tx.markScanned('sha256:abc', 'rules-1');
      tx.setAgentState('PM', { paused: true, lastCycleAt: clock.now(), status: { state: 'Paused', activity: NASTY[4] } });
      tx.setMeta('custom', NASTY[1]);
      return { ticket: t.id, bug: bug.id, run: run.id, conv: conv.id, msg: msg.id, checkIn: checkIn.id };
    });
    for (const id of [ids.bug, ids.run, ids.conv, ids.msg, ids.checkIn]) assert.match(id, ENTITY_ID_PATTERN);

    reopened = await tb.open();
    for (const b of [board, reopened]) {
      const t = b.getTicket(ids.ticket);
      assert.ok(t);
      assert.equal(t.title, NASTY[0]);
      assert.equal(t.description, NASTY.join('\n'));
      assert.deepEqual(t.acceptanceCriteria, NASTY);
      assert.deepEqual(t.labels, ['a b', NASTY[2]]);
      assert.equal(t.priority, 1);
      assert.equal(t.type, 'security');
      assert.equal(t.source, 'gatherer');
      assert.equal(t.fingerprint, 'fp:todo:src/a.ts:abc');
      assert.equal(t.status, 'IN_DEV');
      assert.equal(t.assignedAgent, NASTY[1]);
      assert.deepEqual(t.worktree, { path: '/tmp/w ørk/T-1', branch: 'af/T-1-x', base: 'main' });
      assert.equal(t.healCount, 2);
      assert.equal(t.statusSince, t.createdAt + 1000);

      assert.deepEqual(
        b.history(ids.ticket).map((h) => [h.from, h.to, h.by, h.note]),
        [
          [null, 'READY', 'Gatherer', 'created'],
          ['READY', 'IN_DEV', 'runner', NASTY[3]],
        ],
      );
      const [bug] = b.listBugs(ids.ticket);
      assert.deepEqual({ ...bug, createdAt: 0 }, {
        id: ids.bug, ticketId: ids.ticket, title: NASTY[2], description: NASTY[4], severity: 'critical', foundBy: 'Security',
        file: 'src/a b.ts', line: 7, rule: 'secret', fingerprint: 'bfp', fixed: false, fixedAt: undefined, createdAt: 0,
      });
      const run = b.getRun(ids.run);
      assert.equal(run?.pid, 4242);
      assert.equal(run?.attempt, 2);
      assert.equal(run?.status, 'running');
      assert.equal(run?.reportedProgress, 42.5);
      assert.equal(run?.note, NASTY[5]);
      assert.equal(run?.owner, board.ownerId);
      assert.deepEqual(b.listRuns({ status: 'running' }).map((r) => r.id), [ids.run]);
      assert.deepEqual(b.listRuns({ status: ['failed', 'lost'] }), []);
      assert.equal(b.findConversation(ids.ticket, 'bfp')?.id, ids.conv);
      assert.deepEqual(b.listMessages(ids.conv).map((m) => [m.body, m.metadata]), [[NASTY.join(' '), { rule: 'secret', nested: { n: 1, s: NASTY[4] } }]]);
      const checkIn = b.latestCheckIn(ids.ticket);
      assert.equal(checkIn?.summary, NASTY[3]);
      assert.deepEqual(checkIn?.findings.concerns, [NASTY[0]]);
      assert.equal(checkIn?.findings.progressPercent, 33.3);
      assert.equal(checkIn?.conversationId, ids.conv);
      assert.equal(b.getFinding('f1')?.text, 'AKIA****');
      assert.deepEqual(b.getFinding('f1')?.data, { masked: true });
      assert.equal(b.wasScanned('sha256:abc', 'rules-1'), true);
      assert.equal(b.wasScanned('sha256:abc', 'rules-2'), false);
      assert.deepEqual(b.getAgentState('PM')?.status, { state: 'Paused', activity: NASTY[4] });
      assert.equal(b.getAgentState('PM')?.paused, true);
      assert.equal(b.getMeta('custom'), NASTY[1]);
      assert.equal(b.countByStatus().IN_DEV, 1);
      assert.equal(b.countByStatus().DONE, 0);
    }
  });

  it('updates bugs, check-ins, threads and findings', async () => {
    const { board, clock } = tb;
    const [t] = board.listTickets();
    const bug = board.listBugs(t.id)[0];
    clock.advance(5000);
    await board.write((tx) => {
      tx.setBugFixed(bug.id, true);
      tx.updateBugLocation(bug.id, 'src/b.ts', 9);
      const c = tx.latestCheckIn(t.id);
      if (c) tx.setCheckInResolved(c.id, true);
      const conv = tx.listConversations({ ticketId: t.id })[0];
      tx.setConversationStatus(conv.id, 'resolved');
      tx.updateConversation(conv.id, { title: 'moved', line: 9 });
      tx.markFindingGone('f1');
    });
    const fixed = board.listBugs(t.id)[0];
    assert.equal(fixed.fixed, true);
    assert.equal(fixed.fixedAt, clock.now());
    assert.equal(fixed.file, 'src/b.ts');
    assert.equal(board.latestCheckIn(t.id)?.resolved, true);
    assert.deepEqual(board.listConversations({ status: 'resolved' }).map((c) => [c.title, c.line]), [['moved', 9]]);
    assert.deepEqual(board.listFindings({ scanner: 'security' }), []);
    assert.equal(board.listFindings({ scanner: 'security', includeGone: true })[0].goneAt, clock.now());
    // Seen again: back to present, first sighting kept.
    const again = await board.write((tx) => tx.upsertFinding({ fingerprint: 'f1', scanner: 'security', kind: 'aws-key', file: 'src/a.ts', line: 8, text: 'AKIA****' }));
    assert.equal(again.goneAt, undefined);
    assert.ok(again.firstSeenAt < again.lastSeenAt);
  });

  it('deletes a ticket with everything hanging off it and remembers a gathered fingerprint', async () => {
    const { board } = tb;
    const [t] = board.listTickets();
    await board.write((tx) => tx.deleteTicket(t.id, 'user'));
    assert.equal(board.getTicket(t.id), undefined);
    assert.deepEqual(board.history(t.id), []);
    assert.deepEqual(board.listBugs(t.id), []);
    assert.deepEqual(board.listRuns({ ticketId: t.id }), []);
    assert.deepEqual(board.listConversations({ ticketId: t.id }), []);
    assert.deepEqual(board.listCheckIns(t.id), []);
    assert.equal(board.isFingerprintDeleted('fp:todo:src/a.ts:abc'), true);
    // Ticket numbers are never reused.
    const next = await board.write((tx) => tx.createTicket({ title: 'after delete' }, 'user'));
    assert.equal(next.id, 'T-2');
  });

  it('rolls a throwing write back entirely', async () => {
    const { board } = tb;
    const before = board.listTickets().length;
    await assert.rejects(
      board.write((tx) => {
        tx.createTicket({ title: 'doomed' }, 'user');
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal(board.listTickets().length, before);
    const again = await tb.open();
    assert.equal(again.listTickets().length, before);
    assert.equal((await board.write((tx) => tx.createTicket({ title: 'next' }, 'user'))).id, 'T-3');
  });

  it('refuses bad input with errors that say what to fix', async () => {
    const { board } = tb;
    const invalid = (re: RegExp) => (err: unknown) => err instanceof FactoryError && err.reason === 'invalid-input' && re.test(err.message);
    await assert.rejects(board.write((tx) => tx.createTicket({ title: '   ' }, 'user')), invalid(/cannot be empty/));
    await assert.rejects(board.write((tx) => tx.createTicket({ title: 'x'.repeat(201) }, 'user')), invalid(/at most 200/));
    await assert.rejects(board.write((tx) => tx.createTicket({ title: 'ok', description: 'x'.repeat(100 * 1024 + 1) }, 'user')), invalid(/100 KB/));
    await assert.rejects(board.write((tx) => tx.createTicket({ title: 'ok', priority: 7 as 1 }, 'user')), invalid(/priority/));
    await assert.rejects(board.write((tx) => tx.updateTicket('T-1; DROP TABLE tickets', { title: 'x' })), invalid(/not a ticket id/));
    await assert.rejects(board.write((tx) => tx.updateTicket('T-999', { title: 'x' })), (err: unknown) => err instanceof FactoryError && err.reason === 'not-found');
    await assert.rejects(board.write((tx) => tx.setMeta('next_ticket_number', '1')), invalid(/maintained by the store/));
    // 200 characters counted as characters, not UTF-16 units.
    const emoji = await board.write((tx) => tx.createTicket({ title: `  ${'🎉'.repeat(200)}  ` }, 'user'));
    assert.equal(emoji.title, '🎉'.repeat(200));
  });

  it('refuses an asynchronous write callback instead of committing half of it', async () => {
    const { board } = tb;
    const before = board.listTickets().length;
    await assert.rejects(
      board.write(async (tx) => {
        tx.createTicket({ title: 'async' }, 'user');
        await Promise.resolve();
      }),
      /synchronous/,
    );
    assert.equal(board.listTickets().length, before);
  });

  it('lists the runs that are live, have no end or ended since a time, and those with a pid, in start order', async () => {
    const { board, clock } = tb;
    const t = await board.write((tx) => tx.createTicket({ title: 'runs by end' }, 'user'));
    const at = clock.now();
    const runs = await board.write((tx) => {
      const made = (status: 'running' | 'queued' | 'failed' | 'succeeded', endedAt: number | undefined, startedAt: number) => {
        const run = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude', status, startedAt });
        return endedAt === undefined ? run : tx.updateRun(run.id, { endedAt });
      };
      return {
        old: made('failed', at - 10_000, at - 50_000),
        live: made('running', undefined, at - 40_000),
        noEnd: made('succeeded', undefined, at - 30_000),
        recent: made('succeeded', at - 1_000, at - 60_000),
        queued: made('queued', undefined, at - 20_000),
        edge: made('failed', at - 5_000, at - 10_000),
      };
    });
    const listed = board.listRuns({ ticketId: t.id, liveOrEndedSince: at - 5_000 }).map((r) => r.id);
    const expected = board.listRuns({ ticketId: t.id }).filter((r) => r.status === 'running' || r.status === 'queued' || (r.endedAt ?? Infinity) >= at - 5_000);
    assert.deepEqual(listed, expected.map((r) => r.id));
    assert.deepEqual(listed, [runs.recent.id, runs.live.id, runs.noEnd.id, runs.queued.id, runs.edge.id]);
    // withPid: only the runs whose agent's pid was recorded.
    await board.write((tx) => {
      tx.updateRun(runs.live.id, { pid: 4242 });
      tx.updateRun(runs.old.id, { pid: 4343 });
    });
    assert.deepEqual(board.listRuns({ ticketId: t.id, withPid: true }).map((r) => r.id), [runs.old.id, runs.live.id]);
    assert.deepEqual(board.listRuns({ ticketId: t.id, liveOrEndedSince: at - 5_000, withPid: true }).map((r) => r.id), [runs.live.id]);
  });
});
