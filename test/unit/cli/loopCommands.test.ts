import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { HistoryEntry, Ticket } from '../../../src/domain/ticket';
import { PM_REPORT_META, type PmReport } from '../../../src/agents/pm/report';
import { readAutopilot } from '../../../src/loop/autopilotState';
import { messageAgent } from '../../../src/loop/inbox';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { cli, type CliResult } from './cliProcess';

void describe('agent-factory for the closed loop', () => {
  let tb: TempBoard;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    tb = await makeTempBoard();
    env = { AGENT_FACTORY_BOARD: tb.dir };
  });
  afterEach(async () => {
    await tb.dispose();
  });

  const run = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> => cli(args, { cwd: tb.root, env: { ...env, ...extra } });
  const ticketOf = async (id: string): Promise<Ticket | undefined> => {
    await tb.board.refresh();
    return tb.board.getTicket(id);
  };
  const ticketHistory = async (id: string): Promise<HistoryEntry[]> => {
    await tb.board.refresh();
    return tb.board.history(id);
  };

  void it('create takes dependencies, which must exist; show lists them with their statuses', async () => {
    const first = await run(['create', 'Schema', '--status', 'READY']);
    assert.equal(first.code, 0, first.stderr);
    const second = await run(['create', 'API', '--depends-on', 't-1', '--depends-on', 'T-1']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((await ticketOf('T-2'))?.dependsOn, ['T-1']);
    const unknown = await run(['create', 'UI', '--depends-on', 'T-9']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /cannot depend on T-9: no such ticket on this board/);
    const malformed = await run(['create', 'UI', '--depends-on', 'first']);
    assert.equal(malformed.code, 2);
    const show = await run(['show', 'T-2']);
    assert.match(show.stdout, /Depends on +T-1 \(Ready\)/);
    assert.match((await run(['show', 'T-1'])).stdout, /Depends on +-/);
  });

  void it('edit changes the fields it is given, and nothing else', async () => {
    await run(['create', 'Schema']);
    await run(['create', 'API', '--criterion', 'old', '--label', 'keep?']);
    await run(['create', 'UI']);
    const r = await run(['edit', 'T-3', '--depends-on', 'T-1', '--depends-on', 'T-2', '--priority', '1', '--criteria', 'Renders', '--criteria', 'Is accessible', '--title', 'UI, at last', '--type', 'chore', '--label', 'front', '--description', 'Use the **new** API']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'T-3 updated: title "UI" → "UI, at last"; description; acceptance criteria (0 → 2); priority medium → critical; type feature → chore; labels: front; depends on T-1, T-2.');
    const history = (await ticketHistory('T-3')).at(-1);
    assert.deepEqual([history?.by, history?.from, history?.to], ['user', 'BACKLOG', 'BACKLOG'], 'the edit is in the history, and no move');
    assert.match((await run(['show', 'T-3'])).stdout, /Edited title "UI" → "UI, at last"; .* by you\n/);
    assert.equal((await run(['edit', 'T-3', '--priority', 'critical'])).stdout.trim(), 'T-3 unchanged: it already had these values.');
    const t3 = await ticketOf('T-3');
    assert.deepEqual(
      [t3?.title, t3?.description, t3?.priority, t3?.type, t3?.dependsOn, t3?.acceptanceCriteria, t3?.labels],
      ['UI, at last', 'Use the **new** API', 1, 'chore', ['T-1', 'T-2'], ['Renders', 'Is accessible'], ['front']],
    );
    const clear = await run(['edit', 'T-2', '--clear-criteria', '--clear-labels', '--json']);
    assert.equal(clear.code, 0, clear.stderr);
    const t2 = JSON.parse(clear.stdout) as Ticket;
    assert.deepEqual([t2.acceptanceCriteria, t2.labels, t2.title], [[], [], 'API']);
    const unhook = await run(['edit', 'T-3', '--clear-depends-on']);
    assert.equal(unhook.code, 0, unhook.stderr);
    assert.deepEqual((await ticketOf('T-3'))?.dependsOn, []);
  });

  void it('edit refuses a cycle (4), a missing ticket (3) and bad or empty arguments (2)', async () => {
    await run(['create', 'A']);
    await run(['create', 'B', '--depends-on', 'T-1']);
    const cycle = await run(['edit', 'T-1', '--depends-on', 'T-2', '--priority', '2']);
    assert.equal(cycle.code, 4);
    assert.match(cycle.stderr, /T-1 cannot depend on T-2: that would make a cycle \(T-1 -> T-2 -> T-1\)/);
    assert.equal((await ticketOf('T-1'))?.priority, 3, 'a refused edit changes nothing');
    const cases: [string[], number, RegExp][] = [
      [['edit', 'T-7', '--priority', '2'], 3, /no ticket T-7 on this board/],
      [['edit', 'T-1', '--depends-on', 'T-8'], 3, /cannot depend on T-8/],
      [['edit', 'T-1'], 2, /nothing to change/],
      [['edit', 'T-1', '--depends-on', 'T-2', '--clear-depends-on'], 2, /--clear-depends-on and --depends-on contradict each other/],
      [['edit', 'T-1', '--priority', '5'], 2, /--priority must be 1 \(critical\) to 4 \(low\), or its name \(critical, high, medium, low\), not "5"/],
      [['edit', 'T-1', '--type', 'epic'], 2, /--type must be one of feature, bug, chore, security, idea/],
      [['edit', 'T-1', '--depends-on', 'T-1'], 2, /T-1 cannot depend on itself/],
      [['edit', 'T-1', '--title', ' '], 2, /a ticket title cannot be empty/],
      [['edit', 'nope', '--priority', '1'], 2, /not a ticket id/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  void it('autopilot on and off is kept in the board, for every window and host', async () => {
    assert.equal((await run(['autopilot'])).stdout.trim(), 'Autopilot: off');
    const on = await run(['autopilot', 'on']);
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.stdout.trim(), 'Autopilot is on.');
    assert.equal((await run(['autopilot'])).stdout.trim(), 'Autopilot: on (turned on by user)');
    await tb.board.refresh();
    assert.equal(readAutopilot(tb.board).on, true);
    assert.equal((await run(['autopilot', 'OFF'])).stdout.trim(), 'Autopilot is off.');
    const bad = await run(['autopilot', 'maybe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /autopilot takes "on" or "off", not "maybe"/);
  });

  void it('status says what the status bar says: agents, what needs a person, autopilot and queue', async () => {
    await tb.board.write((tx) => {
      const a = tx.createTicket({ title: 'A', status: 'READY', priority: 2 }, 'user');
      tx.createTicket({ title: 'B', status: 'READY', dependsOn: [a.id] }, 'user');
      const slow = tx.createTicket({ title: 'Slow', status: 'READY' }, 'user');
      tx.transition(slow.id, 'READY', 'IN_DEV', 'runner');
      const slowRun = tx.createRun({ ticketId: slow.id, stage: 'IN_DEV', agent: 'claude' });
      const stuck = tx.createTicket({ title: 'Stuck', status: 'READY' }, 'user');
      tx.transition(stuck.id, 'READY', 'IN_DEV', 'runner');
      // A run that recorded it waits for a person: counted from the board, as every window does.
      const asking = tx.createTicket({ title: 'Asking', status: 'READY' }, 'user');
      tx.transition(asking.id, 'READY', 'IN_DEV', 'runner');
      const waiting = tx.createRun({ ticketId: asking.id, stage: 'IN_DEV', agent: 'claude', status: 'running' });
      tx.setRunAttention(waiting.id, { needsInput: { reason: 'Do you want to proceed?', since: 1, source: 'output' } });
      const report: PmReport = {
        at: tb.clock.now(), boardProgress: '25.0%', runs: [{ runId: slowRun.id, ticketId: slow.id, stalled: true, overrun: false, lastProgressAt: 0 }],
        stuck: [stuck.id], healed: [], lost: [], timedOut: [], blocked: [], unblockable: [], orphans: [],
      };
      tx.setMeta(PM_REPORT_META, JSON.stringify(report));
      tx.setAgentState('PM', { status: { state: 'Idle', activity: 'Checked 2 tickets', cycleCount: 4 } });
      tx.setAgentState('Security', { status: { state: 'Error', activity: 'failed', lastError: 'git \u001b[31mexploded', cycleCount: 1 } });
    });
    const text = await run(['status']);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    // No coding agent is configured for IN_DEV here, so the stuck ticket also waits for a person.
    assert.equal(lines[0], '1 needs input · 1 stalled · 1 stuck · 1 waiting for review');
    assert.match(text.stdout, /\n {2}T-5 {2}runs that need your input: run r-[0-9a-z]+ \(claude\) asks: Do you want to proceed\?\n {2}T-3 {2}stalled runs: run r-[0-9a-z]+ \(claude\) shows no progress\n {2}T-4 {2}stuck tickets: in development with no agent working on it\n {2}T-4 {2}waiting for review: waiting for review in IN_DEV\n/);
    assert.match(text.stdout, /PM +Idle +Checked 2 tickets/);
    assert.match(text.stdout, /Security +Error +error: git \?\[31mexploded/);
    assert.match(text.stdout, /No window or host is running the background agents now/);
    assert.match(text.stdout, /Board progress: 25\.0%\nAutopilot: off\nQueue: 1 ready, next T-1; 1 waiting on T-1/);
    await run(['autopilot', 'on']);
    const parsed = JSON.parse((await run(['status', '--json'])).stdout) as { headline: string; level: string; attention: { counts: object; tickets: string[] }; autopilot: { on: boolean }; queue: string; runningIn: unknown };
    assert.deepEqual(
      [parsed.headline, parsed.level, parsed.attention.counts, parsed.attention.tickets, parsed.autopilot.on, parsed.queue, parsed.runningIn],
      ['1 needs input · 1 stalled · 1 stuck · 1 waiting for review', 'error', { finding: 0, needsInput: 1, stalled: 1, stuck: 1, blocked: 0, waiting: 0, review: 1 }, ['T-5', 'T-3', 'T-4'], true, 'Queue: 1 ready, next T-1; 1 waiting on T-1', null],
    );
  });

  void describe('inbox', () => {
    let runId: string;
    let ticketId: string;
    beforeEach(async () => {
      const r = await tb.board.write((tx) => {
        const t = tx.createTicket({ title: 'Refunds', status: 'READY' }, 'user');
        tx.transition(t.id, 'READY', 'IN_DEV', 'user');
        return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude', status: 'running' });
      });
      runId = r.id;
      ticketId = r.ticketId;
    });

    void it('returns the unread messages once and marks them read', async () => {
      assert.equal((await run(['inbox'], { AGENT_FACTORY_RUN_ID: runId })).stdout.trim(), 'No new messages.');
      await tb.board.write((tx) => messageAgent(tx, { ticketId, body: 'Refund in the original currency.\nAsk if unsure.' }));
      const r = await run(['inbox'], { AGENT_FACTORY_RUN_ID: runId });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /user in "PM check-ins on T-1":\n {2}Refund in the original currency\.\n {2}Ask if unsure\./);
      assert.equal((await run(['inbox', '--json'], { AGENT_FACTORY_RUN_ID: runId })).stdout.trim(), '[]', 'read once');
      await tb.board.refresh();
      const thread = tb.board.findConversation(ticketId, 'pm');
      assert.equal(tb.board.listMessages(thread?.id ?? '')[0]?.readBy, runId);
    });

    void it('--wait returns as soon as a message arrives, as JSON', async () => {
      const started = Date.now();
      const waiting = run(['inbox', '--wait', '60', '--json'], { AGENT_FACTORY_RUN_ID: runId });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await tb.board.write((tx) => messageAgent(tx, { ticketId, body: 'Use EUR' }));
      const r = await waiting;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - started < 45_000, 'it did not wait out the minute');
      const messages = JSON.parse(r.stdout) as { from: string; body: string; thread: string }[];
      assert.deepEqual(messages.map((m) => [m.from, m.body, m.thread]), [['user', 'Use EUR', 'PM check-ins on T-1']]);
    });

    void it('--wait ends empty after its time; refuses a bad wait (2), no run (2) and an ended run (4)', async () => {
      const empty = await run(['inbox', '--wait', '0.3'], { AGENT_FACTORY_RUN_ID: runId });
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.stdout.trim(), 'No new messages.');
      const bad = await run(['inbox', '--wait', 'soon'], { AGENT_FACTORY_RUN_ID: runId });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--wait must be a number of seconds from 0 to 3600, not "soon"/);
      assert.equal((await run(['inbox'])).code, 2);
      await tb.board.write((tx) => tx.updateRun(runId, { status: 'failed', endedAt: tb.clock.now() }));
      const ended = await run(['inbox'], { AGENT_FACTORY_RUN_ID: runId });
      assert.equal(ended.code, 4);
      assert.match(ended.stderr, /has already ended \(failed\)/);
    });
  });
});
