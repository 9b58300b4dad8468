import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Board } from '../../../src/store/api';
import { CONVERSATIONS_LINE } from '../../../src/vscode/document/renderTicket';
import type { TicketTesting } from '../../../src/vscode/tickets/index';
import { testWorkspace } from '../environment';
import { ensureBoard, eventually } from '../board';
import { ScriptedPrompter, ticketsApi, unescapedMarkup, unescapeMarkdown, withPrompter } from './ticketsTestApi';

const findings = { progressPercent: 40, concerns: ['No commit for 20 minutes'], blockers: [], achievements: [], evidence: ['2 files changed'], stalled: false };

/** What the PM agent writes for a review check-in: one conversation keyed "pm", a message, the check-in. */
async function pmCheckIn(board: Board, ticketId: string, body: string): Promise<{ conversationId: string; checkInId: string }> {
  return board.write((tx) => {
    const conversation = tx.findConversation(ticketId, 'pm') ?? tx.createConversation({ ticketId, type: 'pm_checkin', title: `PM check-in on ${ticketId}`, key: 'pm' });
    tx.addMessage({ conversationId: conversation.id, author: 'PM', kind: 'checkin', body });
    const checkIn = tx.addCheckIn({ ticketId, type: 'review', summary: body, findings, actionRequired: true, conversationId: conversation.id });
    return { conversationId: conversation.id, checkInId: checkIn.id };
  });
}

function threadOf(tickets: TicketTesting, conversationId: string): vscode.CommentThread | undefined {
  return tickets.comments.thread(conversationId);
}

suite('Check-ins as comment threads', () => {
  test('a PM check-in appears as a thread on the ticket document with its author and body', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const ticketId = (await board.write((tx) => tx.createTicket({ title: 'Checked in on', status: 'READY' }, 'user'))).id;
    const { conversationId } = await pmCheckIn(board, ticketId, 'Progress 40%. Concern: no commit for 20 minutes.');

    const thread = await eventually('the PM thread exists', () => threadOf(tickets, conversationId));
    assert.equal(thread.uri.toString(), `agent-factory:/${ticketId}`);
    assert.equal(thread.range.start.line, CONVERSATIONS_LINE + 1, 'its own line under the Conversations heading');
    assert.equal(thread.label, `PM check-in on ${ticketId}`);
    assert.equal(thread.contextValue, 'open');
    assert.equal(thread.state, vscode.CommentThreadState.Unresolved);
    assert.equal(thread.comments.length, 1);
    const [comment] = thread.comments;
    assert.equal(comment.author.name, 'PM');
    assert.equal((comment.body as vscode.MarkdownString).value, 'Progress 40%\\. Concern\\: no commit for 20 minutes\\.');
    assert.ok(comment.timestamp instanceof Date);
    assert.equal(tickets.comments.threadsOf(ticketId).length, 1);
  });

  test('a new PM message updates the same thread in place; unrelated changes leave it alone', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const ticketId = (await board.write((tx) => tx.createTicket({ title: 'Updated in place', status: 'READY' }, 'user'))).id;
    const { conversationId } = await pmCheckIn(board, ticketId, 'First look.');
    const thread = await eventually('the thread exists', () => threadOf(tickets, conversationId));
    const comments = thread.comments;

    await board.write((tx) => tx.updateTicket(ticketId, { labels: ['unrelated'] }));
    assert.equal(thread.comments, comments, 'an unrelated change replaced the comments (flicker)');

    await pmCheckIn(board, ticketId, 'Second look.');
    await eventually('the second message shows', () => thread.comments.length === 2);
    assert.equal(threadOf(tickets, conversationId), thread, 'the thread was replaced instead of updated');
    assert.equal(tickets.comments.threadsOf(ticketId).length, 1, 'a duplicate thread appeared');
    assert.deepEqual(thread.comments.map((c) => c.author.name), ['PM', 'PM']);
  });

  test('a reply is stored as the user\'s message and is still there when threads are rebuilt', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const ticketId = (await board.write((tx) => tx.createTicket({ title: 'Replied to', status: 'READY' }, 'user'))).id;
    const { conversationId } = await pmCheckIn(board, ticketId, 'Is this still needed?');
    const thread = await eventually('the thread exists', () => threadOf(tickets, conversationId));

    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.replyToThread', { thread, text: 'Yes, split it in two.' } satisfies vscode.CommentReply));
    assert.deepEqual(prompter.warnings, []);
    const last = board.listMessages(conversationId).at(-1);
    assert.deepEqual([last?.author, last?.kind, last?.body], ['user', 'reply', 'Yes, split it in two.']);
    await eventually('the reply shows in the thread', () => thread.comments.at(-1)?.author.name === 'You');

    // As on the next activation: every thread rebuilt from the store.
    tickets.comments.setBoard(undefined);
    assert.equal(threadOf(tickets, conversationId), undefined);
    tickets.comments.setBoard(board);
    await tickets.comments.synced();
    const rebuilt = threadOf(tickets, conversationId);
    assert.deepEqual(rebuilt?.comments.map((c) => c.author.name), ['PM', 'You']);
  });

  test('Resolve resolves the conversation and its check-in; Reopen reverses both', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const ticketId = (await board.write((tx) => tx.createTicket({ title: 'Resolved', status: 'READY' }, 'user'))).id;
    const { conversationId, checkInId } = await pmCheckIn(board, ticketId, 'Concern: no tests.');
    const thread = await eventually('the thread exists', () => threadOf(tickets, conversationId));
    const checkIn = () => board.listCheckIns(ticketId).find((c) => c.id === checkInId);

    await vscode.commands.executeCommand('agentFactory.resolveThread', thread);
    assert.equal(board.getConversation(conversationId)?.status, 'resolved');
    assert.equal(checkIn()?.resolved, true);
    assert.equal(thread.state, vscode.CommentThreadState.Resolved);
    assert.equal(thread.contextValue, 'resolved');

    await vscode.commands.executeCommand('agentFactory.reopenThread', thread);
    assert.equal(board.getConversation(conversationId)?.status, 'open');
    assert.equal(checkIn()?.resolved, false);
    assert.equal(thread.state, vscode.CommentThreadState.Unresolved);
    assert.equal(thread.contextValue, 'open');
  });

  test('a resolved conversation gets its thread when its ticket page opens, and a shown thread stays when resolved', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const [closed, open] = await board.write((tx) => [1, 2].map((i) => tx.createTicket({ title: `Resolved long ago ${i}`, status: 'READY' }, 'user').id));
    const old = await pmCheckIn(board, closed, 'Done here.');
    const later = await pmCheckIn(board, closed, 'Still done.');
    assert.equal(later.conversationId, old.conversationId);
    await board.write((tx) => tx.setConversationStatus(old.conversationId, 'resolved'));
    const question = await board.write((tx) => tx.createConversation({ ticketId: closed, type: 'user_question', title: 'Open question', key: 'q' }));
    await board.write((tx) => tx.addMessage({ conversationId: question.id, author: 'user', kind: 'reply', body: 'Why?' }));
    // As on the next activation, with thousands of such tickets: only what is still open gets a thread.
    tickets.comments.setBoard(undefined);
    tickets.comments.setBoard(board);
    await tickets.comments.synced();
    assert.equal(threadOf(tickets, old.conversationId), undefined, 'a resolved thread was made for a page nobody opened');
    const openThread = threadOf(tickets, question.id);
    assert.equal(openThread?.range.start.line, CONVERSATIONS_LINE + 2, 'the open one keeps its line below the resolved one');

    await vscode.commands.executeCommand('agentFactory.openTicket', closed);
    const shown = await eventually('the resolved thread shows once its page is open', () => threadOf(tickets, old.conversationId));
    assert.equal(shown.state, vscode.CommentThreadState.Resolved);
    assert.equal(shown.range.start.line, CONVERSATIONS_LINE + 1);

    const { conversationId } = await pmCheckIn(board, open, 'Concern: no tests.');
    const thread = await eventually('the thread exists', () => threadOf(tickets, conversationId));
    await vscode.commands.executeCommand('agentFactory.resolveThread', thread);
    assert.equal(threadOf(tickets, conversationId), thread, 'resolving took the thread away');
    assert.equal(thread.state, vscode.CommentThreadState.Resolved);
  });

  test('hostile message text renders inert', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const ticketId = (await board.write((tx) => tx.createTicket({ title: 'Hostile', status: 'READY' }, 'user'))).id;
    const hostile = '[quit](command:workbench.action.quit)\n<img src=x onerror=alert(1)>\n```\nfenced\n```';
    const { conversationId } = await pmCheckIn(board, ticketId, hostile);
    const thread = await eventually('the thread exists', () => threadOf(tickets, conversationId));
    const body = thread.comments[0].body as vscode.MarkdownString;
    assert.ok(body instanceof vscode.MarkdownString);
    assert.ok(!body.isTrusted, 'the comment body is trusted');
    assert.ok(!body.supportHtml, 'the comment body renders HTML');
    assert.deepEqual(unescapedMarkup(body.value), [], body.value);
    // Escaped, not censored: the reader sees exactly what was written.
    assert.equal(unescapeMarkdown(body.value).replace(/ {2}\n/g, '\n'), hostile);
    assert.ok(body.value.startsWith('\\[quit\\]\\(command\\:workbench'), body.value);
  });

  test('Show Check-ins opens the ticket document and expands its threads', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const ticketId = (await board.write((tx) => tx.createTicket({ title: 'Shown', status: 'READY' }, 'user'))).id;
    const { conversationId } = await pmCheckIn(board, ticketId, 'Look here.');
    const thread = await eventually('the thread exists', () => threadOf(tickets, conversationId));
    thread.collapsibleState = vscode.CommentThreadCollapsibleState.Collapsed;
    const shown = await vscode.commands.executeCommand<number>('agentFactory.showCheckIns', ticketId);
    assert.equal(shown, 1);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), `agent-factory:/${ticketId}`);
    assert.equal(vscode.window.activeTextEditor?.selection.active.line, CONVERSATIONS_LINE);
    assert.equal(thread.collapsibleState, vscode.CommentThreadCollapsibleState.Expanded);
  });

  test('a finding on a line of code gets its thread on that file of the ticket worktree', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const worktree = testWorkspace();
    const { ticketId, conversationId } = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Has a finding' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: worktree, branch: 'main', base: 'main' } });
      const c = tx.createConversation({ ticketId: t.id, type: 'security', title: 'Possible secret', key: 'fp-1', file: 'src/config.ts', line: 3 });
      tx.addMessage({ conversationId: c.id, author: 'Security', kind: 'finding', body: 'AWS key (masked) on this line.' });
      return { ticketId: t.id, conversationId: c.id };
    });
    const thread = await eventually('the finding thread exists', () => threadOf(tickets, conversationId));
    assert.equal(thread.uri.fsPath, path.join(worktree, 'src', 'config.ts'));
    assert.equal(thread.range.start.line, 2);
    assert.equal(thread.comments[0]?.author.name, 'Security');

    // A path that leaves the worktree is not followed: the thread stays on the ticket document.
    await board.write((tx) => tx.updateConversation(conversationId, { file: '../../etc/passwd' }));
    await eventually('the thread moved to the document', () => threadOf(tickets, conversationId)?.uri.toString() === `agent-factory:/${ticketId}`);
  });
});
