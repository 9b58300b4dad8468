/**
 * Codex CLI (`codex`, npm `@openai/codex`). `codex exec` runs one prompt without a person (stdin
 * must not be a terminal: the runner gives it /dev/null) and `--json` prints one event per line;
 * each `turn.completed` carries that turn's usage. `-s workspace-write` lets the commands it runs
 * write only inside the worktree and keeps even a linked worktree's own git folder read-only, so
 * the profile adds that folder (the index, HEAD), the repository's common one (objects, refs) and
 * the board folder (`agent-factory`) as writable. `allow_login_shell=false` runs commands in a
 * plain shell: a login shell reads /etc/profile, which on many systems resets the PATH and loses
 * `agent-factory`. Codex reports no cost.
 * `analytics.enabled=false` and `features.plugins=false` stop its calls to anything but the model.
 */
import { addUsage, NO_USAGE, type TokenUsage } from '../../domain/usage';
import { count, jsonObject, record, text, toolInput, type AgentEvent, type AgentOutputParser } from './agentOutput';
import { modelArgs, PROMPT_INSTRUCTION, type AgentProfile } from './profile';

export const codexProfile: AgentProfile = {
  name: 'codex',
  label: 'Codex CLI',
  program: 'codex',
  install: 'npm install -g @openai/codex',
  args: (model, extraArgs) => [
    'exec',
    '--json',
    '--skip-git-repo-check',
    '-s',
    'workspace-write',
    '--add-dir',
    '${gitDir}',
    '--add-dir',
    '${gitCommonDir}',
    '--add-dir',
    '${boardDir}',
    '-c',
    'allow_login_shell=false',
    '-c',
    'analytics.enabled=false',
    '-c',
    'features.plugins=false',
    ...modelArgs('-m', model),
    ...extraArgs,
    '--',
    PROMPT_INSTRUCTION,
  ],
  env: {},
  parser: () => new CodexJsonParser(),
};

/** OpenAI usage: `input_tokens` already includes the cached ones. */
export function openAiUsage(u: Record<string, unknown>): TokenUsage {
  const details = record(u.input_tokens_details);
  return {
    inputTokens: count(u.input_tokens),
    outputTokens: count(u.output_tokens),
    cachedTokens: count(u.cached_input_tokens) || count(details.cached_tokens),
  };
}

class CodexJsonParser implements AgentOutputParser {
  private total: TokenUsage = NO_USAGE;

  push(line: string, stream: 'stdout' | 'stderr'): AgentEvent[] {
    if (stream !== 'stdout') return [];
    const event = jsonObject(line);
    if (!event) return [];
    if (event.type === 'turn.completed' && event.usage !== undefined) {
      this.total = addUsage(this.total, openAiUsage(record(event.usage)));
      return [{ kind: 'usage', usage: this.total }];
    }
    if (event.type === 'item.started') {
      const tool = toolOf(record(event.item));
      return tool ? [tool] : [];
    }
    return [];
  }
}

function toolOf(item: Record<string, unknown>): AgentEvent | undefined {
  switch (item.type) {
    case 'command_execution':
      return { kind: 'tool', name: 'exec_command', input: text(item.command) };
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? item.changes.map((c) => `${text(record(c).kind)} ${text(record(c).path)}`) : [];
      return { kind: 'tool', name: 'apply_patch', input: changes.join(', ') };
    }
    case 'mcp_tool_call':
      return { kind: 'tool', name: `${text(item.server)}.${text(item.tool)}`, input: toolInput(item.arguments) };
    case 'web_search':
      return { kind: 'tool', name: 'web_search', input: text(item.query) };
    default:
      return undefined;
  }
}
