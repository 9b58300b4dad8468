import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentName, expandArgs, STAGE_SETTING_NAMES, parseAgentCommand, type PlaceholderValues } from '../../../src/runner/agentCommand';
import { FactoryError } from '../../../src/domain/errors';

const values: PlaceholderValues = {
  ticketId: 'T-7',
  title: 'Fix ${worktree} $(touch pwned)',
  promptFile: '/b/.factory/runs/r-abcdef/prompt.md',
  worktree: '/w/T-7',
  runId: 'r-abcdef',
  stage: 'IN_DEV',
  boardDir: '/b/.factory',
  gitDir: '/b/.git/worktrees/T-7',
  gitCommonDir: '/b/.git',
};

void describe('agent command settings', () => {
  void it('substitutes each placeholder inside its own argument, once', () => {
    const cmd = parseAgentCommand({ program: 'claude', args: ['-p', '@${promptFile}', '--title=${title}', '${ticketId}/${stage}', '${runId}'] });
    assert.ok(cmd);
    assert.deepEqual(expandArgs(cmd, values), [
      '-p',
      '@/b/.factory/runs/r-abcdef/prompt.md',
      '--title=Fix ${worktree} $(touch pwned)',
      'T-7/IN_DEV',
      'r-abcdef',
    ]);
  });

  void it('treats null, a missing or an empty program as "no agent configured"', () => {
    assert.equal(parseAgentCommand(null), undefined);
    assert.equal(parseAgentCommand(undefined), undefined);
    assert.equal(parseAgentCommand({ program: '  ' }), undefined);
    assert.deepEqual(parseAgentCommand({ program: 'aider' }), { program: 'aider', args: [] });
  });

  void it('rejects malformed settings and unknown placeholders with the setting named', () => {
    const key = 'agentFactory.agents.dev.command';
    assert.throws(() => parseAgentCommand('claude -p', key), (e: unknown) => e instanceof FactoryError && e.message.startsWith(key));
    assert.throws(() => parseAgentCommand({ program: 1 }, key), /"program" must be a string/);
    assert.throws(() => parseAgentCommand({ program: 'x', args: 'a b' }, key), /"args" must be an array/);
    assert.throws(() => parseAgentCommand({ program: 'x', args: ['${HOME}'] }, key), /unknown placeholder \$\{HOME\}/);
  });

  void it('drops NUL characters that no argv can carry', () => {
    const cmd = parseAgentCommand({ program: 'x', args: ['${title}'] });
    assert.ok(cmd);
    assert.deepEqual(expandArgs(cmd, { ...values, title: 'a\0b' }), ['ab']);
  });

  void it('names the agent after its program and the settings after the stage', () => {
    assert.equal(agentName({ program: '/usr/local/bin/claude', args: [] }), 'claude');
    assert.equal(agentName({ program: 'C:\\tools\\codex.exe', args: [] }), 'codex');
    assert.equal(agentName(undefined), 'terminal');
    assert.equal(STAGE_SETTING_NAMES.IN_QA, 'qa');
    assert.equal(STAGE_SETTING_NAMES.PM_REVIEW, 'pm');
    assert.equal(STAGE_SETTING_NAMES.READY, undefined);
  });
});
