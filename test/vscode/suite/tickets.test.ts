import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Board } from '../../../src/store/api';
import { ensureBoard, eventually } from '../board';
import { TICKETS_MIME } from '../../../src/vscode/tickets/ticketDragAndDrop';
import { TICKET_RANGE_SIZE } from '../../../src/vscode/tickets/ticketRanges';
import type { StatusGroupNode, TicketNode, TicketRangeNode, TicketTreeNode } from '../../../src/vscode/tickets/ticketTreeNodes';
import { dragTo, group, ScriptedPrompter, ticketNode, ticketsApi, unescapedMarkup, withPrompter } from './ticketsTestApi';

const HOSTILE_TITLE = '[quit](command:workbench.action.quit) <img src=x onerror=alert(1)> ```fence```';

async function newTicket(board: Board, title: string, status: 'BACKLOG' | 'READY' = 'BACKLOG', labels: string[] = []): Promise<string> {
  return (await board.write((tx) => tx.createTicket({ title, status, labels }, 'user'))).id;
}

suite('Tickets view', () => {
  test('Create Ticket validates the title as it is typed and lands the ticket where the user chose, with the fields the user filled in', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['   ', 'x'.repeat(201), 'Add retry to uploads'] }, { tries: ['Retry 3 times on 503.'] });
    prompter.picks.push('Description', 'Priority', 'High', 'Create in Ready');
    const id = await withPrompter(api, prompter, () => vscode.commands.executeCommand<string | undefined>('agentFactory.createTicket'));

    assert.ok(id, 'Create Ticket returned no ticket id');
    assert.deepEqual(prompter.validationMessages, ['a ticket title cannot be empty', 'a ticket title is at most 200 characters (this one has 201)']);
    assert.deepEqual(prompter.offered[2], ['$(flame) Critical', '$(arrow-up) High', '$(dash) Medium', '$(arrow-down) Low'], 'the priority picker goes from most to least urgent');
    assert.equal(prompter.actives[2], '$(dash) Medium', 'Enter keeps the current priority');
    const ticket = board.getTicket(id);
    assert.equal(ticket?.title, 'Add retry to uploads');
    assert.equal(ticket?.description, 'Retry 3 times on 503.');
    assert.equal(ticket?.priority, 2);
    assert.equal(ticket?.status, 'READY');
    assert.equal(ticket?.source, 'user');

    const item = tickets.treeProvider.getTreeItem(ticketNode(tickets, id));
    assert.equal(item.label, `${id} Add retry to uploads`);
    assert.equal(item.id, `ticket:${id}`);
    assert.equal(item.contextValue, 'ticket.READY');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'arrow-up');
    assert.deepEqual(item.command?.arguments, [id]);
  });

  test('Create Ticket needs a title and nothing else', async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['Quick one $(whoami)'] });
    prompter.picks.push('Create in Backlog');
    const id = await withPrompter(api, prompter, () => vscode.commands.executeCommand<string | undefined>('agentFactory.createTicket'));
    assert.ok(id);
    assert.deepEqual(prompter.prompts, ['Create Ticket', 'Create Ticket: Quick one \\$(whoami)'], 'one input and one pick; the title shows as written');
    const ticket = board.getTicket(id);
    assert.deepEqual([ticket?.status, ticket?.priority, ticket?.type, ticket?.acceptanceCriteria], ['BACKLOG', 3, 'feature', []]);
  });

  test('a cancelled Create Ticket creates nothing', async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    const before = board.listTickets().length;
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['Never mind'] });
    prompter.picks.push(undefined);
    const id = await withPrompter(api, prompter, () => vscode.commands.executeCommand<string | undefined>('agentFactory.createTicket'));
    assert.equal(id, undefined);
    assert.equal(board.listTickets().length, before);
  });

  test('groups follow the pipeline with Blocked last, each with its count', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    await newTicket(board, 'Counted');
    tickets.flush();
    const groups = tickets.treeProvider.getChildren() as StatusGroupNode[];
    assert.deepEqual(groups.map((g) => g.status), ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE', 'BLOCKED']);
    const backlog = tickets.treeProvider.getTreeItem(groups[0]);
    assert.equal(backlog.id, 'status:BACKLOG');
    assert.equal(backlog.description, String(board.listTickets({ status: 'BACKLOG' }).length));
  });

  test('dragging a ticket onto another status group moves it there, by the user', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const id = await newTicket(board, 'Drag me');
    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => dragTo(tickets, id, 'READY'));
    assert.equal(board.getTicket(id)?.status, 'READY');
    const last = board.history(id).at(-1);
    assert.deepEqual([last?.from, last?.to, last?.by], ['BACKLOG', 'READY', 'user']);
    assert.deepEqual(prompter.warnings, []);
    await eventually('the view shows the ticket under Ready', () => {
      const node = tickets.treeProvider.ticketNode(id);
      return node?.status === 'READY';
    });
  });

  test('a group of more tickets than a range holds shows ranges, and reveal, drop and refresh work through them', async function () {
    this.timeout(180_000);
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const made = await board.write((tx) => Array.from({ length: TICKET_RANGE_SIZE + 20 }, (_, i) => tx.createTicket({ title: `Bulk ${i} $(zap) [x](command:workbench.action.quit)` }, 'user').id));
    const kindOf = (node: TicketTreeNode) => (node.kind === 'ticket' ? `ticket:${node.ticketId}` : node.kind === 'range' ? `range:${node.status}:${node.index}` : `status:${node.status}`);
    try {
      const backlog = group(tickets, 'BACKLOG');
      const order = backlog.group.rows.map((r) => r.ticket.id);
      const ranges = await tickets.treeProvider.getChildren(backlog);
      assert.ok(ranges.every((n): n is TicketRangeNode => n.kind === 'range'), 'the big group holds ranges only');
      assert.equal(ranges.length, Math.ceil(order.length / TICKET_RANGE_SIZE));
      assert.equal(tickets.treeProvider.getTreeItem(backlog).description, String(order.length), 'the group counts all its tickets');
      const shown: string[] = [];
      for (const range of ranges) {
        const item = tickets.treeProvider.getTreeItem(range);
        const inside = (await tickets.treeProvider.getChildren(range)) as TicketNode[];
        assert.ok(inside.length > 0 && inside.length <= TICKET_RANGE_SIZE);
        assert.equal(item.label, `${inside[0].ticketId} – ${inside[inside.length - 1].ticketId} (${inside.length})`);
        assert.equal(item.id, `range:BACKLOG:${range.index}`);
        assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
        assert.equal(tickets.treeProvider.getParent(range), backlog);
        shown.push(...inside.map((n) => n.ticketId));
      }
      assert.deepEqual(shown, order, 'the ranges hold every ticket once, in the group order');

      const last = made[made.length - 1];
      const node = ticketNode(tickets, last) as TicketNode;
      const parent = tickets.treeProvider.getParent(node);
      assert.ok(parent?.kind === 'range', `${last} is not under a range`);
      assert.ok(((await tickets.treeProvider.getChildren(parent)) as TicketNode[]).some((n) => n.ticketId === last));
      const item = tickets.treeProvider.getTreeItem(node);
      assert.deepEqual([item.id, item.label, item.contextValue], [`ticket:${last}`, `${last} Bulk ${made.length - 1} $(zap) [x](command:workbench.action.quit)`, 'ticket.BACKLOG']);

      await tickets.treeView.reveal(node, { select: true, focus: false });
      await eventually(`${last} is selected inside its range`, () => tickets.treeView.selection.map(kindOf).join() === `ticket:${last}`);

      // A change that leaves every ticket in its place refreshes its range, not the group.
      const fired: string[] = [];
      const sub = tickets.treeProvider.onDidChangeTreeData((e) => fired.push(...(e === undefined ? ['everything'] : (Array.isArray(e) ? e : [e]).map(kindOf))));
      try {
        await board.write((tx) => tx.updateTicket(last, { title: 'Renamed in its range' }));
        tickets.flush();
        await eventually('the range was refreshed', () => fired.includes(kindOf(parent)));
      } finally {
        sub.dispose();
      }
      assert.ok(!fired.includes('status:BACKLOG') && !fired.includes('everything'), fired.join());
      assert.equal(tickets.treeProvider.getParent(ticketNode(tickets, last)), parent, 'the range node is kept');

      // A range is a drop target for its status, and dragging it carries nothing.
      const dragged = new vscode.DataTransfer();
      tickets.dragAndDrop.handleDrag([parent], dragged);
      assert.equal(dragged.get(TICKETS_MIME), undefined);
      const ready = (await board.write((tx) => tx.createTicket({ title: 'Dropped on a range', status: 'READY' }, 'user'))).id;
      made.push(ready);
      const prompter = new ScriptedPrompter();
      await withPrompter(api, prompter, () => dragTo(tickets, ready, parent));
      assert.equal(board.getTicket(ready)?.status, 'BACKLOG');
      assert.deepEqual(prompter.warnings, []);
      await eventually('the view shows the dropped ticket in a Backlog range', () => {
        tickets.flush();
        const moved = tickets.treeProvider.ticketNode(ready);
        return moved !== undefined && tickets.treeProvider.getParent(moved)?.kind === 'range';
      });
    } finally {
      await board.write((tx) => made.forEach((id) => tx.deleteTicket(id, 'user')));
    }
  });

  test('an illegal drop changes nothing and says why', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const id = await newTicket(board, 'Never worked');
    const before = { ticket: board.getTicket(id), history: board.history(id) };
    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => dragTo(tickets, id, 'DONE'));
    assert.deepEqual(board.getTicket(id), before.ticket);
    assert.deepEqual(board.history(id), before.history);
    assert.equal(prompter.warnings.length, 1);
    assert.match(prompter.warnings[0].message, /^Cannot move T-\d+ from Backlog to Done: a ticket that was never worked cannot be finished\.$/);
  });

  test('dropping on Blocked asks for a reason; Unblock sends it back', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const id = await newTicket(board, 'Needs a key', 'READY');
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['  ', 'Waiting for the API key'] });
    await withPrompter(api, prompter, () => dragTo(tickets, id, 'BLOCKED'));
    assert.deepEqual(prompter.validationMessages, ['A blocked ticket needs a reason.']);
    const blocked = board.getTicket(id);
    assert.equal(blocked?.status, 'BLOCKED');
    assert.equal(blocked?.blockedFrom, 'READY');
    assert.equal(blocked?.blockedReason, 'Waiting for the API key');
    assert.equal(tickets.treeProvider.getTreeItem(ticketNode(tickets, id)).contextValue, 'ticket.BLOCKED');

    await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.unblockTicket', id));
    assert.equal(board.getTicket(id)?.status, 'READY');
  });

  test('a cancelled block reason leaves the ticket where it was', async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    const id = await newTicket(board, 'Not blocked after all', 'READY');
    const prompter = new ScriptedPrompter();
    prompter.inputs.push(undefined);
    const outcome = await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.blockTicket', id));
    assert.equal(outcome, 'cancelled');
    assert.equal(board.getTicket(id)?.status, 'READY');
  });

  test('Move to... offers only the legal targets', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const id = await newTicket(board, 'Move me', 'READY');
    const prompter = new ScriptedPrompter();
    prompter.picks.push('Backlog');
    const outcome = await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.moveTicket', ticketNode(tickets, id)));
    assert.equal(outcome, 'moved');
    assert.deepEqual(prompter.offered[0], ['Backlog', 'In Development', 'Blocked']);
    assert.equal(board.getTicket(id)?.status, 'BACKLOG');
  });

  test('Delete asks first and deletes only on yes', async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    const id = await newTicket(board, 'Delete me');
    const prompter = new ScriptedPrompter();
    prompter.warningAnswers.push(undefined, 'Delete');
    assert.equal(await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.deleteTicket', id)), false);
    assert.ok(board.getTicket(id), 'deleted although the user said no');
    assert.equal(await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.deleteTicket', id)), true);
    assert.equal(board.getTicket(id), undefined);
    assert.ok(prompter.warnings.every((w) => w.modal), 'the confirmation is not modal');
  });

  test('the filter narrows the view, shows in its description, and clears', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const label = `lbl${Date.now()}`;
    const match = await newTicket(board, 'Filtered in', 'BACKLOG', [label]);
    const other = await newTicket(board, 'Filtered out');
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['source:robots', `label:${label}`] });
    await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.filterTickets'));
    assert.match(prompter.validationMessages[0] ?? '', /unknown source "robots"/);
    assert.equal(tickets.treeView.description, `Filter: label:${label}`);
    assert.ok(tickets.treeProvider.ticketNode(match));
    assert.equal(tickets.treeProvider.ticketNode(other), undefined);
    await vscode.commands.executeCommand('agentFactory.clearTicketFilter');
    assert.equal(tickets.treeView.description, undefined);
    assert.ok(tickets.treeProvider.ticketNode(other));
  });

  test('a change made outside the view shows without a refresh', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const id = await newTicket(board, 'Moved by someone else');
    await board.write((tx) => tx.transition(id, 'BACKLOG', 'READY', 'cli'));
    await eventually('the view moved the ticket to Ready', () => tickets.treeProvider.ticketNode(id)?.status === 'READY');
  });

  test('Open Ticket shows the ticket page, read-only plain text, and it follows the ticket', async () => {
    const board = await ensureBoard();
    const id = await newTicket(board, 'Document me');
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('agentFactory.openTicket', id);
    assert.equal(editor.document.uri.toString(), `agent-factory:/${id}`);
    assert.equal(editor.document.languageId, 'plaintext');
    const lines = editor.document.getText().split('\n');
    assert.equal(lines[0], `${id}  Document me`);
    assert.match(lines[4], /^── Conversations \(0, 0 open\) ─+$/);
    assert.ok(lines.some((l) => l.startsWith('── History ')));

    // Typing into it, as a user would, changes nothing: the editor is read-only.
    const before = editor.document.getText();
    await vscode.commands.executeCommand('type', { text: 'tampered ' });
    assert.equal(editor.document.getText(), before, 'typing changed the ticket page');
    assert.equal(editor.document.isDirty, false);

    await board.write((tx) => tx.updateTicket(id, { title: 'Document me again', labels: ['docs'] }));
    await eventually('the page shows the new title', () => editor.document.getText().startsWith(`${id}  Document me again\n`));
    assert.match(editor.document.getText(), /\n {2}Labels {7}docs\n/);
  });

  test('a hostile title is inert in the tree tooltip and shown as written on the page', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    const id = await newTicket(board, HOSTILE_TITLE);
    const node = ticketNode(tickets, id);
    const item = tickets.treeProvider.resolveTreeItem(tickets.treeProvider.getTreeItem(node), node);
    const tooltip = item.tooltip as vscode.MarkdownString;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.ok(!tooltip.isTrusted, 'the tooltip is trusted');
    assert.ok(!tooltip.supportHtml, 'the tooltip renders HTML');
    assert.deepEqual(unescapedMarkup(tooltip.value.split('\n')[0]), [], tooltip.value);
    assert.ok(tooltip.value.includes('\\[quit\\]\\(command\\:workbench'), tooltip.value);

    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('agentFactory.openTicket', id);
    assert.equal(editor.document.lineAt(0).text, `${id}  ${HOSTILE_TITLE}`);
  });

  test('empty status groups can be hidden, and come back with the setting', async () => {
    const board = await ensureBoard();
    const { tickets } = await ticketsApi();
    await newTicket(board, 'Keeps Backlog shown');
    const config = vscode.workspace.getConfiguration('agentFactory');
    const shown = () => {
      tickets.flush();
      return (tickets.treeProvider.getChildren() as StatusGroupNode[]).map((g) => g.status);
    };
    try {
      await config.update('tickets.hideEmptyGroups', true, vscode.ConfigurationTarget.Workspace);
      await eventually('empty groups are hidden', () => shown().every((s) => board.listTickets({ status: s }).length > 0));
      assert.ok(shown().includes('BACKLOG'));
    } finally {
      await config.update('tickets.hideEmptyGroups', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await eventually('every group is back', () => shown().length === 9);
  });
});
