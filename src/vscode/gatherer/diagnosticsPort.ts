/**
 * The Gatherer's view of the Problems panel: `vscode.languages.getDiagnostics()` as plain entries,
 * so the headless core never touches `vscode`.
 */
import * as vscode from 'vscode';
import type { DiagnosticEntry, DiagnosticsPort, DiagnosticsSnapshot } from '../../scan/gatherer/diagnostics';

/**
 * Sources the extension reports itself (the Security agent's findings) are already on the board;
 * gathering them back would file every finding twice.
 */
const OWN_SOURCE_PREFIX = 'Agent Factory';

/**
 * Errors and warnings on files. Hints and infos are not backlog material; documents with unsaved
 * edits are left out, because their diagnostics describe text that is not in the code (yet).
 */
export function toDiagnosticEntries(
  all: ReadonlyArray<readonly [vscode.Uri, readonly vscode.Diagnostic[]]>,
  skip: (uri: vscode.Uri) => boolean = () => false,
): DiagnosticEntry[] {
  const out: DiagnosticEntry[] = [];
  for (const [uri, diagnostics] of all) {
    if (uri.scheme !== 'file' || diagnostics.length === 0 || skip(uri)) continue;
    for (const d of diagnostics) {
      const severity = d.severity === vscode.DiagnosticSeverity.Error ? 'error' : d.severity === vscode.DiagnosticSeverity.Warning ? 'warning' : undefined;
      const source = d.source ?? '';
      if (severity === undefined || source.startsWith(OWN_SOURCE_PREFIX)) continue;
      out.push({ file: uri.fsPath, severity, source, message: d.message, line: d.range.start.line + 1 });
    }
  }
  return out;
}

/** What the editor knows right now; open, saved documents are the ones whose diagnostics are current. */
export function diagnosticsSnapshot(): DiagnosticsSnapshot {
  const documents = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file' && !d.isClosed);
  const dirty = new Set(documents.filter((d) => d.isDirty).map((d) => d.uri.toString()));
  return {
    entries: toDiagnosticEntries(vscode.languages.getDiagnostics(), (uri) => dirty.has(uri.toString())),
    currentFiles: documents.filter((d) => !d.isDirty).map((d) => d.uri.fsPath),
  };
}

export function createDiagnosticsPort(): DiagnosticsPort {
  return { snapshot: diagnosticsSnapshot };
}
