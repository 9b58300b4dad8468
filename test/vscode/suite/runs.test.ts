import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Ticket } from '../../../src/domain/ticket';
import { isProcessAlive } from '../../../src/process/processTree';
import { PM_THREAD_KEY } from '../../../src/runner/threads';
import type { StartedRun } from '../../../src/runner/ticketRunner';
import type { Board } from '../../../src/store/api';
import type { TestApi } from '../../../src/vscode/extension';
import type { RunTesting } from '../../../src/vscode/runs/runFeatures';
import { terminalName } from '../../../src/vscode/runs/runTerminals';
import { ensureBoard, eventually, testApi } from '../board';
import { ScriptedPrompter, withPrompter } from './ticketsTestApi';

const DEV_COMMAND = 'agents.dev.command';

async function runsApi(): Promise<{ api: TestApi; runs: RunTesting }> {
  const api = await testApi();
  const runs = (api as TestApi & { runs?: RunTesting }).runs;
  if (!runs) throw new Error('the extension test API has no `runs` (activate must expose registerRunFeatures(...).testing)');
  return { api, runs };
}

/** Configures the dev-stage agent for this test (user settings), cleared again afterwards. */
async function setDevAgent(command: { program: string; args: string[] } | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('agentFactory').update(DEV_COMMAND, command ?? null, vscode.ConfigurationTarget.Global);
}

async function readyTicket(board: Board, title: string): Promise<Ticket> {
  return board.write((tx) => tx.createTicket({ title, status: 'READY', acceptanceCriteria: ['It works'] }, 'user'));
}

async function start(api: TestApi, id: string, prompter = new ScriptedPrompter()): Promise<StartedRun> {
  const started = await withPrompter(api, prompter, () => vscode.commands.executeCommand<StartedRun | undefined>('agentFactory.startTicket', id));
  assert.ok(started, `Start Ticket did not start ${id}: ${prompter.warnings.map((w) => w.message).join(' | ')}`);
  return started;
}

suite('Coding-agent runs', () => {
  teardown(async () => {
    await setDevAgent(undefined);
  });

  test('Start Ticket with a configured agent creates the worktree, runs the agent (which reports through agent-factory) and the ticket reaches the next stage of the pipeline (IN_SEC by default)', async () => {
    const board = await ensureBoard();
    const { api, runs } = await runsApi();
    // The agent is a shell here only because the test names it; ticket text never reaches a shell.
    await setDevAgent({
      program: '/bin/sh',
      args: ['-c', 'echo "working on $1 in $PWD"; agent-factory note "hello from the agent" && exit 0', 'agent', '${ticketId}'],
    });
    const ticket = await readyTicket(board, 'Runs: configured agent $(touch pwned)');
    const started = await start(api, ticket.id);
    assert.equal(started.kind, 'agent');
    assert.equal(started.run.agent, 'sh');

    await eventually(`${ticket.id} reaches IN_SEC`, () => board.getTicket(ticket.id)?.status === 'IN_SEC', 25_000);
    const run = board.getRun(started.run.id);
    assert.equal(run?.status, 'succeeded');
    const worktree = board.getTicket(ticket.id)?.worktree;
    assert.ok(worktree && existsSync(worktree.path), 'the ticket has its worktree on disk');
    assert.equal(started.worktree, worktree.path);
    assert.ok(!existsSync(`${worktree.path}/pwned`));
    const thread = board.findConversation(ticket.id, PM_THREAD_KEY);
    assert.deepEqual(
      board.listMessages(thread?.id ?? '').map((m) => m.body),
      ['hello from the agent'],
      'the agent reached the board through agent-factory on its PATH',
    );
    await eventually('the agent output reaches the output channel', () => runs.outputLines.some((l) => l.includes(`working on ${ticket.id}`)));
  });

  test('with no agent configured, Start Ticket opens a terminal named after the ticket in its worktree; closing it ends the run', async () => {
    const board = await ensureBoard();
    const { api, runs } = await runsApi();
    await setDevAgent(undefined);
    const ticket = await readyTicket(board, 'Runs: by hand in a terminal');
    const prompter = new ScriptedPrompter();
    const started = await start(api, ticket.id, prompter);
    assert.equal(started.kind, 'terminal');
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV');
    assert.equal(board.getRun(started.run.id)?.status, 'running');

    const terminal = runs.terminalOf(started.run.id);
    assert.ok(terminal, 'a terminal was opened for the run');
    assert.equal(terminal.name, terminalName(ticket));
    assert.ok(vscode.window.terminals.includes(terminal));
    const options = terminal.creationOptions as vscode.TerminalOptions;
    assert.equal(typeof options.cwd === 'string' ? options.cwd : options.cwd?.fsPath, board.getTicket(ticket.id)?.worktree?.path);
    assert.equal(options.env?.AGENT_FACTORY_RUN_ID, started.run.id);
    assert.match(prompter.infos.join('\n'), /a terminal opened in its worktree/);

    terminal.dispose();
    await eventually('the terminal run ends', () => board.getRun(started.run.id)?.status === 'cancelled');
    assert.equal(board.getRun(started.run.id)?.note, 'the terminal was closed');
  });

  test('Cancel Run stops the agent process and marks the run cancelled', async () => {
    const board = await ensureBoard();
    const { api } = await runsApi();
    await setDevAgent({ program: '/bin/sh', args: ['-c', 'sleep 120'] });
    const ticket = await readyTicket(board, 'Runs: cancel me');
    const started = await start(api, ticket.id);
    const pid = await eventually('the agent runs', () => board.getRun(started.run.id)?.pid, 20_000);
    assert.ok(isProcessAlive(pid));

    const prompter = new ScriptedPrompter();
    prompter.picks.push(ticket.id);
    const cancelled = await withPrompter(api, prompter, () => vscode.commands.executeCommand<{ status: string } | undefined>('agentFactory.cancelRun'));
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal(isProcessAlive(pid), false);
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV', 'the ticket is left for the PM to heal or the user to retry');
  });
});
