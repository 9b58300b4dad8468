import * as vscode from 'vscode';
import { Commands, STATUS_BAR_ID } from '../constants';
import { Disposable } from '../util/disposable';
import { escapeMarkdown, untrustedMarkdown } from '../util/markdown';
import type { AgentsModel } from './agentsModel';

/**
 * Agents' health at a glance: "$(pulse) 4 agents", or what needs a human ("1 stalled · 2
 * stuck"), with a warning background then, and an error background when an agent is in Error.
 */
export class AgentsStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 10));

  constructor(private readonly model: AgentsModel) {
    super();
    this.item.name = 'Agent Factory';
    this.item.command = Commands.FocusAgents;
    this._register(model.onDidChange(() => this.render()));
    this.render();
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  render(): void {
    const status = this.model.boardStatus();
    if (!status) {
      this.item.text = '$(pulse) Agent Factory';
      this.item.tooltip = 'Agent Factory: no board in this workspace';
      this.item.backgroundColor = undefined;
      return;
    }
    this.item.text = `$(pulse) ${status.headline}`;
    this.item.backgroundColor =
      status.level === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : status.level === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    const md = untrustedMarkdown();
    md.appendMarkdown('**Agent Factory**\n\n');
    for (const a of status.agents) md.appendMarkdown(`- ${escapeMarkdown(a.name)}: ${escapeMarkdown(a.state)} — ${escapeMarkdown(a.activity)}\n`);
    if (status.progress !== undefined) md.appendMarkdown(`\nBoard progress: ${escapeMarkdown(status.progress)}`);
    md.appendMarkdown(`\n\n${escapeMarkdown(status.autopilotLine)}  \n${escapeMarkdown(status.queue)}`);
    if (this.model.note) md.appendMarkdown(`\n\n${escapeMarkdown(this.model.note)}`);
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Agent Factory: ${status.headline}` };
  }

  /** The tooltip as plain text (for tests and the accessibility of the item). */
  get tooltipText(): string {
    const tooltip = this.item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }
}
