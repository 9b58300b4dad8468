import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { silentLogger, type CycleContext } from '../../../src/agents/agent';
import { SecurityAgent } from '../../../src/agents/securityAgent';
import { systemClock } from '../../../src/domain/clock';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { runLogFile } from '../../../src/runner/runFiles';
import type { StartedRun } from '../../../src/runner/ticketRunner';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import type { Board } from '../../../src/store/api';
import type { TestApi } from '../../../src/vscode/extension';
import { CONVERSATIONS_LINE, TITLE_LINE } from '../../../src/vscode/document/renderTicket';
import { ticketDocumentUri } from '../../../src/vscode/document/ticketUri';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { ensureBoard, eventually } from '../board';
import { ScriptedPrompter, ticketsApi, withPrompter } from './ticketsTestApi';

const HOSTILE_TITLE = '[quit](command:workbench.action.quit) <img src=x onerror=alert(1)> $(whoami) **bold**';
const DESCRIPTION = '## Goal\n\nRetry **uploads** on a `503`, see [the spec](https://example.com/spec).\n\n- three times\n- with backoff';

interface Lens {
  title: string;
  command: string;
  args: unknown[];
  line: number;
}

/** The CodeLens of the page as VS Code resolves them. */
async function lenses(uri: vscode.Uri): Promise<Lens[]> {
  const found = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return found.flatMap((l) => (l.command ? [{ title: l.command.title, command: l.command.command, args: l.command.arguments ?? [], line: l.range.start.line }] : []));
}

async function lensTitled(uri: vscode.Uri, title: string): Promise<Lens> {
  return eventually(`the page offers ${title}`, async () => (await lenses(uri)).find((l) => l.title.endsWith(title)));
}

/** Runs a lens's command as a click does, with the prompter answering its dialogs. */
async function click(api: TestApi, lens: Lens, prompter = new ScriptedPrompter()): Promise<unknown> {
  return withPrompter(api, prompter, () => vscode.commands.executeCommand(lens.command, ...lens.args));
}

function securityCycle(board: Board) {
  const agent = new SecurityAgent({ settings: () => DEFAULT_SECURITY_SETTINGS, git: new SimpleGitPort() });
  const ctx: CycleContext = { board, clock: systemClock, log: silentLogger, signal: new AbortController().signal, setActivity: () => undefined };
  return agent.runCycle(ctx);
}

suite('The ticket page', () => {
  test('a hostile ticket with threads, a finding and runs reads cleanly, its actions run their commands, and the finding shows in the status bar and the tree', async function () {
    // A long walk through every action on a real worktree: the bound only guards against a hang.
    this.timeout(240_000);
    const board = await ensureBoard();
    const { api, tickets } = await ticketsApi();
    await vscode.workspace.getConfiguration('agentFactory').update('agents.dev.command', null, vscode.ConfigurationTarget.Global);
    const id = (await board.write((tx) => tx.createTicket({ title: HOSTILE_TITLE, description: DESCRIPTION, status: 'READY', acceptanceCriteria: ['retries [3](command:x) times'] }, 'user'))).id;
    const uri = ticketDocumentUri(id);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    assert.equal(editor.document.languageId, 'plaintext', 'plain text: no markdown link provider, no preview');

    // Start, from the page: no agent configured, so a terminal run in a new worktree.
    const started = (await click(api, await lensTitled(uri, 'Start'))) as StartedRun | undefined;
    assert.equal(started?.kind, 'terminal');
    const worktree = await eventually('the ticket has its worktree', () => board.getTicket(id)?.worktree);

    // Two conversations on the page, an older run with a log, and a secret in the worktree.
    const { pm, question, oldRun } = await board.write((tx) => {
      const pm = tx.createConversation({ ticketId: id, type: 'pm_checkin', title: `PM check-ins on ${id}`, key: 'pm' });
      tx.addMessage({ conversationId: pm.id, author: 'PM', kind: 'checkin', body: 'No commit yet.' });
      const question = tx.createConversation({ ticketId: id, type: 'user_question', title: `Question from you on ${id}`, key: 'q' });
      tx.addMessage({ conversationId: question.id, author: 'user', kind: 'reply', body: 'Which backoff?' });
      const oldRun = tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'claude', status: 'failed', logFile: 'set-by-the-runner' });
      tx.setRunUsage(oldRun.id, { inputTokens: 12_300, outputTokens: 845, cachedTokens: 0, costUsd: 0.03 });
      return { pm: pm.id, question: question.id, oldRun: oldRun.id };
    });
    const log = runLogFile(board.dir, oldRun);
    mkdirSync(path.dirname(log), { recursive: true });
    writeFileSync(log, 'the agent said hello\n');
    mkdirSync(path.join(worktree.path, 'src'), { recursive: true });
    writeFileSync(path.join(worktree.path, 'src', 'keys.ts'), `export const token = "${fakeSecrets(21).githubToken}";\n`);
    await securityCycle(board);
    const bug = await eventually('the Security agent filed the finding', () => board.listBugs(id).find((b) => b.foundBy === 'Security'));
    assert.equal(bug.severity, 'critical');

    // What the reader sees: the title as written, no escape character anywhere, each thread on its own line.
    const page = () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.getText() ?? '';
    const text = await eventually(
      'the page shows the finding and the run',
      () => {
        const t = page();
        // The attention list is read apart from the page's own data: the finding reaches its third line once it is read.
        return t.includes(bug.title) && t.includes('tokens 12.3k in') && /\nNeeds you: critical: /.test(t) ? t : undefined;
      },
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; the bug is "${bug.title}" and the page reads:\n${page()}`);
    });
    const lines = text.split('\n');
    assert.equal(lines[TITLE_LINE], `${id}  ${HOSTILE_TITLE}`);
    assert.ok(!text.includes('\\'), `a backslash escape on the page:\n${text}`);
    assert.ok(text.includes('  Retry **uploads** on a `503`, see [the spec](https://example.com/spec).'), 'the description as written');
    assert.ok(text.includes(`  Worktree     ${worktree.path}\n  Branch       ${worktree.branch} (from ${worktree.base})`), 'worktree and branch exact');
    assert.match(lines[2], /^Needs you: critical: /);
    await eventually('both threads are on the page', () => [pm, question].every((c) => tickets.comments.thread(c)?.uri.toString() === uri.toString()));
    const threadLines = [pm, question].map((c) => tickets.comments.thread(c)!.range.start.line);
    assert.equal(new Set(threadLines).size, 2, 'two threads share a line');
    for (const line of threadLines) assert.ok(line > CONVERSATIONS_LINE && lines[line].includes(id), `thread line ${line}: ${lines[line]}`);

    // Links: the finding's file at its line and the run's log, from validated paths only.
    const links = (await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', uri)) ?? [];
    const targets = links.map((l) => l.target?.toString() ?? '');
    assert.ok(targets.includes(vscode.Uri.file(path.join(worktree.path, 'src', 'keys.ts')).with({ fragment: 'L1' }).toString()), targets.join('\n'));
    assert.ok(targets.includes(vscode.Uri.file(log).toString()), targets.join('\n'));
    // The editor itself detects web addresses in any text (and asks before opening one); no
    // command, and nothing else, comes from ticket text.
    const commands = links.filter((l) => l.target?.scheme === 'command').map((l) => l.target!.path);
    assert.deepEqual([...new Set(commands)], ['agentFactory.openWorktree'], targets.join('\n'));
    assert.ok(!targets.some((t) => t.includes('workbench.action.quit')), 'a link made from ticket text');

    // The critical finding: error background, the ticket marked in the tree, the view's badge.
    api.agentsModel.scheduleRefresh();
    // Another suite's open finding may have turned it red already: wait for this ticket's link.
    const link = new RegExp(`\\[${id}\\]\\(command:agentFactory\\.openTicket\\?`);
    await eventually('the status bar turns red and its tooltip links the ticket', () => api.statusBarBackground() === 'statusBarItem.errorBackground' && /critical finding/.test(api.statusBarText()) && link.test(api.statusBarTooltip()));
    tickets.flush();
    const item = tickets.treeProvider.getTreeItem(tickets.treeProvider.ticketNode(id)!);
    assert.equal(item.resourceUri?.toString(), uri.toString());
    const mark = await eventually('the tree marks the ticket', () => tickets.decorations.provideFileDecoration(uri));
    // @types/vscode 1.90 does not declare ThemeColor.id, which the object carries.
    assert.deepEqual([mark.badge, (mark.color as unknown as { id: string }).id], ['!', 'list.errorForeground']);
    assert.ok((tickets.treeView.badge?.value ?? 0) >= 1);

    // The page's actions run their commands.
    const titles = (await lenses(uri)).filter((l) => l.line === TITLE_LINE).map((l) => l.title.replace(/^\$\([a-z-]+\) /, ''));
    // Review Changes and Land belong to another feature: the next test covers them.
    assert.deepEqual(titles.filter((t) => t !== 'Review Changes' && t !== 'Land'), ['Stop', 'Move…', 'Block', 'Edit', 'Message the Agent', 'Open Worktree', 'Open Log']);

    const openLog = await lensTitled(uri, 'Open Log');
    await click(api, openLog);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, log);
    await vscode.window.showTextDocument(editor.document);

    const edit = new ScriptedPrompter();
    edit.picks.push('Priority', 'High');
    await click(api, await lensTitled(uri, 'Edit'), edit);
    assert.equal(board.getTicket(id)?.priority, 2);
    assert.deepEqual(edit.offered[1], ['$(flame) Critical', '$(arrow-up) High', '$(dash) Medium', '$(arrow-down) Low'], 'most urgent first');
    assert.equal(board.history(id).at(-1)?.note, 'Edited priority medium → high');
    const toAgent = board.listMessages(board.findConversation(id, 'pm')!.id).at(-1);
    assert.deepEqual([toAgent?.toAgent, toAgent?.body.includes('Priority: high')], [true, true], 'the running agent gets the edit in its inbox');

    const message = new ScriptedPrompter();
    message.inputs.push({ tries: ['Use exponential backoff'] });
    await click(api, await lensTitled(uri, 'Message the Agent'), message);
    assert.equal(board.listMessages(board.findConversation(id, 'pm')!.id).at(-1)?.body, 'Use exponential backoff');

    const dismiss = new ScriptedPrompter();
    dismiss.picks.push('Test data');
    await click(api, await lensTitled(uri, 'Dismiss Finding'), dismiss);
    assert.equal(board.listBugs(id).find((b) => b.id === bug.id)?.dismissed?.reason, 'test-data');
    await eventually('the ticket needs no one for the finding any more', () => !api.attention.forTicket(id).some((i) => i.kind === 'finding'));

    const worktreeChoice = new ScriptedPrompter();
    worktreeChoice.picks.push('Open in Terminal');
    const before = new Set(vscode.window.terminals);
    await click(api, await lensTitled(uri, 'Open Worktree'), worktreeChoice);
    const opened = await eventually('a terminal opened in the worktree', () => vscode.window.terminals.find((t) => !before.has(t)));
    assert.equal(opened.name, `${id} worktree`);
    opened.dispose();

    await click(api, await lensTitled(uri, 'Stop'));
    await eventually('the run stopped', () => board.getRun(started?.run.id ?? '')?.status === 'cancelled');

    const block = new ScriptedPrompter();
    block.inputs.push({ tries: ['Waiting for the API key'] });
    await click(api, await lensTitled(uri, 'Block'), block);
    assert.equal(board.getTicket(id)?.status, 'BLOCKED');
    const unblock = new ScriptedPrompter();
    unblock.picks.push('In Development');
    await click(api, await lensTitled(uri, 'Unblock'), unblock);
    assert.equal(board.getTicket(id)?.status, 'IN_DEV');

    const move = new ScriptedPrompter();
    move.picks.push('Ready');
    await click(api, await lensTitled(uri, 'Move…'), move);
    assert.equal(board.getTicket(id)?.status, 'READY');
  });

  test('Review Changes and Land show on the page of a ticket with a worktree, with the ticket as their argument', async () => {
    const board = await ensureBoard();
    const id = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Page: review me', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: path.join(board.repoRoot, '..', 'none'), branch: 'factory/none', base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return t.id;
    });
    const uri = ticketDocumentUri(id);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const review = await lensTitled(uri, 'Review Changes');
    const land = await lensTitled(uri, 'Land');
    assert.deepEqual(
      [review.command, review.args, land.command, land.args],
      ['agentFactory.reviewChanges', [id], 'agentFactory.landTicket', [id]],
    );
  });
});
