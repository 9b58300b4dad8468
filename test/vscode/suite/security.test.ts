import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { silentLogger, type CycleContext } from '../../../src/agents/agent';
import { SecurityAgent } from '../../../src/agents/securityAgent';
import { systemClock } from '../../../src/domain/clock';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import type { Board } from '../../../src/store/api';
import { SECURITY_DIAGNOSTIC_SOURCE } from '../../../src/vscode/security/securityDiagnostics';
import { securityThreads } from '../../../src/vscode/security/securityThreads';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { ensureBoard, eventually, testApi } from '../board';
import { testWorkspace } from '../environment';
import { dragTo, ScriptedPrompter, ticketsApi, withPrompter } from './ticketsTestApi';

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });

function cycle(agent: SecurityAgent, board: Board) {
  const ctx: CycleContext = { board, clock: systemClock, log: silentLogger, signal: new AbortController().signal, setActivity: () => undefined };
  return agent.runCycle(ctx);
}

interface Planted {
  board: Board;
  ticketId: string;
  file: string;
  token: string;
  masked: string;
  agent: SecurityAgent;
}

suite('Security findings in the editor', () => {
  const cleanups: (() => void)[] = [];
  suiteTeardown(() => {
    for (const c of cleanups.reverse()) c();
  });

  /** A ticket whose worktree (a real `git worktree` of the test workspace) holds a token on line 3 of src/config.ts. */
  async function plant(seed: number): Promise<Planted> {
    const board = await ensureBoard();
    const repo = testWorkspace();
    const parent = mkdtempSync(path.join(tmpdir(), 'af-sec-'));
    const wt = path.join(parent, 'wt');
    const branch = `factory/security-${path.basename(parent).slice(-6)}`;
    git(repo, 'worktree', 'add', '-q', '-b', branch, wt, 'main');
    cleanups.push(() => {
      git(repo, 'worktree', 'remove', '--force', wt);
      rmSync(parent, { recursive: true, force: true });
    });
    const token = fakeSecrets(seed).githubToken;
    mkdirSync(path.join(wt, 'src'), { recursive: true });
    const file = path.join(wt, 'src', 'config.ts');
    writeFileSync(file, ['// settings', 'export const api = "https://api.github.com";', `export const token = "${token}";`, ''].join('\n'));
    const ticketId = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Talk to GitHub', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: wt, branch, base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return t.id;
    });
    // The extension runs its own Security agent on this board too; whichever scans first files the
    // bug, so the assertions are on the board, not on this cycle's counts.
    const agent = new SecurityAgent({ settings: () => DEFAULT_SECURITY_SETTINGS, git: new SimpleGitPort() });
    const found = await cycle(agent, board);
    const bugs = board.listBugs(ticketId).filter((b) => b.foundBy === 'Security');
    assert.deepEqual(bugs.map((b) => [b.rule, b.file, b.line, b.fixed]), [['secret/github', 'src/config.ts', 3, false]], found.summary);
    return { board, ticketId, file, token, masked: `${token.slice(0, 4)}…${token.slice(-2)}`, agent };
  }

  async function removeToken(p: Planted): Promise<void> {
    writeFileSync(p.file, ['// settings', 'export const api = "https://api.github.com";', 'export const token = process.env.GITHUB_TOKEN;', ''].join('\n'));
    const fixed = await cycle(p.agent, p.board);
    const bugs = p.board.listBugs(p.ticketId).filter((b) => b.foundBy === 'Security');
    assert.deepEqual(bugs.map((b) => b.fixed), [true], fixed.summary);
  }

  test('a found secret is a diagnostic in the Problems panel on its line, masked, and goes away when removed', async () => {
    const p = await plant(11);
    const { securityDiagnostics } = await testApi();

    const uri = vscode.Uri.file(p.file);
    const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SECURITY_DIAGNOSTIC_SOURCE);
    const [diagnostic] = await eventually('the Security diagnostic appears', () => (ours().length > 0 ? ours() : undefined));
    assert.equal(ours().length, 1, 'one finding, one diagnostic');
    assert.equal(securityDiagnostics.collection.get(uri)?.length, 1, 'the diagnostic is not the extension\'s own collection');
    assert.equal(diagnostic.range.start.line, 2);
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(diagnostic.code, 'secret/github');
    assert.ok(diagnostic.message.includes(p.masked), diagnostic.message);
    assert.ok(!diagnostic.message.includes(p.token), 'the diagnostic shows the secret in full');
    assert.deepEqual(
      securityThreads(p.board).filter((t) => t.ticketId === p.ticketId).map((t) => [t.uri.fsPath, t.line, t.resolved]),
      [[p.file, 2, false]],
    );

    await removeToken(p);
    await eventually('the diagnostic is gone', () => ours().length === 0);
    assert.deepEqual(securityThreads(p.board).filter((t) => t.ticketId === p.ticketId).map((t) => t.resolved), [true]);
  });

  test('a found secret is a Security comment thread on its line of the worktree file, resolved when removed', async () => {
    const p = await plant(12);
    const { tickets } = await ticketsApi();
    const bug = p.board.listBugs(p.ticketId).find((b) => b.foundBy === 'Security');
    assert.ok(bug?.fingerprint);
    const conversation = p.board.findConversation(p.ticketId, bug.fingerprint);
    assert.ok(conversation);

    // Rendered by the extension's comment controller, on the exact line (0-based 2 = line 3).
    const thread = await eventually('the Security thread exists', () => tickets.comments.thread(conversation.id));
    assert.equal(thread.uri.fsPath, p.file);
    assert.equal(thread.range.start.line, 2);
    assert.equal(thread.comments[0]?.author.name, 'Security');
    // The body is escaped markdown; what the user reads is it without the escapes.
    const shown = (thread.comments[0]?.body as vscode.MarkdownString).value.replace(/\\(.)/g, '$1');
    assert.ok(!shown.includes(p.token), 'the thread shows the secret in full');
    assert.ok(shown.includes(`Found: ${p.masked}`), shown);

    await removeToken(p);
    await eventually('the thread is resolved', () => thread.state === vscode.CommentThreadState.Resolved);
    assert.equal(p.board.listBugs(p.ticketId).find((b) => b.id === bug.id)?.fixed, true);
  });

  test('a drop out of In Security waits for a scan of the worktree as it is now, and is refused while a secret is in it', async () => {
    const p = await plant(16);
    await removeToken(p);
    const { api, tickets } = await ticketsApi();
    await p.board.write((tx) => {
      for (const [from, to] of [['IN_DEV', 'IN_QA'], ['IN_QA', 'IN_UX'], ['IN_UX', 'IN_SEC']] as const) tx.transition(p.ticketId, from, to, 'runner');
    });
    // The agent puts the token back after the last scan: the race the gate closes.
    writeFileSync(p.file, ['// settings', `export const token = "${p.token}";`, ''].join('\n'));
    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => dragTo(tickets, p.ticketId, 'PM_REVIEW'));
    assert.equal(p.board.getTicket(p.ticketId)?.status, 'IN_SEC');
    assert.match(prompter.warnings.map((w) => w.message).join('\n'), /cannot leave IN_SEC with an open critical\/high security finding/);

    writeFileSync(p.file, ['// settings', 'export const token = process.env.GITHUB_TOKEN;', ''].join('\n'));
    await withPrompter(api, new ScriptedPrompter(), () => dragTo(tickets, p.ticketId, 'PM_REVIEW'));
    assert.equal(p.board.getTicket(p.ticketId)?.status, 'PM_REVIEW');
    const scan = p.board.getSecurityScan(p.ticketId);
    assert.deepEqual([scan?.dirty, scan?.complete, scan?.blockers], [true, true, 0]);
  });

  test('Dismiss Finding on the thread asks why, records it, and the gate, the Problems panel and the thread follow', async () => {
    const p = await plant(13);
    const { api, tickets } = await ticketsApi();
    const bug = p.board.listBugs(p.ticketId).find((b) => b.foundBy === 'Security')!;
    const conversation = p.board.findConversation(p.ticketId, bug.fingerprint!)!;
    const thread = await eventually('the Security thread offers Dismiss Finding', () => {
      const t = tickets.comments.thread(conversation.id);
      return t?.contextValue === 'open.finding' ? t : undefined;
    });
    const prompter = new ScriptedPrompter();
    prompter.picks.push('False positive');
    const dismissed = await withPrompter(api, prompter, () => vscode.commands.executeCommand<{ dismissed?: { reason: string } }>('agentFactory.dismissFinding', thread));
    assert.equal(dismissed?.dismissed?.reason, 'false-positive');
    assert.deepEqual(prompter.offered[0], ['False positive', 'Test data', 'Accepted risk']);
    assert.match(p.board.history(p.ticketId).at(-1)?.note ?? '', /^Dismissed the critical finding ".+" as a false positive$/);
    await eventually('the thread is resolved and offers nothing more', () => thread.state === vscode.CommentThreadState.Resolved && thread.contextValue === 'resolved');
    const uri = vscode.Uri.file(p.file);
    await eventually('the Problems entry is gone', () => vscode.languages.getDiagnostics(uri).every((d) => d.source !== SECURITY_DIAGNOSTIC_SOURCE));
    await p.board.write((tx) => {
      tx.transition(p.ticketId, 'IN_DEV', 'IN_SEC', 'runner');
      tx.transition(p.ticketId, 'IN_SEC', 'PM_REVIEW', 'runner');
    });
    assert.equal(p.board.getTicket(p.ticketId)?.status, 'PM_REVIEW', 'the Security gate let the dismissed finding pass');
  });

  test('Dismiss Finding is a quick fix on the Problems entry', async () => {
    const p = await plant(14);
    const { api } = await ticketsApi();
    const uri = vscode.Uri.file(p.file);
    const [diagnostic] = await eventually('the Security diagnostic appears', () => {
      const ours = vscode.languages.getDiagnostics(uri).filter((d) => d.source === SECURITY_DIAGNOSTIC_SOURCE);
      return ours.length > 0 ? ours : undefined;
    });
    // Code actions are asked of an open document, as the light bulb does.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range)) ?? [];
    const fix = actions.find((a) => a.title === 'Dismiss Finding…');
    assert.ok(fix?.command, `no Dismiss Finding quick fix among ${actions.map((a) => a.title).join(', ')}`);
    const prompter = new ScriptedPrompter();
    prompter.picks.push('Test data');
    const args: unknown[] = fix.command.arguments ?? [];
    await withPrompter(api, prompter, () => vscode.commands.executeCommand(fix.command!.command, ...args));
    assert.equal(p.board.listBugs(p.ticketId).find((b) => b.foundBy === 'Security')?.dismissed?.reason, 'test-data');
  });

  test('resolving a Security thread without dismissing says the finding stays open', async () => {
    const p = await plant(15);
    const { api, tickets } = await ticketsApi();
    const bug = p.board.listBugs(p.ticketId).find((b) => b.foundBy === 'Security')!;
    const conversation = p.board.findConversation(p.ticketId, bug.fingerprint!)!;
    const thread = await eventually('the Security thread exists', () => tickets.comments.thread(conversation.id));
    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.resolveThread', thread));
    assert.deepEqual(prompter.infos, ['The thread is resolved, but the finding stays open (and blocks the Security gate) until the code changes or it is dismissed.']);
    assert.equal(p.board.listBugs(p.ticketId).find((b) => b.id === bug.id)?.fixed, false);
  });
});
