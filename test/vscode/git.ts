// The slice of the built-in git extension's public API (vscode.git, API version 1) the tests use.
import * as vscode from 'vscode';
import { until } from './events';

export interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: {
    readonly HEAD: { readonly name?: string; readonly commit?: string } | undefined;
    readonly onDidChange: vscode.Event<void>;
  };
}

export interface GitApi {
  readonly state: 'uninitialized' | 'initialized';
  readonly repositories: GitRepository[];
  readonly onDidOpenRepository: vscode.Event<GitRepository>;
}

interface GitExtension {
  getAPI(version: 1): GitApi;
}

export async function gitApi(): Promise<GitApi> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension) throw new Error('the built-in git extension (vscode.git) is missing');
  const exports = await extension.activate();
  return exports.getAPI(1);
}

/**
 * The git extension's repository for `folder`, once it has opened it and read its HEAD: it lists
 * no repository at activation and finds the workspace's about a second later.
 */
export async function repositoryAt(folder: vscode.Uri, timeoutMs = 20_000): Promise<GitRepository> {
  const api = await gitApi();
  const find = () => api.repositories.find((repo) => repo.rootUri.fsPath === folder.fsPath);
  await until(`the git extension to open ${folder.fsPath}`, api.onDidOpenRepository, () => find() !== undefined, timeoutMs);
  const repo = find()!;
  await until(`the HEAD of ${folder.fsPath}`, repo.state.onDidChange, () => repo.state.HEAD?.commit !== undefined, timeoutMs);
  return repo;
}
