import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Run } from '../../../src/domain/run';
import { setAutopilot } from '../../../src/loop/autopilotState';
import type { Board } from '../../../src/store/api';
import { ensureBoard, eventually, testApi } from '../board';

const SETTINGS: Record<string, unknown> = {
  pipeline: ['IN_DEV', 'PM_REVIEW'],
  'runs.maxParallel': 1,
  // A development agent that changes a file, commits nothing and reports done.
  'agents.dev.command': { program: '/bin/sh', args: ['-c', 'echo "$1" > work.txt; agent-factory done --summary "did $1"', 'agent', '${ticketId}'] },
};

async function configure(on: boolean): Promise<void> {
  const config = vscode.workspace.getConfiguration('agentFactory');
  for (const [key, value] of Object.entries(SETTINGS)) await config.update(key, on ? value : undefined, vscode.ConfigurationTarget.Global);
}

function overlap(a: readonly Run[], b: readonly Run[]): boolean {
  return a.some((x) => b.some((y) => x.startedAt < (y.endedAt ?? Infinity) && y.startedAt < (x.endedAt ?? Infinity)));
}

suite('The autopilot in the editor', () => {
  let board: Board;

  setup(async () => {
    board = await ensureBoard();
    await configure(true);
    // Tickets other suites left READY would be started too: this suite works on its own.
    await board.write((tx) => {
      for (const t of tx.listTickets({ status: 'READY' })) tx.transition(t.id, 'READY', 'BACKLOG', 'user', 'set aside for the autopilot suite');
    });
  });

  teardown(async () => {
    await board.write((tx) => setAutopilot(tx, false, 'user', Date.now()));
    await configure(false);
  });

  test('starts READY tickets one at a time under runs.maxParallel, honours a dependency, and counts the tickets waiting for review', async function () {
    // Three agents run one after another, each through a real process and the CLI.
    this.timeout(180_000);
    const api = await testApi();
    const [a, b, c] = await board.write((tx) => {
      const first = tx.createTicket({ title: 'Autopilot: A', status: 'READY', priority: 2 }, 'user');
      const second = tx.createTicket({ title: 'Autopilot: B', status: 'READY', priority: 3 }, 'user');
      const third = tx.createTicket({ title: 'Autopilot: C after A', status: 'READY', priority: 1, dependsOn: [first.id] }, 'user');
      return [first, second, third];
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(board.listRuns({ ticketId: a.id }).length, 0, 'the autopilot is off: nothing starts');

    await board.write((tx) => setAutopilot(tx, true, 'user', Date.now()));
    await eventually('A and B wait for review', () => board.getTicket(a.id)?.status === 'PM_REVIEW' && board.getTicket(b.id)?.status === 'PM_REVIEW', 60_000);
    assert.equal(board.getTicket(c.id)?.status, 'READY', 'C waits for A to be DONE');
    await eventually('the status bar counts them', () => api.statusBarText().includes('2 waiting for review'), 10_000);

    await board.write((tx) => tx.transition(a.id, 'PM_REVIEW', 'DONE', 'user', 'reviewed by hand'));
    await eventually('C, freed, waits for review', () => board.getTicket(c.id)?.status === 'PM_REVIEW', 60_000);

    const runs = [a, b, c].map((t) => board.listRuns({ ticketId: t.id }));
    assert.ok(runs.every((r) => r.length === 1 && r[0]?.status === 'succeeded'), JSON.stringify(runs));
    assert.ok(!overlap(runs[0], runs[1]) && !overlap(runs[1], runs[2]) && !overlap(runs[0], runs[2]), 'never two live runs with runs.maxParallel 1');
    assert.ok(runs[0][0].startedAt < runs[1][0].startedAt, 'the higher priority first');
  });
});
