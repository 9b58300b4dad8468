import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import { AgentOutputReader, type RunAgentEvent } from '../../../src/runner/agentOutputReader';
import type { AgentCommand } from '../../../src/runner/agentCommand';
import { RunManager } from '../../../src/runner/runManager';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { fakeAgentCommand, waitUntil, type Step } from './agentPaths';

const assistant = (id: string, input: number, output: number, tool?: string): string =>
  JSON.stringify({
    type: 'assistant',
    message: { id, content: tool ? [{ type: 'tool_use', id: `t-${id}`, name: tool, input: { command: 'git status' } }] : [], usage: { input_tokens: input, output_tokens: output } },
  });

void describe('AgentOutputReader', () => {
  let tb: TempBoard;
  let worktree: string;
  let reader: AgentOutputReader;
  let manager: RunManager;
  const events: RunAgentEvent[] = [];

  beforeEach(async () => {
    tb = await makeTempBoard();
    worktree = path.join(tb.root, 'worktree');
    mkdirSync(worktree);
    reader = new AgentOutputReader({ board: tb.board, flushMs: 20 });
    events.length = 0;
    reader.onDidReadEvent((e) => events.push(e));
    manager = new RunManager({ board: tb.board, clock: tb.clock, stopGraceMs: 1000, observeOutput: reader.observe });
  });
  afterEach(async () => {
    await manager.shutdown();
    reader.dispose();
    await tb.dispose();
  });

  async function launch(command: AgentCommand): Promise<Run> {
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Count tokens', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'fake', status: 'queued', worktree });
    });
    manager.launch({ runId: run.id, command, title: 'Count tokens', promptFile: path.join(tb.dir, 'prompt.md'), worktree });
    return run;
  }

  void it("records a profile's usage on the run while it streams, and its final totals when it exits", async () => {
    const steps: Step[] = [
      { print: assistant('m1', 100, 5, 'Bash') },
      { print: assistant('m2', 50, 7) },
      { sleep: 3000 },
      { print: JSON.stringify({ type: 'result', total_cost_usd: 0.5, usage: { input_tokens: 150, output_tokens: 30, cache_read_input_tokens: 20 } }) },
      { exit: 0 },
    ];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'claude-code' });
    await waitUntil(() => tb.board.getRun(run.id)?.usage?.inputTokens === 150, 10_000, 'the streamed usage on the run');
    assert.equal(tb.board.getRun(run.id)?.status, 'running', 'recorded while the agent still runs');
    assert.deepEqual(tb.board.getRun(run.id)?.usage, { inputTokens: 150, outputTokens: 12, cachedTokens: 0, costUsd: undefined });

    await manager.whenEnded(run.id);
    const ended = tb.board.getRun(run.id);
    assert.equal(ended?.status, 'succeeded');
    assert.deepEqual(ended?.usage, { inputTokens: 170, outputTokens: 30, cachedTokens: 20, costUsd: 0.5 });
    assert.deepEqual(
      events.filter((e) => e.event.kind !== 'usage').map((e) => [e.runId, e.ticketId, e.event]),
      [[run.id, run.ticketId, { kind: 'tool', name: 'Bash', input: '{"command":"git status"}' }]],
    );
    assert.deepEqual(
      events.flatMap((e) => (e.event.kind === 'usage' ? [e.event.usage.inputTokens] : [])),
      [100, 150, 170],
      'every usage report is published as it is read',
    );
  });

  void it('reads nothing from a custom command and leaves its usage unknown', async () => {
    const run = await launch({ ...fakeAgentCommand([{ print: assistant('m1', 100, 5, 'Bash') }, { exit: 0 }]), profile: 'custom' });
    await manager.whenEnded(run.id);
    assert.equal(tb.board.getRun(run.id)?.usage, undefined);
    assert.deepEqual(events, []);
  });

  void it('ignores output that is not what the profile expects, and still records what it understood', async () => {
    // stdout and stderr share the run's log (the agent writes it directly), so both are read.
    const steps: Step[] = [{ print: '{"type":"assistant","message":' }, { print: '[1,2,3]' }, { stderr: 'warning: {"usage": 999}' }, { print: assistant('m1', 11, 2) }, { exit: 3 }];
    const run = await launch({ ...fakeAgentCommand(steps), profile: 'claude-code' });
    await manager.whenEnded(run.id);
    const ended = tb.board.getRun(run.id);
    assert.equal(ended?.status, 'failed');
    assert.deepEqual(ended?.usage, { inputTokens: 11, outputTokens: 2, cachedTokens: 0, costUsd: undefined });
  });
});
