import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installSecurityGate } from '../../../src/agents/securityGate';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree, WorktreeAgent } from '../../../src/agents/worktreeAgent';
import type { Salvage } from '../../../src/domain/salvage';
import { systemClock } from '../../../src/domain/clock';
import { PIPELINE } from '../../../src/domain/status';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { cli } from './cliProcess';

void describe('agent-factory salvages, restore, delete-salvage', () => {
  let repo: TempRepo;
  let board: SqlBoard;
  let worktree: string;
  const port = new SimpleGitPort();

  before(async () => {
    repo = makeTempRepo();
    repo.write('.gitignore', '.env\n');
    repo.commit('ignore .env');
    assert.equal((await cli(['init'], { cwd: repo.root })).code, 0);
    board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, pollMs: 0, create: false });
    // Moves into DONE scan the ticket's change first, as in every host.
    installSecurityGate(board, { git: port, settings: () => DEFAULT_SECURITY_SETTINGS, clock: systemClock });
    const ticket = await board.write((tx) => tx.createTicket({ title: 'Salvage me', status: 'READY' }, 'user'));
    worktree = (await ensureTicketWorktree(board, port, ticket, DEFAULT_WORKTREE_SETTINGS)).path;
    writeFileSync(path.join(worktree, '.env'), 'SECRET=only-here\n');
    writeFileSync(path.join(worktree, 'draft.md'), '# draft\n');
    await board.write((tx) => {
      let t = tx.getTicket(ticket.id)!;
      for (const next of PIPELINE.slice(PIPELINE.indexOf('IN_DEV'))) t = tx.transition(t.id, t.status, next, 'runner');
    });
    const agent = new WorktreeAgent({ git: port, settings: () => DEFAULT_WORKTREE_SETTINGS });
    const result = await agent.executeCleanup(board, await agent.planCleanup(board), { confirmedDirty: true });
    assert.equal(result.removed.length, 1, JSON.stringify(result.skipped));
  });
  after(async () => {
    await board.close();
    repo.dispose();
  });

  void it('salvages and show list the salvage with its size', async () => {
    const listed = await cli(['salvages', '--json'], { cwd: repo.root });
    assert.equal(listed.code, 0, listed.stderr);
    const [salvage] = JSON.parse(listed.stdout) as Salvage[];
    assert.equal(salvage?.ticketId, 'T-1');
    assert.ok((salvage?.savedBytes ?? 0) > 0);
    const text = await cli(['salvages', 'T-1'], { cwd: repo.root });
    assert.match(text.stdout, new RegExp(`${salvage.id}\\s+T-1 `));
    const show = await cli(['show', 'T-1'], { cwd: repo.root });
    assert.match(show.stdout, /Salvages \(agent-factory restore <id>\):\n {2}sv-/);
  });

  void it('restore <ticket> brings the worktree back, ignored file included, and says it is exact', async () => {
    const r = await cli(['restore', 't-1'], { cwd: repo.root });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Every saved file is back byte for byte\./);
    assert.equal(readFileSync(path.join(worktree, '.env'), 'utf8'), 'SECRET=only-here\n');
    assert.equal(readFileSync(path.join(worktree, 'draft.md'), 'utf8'), '# draft\n');
    assert.match(git(repo.root, 'worktree', 'list', '--porcelain'), /locked restored from salvage/);

    const again = await cli(['restore', 'T-1', '--json'], { cwd: repo.root });
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as { path: string; branch: string | null; notes: string[]; differences: string[] };
    assert.equal(second.path, `${worktree}-restored`, 'the original place is taken, so it goes beside it');
    assert.equal(second.branch, null);
    assert.match(second.notes.join(' '), /detached at .*is checked out in/);
    assert.deepEqual(second.differences, []);
  });

  void it('refuses bad ids with the exit codes scripts branch on', async () => {
    assert.equal((await cli(['restore', 'nonsense'], { cwd: repo.root })).code, 2);
    assert.equal((await cli(['restore', 'sv-0000000000000000'], { cwd: repo.root })).code, 3);
    const whole = await cli(['delete-salvage', 'T-1'], { cwd: repo.root });
    assert.equal(whole.code, 2);
    assert.match(whole.stderr, /never a whole ticket/);
  });

  void it('delete-salvage removes the refs, the archive and the record, and only that', async () => {
    await board.refresh();
    const [salvage] = board.listSalvages({ ticketId: 'T-1' });
    assert.ok(salvage && existsSync(salvage.archiveDir));
    const r = await cli(['delete-salvage', salvage.id], { cwd: repo.root });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Deleted salvage ${salvage.id}`));
    await board.refresh();
    assert.equal(board.getSalvage(salvage.id), undefined);
    assert.equal(existsSync(salvage.archiveDir), false);
    assert.equal(git(repo.root, 'for-each-ref', 'refs/agent-factory/'), '');
    assert.ok(existsSync(path.join(worktree, 'draft.md')), 'the restored worktrees stay');
  });
});
