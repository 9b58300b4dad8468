/**
 * The ways a cleanup used to lose work, scenarios 5 to 8 (1 to 4 are in worktreeScenarios1to4),
 * each against a real repository: the automatic path keeps the worktree untouched (every file,
 * ignored ones included, every ref, the stash list and the reflogs compared before and after), the
 * confirmed path salvages and removes it, and Restore Worktree gives back exactly what was there.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { restoreWorktree } from '../../../src/agents/worktreeSalvages';
import { samePath } from '../../../src/git/paths';
import { repoState } from '../helpers/repoState';
import { git, gitEnv } from '../helpers/tempRepo';
import { giveAway, runUnprivileged, unprivilegedUnavailable } from '../helpers/unprivileged';
import { scenarioKit } from '../helpers/worktreeScenarioKit';

void describe('Worktree scenarios 5-8: nothing is lost', () => {
  const kit = scenarioKit();
  const { children, write, finished, assertSame, keptByCycle, confirmedThenRestored } = kit;

  void it('5. a staged version that differs from the working copy, and a stash made in the worktree', async () => {
    const w = await finished('Staged', (p) => {
      writeFileSync(join(p, 'notes.txt'), 'stashed thought\n');
      git(p, 'add', 'notes.txt');
      git(p, 'stash', 'push', '-q', '-m', 'thought for later', '--', 'notes.txt');
      writeFileSync(join(p, 'src', 'app.ts'), 'export const v = 2; // staged\n');
      git(p, 'add', 'src/app.ts');
      writeFileSync(join(p, 'src', 'app.ts'), 'export const v = 3; // working copy\n');
    });
    const before = await keptByCycle(w, 'dirty');
    await confirmedThenRestored(w, before);
    assert.equal(git(w.path, 'show', ':src/app.ts'), 'export const v = 2; // staged');
    assert.equal(readFileSync(join(w.path, 'src', 'app.ts'), 'utf8'), 'export const v = 3; // working copy\n');
  });

  void it('5b. a clean worktree whose only work is a stash made in it is not removed without asking', async () => {
    const w = await finished('Stash only', (p) => {
      writeFileSync(join(p, 'README.md'), 'stashed edit\n');
      git(p, 'stash', 'push', '-q', '-m', 'later');
    });
    await keptByCycle(w, 'stash');
  });

  void it('6. a worktree in use by a process: kept by the agent and by a confirmed cleanup, removed once the process ends', async () => {
    const w = await finished('In use', () => undefined);
    const shell = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: w.path, stdio: 'ignore' });
    children.push(shell);
    const before = await keptByCycle(w, 'busy');
    assert.match(kit.fx.entryFor(w.path)?.note ?? '', new RegExp(`pid ${shell.pid}`));
    const plan = await kit.fx.agent.planCleanup(kit.fx.board);
    const result = await kit.fx.agent.executeCleanup(kit.fx.board, plan, { confirmedDirty: true });
    assert.equal(result.removed.length, 0);
    assertSame(await repoState(kit.fx.repo.root, w.path), before);
    shell.kill('SIGKILL');
    await new Promise((r) => shell.once('exit', r));
    await kit.fx.agent.runCycle(kit.fx.ctx());
    assert.equal(kit.fx.entryFor(w.path)?.action, 'removed', kit.fx.entryFor(w.path)?.note);
    const restored = await restoreWorktree(kit.fx.board, { id: w.id });
    assert.deepEqual(restored.differences, []);
    assertSame(await repoState(kit.fx.repo.root, w.path), before);
  });

  void describe('7. a failed removal', () => {
    void it('an unreadable or undeletable folder: kept, as an unprivileged user, and still reported by the next cycle', async (t) => {
      const why = unprivilegedUnavailable();
      if (why) return t.skip(why);
      // Committed and merged: the one kind of worktree a cycle may remove, so it looks closely.
      const w = await finished('Permissions', (p, branch) => {
        write(p, 'locked-dir/inside.txt', 'cannot be deleted from here\n');
        kit.fx.commitIn(p, 'secret-dir/hidden.txt', 'cannot be read\n');
        git(kit.fx.repo.root, 'merge', '-q', '--no-edit', branch);
      });
      giveAway(kit.fx.repo.parent);
      giveAway(kit.fx.tb.root);
      chmodSync(join(w.path, 'locked-dir'), 0o555);
      const before = await repoState(kit.fx.repo.root, w.path);
      const home = mkdtempSync(join(tmpdir(), 'af-home-'));
      giveAway(home);
      const child = join(__dirname, 'children', 'worktreeChild.js');
      const env = { ...gitEnv, HOME: home };
      const run = async (mode: 'cycle' | 'cleanup'): Promise<Record<string, unknown>> => {
        const r = await runUnprivileged(child, [kit.fx.tb.dir, kit.fx.repo.root, mode, JSON.stringify(kit.fx.settings)], env);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as Record<string, unknown>;
      };
      try {
        const cycle = (await run('cycle')) as { report: { entries: { path: string; action: string; keptBecause?: string; note?: string }[] } };
        const entry = cycle.report.entries.find((e) => samePath(e.path, w.path));
        assert.equal(entry?.action, 'kept', entry?.note);
        assert.equal(entry?.keptBecause, 'permissions');
        assert.match(entry?.note ?? '', /locked-dir/);

        chmodSync(join(w.path, 'secret-dir'), 0o000);
        const cleanup = (await run('cleanup')) as { outcome: { removed: unknown[]; skipped: { reason: string }[] } };
        assert.equal(cleanup.outcome.removed.length, 0);
        assert.match(cleanup.outcome.skipped.map((s) => s.reason).join(' '), /cannot read secret-dir/);
        chmodSync(join(w.path, 'secret-dir'), 0o755);

        assertSame(await repoState(kit.fx.repo.root, w.path), before);
        const next = (await run('cycle')) as { result: { summary: string }; report: { entries: { path: string }[] } };
        assert.ok(next.report.entries.some((e) => samePath(e.path, w.path)), next.result.summary);
      } finally {
        chmodSync(join(w.path, 'locked-dir'), 0o755);
        chmodSync(join(w.path, 'secret-dir'), 0o755);
        rmSync(home, { recursive: true, force: true });
      }
    });

    void it('a deletion that fails half way: the folder is put back complete and stays registered; the next cycle still reports it', async (t) => {
      const w = await finished('Undeletable file', (p, branch) => {
        for (let i = 0; i < 40; i++) write(p, `many/file-${i}.txt`, `content ${i}\n`);
        kit.fx.commitIn(p, 'zz-immutable.txt', 'the file that stops the deletion\n');
        git(kit.fx.repo.root, 'merge', '-q', '--no-edit', branch);
      });
      const immutable = join(w.path, 'zz-immutable.txt');
      const set = spawnSync('chattr', ['+i', immutable]);
      if (set.status !== 0) return t.skip(`cannot make a file undeletable here (chattr: ${set.error?.message ?? set.stderr.toString().trim()})`);
      try {
        const before = await repoState(kit.fx.repo.root, w.path);
        await kit.fx.agent.runCycle(kit.fx.ctx());
        const entry = kit.fx.entryFor(w.path);
        assert.equal(entry?.action, 'kept', entry?.note);
        assert.match(entry?.note ?? '', /deleting it failed .*put back/);
        assertSame(await repoState(kit.fx.repo.root, w.path), before);
        assert.ok((await kit.fx.port.listWorktrees(kit.fx.repo.root)).some((e) => samePath(e.path, w.path) && !e.prunable), 'still registered, with its folder');
        const next = await kit.fx.agent.runCycle(kit.fx.ctx());
        assert.match(next.summary, /^1 worktree/);
        assert.match(kit.fx.entryFor(w.path)?.note ?? '', /removing it failed .* ago/, 'not retried every cycle');
      } finally {
        spawnSync('chattr', ['-i', immutable]);
      }
    });
  });

  void describe('8. a worktree folder moved by hand while its ticket is active', () => {
    void it('moved beside the others: found, its link repaired, the ticket follows it, nothing is created at the old place', async () => {
      const t = await kit.fx.startedIn('Moved', 'IN_DEV');
      writeFileSync(join(t.worktree.path, 'work.txt'), 'in progress\n');
      git(t.worktree.path, 'add', 'work.txt');
      const moved = join(kit.fx.location(), 'my-copy');
      renameSync(t.worktree.path, moved);
      const before = await repoState(kit.fx.repo.root, moved);

      const result = await kit.fx.agent.runCycle(kit.fx.ctx());
      assert.match(result.summary, /moved by hand to .*my-copy/);
      assert.ok(samePath(kit.fx.board.getTicket(t.id)!.worktree!.path, moved));
      assert.equal(existsSync(t.worktree.path), false, 'no second worktree at the old place');
      const list = await kit.fx.port.listWorktrees(kit.fx.repo.root);
      assert.ok(list.some((e) => samePath(e.path, moved) && !e.prunable));
      assertSame(await repoState(kit.fx.repo.root, moved), before);
    });

    void it('moved out of reach: recreated under a new admin folder, the copy never shares it, its git state salvaged', async () => {
      const t = await kit.fx.startedIn('Moved away', 'IN_DEV');
      writeFileSync(join(t.worktree.path, 'staged.txt'), 'staged in the copy\n');
      git(t.worktree.path, 'add', 'staged.txt');
      const oldAdmin = git(t.worktree.path, 'rev-parse', '--absolute-git-dir');
      const far = mkdtempSync(join(tmpdir(), 'af-far-'));
      const moved = join(far, 'copy');
      renameSync(t.worktree.path, moved);
      const filesBefore = (await repoState(kit.fx.repo.root, t.worktree.path).catch(() => undefined))?.files;
      assert.equal(filesBefore, undefined);
      try {
        await kit.fx.agent.runCycle(kit.fx.ctx());
        assert.equal(kit.fx.entryFor(t.worktree.path)?.action, 'recreated', kit.fx.entryFor(t.worktree.path)?.note);
        const newAdmin = git(t.worktree.path, 'rev-parse', '--absolute-git-dir');
        assert.notEqual(newAdmin, oldAdmin, 'a new admin folder');
        assert.equal(existsSync(oldAdmin), false, 'the old one is gone, so the copy cannot reach the new worktree through it');
        assert.equal(readFileSync(join(moved, '.git'), 'utf8').trim(), `gitdir: ${oldAdmin}`, 'the copy was not touched');
        assert.equal(readFileSync(join(moved, 'staged.txt'), 'utf8'), 'staged in the copy\n');
        const [salvage] = kit.fx.board.listSalvages({ ticketId: t.id });
        assert.ok(salvage?.summary.folderGone, 'what only the old admin folder held (the staged file) was saved');
        assert.equal(git(kit.fx.repo.root, 'show', `${salvage.refPrefix}/index:staged.txt`), 'staged in the copy');
        assert.match(kit.fx.entryFor(t.worktree.path)?.note ?? '', new RegExp(salvage.id));
      } finally {
        rmSync(far, { recursive: true, force: true });
      }
    });
  });
});
