/**
 * The autopilot of this window: one while the window has a board and runs the background agents
 * (it only acts while this window holds the agents lease), with a notification when a ticket
 * reaches a stage only a person can finish and when the autopilot gives a ticket up.
 */
import type { GitPort } from '../../git/port';
import * as vscode from 'vscode';
import type { AgentManager } from '../../agents/manager';
import { systemClock } from '../../domain/clock';
import type { Logger } from '../../domain/logger';
import { createAutopilot } from '../../host/autopilotRuntime';
import type { Autopilot, AutopilotEvent } from '../../loop/autopilot';
import type { TicketRunner } from '../../runner/ticketRunner';
import type { Settings } from '../../settings/settings';
import type { Board } from '../../store/api';
import { plainLabel } from '../document/untrustedText';
import { escapeMarkdown } from '../util/markdown';

export interface WindowAutopilotDeps {
  config: Settings;
  log: Logger;
  runner: () => TicketRunner | undefined;
  /** The window's git, for the Security scan that passes IN_SEC when no agent works it. */
  git: GitPort;
}

export class WindowAutopilot implements vscode.Disposable {
  private current: { autopilot: Autopilot; subscriptions: vscode.Disposable[] } | undefined;

  constructor(private readonly deps: WindowAutopilotDeps) {}

  get autopilot(): Autopilot | undefined {
    return this.current?.autopilot;
  }

  /** Follows the window's board and background agents; without both there is no autopilot. */
  bind(board: Board | undefined, manager: AgentManager | undefined): void {
    this.dispose();
    if (!board || !manager) return;
    const autopilot = createAutopilot({ board, settings: this.deps.config, clock: systemClock, log: this.deps.log, runner: this.deps.runner, git: this.deps.git, isLeader: () => manager.isLeader });
    this.current = {
      autopilot,
      subscriptions: [autopilot.onDidEvent((e) => this.notify(e)), manager.onDidChangeStatus(() => autopilot.agentsChanged())],
    };
  }

  private notify(e: AutopilotEvent): void {
    // Ticket titles and reasons are untrusted: no links, icons or markup take effect.
    const text = (s: string): string => escapeMarkdown(plainLabel(s));
    if (e.kind === 'waiting') {
      void vscode.window.showInformationMessage(`Agent Factory: ${e.ticketId} waits for your review in ${e.stage}: ${text(e.title)}`);
    } else if (e.kind === 'blocked') {
      void vscode.window.showWarningMessage(`Agent Factory: the autopilot blocked ${e.ticketId}: ${text(e.reason)}`);
    }
  }

  dispose(): void {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    for (const s of current.subscriptions) s.dispose();
    current.autopilot.dispose();
  }
}
