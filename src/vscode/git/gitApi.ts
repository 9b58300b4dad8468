/**
 * The part of the built-in git extension's public API (`vscode.git`, API version 1) this
 * extension uses, written by hand. The worktree methods are recent: every one of them is optional
 * here, so the compiler makes callers feature-detect them.
 */
import type * as vscode from 'vscode';

export interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

export type ApiState = 'uninitialized' | 'initialized';

export interface GitApi {
  readonly state: ApiState;
  readonly onDidChangeState?: vscode.Event<ApiState>;
  readonly repositories: Repository[];
  getRepository?(uri: vscode.Uri): Repository | null;
  openRepository?(root: vscode.Uri): Promise<Repository | null>;
}

/** An entry of `repository.state.worktrees` (absent in older editors). */
export interface ApiWorktree {
  readonly name: string;
  readonly path: string;
  readonly ref: string;
  readonly main?: boolean;
  readonly detached?: boolean;
}

export interface Repository {
  readonly rootUri: vscode.Uri;
  readonly state: {
    readonly HEAD?: { readonly name?: string; readonly commit?: string } | undefined;
    readonly worktrees?: readonly ApiWorktree[];
  };
  /**
   * `git worktree add -b <branch> <path> <commitish>`; resolves with the folder it used, which
   * may differ from `path` when the editor already knows a worktree there. Creates a new branch
   * only: an existing branch makes git fail.
   */
  createWorktree?(options?: { path?: string; commitish?: string; branch?: string }): Promise<string>;
}
