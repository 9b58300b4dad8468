import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HealOutcome } from '../../../src/agents/pm/heal';
import { openBoard } from '../../../src/store/sqlBoard';
import { AgentsModel } from '../../../src/vscode/agents/agentsModel';
import { AgentsTreeProvider } from '../../../src/vscode/agents/agentsView';
import { AttentionModel } from '../../../src/vscode/attention/attentionModel';
import { ensureBoard, eventually, testApi } from '../board';
import { ourExtension } from '../extension';
import { processStarters } from '../processes';

suite('Background agents in the editor', () => {
  test('the Agents view model lists the four agents and the lease holder runs them', async () => {
    await ensureBoard();
    const api = await testApi();
    const manager = await eventually('the agents started', () => api.manager());
    await eventually('this window holds the agents lease', () => manager.isLeader);
    assert.deepEqual(api.agentsModel.statuses().map((s) => s.name), ['PM', 'Security', 'Gatherer', 'Worktree']);
    await eventually('the PM finished a cycle', () => api.agentsModel.statuses().find((s) => s.name === 'PM')!.cycleCount > 0);
  });

  test('git commands start in the process starter, a child of the extension host, not in the host itself', async () => {
    await ensureBoard();
    const api = await testApi();
    await eventually('the Worktree agent finished a cycle (it runs git)', () => api.agentsModel.statuses().find((s) => s.name === 'Worktree')!.cycleCount > 0);
    const starter = await eventually('a process starter runs', () => processStarters()[0]);
    assert.ok(starter.cmdline.some((arg) => arg.startsWith(ourExtension().extensionPath)), `the starter is ours: ${starter.cmdline.join(' ')}`);
  });

  test('Heal Stuck Tickets moves a stuck IN_DEV ticket back to READY with a history row', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    const long = Date.now() - 10 * 60_000;
    const id = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Stuck since the crash', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      // The agent died ten minutes ago with the window on another machine that ran it: its
      // owner stopped heartbeating then.
      const run = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'crashed-agent', status: 'running' });
      tx.updateRun(run.id, { heartbeatAt: long, lastOutputAt: long, owner: 'another-machine:4242:window' });
      return t.id;
    });
    // The ticket only looks stuck once it has been idle longer than the grace period.
    await vscode.workspace.getConfiguration('agentFactory').update('pm.healGraceMinutes', 0, vscode.ConfigurationTarget.Workspace);
    const infos: string[] = [];
    const original = api.prompter.current;
    api.prompter.current = { ...original, info: async (message: string) => { infos.push(message); return undefined; } };
    await new Promise((r) => setTimeout(r, 20));
    try {
      const outcome = await vscode.commands.executeCommand<HealOutcome>('agentFactory.healStuckTickets');
      assert.ok(outcome.healed.some((h) => h.ticketId === id));
      assert.equal(board.getTicket(id)?.status, 'READY');
      const last = board.history(id).at(-1)!;
      assert.equal(last.from, 'IN_DEV');
      assert.equal(last.to, 'READY');
      assert.equal(last.by, 'PM');
      assert.match(infos.join('\n'), /Healed \d+ stuck ticket/);
    } finally {
      api.prompter.current = original;
      await vscode.workspace.getConfiguration('agentFactory').update('pm.healGraceMinutes', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('pausing an agent shows in the view and resuming brings it back', async () => {
    await ensureBoard();
    const api = await testApi();
    const manager = await eventually('the agents started', () => api.manager());
    await vscode.commands.executeCommand('agentFactory.pauseAgent', 'Gatherer');
    await eventually('the Gatherer shows Paused', () => api.agentsModel.statuses().find((s) => s.name === 'Gatherer')?.state === 'Paused');
    await vscode.commands.executeCommand('agentFactory.resumeAgent', 'Gatherer');
    await eventually('the Gatherer runs again', () => manager.statuses().find((s) => s.name === 'Gatherer')?.state !== 'Paused');
  });

  test('the status bar item reflects a stalled run', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    const manager = await eventually('the agents started', () => api.manager());
    const start = Date.now() - 30 * 60_000;
    await board.write((tx) => {
      const t = tx.createTicket({ title: 'Quiet agent', status: 'READY' }, 'user');
      const run = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'quiet-agent', status: 'running', startedAt: start });
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      // Alive (its owner heartbeats) but silent for 30 minutes: stalled.
      tx.updateRun(run.id, { heartbeatAt: Date.now() + 10 * 60_000 });
      return run.id;
    });
    await manager.runNow('PM');
    const text = await eventually('the status bar shows the stalled run', () => /\d+ stalled/.test(api.statusBarText()) && api.statusBarText());
    assert.match(text, /^\$\((warning|error)\) .*\d+ stalled/);
  });

  test('Heal during the grace period says which tickets wait and until when; a single heal offers to open the ticket', async () => {
    const board = await ensureBoard();
    const api = await testApi();
    const manager = await eventually('the agents started', () => api.manager());
    await manager.pause('PM');
    const infos: { message: string; actions: string[] }[] = [];
    const answers: (string | undefined)[] = [];
    const original = api.prompter.current;
    api.prompter.current = {
      ...original,
      info: async <T extends string>(message: string, ...actions: T[]) => {
        infos.push({ message, actions });
        return actions.find((a) => a === answers.shift());
      },
    };
    try {
      // Whatever other tests left stuck is healed first (no grace), so the last heal is about this ticket alone.
      const pm = vscode.workspace.getConfiguration('agentFactory');
      await pm.update('pm.healGraceMinutes', 0, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('agentFactory.healStuckTickets');
      await pm.update('pm.healGraceMinutes', undefined, vscode.ConfigurationTarget.Workspace);
      const ended = Date.now() - 30_000;
      const id = await board.write((tx) => {
        const t = tx.createTicket({ title: 'Just died', status: 'READY' }, 'user');
        tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
        const run = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'crashed-agent', status: 'failed' });
        tx.updateRun(run.id, { endedAt: ended, heartbeatAt: ended });
        return t.id;
      });
      infos.length = 0;
      const early = await vscode.commands.executeCommand<HealOutcome>('agentFactory.healStuckTickets');
      assert.deepEqual(early.healed, []);
      // Idle since it entered IN_DEV (after its run ended): healable a grace period after that.
      const idleSince = Math.max(board.getTicket(id)!.statusSince, ended);
      assert.deepEqual(early.waiting.filter((w) => w.ticketId === id).map((w) => w.healableAt), [idleSince + 2 * 60_000 + 1]);
      assert.match(infos[0]?.message ?? '', new RegExp(`^No ticket can be healed yet\\. .*${id} at .+ \\(in [^)]+\\)`));

      // Once the grace period is over (here: set to none), the next Heal heals it.
      await pm.update('pm.healGraceMinutes', 0, vscode.ConfigurationTarget.Workspace);
      answers.push(`Open ${id}`);
      const healed = await vscode.commands.executeCommand<HealOutcome>('agentFactory.healStuckTickets');
      assert.deepEqual(healed.healed.map((h) => h.ticketId), [id]);
      assert.deepEqual(infos[1], { message: `Healed 1 stuck ticket: ${id}.`, actions: [`Open ${id}`] });
      await eventually('the healed ticket opened', () => vscode.window.activeTextEditor?.document.uri.toString() === `agent-factory:/${id}`);
    } finally {
      api.prompter.current = original;
      await vscode.workspace.getConfiguration('agentFactory').update('pm.healGraceMinutes', undefined, vscode.ConfigurationTarget.Workspace);
      await manager.resume('PM');
    }
  });

  test('after a reload of the window the agents show again within 3 s', async () => {
    await ensureBoard();
    const api = await testApi();
    const view = new AgentsTreeProvider(api.agentsModel);
    const shown = () =>
      view
        .getChildren()
        .filter((n) => n.kind === 'agent')
        .map((n) => view.getTreeItem(n))
        .filter((item) => (item.iconPath as vscode.ThemeIcon | undefined)?.id !== 'circle-slash');
    await eventually('the agents run before the reload', () => shown().length === 4);

    const reloaded = Date.now();
    await api.reloadBoard();
    // What a person sees: the four agents listed, none Stopped. Generous only against a hang: the
    // bound is the one the product promises.
    await eventually('the agents show again', () => shown().length === 4, 10_000);
    const took = Date.now() - reloaded;
    assert.ok(took <= 3000, `the agents came back after ${took} ms`);
    assert.deepEqual(shown().map((i) => i.label), ['PM', 'Security', 'Gatherer', 'Worktree']);
    await eventually('this window runs them again', () => api.manager()?.isLeader === true);
  });

  test('the Agents view refreshes when a row changes, not on every board write', async () => {
    // A board of its own, without agents: nothing but this test writes to it.
    const root = mkdtempSync(join(tmpdir(), 'af-agents-view-'));
    const board = await openBoard({ dir: join(root, '.factory'), repoRoot: root, create: true, pollMs: 0 });
    const attention = new AttentionModel(0);
    const model = new AgentsModel(attention, async () => [], 0);
    const view = new AgentsTreeProvider(model);
    let refreshes = 0;
    const counting = view.onDidChangeTreeData(() => refreshes++);
    const modelChanged = () => new Promise<void>((resolve) => {
      const once = model.onDidChange(() => {
        once.dispose();
        resolve();
      });
    });
    try {
      let changed = modelChanged();
      model.bind(board, undefined);
      await changed;
      assert.equal(refreshes, 1, 'the first change shows the board');

      // Written several times a minute on a quiet board, shown nowhere: not even looked at.
      let looked = false;
      const looking = model.onDidChange(() => (looked = true));
      await board.acquireLease('agents', 30_000);
      await board.write((tx) => tx.setMeta('test.unshown', String(Date.now())));
      await new Promise((resolve) => setTimeout(resolve, 100));
      looking.dispose();
      assert.equal(looked, false, 'a lease renewal or an unshown meta value is not looked at');

      // An agent's published status, in a window without the agents: looked at, and no row changes.
      changed = modelChanged();
      await board.write((tx) => tx.setAgentState('PM', { status: { state: 'Idle', activity: 'elsewhere' } }));
      await changed;
      assert.equal(refreshes, 1, 'a write that changes no row refreshes nothing');

      changed = modelChanged();
      const ticket = await board.write((tx) => tx.createTicket({ title: 'Worked on', status: 'READY' }, 'user'));
      await changed;
      const before = refreshes;
      changed = modelChanged();
      await board.write((tx) => tx.createRun({ ticketId: ticket.id, stage: 'IN_DEV', agent: 'someone', status: 'running' }));
      await changed;
      assert.equal(refreshes, before + 1, 'a new live run is a new row');
      const runs = view.getChildren().find((n) => n.kind === 'runs');
      assert.ok(runs && view.getChildren(runs).length === 1);

      // A run's tooltip is made on hover, from the run as it is then: VS Code may still hold the row
      // it was given before the run reported its tokens.
      const [runNode] = view.getChildren(runs);
      assert.ok(runNode?.kind === 'run');
      const item = view.getTreeItem(runNode);
      assert.equal(item.tooltip, undefined, 'no tooltip before the pointer rests on the row');
      const tooltipOf = (shown: vscode.TreeItem): string => (typeof shown.tooltip === 'string' ? shown.tooltip : (shown.tooltip?.value ?? ''));
      assert.match(tooltipOf(view.resolveTreeItem(item, runNode)), /Tokens: none reported yet/);
      changed = modelChanged();
      await board.write((tx) => tx.setRunUsage(runNode.run.id, { inputTokens: 1200, outputTokens: 34, cachedTokens: 0 }));
      await changed;
      const tooltip = tooltipOf(view.resolveTreeItem(view.getTreeItem(runNode), runNode));
      assert.match(tooltip, /Tokens: 1\.2k in · 34 out/);
      assert.match(tooltip, /Ticket so far: /);

      // Off screen, changes are only noted; the view catches up when it shows again.
      let onScreen = false;
      view.visible = () => onScreen;
      const hidden = refreshes;
      changed = modelChanged();
      await board.write((tx) => tx.createRun({ ticketId: ticket.id, stage: 'IN_DEV', agent: 'someone else', status: 'running' }));
      await changed;
      assert.equal(refreshes, hidden, 'nothing is refreshed off screen');
      onScreen = true;
      view.cameIntoView();
      assert.equal(refreshes, hidden + 1, 'the second run shows once the view does');
      view.cameIntoView();
      assert.equal(refreshes, hidden + 1, 'and only once');
    } finally {
      counting.dispose();
      view.dispose();
      model.dispose();
      attention.dispose();
      await board.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
