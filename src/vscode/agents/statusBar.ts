import * as vscode from 'vscode';
import { attentionCounts } from '../../agents/pm/report';
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
    const statuses = this.model.statuses();
    if (!this.model.hasBoard) {
      this.item.text = '$(pulse) Agent Factory';
      this.item.tooltip = 'Agent Factory: no board in this workspace';
      this.item.backgroundColor = undefined;
      return;
    }
    const counts = attentionCounts(this.model.pmReport());
    const attention: string[] = [];
    if (counts.stalled) attention.push(`${counts.stalled} stalled`);
    const orphans = this.model.orphans().length;
    if (orphans) attention.push(`${orphans} orphaned`);
    if (counts.stuck) attention.push(`${counts.stuck} stuck`);
    if (counts.blockers) attention.push(`${counts.blockers} blocked`);
    const errors = statuses.filter((s) => s.state === 'Error');
    const running = statuses.filter((s) => s.state !== 'Stopped').length;
    this.item.text = `$(pulse) ${attention.length ? attention.join(' · ') : `${running || statuses.length} agents`}`;
    this.item.backgroundColor = errors.length
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : attention.length
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    const md = untrustedMarkdown();
    md.appendMarkdown('**Agent Factory**\n\n');
    for (const s of statuses) md.appendMarkdown(`- ${escapeMarkdown(s.name)}: ${escapeMarkdown(s.state)} — ${escapeMarkdown(s.activity)}\n`);
    const report = this.model.pmReport();
    if (report) md.appendMarkdown(`\nBoard progress: ${escapeMarkdown(report.boardProgress)}`);
    if (this.model.note) md.appendMarkdown(`\n\n${escapeMarkdown(this.model.note)}`);
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Agent Factory: ${this.item.text.replace('$(pulse) ', '')}` };
  }
}
