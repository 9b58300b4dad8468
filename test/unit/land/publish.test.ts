import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createPullRequest, pushBranch, pushRemote } from '../../../src/land/publish';
import { git } from '../helpers/tempRepo';
import { cli } from '../cli/cliProcess';
import { makeLandRepo, type LandRepo } from './landFixture';

void describe('Push Branch and Create Pull Request', () => {
  let r: LandRepo;
  let remote: string;
  beforeEach(async () => {
    r = await makeLandRepo();
    remote = join(r.repo.parent, 'remote.git');
    git(r.repo.parent, 'init', '-q', '--bare', remote);
  });
  afterEach(async () => {
    await r.dispose();
  });

  void it('pushes the ticket branch to a local bare remote and tracks it; a diverged remote branch is refused, never forced', async () => {
    git(r.repo.root, 'remote', 'add', 'origin', remote);
    const t = await r.ticketWithChange('Ship it', { 'ship.txt': 'ship\n' }, 'IN_DEV');
    const branch = (await r.ticket(t.id)).worktree!.branch;
    const pushed = await pushBranch(r.board, r.repo.root, t.id);
    assert.deepEqual([pushed.remote, pushed.branch], ['origin', branch]);
    assert.equal(git(remote, 'rev-parse', `refs/heads/${branch}`), git(r.repo.root, 'rev-parse', `refs/heads/${branch}`));
    assert.equal(git(r.repo.root, 'config', '--get', `branch.${branch}.remote`), 'origin');

    // Someone else moved the remote branch: the push is refused and the remote keeps their commit.
    const other = join(r.repo.parent, 'other');
    git(r.repo.parent, 'clone', '-q', '--branch', branch, remote, other);
    git(other, 'config', 'user.email', 'o@example.com');
    git(other, 'config', 'user.name', 'Other');
    writeFileSync(join(other, 'theirs.txt'), 'theirs\n');
    git(other, 'add', '-A');
    git(other, 'commit', '-q', '-m', 'theirs');
    git(other, 'push', '-q', 'origin', branch);
    const theirs = git(other, 'rev-parse', 'HEAD');
    r.commitIn((await r.ticket(t.id)).worktree!.path, { 'mine.txt': 'mine\n' }, 'mine');
    await assert.rejects(pushBranch(r.board, r.repo.root, t.id), /push failed/);
    assert.equal(git(remote, 'rev-parse', `refs/heads/${branch}`), theirs);

    const cliPush = await cli(['push', t.id], { cwd: r.repo.root, env: { AGENT_FACTORY_BOARD: join(r.repo.root, '.factory') } });
    assert.equal(cliPush.code, 1);
    assert.match(cliPush.stderr, /push failed/);
  });

  void it('prefers the base branch\'s remote, then origin', async () => {
    git(r.repo.root, 'remote', 'add', 'backup', remote);
    assert.equal(await pushRemote(r.repo.root, 'main'), 'backup');
    git(r.repo.root, 'remote', 'add', 'origin', remote);
    assert.equal(await pushRemote(r.repo.root, 'main'), 'origin');
    git(r.repo.root, 'config', 'branch.main.remote', 'backup');
    assert.equal(await pushRemote(r.repo.root, 'main'), 'backup');
  });

  void it('Create Pull Request without gh says what is missing and pushes nothing', async () => {
    git(r.repo.root, 'remote', 'add', 'origin', remote);
    const t = await r.ticketWithChange('Needs a PR', { 'pr.txt': 'pr\n' });
    const empty = join(r.repo.parent, 'empty-bin');
    mkdirSync(empty);
    await assert.rejects(createPullRequest(r.board, r.repo.root, t.id, { ...process.env, PATH: empty }), /needs the GitHub CLI, and `gh` is not on the PATH/);
    assert.equal(git(remote, 'for-each-ref', '--format=%(refname)', 'refs/heads'), '', 'something was pushed');
  });

  void it('Create Pull Request hands gh the title and body as single arguments, after pushing', async () => {
    git(r.repo.root, 'remote', 'add', 'origin', remote);
    const t = await r.ticketWithChange('Fix "quotes"; rm -rf $(HOME) `x`', { 'pr.txt': 'pr\n' });
    const bin = join(r.repo.parent, 'bin');
    mkdirSync(bin);
    const record = join(r.repo.parent, 'gh-args.json');
    // A program named gh that records its arguments, standing in for the GitHub CLI (no network here).
    writeFileSync(join(bin, 'gh'), `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nconsole.log('https://github.example/pr/7');\n`);
    chmodSync(join(bin, 'gh'), 0o755);
    const pr = await createPullRequest(r.board, r.repo.root, t.id, { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` });
    assert.equal(pr.url, 'https://github.example/pr/7');
    const args = JSON.parse(readFileSync(record, 'utf8')) as string[];
    const branch = (await r.ticket(t.id)).worktree!.branch;
    assert.deepEqual(args.slice(0, 8), ['pr', 'create', '--head', branch, '--base', 'main', '--title', `Fix "quotes"; rm -rf $(HOME) \`x\` (${t.id})`]);
    assert.match(args[9] ?? '', /Ticket T-1 of the Agent Factory board/);
    assert.ok(git(remote, 'rev-parse', `refs/heads/${branch}`), 'the branch was pushed first');
  });
});
