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
import { RunWatch, type RunNotice } from '../../../src/runner/runWatch';
import { PM_THREAD_KEY } from '../../../src/runner/threads';
import { TicketRunner } from '../../../src/runner/ticketRunner';
import { Settings } from '../../../src/settings/settings';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { ScriptedModelServer, type ModelApi } from '../../fixtures/modelServer/scriptedModelServer';
import type { Script, ScriptStep } from '../../fixtures/modelServer/script';
import { git, gitEnv, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { compiledCli } from './agentPaths';

const LOOP_REPEATS = 3;
const WAITING_REASON = 'Should hello.md also go into the release notes?';
const BUG_TITLE = 'hello.md does not greet the reviewer by name';

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
  /** Its usage comes only as its turn ends, in its last event: a stop for the budget can find it gone. */
  usageAtEnd?: boolean;
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
    usageAtEnd: true,
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
    usageAtEnd: true,
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
    let budgetTicket: Ticket;
    let worktree: string;
    let runId: string;
    let watch: RunWatch;
    const notices: RunNotice[] = [];
    let values: Record<string, unknown> = {};
    let reviewScript: Script;

    before(async () => {
      repo = makeTempRepo();
      home = mkdtempSync(path.join(tmpdir(), 'af-agent-home-'));
      board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, pollMs: 0 });
      ticket = await board.write((tx) => tx.createTicket({ title: 'Say hello', status: 'READY', acceptanceCriteria: ['hello.md greets'] }, 'user'));
      const port = new SimpleGitPort();
      worktree = (await ensureTicketWorktree(board, port, ticket, DEFAULT_WORKTREE_SETTINGS)).path;

      budgetTicket = await board.write((tx) => tx.createTicket({ title: 'Spend little', status: 'READY' }, 'user'));
      const steps: ScriptStep[] = [
        { writeFile: { path: path.join(worktree, 'hello.md'), content: '# Hello\n\nfrom the scripted model\n' } },
        { shell: 'git add hello.md && git commit -q -m "Add hello.md"' },
        { shell: 'agent-factory progress 60 "hello.md written and committed"' },
        { shell: 'agent-factory note "hello.md greets; ready for review"' },
        { shell: 'agent-factory done' },
        { say: 'Done: hello.md is committed.' },
      ];
      // The review waits for a person (as its hook would say), then goes round in circles
      // (LOOP_REPEATS times the same command), then rejects the change with a bug.
      reviewScript = {
        match: `IN_SEC agent of ticket ${ticket.id}`,
        steps: [
          { shell: `agent-factory heartbeat --state waiting --reason "${WAITING_REASON}"` },
          ...Array.from({ length: LOOP_REPEATS }, () => ({ shell: 'git status --short' })),
          { shell: `agent-factory reject --bug "${BUG_TITLE}"` },
          { say: 'Rejected: see the bug.' },
        ],
      };
      const budgetScript: Script = { match: `ticket ${budgetTicket.id}`, steps: [{ shell: 'agent-factory progress 10 "started"' }, { say: 'Stopping here.' }] };
      server = new ScriptedModelServer([{ match: `IN_DEV agent of ticket ${ticket.id}`, steps }, reviewScript, budgetScript]);
      const url = await server.start();
      const stageSettings = scenario.settings(url, home);
      const security = Object.fromEntries(Object.entries(stageSettings).map(([k, v]) => [k.replace(/^agents\.dev\./, 'agents.security.'), v]));
      values = { 'agents.dev.profile': scenario.cli, 'agents.security.profile': scenario.cli, ...stageSettings, ...security, 'runs.loopRepeats': LOOP_REPEATS };
      const settings = new Settings({ get: (key) => values[key] }, silent);
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
      watch = new RunWatch({ board, events: reader.onDidReadEvent, settings: () => settings.runWatchSettings(), stop: (id, note) => runs.cancel(id, note) });
      watch.onDidNotice((n) => notices.push(n));
      runs = new RunManager({ board, baseEnv: env, observeOutput: watch.observe(reader.observe), cli: { nodePath: process.execPath, script: compiledCli }, stopGraceMs: 5000, pipeline: () => settings.pipeline() });
      runner = new TicketRunner({
        board,
        runs,
        env,
        commandFor: (stage) => settings.agentCommand(stage),
        prepareWorktree: (t) => ensureTicketWorktree(board, port, t, DEFAULT_WORKTREE_SETTINGS),
        isTrusted: () => true,
        // The test starts each stage itself, as the autopilot does, with the model server ready
        // for it: the runner does not chain the review after development.
        autopilotOn: () => true,
      });
      const started = await runner.startTicket(ticket.id);
      runId = started.run.id;
      await runs.whenEnded(runId);
    });

    after(async () => {
      runner.dispose();
      await runs.shutdown();
      await watch.idle();
      watch.dispose();
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

    void it('review: waits for a person as its hook says (Needs input), loops, then rejects with a bug; the ticket goes back to IN_DEV', async () => {
      assert.equal(board.getTicket(ticket.id)?.status, 'IN_SEC');
      const from = server.requests.length;
      const gate = server.hold(reviewScript, 1);
      const started = await runner.startTicket(ticket.id);
      const reviewId = started.run.id;
      await gate.reached;
      // The hook's CLI call has been answered: the run shows as Needs input while the model is held.
      await board.refresh();
      const waiting = board.getRun(reviewId)?.attention?.needsInput;
      gate.release();
      await runs.whenEnded(reviewId);
      await watch.idle();
      const output = readFileSync(path.join(board.dir, 'runs', reviewId, 'output.log'), 'utf8');
      assert.equal(waiting?.source, 'hook', output);
      assert.equal(waiting?.reason, WAITING_REASON);

      const run = board.getRun(reviewId);
      assert.equal(run?.status, 'succeeded', run?.note);
      assert.equal(run?.verdict, 'rejected');
      assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV', 'a rejection sends the ticket back to development');
      assert.ok(board.listBugs(ticket.id).some((b) => b.title === BUG_TITLE && !b.fixed), 'the bug is filed');
      assert.equal(run?.attention?.needsInput, undefined, 'working again once it called the next tool');
      assert.equal(run?.attention?.loop?.repeats, LOOP_REPEATS);
      assert.match(run?.attention?.loop?.evidence ?? '', /git status --short/);
      assert.deepEqual(
        notices.filter((n) => n.run.id === reviewId).map((n) => n.kind),
        ['loop'],
      );

      if (scenario.reports === 'nothing') return;
      const usage = run?.usage;
      assert.deepEqual(
        { inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens, cachedTokens: usage?.cachedTokens },
        server.served(scenario.api, from),
        "the review run's tokens are what the server reported for it",
      );
    });

    void it('budget: a run whose ticket crosses agentFactory.runs.budget is stopped and the ticket BLOCKED with "budget reached"', { skip: scenario.reports === 'nothing' ? 'its output reports no tokens' : false }, async () => {
      values['runs.budget'] = { tokens: 1 };
      const started = await runner.startTicket(budgetTicket.id);
      await runs.whenEnded(started.run.id);
      await watch.idle();
      const run = board.getRun(started.run.id);
      const output = readFileSync(path.join(board.dir, 'runs', started.run.id, 'output.log'), 'utf8');
      const blocked = board.getTicket(budgetTicket.id);
      assert.equal(blocked?.status, 'BLOCKED', output);
      if (scenario.usageAtEnd === true && run?.status === 'succeeded') {
        // Codex and Gemini report their usage only as their turn ends: a process already gone keeps its exit.
        assert.equal(blocked?.blockedFrom, 'IN_SEC');
      } else {
        assert.equal(run?.status, 'cancelled', output);
        assert.match(run?.note ?? '', /^budget reached: \d+ tokens used of 1 /);
      }
      assert.match(blocked?.blockedReason ?? '', /^budget reached/);
      assert.ok(notices.some((n) => n.kind === 'budget' && n.run.id === run?.id));
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
