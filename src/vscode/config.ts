import * as vscode from 'vscode';
import type { AgentName, Logger } from '../agents/agent';
import type { ManagerSettings } from '../agents/manager';
import { DEFAULT_GATHERER_SETTINGS, type GathererSettings } from '../agents/gathererAgent';
import { DEFAULT_PM_SETTINGS, type PmSettings } from '../agents/pm/settings';
import { DEFAULT_WORKTREE_SETTINGS, type WorktreeSettings } from '../agents/worktreeAgent';
import { CONFIG_SECTION } from './constants';

/**
 * Typed access to `agentFactory.*`. A value of the wrong type or out of range is reported once in
 * the log and replaced by its default, so a typo in settings.json never stops the agents.
 */
export class Config {
  private readonly warned = new Set<string>();

  constructor(private readonly log: Logger) {}

  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(CONFIG_SECTION);
  }

  number(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.section.get<unknown>(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.warnOnce(key, `Setting ${CONFIG_SECTION}.${key} must be a number between ${min} and ${max}; using ${fallback}.`);
      return fallback;
    }
    return value;
  }

  string(key: string, fallback: string): string {
    const value = this.section.get<unknown>(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string') {
      this.warnOnce(key, `Setting ${CONFIG_SECTION}.${key} must be text; using "${fallback}".`);
      return fallback;
    }
    return value;
  }

  strings(key: string, fallback: string[]): string[] {
    const value = this.section.get<unknown>(key);
    if (value === undefined || value === null) return fallback;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      this.warnOnce(key, `Setting ${CONFIG_SECTION}.${key} must be a list of strings; using the default.`);
      return fallback;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.section.get<unknown>(key);
    return typeof value === 'boolean' ? value : fallback;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(message);
  }

  leaseTimeoutMs(): number {
    return this.number('board.leaseTimeoutSeconds', 30, 10, 3600) * 1000;
  }

  managerSettings(): ManagerSettings {
    const defaults: Record<AgentName, number> = { PM: 30, Security: 120, Gatherer: 300, Worktree: 30 };
    return {
      intervalSeconds: (name) => this.number(`${name.toLowerCase()}.intervalSeconds`, defaults[name], 1, 86_400),
      cycleTimeoutMs: () => this.number('agents.cycleTimeoutSeconds', 60, 5, 3600) * 1000,
      leaseTimeoutMs: () => this.leaseTimeoutMs(),
    };
  }

  pmSettings(): PmSettings {
    const d = DEFAULT_PM_SETTINGS;
    return {
      stallMinutes: this.number('pm.stallMinutes', d.stallMinutes, 1, 10_000),
      maxRunMinutes: this.number('pm.maxRunMinutes', d.maxRunMinutes, 1, 100_000),
      healGraceMinutes: this.number('pm.healGraceMinutes', d.healGraceMinutes, 0, 10_000),
      maxHeals: this.number('pm.maxHeals', d.maxHeals, 1, 100),
      checkinIntervalMinutes: this.number('pm.checkinIntervalMinutes', d.checkinIntervalMinutes, 1, 10_000),
      heartbeatTimeoutMs: this.leaseTimeoutMs(),
      stopGraceMs: this.number('pm.stopGraceSeconds', d.stopGraceMs / 1000, 1, 600) * 1000,
    };
  }

  worktreeSettings(): WorktreeSettings {
    const d = DEFAULT_WORKTREE_SETTINGS;
    return {
      location: this.string('worktrees.location', d.location),
      branchPrefix: this.string('worktrees.branchPrefix', d.branchPrefix),
      baseBranch: this.string('worktrees.baseBranch', d.baseBranch),
      staleDays: this.number('worktrees.staleDays', d.staleDays, 1, 3650),
      heavyMB: this.number('worktrees.heavyMB', d.heavyMB, 1, 10_000_000),
    };
  }

  gathererSettings(): GathererSettings {
    const d = DEFAULT_GATHERER_SETTINGS;
    return {
      tags: this.strings('gatherer.tags', [...d.tags]),
      maxNewPerCycle: this.number('gatherer.maxNewPerCycle', d.maxNewPerCycle, 1, 1000),
      maxOpen: this.number('gatherer.maxOpen', d.maxOpen, 1, 100_000),
      includeDiagnostics: this.boolean('gatherer.includeDiagnostics', d.includeDiagnostics),
    };
  }
}
