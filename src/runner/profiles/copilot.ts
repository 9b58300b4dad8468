/**
 * GitHub Copilot CLI (`copilot`, npm `@github/copilot`). `-p` runs one prompt without a person;
 * `--allow-all-tools` is required for that, and `--trust-folder` trusts the worktree for this one
 * session. `--output-format json` prints one session event per line (`tool.execution_start`,
 * `permission.requested`, `user_input.requested`, `assistant.usage` where the version emits it).
 * `--no-auto-update` and `--disable-client-telemetry` stop its calls to anything but the model.
 */
import { addUsage, NO_USAGE, type TokenUsage } from '../../domain/usage';
import { count, jsonObject, record, text, toolInput, type AgentEvent, type AgentOutputParser } from './agentOutput';
import { modelArgs, PROMPT_INSTRUCTION, type AgentProfile } from './profile';

export const copilotProfile: AgentProfile = {
  name: 'copilot',
  label: 'GitHub Copilot CLI',
  program: 'copilot',
  install: 'npm install -g @github/copilot',
  args: (model, extraArgs) => [
    '-p',
    PROMPT_INSTRUCTION,
    '--allow-all-tools',
    '--trust-folder',
    '--output-format',
    'json',
    '--no-auto-update',
    '--disable-client-telemetry',
    ...modelArgs('--model', model),
    ...extraArgs,
  ],
  env: { COPILOT_AUTO_UPDATE: 'false' },
  parser: () => new CopilotJsonParser(),
};

class CopilotJsonParser implements AgentOutputParser {
  private total: TokenUsage = NO_USAGE;

  push(line: string, stream: 'stdout' | 'stderr'): AgentEvent[] {
    if (stream !== 'stdout') return [];
    const event = jsonObject(line);
    if (!event) return [];
    const data = record(event.data);
    switch (event.type) {
      case 'tool.execution_start':
        return [{ kind: 'tool', name: text(data.toolName), input: toolInput(data.arguments) }];
      case 'permission.requested':
        return [{ kind: 'needs-input', reason: `Copilot asks for permission: ${permissionOf(data)}` }];
      case 'user_input.requested':
        return [{ kind: 'needs-input', reason: `Copilot asks: ${text(data.question)}` }];
      case 'assistant.usage': {
        const cacheRead = count(data.cacheReadTokens);
        this.total = addUsage(this.total, {
          inputTokens: count(data.inputTokens) + count(data.cacheWriteTokens) + cacheRead,
          outputTokens: count(data.outputTokens),
          cachedTokens: cacheRead,
        });
        return [{ kind: 'usage', usage: this.total }];
      }
      default:
        return [];
    }
  }
}

function permissionOf(data: Record<string, unknown>): string {
  const prompt = record(data.promptRequest);
  const request = record(data.permissionRequest);
  return text(prompt.title) || text(prompt.message) || text(request.kind) || toolInput(data.permissionRequest);
}
