/**
 * Gemini CLI (`gemini`, npm `@google/gemini-cli`). `-p` runs one prompt without a person, `--yolo`
 * approves its tools (it has no narrower non-interactive grant for shell commands), and
 * `--skip-trust` trusts the worktree for this session only. It needs an authentication method in
 * its settings (`security.auth.selectedType`, e.g. `gemini-api-key` with GEMINI_API_KEY).
 * `--output-format stream-json` prints one event per line; the final `result` carries the token
 * statistics. Gemini reports no cost. Its usage statistics are a setting of its own
 * (`privacy.usageStatisticsEnabled`), not an environment variable.
 */
import type { TokenUsage } from '../../domain/usage';
import { count, jsonObject, record, text, toolInput, type AgentEvent, type AgentOutputParser } from './agentOutput';
import { modelArgs, PROMPT_INSTRUCTION, type AgentProfile } from './profile';

export const geminiProfile: AgentProfile = {
  name: 'gemini',
  label: 'Gemini CLI',
  program: 'gemini',
  install: 'npm install -g @google/gemini-cli',
  args: (model, extraArgs) => ['-p', PROMPT_INSTRUCTION, '--output-format', 'stream-json', '--yolo', '--skip-trust', ...modelArgs('-m', model), ...extraArgs],
  env: { GEMINI_TELEMETRY_ENABLED: 'false' },
  parser: () => new GeminiStreamParser(),
};

class GeminiStreamParser implements AgentOutputParser {
  push(line: string, stream: 'stdout' | 'stderr'): AgentEvent[] {
    if (stream !== 'stdout') return [];
    const event = jsonObject(line);
    if (!event) return [];
    if (event.type === 'tool_use') return [{ kind: 'tool', name: text(event.tool_name), input: toolInput(event.parameters) }];
    if (event.type === 'result' && event.stats !== undefined) {
      const stats = record(event.stats);
      // `input_tokens` is the whole prompt; `cached` the part of it served from the cache.
      const usage: TokenUsage = { inputTokens: count(stats.input_tokens), outputTokens: count(stats.output_tokens), cachedTokens: count(stats.cached) };
      return [{ kind: 'usage', usage }];
    }
    return [];
  }
}
