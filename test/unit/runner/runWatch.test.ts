import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import type { AgentCommand } from '../../../src/runner/agentCommand';
import { AgentOutputReader } from '../../../src/runner/agentOutputReader';
import { RunManager } from '../../../src/runner/runManager';
import { RunWatch, type RunNotice, type RunWatchSettings } from '../../../src/runner/runWatch';
import { PM_THREAD_KEY } from '../../../src/runner/threads';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { fakeAgentCommand, waitUntil, type Step } from './agentPaths';

const assistant = (id: string, input: number, output: number, tool?: { name: string; command: string }): string =>
  JSON.stringify({
    type: 'assistant',
    message: { id, content: tool ? [{ type: 'tool_use', id: `t-${id}`, name: tool.name, input: { command: tool.command } }] : [], usage: { input_tokens: input, output_tokens: output } },
  });

void describe('RunWatch: needs input, loops and budgets on real agent processes', () => {
  let tb: TempBoard;
  let worktree: string;
  let reader: AgentOutputReader;
  let watch: RunWatch;
  let manager: RunManager;
  let settings: RunWatchSettings;
  const notices: RunNotice[] = [];

  beforeEach(async () => {
    tb = await makeTempBoard();
    worktree = path.join(tb.root, 'worktree');
    mkdirSync(worktree);
    settings = { loopRepeats: 3, promptSilenceMs: 30_000, budget: {} };
    reader = new AgentOutputReader({ board: tb.board, flushMs: 20 });
    watch = new RunWatch({ board: tb.board, clock: tb.clock, events: reader.onDidReadEvent, settings: () => settings, stop: (id, note) => manager.cancel(id, note), checkEveryMs: 60_000 });
    notices.length = 0;
    watch.onDidNotice((n) => notices.push(n));
    manager = new RunManager({ board: tb.board, clock: tb.clock, stopGraceMs: 2000, observeOutput: watch.observe(reader.observe) });
  });
  afterEach(async () => {
    await manager.shutdown();
    await watch.idle();
    watch.dispose();
    reader.dispose();
    await tb.dispose();
  });

  async function launch(command: AgentCommand): Promise<Run> {
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Watch me', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'fake', status: 'queued', worktree });
    });
    manager.launch({ runId: run.id, command, title: 'Watch me', promptFile: path.join(tb.dir, 'prompt.md'), worktree });
    return run;
  }

  void it('shows a known prompt in the output as needs input, with one notice', async () => {
    const steps: Step[] = [
      { print: 'Do you want to run this command? [y/N]' },
      { sleep: 60_000 },
    ];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'custom' });
    await waitUntil(() => tb.board.getRun(run.id)?.attention?.needsInput !== undefined, 60_000, 'needs input on the run');
    const waiting = tb.board.getRun(run.id)?.attention?.needsInput;
    assert.equal(waiting?.source, 'output');
    assert.equal(waiting?.reason, 'Do you want to run this command? [y/N]');
    await watch.idle();
    assert.deepEqual(
      notices.map((n) => n.kind),
      ['needs-input'],
    );
    await manager.cancel(run.id);
  });

  void it('clears needs input when the agent calls a tool again', async () => {
    const steps: Step[] = [
      { print: JSON.stringify({ type: 'assistant', message: { id: 'q', content: [{ type: 'tool_use', id: 't1', name: 'AskUserQuestion', input: { questions: [{ question: 'Which database?' }] } }] } }) },
      { sleep: 1500 },
      { print: assistant('m2', 10, 2, { name: 'Bash', command: 'git status' }) },
      { sleep: 60_000 },
    ];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'claude-code' });
    await waitUntil(() => tb.board.getRun(run.id)?.attention?.needsInput !== undefined, 60_000, 'needs input');
    assert.equal(tb.board.getRun(run.id)?.attention?.needsInput?.reason, 'Claude Code asks: Which database?');
    await waitUntil(() => tb.board.getRun(run.id)?.usage !== undefined && tb.board.getRun(run.id)?.attention === undefined, 60_000, 'working again');
    await manager.cancel(run.id);
  });

  void it('marks a run that repeats the same tool call as looping, with the evidence masked', async () => {
    const call = { name: 'Bash', command: 'curl -H "Authorization: Bearer sk-live-0123456789abcdefghij" http://x' };
    const steps: Step[] = [
      { print: assistant('m1', 10, 1, call) },
      { print: 'tool output' },
      { print: assistant('m2', 10, 1, call) },
      { print: 'tool output 2' },
      { print: assistant('m3', 10, 1, call) },
      { sleep: 60_000 },
    ];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'claude-code' });
    await waitUntil(() => tb.board.getRun(run.id)?.attention?.loop !== undefined, 60_000, 'the loop mark');
    const loop = tb.board.getRun(run.id)?.attention?.loop;
    assert.equal(loop?.repeats, 3);
    assert.match(loop?.evidence ?? '', /^Bash \{"command":"curl -H \\"Authorization: Bearer sk-l…ij\\" http:\/\/x"\}$/);
    assert.ok(!loop?.evidence.includes('0123456789abcdef'), 'the secret is masked');
    await watch.idle();
    assert.deepEqual(
      notices.map((n) => n.kind),
      ['loop'],
    );
    await manager.cancel(run.id);
  });

  void it('marks the same output line repeated as looping; other lines in between reset the count', async () => {
    const steps: Step[] = [{ print: 'retrying' }, { print: 'retrying' }, { print: 'other' }, { print: 'retrying' }, { print: 'retrying' }, { print: 'retrying' }, { sleep: 60_000 }];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'custom' });
    await waitUntil(() => tb.board.getRun(run.id)?.attention?.loop !== undefined, 60_000, 'the loop mark');
    assert.deepEqual(
      { evidence: tb.board.getRun(run.id)?.attention?.loop?.evidence, repeats: tb.board.getRun(run.id)?.attention?.loop?.repeats },
      { evidence: 'retrying', repeats: 3 },
    );
    await manager.cancel(run.id);
  });

  void it('a question left on screen by a silent agent is needs input once the silence lasts', async () => {
    settings.promptSilenceMs = 20_000;
    const steps: Step[] = [{ print: 'Working on it' }, { print: 'Which of the two files should I keep?' }, { sleep: 60_000 }];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'custom' });
    const log = path.join(tb.dir, 'runs', run.id, 'output.log');
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('keep?'), 60_000, 'the question in the log');
    await watch.checkSilence();
    assert.equal(tb.board.getRun(run.id)?.attention, undefined, 'not before the silence lasted');
    tb.clock.advance(21_000);
    await watch.checkSilence();
    await watch.idle();
    assert.equal(tb.board.getRun(run.id)?.attention?.needsInput?.source, 'silence');
    assert.match(tb.board.getRun(run.id)?.attention?.needsInput?.reason ?? '', /keep\?$/);
    await manager.cancel(run.id);
  });

  void it('stops a run whose ticket crosses its token budget and blocks the ticket with "budget reached"', async () => {
    settings.budget = { tokens: 500 };
    const steps: Step[] = [
      { print: assistant('m1', 200, 10) },
      { print: assistant('m2', 250, 50) },
      { sleep: 60_000 },
    ];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'claude-code' });
    await manager.whenEnded(run.id);
    await watch.idle();
    const ended = tb.board.getRun(run.id);
    assert.equal(ended?.status, 'cancelled');
    assert.match(ended?.note ?? '', /^budget reached: 510 tokens used of 500/);
    const ticket = tb.board.getTicket(run.ticketId);
    assert.equal(ticket?.status, 'BLOCKED');
    assert.equal(ticket?.blockedFrom, 'IN_DEV');
    assert.match(ticket?.blockedReason ?? '', /^budget reached/);
    const thread = tb.board.findConversation(run.ticketId, PM_THREAD_KEY);
    assert.ok(thread && tb.board.listMessages(thread.id).some((m) => m.body.startsWith('Blocked: budget reached')));
    assert.deepEqual(
      notices.map((n) => n.kind),
      ['budget'],
    );
  });

  void it("counts the ticket's earlier runs against its budget", async () => {
    settings.budget = { tokens: 1000 };
    const first = await launch({ ...fakeAgentCommand([{ print: assistant('m1', 600, 100) }, { exit: 0 }]), profile: 'claude-code' });
    await manager.whenEnded(first.id);
    assert.equal(tb.board.getRun(first.id)?.status, 'succeeded');
    const stage = tb.board.getTicket(first.ticketId)?.status ?? 'IN_SEC';
    const second = await tb.board.write((tx) => tx.createRun({ ticketId: first.ticketId, stage, agent: 'fake', status: 'queued', worktree }));
    manager.launch({ runId: second.id, command: { ...fakeAgentCommand([{ print: assistant('m1', 250, 60) }, { sleep: 60_000 }]), profile: 'claude-code' }, title: 'Watch me', promptFile: path.join(tb.dir, 'prompt.md'), worktree });
    await manager.whenEnded(second.id);
    await watch.idle();
    assert.equal(tb.board.getRun(second.id)?.status, 'cancelled');
    const ticket = tb.board.getTicket(first.ticketId);
    assert.equal(ticket?.status, 'BLOCKED');
    assert.equal(ticket?.blockedFrom, stage);
  });
});
