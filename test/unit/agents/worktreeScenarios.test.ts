/**
 * The eight ways a cleanup used to lose work, each against a real repository: the automatic path
 * keeps the worktree untouched (every file, ignored ones included, every ref, the stash list and
 * the reflogs compared before and after), the confirmed path salvages and removes it, and Restore
 * Worktree gives back exactly what was there.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { restoreWorktree } from '../../../src/agents/worktreeSalvages';
import type { Salvage } from '../../../src/domain/salvage';
import type { KeptBecause } from '../../../src/git/cleanupPolicy';
import { samePath } from '../../../src/git/paths';
import { repoState, type RepoState } from '../helpers/repoState';
import { git, gitEnv } from '../helpers/tempRepo';
import { giveAway, runUnprivileged, unprivilegedUnavailable } from '../helpers/unprivileged';
import { makeWorktreeFixture, type WorktreeFixture } from '../helpers/worktreeFixture';

interface Finished {
  id: string;
  path: string;
  branch: string;
}

/** Files a salvage leaves out on purpose (regenerable folders), compared on neither side. */
type LeftOut = (rel: string) => boolean;

void describe('Worktree scenarios: nothing is lost', () => {
  let fx: WorktreeFixture;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    fx = await makeWorktreeFixture({ project: true });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await fx.dispose();
  });

  const write = (dir: string, rel: string, content: string | Buffer): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  };

  const nestedRepo = (dir: string): void => {
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'lib.txt'), 'vendored with local fixes\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'nested work');
    writeFileSync(join(dir, 'uncommitted.txt'), 'not even committed in the nested repository\n');
  };

  /** A DONE ticket whose worktree `prepare` filled in; its branch is merged into main first unless `unmerged`. */
  const finished = async (title: string, prepare: (path: string, branch: string) => void, opts: { unmerged?: boolean } = {}): Promise<Finished> => {
    const t = await fx.startedIn(title, 'IN_DEV');
    fx.commitIn(t.worktree.path, `${t.id}.txt`, `committed work of ${t.id}\n`);
    if (!opts.unmerged) git(fx.repo.root, 'merge', '-q', '--no-edit', t.worktree.branch);
    prepare(t.worktree.path, t.worktree.branch);
    await fx.moveTo(t.id, 'DONE');
    return { id: t.id, path: t.worktree.path, branch: t.worktree.branch };
  };

  const assertSame = (after: RepoState, before: RepoState, leftOut: LeftOut = () => false): void => {
    const files = (s: RepoState) => new Map([...s.files].filter(([rel]) => !leftOut(rel)));
    assert.deepEqual(files(after), files(before), 'every file, ignored ones included, has the same bytes');
    assert.deepEqual(after.refs, before.refs, 'every ref');
    assert.deepEqual(after.stash, before.stash, 'the stash list');
    assert.deepEqual(after.reflogs, before.reflogs, "the repository's reflogs");
    assert.equal(after.headLog, before.headLog, "the worktree's own HEAD reflog");
    assert.equal(after.head, before.head, 'HEAD');
    assert.equal(after.index, before.index, 'the index, with its flags');
  };

  /** One cycle: the worktree must be kept, for `keptBecause`, and not a byte of it changed. */
  const keptByCycle = async (w: Finished, keptBecause: KeptBecause): Promise<RepoState> => {
    const before = await repoState(fx.repo.root, w.path);
    await fx.agent.runCycle(fx.ctx());
    const entry = fx.entryFor(w.path);
    assert.equal(entry?.action, 'kept', entry?.note);
    assert.equal(entry?.keptBecause, keptBecause, entry?.note);
    assertSame(await repoState(fx.repo.root, w.path), before);
    assert.deepEqual(fx.board.listSalvages(), [], 'a kept worktree leaves no salvage behind');
    return before;
  };

  /** The confirmed path: salvaged, removed; then restored exactly as `before`. */
  const confirmedThenRestored = async (w: Finished, before: RepoState, leftOut?: LeftOut): Promise<{ salvage: Salvage; report: string }> => {
    const plan = await fx.agent.planCleanup(fx.board);
    const result = await fx.agent.executeCleanup(fx.board, plan, { confirmedDirty: [w.path] });
    const removed = result.removed.find((r) => samePath(r.path, w.path));
    assert.ok(removed, JSON.stringify(result.skipped));
    assert.equal(existsSync(w.path), false);
    assert.equal((await fx.port.listWorktrees(fx.repo.root)).some((e) => samePath(e.path, w.path)), false, 'registration and folder went together');
    const restored = await restoreWorktree(fx.board, { id: removed.salvage.id });
    assert.deepEqual(restored.differences, []);
    assert.ok(samePath(restored.path, w.path));
    assertSame(await repoState(fx.repo.root, w.path), before, leftOut);
    return removed;
  };

  void it('1. ignored files: .env, build output, node_modules and a nested repository under an ignored path', async () => {
    const w = await finished('Ignored work', (p) => {
      write(p, '.env', 'API_KEY=only-on-this-disk\n');
      chmodSync(join(p, '.env'), 0o600);
      write(p, 'build/app.js', 'compiled();\n');
      write(p, 'node_modules/dep/index.js', 'module.exports = 1;\n');
      nestedRepo(join(p, 'vendor-cache', 'lib'));
    });
    assert.equal(git(w.path, 'status', '--porcelain'), '', 'git status sees none of it');
    const before = await keptByCycle(w, 'nested-repo');
    const { salvage, report } = await confirmedThenRestored(w, before, (rel) => rel.startsWith('node_modules/'));
    assert.match(report, /left out: node_modules \(regenerable/);
    assert.deepEqual(salvage.summary.leftOut.map((l) => l.path), ['node_modules']);
    assert.equal(git(join(w.path, 'vendor-cache', 'lib'), 'log', '--format=%s'), 'nested work');
  });

  void it('1b. only regenerable folders: removed automatically, after a salvage, with the folders named', async () => {
    const w = await finished('Regenerable only', (p) => write(p, 'node_modules/dep/index.js', 'module.exports = 1;\n'));
    const before = await repoState(fx.repo.root, w.path);
    await fx.agent.runCycle(fx.ctx());
    const entry = fx.entryFor(w.path);
    assert.equal(entry?.action, 'removed', entry?.note);
    assert.match(entry?.note ?? '', /left out: node_modules \(regenerable/);
    const restored = await restoreWorktree(fx.board, { id: w.id });
    assert.deepEqual(restored.differences, []);
    assertSame(await repoState(fx.repo.root, w.path), before, (rel) => rel.startsWith('node_modules/'));
  });

  void it('2. a detached HEAD with new commits: kept by the agent, the commits under a salvage ref after a confirmed removal', async () => {
    let detached = '';
    const w = await finished(
      'Detached work',
      (p) => {
        git(p, 'checkout', '-q', '--detach');
        fx.commitIn(p, 'detached-1.txt', 'one\n');
        fx.commitIn(p, 'detached-2.txt', 'two\n');
        detached = git(p, 'rev-parse', 'HEAD');
      },
      { unmerged: true },
    );
    const before = await keptByCycle(w, 'unmerged');
    const { salvage } = await confirmedThenRestored(w, before);
    assert.equal(git(fx.repo.root, 'rev-parse', `${salvage.refPrefix}/head`), detached, 'reachable from a salvage ref');
    assert.equal(before.head, detached);
  });

  void it("2b. the ticket's branch deleted under its worktree: its commits are kept by the salvage, the unborn state comes back", async () => {
    let lost = '';
    const w = await finished(
      'Branch deleted',
      (p, branch) => {
        fx.commitIn(p, 'only-on-the-branch.txt', 'work\n');
        lost = git(p, 'rev-parse', 'HEAD');
        git(fx.repo.root, 'update-ref', '-d', `refs/heads/${branch}`);
      },
      { unmerged: true },
    );
    const before = await keptByCycle(w, 'dirty');
    const { salvage } = await confirmedThenRestored(w, before);
    assert.ok(git(fx.repo.root, 'rev-list', `${salvage.refPrefix}/keep`).split('\n').includes(lost), 'the lost commit is reachable from the salvage');
  });

  void it('3. skip-worktree and assume-unchanged edits look clean: kept, then restored with their flags', async () => {
    const w = await finished('Hidden edits', (p) => {
      git(p, 'update-index', '--skip-worktree', 'README.md');
      writeFileSync(join(p, 'README.md'), '# edited behind skip-worktree\n');
      git(p, 'update-index', '--assume-unchanged', 'src/app.ts');
      writeFileSync(join(p, 'src', 'app.ts'), 'export const v = 42; // assumed unchanged\n');
    });
    assert.equal(git(w.path, 'status', '--porcelain'), '');
    const before = await keptByCycle(w, 'hidden-changes');
    await confirmedThenRestored(w, before);
    assert.equal(readFileSync(join(w.path, 'README.md'), 'utf8'), '# edited behind skip-worktree\n');
  });

  void it('4a. content a clean filter hides: kept, saved as the bytes on disk, restored as them', async () => {
    // As long as REDACTED, so git status, trusting the size, sees nothing either.
    const w = await finished('Filtered', (p) => writeFileSync(join(p, 'secret.txt'), 'token=s3cr3t!!\n'));
    assert.equal(git(w.path, 'status', '--porcelain'), '', 'the filter hides the change from git status');
    const before = await keptByCycle(w, 'filtered');
    await confirmedThenRestored(w, before);
    assert.equal(readFileSync(join(w.path, 'secret.txt'), 'utf8'), 'token=s3cr3t!!\n');
  });

  void it('4b. an untracked nested repository: archived whole, its history and uncommitted files come back', async () => {
    const w = await finished('Nested', (p) => nestedRepo(join(p, 'experiments')));
    const before = await keptByCycle(w, 'dirty');
    await confirmedThenRestored(w, before);
    assert.equal(git(join(w.path, 'experiments'), 'log', '--format=%s'), 'nested work');
    assert.equal(readFileSync(join(w.path, 'experiments', 'uncommitted.txt'), 'utf8'), 'not even committed in the nested repository\n');
  });

  void it('4c. a writer still at work: the removal is refused while files change, and succeeds once it stops', async () => {
    const w = await finished('Live writer', () => undefined);
    const log = join(w.path, 'live.txt');
    // Opens, appends and closes every few milliseconds, from outside the folder.
    const writer = spawn(process.execPath, ['-e', `const fs=require('fs');let i=0;setInterval(()=>{try{fs.appendFileSync(${JSON.stringify(log)},'line '+(i++)+'\\n')}catch{}},2)`], { cwd: tmpdir(), stdio: 'ignore' });
    children.push(writer);
    const deadline = Date.now() + 30_000;
    while (!existsSync(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const plan = await fx.agent.planCleanup(fx.board);
    const result = await fx.agent.executeCleanup(fx.board, plan, { confirmedDirty: [w.path] });
    assert.equal(result.removed.length, 0, 'never removed while a writer changes it');
    // Caught by the check after the move aside, the in-use check, or git reading a file that grows.
    assert.match(result.skipped[0]?.reason ?? '', /^not removed: /);
    assert.ok(existsSync(log));
    assert.ok((await fx.port.listWorktrees(fx.repo.root)).some((e) => samePath(e.path, w.path)), 'still registered');
    writer.kill('SIGKILL');
    await new Promise((r) => writer.once('exit', r));
    const before = await repoState(fx.repo.root, w.path);
    await confirmedThenRestored(w, before);
  });

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
    assert.match(fx.entryFor(w.path)?.note ?? '', new RegExp(`pid ${shell.pid}`));
    const plan = await fx.agent.planCleanup(fx.board);
    const result = await fx.agent.executeCleanup(fx.board, plan, { confirmedDirty: true });
    assert.equal(result.removed.length, 0);
    assertSame(await repoState(fx.repo.root, w.path), before);
    shell.kill('SIGKILL');
    await new Promise((r) => shell.once('exit', r));
    await fx.agent.runCycle(fx.ctx());
    assert.equal(fx.entryFor(w.path)?.action, 'removed', fx.entryFor(w.path)?.note);
    const restored = await restoreWorktree(fx.board, { id: w.id });
    assert.deepEqual(restored.differences, []);
    assertSame(await repoState(fx.repo.root, w.path), before);
  });

  void describe('7. a failed removal', () => {
    void it('an unreadable or undeletable folder: kept, as an unprivileged user, and still reported by the next cycle', async (t) => {
      const why = unprivilegedUnavailable();
      if (why) return t.skip(why);
      // Committed and merged: the one kind of worktree a cycle may remove, so it looks closely.
      const w = await finished('Permissions', (p, branch) => {
        write(p, 'locked-dir/inside.txt', 'cannot be deleted from here\n');
        fx.commitIn(p, 'secret-dir/hidden.txt', 'cannot be read\n');
        git(fx.repo.root, 'merge', '-q', '--no-edit', branch);
      });
      giveAway(fx.repo.parent);
      giveAway(fx.tb.root);
      chmodSync(join(w.path, 'locked-dir'), 0o555);
      const before = await repoState(fx.repo.root, w.path);
      const home = mkdtempSync(join(tmpdir(), 'af-home-'));
      giveAway(home);
      const child = join(__dirname, 'children', 'worktreeChild.js');
      const env = { ...gitEnv, HOME: home };
      const run = async (mode: 'cycle' | 'cleanup'): Promise<Record<string, unknown>> => {
        const r = await runUnprivileged(child, [fx.tb.dir, fx.repo.root, mode, JSON.stringify(fx.settings)], env);
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

        assertSame(await repoState(fx.repo.root, w.path), before);
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
        fx.commitIn(p, 'zz-immutable.txt', 'the file that stops the deletion\n');
        git(fx.repo.root, 'merge', '-q', '--no-edit', branch);
      });
      const immutable = join(w.path, 'zz-immutable.txt');
      const set = spawnSync('chattr', ['+i', immutable]);
      if (set.status !== 0) return t.skip(`cannot make a file undeletable here (chattr: ${set.error?.message ?? set.stderr.toString().trim()})`);
      try {
        const before = await repoState(fx.repo.root, w.path);
        await fx.agent.runCycle(fx.ctx());
        const entry = fx.entryFor(w.path);
        assert.equal(entry?.action, 'kept', entry?.note);
        assert.match(entry?.note ?? '', /deleting it failed .*put back/);
        assertSame(await repoState(fx.repo.root, w.path), before);
        assert.ok((await fx.port.listWorktrees(fx.repo.root)).some((e) => samePath(e.path, w.path) && !e.prunable), 'still registered, with its folder');
        const next = await fx.agent.runCycle(fx.ctx());
        assert.match(next.summary, /^1 worktree/);
        assert.match(fx.entryFor(w.path)?.note ?? '', /removing it failed .* ago/, 'not retried every cycle');
      } finally {
        spawnSync('chattr', ['-i', immutable]);
      }
    });
  });

  void describe('8. a worktree folder moved by hand while its ticket is active', () => {
    void it('moved beside the others: found, its link repaired, the ticket follows it, nothing is created at the old place', async () => {
      const t = await fx.startedIn('Moved', 'IN_DEV');
      writeFileSync(join(t.worktree.path, 'work.txt'), 'in progress\n');
      git(t.worktree.path, 'add', 'work.txt');
      const moved = join(fx.location(), 'my-copy');
      renameSync(t.worktree.path, moved);
      const before = await repoState(fx.repo.root, moved);

      const result = await fx.agent.runCycle(fx.ctx());
      assert.match(result.summary, /moved by hand to .*my-copy/);
      assert.ok(samePath(fx.board.getTicket(t.id)!.worktree!.path, moved));
      assert.equal(existsSync(t.worktree.path), false, 'no second worktree at the old place');
      const list = await fx.port.listWorktrees(fx.repo.root);
      assert.ok(list.some((e) => samePath(e.path, moved) && !e.prunable));
      assertSame(await repoState(fx.repo.root, moved), before);
    });

    void it('moved out of reach: recreated under a new admin folder, the copy never shares it, its git state salvaged', async () => {
      const t = await fx.startedIn('Moved away', 'IN_DEV');
      writeFileSync(join(t.worktree.path, 'staged.txt'), 'staged in the copy\n');
      git(t.worktree.path, 'add', 'staged.txt');
      const oldAdmin = git(t.worktree.path, 'rev-parse', '--absolute-git-dir');
      const far = mkdtempSync(join(tmpdir(), 'af-far-'));
      const moved = join(far, 'copy');
      renameSync(t.worktree.path, moved);
      const filesBefore = (await repoState(fx.repo.root, t.worktree.path).catch(() => undefined))?.files;
      assert.equal(filesBefore, undefined);
      try {
        await fx.agent.runCycle(fx.ctx());
        assert.equal(fx.entryFor(t.worktree.path)?.action, 'recreated', fx.entryFor(t.worktree.path)?.note);
        const newAdmin = git(t.worktree.path, 'rev-parse', '--absolute-git-dir');
        assert.notEqual(newAdmin, oldAdmin, 'a new admin folder');
        assert.equal(existsSync(oldAdmin), false, 'the old one is gone, so the copy cannot reach the new worktree through it');
        assert.equal(readFileSync(join(moved, '.git'), 'utf8').trim(), `gitdir: ${oldAdmin}`, 'the copy was not touched');
        assert.equal(readFileSync(join(moved, 'staged.txt'), 'utf8'), 'staged in the copy\n');
        const [salvage] = fx.board.listSalvages({ ticketId: t.id });
        assert.ok(salvage?.summary.folderGone, 'what only the old admin folder held (the staged file) was saved');
        assert.equal(git(fx.repo.root, 'show', `${salvage.refPrefix}/index:staged.txt`), 'staged in the copy');
        assert.match(fx.entryFor(t.worktree.path)?.note ?? '', new RegExp(salvage.id));
      } finally {
        rmSync(far, { recursive: true, force: true });
      }
    });
  });
});
