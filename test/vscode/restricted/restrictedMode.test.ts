// Restricted Mode, in a workbench with workspace trust on and a folder nobody trusted (run by
// scripts/test-vscode.mjs on a code-server of its own). The folder holds a board with a READY
// ticket and a dev agent setting that would leave a marker file. Every git the extension host
// starts is logged by a spy first on the PATH (AGENT_FACTORY_TEST_GIT_LOG).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { RESTRICTED_MODE_NOTE } from '../../../src/vscode/trust/restrictedMode';
import { eventually, testApi } from '../board';
import { testWorkspace } from '../environment';
import { ourExtension } from '../extension';
import { processStarters } from '../processes';
import { askUi } from '../uiRequest';

/** scripts/lib/workspace.mjs (seed `boardWithAgent`) has the dev agent write this file. */
const marker = () => join(dirname(testWorkspace()), 'agent-ran.marker');
const journal = () => join(testWorkspace(), '.factory', 'factory.db.journal');

/**
 * The git commands this extension host started, itself or through its process starter (the spy
 * logs `<parent pid> <args>`).
 */
function gitFromThisHost(): string[] {
  const log = process.env.AGENT_FACTORY_TEST_GIT_LOG;
  if (!log) throw new Error('AGENT_FACTORY_TEST_GIT_LOG is not set: run this suite through npm run test:vscode');
  const parents = [process.pid, ...processStarters().map((s) => s.pid)].map((pid) => `${pid} `);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => parents.some((p) => line.startsWith(p)));
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

suite('Restricted Mode', () => {
  suiteSetup(() => {
    assert.equal(vscode.workspace.isTrusted, false, 'this suite needs a workspace that is not trusted');
  });

  test('the extension activates without the git extension, which does not run here', async () => {
    const api = await testApi();
    assert.ok(ourExtension().isActive);
    assert.notEqual(vscode.extensions.getExtension('vscode.git')?.isActive, true, 'the git extension runs in Restricted Mode');
    assert.ok(api.session.board, 'the board was opened');
  });

  test('the Tickets view lists the seeded ticket read-only, with the notice and without Create Board', async () => {
    const api = await testApi();
    api.tickets.flush();
    const row = await eventually('the seeded ticket is listed', () => api.tickets.treeModel.row('T-1'));
    assert.equal(row.ticket.status, 'READY');
    assert.equal(api.tickets.treeView.message, RESTRICTED_MODE_NOTE);
    const seen = await askUi('tickets-view');
    assert.ok(seen.ok, seen.detail);
    const { text, createBoard } = JSON.parse(seen.detail) as { text: string; createBoard: number };
    assert.match(text, /Restricted Mode: the board is read-only/);
    assert.match(text, /T-1/);
    assert.equal(createBoard, 0, 'Create Board is offered over the existing board');
  });

  test('Start and every command that would change the board refuse and change nothing', async () => {
    const api = await testApi();
    const before = statSync(journal()).size;
    const warnings: string[] = [];
    const original = api.prompter.current;
    api.prompter.current = {
      ...original,
      warning: async (message: string) => {
        warnings.push(message);
        return undefined;
      },
    };
    try {
      assert.equal(await vscode.commands.executeCommand('agentFactory.startTicket', 'T-1'), undefined);
      assert.match(warnings.join('\n'), /Start Ticket is unavailable in Restricted Mode/);
      for (const [command, arg] of [
        ['agentFactory.moveTicket', 'T-1'],
        ['agentFactory.blockTicket', 'T-1'],
        ['agentFactory.deleteTicket', 'T-1'],
        ['agentFactory.createTicket', undefined],
        ['agentFactory.healStuckTickets', undefined],
        ['agentFactory.pauseAgent', 'PM'],
        ['agentFactory.runAgentNow', 'Worktree'],
        ['agentFactory.cleanUpWorktrees', undefined],
        ['agentFactory.createBoard', undefined],
      ] as const) {
        await vscode.commands.executeCommand(command, arg);
      }
      // What the store would refuse too: the session hands out a board that does not write.
      await assert.rejects(api.session.board!.write((tx) => tx.createTicket({ title: 'must not land' }, 'user')), /unavailable in Restricted Mode/);
      assert.match(warnings.join('\n'), /Move Ticket failed: Move Ticket is unavailable in Restricted Mode/);
    } finally {
      api.prompter.current = original;
    }
    // Give anything started by mistake time to show itself.
    await settle(3000);
    assert.equal(existsSync(marker()), false, 'the configured agent ran');
    assert.equal(statSync(journal()).size, before, 'the board changed');
    assert.equal(api.session.board?.getTicket('T-1')?.status, 'READY');
    assert.equal(api.manager(), undefined, 'the background agents run');
  });

  test('no git command was started by this extension host', () => {
    assert.deepEqual(gitFromThisHost(), []);
  });

  test('granting trust in the trust editor starts the agents without a reload; with git.enabled off, simple-git does the work', async function () {
    // A worktree, the git extension and an agent run after the grant: more than mocha's default.
    this.timeout(240_000);
    const api = await testApi();
    const granted = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidGrantWorkspaceTrust(() => {
        sub.dispose();
        resolve();
      });
    });
    // The view's own action opens the trust editor; the runner clicks Trust, as a user would.
    await vscode.commands.executeCommand('agentFactory.manageWorkspaceTrust');
    const clicked = await askUi('grant-trust');
    assert.ok(clicked.ok, clicked.detail);
    await granted;
    assert.equal(vscode.workspace.isTrusted, true);

    const manager = await eventually('the background agents run', () => api.manager(), 30_000);
    await eventually('the agents completed a cycle', () => manager.statuses().some((s) => s.cycleCount > 0), 60_000);
    assert.equal(api.tickets.treeView.message, undefined, 'the Restricted Mode notice is gone');
    // The workspace turns the git extension off: the Git API was looked up on the grant, and not used.
    await eventually('the Git API was looked up and found turned off', () => /git\.enabled is false/.test(api.gitApi()), 30_000);
    await eventually('git ran from this extension host', () => gitFromThisHost().length > 0, 60_000);

    // The configured agent now runs: Start reaches it (its worktree made by simple-git), and its marker appears.
    await vscode.commands.executeCommand('agentFactory.startTicket', 'T-1');
    await eventually('the dev agent left its marker', () => existsSync(marker()), 60_000);
    assert.equal(readFileSync(marker(), 'utf8').trim(), 'T-1');
  });
});
