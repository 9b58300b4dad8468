/**
 * "Configure Agent…": pick a stage and a profile (each built-in profile shows whether its program
 * is on the PATH, and its version), optionally a model, and the choice is written to the
 * workspace's settings. Arguments `{ stage, profile, model }` skip the pickers.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import type { Status } from '../../domain/status';
import { STAGE_SETTING_NAMES } from '../../runner/agentCommand';
import { installedProfiles, type InstalledProfile } from '../../runner/profiles/installedProfiles';
import { isProfileName, type ProfileName } from '../../runner/profiles/profile';
import { builtInProfile } from '../../runner/profiles/profiles';
import { Commands, CONFIG_SECTION } from '../constants';
import { statusLabel } from '../../domain/vocabulary';
import type { PrompterHolder } from '../ui/prompter';
import { registerGuardedCommand } from '../util/guardedCommand';

export interface ConfigureAgentDeps {
  prompter: PrompterHolder;
  log: Logger;
}

/** What the command wrote, for callers (and tests). */
export interface ConfiguredAgent {
  stage: Status;
  profile: ProfileName;
  model: string;
  /** The profile's program was found on the PATH (always true for `custom`). */
  found: boolean;
}

interface StagePickItem extends vscode.QuickPickItem {
  stage: Status;
}

interface ProfilePickItem extends vscode.QuickPickItem {
  profile: ProfileName;
}

const STAGES = Object.keys(STAGE_SETTING_NAMES) as Status[];

export function registerConfigureAgent(deps: ConfigureAgentDeps): vscode.Disposable {
  return registerGuardedCommand(Commands.ConfigureAgent, deps.log, (arg: unknown) => configureAgent(deps, arg));
}

async function configureAgent(deps: ConfigureAgentDeps, arg: unknown): Promise<ConfiguredAgent | undefined> {
  const prompter = deps.prompter.current;
  if (!vscode.workspace.isTrusted) {
    void prompter.warning('Agent Factory does not configure coding agents in an untrusted workspace: their settings are ignored there. Trust this workspace first.', {});
    return undefined;
  }
  const given = (typeof arg === 'object' && arg !== null ? arg : {}) as { stage?: unknown; profile?: unknown; model?: unknown };
  const settings = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const stage = STAGES.find((s) => s === given.stage || STAGE_SETTING_NAMES[s] === given.stage) ?? (given.stage === undefined ? await pickStage(deps, settings) : undefined);
  if (stage === undefined) {
    if (given.stage !== undefined) void prompter.warning(`${JSON.stringify(given.stage).slice(0, 40)} is not a stage that runs an agent (dev, qa, ux, security or pm).`, {});
    return undefined;
  }
  const name = STAGE_SETTING_NAMES[stage] ?? '';
  const stageEnv = settings.get<Record<string, string>>(`agents.${name}.env`) ?? {};
  const installed = await installedProfiles({ ...process.env, ...stageEnv });

  let profile: ProfileName | undefined;
  if (given.profile !== undefined) {
    if (!isProfileName(given.profile)) {
      void prompter.warning(`There is no agent profile ${JSON.stringify(given.profile)}.`, {});
      return undefined;
    }
    profile = given.profile;
  } else {
    profile = await pickProfile(deps, stage, settings.get<string>(`agents.${name}.profile`), installed);
  }
  if (profile === undefined) return undefined;

  let model = typeof given.model === 'string' ? given.model.trim() : (settings.get<string>(`agents.${name}.model`) ?? '');
  if (profile !== 'custom' && given.profile === undefined) {
    const typed = await prompter.inputBox({
      title: `Model for the ${statusLabel(stage)} stage`,
      prompt: 'The model name passed to the program; leave empty for its own default.',
      value: model,
    });
    if (typed === undefined) return undefined;
    model = typed.trim();
  }

  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await settings.update(`agents.${name}.profile`, profile, target);
  if (profile !== 'custom') await settings.update(`agents.${name}.model`, model === '' ? undefined : model, target);
  deps.log.info(`Configure Agent: ${stage} runs ${profile}${model ? ` (${model})` : ''}`);

  const found = profile === 'custom' || installed.some((i) => i.profile.name === profile && i.path !== undefined);
  const chosen = builtInProfile(profile);
  if (!chosen) {
    const command = settings.get<unknown>(`agents.${name}.command`);
    if (command === null || command === undefined) {
      void prompter.info(`The ${statusLabel(stage)} stage runs ${CONFIG_SECTION}.agents.${name}.command, which is empty: Start opens a terminal in the ticket's worktree.`);
    } else {
      void prompter.info(`The ${statusLabel(stage)} stage runs ${CONFIG_SECTION}.agents.${name}.command.`);
    }
  } else if (!found) {
    void prompter.warning(`The ${statusLabel(stage)} stage runs ${chosen.label}, but "${chosen.program}" is not on the PATH. Install it: ${chosen.install}`, {});
  } else {
    const version = installed.find((i) => i.profile.name === profile)?.version;
    void prompter.info(`The ${statusLabel(stage)} stage runs ${chosen.label}${version ? ` (${version})` : ''}.`);
  }
  return { stage, profile, model, found };
}

async function pickStage(deps: ConfigureAgentDeps, settings: vscode.WorkspaceConfiguration): Promise<Status | undefined> {
  const items: StagePickItem[] = STAGES.map((stage) => {
    const name = STAGE_SETTING_NAMES[stage] ?? '';
    const profile = settings.get<string>(`agents.${name}.profile`) ?? 'custom';
    const command = settings.get<unknown>(`agents.${name}.command`);
    const current = profile === 'custom' ? (command ? 'custom command' : 'terminal') : (builtInProfile(isProfileName(profile) ? profile : undefined)?.label ?? profile);
    return { label: statusLabel(stage), description: current, stage };
  });
  return (await deps.prompter.current.quickPick(items, { placeHolder: 'Configure the coding agent of which stage?' }))?.stage;
}

async function pickProfile(deps: ConfigureAgentDeps, stage: Status, current: string | undefined, installed: InstalledProfile[]): Promise<ProfileName | undefined> {
  const items: ProfilePickItem[] = installed.map(({ profile, path, version }) => ({
    label: profile.label,
    description: `${path ? (version ?? profile.program) : `${profile.program}: not on the PATH`}${current === profile.name ? ' · current' : ''}`,
    detail: path ? path : `Install: ${profile.install}`,
    profile: profile.name,
  }));
  items.push({
    label: 'Custom command',
    description: `agentFactory.agents.${STAGE_SETTING_NAMES[stage] ?? ''}.command${current === 'custom' || current === undefined ? ' · current' : ''}`,
    detail: 'Your own program and arguments, or nothing (Start opens a terminal).',
    profile: 'custom',
  });
  return (await deps.prompter.current.quickPick(items, { placeHolder: `Which coding agent runs the ${statusLabel(stage)} stage?`, matchOnDescription: true }))?.profile;
}
