/**
 * The tickets feature: the Tickets view with drag and drop, its marks and badge, its commands,
 * the ticket page (`agent-factory:/T-12`, with its CodeLens actions and links) and the comment
 * threads of the board's conversations. The lead's activation calls `registerTicketFeatures`
 * once; the board may open, close or change later.
 */
import * as vscode from 'vscode';
import type { GitPort } from '../../git/port';
import type { Settings } from '../../settings/settings';
import type { Board } from '../../store/api';
import type { AttentionModel } from '../attention/attentionModel';
import type { BoardSession } from '../boardSession';
import { registerCommentCommands } from '../comments/commentCommands';
import { TicketCommentController } from '../comments/ticketCommentController';
import { CONFIG_SECTION, DOCUMENT_SCHEME, Views } from '../constants';
import { ChangedFilesCache } from '../document/changedFiles';
import { TicketDocumentProvider } from '../document/ticketDocumentProvider';
import { TicketPageActions } from '../document/ticketPageActions';
import { TicketPageLinks } from '../document/ticketPageLinks';
import { registerDismissFinding } from '../security/dismissFinding';
import type { PrompterHolder } from '../ui/prompter';
import { Disposable } from '../util/disposable';
import { localDateTime } from '../util/localTime';
import { registerTicketCommands } from './ticketCommands';
import { TicketDecorations } from './ticketDecorations';
import { TicketDragAndDropController } from './ticketDragAndDrop';
import { TicketMover } from './ticketMover';
import type { TicketTreeNode } from './ticketTreeNodes';
import { TicketTreeModel } from './ticketTreeModel';
import { TicketTreeProvider } from './ticketTreeProvider';

export interface TicketFeatureDeps {
  context: vscode.ExtensionContext;
  session: BoardSession;
  log: vscode.LogOutputChannel;
  prompter: PrompterHolder;
  config: Settings;
  git: GitPort;
  attention: AttentionModel;
}

/** What the in-host tests reach through the extension's test API. */
export interface TicketTesting {
  readonly treeView: vscode.TreeView<TicketTreeNode>;
  readonly treeProvider: TicketTreeProvider;
  readonly treeModel: TicketTreeModel;
  readonly dragAndDrop: TicketDragAndDropController;
  readonly comments: TicketCommentController;
  readonly documents: TicketDocumentProvider;
  readonly pageActions: TicketPageActions;
  readonly pageLinks: TicketPageLinks;
  readonly decorations: TicketDecorations;
  readonly changedFiles: ChangedFilesCache;
  /** Applies a pending coalesced refresh of the view now, instead of after its delay. */
  flush(): void;
}

export class TicketFeatures extends Disposable {
  readonly testing: TicketTesting;
  readonly treeView: vscode.TreeView<TicketTreeNode>;

  constructor({ session, log, prompter, config, git, attention }: TicketFeatureDeps) {
    super();
    const getBoard = (): Board | undefined => session.board;
    const model = this._register(new TicketTreeModel());
    const provider = this._register(new TicketTreeProvider(model, attention));
    const mover = new TicketMover(getBoard, prompter, log);
    const dragAndDrop = new TicketDragAndDropController(mover);
    const treeView = (this.treeView = this._register(
      vscode.window.createTreeView(Views.Tickets, { treeDataProvider: provider, dragAndDropController: dragAndDrop, showCollapseAll: true, canSelectMany: false }),
    ));
    const decorations = this._register(new TicketDecorations(attention, model));
    this._register(vscode.window.registerFileDecorationProvider(decorations));
    const showBadge = () => {
      const count = attention.current.tickets.length;
      treeView.badge = count === 0 ? undefined : { value: count, tooltip: `${count} ticket${count === 1 ? ' needs' : 's need'} you` };
    };
    this._register(attention.onDidChange(showBadge));
    showBadge();
    const hideEmptyGroups = () => model.setHideEmptyGroups(config.hideEmptyTicketGroups());
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${CONFIG_SECTION}.tickets.hideEmptyGroups`)) hideEmptyGroups();
      }),
    );
    hideEmptyGroups();

    // A read of changed files ends after the pages exist: it re-renders its ticket's page then.
    const changedFiles = new ChangedFilesCache({ git, log, mayRunGit: () => vscode.workspace.isTrusted, onChange: (id) => documents.refresh([id]) });
    this._register({ dispose: () => changedFiles.dispose() });
    const documents = this._register(new TicketDocumentProvider({ attention, changedFiles, time: (ms) => localDateTime(ms, vscode.env.language) }));
    this._register(vscode.workspace.registerTextDocumentContentProvider(DOCUMENT_SCHEME, documents));
    const pageActions = this._register(new TicketPageActions(documents, getBoard));
    this._register(vscode.languages.registerCodeLensProvider({ scheme: DOCUMENT_SCHEME }, pageActions));
    const pageLinks = new TicketPageLinks(documents);
    this._register(vscode.languages.registerDocumentLinkProvider({ scheme: DOCUMENT_SCHEME }, pageLinks));
    const comments = this._register(new TicketCommentController(log));
    this._register(registerCommentCommands(comments, prompter, log, getBoard));
    this._register(registerDismissFinding({ getBoard, prompter, log, comments }));
    this._register(registerTicketCommands({ getBoard, prompter, log, mover, model, provider, treeView, comments }));

    const useBoard = (board: Board | undefined) => {
      model.setBoard(board);
      documents.setBoard(board);
      comments.setBoard(board);
    };
    this._register(session.onDidChangeBoard(useBoard));
    this._register({ dispose: () => useBoard(undefined) });
    useBoard(session.board);

    this.testing = {
      treeView,
      treeProvider: provider,
      treeModel: model,
      dragAndDrop,
      comments,
      documents,
      pageActions,
      pageLinks,
      decorations,
      changedFiles,
      flush: () => model.refreshNow(),
    };
  }
}

/** Registers everything; dispose the result (through `context.subscriptions`) to take it all down. */
export function registerTicketFeatures(deps: TicketFeatureDeps): TicketFeatures {
  return new TicketFeatures(deps);
}
