/**
 * Claude Code (`claude`, npm `@anthropic-ai/claude-code`). `-p` runs one prompt without a person;
 * without allowed tools it denies every tool and still exits 0, so the profile allows reading,
 * `git` and `agent-factory` through Bash, and `acceptEdits` lets it edit files inside its working
 * folder (the worktree) and nowhere else. `--output-format stream-json` (which needs `--verbose`)
 * prints one JSON event per line; the last, `result`, carries the run's usage and a cost.
 * `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC` leaves the model's endpoint as its only connection
 * (no telemetry, error reports or update checks).
 */
import { addUsage, NO_USAGE, type TokenUsage } from '../../domain/usage';
import { count, jsonObject, record, text, toolInput, type AgentEvent, type AgentOutputParser } from './agentOutput';
import { modelArgs, PROMPT_INSTRUCTION, type AgentProfile } from './profile';

export const CLAUDE_ALLOWED_TOOLS = 'Read Glob Grep Bash(git:*) Bash(agent-factory:*)';

/**
 * Its Notification hook fires when it waits for a person (a permission, a question, an idle
 * prompt): the hook tells the board, and the run shows as Needs input. Working again needs no
 * hook: its next tool call shows in the stream-json the runner reads. Passed as JSON to
 * `--settings`, so nothing is written into the worktree or the user's settings.
 */
export const CLAUDE_HOOK_SETTINGS = JSON.stringify({
  hooks: {
    Notification: [{ hooks: [{ type: 'command', command: 'agent-factory heartbeat --state waiting --reason "Claude Code is waiting for a person"' }] }],
  },
});

export const claudeCodeProfile: AgentProfile = {
  name: 'claude-code',
  label: 'Claude Code',
  program: 'claude',
  install: 'npm install -g @anthropic-ai/claude-code',
  args: (model, extraArgs) => [
    '-p',
    PROMPT_INSTRUCTION,
    '--output-format',
    'stream-json',
    '--verbose',
    '--permission-mode',
    'acceptEdits',
    '--allowedTools',
    CLAUDE_ALLOWED_TOOLS,
    '--settings',
    CLAUDE_HOOK_SETTINGS,
    ...modelArgs('--model', model),
    ...extraArgs,
  ],
  env: { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
  parser: () => new ClaudeStreamParser(),
};

/** The tool Claude Code uses to ask the person at the keyboard a question. */
const ASK_TOOL = 'AskUserQuestion';

/** Anthropic usage: `input_tokens` excludes the prompt-cache reads and writes, which we count as input. */
export function anthropicUsage(u: Record<string, unknown>): TokenUsage {
  const cacheRead = count(u.cache_read_input_tokens);
  return {
    inputTokens: count(u.input_tokens) + count(u.cache_creation_input_tokens) + cacheRead,
    outputTokens: count(u.output_tokens),
    cachedTokens: cacheRead,
  };
}

/**
 * While the run goes on, the totals are summed from each assistant message (several events can
 * carry the same message, so per message id); the final `result` replaces them with Claude Code's
 * own totals and adds the cost.
 */
class ClaudeStreamParser implements AgentOutputParser {
  private readonly perMessage = new Map<string, TokenUsage>();
  private final = false;

  push(line: string, stream: 'stdout' | 'stderr'): AgentEvent[] {
    if (stream !== 'stdout') return [];
    const event = jsonObject(line);
    if (!event) return [];
    if (event.type === 'assistant') return this.assistant(record(event.message));
    if (event.type === 'result') return this.result(event);
    return [];
  }

  private assistant(message: Record<string, unknown>): AgentEvent[] {
    const events: AgentEvent[] = [];
    for (const block of Array.isArray(message.content) ? message.content : []) {
      const b = record(block);
      if (b.type !== 'tool_use') continue;
      const name = text(b.name);
      events.push({ kind: 'tool', name, input: toolInput(b.input) });
      if (name === ASK_TOOL) events.push({ kind: 'needs-input', reason: `Claude Code asks: ${questionOf(b.input)}` });
    }
    const id = text(message.id);
    if (!this.final && id !== '' && message.usage !== undefined) {
      this.perMessage.set(id, anthropicUsage(record(message.usage)));
      const total = [...this.perMessage.values()].reduce(addUsage, NO_USAGE);
      events.push({ kind: 'usage', usage: total });
    }
    return events;
  }

  private result(event: Record<string, unknown>): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (event.usage !== undefined) {
      this.final = true;
      const cost = event.total_cost_usd;
      const usage = anthropicUsage(record(event.usage));
      events.push({ kind: 'usage', usage: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? { ...usage, costUsd: cost } : usage });
    }
    for (const denial of Array.isArray(event.permission_denials) ? event.permission_denials : []) {
      const d = record(denial);
      const input = record(d.tool_input);
      const what = text(input.command) || text(input.file_path) || toolInput(d.tool_input);
      events.push({ kind: 'needs-input', reason: `Claude Code was not allowed to use ${text(d.tool_name) || 'a tool'}: ${what}` });
    }
    return events;
  }
}

function questionOf(input: unknown): string {
  const questions = record(input).questions;
  if (Array.isArray(questions)) {
    const asked = questions.map((q) => text(record(q).question)).filter((q) => q !== '');
    if (asked.length > 0) return asked.join(' / ');
  }
  return text(record(input).question) || toolInput(input);
}
