import * as vscode from 'vscode';
import type { AgentStatus } from '../../agents/manager';
import { formatDuration } from '../../agents/pm/settings';
import type { Run } from '../../domain/run';
import { describeLandQueue, type LandQueueEntry } from '../../land/landQueue';
import { needsInput } from '../../domain/runAttention';
import { isStatus } from '../../domain/status';
import { formatUsage } from '../../domain/usage';
import { statusLabel } from '../../domain/vocabulary';
import { ticketUsage } from '../../runner/budget';
import { oneLine } from '../document/untrustedText';
import { Commands } from '../constants';
import { localClockTime } from '../util/localTime';
import { escapeMarkdown, untrustedMarkdown } from '../util/markdown';
import type { WorktreeReportEntry } from '../../agents/worktreeAgent';
import type { AgentsModel } from './agentsModel';

export type AgentsNode =
  | { kind: 'agent'; status: AgentStatus }
  | { kind: 'runs' }
  | { kind: 'run'; run: Run; position?: number }
  | { kind: 'orphans' }
  | { kind: 'orphan'; run: Run }
  | { kind: 'worktrees' }
  | { kind: 'worktree'; line: WorktreeReportEntry }
  | { kind: 'note'; text: string }
  | { kind: 'autopilot' }
  | { kind: 'lands' }
  | { kind: 'land'; entry: LandQueueEntry; position: number };

const STATE_ICON: Record<AgentStatus['state'], vscode.ThemeIcon> = {
  Running: new vscode.ThemeIcon('sync~spin'),
  Idle: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  Paused: new vscode.ThemeIcon('debug-pause'),
  Error: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  Stopped: new vscode.ThemeIcon('circle-slash'),
};

function time(ms: number | undefined): string {
  return ms === undefined ? 'never' : localClockTime(ms, vscode.env.language);
}

/**
 * The Agents view: the four background agents, then live runs and worktrees. It is refreshed only
 * when what it shows changed: most changes of the board (a lease renewed, a scan recorded) alter
 * nothing in it, and every refresh has VS Code fetch and send every row again. While the view is
 * not on screen nothing is looked at; it is brought up to date when it shows again.
 */
export class AgentsTreeProvider implements vscode.TreeDataProvider<AgentsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /** What the view showed at its last refresh (see look). */
  private shown: string | undefined;
  /** The model changed while the view was not on screen. */
  private changedUnseen = false;
  /** Whether the view is on screen (set by the window that made it; always, for a provider alone). */
  visible: () => boolean = () => true;

  constructor(private readonly model: AgentsModel, private readonly now: () => number = Date.now) {
    this.subscription = model.onDidChange(() => this.update());
  }

  /** The view is on screen again: whatever changed meanwhile is shown. */
  cameIntoView(): void {
    if (this.changedUnseen) this.update();
  }

  private update(): void {
    this.changedUnseen = !this.visible();
    if (this.changedUnseen) return;
    const look = this.look();
    if (look === this.shown) return;
    this.shown = look;
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  /** Every row the view can show, collapsed groups included, as text. */
  private look(): string {
    const rows: string[] = [];
    const walk = (node: AgentsNode | undefined): void => {
      for (const child of this.getChildren(node)) {
        rows.push(itemLook(this.getTreeItem(child)));
        walk(child);
      }
    };
    walk(undefined);
    return rows.join('\n');
  }

  getChildren(node?: AgentsNode): AgentsNode[] {
    if (!node) {
      if (!this.model.hasBoard) return [];
      const nodes: AgentsNode[] = this.model.statuses().map((status) => ({ kind: 'agent', status }));
      if (this.model.note) nodes.push({ kind: 'note', text: this.model.note });
      nodes.push({ kind: 'autopilot' }, { kind: 'runs' });
      if (this.model.lands().length > 0) nodes.push({ kind: 'lands' });
      if (this.model.orphans().length > 0) nodes.push({ kind: 'orphans' });
      if (this.model.worktrees().length > 0) nodes.push({ kind: 'worktrees' });
      return nodes;
    }
    if (node.kind === 'orphans') return this.model.orphans().map((run) => ({ kind: 'orphan', run }));
    if (node.kind === 'runs') {
      const orphans = new Set(this.model.orphans().map((r) => r.id));
      const runs = this.model.runs().filter((r) => !orphans.has(r.id)).sort((a, b) => a.startedAt - b.startedAt);
      let queued = 0;
      return runs.map((run) => ({ kind: 'run', run, ...(run.status === 'queued' ? { position: ++queued } : {}) }));
    }
    if (node.kind === 'worktrees') return this.model.worktrees().map((line) => ({ kind: 'worktree', line }));
    if (node.kind === 'lands') {
      let queued = 0;
      return this.model.lands().map((entry) => ({ kind: 'land', entry, position: entry.state === 'queued' ? ++queued : 0 }));
    }
    return [];
  }

  getTreeItem(node: AgentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'agent':
        return this.agentItem(node.status);
      case 'runs': {
        const orphans = new Set(this.model.orphans().map((r) => r.id));
        const count = this.model.runs().filter((r) => !orphans.has(r.id)).length;
        const item = new vscode.TreeItem('Runs', count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = 'runs';
        item.description = count === 0 ? 'none running' : `${count}`;
        item.iconPath = new vscode.ThemeIcon('run-all');
        return item;
      }
      case 'run':
        return this.runItem(node.run, node.position);
      case 'orphans': {
        const item = new vscode.TreeItem('Orphaned agents', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'orphans';
        item.description = `${this.model.orphans().length}`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        item.tooltip = 'Agents that still run on this machine although the window or host that started them is gone. Nobody records how they end: stop them, or let them finish and report through agent-factory.';
        return item;
      }
      case 'orphan':
        return this.orphanItem(node.run);
      case 'autopilot':
        return this.autopilotItem();
      case 'worktrees': {
        const item = new vscode.TreeItem('Worktrees', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'worktrees';
        item.description = `${this.model.worktrees().length}`;
        item.iconPath = new vscode.ThemeIcon('repo-forked');
        return item;
      }
      case 'worktree':
        return this.worktreeItem(node.line);
      case 'lands': {
        const item = new vscode.TreeItem('Land queue', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'lands';
        item.description = `${this.model.lands().length}`;
        item.iconPath = new vscode.ThemeIcon('git-merge');
        item.tooltip = `${describeLandQueue(this.model.lands()) ?? ''}\nOne ticket lands at a time per board; the others wait here in order.`;
        return item;
      }
      case 'land':
        return this.landItem(node.entry, node.position);
      case 'note': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  private agentItem(s: AgentStatus): vscode.TreeItem {
    const item = new vscode.TreeItem(s.name);
    item.id = `agent:${s.name}`;
    item.description = s.activity;
    item.iconPath = STATE_ICON[s.state];
    item.contextValue = `agent.${s.state.toLowerCase()}`;
    const md = untrustedMarkdown();
    md.appendMarkdown(`**${escapeMarkdown(s.name)}** — ${escapeMarkdown(s.state)}${s.local ? '' : ' (run by another window)'}\n\n`);
    md.appendMarkdown(`${escapeMarkdown(s.activity)}\n\n`);
    md.appendMarkdown(`Last active: ${escapeMarkdown(time(s.lastActiveAt))}  \nCycles: ${s.cycleCount}  \nNext run: ${escapeMarkdown(s.nextRunAt === undefined ? '—' : time(s.nextRunAt))}`);
    if (s.lastError) md.appendMarkdown(`  \nLast error: ${escapeMarkdown(s.lastError)}`);
    item.tooltip = md;
    item.accessibilityInformation = { label: `${s.name} agent, ${s.state}, ${s.activity}` };
    return item;
  }

  /** The autopilot switch and the queue it dispatches from. */
  private autopilotItem(): vscode.TreeItem {
    const status = this.model.boardStatus();
    const on = status?.autopilot.on === true;
    const item = new vscode.TreeItem('Autopilot');
    item.id = 'autopilot';
    item.description = `${on ? 'on' : 'off'} · ${status?.queue ?? ''}`;
    item.iconPath = new vscode.ThemeIcon(on ? 'rocket' : 'debug-pause');
    item.contextValue = on ? 'autopilot.on' : 'autopilot.off';
    item.tooltip = `${status?.autopilotLine ?? 'Autopilot: off'}\n${status?.queue ?? ''}`;
    return item;
  }

  private runItem(run: Run, position: number | undefined): vscode.TreeItem {
    const mark = this.model.pmReport()?.runs.find((m) => m.runId === run.id);
    const asks = this.model.attention().items.find((i) => i.kind === 'needsInput' && i.runId === run.id);
    const stage = isStatus(run.stage) ? statusLabel(run.stage) : oneLine(run.stage);
    const item = new vscode.TreeItem(`${run.ticketId} · ${stage}`);
    item.id = `run:${run.id}`;
    const parts = [run.status === 'queued' ? `queued #${position ?? '?'}` : formatDuration(this.now() - run.startedAt), oneLine(run.agent)];
    const waiting = needsInput(run) || asks !== undefined;
    const looping = run.attention?.loop !== undefined;
    if (waiting) parts.push('needs input');
    if (looping) parts.push('looping');
    else if (mark?.overrun) parts.push('overrun');
    else if (mark?.stalled) parts.push('stalled');
    if (run.reportedProgress !== undefined) parts.push(`${Math.round(run.reportedProgress)}%${run.progressNote ? `: ${oneLine(run.progressNote).slice(0, 60)}` : ''}`);
    item.description = parts.join(' · ');
    item.iconPath = waiting
      ? new vscode.ThemeIcon('bell-dot', new vscode.ThemeColor('list.warningForeground'))
      : looping || mark?.stalled || mark?.overrun
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
        : new vscode.ThemeIcon(run.status === 'queued' ? 'clock' : 'loading~spin');
    item.contextValue = waiting ? `run.${run.status}.needsInput` : `run.${run.status}`;
    // Its tooltip comes from resolveTreeItem.
    item.command = { command: Commands.OpenTicket, title: 'Open Ticket', arguments: [run.ticketId] };
    return item;
  }

  /**
   * A run's tooltip, made when the pointer rests on its row rather than at every refresh: it adds
   * up the tokens of every run of the ticket. VS Code keeps it until the row changes (its duration
   * does every minute), so the run is looked up as it is now rather than as the row was made.
   */
  resolveTreeItem(item: vscode.TreeItem, node: AgentsNode): vscode.TreeItem {
    if (node.kind === 'run') item.tooltip = this.runTooltip(this.model.runs().find((r) => r.id === node.run.id) ?? node.run);
    return item;
  }

  private runTooltip(run: Run): string {
    const stage = isStatus(run.stage) ? statusLabel(run.stage) : oneLine(run.stage);
    const lines = [`${run.id}: ${oneLine(run.agent)} on ${run.ticketId} (${stage}), attempt ${run.attempt}${run.pid ? `, pid ${run.pid}` : ''}`];
    lines.push(run.usage ? `Tokens: ${formatUsage(run.usage)}` : 'Tokens: none reported yet');
    const ticketTotal = ticketUsage(this.model.runsOfTicket(run.ticketId).map((r) => r.usage));
    if (ticketTotal) lines.push(`Ticket so far: ${formatUsage(ticketTotal)}`);
    if (run.attention?.needsInput) lines.push(`Needs input: ${oneLine(run.attention.needsInput.reason)}`);
    if (run.attention?.loop) lines.push(`Repeats itself (${run.attention.loop.repeats}×): ${oneLine(run.attention.loop.evidence)}`);
    return lines.join('\n');
  }

  private landItem(entry: LandQueueEntry, position: number): vscode.TreeItem {
    const item = new vscode.TreeItem(entry.ticketId);
    item.id = `land:${entry.id}`;
    const landing = entry.state === 'landing';
    item.description = landing ? `landing${entry.activity ? ` · ${entry.activity}` : ''}` : `queued #${position}`;
    item.iconPath = new vscode.ThemeIcon(landing ? 'loading~spin' : 'clock');
    item.tooltip = `${entry.ticketId}: ${landing ? 'landing' : 'waiting to land'}, asked for ${time(entry.requestedAt)} by ${entry.owner}`;
    item.command = { command: Commands.OpenTicket, title: 'Open Ticket', arguments: [entry.ticketId] };
    return item;
  }

  private orphanItem(run: Run): vscode.TreeItem {
    const item = new vscode.TreeItem(`${run.ticketId} · ${isStatus(run.stage) ? statusLabel(run.stage) : oneLine(run.stage)}`);
    item.id = `orphan:${run.id}`;
    item.description = [`pid ${run.pid ?? '?'}`, formatDuration(this.now() - run.startedAt), run.agent].join(' · ');
    item.iconPath = new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.warningForeground'));
    item.contextValue = 'orphan';
    item.tooltip = `${run.id}: ${run.agent} on ${run.ticketId} (${run.stage}), attempt ${run.attempt}, pid ${run.pid ?? '?'}; the window or host that started it is gone`;
    item.command = { command: Commands.OpenTicket, title: 'Open Ticket', arguments: [run.ticketId] };
    return item;
  }

  private worktreeItem(w: WorktreeReportEntry): vscode.TreeItem {
    const name = w.ticketId ?? w.path.split(/[\\/]/).pop() ?? w.path;
    const item = new vscode.TreeItem(name);
    item.id = `worktree:${w.path}`;
    const parts: string[] = [];
    if (w.missing) parts.push('missing');
    else parts.push(w.dirty ? 'dirty' : 'clean');
    parts.push(`↑${w.ahead} ↓${w.behind}`);
    if (w.sizeBytes !== undefined) parts.push(`${(w.sizeBytes / 1_048_576).toFixed(1)} MB`);
    if (w.stale) parts.push('stale');
    if (w.heavy) parts.push('heavy');
    if (w.keptBecause) parts.push(`kept: ${w.keptBecause}`);
    item.description = parts.join(' · ');
    item.tooltip = `${w.path}${w.branch ? ` (${w.branch})` : ''}${w.note ? `\n${w.note}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(w.missing || w.stale || w.heavy ? 'warning' : 'folder');
    return item;
  }
}

/** What a row shows and does, as text. */
function itemLook(item: vscode.TreeItem): string {
  const label = typeof item.label === 'string' ? item.label : item.label?.label;
  const tooltip = typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value;
  // A ThemeIcon and its colour serialise as their ids.
  return JSON.stringify([item.id, label, item.description, tooltip, item.iconPath, item.contextValue, item.collapsibleState, item.accessibilityInformation?.label, item.command?.arguments]);
}
