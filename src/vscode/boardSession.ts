import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../agents/agent';
import { errorMessage, FactoryError } from '../domain/errors';
import type { Board } from '../store/api';
import { resolveBoardLocation, resolveBoardLocationWithoutGit } from '../store/location';
import { META_LAST_REPAIR, openReportLines, parseRepair, repairSentence } from '../store/repairRecord';
import { createBoard, openBoard } from '../store/sqlBoard';
import { decodeTickets } from '../store/ticketWarmup';
import { ContextKeys } from './constants';
import { readOnlyBoard } from './trust/readOnlyBoard';
import { requireTrust } from './trust/restrictedMode';
import { sentence } from './document/untrustedText';
import { SlicedJob } from './tickets/slicedJob';
import { Disposable } from './util/disposable';

/** What `create` did: made a new board, or found one already there and opened it. */
export interface CreateOutcome {
  board: Board;
  created: boolean;
}

/**
 * The board of this window: found through the first workspace folder that is in a git
 * repository (a linked worktree finds its main checkout's board), opened when it exists, created
 * only when the user asks and nothing of a board is there. In Restricted Mode everyone gets it
 * read-only; when the user grants trust, the writable board is announced as a change, so the
 * agents and runner start on it without a reload.
 */
export class BoardSession extends Disposable {
  private _board: Board | undefined;
  private readOnly: Board | undefined;
  private opening: Promise<Board | undefined> | undefined;
  /** Handed to the closing window's shutdown: a board that finishes opening now is closed at once. */
  private released = false;
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
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this._board) this.changed.fire(this._board);
      }),
    );
  }

  get board(): Board | undefined {
    return vscode.workspace.isTrusted ? this._board : this.readOnly;
  }

  private get wasmPath(): string {
    return path.join(this.extensionUri.fsPath, 'dist', 'sql-wasm.wasm');
  }

  /**
   * Opens the existing board, if any. Never creates files. Callers while an open is under way get
   * that open: one board per window, however many ask at once.
   */
  open(): Promise<Board | undefined> {
    if (this._board) return Promise.resolve(this.board);
    this.opening ??= this.openExisting().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openExisting(): Promise<Board | undefined> {
    const location = await this.locate();
    if (!location?.exists) {
      await this.setBoard(undefined, 'none');
      return undefined;
    }
    try {
      return await this.openAt(location.dir, location.repoRoot);
    } catch (err) {
      await this.setBoard(undefined, 'failed');
      throw err;
    }
  }

  /**
   * Closes the board and opens it again from disk, as a window reload does (the in-host tests
   * check what a reload shows). Everyone hears the board go and come back.
   */
  async reopen(): Promise<Board | undefined> {
    const board = this._board;
    await this.setBoard(undefined, 'none');
    await board?.close();
    return this.open();
  }

  /**
   * Creates the board in the repository of the first workspace folder (explicit user action).
   * Where anything of a board is there already, that board is opened instead: the store refuses
   * to create over it, and so does this.
   */
  async create(): Promise<CreateOutcome> {
    requireTrust('Creating a board');
    // An open under way (the one activation starts) decides first whether there is a board.
    await this.opening?.catch(() => undefined);
    if (this._board) return { board: this._board, created: false };
    const location = await this.locate();
    if (!location) {
      throw new Error('Agent Factory needs a workspace folder inside a git repository. Open one, or run `git init` first.');
    }
    if (location.exists) return { board: await this.openAt(location.dir, location.repoRoot), created: false };
    let board: Board;
    try {
      board = await createBoard({ dir: location.dir, repoRoot: location.repoRoot, wasmPath: this.wasmPath });
    } catch (err) {
      // Another window or the CLI created it a moment ago: it is the board to use.
      if (err instanceof FactoryError && err.reason === 'board-exists') {
        return { board: await this.openAt(location.dir, location.repoRoot), created: false };
      }
      throw err;
    }
    return { board: await this.useOpened(board, location.dir), created: true };
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

  /** Opens the board that is there (never creates one). */
  private async openAt(dir: string, repoRoot: string): Promise<Board> {
    return this.useOpened(await openBoard({ dir, repoRoot, wasmPath: this.wasmPath, create: false }), dir);
  }

  private async useOpened(board: Board, dir: string): Promise<Board> {
    // Everyone who hears of the board reads its working tickets at once: they are decoded first,
    // a page per turn, so that no reader holds the extension host for hundreds of them.
    const decoding = new SlicedJob(decodeTickets(board), (err) => this.log.warn(`Could not read the board's tickets ahead: ${errorMessage(err)}`));
    decoding.startLater();
    await decoding.done;
    // The window closed while the board was opening: nobody else will use or close it.
    if (this.isDisposed || this.released) {
      await board.close();
      return board;
    }
    const report = board.openReport;
    const { warnings, notes } = openReportLines(report);
    for (const warning of warnings) {
      this.shownRepairs.push(warning);
      this.log.error(warning);
      void vscode.window.showWarningMessage(sentence(warning));
    }
    for (const note of notes) {
      this.log.warn(note);
      void vscode.window.showInformationMessage(sentence(note));
    }
    if (report.restored) await this.markRepairShown(board);
    else this.showOtherRepair(board);
    const listener = board.onDidChange(() => this.showOtherRepair(board));
    this._register({ dispose: () => listener.dispose() });
    const mechanism = (board as { lockMechanism?: string }).lockMechanism;
    if (mechanism !== undefined) this.log.info(`Board writes are guarded by ${mechanism === 'os' ? "the operating system's file lock" : mechanism === 'file' ? 'a lock file' : 'nothing (read-only folder)'}`);
    if (report.migratedFrom !== undefined) this.log.info(`Board upgraded from schema version ${report.migratedFrom}`);
    this.log.info(`Board ${report.created ? 'created' : 'opened'} at ${dir}${vscode.workspace.isTrusted ? '' : ' (read-only: Restricted Mode)'}`);
    await this.setBoard(board, 'open');
    return this.board ?? board;
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
    void vscode.window.showWarningMessage(sentence(text));
  }

  private async markRepairShown(board: Board): Promise<void> {
    const record = parseRepair(board.getMeta(META_LAST_REPAIR));
    if (record === undefined) return;
    this.shownRepairAt = record.at;
    await this.memento?.update(BoardSession.SHOWN_REPAIR_KEY, record.at);
  }

  /**
   * Publishes the board and what the views should offer: `agentFactory.noBoard` (and with it
   * Create Board) only once the folders were searched and nothing of a board was found.
   */
  private async setBoard(board: Board | undefined, state: 'open' | 'none' | 'failed'): Promise<void> {
    this._board = board;
    this.readOnly = board ? readOnlyBoard(board) : undefined;
    await Promise.all([
      vscode.commands.executeCommand('setContext', ContextKeys.HasBoard, board !== undefined),
      vscode.commands.executeCommand('setContext', ContextKeys.NoBoard, state === 'none'),
      vscode.commands.executeCommand('setContext', ContextKeys.BoardFailed, state === 'failed'),
    ]);
    this.changed.fire(this.board);
  }

  /**
   * Hands the board over to the ordered shutdown of a closing window, which closes it after the
   * runs and the agents wrote their last changes. Nothing is told: the window is going away.
   */
  release(): Board | undefined {
    this.released = true;
    const board = this._board;
    this._board = undefined;
    return board;
  }

  override dispose(): void {
    const board = this._board;
    this._board = undefined;
    this.readOnly = undefined;
    if (board) void board.close().catch((err: unknown) => this.log.error(`Closing the board failed: ${errorMessage(err)}`));
    super.dispose();
  }
}
