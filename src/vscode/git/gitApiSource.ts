import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { Disposable } from '../util/disposable';
import { loadGitApi, type VsCodeGitPort } from './vscodeGitPort';

/** How long after trust is granted to wait for the git extension to appear before looking. */
const AFTER_GRANT_MS = 5000;

/**
 * Hands the editor's Git API to the git port whenever there is one: at activation in a trusted
 * workspace, after trust is granted (the git extension is started by the grant, a moment later),
 * and when extensions are enabled or disabled. Without it the port uses simple-git alone, and the
 * log says why, once per reason.
 */
export class GitApiSource extends Disposable {
  private state = 'not looked up: Restricted Mode';
  private afterGrant: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly port: VsCodeGitPort,
    private readonly log: Logger,
  ) {
    super();
    this._register(
      vscode.extensions.onDidChange(() => {
        if (!vscode.workspace.isTrusted) return;
        // Just after the grant other extensions start first: wait for git, or for the timer.
        if (this.afterGrant !== undefined && !vscode.extensions.getExtension('vscode.git')) return;
        void this.lookUp();
      }),
    );
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.afterGrant = setTimeout(() => void this.lookUp(), AFTER_GRANT_MS);
      }),
    );
    this._register({ dispose: () => clearTimeout(this.afterGrant) });
  }

  /** "the editor's Git API", or why it is not used. */
  get description(): string {
    return this.state;
  }

  async lookUp(): Promise<void> {
    clearTimeout(this.afterGrant);
    this.afterGrant = undefined;
    const found = await loadGitApi();
    if (this.isDisposed) return;
    this.port.useApi(found.api);
    const state = found.api ? "the editor's Git API" : found.why;
    if (state !== this.state && !found.api) this.log.info(`Not using the editor's Git API: ${found.why}. Agent Factory runs git itself.`);
    this.state = state;
  }
}
