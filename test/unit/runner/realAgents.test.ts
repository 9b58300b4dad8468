// The real Claude Code and Codex CLIs (and Copilot CLI when installed), from the npm registry at
// pinned versions, run through the runner with their profiles' command lines against the scripted
// model server, in a network namespace with only loopback where one can be made (the describe
// titles say which).
import { clis, network } from './realAgentsPrelude';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree } from '../../../src/agents/worktreeAgent';
import type { Ticket } from '../../../src/domain/ticket';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { AgentOutputReader, type RunAgentEvent } from '../../../src/runner/agentOutputReader';
import { RunManager } from '../../../src/runner/runManager';
import { PM_THREAD_KEY } from '../../../src/runner/threads';
import { TicketRunner } from '../../../src/runner/ticketRunner';
import { Settings } from '../../../src/settings/settings';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { ScriptedModelServer, type ModelApi } from '../../fixtures/modelServer/scriptedModelServer';
import type { ScriptStep } from '../../fixtures/modelServer/script';
import { git, gitEnv, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { compiledCli } from './agentPaths';

interface Scenario {
  cli: 'claude-code' | 'codex' | 'copilot' | 'gemini';
  api: ModelApi;
  /** The stage's settings besides the profile, given the model server's URL and a private folder. */
  settings(url: string, home: string): Record<string, unknown>;
  /** The tool names the agent reports for the script's steps, in order. */
  tools: string[];
  /** Tools the agent must offer the model for the script to work. */
  offered: string[];
  /** Whether the CLI's machine output carries token usage (and then a cost). */
  reports: 'tokens and cost' | 'tokens' | 'nothing';
}

const SCENARIOS: Scenario[] = [
  {
    cli: 'claude-code',
    api: 'anthropic',
    settings: (url) => ({ 'agents.dev.env': { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'test-key' } }),
    tools: ['Write', 'Bash', 'Bash', 'Bash', 'Bash'],
    offered: ['Write', 'Bash'],
    reports: 'tokens and cost',
  },
  {
    cli: 'codex',
    api: 'openai',
    settings: (url, home) => {
      const codexHome = path.join(home, 'codex');
      mkdirSync(codexHome, { recursive: true });
      writeFileSync(
        path.join(codexHome, 'config.toml'),
        ['model_provider = "scripted"', '[model_providers.scripted]', 'name = "Scripted model"', `base_url = "${url}/v1"`, 'env_key = "SCRIPTED_MODEL_KEY"', 'wire_api = "responses"', ''].join('\n'),
      );
      // A model name Codex knows, so that it offers apply_patch.
      return { 'agents.dev.model': 'gpt-5.5', 'agents.dev.env': { CODEX_HOME: codexHome, SCRIPTED_MODEL_KEY: 'test-key' } };
    },
    tools: ['apply_patch', 'exec_command', 'exec_command', 'exec_command', 'exec_command'],
    offered: ['apply_patch', 'exec_command'],
    reports: 'tokens',
  },
  {
    // Optional: installed by `node scripts/agent-clis.mjs --all`. Offline mode with a model
    // provider of its own (BYOK) skips GitHub authentication, telemetry and updates.
    cli: 'copilot',
    api: 'anthropic',
    settings: (url, home) => ({
      'agents.dev.model': 'claude-sonnet-4.5',
      'agents.dev.env': {
        COPILOT_OFFLINE: 'true',
        COPILOT_PROVIDER_TYPE: 'anthropic',
        COPILOT_PROVIDER_BASE_URL: url,
        COPILOT_PROVIDER_API_KEY: 'test-key',
        // Where it unpacks its 235 MB bundle: once, beside the install, not in every test's home.
        COPILOT_CACHE_HOME: path.join(clis.copilot?.binDir ?? home, '..', '..', 'unpacked'),
      },
    }),
    tools: ['create', 'bash', 'bash', 'bash', 'bash'],
    offered: ['create', 'bash'],
    // Its JSON output (1.0.102) has no token usage: `assistant.usage` is not among the events it prints.
    reports: 'nothing',
  },
  {
    // Optional, like Copilot. An explicit model skips its router's extra classification call.
    cli: 'gemini',
    api: 'gemini',
    settings: (url, home) => {
      mkdirSync(path.join(home, '.gemini'), { recursive: true });
      writeFileSync(path.join(home, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false } }));
      return { 'agents.dev.model': 'gemini-2.5-pro', 'agents.dev.env': { GEMINI_API_KEY: 'test-key', GOOGLE_GEMINI_BASE_URL: url } };
    },
    tools: ['write_file', 'run_shell_command', 'run_shell_command', 'run_shell_command', 'run_shell_command'],
    offered: ['write_file', 'run_shell_command'],
    reports: 'tokens',
  },
];

for (const scenario of SCENARIOS) {
  const cli = clis[scenario.cli];
  void describe(`${scenario.cli} ${cli?.version ?? '(not installed)'} against the scripted model server (${network.description})`, { skip: cli ? false : `${scenario.cli} is not installed (node scripts/agent-clis.mjs --all installs it)` }, () => {
    let repo: TempRepo;
    let home: string;
    let board: SqlBoard;
    let server: ScriptedModelServer;
    let runs: RunManager;
    let runner: TicketRunner;
    let reader: AgentOutputReader;
    const events: RunAgentEvent[] = [];
    let ticket: Ticket;
    let worktree: string;
    let runId: string;

    before(async () => {
      repo = makeTempRepo();
      home = mkdtempSync(path.join(tmpdir(), 'af-agent-home-'));
      board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, pollMs: 0 });
      ticket = await board.write((tx) => tx.createTicket({ title: 'Say hello', status: 'READY', acceptanceCriteria: ['hello.md greets'] }, 'user'));
      const port = new SimpleGitPort();
      worktree = (await ensureTicketWorktree(board, port, ticket, DEFAULT_WORKTREE_SETTINGS)).path;

      const steps: ScriptStep[] = [
        { writeFile: { path: path.join(worktree, 'hello.md'), content: '# Hello\n\nfrom the scripted model\n' } },
        { shell: 'git add hello.md && git commit -q -m "Add hello.md"' },
        { shell: 'agent-factory progress 60 "hello.md written and committed"' },
        { shell: 'agent-factory note "hello.md greets; ready for review"' },
        { shell: 'agent-factory done' },
        { say: 'Done: hello.md is committed.' },
      ];
      server = new ScriptedModelServer([{ steps }]);
      const url = await server.start();
      const settings = new Settings({ get: (key) => ({ 'agents.dev.profile': scenario.cli, ...scenario.settings(url, home) })[key] }, silent);
      const env: NodeJS.ProcessEnv = {
        ...gitEnv,
        HOME: home,
        PATH: `${cli?.binDir ?? ''}${path.delimiter}${process.env.PATH ?? ''}`,
        // Anything that honours a proxy and wants another host shows up in server.proxied.
        HTTPS_PROXY: url,
        HTTP_PROXY: url,
        NO_PROXY: '127.0.0.1,localhost',
      };
      reader = new AgentOutputReader({ board, flushMs: 50 });
      reader.onDidReadEvent((e) => events.push(e));
      runs = new RunManager({ board, baseEnv: env, observeOutput: reader.observe, cli: { nodePath: process.execPath, script: compiledCli }, stopGraceMs: 5000 });
      runner = new TicketRunner({
        board,
        runs,
        env,
        commandFor: (stage) => settings.agentCommand(stage),
        prepareWorktree: (t) => ensureTicketWorktree(board, port, t, DEFAULT_WORKTREE_SETTINGS),
        isTrusted: () => true,
      });
      const started = await runner.startTicket(ticket.id);
      runId = started.run.id;
      await runs.whenEnded(runId);
    });

    after(async () => {
      runner.dispose();
      await runs.shutdown();
      reader.dispose();
      await server.close();
      await board.close();
      repo.dispose();
      rmSync(home, { recursive: true, force: true });
    });

    void it('writes the file in the worktree and commits it on the ticket branch', () => {
      const output = readFileSync(path.join(board.dir, 'runs', runId, 'output.log'), 'utf8');
      assert.equal(readFileSync(path.join(worktree, 'hello.md'), 'utf8'), '# Hello\n\nfrom the scripted model\n', output);
      assert.equal(git(worktree, 'log', '-1', '--format=%s'), 'Add hello.md');
      assert.equal(git(worktree, 'show', '--name-only', '--format=', 'HEAD'), 'hello.md');
      assert.equal(git(worktree, 'status', '--porcelain'), '');
      assert.equal(git(repo.root, 'rev-parse', 'main'), git(worktree, 'rev-parse', 'HEAD~1'), 'the commit is on the ticket branch, not main');
    });

    void it('reports through agent-factory: progress, a note, and done moves the ticket on', () => {
      const run = board.getRun(runId);
      assert.equal(run?.status, 'succeeded', run?.note);
      assert.equal(run?.reportedProgress, 60);
      // The default pipeline (IN_DEV, IN_SEC, PM_REVIEW) follows development with the security stage.
      assert.equal(board.getTicket(ticket.id)?.status, 'IN_SEC');
      const thread = board.findConversation(ticket.id, PM_THREAD_KEY);
      assert.ok(thread, 'the PM thread exists');
      const bodies = board.listMessages(thread.id).map((m) => m.body);
      assert.ok(bodies.includes('hello.md greets; ready for review'), bodies.join(' | '));
    });

    void it(scenario.reports === 'nothing' ? 'records no tokens: its output reports none' : 'records exactly the tokens the model server reported', () => {
      const usage = board.getRun(runId)?.usage;
      if (scenario.reports === 'nothing') return assert.equal(usage, undefined);
      assert.ok(usage, 'the run has token usage');
      const { costUsd, ...tokens } = usage;
      assert.deepEqual(tokens, server.served(scenario.api));
      assert.ok(tokens.inputTokens > 0 && tokens.outputTokens > 0 && tokens.cachedTokens > 0);
      if (scenario.reports === 'tokens and cost') assert.ok(typeof costUsd === 'number' && costUsd > 0, `a cost: ${String(costUsd)}`);
      else assert.equal(costUsd, undefined);
    });

    void it('got its prompt as a one-line instruction to read the prompt file, and called the tools in order', () => {
      const answered = server.requests.filter((r) => r.api !== undefined);
      assert.deepEqual(
        answered.map((r) => r.toolResults),
        [0, 1, 2, 3, 4, 5],
        'one request per step, each carrying the results of the steps before',
      );
      for (const tool of scenario.offered) assert.ok(answered[0]?.tools?.includes(tool), `${tool} offered: ${answered[0]?.tools?.join(', ')}`);
      const runEvents = events.filter((e) => e.runId === runId);
      assert.deepEqual(
        runEvents.filter((e) => e.event.kind === 'tool').map((e) => (e.event.kind === 'tool' ? e.event.name : '')),
        scenario.tools,
      );
      assert.deepEqual(runEvents.filter((e) => e.event.kind === 'needs-input'), []);
      const promptFile = path.join(board.dir, 'runs', runId, 'prompt.md');
      assert.match(readFileSync(promptFile, 'utf8'), new RegExp(`^# ${ticket.id}: Say hello`));
      assert.ok(answered[0]?.body?.includes(`Read the file ${promptFile} and do what it says`), 'the first request carries the instruction');
    });

    void it('connects to nothing but the model server', () => {
      assert.deepEqual(server.proxied, [], 'no other host was asked for through the proxy');
      assert.deepEqual(
        server.requests.filter((r) => r.api === undefined).map((r) => `${r.method} ${r.path}`),
        [],
        'no request the model server does not serve',
      );
    });
  });
}

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
