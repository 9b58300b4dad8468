/**
 * Aider (`aider`, installed with pip or pipx, so not tested here). `--message-file` sends the
 * prompt file's text as the one message and exits when done; `--yes-always` answers its questions,
 * including running the shell commands it suggests. It commits its edits itself. It has no JSON
 * output: after each reply it prints a line such as
 * `Tokens: 2.3k sent, 1.1k cache hit, 512 received. Cost: $0.0123 message, $0.0456 session.`,
 * rounded, which the parser reads (the session cost is Aider's own running total).
 */
import { NO_USAGE, type TokenUsage } from '../../domain/usage';
import type { AgentEvent, AgentOutputParser } from './agentOutput';
import { modelArgs, type AgentProfile } from './profile';

export const aiderProfile: AgentProfile = {
  name: 'aider',
  label: 'Aider',
  program: 'aider',
  install: 'python -m pip install aider-install && aider-install',
  args: (model, extraArgs) => [
    '--message-file',
    '${promptFile}',
    '--yes-always',
    '--no-pretty',
    '--no-stream',
    '--no-check-update',
    '--no-show-release-notes',
    '--analytics-disable',
    ...modelArgs('--model', model),
    ...extraArgs,
  ],
  env: {},
  parser: () => new AiderTokensParser(),
};

const TOKENS_LINE = /^Tokens: (.+?)\.(?: Cost: .*?\$([\d.]+) session\.)?\s*$/;

class AiderTokensParser implements AgentOutputParser {
  private total: TokenUsage = NO_USAGE;

  push(line: string): AgentEvent[] {
    const match = TOKENS_LINE.exec(line.trim());
    if (!match) return [];
    const parts = new Map<string, number>();
    for (const part of (match[1] ?? '').split(',')) {
      const m = /^\s*([\d.]+)(k|M)?\s+(.+?)\s*$/.exec(part);
      if (m) parts.set(m[3] ?? '', scaled(m[1] ?? '0', m[2]));
    }
    // "sent" is the whole prompt (the model library counts cache hits in it); "cache hit" a part of it.
    const cached = parts.get('cache hit') ?? 0;
    const usage: TokenUsage = {
      inputTokens: this.total.inputTokens + (parts.get('sent') ?? 0),
      outputTokens: this.total.outputTokens + (parts.get('received') ?? 0),
      cachedTokens: this.total.cachedTokens + cached,
    };
    this.total = usage;
    const session = match[2] !== undefined ? Number(match[2]) : undefined;
    return [{ kind: 'usage', usage: session !== undefined && Number.isFinite(session) ? { ...usage, costUsd: session } : usage }];
  }
}

function scaled(value: string, unit: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n)) return 0;
  return Math.round(unit === 'k' ? n * 1000 : unit === 'M' ? n * 1_000_000 : n);
}
