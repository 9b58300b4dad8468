import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../agents/agent';
import { errorMessage } from '../domain/errors';
import type { Board } from '../store/api';
import { createBoardFolder, resolveBoardLocation, resolveBoardLocationWithoutGit } from '../store/location';
import { META_LAST_REPAIR, openReportLines, parseRepair, repairSentence } from '../store/repairRecord';
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

  /** When the last repair this window told the user about was made (kept per workspace). */
  private static readonly SHOWN_REPAIR_KEY = 'agentFactory.lastShownRepairAt';
  private shownRepairAt = 0;
  /** Every repair this window told the user about (the in-host tests read it). */
  readonly shownRepairs: string[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly memento?: vscode.Memento,
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
    const { warnings, notes } = openReportLines(report);
    for (const warning of warnings) {
      this.shownRepairs.push(warning);
      this.log.error(warning);
      void vscode.window.showWarningMessage(`Agent Factory: ${warning}`);
    }
    for (const note of notes) {
      this.log.warn(note);
      void vscode.window.showInformationMessage(`Agent Factory: ${note}`);
    }
    if (report.restored) await this.markRepairShown(board);
    else this.showOtherRepair(board);
    const listener = board.onDidChange(() => this.showOtherRepair(board));
    this._register({ dispose: () => listener.dispose() });
    this.log.info(`Board writes are guarded by ${board.lockMechanism === 'os' ? "the operating system's file lock" : board.lockMechanism === 'file' ? 'a lock file' : 'nothing (read-only)'}`);
    if (report.migratedFrom !== undefined) this.log.info(`Board upgraded from schema version ${report.migratedFrom}`);
    this.log.info(`Board opened at ${dir}`);
    await this.setBoard(board);
    return board;
  }

  /** A repair another process (the CLI, another window) made and this workspace was not told of yet. */
  private showOtherRepair(board: Board): void {
    const record = parseRepair(board.getMeta(META_LAST_REPAIR));
    if (record === undefined || record.by === board.ownerId) return;
    if (record.at <= Math.max(this.shownRepairAt, this.memento?.get<number>(BoardSession.SHOWN_REPAIR_KEY) ?? 0)) return;
    this.shownRepairAt = record.at;
    void this.memento?.update(BoardSession.SHOWN_REPAIR_KEY, record.at);
    const text = `${repairSentence(record.message)} (by another process, ${new Date(record.at).toLocaleString()})`;
    this.shownRepairs.push(text);
    this.log.error(text);
    void vscode.window.showWarningMessage(`Agent Factory: ${text}`);
  }

  private async markRepairShown(board: Board): Promise<void> {
    const record = parseRepair(board.getMeta(META_LAST_REPAIR));
    if (record === undefined) return;
    this.shownRepairAt = record.at;
    await this.memento?.update(BoardSession.SHOWN_REPAIR_KEY, record.at);
  }

  private async setBoard(board: Board | undefined): Promise<void> {
    this._board = board;
    await vscode.commands.executeCommand('setContext', ContextKeys.HasBoard, board !== undefined);
    this.changed.fire(board);
  }

  override dispose(): void {
    const board = this._board;
    this._board = undefined;
    if (board) void board.close().catch((err: unknown) => this.log.error(`Closing the board failed: ${errorMessage(err)}`));
    super.dispose();
  }
}
