/**
 * Typed access to `agentFactory.*` from any source (the editor's configuration, a settings.json
 * file for `serve`), validated against the table package.json declares. A value of the wrong type
 * or out of range is reported once through the logger and replaced by its default, so a typo
 * never stops the agents; `problems()` lists every such value for hosts that refuse to start.
 */
import type { AgentName, Logger } from '../agents/agent';
import type { GathererSettings } from '../agents/gathererAgent';
import type { ManagerSettings } from '../agents/manager';
import type { PmSettings } from '../agents/pm/settings';
import type { WorktreeSettings } from '../agents/worktreeAgent';
import { errorMessage, FactoryError } from '../domain/errors';
import type { LandSettings, LandStrategy } from '../land/landSettings';
import { pipelineProblem, type CompletionPolicy } from '../domain/pipeline';
import type { Status } from '../domain/status';
import type { AutopilotSettings } from '../loop/autopilot';
import { parseAgentCommand, STAGE_SETTING_NAMES, type AgentCommand } from '../runner/agentCommand';
import { isProfileName, PROFILE_NAMES } from '../runner/profiles/profile';
import { resolveAgentCommand } from '../runner/profiles/profiles';
import type { RunBudget } from '../runner/budget';
import type { RunWatchSettings } from '../runner/runWatch';
import type { RunRetention } from '../runner/runRetention';
import type { SecuritySettings } from '../scan/security/settings';
import { checkSettingValue, settingDefault, settingKeys, settingSchema, SETTINGS_SECTION } from './schema';

/** Where values come from. Keys are relative to `agentFactory.`; undefined means "not set". */
export interface SettingsSource {
  get(key: string): unknown;
}

const PIPELINE_KEY = 'pipeline';
const BUDGET_KEY = 'runs.budget';

export class Settings {
  private readonly warned = new Set<string>();

  constructor(
    private readonly source: SettingsSource,
    private readonly log: Logger,
  ) {}

  /** The value of `key` when it is set and valid, else its declared default. */
  value(key: string): unknown {
    const schema = settingSchema(key);
    const value = this.source.get(key);
    if (value === undefined) return settingDefault(key);
    const problem = checkSettingValue(schema, value);
    if (problem === undefined) return value;
    const fallback = settingDefault(key);
    this.warnOnce(key, `Setting ${SETTINGS_SECTION}.${key} ${problem}; using ${JSON.stringify(fallback)}.`);
    return fallback;
  }

  number(key: string): number {
    return this.value(key) as number;
  }

  string(key: string): string {
    return this.value(key) as string;
  }

  strings(key: string): string[] {
    return this.value(key) as string[];
  }

  boolean(key: string): boolean {
    return this.value(key) as boolean;
  }

  /**
   * Every value that is set but invalid, as "agentFactory.key must be ..." sentences, including
   * agent commands whose placeholders or shape are wrong.
   */
  problems(): string[] {
    const found: string[] = [];
    const badKeys = new Set<string>();
    for (const key of settingKeys()) {
      const value = this.source.get(key);
      if (value === undefined) continue;
      const problem = checkSettingValue(settingSchema(key), value);
      if (problem !== undefined) {
        found.push(`${SETTINGS_SECTION}.${key} ${problem}`);
        badKeys.add(key);
        continue;
      }
      const pipeline = key === PIPELINE_KEY ? pipelineProblem(value) : undefined;
      if (pipeline !== undefined) found.push(`${SETTINGS_SECTION}.${key} ${pipeline}`);
    }
    // What the schema cannot see: placeholders, and a command's shape beyond its type.
    for (const [stage, name] of Object.entries(STAGE_SETTING_NAMES)) {
      if ([...badKeys].some((key) => key.startsWith(`agents.${name}.`))) continue;
      try {
        this.agentCommand(stage as Status);
      } catch (err) {
        found.push(errorMessage(err));
      }
    }
    return found;
  }

  leaseTimeoutMs(): number {
    return this.number('board.leaseTimeoutSeconds') * 1000;
  }

  maxParallel(): number {
    return this.number('runs.maxParallel');
  }

  /** The cap on one run's log, in bytes. */
  maxLogBytes(): number {
    return this.number('runs.maxLogKB') * 1024;
  }

  runRetention(): RunRetention {
    return { retentionDays: this.number('runs.retentionDays'), retentionCount: this.number('runs.retentionCount') };
  }

  maxAttempts(): number {
    return this.number('runs.maxAttempts');
  }

  /** The Tickets view leaves out status groups without tickets. */
  hideEmptyTicketGroups(): boolean {
    return this.boolean('tickets.hideEmptyGroups');
  }

  /**
   * `runs.budget`: the schema checks each limit's type and bounds; a key it does not know (a
   * typo like "token") is warned about once and ignored, so it never passes for a limit.
   */
  runBudget(): RunBudget {
    const value = this.value(BUDGET_KEY) as Record<string, unknown>;
    const unknown = Object.keys(value).filter((k) => k !== 'tokens' && k !== 'costUsd');
    if (unknown.length > 0) this.warnOnce(BUDGET_KEY, `Setting ${SETTINGS_SECTION}.${BUDGET_KEY} has unknown keys ${unknown.map((k) => JSON.stringify(k)).join(', ')} (it takes "tokens" and "costUsd"); they are ignored.`);
    return { tokens: value.tokens as number | undefined, costUsd: value.costUsd as number | undefined };
  }

  /** What the run watch needs: loop repeats, the silence that makes a question a wait, the budget. */
  runWatchSettings(): RunWatchSettings {
    return { loopRepeats: this.number('runs.loopRepeats'), promptSilenceMs: this.number('runs.promptSilenceSeconds') * 1000, budget: this.runBudget() };
  }

  /**
   * The stages tickets go through. The schema checks the names; the order and the first stage
   * are checked here, and a pipeline that breaks them is replaced by the default, with a warning.
   */
  pipeline(): Status[] {
    const value = this.strings(PIPELINE_KEY) as Status[];
    const problem = pipelineProblem(value);
    if (problem === undefined) return value;
    const fallback = settingDefault(PIPELINE_KEY) as Status[];
    this.warnOnce(PIPELINE_KEY, `Setting ${SETTINGS_SECTION}.${PIPELINE_KEY} ${problem}; using ${JSON.stringify(fallback)}.`);
    return fallback;
  }

  /** What the autopilot and the "waiting for review" count read: limits, stages and their agents. */
  autopilotSettings(): AutopilotSettings {
    return {
      maxParallel: () => this.maxParallel(),
      maxAttempts: () => this.maxAttempts(),
      avoidOverlap: () => this.avoidOverlap(),
      pipeline: () => this.pipeline(),
      hasAgent: (stage) => {
        try {
          return this.agentCommand(stage) !== undefined;
        } catch {
          // A malformed agent setting is still an agent: its start names the problem.
          return true;
        }
      },
    };
  }

  /** How a run of `stage` counts as finished when its agent exits without a verdict. */
  completionPolicy(stage: Status): CompletionPolicy {
    const name = STAGE_SETTING_NAMES[stage];
    return name === undefined ? 'verdict' : (this.string(`agents.${name}.completion`) as CompletionPolicy);
  }

  /**
   * The coding agent configured for a stage (its profile, or the custom command, with the model,
   * extra arguments and environment), or undefined for "none" (a terminal in the editor). A
   * malformed command or an unknown profile throws, naming the setting, so a typo never silently
   * becomes a terminal.
   */
  agentCommand(stage: Status): AgentCommand | undefined {
    const name = STAGE_SETTING_NAMES[stage];
    if (name === undefined) return undefined;
    const prefix = `agents.${name}`;
    const profile = this.source.get(`${prefix}.profile`) ?? settingDefault(`${prefix}.profile`);
    if (!isProfileName(profile)) {
      throw new FactoryError('invalid-input', `${SETTINGS_SECTION}.${prefix}.profile must be one of ${PROFILE_NAMES.join(', ')}, not ${JSON.stringify(profile)}`);
    }
    return resolveAgentCommand(
      {
        profile,
        command: parseAgentCommand(this.source.get(`${prefix}.command`), `${SETTINGS_SECTION}.${prefix}.command`),
        model: this.string(`${prefix}.model`),
        extraArgs: this.strings(`${prefix}.extraArgs`),
        env: this.value(`${prefix}.env`) as Record<string, string>,
      },
      `${SETTINGS_SECTION}.${prefix}`,
    );
  }

  managerSettings(): ManagerSettings {
    return {
      intervalSeconds: (name: AgentName) => this.number(`${name.toLowerCase()}.intervalSeconds`),
      cycleTimeoutMs: () => this.number('agents.cycleTimeoutSeconds') * 1000,
      leaseTimeoutMs: () => this.leaseTimeoutMs(),
    };
  }

  pmSettings(): PmSettings {
    return {
      stallMinutes: this.number('pm.stallMinutes'),
      maxRunMinutes: this.number('pm.maxRunMinutes'),
      healGraceMinutes: this.number('pm.healGraceMinutes'),
      maxHeals: this.number('pm.maxHeals'),
      checkinIntervalMinutes: this.number('pm.checkinIntervalMinutes'),
      heartbeatTimeoutMs: this.leaseTimeoutMs(),
      stopGraceMs: this.number('pm.stopGraceSeconds') * 1000,
    };
  }

  worktreeSettings(): WorktreeSettings {
    return {
      location: this.string('worktrees.location'),
      branchPrefix: this.string('worktrees.branchPrefix'),
      baseBranch: this.string('worktrees.baseBranch'),
      staleDays: this.number('worktrees.staleDays'),
      heavyMB: this.number('worktrees.heavyMB'),
      regenerableFolders: this.strings('worktrees.regenerableFolders'),
      salvageIgnoredMaxMB: this.number('worktrees.salvageIgnoredMaxMB'),
      maxCreationsPerCycle: this.number('worktrees.maxCreationsPerCycle'),
      maxLive: this.number('worktrees.maxLive'),
      maxDiskMB: this.number('worktrees.maxDiskMB'),
    };
  }

  gathererSettings(): GathererSettings {
    return {
      tags: this.strings('gatherer.tags'),
      maxNewPerCycle: this.number('gatherer.maxNewPerCycle'),
      maxOpen: this.number('gatherer.maxOpen'),
      includeDiagnostics: this.boolean('gatherer.includeDiagnostics'),
      exclude: this.strings('gatherer.exclude'),
    };
  }

  landSettings(): LandSettings {
    return {
      strategy: this.string('land.strategy') as LandStrategy,
      checkCommand: this.strings('land.checkCommand'),
      checkTimeoutMs: this.number('land.checkTimeoutMinutes') * 60_000,
      auto: this.boolean('land.auto'),
      leaseTimeoutMs: this.leaseTimeoutMs(),
    };
  }

  /** Whether the autopilot leaves a ticket waiting while its recorded files overlap a running ticket's. */
  avoidOverlap(): boolean {
    return this.boolean('autopilot.avoidOverlap');
  }

  securitySettings(): SecuritySettings {
    return {
      maxFileSizeKB: this.number('security.maxFileSizeKB'),
      ignore: this.strings('security.ignore'),
    };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(message);
  }
}
