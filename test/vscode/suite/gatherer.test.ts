import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { silentLogger } from '../../../src/agents/agent';
import { GathererAgent } from '../../../src/agents/gathererAgent';
import { systemClock } from '../../../src/domain/clock';
import type { Board } from '../../../src/store/api';
import { createDiagnosticsPort } from '../../../src/vscode/gatherer/diagnosticsPort';
import { ensureBoard, eventually } from '../board';
import { testWorkspace } from '../environment';

const BROKEN = [
  'export function total(prices: number[]): number {',
  "  const label: number = 'total';",
  '  return prices.reduce((sum, p) => sum + p, 0) + missingValue;',
  '}',
  '',
].join('\n');
const FIXED = ['export function total(prices: number[]): number {', '  return prices.reduce((sum, p) => sum + p, 0);', '}', ''].join('\n');

function tsErrors(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error && d.source === 'ts');
}

async function gatherOnce(board: Board): Promise<string> {
  // The agent as the extension builds it, with the editor's diagnostics behind the port.
  const agent = new GathererAgent({ diagnostics: createDiagnosticsPort(), settings: () => ({ tags: [] }) });
  const result = await agent.runCycle({ board, clock: systemClock, log: silentLogger, signal: new AbortController().signal, setActivity() {} });
  return result.summary;
}

suite('Gatherer in the editor', () => {
  test('a file with real TypeScript errors becomes one gathered ticket, closed once the file is fixed', async function () {
    this.timeout(120_000);
    const board = await ensureBoard();
    const root = testWorkspace();
    const file = join(root, 'src', 'gatherer-broken.ts');
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(file, BROKEN);
    const uri = vscode.Uri.file(file);
    try {
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const errors = await eventually('TypeScript reports both errors', () => tsErrors(uri).length >= 2 && tsErrors(uri), 90_000);

      await gatherOnce(board);
      const gathered = board.listTickets({ source: 'gatherer' }).filter((t) => t.labels.includes('diagnostics'));
      assert.equal(gathered.length, 1, JSON.stringify(gathered.map((t) => t.title)));
      const ticket = gathered[0];
      assert.equal(ticket.title, `${errors.length} TypeScript errors in src/gatherer-broken.ts`);
      assert.deepEqual([ticket.status, ticket.type, ticket.priority], ['BACKLOG', 'idea', 2]);
      assert.match(ticket.description, /^src\/gatherer-broken\.ts:2 error: /m);
      assert.match(ticket.description, /^src\/gatherer-broken\.ts:3 error: .*missingValue/m);

      // A second cycle with the same errors changes nothing: still one ticket.
      await gatherOnce(board);
      assert.equal(board.listTickets({ source: 'gatherer' }).filter((t) => t.labels.includes('diagnostics')).length, 1);

      // Fixed on disk while open and saved: TypeScript clears the errors, the ticket is resolved.
      writeFileSync(file, FIXED);
      await eventually('TypeScript clears the errors', () => tsErrors(uri).length === 0, 90_000);
      await gatherOnce(board);
      assert.equal(board.getTicket(ticket.id)?.status, 'DONE');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(file, { force: true });
    }
  });
});
