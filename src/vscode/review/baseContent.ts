import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import { runGit } from '../../git/runGit';
import type { Board } from '../../store/api';
import { BASE_SCHEME } from '../constants';

const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * `agent-factory-base:/src/a.ts?<commit>`: the file as it was at `commit` (the merge-base of a
 * review). Without a commit, an empty document: the "before" of a file the change adds.
 */
export function baseUri(file: string, commit?: string): vscode.Uri {
  return vscode.Uri.from({ scheme: BASE_SCHEME, path: `/${file}`, query: commit ?? '' });
}

/**
 * Serves the left side of Review Changes' diffs: `git cat-file blob <commit>:<path>` in the board's
 * repository (worktrees share its objects). Read-only; the commit never changes, so neither does
 * the content.
 */
export class BaseContentProvider implements vscode.TextDocumentContentProvider {
  constructor(
    private readonly board: () => Board | undefined,
    private readonly log: Logger,
  ) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const board = this.board();
    const commit = uri.query;
    const file = uri.path.replace(/^\//, '');
    if (!board || !vscode.workspace.isTrusted || !COMMIT.test(commit) || file === '') return '';
    const abort = new AbortController();
    const subscription = token.onCancellationRequested(() => abort.abort());
    try {
      return await runGit(board.repoRoot, ['cat-file', 'blob', `${commit}:${file}`], { signal: abort.signal });
    } catch (err) {
      // A file the base did not have: the diff shows it as added.
      if (!abort.signal.aborted) this.log.warn(`Review: ${file} at ${commit.slice(0, 12)}: ${errorMessage(err)}`);
      return '';
    } finally {
      subscription.dispose();
    }
  }
}
