import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { registrationOf } from '../../../src/git/salvage/adminFolder';
import { takeInventory } from '../../../src/git/salvage/inventory';
import { restoreFromSalvage } from '../../../src/git/salvage/restore';
import { asidePath, recoverInterruptedRemovals, removeAllOrNothing } from '../../../src/git/salvage/safeRemoval';
import { createSalvage, deleteSalvageRefs, materializeSalvage, verifySalvage, type SalvageManifest } from '../../../src/git/salvage/salvage';
import { repoState } from '../helpers/repoState';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { addProjectFiles } from '../helpers/worktreeFixture';

const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x80, 0xc3, 0x28, 0x00, 0x7f, 0x0d, 0x0a]);
const MB = 1024 * 1024;

void describe('salvage', () => {
  let repo: TempRepo;
  let wt: string;
  let boardDir: string;
  let n = 0;

  beforeEach(() => {
    repo = makeTempRepo();
    addProjectFiles(repo);
    wt = join(repo.parent, 'repo.worktrees', 'T-1-work');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'factory/T-1-work', wt, 'main');
    boardDir = join(repo.root, '.factory');
  });
  afterEach(() => repo.dispose());

  const write = (rel: string, content: string | Buffer): void => {
    mkdirSync(dirname(join(wt, rel)), { recursive: true });
    writeFileSync(join(wt, rel), content);
  };

  /** Work of every kind git status does and does not see. */
  const everything = (): void => {
    write('src/app.ts', 'export const v = 2;\n');
    git(wt, 'add', 'src/app.ts');
    write('src/app.ts', 'export const v = 3; // not staged\n');
    write('notes/untracked.md', '# plan\n');
    write('image.bin', BINARY);
    write('run.sh', '#!/bin/sh\necho hi\n');
    chmodSync(join(wt, 'run.sh'), 0o755);
    symlinkSync('src/app.ts', join(wt, 'link-to-app'));
    write('secret.txt', 'token=real-value-only-on-disk\n');
    write('.env', 'API_KEY=only-here\n');
    chmodSync(join(wt, '.env'), 0o600);
    write('build/out.js', 'built();\n');
    write('debug.log', 'log line\n');
    write('node_modules/dep/index.js', 'module.exports = 1;\n');
    mkdirSync(join(wt, 'empty-dir'));
    mkdirSync(join(wt, 'nested'));
    git(join(wt, 'nested'), 'init', '-q', '-b', 'main');
    writeFileSync(join(wt, 'nested', 'inner.txt'), 'nested work\n');
    git(join(wt, 'nested'), 'add', '-A');
    git(join(wt, 'nested'), '-c', 'user.name=T', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'inner');
    mkdirSync(join(wt, 'node_modules', 'linked'), { recursive: true });
    git(join(wt, 'node_modules', 'linked'), 'init', '-q');
    writeFileSync(join(wt, 'node_modules', 'linked', 'local-change.js'), 'mine\n');
  };

  const salvage = async (cap = 100 * MB): Promise<{ manifest: SalvageManifest; archiveDir: string }> => {
    const id = `sv-${String(++n).padStart(6, '0')}`;
    const archiveDir = join(boardDir, 'salvage', 'T-1', id);
    const reg = await registrationOf(repo.root, wt);
    assert.ok(reg);
    const { manifest } = await createSalvage({
      repo: repo.root, worktree: wt, adminDir: reg.adminDir, id, owner: 'T-1', archiveDir,
      regenerable: ['node_modules'], ignoredCapBytes: cap, message: 'T-1 test',
    });
    return { manifest, archiveDir };
  };

  void it('takes an inventory of what git status does not show', async () => {
    everything();
    git(wt, 'update-index', '--skip-worktree', 'README.md');
    const inv = await takeInventory(wt, ['node_modules']);
    assert.deepEqual(inv.units.map((u) => `${u.kind}:${u.rel}`).sort(), [
      'empty-dir:empty-dir', 'ignored:.env', 'ignored:build', 'ignored:debug.log', 'nested-repo:nested', 'nested-repo:node_modules/linked',
    ]);
    assert.deepEqual(inv.regenerable.map((r) => r.rel), ['node_modules']);
    assert.deepEqual(inv.nestedRepos.sort(), ['nested', 'node_modules/linked']);
    assert.deepEqual(inv.skipWorktree, ['README.md']);
    assert.ok(inv.files.some((f) => f.rel === 'link-to-app' && f.symlink));
    assert.ok(inv.files.some((f) => f.rel === 'run.sh' && f.exec));
    assert.equal(inv.files.some((f) => f.rel.startsWith('nested/') || f.rel.startsWith('build/')), false);
  });

  void it('saves every byte, verifies it against the folder, and restores it exactly after an all-or-nothing removal', async () => {
    everything();
    const before = await repoState(repo.root, wt);
    const { manifest, archiveDir } = await salvage();
    assert.deepEqual(await verifySalvage(repo.root, manifest, archiveDir, wt), []);
    assert.deepEqual(manifest.leftOut.map((l) => `${l.why}:${l.path}`), ['regenerable:node_modules']);
    assert.ok(git(repo.root, 'for-each-ref', '--format=%(refname)', 'refs/agent-factory/salvage/T-1/').includes(`${manifest.refPrefix}/worktree`));
    // The worktree commit holds the file as it is on disk, not as the clean filter would store it.
    assert.equal(git(repo.root, 'cat-file', 'blob', `${manifest.commits.worktree!}:secret.txt`), 'token=real-value-only-on-disk');
    assert.equal(git(repo.root, 'cat-file', 'blob', `${manifest.commits.index}:src/app.ts`), 'export const v = 2;');

    let committed = false;
    await removeAllOrNothing(repo.root, wt, manifest.id, {
      verify: (folder) => verifySalvage(repo.root, manifest, archiveDir, folder),
      commit: async () => void (committed = true),
      fillIn: (folder) => materializeSalvage(repo.root, manifest, archiveDir, folder, { keepExisting: true }),
    });
    assert.ok(committed);
    assert.equal(existsSync(wt), false);
    assert.equal(existsSync(asidePath(wt, manifest.id)), false);
    assert.equal(await registrationOf(repo.root, wt), undefined, 'the registration went with the folder');

    const restored = await restoreFromSalvage({ repo: repo.root, manifest, archiveDir, target: wt });
    assert.deepEqual(restored.differences, []);
    assert.equal(restored.branch, 'factory/T-1-work');
    const after = await repoState(repo.root, wt);
    const withoutNodeModules = (s: typeof before.files) => new Map([...s].filter(([rel]) => !rel.startsWith('node_modules/') || rel.startsWith('node_modules/linked/')));
    assert.deepEqual(withoutNodeModules(after.files), withoutNodeModules(before.files));
    assert.deepEqual(after.refs, before.refs);
    assert.deepEqual(after.stash, before.stash);
    assert.deepEqual(after.reflogs, before.reflogs);
    assert.equal(after.headLog, before.headLog);
    assert.equal(after.head, before.head);
    assert.equal(after.index, before.index);
    assert.equal(statSync(join(wt, '.env')).mode & 0o777, 0o600, 'an archived file keeps its mode');
    assert.equal(readlinkSync(join(wt, 'link-to-app')), 'src/app.ts');
    assert.equal(git(join(wt, 'nested'), 'log', '--format=%s'), 'inner', 'the nested repository came back with its history');
  });

  void it('names what the size cap left out, smallest entries first', async () => {
    everything();
    write('build/big.bin', Buffer.alloc(64 * 1024, 7));
    const { manifest } = await salvage(1024);
    const capped = manifest.leftOut.filter((l) => l.why === 'size cap').map((l) => l.path);
    assert.ok(capped.includes('build'), capped.join(','));
    assert.ok(manifest.archived.some((a) => a.path === '.env'));
  });

  void it('refuses a folder that changed after it was saved', async () => {
    everything();
    const { manifest, archiveDir } = await salvage();
    write('late.txt', 'written by a process still at work');
    assert.deepEqual(await verifySalvage(repo.root, manifest, archiveDir, wt), ['late.txt: not expected']);
    await assert.rejects(
      removeAllOrNothing(repo.root, wt, manifest.id, {
        verify: (folder) => verifySalvage(repo.root, manifest, archiveDir, folder),
        commit: () => Promise.reject(new Error('must not be reached')),
        fillIn: () => Promise.resolve(),
      }),
      /changed while it was being saved/,
    );
    assert.equal(readFileSync(join(wt, 'late.txt'), 'utf8'), 'written by a process still at work');
    assert.ok(await registrationOf(repo.root, wt));
  });

  void it('puts a half-deleted folder back complete from its salvage', async () => {
    everything();
    const { manifest, archiveDir } = await salvage();
    const before = await repoState(repo.root, wt);
    // What a deletion that stopped half way leaves: some files gone, the link file too.
    const aside = asidePath(wt, manifest.id);
    renameSync(wt, aside);
    rmSync(join(aside, 'src'), { recursive: true });
    rmSync(join(aside, 'nested'), { recursive: true });
    unlinkSync(join(aside, '.env'));
    renameSync(aside, wt);
    await materializeSalvage(repo.root, manifest, archiveDir, wt, { keepExisting: true });
    const after = await repoState(repo.root, wt);
    assert.deepEqual(after.files, before.files);
  });

  void it('finishes a recorded removal a crash interrupted, and moves an unrecorded one back', async () => {
    const { manifest } = await salvage();
    const aside = asidePath(wt, manifest.id);
    renameSync(wt, aside);
    assert.deepEqual((await recoverInterruptedRemovals(repo.root, [dirname(wt)], () => false)).map((r) => r.outcome), ['restored']);
    assert.ok(existsSync(join(wt, 'README.md')));
    renameSync(wt, aside);
    assert.deepEqual((await recoverInterruptedRemovals(repo.root, [dirname(wt)], (id) => id === manifest.id)).map((r) => r.outcome), ['finished']);
    assert.equal(existsSync(aside), false);
    assert.equal(await registrationOf(repo.root, wt), undefined);
  });

  void it('deletes a salvage\'s refs only under the salvage root', async () => {
    const { manifest } = await salvage();
    await deleteSalvageRefs(repo.root, manifest.refPrefix);
    assert.equal(git(repo.root, 'for-each-ref', 'refs/agent-factory/'), '');
    await assert.rejects(deleteSalvageRefs(repo.root, 'refs/heads/main'), /not a salvage ref/);
  });
});
