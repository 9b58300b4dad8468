import * as vscode from 'vscode';
import type { Status } from '../../domain/status';
import { commandSettingKey, parseAgentCommand, type AgentCommand } from '../../runner/agentCommand';

/**
 * The coding agent configured for a stage (`agentFactory.agents.<stage>.command`). These settings
 * are restricted in untrusted workspaces (VS Code ignores the workspace's values there), and the
 * runner refuses to spawn anything without trust anyway. A malformed value throws, naming the
 * setting, so a typo does not silently become "open a terminal".
 */
export function agentCommandFor(stage: Status): AgentCommand | undefined {
  const key = commandSettingKey(stage);
  if (key === undefined) return undefined;
  return parseAgentCommand(vscode.workspace.getConfiguration().get<unknown>(key), key);
}
