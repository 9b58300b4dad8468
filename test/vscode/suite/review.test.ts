import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree } from '../../../src/agents/worktreeAgent';
import { PIPELINE, type Status } from '../../../src/domain/status';
import type { Ticket } from '../../../src/domain/ticket';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { unreadForAgent } from '../../../src/loop/inbox';
import type { FiledComment } from '../../../src/review/reviewComments';
import type { Approved, ChangesRequested } from '../../../src/review/reviewVerdicts';
import type { Board } from '../../../src/store/api';
import { ticketDocumentUri } from '../../../src/vscode/document/ticketUri';
import type { OpenedReview } from '../../../src/vscode/review/reviewFeatures';
import { baseUri } from '../../../src/vscode/review/baseContent';
import { ticketResourceUri } from '../../../src/vscode/tickets/ticketDecorations';
import type { TicketNode } from '../../../src/vscode/tickets/ticketTreeNodes';
import { ensureBoard, eventually, testApi } from '../board';
import { testWorkspace } from '../environment';
import { ScriptedPrompter, ticketsApi, withPrompter } from './ticketsTestApi';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A ticket in `status` whose worktree changes src/main.js (committed), adds a file (committed) and has an untracked note. */
async function ticketUnderReview(board: Board, title: string, status: Status): Promise<{ ticket: Ticket; worktree: string }> {
  const created = await board.write((tx) => tx.createTicket({ title, status: 'READY' }, 'user'));
  const { path } = await ensureTicketWorktree(board, new SimpleGitPort(), created, DEFAULT_WORKTREE_SETTINGS);
  const write = (rel: string, content: string): void => {
    mkdirSync(dirname(join(path, rel)), { recursive: true });
    writeFileSync(join(path, rel), content);
  };
  write('src/main.js', readFileSync(join(path, 'src/main.js'), 'utf8').replace('hello', `hello from ${created.id}`));
  write(`review/${created.id}.txt`, 'one\ntwo\n');
  git(path, 'add', '-A');
  git(path, 'commit', '-q', '-m', `${created.id}: ${title}`);
  write('notes.txt', 'not committed yet\n');
  const ticket = await board.write((tx) => {
    let t = tx.getTicket(created.id)!;
    for (const next of PIPELINE.slice(PIPELINE.indexOf('IN_DEV'), PIPELINE.indexOf(status as (typeof PIPELINE)[number]) + 1)) t = tx.transition(t.id, t.status, next, 'runner');
    return t;
  });
  return { ticket, worktree: path };
}

/** The files of the active multi-file diff editor (its modified side, or the original for a deletion). */
function multiDiffFiles(): string[] | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { textDiffs?: { original?: vscode.Uri; modified?: vscode.Uri }[] } | undefined;
  return input?.textDiffs?.map((d) => (d.modified ?? d.original)?.fsPath ?? '').sort();
}

suite('Review Changes', () => {
  test('opens the multi-file diff of exactly the ticket\'s changes; a comment on a line becomes a bug with file and line; Request Changes sends it back', async function () {
    // Several git repositories, worktrees and editors: a guard against a hang, not a speed limit.
    this.timeout(180_000);
    const board = await ensureBoard();
    const api = await testApi();
    const { ticket, worktree } = await ticketUnderReview(board, 'Review: friendlier greeting', 'PM_REVIEW');
    const expected = ['notes.txt', `review/${ticket.id}.txt`, 'src/main.js'];

    const opened = await vscode.commands.executeCommand<OpenedReview | undefined>('agentFactory.reviewChanges', ticket.id);
    assert.deepEqual(opened?.files, expected);
    const files = await eventually('the changes editor shows the ticket\'s files', () => multiDiffFiles()?.length === 3 && multiDiffFiles());
    assert.deepEqual(files, expected.map((f) => join(worktree, f)).sort());
    // The left side is the file at the merge-base with main.
    const mergeBase = git(worktree, 'merge-base', 'HEAD', 'main');
    const before = await vscode.workspace.openTextDocument(baseUri('src/main.js', mergeBase));
    assert.equal(before.getText(), readFileSync(join(testWorkspace(), 'src/main.js'), 'utf8'));

    // The right side takes comments on every line of a changed file, and nowhere else.
    const main = vscode.Uri.file(join(worktree, 'src/main.js'));
    const document = await vscode.workspace.openTextDocument(main);
    assert.deepEqual(api.review.comments.commentingRanges(document).map((r) => [r.start.line, r.end.line]), [[0, document.lineCount - 1]]);
    assert.deepEqual(api.review.comments.commentingRanges(await vscode.workspace.openTextDocument(vscode.Uri.file(join(testWorkspace(), 'README.md')))), []);

    const draft = api.review.comments.controller.createCommentThread(main, new vscode.Range(1, 0, 1, 0), []);
    const filed = await vscode.commands.executeCommand<FiledComment | undefined>('agentFactory.addReviewComment', { thread: draft, text: 'Say hello to everyone here' });
    assert.ok(filed, 'the comment was not saved');
    const bug = board.listBugs(ticket.id).find((b) => b.id === filed.bug.id);
    assert.deepEqual([bug?.file, bug?.line, bug?.title], ['src/main.js', 2, 'Say hello to everyone here']);
    assert.ok(unreadForAgent(board, ticket.id).some((m) => m.body === 'Say hello to everyone here'), 'the agent gets it in its inbox');
    // The conversation's own thread now sits on that line of the file.
    const thread = await eventually('the comment shows as a thread on the line', () => api.tickets.comments.thread(filed.conversation.id));
    assert.equal(thread.uri.fsPath, main.fsPath);
    assert.equal(thread.range?.start.line, 1);

    // The ticket page lists the changes, each path a link to its diff.
    const page = await vscode.workspace.openTextDocument(ticketDocumentUri(ticket.id));
    assert.ok(page.getText().includes('\n  M src/main.js  +1 −1\n'), page.getText());
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', page.uri);
    const targets = links.map((l) => l.target?.toString(true) ?? '').filter((t) => t.startsWith('command:agentFactory.openChange'));
    assert.equal(targets.length, 3, targets.join('\n'));
    await vscode.commands.executeCommand('agentFactory.openChange', ticket.id, 'src/main.js');
    await eventually('the file\'s diff is open', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff && input.modified.fsPath === main.fsPath;
    });

    // The Tickets view shows the counts.
    const { tickets } = await ticketsApi();
    tickets.flush();
    const item = tickets.treeProvider.getTreeItem(tickets.treeProvider.ticketNode(ticket.id) as TicketNode);
    assert.match(String(item.description), /3 files \+4 −1/);
    assert.equal(item.resourceUri?.toString(), ticketResourceUri(ticket.id).toString());

    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: [''] });
    const requested = await withPrompter(api, prompter, () => vscode.commands.executeCommand<ChangesRequested | undefined>('agentFactory.requestChanges', ticket.id));
    assert.equal(requested?.bugs.length, 1, prompter.warnings.map((w) => w.message).join(' | '));
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV');
    assert.equal(board.history(ticket.id).at(-1)?.by, 'user');
  });

  test('two tickets changing one file are flagged on both in the Tickets view; Approve moves a ticket on', async function () {
    this.timeout(180_000);
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const first = await ticketUnderReview(board, 'Review: overlap one', 'IN_SEC');
    const second = await ticketUnderReview(board, 'Review: overlap two', 'IN_SEC');
    for (const t of [first, second]) await vscode.commands.executeCommand('agentFactory.reviewChanges', t.ticket.id);
    tickets.flush();
    for (const [mine, other] of [[first, second], [second, first]]) {
      const decoration = tickets.decorations.provideFileDecoration(ticketResourceUri(mine.ticket.id));
      assert.equal(decoration?.badge, '⚠');
      assert.match(decoration?.tooltip ?? '', new RegExp(`Changes the same files as .*${other.ticket.id} \\(.*src/main\\.js`));
    }

    const approved = await vscode.commands.executeCommand<Approved | undefined>('agentFactory.approveTicket', first.ticket.id);
    assert.deepEqual([approved?.from, approved?.to], ['IN_SEC', 'PM_REVIEW']);
    assert.equal(board.getTicket(first.ticket.id)?.status, 'PM_REVIEW');
  });
});
