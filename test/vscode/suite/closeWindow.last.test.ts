// Runs last (see ../index.ts): closing the window takes the extension down.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { AGENTS_LEASE, AgentManager } from '../../../src/agents/manager';
import { silentLogger } from '../../../src/domain/logger';
import { isProcessAlive } from '../../../src/process/processTree';
import type { StartedRun } from '../../../src/runner/ticketRunner';
import { openBoard } from '../../../src/store/sqlBoard';
import { ensureBoard, eventually, testApi } from '../board';
import { ScriptedPrompter, withPrompter } from './ticketsTestApi';

suite('Closing the window', () => {
  test('records the outcomes of its runs, releases the agents lease and closes the board last, inside deactivate', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    await eventually('this window runs the agents', () => api.manager()?.isLeader);
    await vscode.workspace.getConfiguration('agentFactory').update('agents.dev.command', { program: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] }, vscode.ConfigurationTarget.Global);
    const ticket = await board.write((tx) => tx.createTicket({ title: 'Closing: still working', status: 'READY' }, 'user'));
    const started = await withPrompter(api, new ScriptedPrompter(), () => vscode.commands.executeCommand<StartedRun | undefined>('agentFactory.startTicket', ticket.id));
    assert.ok(started);
    const pid = await eventually('the agent runs', () => board.getRun(started.run.id)?.pid, 20_000);
    const { dir, repoRoot } = board;

    // VS Code calls deactivate and disposes the subscriptions at once, without waiting.
    await api.closeWindowAsVsCodeDoes();
    await vscode.workspace.getConfiguration('agentFactory').update('agents.dev.command', null, vscode.ConfigurationTarget.Global);

    assert.equal(isProcessAlive(pid), false, 'the agent was stopped');
    await assert.rejects(board.write(() => undefined), /closed/, 'the board was closed');
    const next = await openBoard({ dir, repoRoot, create: false, pollMs: 0 });
    try {
      const run = next.getRun(started.run.id);
      assert.equal(run?.status, 'cancelled', 'its outcome was written before the board closed');
      assert.equal(run?.note, 'the editor window closed');
      assert.equal(next.getLease(AGENTS_LEASE), undefined, 'the agents lease was released');
      // Another window takes over at once, not after the lease timeout.
      const other = new AgentManager({ board: next, clock: { now: () => Date.now() }, log: silentLogger, agents: [], settings: { intervalSeconds: () => 60, cycleTimeoutMs: () => 5000, leaseTimeoutMs: () => 30_000 } });
      other.start();
      await eventually('the other window leads', () => other.isLeader, 2000);
      await other.stop();
    } finally {
      await next.close();
    }
  });
});
