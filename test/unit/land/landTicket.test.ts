import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../src/agents/agent';
import { DEFAULT_WORKTREE_SETTINGS, WorktreeAgent } from '../../../src/agents/worktreeAgent';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { landBugFingerprint } from '../../../src/land/landOutcome';
import { unreadForAgent } from '../../../src/loop/inbox';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { git } from '../helpers/tempRepo';
import { makeLandRepo, type LandRepo } from './landFixture';

void describe('Land Ticket', () => {
  let r: LandRepo;
  beforeEach(async () => {
    r = await makeLandRepo();
  });
  afterEach(async () => {
    await r.dispose();
  });

  const worktreeOf = async (id: string): Promise<string> => (await r.ticket(id)).worktree!.path;

  void it('lands the first of two tickets changing the same lines; the second conflicts, goes back with a bug naming the file, and the base stays', async () => {
    r.commitIn(r.repo.root, { 'src/app.ts': 'export const greeting = "hello";\n' }, 'app');
    const first = await r.ticketWithChange('Say hi', { 'src/app.ts': 'export const greeting = "hi";\n' });
    const second = await r.ticketWithChange('Say hey', { 'src/app.ts': 'export const greeting = "hey";\n' });
    const before = r.baseHead();

    const landed = await r.land(first.id);
    assert.equal(landed.kind, 'landed', JSON.stringify(landed));
    assert.ok(landed.kind === 'landed');
    assert.equal(landed.previous, before);
    assert.equal(r.baseHead(), landed.commit);
    const done = await r.ticket(first.id);
    assert.equal(done.status, 'DONE');
    assert.match(r.board.history(first.id).at(-1)?.note ?? '', new RegExp(`Landed ${landed.commit} on main`));
    // The main checkout (on main, clean) was fast-forwarded with it.
    assert.equal(readFileSync(join(r.repo.root, 'src/app.ts'), 'utf8'), 'export const greeting = "hi";\n');

    const secondTree = await worktreeOf(second.id);
    const secondHead = git(secondTree, 'rev-parse', 'HEAD');
    const afterFirst = r.baseHead();
    const conflict = await r.land(second.id);
    assert.equal(conflict.kind, 'conflict', JSON.stringify(conflict));
    assert.ok(conflict.kind === 'conflict');
    assert.deepEqual(conflict.files, ['src/app.ts']);
    assert.match(conflict.reason, /conflicts with main in src\/app\.ts/);
    assert.equal(r.baseHead(), afterFirst, 'the failed attempt moved the base');
    // The rebase was aborted: the worktree is exactly as it was.
    assert.equal(git(secondTree, 'rev-parse', 'HEAD'), secondHead);
    assert.equal(git(secondTree, 'status', '--porcelain'), '');
    assert.equal(existsSync(join(git(secondTree, 'rev-parse', '--absolute-git-dir'), 'rebase-merge')), false);
    const back = await r.ticket(second.id);
    assert.equal(back.status, 'IN_DEV');
    const bug = r.board.listBugs(second.id).find((b) => b.fingerprint === landBugFingerprint(second.id, 'conflict'));
    assert.ok(bug, 'a conflict bug was filed');
    assert.equal(bug.file, 'src/app.ts');
    assert.match(bug.title, /Conflicts with main in 1 file: src\/app\.ts/);
    assert.ok(unreadForAgent(r.board, second.id).some((m) => m.body.includes('src/app.ts')), 'the agent reads about it in its inbox');
  });

  void it('refuses a land whose check fails: nothing moves, the ticket goes back with the masked end of the output', async () => {
    const t = await r.ticketWithChange('Break the build', { 'lib.js': 'module.exports = 1;\n' });
    const before = r.baseHead();
    const token = fakeSecrets().githubToken;
    const script = join(r.repo.parent, 'check.js');
    writeFileSync(script, `console.log("compiling");\nconsole.error("token=${token} leaked in a log");\nconsole.error("1 test failed");\nprocess.exit(3);\n`);
    r.settings.checkCommand = [process.execPath, script];

    const outcome = await r.land(t.id);
    assert.equal(outcome.kind, 'check-failed', JSON.stringify(outcome));
    assert.equal(r.baseHead(), before);
    assert.equal(git(r.repo.root, 'status', '--porcelain'), '');
    const ticket = await r.ticket(t.id);
    assert.equal(ticket.status, 'IN_DEV');
    const bug = r.board.listBugs(t.id).find((b) => b.fingerprint === landBugFingerprint(t.id, 'check'));
    assert.ok(bug);
    assert.match(bug.title, /Land check failed: .*check\.js exited with code 3/);
    assert.match(bug.description, /1 test failed/);
    assert.ok(!bug.description.includes(token), 'the secret reached the bug unmasked');
    assert.match(bug.description, /ghp_…/);
  });

  void it('rebases onto a base the user moved after the review, and runs the check on the result', async () => {
    const t = await r.ticketWithChange('Add feature', { 'feature.txt': 'feature\n' });
    const userCommit = r.commitIn(r.repo.root, { 'other.txt': 'made by the user meanwhile\n' }, 'user work');
    const marker = join(r.repo.parent, 'seen.txt');
    const script = join(r.repo.parent, 'check.js');
    // The check sees both changes in the worktree: the rebase happened before it.
    writeFileSync(script, `const fs = require('fs');\nfs.writeFileSync(${JSON.stringify(marker)}, String(fs.existsSync('other.txt') && fs.existsSync('feature.txt')));\n`);
    r.settings.checkCommand = [process.execPath, script];

    const outcome = await r.land(t.id);
    assert.equal(outcome.kind, 'landed', JSON.stringify(outcome));
    assert.ok(outcome.kind === 'landed');
    assert.equal(readFileSync(marker, 'utf8'), 'true');
    assert.equal(outcome.previous, userCommit);
    assert.equal(git(r.repo.root, 'rev-parse', `${outcome.commit}~1`), userCommit, 'the ticket commit sits on the user commit');
    assert.match(outcome.check ?? '', /check\.js/);
  });

  void it('leaves a dirty main checkout on the base exactly as it was, naming its dirty file', async () => {
    const t = await r.ticketWithChange('Touch readme', { 'README.md': '# changed by the ticket\n' });
    writeFileSync(join(r.repo.root, 'README.md'), '# my unsaved edit\n');
    writeFileSync(join(r.repo.root, 'scratch.txt'), 'untracked notes\n');
    const before = { head: r.baseHead(), status: git(r.repo.root, 'status', '--porcelain'), readme: readFileSync(join(r.repo.root, 'README.md'), 'utf8') };
    const worktreeHead = git(await worktreeOf(t.id), 'rev-parse', 'HEAD');

    const outcome = await r.land(t.id);
    assert.equal(outcome.kind, 'refused', JSON.stringify(outcome));
    assert.ok(outcome.kind === 'refused');
    assert.match(outcome.reason, /main is checked out in .* with uncommitted changes \(README\.md\)/);
    assert.equal(r.baseHead(), before.head);
    assert.equal(git(r.repo.root, 'status', '--porcelain'), before.status);
    assert.equal(readFileSync(join(r.repo.root, 'README.md'), 'utf8'), before.readme);
    assert.equal(readFileSync(join(r.repo.root, 'scratch.txt'), 'utf8'), 'untracked notes\n');
    assert.equal(git(await worktreeOf(t.id), 'rev-parse', 'HEAD'), worktreeHead, 'the ticket branch was touched');
    assert.equal((await r.ticket(t.id)).status, 'PM_REVIEW');
  });

  void it('refuses uncommitted or untracked work in the ticket worktree, and a ticket not in PM_REVIEW', async () => {
    const t = await r.ticketWithChange('Forgot a file', { 'a.txt': 'a\n' });
    writeFileSync(join(await worktreeOf(t.id), 'forgotten.txt'), 'never added\n');
    const outcome = await r.land(t.id);
    assert.ok(outcome.kind === 'refused');
    assert.match(outcome.reason, /uncommitted or untracked files \(forgotten\.txt\)/);

    const early = await r.ticketWithChange('Still in dev', { 'b.txt': 'b\n' }, 'IN_DEV');
    const refused = await r.land(early.id);
    assert.ok(refused.kind === 'refused');
    assert.match(refused.reason, /is IN_DEV: only a ticket in PM_REVIEW can land/);
  });

  void it('with the main checkout on another branch, advances the base by compare-and-set only', async () => {
    git(r.repo.root, 'checkout', '-q', '-b', 'topic');
    const t = await r.ticketWithChange('Elsewhere', { 'c.txt': 'c\n' });
    const outcome = await r.land(t.id);
    assert.ok(outcome.kind === 'landed', JSON.stringify(outcome));
    assert.equal(r.baseHead(), outcome.commit);
    assert.equal(git(r.repo.root, 'rev-parse', '--abbrev-ref', 'HEAD'), 'topic');
    assert.equal(existsSync(join(r.repo.root, 'c.txt')), false, 'the main checkout was touched');
  });

  void it('merges the base in with the merge strategy, and squashes to one commit with squash; the Worktree agent then removes the merged worktree', async () => {
    r.settings.strategy = 'merge';
    const merged = await r.ticketWithChange('Merged', { 'm.txt': 'm\n' });
    r.commitIn(r.repo.root, { 'n.txt': 'user\n' }, 'user');
    const m = await r.land(merged.id);
    assert.ok(m.kind === 'landed', JSON.stringify(m));
    assert.equal(git(r.repo.root, 'rev-list', '--parents', '-n', '1', m.commit).split(' ').length, 3, 'a merge commit');

    r.settings.strategy = 'squash';
    const squashed = await r.ticketWithChange('Squashed', { 's1.txt': '1\n' });
    const path = await worktreeOf(squashed.id);
    r.commitIn(path, { 's2.txt': '2\n' }, 'second commit');
    const before = r.baseHead();
    const s = await r.land(squashed.id);
    assert.ok(s.kind === 'landed', JSON.stringify(s));
    assert.equal(git(r.repo.root, 'rev-list', '--count', `${before}..${s.commit}`), '1', 'one commit');
    assert.equal(git(path, 'rev-parse', 'HEAD'), s.commit, 'the ticket branch follows the landed commit');
    assert.equal(git(path, 'status', '--porcelain'), '');

    const agent = new WorktreeAgent({ git: new SimpleGitPort(), settings: () => DEFAULT_WORKTREE_SETTINGS, clock: r.clock });
    await agent.runCycle({ board: r.board, clock: r.clock, log: silentLogger, signal: new AbortController().signal, setActivity() {} });
    assert.equal(existsSync(path), false, 'the landed worktree was kept');
    assert.equal(existsSync(await worktreeOf(merged.id)), false);
  });

  void it('a cancelled land undoes nothing it did not finish and leaves the queue', async () => {
    const t = await r.ticketWithChange('Slow check', { 'slow.txt': 'x\n' });
    const script = join(r.repo.parent, 'slow.js');
    writeFileSync(script, 'setTimeout(() => {}, 60000);\n');
    r.settings.checkCommand = [process.execPath, script];
    const before = r.baseHead();
    const abort = new AbortController();
    const landing = r.land(t.id, { signal: abort.signal, onProgress: (text) => text.startsWith('running the check') && abort.abort() });
    await assert.rejects(landing);
    assert.equal(r.baseHead(), before);
    assert.equal((await r.ticket(t.id)).status, 'PM_REVIEW');
    assert.equal(r.board.getMeta('land.queue'), '[]');
  });
});
