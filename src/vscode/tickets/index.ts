/**
 * The tickets feature: the Tickets view with drag and drop, its commands, the ticket document
 * (`agent-factory:/T-12.md`) and the comment threads of the board's conversations. The lead's
 * activation calls `registerTicketFeatures` once; the board may open, close or change later.
 */
import * as vscode from 'vscode';
import type { Board } from '../../store/api';
import type { BoardSession } from '../boardSession';
import { registerCommentCommands } from '../comments/commentCommands';
import { TicketCommentController } from '../comments/ticketCommentController';
import { DOCUMENT_SCHEME, Views } from '../constants';
import { TicketDocumentProvider } from '../document/ticketDocumentProvider';
import type { PrompterHolder } from '../ui/prompter';
import { Disposable } from '../util/disposable';
import { registerTicketCommands } from './ticketCommands';
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
}

/** What the in-host tests reach through the extension's test API. */
export interface TicketTesting {
  readonly treeView: vscode.TreeView<TicketTreeNode>;
  readonly treeProvider: TicketTreeProvider;
  readonly treeModel: TicketTreeModel;
  readonly dragAndDrop: TicketDragAndDropController;
  readonly comments: TicketCommentController;
  readonly documents: TicketDocumentProvider;
  /** Applies a pending coalesced refresh of the view now, instead of after its delay. */
  flush(): void;
}

export class TicketFeatures extends Disposable {
  readonly testing: TicketTesting;
  readonly treeView: vscode.TreeView<TicketTreeNode>;

  constructor({ session, log, prompter }: TicketFeatureDeps) {
    super();
    const getBoard = (): Board | undefined => session.board;
    const model = this._register(new TicketTreeModel());
    const provider = this._register(new TicketTreeProvider(model));
    const mover = new TicketMover(getBoard, prompter, log);
    const dragAndDrop = new TicketDragAndDropController(mover);
    const treeView = (this.treeView = this._register(
      vscode.window.createTreeView(Views.Tickets, { treeDataProvider: provider, dragAndDropController: dragAndDrop, showCollapseAll: true, canSelectMany: false }),
    ));
    const documents = this._register(new TicketDocumentProvider());
    this._register(vscode.workspace.registerTextDocumentContentProvider(DOCUMENT_SCHEME, documents));
    const comments = this._register(new TicketCommentController(log));
    this._register(registerCommentCommands(comments, prompter, log));
    this._register(registerTicketCommands({ getBoard, prompter, log, mover, model, provider, treeView, comments }));

    const useBoard = (board: Board | undefined) => {
      model.setBoard(board);
      documents.setBoard(board);
      comments.setBoard(board);
    };
    this._register(session.onDidChangeBoard(useBoard));
    this._register({ dispose: () => useBoard(undefined) });
    useBoard(session.board);

    this.testing = { treeView, treeProvider: provider, treeModel: model, dragAndDrop, comments, documents, flush: () => model.refreshNow() };
  }
}

/** Registers everything; dispose the result (through `context.subscriptions`) to take it all down. */
export function registerTicketFeatures(deps: TicketFeatureDeps): TicketFeatures {
  return new TicketFeatures(deps);
}
