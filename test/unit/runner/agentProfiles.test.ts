import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { AgentEvent } from '../../../src/runner/profiles/agentOutput';
import { PROMPT_INSTRUCTION } from '../../../src/runner/profiles/profile';
import { CLAUDE_HOOK_SETTINGS } from '../../../src/runner/profiles/claudeCode';
import { BUILT_IN_PROFILES, outputParserFor, resolveAgentCommand } from '../../../src/runner/profiles/profiles';
import { repoRoot } from '../helpers/repoRoot';

function parse(profile: keyof typeof BUILT_IN_PROFILES, lines: Array<string | [string, 'stdout' | 'stderr']>): AgentEvent[] {
  const parser = BUILT_IN_PROFILES[profile].parser();
  return lines.flatMap((l) => (typeof l === 'string' ? parser.push(l, 'stdout') : parser.push(l[0], l[1])));
}

function usages(events: AgentEvent[]): unknown[] {
  return events.filter((e) => e.kind === 'usage').map((e) => (e.kind === 'usage' ? e.usage : undefined));
}

const json = (value: unknown): string => JSON.stringify(value);

void describe('agent profiles: command lines', () => {
  void it('passes the prompt as a one-line instruction to read the prompt file, never as a bare path', () => {
    assert.doesNotMatch(PROMPT_INSTRUCTION, /\n/);
    for (const profile of Object.values(BUILT_IN_PROFILES)) {
      const args = profile.args('', []);
      assert.ok(!args.includes('${promptFile}') || profile.name === 'aider', `${profile.name} passes a bare path as its prompt`);
      if (profile.name === 'aider') assert.deepEqual(args.slice(0, 2), ['--message-file', '${promptFile}'], 'aider reads the file as its message');
      else assert.ok(args.includes(PROMPT_INSTRUCTION), profile.name);
    }
  });

  void it('puts the model and extra arguments where each program takes options', () => {
    const claude = resolveAgentCommand({ profile: 'claude-code', command: undefined, model: 'opus', extraArgs: ['--max-turns', '30'], env: {} }, 'agents.dev');
    assert.deepEqual(claude?.args, [
      '-p',
      PROMPT_INSTRUCTION,
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      'Read Glob Grep Bash(git:*) Bash(agent-factory:*)',
      '--settings',
      CLAUDE_HOOK_SETTINGS,
      '--model',
      'opus',
      '--max-turns',
      '30',
    ]);
    assert.deepEqual(claude?.env, { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' });
    const codex = resolveAgentCommand({ profile: 'codex', command: undefined, model: 'gpt-5.5', extraArgs: ['--ephemeral'], env: { CODEX_HOME: '/c' } }, 'agents.dev');
    assert.deepEqual(codex?.args.slice(-5), ['-m', 'gpt-5.5', '--ephemeral', '--', PROMPT_INSTRUCTION]);
    assert.ok(codex?.args.includes('workspace-write'));
    for (const dir of ['${gitDir}', '${gitCommonDir}', '${boardDir}']) assert.ok(codex?.args.includes(dir), `codex may write ${dir}`);
    assert.deepEqual(codex?.env, { CODEX_HOME: '/c' });
  });
});

void describe('agent profiles: output parsers', () => {
  void it('Claude Code: sums usage per message while it streams, then takes the result totals and cost; tools and refusals', () => {
    const message = (id: string, content: unknown[], usage: Record<string, number>) => json({ type: 'assistant', message: { id, content, usage } });
    const events = parse('claude-code', [
      json({ type: 'system', subtype: 'init' }),
      message('msg_1', [{ type: 'tool_use', id: 't1', name: 'Write', input: { file_path: '/w/a.md', content: 'x' } }], { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 0, output_tokens: 1 }),
      // The same message again (a second content block): counted once.
      message('msg_1', [{ type: 'text', text: 'ok' }], { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 0, output_tokens: 1 }),
      message('msg_2', [{ type: 'tool_use', id: 't2', name: 'AskUserQuestion', input: { questions: [{ question: 'Which database?' }] } }], { input_tokens: 20, cache_read_input_tokens: 7, output_tokens: 2 }),
      'not json at all',
      ['{"type":"result","usage":{"input_tokens":999}}', 'stderr'],
      json({
        type: 'result',
        total_cost_usd: 0.0123,
        usage: { input_tokens: 30, cache_creation_input_tokens: 5, cache_read_input_tokens: 7, output_tokens: 40 },
        permission_denials: [{ tool_name: 'Bash', tool_input: { command: 'rm -rf /' } }],
      }),
      message('msg_3', [], { input_tokens: 1000, output_tokens: 1000 }),
    ]);
    assert.deepEqual(usages(events), [
      { inputTokens: 15, outputTokens: 1, cachedTokens: 0, costUsd: undefined },
      { inputTokens: 15, outputTokens: 1, cachedTokens: 0, costUsd: undefined },
      { inputTokens: 42, outputTokens: 3, cachedTokens: 7, costUsd: undefined },
      { inputTokens: 42, outputTokens: 40, cachedTokens: 7, costUsd: 0.0123 },
    ]);
    assert.deepEqual(
      events.filter((e) => e.kind !== 'usage'),
      [
        { kind: 'tool', name: 'Write', input: '{"file_path":"/w/a.md","content":"x"}' },
        { kind: 'tool', name: 'AskUserQuestion', input: '{"questions":[{"question":"Which database?"}]}' },
        { kind: 'needs-input', reason: 'Claude Code asks: Which database?' },
        { kind: 'needs-input', reason: 'Claude Code was not allowed to use Bash: rm -rf /' },
      ],
    );
  });

  void it('Codex: adds up each turn, and reports commands, patches and MCP calls as tools', () => {
    const events = parse('codex', [
      json({ type: 'thread.started', thread_id: 'x' }),
      json({ type: 'item.started', item: { id: 'i0', type: 'file_change', changes: [{ path: '/w/a.md', kind: 'add' }] } }),
      json({ type: 'item.completed', item: { id: 'i0', type: 'file_change', changes: [{ path: '/w/a.md', kind: 'add' }] } }),
      json({ type: 'item.started', item: { id: 'i1', type: 'command_execution', command: "/bin/bash -c 'git status'" } }),
      json({ type: 'item.started', item: { id: 'i2', type: 'mcp_tool_call', server: 'docs', tool: 'search', arguments: { q: 'x' } } }),
      json({ type: 'item.started', item: { id: 'i3', type: 'reasoning' } }),
      json({ type: 'turn.completed', usage: { input_tokens: 100, cached_input_tokens: 60, output_tokens: 9 } }),
      json({ type: 'turn.completed', usage: { input_tokens: 50, cached_input_tokens: 0, output_tokens: 1 } }),
    ]);
    assert.deepEqual(usages(events), [
      { inputTokens: 100, outputTokens: 9, cachedTokens: 60, costUsd: undefined },
      { inputTokens: 150, outputTokens: 10, cachedTokens: 60, costUsd: undefined },
    ]);
    assert.deepEqual(
      events.filter((e) => e.kind === 'tool'),
      [
        { kind: 'tool', name: 'apply_patch', input: 'add /w/a.md' },
        { kind: 'tool', name: 'exec_command', input: "/bin/bash -c 'git status'" },
        { kind: 'tool', name: 'docs.search', input: '{"q":"x"}' },
      ],
    );
  });

  void it('Gemini CLI: tool_use events and the result statistics', () => {
    const events = parse('gemini', [
      json({ type: 'init', session_id: 's' }),
      json({ type: 'tool_use', tool_name: 'run_shell_command', tool_id: 't', parameters: { command: 'git commit -m x' } }),
      json({ type: 'result', status: 'success', stats: { total_tokens: 130, input_tokens: 100, output_tokens: 30, cached: 40, input: 60, duration_ms: 5, tool_calls: 1 } }),
    ]);
    assert.deepEqual(events, [
      { kind: 'tool', name: 'run_shell_command', input: '{"command":"git commit -m x"}' },
      { kind: 'usage', usage: { inputTokens: 100, outputTokens: 30, cachedTokens: 40 } },
    ]);
  });

  void it('Copilot CLI: tool starts, requests for permission or input, and usage where it is emitted', () => {
    const events = parse('copilot', [
      json({ type: 'tool.execution_start', data: { toolCallId: 't', toolName: 'bash', arguments: { command: 'git add .' } } }),
      json({ type: 'permission.requested', data: { requestId: 'p', promptRequest: { title: 'Run rm -rf build?' } } }),
      json({ type: 'user_input.requested', data: { requestId: 'q', question: 'Which branch?' } }),
      json({ type: 'assistant.usage', data: { model: 'm', inputTokens: 10, outputTokens: 3, cacheReadTokens: 4, cacheWriteTokens: 1 } }),
      json({ type: 'assistant.usage', data: { model: 'm', inputTokens: 5, outputTokens: 2 } }),
      json({ type: 'result', exitCode: 0, usage: { premiumRequests: 0 } }),
    ]);
    assert.deepEqual(events, [
      { kind: 'tool', name: 'bash', input: '{"command":"git add ."}' },
      { kind: 'needs-input', reason: 'Copilot asks for permission: Run rm -rf build?' },
      { kind: 'needs-input', reason: 'Copilot asks: Which branch?' },
      { kind: 'usage', usage: { inputTokens: 15, outputTokens: 3, cachedTokens: 4, costUsd: undefined } },
      { kind: 'usage', usage: { inputTokens: 20, outputTokens: 5, cachedTokens: 4, costUsd: undefined } },
    ]);
  });

  void it("Aider: its rounded token lines, summed, with its own session cost", () => {
    const events = parse('aider', [
      'Applied edit to hello.md',
      'Tokens: 2.3k sent, 1.1k cache hit, 512 received. Cost: $0.0123 message, $0.0456 session.',
      'Tokens: 900 sent, 88 received.',
    ]);
    assert.deepEqual(usages(events), [
      { inputTokens: 2300, outputTokens: 512, cachedTokens: 1100, costUsd: 0.0456 },
      { inputTokens: 3200, outputTokens: 600, cachedTokens: 1100 },
    ]);
  });

  void it('custom commands have no parser: nothing is read from their output', () => {
    const parser = outputParserFor({ program: 'my-agent', args: [], profile: 'custom' });
    assert.deepEqual(parser.push(json({ type: 'result', usage: { input_tokens: 5 } }), 'stdout'), []);
  });
});

/**
 * A command line as README shows it: the instruction as "<instruction>", spaced arguments in
 * double quotes, arguments with double quotes (JSON) in single quotes.
 */
function shown(program: string, args: readonly string[]): string {
  const quote = (arg: string): string => (/^[\w./:=@%+,${}-]+$/.test(arg) ? arg : arg.includes('"') ? `'${arg}'` : `"${arg}"`);
  const words = args.map((arg) => (arg === PROMPT_INSTRUCTION ? '"<instruction>"' : quote(arg)));
  return [program, ...words].join(' ');
}

void describe('agent profiles: README', () => {
  void it('shows each profile\'s exact command line and the instruction', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    for (const profile of Object.values(BUILT_IN_PROFILES)) {
      const line = shown(profile.program, profile.args('', []));
      assert.ok(readme.includes(`| \`${profile.name}\` | \`${line}\` |`), `README shows ${profile.name} as ${line}`);
      const env = Object.entries(profile.env).map(([k, v]) => `${k}=${v}`).join(' ');
      if (env) assert.ok(readme.includes(`\`${env}\``), `README shows the environment of ${profile.name}: ${env}`);
    }
    assert.ok(readme.includes(`\`${PROMPT_INSTRUCTION}\``), 'README quotes the instruction');
  });
});
