import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { silentLogger, type CycleContext } from '../../../src/agents/agent';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree, WorktreeAgent, type WorktreeSettings } from '../../../src/agents/worktreeAgent';
import { systemClock } from '../../../src/domain/clock';
import { PIPELINE } from '../../../src/domain/status';
import type { Ticket } from '../../../src/domain/ticket';
import type { CreateWorktreeRequest, CreateWorktreeResult, GitCallOptions } from '../../../src/git/port';
import { samePath } from '../../../src/git/paths';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import type { Board } from '../../../src/store/api';
import type { GitApi, Repository } from '../../../src/vscode/git/gitApi';
import { loadGitApi, VsCodeGitPort } from '../../../src/vscode/git/vscodeGitPort';
import { repoState } from '../../unit/helpers/repoState';
import { ensureBoard, eventually, testApi } from '../board';
import { testWorkspace } from '../environment';
import { repositoryAt } from '../git';
import { ScriptedPrompter, ticketsApi, withPrompter } from './ticketsTestApi';

/** The simple-git adapter, noting which of its worktree calls the editor adapter fell back to. */
class RecordingGit extends SimpleGitPort {
  readonly calls: string[] = [];
  override createWorktree(repo: string, req: CreateWorktreeRequest, opts?: GitCallOptions): Promise<CreateWorktreeResult> {
    this.calls.push('createWorktree');
    return super.createWorktree(repo, req, opts);
  }
}

/** The same API whose repositories have no createWorktree, as in editors older than the worktree API. */
function withoutCreateWorktree(api: GitApi): GitApi {
  const hide = (repo: Repository | null | undefined): Repository | null =>
    repo ? new Proxy(repo, { get: (target, key, receiver) => (key === 'createWorktree' ? undefined : Reflect.get(target, key, receiver) as unknown) }) : null;
  return {
    get state() {
      return api.state;
    },
    get repositories() {
      return api.repositories.map((r) => hide(r)!);
    },
    getRepository: (uri) => hide(api.getRepository?.(uri)),
    openRepository: async (uri) => hide(await api.openRepository?.(uri)),
  };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

suite('Worktrees through the VS Code Git API', () => {
  let board: Board;
  let api: GitApi;
  let location: string;
  let settings: WorktreeSettings;
  const workspace = (): string => testWorkspace();

  const seedTicket = (title: string): Promise<Ticket> => board.write((tx) => tx.createTicket({ title, status: 'READY' }, 'user'));
  const finish = (id: string): Promise<void> =>
    board.write((tx) => {
      let t = tx.getTicket(id)!;
      for (const next of PIPELINE.slice(PIPELINE.indexOf('IN_DEV'))) t = tx.transition(id, t.status, next, 'runner');
    });
  const cycleContext = (): CycleContext => ({ board, clock: systemClock, log: silentLogger, signal: new AbortController().signal, setActivity() {} });

  suiteSetup(async () => {
    board = await ensureBoard();
    await repositoryAt(vscode.Uri.file(workspace()));
    const loaded = await loadGitApi();
    assert.ok(loaded.api, 'the built-in git extension is enabled');
    api = loaded.api;
    location = mkdtempSync(join(tmpdir(), 'af-worktrees-'));
    settings = { ...DEFAULT_WORKTREE_SETTINGS, location, baseBranch: 'main' };
    // The window's own Worktree agent would act on these tickets too; this suite drives its own.
    await vscode.commands.executeCommand('agentFactory.pauseAgent', 'Worktree');
    const agents = (await testApi()).agentsModel;
    const worktreeAgent = () => agents.statuses().find((s) => s.name === 'Worktree');
    if (worktreeAgent()) await eventually('the window\'s Worktree agent is paused', () => worktreeAgent()?.state === 'Paused');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('agentFactory.resumeAgent', 'Worktree');
    for (const line of git(workspace(), 'worktree', 'list', '--porcelain').split('\n')) {
      const path = line.startsWith('worktree ') ? line.slice('worktree '.length) : undefined;
      if (path && path.startsWith(location)) git(workspace(), 'worktree', 'remove', '--force', path);
    }
    git(workspace(), 'worktree', 'prune');
    rmSync(location, { recursive: true, force: true });
  });

  test('creates the worktree of a seeded ticket through the API, then the agent removes it once clean and merged', async () => {
    const recording = new RecordingGit();
    const port = new VsCodeGitPort(api, recording);
    const ticket = await seedTicket('Created through the editor');

    const wt = await ensureTicketWorktree(board, port, ticket, settings);
    assert.deepEqual(recording.calls, [], 'the API created it, not the fallback');
    assert.ok(samePath(wt.path, join(location, `${ticket.id}-created-through-the-editor`)));
    assert.equal(git(wt.path, 'rev-parse', '--abbrev-ref', 'HEAD'), wt.branch);
    assert.deepEqual(board.getTicket(ticket.id)?.worktree, wt);
    const repository = api.getRepository?.(vscode.Uri.file(workspace()));
    if (repository?.state.worktrees) {
      await eventually('the git extension lists the new worktree', () => repository.state.worktrees?.some((w) => samePath(w.path, wt.path)));
    }

    await finish(ticket.id);
    const agent = new WorktreeAgent({ git: port, settings: () => settings });
    await agent.runCycle(cycleContext());
    assert.equal(existsSync(wt.path), false);
    assert.equal(agent.lastReport?.entries.find((e) => samePath(e.path, wt.path))?.action, 'removed');
    const salvage = board.listSalvages({ ticketId: ticket.id })[0];
    assert.ok(salvage && existsSync(salvage.archiveDir), 'even a clean worktree is salvaged before it goes');
  });

  test('a confirmed removal of a dirty worktree salvages it first, then removes it all or nothing (not through the API)', async () => {
    const recording = new RecordingGit();
    const port = new VsCodeGitPort(api, recording);
    const ticket = await seedTicket('Dirty in the editor');
    const wt = await ensureTicketWorktree(board, port, ticket, settings);
    writeFileSync(join(wt.path, 'unsaved.txt'), 'work in progress\n');
    await finish(ticket.id);

    const agent = new WorktreeAgent({ git: port, settings: () => settings });
    await agent.runCycle(cycleContext());
    assert.ok(existsSync(join(wt.path, 'unsaved.txt')), 'the agent keeps a dirty worktree');

    const plan = await agent.planCleanup(board);
    const result = await agent.executeCleanup(board, plan, { confirmedDirty: [wt.path] });
    const removed = result.removed.find((r) => samePath(r.path, wt.path));
    assert.ok(removed && existsSync(removed.salvage.archiveDir));
    assert.equal(existsSync(wt.path), false);
  });

  test('Restore Worktree brings a worktree removed by Clean Up Worktrees back byte for byte; the ticket page lists its salvage; Delete Salvage removes it', async () => {
    const { api: testing } = await ticketsApi();
    const ticket = await seedTicket('Restore me');
    const wt = await ensureTicketWorktree(board, new SimpleGitPort(), ticket, settings);
    // An ignored file git status never shows, next to uncommitted and staged work.
    writeFileSync(join(wt.path, '.gitignore'), '.env\n');
    writeFileSync(join(wt.path, '.env'), 'TOKEN=only-on-this-disk\n');
    writeFileSync(join(wt.path, 'notes.md'), '# half-written\n');
    writeFileSync(join(wt.path, 'staged.txt'), 'staged\n');
    git(wt.path, 'add', 'staged.txt');
    await finish(ticket.id);
    const before = await repoState(workspace(), wt.path);

    const cleanup = new ScriptedPrompter();
    cleanup.picks.push(ticket.id);
    cleanup.warningAnswers.push('Remove');
    await withPrompter(testing, cleanup, () => vscode.commands.executeCommand('agentFactory.cleanUpWorktrees'));
    assert.equal(existsSync(wt.path), false, cleanup.infos.join(' | '));
    const [salvage] = board.listSalvages({ ticketId: ticket.id });
    assert.ok(salvage, 'the removal left a salvage');
    assert.match(cleanup.infos.join(' '), /salvaged first/);

    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(`agent-factory:/${ticket.id}`));
    await eventually('the ticket page lists the salvage', () => /^── Salvages \(1\) /m.test(doc.getText()) && doc.getText().includes(salvage.id));

    const restoring = new ScriptedPrompter();
    await withPrompter(testing, restoring, () => vscode.commands.executeCommand('agentFactory.restoreWorktree', ticket.id));
    assert.match(restoring.infos.join(' '), /every saved file exact/, restoring.warnings.map((w) => w.message).join(' | '));
    const after = await repoState(workspace(), wt.path);
    assert.deepEqual(after.files, before.files);
    assert.equal(after.index, before.index);
    assert.equal(after.head, before.head);
    assert.equal(after.headLog, before.headLog);
    assert.ok(board.getSalvage(salvage.id)?.restoredAt, 'the salvage records the restore and stays');

    const deleting = new ScriptedPrompter();
    deleting.warningAnswers.push('Delete');
    await withPrompter(testing, deleting, () => vscode.commands.executeCommand('agentFactory.deleteSalvage', salvage.id));
    assert.equal(board.getSalvage(salvage.id), undefined);
    assert.equal(existsSync(salvage.archiveDir), false);
    assert.equal(git(workspace(), 'for-each-ref', salvage.refPrefix), '');
    assert.ok(deleting.warnings.some((w) => w.modal), 'deleting asks first');
    git(workspace(), 'worktree', 'unlock', wt.path);
  });

  test('falls back to git when the API has no createWorktree', async () => {
    const recording = new RecordingGit();
    const port = new VsCodeGitPort(withoutCreateWorktree(api), recording);
    const ticket = await seedTicket('Older editor');
    const wt = await ensureTicketWorktree(board, port, ticket, settings);
    assert.deepEqual(recording.calls, ['createWorktree']);
    assert.ok(existsSync(join(wt.path, '.git')));
    assert.equal(git(wt.path, 'rev-parse', '--abbrev-ref', 'HEAD'), wt.branch);
  });

  test('falls back to git when there is no git extension at all', async () => {
    const recording = new RecordingGit();
    const port = new VsCodeGitPort(undefined, recording);
    const ticket = await seedTicket('No git extension');
    const wt = await ensureTicketWorktree(board, port, ticket, settings);
    assert.deepEqual(recording.calls, ['createWorktree']);
    assert.ok(existsSync(wt.path));
  });
});
