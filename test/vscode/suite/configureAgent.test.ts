import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfiguredAgent } from '../../../src/vscode/agents/configureAgent';
import type { StartedRun } from '../../../src/runner/ticketRunner';
import { ensureBoard, testApi } from '../board';
import { testOutputDir } from '../environment';
import { ScriptedPrompter, withPrompter } from './ticketsTestApi';

const KEYS = ['agents.dev.profile', 'agents.dev.model', 'agents.dev.env'];

/** A folder holding a stand-in `claude` that answers --version like the real one. */
function fakeClaudeFolder(): string {
  const dir = path.join(testOutputDir(), 'configure-agent-bin');
  mkdirSync(dir, { recursive: true });
  const program = path.join(dir, 'claude');
  writeFileSync(program, '#!/bin/sh\necho "9.9.9 (Claude Code)"\n');
  chmodSync(program, 0o755);
  return dir;
}

async function clear(): Promise<void> {
  const settings = vscode.workspace.getConfiguration('agentFactory');
  for (const key of KEYS) {
    await settings.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
  }
}

suite('Configure Agent', () => {
  teardown(clear);

  test('shows which profiles are installed with their versions and writes the chosen stage, profile and model', async function () {
    if (process.platform === 'win32') this.skip();
    const api = await testApi();
    const bin = fakeClaudeFolder();
    // The stage's environment is where its agent (and here the picker) looks for the program.
    await vscode.workspace.getConfiguration('agentFactory').update('agents.dev.env', { PATH: bin }, vscode.ConfigurationTarget.Workspace);
    const prompter = new ScriptedPrompter();
    prompter.picks.push('In Development', 'Claude Code');
    prompter.inputs.push({ tries: ['claude-sonnet-4-5'] });
    const configured = await withPrompter(api, prompter, () => vscode.commands.executeCommand<ConfiguredAgent | undefined>('agentFactory.configureAgent'));

    assert.deepEqual(configured, { stage: 'IN_DEV', profile: 'claude-code', model: 'claude-sonnet-4-5', found: true });
    const settings = vscode.workspace.getConfiguration('agentFactory');
    assert.equal(settings.get('agents.dev.profile'), 'claude-code');
    assert.equal(settings.get('agents.dev.model'), 'claude-sonnet-4-5');
    const profiles = prompter.offered[1] ?? [];
    assert.deepEqual(profiles, ['Claude Code', 'Codex CLI', 'Gemini CLI', 'GitHub Copilot CLI', 'Aider', 'Custom command']);
    assert.match(prompter.infos.join('\n'), /In Development stage runs Claude Code \(9\.9\.9 \(Claude Code\)\)/);
  });

  test('Start with a profile whose program is missing says so and records no run', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    const empty = path.join(testOutputDir(), 'configure-agent-empty');
    mkdirSync(empty, { recursive: true });
    const settings = vscode.workspace.getConfiguration('agentFactory');
    await settings.update('agents.dev.env', { PATH: empty }, vscode.ConfigurationTarget.Workspace);
    const configurer = new ScriptedPrompter();
    const configured = await withPrompter(api, configurer, () =>
      vscode.commands.executeCommand<ConfiguredAgent | undefined>('agentFactory.configureAgent', { stage: 'dev', profile: 'codex' }),
    );
    assert.equal(configured?.found, false);
    assert.match(configurer.warnings.map((w) => w.message).join('\n'), /"codex" is not on the PATH\. Install it: npm install -g @openai\/codex/);

    const ticket = await board.write((tx) => tx.createTicket({ title: 'Configure Agent: missing program', status: 'READY' }, 'user'));
    const starter = new ScriptedPrompter();
    const started = await withPrompter(api, starter, () => vscode.commands.executeCommand<StartedRun | undefined>('agentFactory.startTicket', ticket.id));
    assert.equal(started, undefined);
    assert.match(starter.warnings.map((w) => w.message).join('\n'), /IN_DEV agent cannot start: Codex CLI \("codex"\) is not installed or not on the PATH/);
    assert.deepEqual(board.listRuns({ ticketId: ticket.id }), [], 'no failed run with an empty log');
    assert.equal(board.getTicket(ticket.id)?.status, 'READY');
  });
});
