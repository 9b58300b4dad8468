import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ticket } from '../../../src/domain/ticket';
import { isProcessAlive } from '../../../src/process/processTree';
import type { StartedRun } from '../../../src/runner/ticketRunner';
import type { Board } from '../../../src/store/api';
import type { AgentsNode } from '../../../src/vscode/agents/agentsView';
import { startDoomedOwner, type DoomedOwner } from '../../fixtures/agents/doomedOwner';
import { ensureBoard, eventually, testApi } from '../board';
import { manifest } from '../extension';
import { ScriptedPrompter, withPrompter } from './ticketsTestApi';

/** An agent that works until it is stopped. */
const SLEEPER = { program: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };

async function setDevAgent(command: { program: string; args: string[] } | null): Promise<void> {
  await vscode.workspace.getConfiguration('agentFactory').update('agents.dev.command', command, vscode.ConfigurationTarget.Global);
}

async function workingTicket(board: Board, title: string): Promise<{ ticket: Ticket; started: StartedRun; pid: number }> {
  const api = await testApi();
  const ticket = await board.write((tx) => tx.createTicket({ title, status: 'READY' }, 'user'));
  const started = await withPrompter(api, new ScriptedPrompter(), () => vscode.commands.executeCommand<StartedRun | undefined>('agentFactory.startTicket', ticket.id));
  assert.ok(started, `${ticket.id} did not start`);
  const pid = await eventually('the agent runs', () => board.getRun(started.run.id)?.pid, 20_000);
  return { ticket, started, pid };
}

suite('Runs you can trust, in the editor', () => {
  teardown(async () => setDevAgent(null));

  test('moving a ticket whose agent is working asks first; only "Stop and Move" moves it and stops the agent', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    await setDevAgent(SLEEPER);
    const { ticket, started, pid } = await workingTicket(board, 'Lifecycle: moved while working');

    const declined = new ScriptedPrompter();
    declined.picks.push('Ready');
    declined.warningAnswers.push(undefined);
    const first = await withPrompter(api, declined, () => vscode.commands.executeCommand('agentFactory.moveTicket', ticket.id));
    assert.equal(first, 'cancelled');
    assert.deepEqual(declined.warnings, [{ message: `${ticket.id}'s agent is working: stop it and move?`, modal: true }]);
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV');
    assert.equal(isProcessAlive(pid), true, 'nothing was stopped');

    const agreed = new ScriptedPrompter();
    agreed.picks.push('Ready');
    agreed.warningAnswers.push('Stop and Move');
    const second = await withPrompter(api, agreed, () => vscode.commands.executeCommand('agentFactory.moveTicket', ticket.id));
    assert.equal(second, 'moved');
    assert.equal(board.getTicket(ticket.id)?.status, 'READY');
    await eventually('the run is stopped', () => board.getRun(started.run.id)?.status === 'cancelled', 20_000);
    assert.match(board.getRun(started.run.id)?.note ?? '', /moved to READY \(by user\) while its agent worked on IN_DEV/);
    await eventually('the agent is gone', () => !isProcessAlive(pid), 20_000);
  });

  test('an agent left running by a window that died is listed as an orphan with a Stop action, and lost only once stopped', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    const manager = await eventually('the agents run here', () => api.manager()?.isLeader && api.manager());
    const ticket = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Lifecycle: orphaned', status: 'READY' }, 'user');
      return tx.transition(t.id, 'READY', 'IN_DEV', 'user');
    });
    const worktree = mkdtempSync(path.join(tmpdir(), 'af-orphan-'));
    let owner: DoomedOwner | undefined;
    try {
      owner = await startDoomedOwner({ dir: board.dir, repoRoot: board.repoRoot, ticketId: ticket.id, worktree });
      const doomed = owner;
      await doomed.kill();
      assert.equal(isProcessAlive(doomed.agentPid), true, 'the agent outlives the window that started it');

      await api.agentsModel.refreshOrphans();
      await eventually('the orphan is listed', async () => {
        await api.agentsModel.refreshOrphans();
        return api.agentsModel.orphans().some((r) => r.id === doomed.runId);
      });
      const root = api.agentsTree.getChildren();
      const group = root.find((n) => n.kind === 'orphans');
      assert.ok(group, 'the Agents view has an "Orphaned agents" group');
      const node = api.agentsTree.getChildren(group).find((n): n is Extract<AgentsNode, { kind: 'orphan' }> => n.kind === 'orphan' && n.run.id === doomed.runId);
      assert.ok(node);
      assert.equal(api.agentsTree.getTreeItem(node).contextValue, 'orphan');
      const menus = (manifest() as unknown as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }).contributes.menus;
      assert.ok(menus['view/item/context']?.some((m) => m.command === 'agentFactory.stopOrphan' && /viewItem == orphan/.test(m.when ?? '')), 'Stop is offered on orphans');

      await manager.runNow('PM');
      assert.equal(board.getRun(doomed.runId)?.status, 'running', 'the PM does not call a working orphan lost');

      const outcome = await withPrompter(api, new ScriptedPrompter(), () => vscode.commands.executeCommand('agentFactory.stopOrphan', node));
      assert.equal(outcome, 'stopped');
      assert.equal(isProcessAlive(doomed.agentPid), false);
      assert.equal(board.getRun(doomed.runId)?.status, 'lost');
      await api.agentsModel.refreshOrphans();
      assert.equal(api.agentsModel.orphans().length, 0);
    } finally {
      owner?.killOrphans();
    }
  });
});
