import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../agents/agent';
import { errorMessage } from '../domain/errors';
import type { Board } from '../store/api';
import { createBoardFolder, resolveBoardLocation, resolveBoardLocationWithoutGit } from '../store/location';
import { openBoard } from '../store/sqlBoard';
import { ContextKeys } from './constants';
import { Disposable } from './util/disposable';

/**
 * The board of this window: found through the first workspace folder that is in a git
 * repository (a linked worktree finds its main checkout's board), opened when it exists, created
 * only when the user asks.
 */
export class BoardSession extends Disposable {
  private _board: Board | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<Board | undefined>());
  readonly onDidChangeBoard = this.changed.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {
    super();
  }

  get board(): Board | undefined {
    return this._board;
  }

  private get wasmPath(): string {
    return path.join(this.extensionUri.fsPath, 'dist', 'sql-wasm.wasm');
  }

  /** Opens the existing board, if any. Never creates files. */
  async open(): Promise<Board | undefined> {
    if (this._board) return this._board;
    const location = await this.locate();
    if (!location?.exists) {
      await this.setBoard(undefined);
      return undefined;
    }
    return this.openAt(location.dir, location.repoRoot, false);
  }

  /** Creates the board in the repository of the first workspace folder (explicit user action). */
  async create(): Promise<Board> {
    if (this._board) return this._board;
    const location = await this.locate();
    if (!location) {
      throw new Error('Agent Factory needs a workspace folder inside a git repository. Open one, or run `git init` first.');
    }
    await createBoardFolder(location.repoRoot);
    return this.openAt(location.dir, location.repoRoot, true);
  }

  private async locate() {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      try {
        // In an untrusted workspace no git command runs: read git's files instead.
        const resolveLocation = vscode.workspace.isTrusted ? resolveBoardLocation : resolveBoardLocationWithoutGit;
        const location = await resolveLocation(folder.uri.fsPath);
        if (location) return location;
      } catch (err) {
        this.log.warn(`Could not look for a board in ${folder.uri.fsPath}: ${errorMessage(err)}`);
      }
    }
    return undefined;
  }

  private async openAt(dir: string, repoRoot: string, create: boolean): Promise<Board> {
    const board = await openBoard({ dir, repoRoot, wasmPath: this.wasmPath, create });
    const report = board.openReport;
    if (report.restored) {
      this.log.error(`Board database was damaged: ${report.message ?? ''} (set aside at ${report.corruptPath ?? '?'})`);
      void vscode.window.showWarningMessage(
        `Agent Factory: the board database was damaged. It was set aside and the last good copy restored. ${report.message ?? ''}`,
      );
    }
    if (report.migratedFrom !== undefined) this.log.info(`Board upgraded from schema version ${report.migratedFrom}`);
    this.log.info(`Board opened at ${dir}`);
    await this.setBoard(board);
    return board;
  }

  private async setBoard(board: Board | undefined): Promise<void> {
    this._board = board;
    await vscode.commands.executeCommand('setContext', ContextKeys.HasBoard, board !== undefined);
    this.changed.fire(board);
  }

  /**
   * Hands the board over to the ordered shutdown of a closing window, which closes it after the
   * runs and the agents wrote their last changes. Nothing is told: the window is going away.
   */
  release(): Board | undefined {
    const board = this._board;
    this._board = undefined;
    return board;
  }

  override dispose(): void {
    const board = this._board;
    this._board = undefined;
    if (board) void board.close().catch((err: unknown) => this.log.error(`Closing the board failed: ${errorMessage(err)}`));
    super.dispose();
  }
}
