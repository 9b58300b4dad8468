import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { silentLogger } from '../../../src/agents/agent';
import { GathererAgent } from '../../../src/agents/gathererAgent';
import { systemClock } from '../../../src/domain/clock';
import type { Board } from '../../../src/store/api';
import { ticketDocumentUri } from '../../../src/vscode/document/ticketUri';
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

  test("a gathered TODO's ticket links to its file at the line where the comment is now, and a line move does not rewrite it", async () => {
    const board = await ensureBoard();
    const root = testWorkspace();
    const rel = 'src/gatherer-link.ts';
    const file = join(root, rel);
    const code = (above: number) => [...Array.from({ length: above }, (_, i) => `export const v${i} = ${i};`), '// TODO: link the ticket to its line', 'export const linked = true;', ''].join('\n');
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(file, code(5));
    execFileSync('git', ['add', '--', rel], { cwd: root });
    const todo = async (): Promise<string> => {
      const agent = new GathererAgent({ settings: () => ({ tags: ['TODO'], includeDiagnostics: false, maxNewPerCycle: 50, maxOpen: 500 }) });
      await agent.runCycle({ board, clock: systemClock, log: silentLogger, signal: new AbortController().signal, setActivity() {} });
      const found = board.listTickets({ source: 'gatherer' }).filter((t) => t.title === 'TODO: link the ticket to its line');
      assert.equal(found.length, 1);
      return found[0].id;
    };
    const linkOf = async (id: string): Promise<vscode.Uri | undefined> => {
      const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', ticketDocumentUri(id));
      return links.find((l) => l.target?.scheme === 'file')?.target;
    };
    try {
      const id = await todo();
      const doc = await vscode.workspace.openTextDocument(ticketDocumentUri(id));
      // Shown as plain text on the page's Details, like every text that comes from the code.
      assert.match(doc.getText(), /^ {2}Location {5}src\/gatherer-link\.ts:6$/m);
      const first = await eventually('the location is a link', () => linkOf(id));
      assert.deepEqual([first.fsPath, first.fragment], [file, 'L6']);

      const before = board.getTicket(id)!;
      writeFileSync(file, code(8));
      assert.equal(await todo(), id);
      assert.equal(board.getTicket(id)!.updatedAt, before.updatedAt, 'a line move rewrote the ticket');
      const moved = await eventually('the link follows the comment', async () => {
        const target = await linkOf(id);
        return target?.fragment === 'L9' && target;
      });
      assert.equal(moved.fsPath, file);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      execFileSync('git', ['rm', '-q', '--cached', '-f', '--', rel], { cwd: root });
      rmSync(file, { force: true });
    }
  });
});
