import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Logger } from '../../../src/agents/agent';
import { DEFAULT_WORKTREE_SETTINGS } from '../../../src/agents/worktreeAgent';
import { settingDefault, settingKeys } from '../../../src/settings/schema';
import { Settings } from '../../../src/settings/settings';
import { repoRoot } from '../helpers/repoRoot';
import { readSettingsFile, repositorySettingsSource } from '../../../src/settings/settingsFile';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, trace() {}, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
}

function settingsOf(values: Record<string, unknown>) {
  const log = recordingLogger();
  return { log, settings: new Settings({ get: (key) => values[key] }, log) };
}

const temp = mkdtempSync(path.join(tmpdir(), 'af-settings-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('settings', () => {
  it('takes every default from the table package.json contributes', () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
    };
    const declared = Object.keys(manifest.contributes.configuration.properties);
    assert.deepEqual(settingKeys().map((key) => `agentFactory.${key}`).sort(), declared.sort());
    const { settings } = settingsOf({});
    assert.equal(settings.pmSettings().stallMinutes, manifest.contributes.configuration.properties['agentFactory.pm.stallMinutes'].default);
    assert.equal(settings.leaseTimeoutMs(), 30_000);
    assert.deepEqual(settings.gathererSettings().tags, settingDefault('gatherer.tags'));
    assert.deepEqual(settings.worktreeSettings(), DEFAULT_WORKTREE_SETTINGS, 'the Worktree agent\'s defaults for tests and tools match package.json');
  });

  it('replaces a value of the wrong type or out of range by its default and says so once', () => {
    const { settings, log } = settingsOf({ 'pm.stallMinutes': 'ten', 'runs.maxParallel': 99, 'pm.maxHeals': 5 });
    assert.equal(settings.pmSettings().stallMinutes, 15);
    assert.equal(settings.pmSettings().stallMinutes, 15);
    assert.equal(settings.maxParallel(), 3);
    assert.equal(settings.pmSettings().maxHeals, 5);
    assert.equal(log.warnings.length, 2);
    assert.match(log.warnings[0], /agentFactory\.pm\.stallMinutes must be a number of at least 1, not "ten"; using 15/);
    assert.match(log.warnings[1], /agentFactory\.runs\.maxParallel must be a number from 1 to 32, not 99/);
  });

  it('lists every invalid value, agent commands included, for a host that refuses to start', () => {
    const { settings } = settingsOf({
      'pm.intervalSeconds': 1,
      'gatherer.tags': ['TODO', 'lower'],
      'agents.dev.command': { program: 'claude', args: ['${nonsense}'] },
      'agents.qa.command': { args: [] },
      'worktrees.staleDays': 3,
    });
    const problems = settings.problems();
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems.join('\n'), /pm\.intervalSeconds must be a number of at least 5, not 1/);
    assert.match(problems.join('\n'), /gatherer\.tags item 2 does not match/);
    assert.match(problems.join('\n'), /agents\.dev\.command.*nonsense/);
    assert.match(problems.join('\n'), /agents\.qa\.command needs "program"/);
  });

  it('reads an agent command for a stage and refuses a malformed one by name', () => {
    const { settings } = settingsOf({ 'agents.dev.command': { program: 'my-agent', args: ['${promptFile}'] }, 'agents.qa.command': { program: 7 } });
    assert.deepEqual(settings.agentCommand('IN_DEV'), { program: 'my-agent', args: ['${promptFile}'] });
    assert.equal(settings.agentCommand('IN_UX'), undefined);
    assert.throws(() => settings.agentCommand('IN_QA'), /agentFactory\.agents\.qa\.command: "program" must be a string/);
  });
});

describe('settings files', () => {
  it('reads JSON with comments and trailing commas, flat and nested spellings alike', () => {
    const file = path.join(temp, 'mixed.json');
    writeFileSync(
      file,
      `{
        // a comment, as VS Code writes them
        "agentFactory.pm.stallMinutes": 7,
        "agentFactory": { "runs": { "maxParallel": 2 }, "agents.dev.command": { "program": "x", "args": ["-p"] } },
        "editor.fontSize": 20, /* another */
      }`,
    );
    const values = readSettingsFile(file);
    assert.equal(values.get('pm.stallMinutes'), 7);
    assert.equal(values.get('runs.maxParallel'), 2);
    assert.deepEqual(values.get('agents.dev.command'), { program: 'x', args: ['-p'] });
    assert.equal(values.has('editor.fontSize'), false);
  });

  it('names the line of a malformed file and treats a missing one as empty', () => {
    const file = path.join(temp, 'broken.json');
    writeFileSync(file, '{\n  "agentFactory.pm.stallMinutes": 7\n  "agentFactory.pm.maxHeals": 2\n}');
    assert.throws(() => readSettingsFile(file), /broken\.json:3: CommaExpected/);
    assert.equal(readSettingsFile(path.join(temp, 'absent.json')).size, 0);
  });

  it('lets --config override the repository settings key by key', () => {
    const repo = path.join(temp, 'repo');
    mkdirSync(path.join(repo, '.vscode'), { recursive: true });
    writeFileSync(path.join(repo, '.vscode', 'settings.json'), '{"agentFactory.pm.stallMinutes": 7, "agentFactory.pm.maxHeals": 2}');
    const override = path.join(temp, 'override.jsonc');
    writeFileSync(override, '{"agentFactory.pm.maxHeals": 9}');
    const settings = new Settings(repositorySettingsSource(repo, override), recordingLogger());
    assert.equal(settings.pmSettings().stallMinutes, 7);
    assert.equal(settings.pmSettings().maxHeals, 9);
    assert.throws(() => repositorySettingsSource(repo, path.join(temp, 'nope.json')), /does not exist/);
  });
});
