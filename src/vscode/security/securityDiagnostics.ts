import * as vscode from 'vscode';
import type { Severity } from '../../domain/ticket';
import { problemText, securityProblems, type SecurityProblem } from '../../scan/security/view';
import type { Board } from '../../store/api';
import { Disposable } from '../util/disposable';

export const SECURITY_DIAGNOSTIC_SOURCE = 'Agent Factory Security';

/**
 * The Security agent's open findings in the Problems panel, on the files of each ticket's
 * worktree. Rebuilt from the board on every store change (reads are in memory), so a fixed
 * finding's squiggle goes away as soon as the agent's write lands, in every window.
 */
export class SecurityDiagnostics extends Disposable {
  readonly collection: vscode.DiagnosticCollection;
  private board: Board | undefined;
  private subscription: vscode.Disposable | undefined;

  constructor() {
    super();
    this.collection = this._register(vscode.languages.createDiagnosticCollection('agentFactory.security'));
    this._register({ dispose: () => void this.subscription?.dispose() });
  }

  setBoard(board: Board | undefined): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    this.board = board;
    if (board) this.subscription = board.onDidChange((change) => {
      if (!change.noTickets) this.refresh();
    });
    this.refresh();
  }

  refresh(): void {
    if (this.isDisposed) return;
    this.collection.clear();
    if (!this.board) return;
    this.collection.set(securityDiagnostics(this.board));
  }
}

/** Diagnostics per file for the board's open Security findings. */
export function securityDiagnostics(board: Board): [vscode.Uri, vscode.Diagnostic[]][] {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const p of securityProblems(board)) {
    let list = byFile.get(p.fsPath);
    if (!list) byFile.set(p.fsPath, (list = []));
    list.push(toDiagnostic(p));
  }
  return [...byFile].map(([fsPath, list]) => [vscode.Uri.file(fsPath), list]);
}

function toDiagnostic(p: SecurityProblem): vscode.Diagnostic {
  const line = Math.max(0, p.line - 1);
  const range = new vscode.Range(line, p.column, line, Number.MAX_SAFE_INTEGER);
  const d = new vscode.Diagnostic(range, problemText(p), severityOf(p.severity));
  d.source = SECURITY_DIAGNOSTIC_SOURCE;
  d.code = p.rule;
  return d;
}

function severityOf(s: Severity): vscode.DiagnosticSeverity {
  if (s === 'critical' || s === 'high') return vscode.DiagnosticSeverity.Error;
  if (s === 'medium') return vscode.DiagnosticSeverity.Warning;
  return vscode.DiagnosticSeverity.Information;
}
