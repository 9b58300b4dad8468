/**
 * The ways a cleanup used to lose work, scenarios 1 to 4 (5 to 8 are in worktreeScenarios5to8),
 * each against a real repository: the automatic path keeps the worktree untouched (every file,
 * ignored ones included, every ref, the stash list and the reflogs compared before and after), the
 * confirmed path salvages and removes it, and Restore Worktree gives back exactly what was there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { restoreWorktree } from '../../../src/agents/worktreeSalvages';
import { samePath } from '../../../src/git/paths';
import { repoState } from '../helpers/repoState';
import { git } from '../helpers/tempRepo';
import { scenarioKit } from '../helpers/worktreeScenarioKit';

void describe('Worktree scenarios 1-4: nothing is lost', () => {
  const kit = scenarioKit();
  const { children, write, nestedRepo, finished, assertSame, keptByCycle, confirmedThenRestored } = kit;

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
    const before = await repoState(kit.fx.repo.root, w.path);
    await kit.fx.agent.runCycle(kit.fx.ctx());
    const entry = kit.fx.entryFor(w.path);
    assert.equal(entry?.action, 'removed', entry?.note);
    assert.match(entry?.note ?? '', /left out: node_modules \(regenerable/);
    const restored = await restoreWorktree(kit.fx.board, { id: w.id });
    assert.deepEqual(restored.differences, []);
    assertSame(await repoState(kit.fx.repo.root, w.path), before, (rel) => rel.startsWith('node_modules/'));
  });

  void it('2. a detached HEAD with new commits: kept by the agent, the commits under a salvage ref after a confirmed removal', async () => {
    let detached = '';
    const w = await finished(
      'Detached work',
      (p) => {
        git(p, 'checkout', '-q', '--detach');
        kit.fx.commitIn(p, 'detached-1.txt', 'one\n');
        kit.fx.commitIn(p, 'detached-2.txt', 'two\n');
        detached = git(p, 'rev-parse', 'HEAD');
      },
      { unmerged: true },
    );
    const before = await keptByCycle(w, 'unmerged');
    const { salvage } = await confirmedThenRestored(w, before);
    assert.equal(git(kit.fx.repo.root, 'rev-parse', `${salvage.refPrefix}/head`), detached, 'reachable from a salvage ref');
    assert.equal(before.head, detached);
  });

  void it("2b. the ticket's branch deleted under its worktree: its commits are kept by the salvage, the unborn state comes back", async () => {
    let lost = '';
    const w = await finished(
      'Branch deleted',
      (p) => {
        kit.fx.commitIn(p, 'only-on-the-branch.txt', 'work\n');
        lost = git(p, 'rev-parse', 'HEAD');
      },
      { unmerged: true, afterDone: (_p, branch) => git(kit.fx.repo.root, 'update-ref', '-d', `refs/heads/${branch}`) },
    );
    const before = await keptByCycle(w, 'dirty');
    const { salvage } = await confirmedThenRestored(w, before);
    assert.ok(git(kit.fx.repo.root, 'rev-list', `${salvage.refPrefix}/keep`).split('\n').includes(lost), 'the lost commit is reachable from the salvage');
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
    const plan = await kit.fx.agent.planCleanup(kit.fx.board);
    const result = await kit.fx.agent.executeCleanup(kit.fx.board, plan, { confirmedDirty: [w.path] });
    assert.equal(result.removed.length, 0, 'never removed while a writer changes it');
    // Caught by the check after the move aside, the in-use check, or git reading a file that grows.
    assert.match(result.skipped[0]?.reason ?? '', /^not removed: /);
    assert.ok(existsSync(log));
    assert.ok((await kit.fx.port.listWorktrees(kit.fx.repo.root)).some((e) => samePath(e.path, w.path)), 'still registered');
    writer.kill('SIGKILL');
    await new Promise((r) => writer.once('exit', r));
    const before = await repoState(kit.fx.repo.root, w.path);
    await confirmedThenRestored(w, before);
  });
});
