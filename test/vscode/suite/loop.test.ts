import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Ticket } from '../../../src/domain/ticket';
import type { SentMessage } from '../../../src/loop/inbox';
import type { TicketEditResult } from '../../../src/loop/ticketEdits';
import { readAutopilot, setAutopilot, type AutopilotState } from '../../../src/loop/autopilotState';
import type { Board } from '../../../src/store/api';
import { ticketDocumentUri } from '../../../src/vscode/document/ticketUri';
import type { TicketNode } from '../../../src/vscode/tickets/ticketTreeNodes';
import { ensureBoard, eventually } from '../board';
import { ScriptedPrompter, ticketsApi, unescapeMarkdown, withPrompter } from './ticketsTestApi';

async function newTicket(board: Board, title: string, extra: Partial<{ status: 'BACKLOG' | 'READY'; dependsOn: string[] }> = {}): Promise<Ticket> {
  return board.write((tx) => tx.createTicket({ title, status: extra.status ?? 'READY', dependsOn: extra.dependsOn }, 'user'));
}

/** A ticket whose agent stopped with `agent-factory block`, as the CLI writes it. */
async function blockedByAgent(board: Board, title: string, question: string): Promise<Ticket> {
  return board.write((tx) => {
    const t = tx.createTicket({ title, status: 'READY' }, 'user');
    const run = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude' });
    tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
    tx.transition(t.id, 'IN_DEV', 'BLOCKED', 'claude', question);
    tx.updateRun(run.id, { verdict: 'blocked', summary: question });
    const thread = tx.findConversation(t.id, 'pm') ?? tx.createConversation({ ticketId: t.id, type: 'pm_checkin', title: `PM check-ins on ${t.id}`, key: 'pm' });
    tx.addMessage({ conversationId: thread.id, author: 'claude', kind: 'note', body: `Blocked: ${question}` });
    return tx.getTicket(t.id) ?? t;
  });
}

suite('The closed loop in the editor', () => {
  test('Create Ticket asks what the ticket depends on; the tree and the document show what it waits on', async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const schema = await newTicket(board, 'Loop: schema first');
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['Loop: API on the schema'] });
    prompter.picks.push('Depends on', 'Create in Ready');
    prompter.manyPicks.push([`${schema.id} `]);
    const id = await withPrompter(api, prompter, () => vscode.commands.executeCommand<string | undefined>('agentFactory.createTicket'));
    assert.ok(id, `Create Ticket returned nothing: ${prompter.warnings.map((w) => w.message).join(' | ')}`);
    assert.ok(prompter.prompts.includes('Create Ticket: depends on'));
    assert.deepEqual(board.getTicket(id)?.dependsOn, [schema.id]);

    tickets.flush();
    const node = tickets.treeProvider.ticketNode(id) as TicketNode;
    assert.equal(tickets.treeProvider.getTreeItem(node).description, `waits on ${schema.id}`);
    const document = await vscode.workspace.openTextDocument(ticketDocumentUri(id));
    assert.ok(document.getText().includes(`  Depends on   ${schema.id} Loop: schema first (Ready)`), document.getText());
    assert.ok(document.getText().includes(`waits on ${schema.id} before it can start`));

    // The dependency moving on re-renders the dependent's document.
    await board.write((tx) => tx.transition(schema.id, 'READY', 'IN_DEV', 'user'));
    await eventually('the document shows the new status', () => document.getText().includes(`${schema.id} Loop: schema first (In Development)`));
  });

  test('Edit Ticket changes one field at a time, checked like the store checks it, and refuses a cycle by name', async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    const a = await newTicket(board, 'Loop: edit A');
    const b = await newTicket(board, 'Loop: edit B', { dependsOn: [a.id] });

    const priority = new ScriptedPrompter();
    priority.picks.push('Priority', 'Critical');
    const edited = await withPrompter(api, priority, () => vscode.commands.executeCommand<TicketEditResult | undefined>('agentFactory.editTicket', a.id));
    assert.equal(edited?.ticket.priority, 1);
    assert.equal(board.getTicket(a.id)?.priority, 1);
    assert.equal(priority.actives[1], '$(dash) Medium', 'the current priority is preselected');
    const history = board.history(a.id).at(-1);
    assert.deepEqual([history?.by, history?.note], ['user', 'Edited priority medium → critical'], 'the edit is in the history');

    const criteria = new ScriptedPrompter();
    criteria.picks.push('Acceptance criteria', 'Add a criterion', 'Add a criterion', 'Works offline', 'Save');
    criteria.inputs.push({ tries: ['Works offline'] }, { tries: ['Has a test'] }, { tries: [''] });
    await withPrompter(api, criteria, () => vscode.commands.executeCommand('agentFactory.editTicket', a.id));
    assert.deepEqual(board.getTicket(a.id)?.acceptanceCriteria, ['Has a test'], 'the emptied criterion was removed');

    const title = new ScriptedPrompter();
    title.picks.push('Title');
    title.inputs.push({ tries: ['', 'Loop: edit A, renamed'] });
    await withPrompter(api, title, () => vscode.commands.executeCommand('agentFactory.editTicket', a.id));
    assert.deepEqual(title.validationMessages, ['a ticket title cannot be empty']);
    assert.equal(board.getTicket(a.id)?.title, 'Loop: edit A, renamed');

    const cycle = new ScriptedPrompter();
    cycle.picks.push('Depends on');
    cycle.manyPicks.push([`${b.id} `]);
    const refused = await withPrompter(api, cycle, () => vscode.commands.executeCommand<TicketEditResult | undefined>('agentFactory.editTicket', a.id));
    assert.equal(refused, undefined);
    assert.match(cycle.warnings[0]?.message ?? '', new RegExp(`Edit Ticket failed: ${a.id} cannot depend on ${b.id}: that would make a cycle \\(${a.id} -> ${b.id} -> ${a.id}\\)`));
    assert.deepEqual(board.getTicket(a.id)?.dependsOn, []);

    const unhook = new ScriptedPrompter();
    unhook.picks.push('Depends on');
    unhook.manyPicks.push([]);
    await withPrompter(api, unhook, () => vscode.commands.executeCommand('agentFactory.editTicket', b.id));
    assert.deepEqual(unhook.preTicked[0]?.filter((l) => l.startsWith(`${a.id} `)).length, 1, 'the current dependency showed ticked');
    assert.deepEqual(board.getTicket(b.id)?.dependsOn, []);
  });

  test("Message the Agent reaches the ticket's agent; on a ticket its agent blocked, it is the answer and the ticket is ready again", async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    const working = await newTicket(board, 'Loop: message while working');
    const prompter = new ScriptedPrompter();
    prompter.inputs.push({ tries: ['  ', 'Use the sandbox keys'] });
    const sent = await withPrompter(api, prompter, () => vscode.commands.executeCommand<SentMessage | undefined>('agentFactory.messageAgent', working.id));
    assert.equal(sent?.answered, false);
    assert.deepEqual(prompter.validationMessages, ['Write something for the agent to read.']);
    const message = board.listMessages(sent?.message.conversationId ?? '').at(-1);
    assert.deepEqual([message?.author, message?.body, message?.toAgent, message?.readAt], ['user', 'Use the sandbox keys', true, undefined]);
    assert.deepEqual(prompter.infos, [`Sent to ${working.id}'s agent.`]);

    const blocked = await blockedByAgent(board, 'Loop: blocked on a question', 'Which currency do refunds use?');
    const answer = new ScriptedPrompter();
    answer.inputs.push({ tries: ['The original payment currency'] });
    const answered = await withPrompter(api, answer, () => vscode.commands.executeCommand<SentMessage | undefined>('agentFactory.messageAgent', blocked.id));
    assert.equal(answered?.answered, true);
    assert.match(answer.prompts[0] ?? '', new RegExp(`Message ${blocked.id}'s agent`));
    assert.equal(board.getTicket(blocked.id)?.status, 'READY');
    assert.deepEqual(answer.infos, [`${blocked.id} is ready again; its next attempt carries your answer.`]);
  });

  test("a reply in the ticket's PM thread answers its agent's block, like Message the Agent", async () => {
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    const blocked = await blockedByAgent(board, 'Loop: answered in the thread', 'May I drop the legacy endpoint?');
    const conversation = board.findConversation(blocked.id, 'pm');
    assert.ok(conversation);
    const thread = await eventually('the PM thread is shown', () => tickets.comments.thread(conversation.id));
    const prompter = new ScriptedPrompter();
    await withPrompter(api, prompter, () => vscode.commands.executeCommand('agentFactory.replyToThread', { thread, text: 'Yes, nobody calls it.' } satisfies vscode.CommentReply));
    assert.deepEqual(prompter.warnings, []);
    assert.equal(board.getTicket(blocked.id)?.status, 'READY');
    const reply = board.listMessages(conversation.id).find((m) => m.body === 'Yes, nobody calls it.');
    assert.equal(reply?.toAgent, true);
  });

  test('Start and Pause Autopilot flip the switch in the board; the Agents view and the status bar tooltip show it with the queue', async () => {
    const board = await ensureBoard();
    const { api } = await ticketsApi();
    try {
      const on = await vscode.commands.executeCommand<AutopilotState | undefined>('agentFactory.startAutopilot');
      assert.equal(on?.on, true);
      assert.equal(readAutopilot(board).on, true);
      api.agentsModel.scheduleRefresh();
      const tooltip = () => unescapeMarkdown(api.statusBarTooltip());
      await eventually('the tooltip says the autopilot is on', () => tooltip().includes('Autopilot: on (turned on by user)'));
      assert.match(tooltip(), /Queue: (\d+ ready, next T-\d+|nothing ready)/);
      const status = api.agentsModel.boardStatus();
      assert.equal(status?.autopilot.on, true);

      // Another process (the CLI, a headless host) turning it off is followed here.
      await board.write((tx) => setAutopilot(tx, false, 'serve', Date.now()));
      await eventually('the tooltip follows the board', () => tooltip().includes('Autopilot: off (turned off by serve)'));
      await vscode.commands.executeCommand('agentFactory.startAutopilot');
      const off = await vscode.commands.executeCommand<AutopilotState | undefined>('agentFactory.pauseAutopilot');
      assert.equal(off?.on, false);
      assert.equal(readAutopilot(board).on, false);
    } finally {
      if (readAutopilot(board).on) await vscode.commands.executeCommand('agentFactory.pauseAutopilot');
    }
  });
});
