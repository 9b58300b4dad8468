import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Logger } from '../../../src/agents/agent';
import { DEFAULT_GATHERER_EXCLUDE } from '../../../src/agents/gathererAgent';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
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
    // The agents' own defaults (used where no settings are at hand) are the declared ones.
    assert.deepEqual(settings.gathererSettings().exclude, DEFAULT_GATHERER_EXCLUDE);
    assert.deepEqual(settings.securitySettings(), DEFAULT_SECURITY_SETTINGS);
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
    assert.deepEqual(settings.agentCommand('IN_DEV'), { program: 'my-agent', args: ['${promptFile}'], env: {}, profile: 'custom' });
    assert.equal(settings.agentCommand('IN_UX'), undefined);
    assert.throws(() => settings.agentCommand('IN_QA'), /agentFactory\.agents\.qa\.command: "program" must be a string/);
  });
});

describe('agent profiles in settings', () => {
  it('resolves a profile with its model, extra arguments and environment on top of the profile\'s own', () => {
    const { settings } = settingsOf({
      'agents.dev.profile': 'claude-code',
      'agents.dev.model': 'claude-sonnet-4-5',
      'agents.dev.extraArgs': ['--add-dir', '${gitCommonDir}'],
      'agents.dev.env': { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
      'agents.qa.profile': 'codex',
    });
    const dev = settings.agentCommand('IN_DEV');
    assert.equal(dev?.program, 'claude');
    assert.equal(dev?.profile, 'claude-code');
    assert.deepEqual(dev?.args.slice(0, 1), ['-p']);
    assert.deepEqual(dev?.args.slice(-4), ['--model', 'claude-sonnet-4-5', '--add-dir', '${gitCommonDir}']);
    assert.deepEqual(dev?.env, { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' });
    const qa = settings.agentCommand('IN_QA');
    assert.equal(qa?.program, 'codex');
    assert.equal(qa?.args.at(-1)?.startsWith('Read the file ${promptFile}'), true, 'the prompt comes last, after --');
    assert.equal(qa?.args.at(-2), '--');
    assert.ok(!qa?.args.includes('-m'), 'no model flag without a model');
  });

  it('applies extra arguments and environment to a custom command too; custom without a command is a terminal', () => {
    const { settings } = settingsOf({
      'agents.dev.command': { program: 'my-agent', args: ['${promptFile}'] },
      'agents.dev.extraArgs': ['--fast'],
      'agents.dev.env': { MY_KEY: '${runId}' },
      'agents.ux.extraArgs': ['--ignored-without-a-command'],
    });
    assert.deepEqual(settings.agentCommand('IN_DEV'), { program: 'my-agent', args: ['${promptFile}', '--fast'], env: { MY_KEY: '${runId}' }, profile: 'custom' });
    assert.equal(settings.agentCommand('IN_UX'), undefined);
  });

  it('refuses an unknown profile, a bad placeholder in extra arguments or environment, and a non-text variable, naming the setting', () => {
    const { settings } = settingsOf({
      'agents.dev.profile': 'claude',
      'agents.qa.profile': 'codex',
      'agents.qa.extraArgs': ['${home}'],
      'agents.ux.profile': 'gemini',
      'agents.ux.env': { TOKEN: '${secret}' },
      'agents.pm.env': { PORT: 8080 },
      'agents.security.env': { 'A=B': 'x' },
    });
    assert.throws(() => settings.agentCommand('IN_DEV'), /agentFactory\.agents\.dev\.profile must be one of claude-code, codex, gemini, copilot, aider, custom, not "claude"/);
    assert.throws(() => settings.agentCommand('IN_QA'), /agentFactory\.agents\.qa\.extraArgs: unknown placeholder \$\{home\}/);
    assert.throws(() => settings.agentCommand('IN_UX'), /agentFactory\.agents\.ux\.env: unknown placeholder \$\{secret\}/);
    const problems = settings.problems().join('\n');
    assert.match(problems, /agents\.dev\.profile must be one of/);
    assert.match(problems, /agents\.qa\.extraArgs: unknown placeholder/);
    assert.match(problems, /agents\.ux\.env: unknown placeholder/);
    assert.match(problems, /agentFactory\.agents\.pm\.env "PORT" must be text, not 8080/);
    assert.match(problems, /agentFactory\.agents\.security\.env: "A=B" is not a variable name/);
    assert.equal(settings.problems().length, 5, problems);
  });
});

describe('closed-loop settings', () => {
  it('defaults to the IN_DEV, IN_SEC, PM_REVIEW pipeline, verdicts for reviews, exit for development, 3 attempts', () => {
    const { settings, log } = settingsOf({});
    assert.deepEqual(settings.pipeline(), ['IN_DEV', 'IN_SEC', 'PM_REVIEW']);
    assert.equal(settings.completionPolicy('IN_DEV'), 'exit');
    for (const stage of ['IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'] as const) assert.equal(settings.completionPolicy(stage), 'verdict', stage);
    assert.equal(settings.maxAttempts(), 3);
    assert.deepEqual(log.warnings, []);
  });

  it('takes a valid pipeline and policies, and replaces a pipeline out of order by the default, saying why once', () => {
    const good = settingsOf({ pipeline: ['IN_DEV', 'IN_QA'], 'agents.pm.completion': 'exit', 'runs.maxAttempts': 5 }).settings;
    assert.deepEqual(good.pipeline(), ['IN_DEV', 'IN_QA']);
    assert.equal(good.completionPolicy('PM_REVIEW'), 'exit');
    assert.equal(good.maxAttempts(), 5);
    const { settings, log } = settingsOf({ pipeline: ['IN_DEV', 'PM_REVIEW', 'IN_QA'], 'agents.qa.completion': 'whenever', 'runs.maxAttempts': 0 });
    assert.deepEqual(settings.pipeline(), ['IN_DEV', 'IN_SEC', 'PM_REVIEW']);
    assert.deepEqual(settings.pipeline(), ['IN_DEV', 'IN_SEC', 'PM_REVIEW']);
    assert.equal(settings.completionPolicy('IN_QA'), 'verdict');
    assert.equal(settings.maxAttempts(), 3);
    assert.equal(log.warnings.length, 3, log.warnings.join('\n'));
    assert.match(log.warnings[0], /agentFactory\.pipeline lists IN_QA after PM_REVIEW; stages run in the order IN_DEV, IN_QA, IN_UX, IN_SEC, PM_REVIEW; using \["IN_DEV","IN_SEC","PM_REVIEW"\]/);
    assert.match(log.warnings[1], /agentFactory\.agents\.qa\.completion must be one of "verdict", "exit", not "whenever"/);
  });

  it('lists a pipeline that names an unknown stage or breaks the order among the problems', () => {
    const problems = settingsOf({ pipeline: ['IN_DEV', 'REVIEW'], 'agents.dev.completion': 'exit' }).settings.problems();
    assert.deepEqual(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /agentFactory\.pipeline item 2 must be one of "IN_DEV", "IN_QA", "IN_UX", "IN_SEC", "PM_REVIEW", not "REVIEW"/);
    assert.deepEqual(settingsOf({ pipeline: ['IN_SEC'] }).settings.problems(), ['agentFactory.pipeline must start with IN_DEV, not IN_SEC']);
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

describe('run watch settings', () => {
  it('defaults to no budget, 5 repeats and 30 s of silence', () => {
    const { settings, log } = settingsOf({});
    assert.deepEqual(settings.runWatchSettings(), { loopRepeats: 5, promptSilenceMs: 30_000, budget: { tokens: undefined, costUsd: undefined } });
    assert.deepEqual(log.warnings, []);
  });

  it('takes a budget of tokens and cost; a bad limit falls back to no budget, an unknown key is ignored with a warning', () => {
    assert.deepEqual(settingsOf({ 'runs.budget': { tokens: 200000, costUsd: 2 } }).settings.runBudget(), { tokens: 200000, costUsd: 2 });
    const bad = settingsOf({ 'runs.budget': { tokens: -5 } });
    assert.deepEqual(bad.settings.runBudget(), { tokens: undefined, costUsd: undefined });
    assert.match(bad.log.warnings[0] ?? '', /agentFactory\.runs\.budget "tokens" must be/);
    const typo = settingsOf({ 'runs.budget': { token: 100, costUsd: 1 } });
    assert.deepEqual(typo.settings.runBudget(), { tokens: undefined, costUsd: 1 });
    assert.match(typo.log.warnings[0] ?? '', /unknown keys "token" \(it takes "tokens" and "costUsd"\)/);
  });
});
