import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { identityOf, readForScan, SETTLED_MS } from '../../../src/scan/security/fileRead';
import { MatchPool } from '../../../src/scan/security/matchPool';
import { scanContent } from '../../../src/scan/security/scanContent';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { git, makeTempRepo } from '../helpers/tempRepo';

const s = fakeSecrets(12);
const SOURCE = ['export const run = (userInput: string) => eval(userInput);', `const token = "${s.githubToken}";`, ''].join('\n');
const repo = makeTempRepo();
after(() => repo.dispose());


for (const [label, script] of [
  ['in a matching thread', undefined],
  ['on this thread when the worker file is missing', join(repo.parent, 'no-such-worker.js')],
] as const) {
  describe('a file read for the Security scan', () => {
  it('offers its identity for reuse only once it has settled', () => {
    const file = repo.write('settle/a.ts', SOURCE);
    const modified = Math.max(lstatSync(file).mtimeMs, lstatSync(file).ctimeMs);
    const justNow = readForScan({ path: file }, 1 << 20, modified + 10).result;
    assert.ok(justNow.state === 'read' && justNow.identity === undefined, 'modified just before it was read: the identity could hide a change in the same tick');
    const later = readForScan({ path: file }, 1 << 20, modified + SETTLED_MS + 10).result;
    assert.ok(later.state === 'read' && later.identity === identityOf(lstatSync(file)));
    assert.equal(later.contentKey, justNow.contentKey);
  });
});

describe(`Security batch reads ${label}`, () => {
    it('tell each file apart (text, ignored, binary, too large, gone, not a file) and match the text from what was read', async () => {
      const pool = new MatchPool({ size: 1, script, warn: () => undefined });
      const text = repo.write('read/a.ts', SOURCE);
      const ignored = repo.write('read/ignored.log', 'whatever');
      const binary = join(repo.root, 'read', 'bin.dat');
      writeFileSync(binary, Buffer.from([0, 1, 2, 0, 0, 3]));
      const large = repo.write('read/large.ts', 'x'.repeat(5000));
      const folder = join(repo.root, 'read', 'folder');
      mkdirSync(folder, { recursive: true });
      const link = join(repo.root, 'read', 'link.ts');
      rmSync(link, { force: true });
      symlinkSync(text, link);
      const files = [{ path: text }, { path: ignored, ignored: true }, { path: binary }, { path: large }, { path: join(repo.root, 'read', 'gone.ts') }, { path: folder }, { path: link }];
      const batch = await pool.read(files, 4096);
      assert.deepEqual(
        batch.results.map((r) => (r.state === 'skipped' ? r.reason : r.state)),
        ['read', 'ignored', 'binary', 'too-large', 'not-a-file', 'not-a-file', 'not-a-file'],
      );
      const gone = batch.results[4];
      assert.ok(gone.state === 'skipped' && gone.size === -1);
      const [found] = await batch.match([0]);
      assert.deepEqual(found, await scanContent(text, Buffer.from(SOURCE)));
      assert.equal(found.findings.length, 2);
      await pool.end();
    });

    it('do not read a file whose identity is unchanged, and read it again for matching when asked', async () => {
      const pool = new MatchPool({ size: 1, script, warn: () => undefined });
      const file = repo.write('same/old.ts', SOURCE);
      const identity = identityOf(lstatSync(file));
      const again = await pool.read([{ path: file, known: identity }], 1 << 20);
      assert.equal(again.results[0].state, 'same');
      assert.deepEqual(await again.match([0]), [await scanContent(file, Buffer.from(SOURCE))]);

      // Changed: a new identity, so it is read again.
      writeFileSync(file, `${SOURCE}// more, and longer\n`);
      const changed = await pool.read([{ path: file, known: identity }], 1 << 20);
      changed.release();
      assert.equal(changed.results[0].state, 'read');
      await pool.end();
    });

    it("list a worktree's change as the git port does", async () => {
      const pool = new MatchPool({ size: 1, script, warn: () => undefined });
      repo.write('list/kept.ts', 'export const a = 1;\n');
      repo.write('list/moved.ts', 'export const moved = "a line long enough to be seen as renamed";\n');
      repo.commit('base');
      git(repo.root, 'switch', '-q', '-c', `work-${label.length}`);
      repo.write('list/committed.ts', 'export const b = 2;\n');
      repo.commit('work');
      renameSync(join(repo.root, 'list', 'moved.ts'), join(repo.root, 'list', 'renamed.ts'));
      git(repo.root, 'add', '-A', 'list');
      repo.write('list/kept.ts', 'export const a = 3;\n');
      repo.write('list/untracked.ts', 'export const c = 4;\n');
      const expected = await new SimpleGitPort().changedFiles(repo.root, 'main');
      assert.ok(expected.some((f) => f.kind === 'renamed') && expected.some((f) => f.kind === 'untracked'), JSON.stringify(expected));
      assert.deepEqual(await pool.changedFiles(repo.root, 'main'), expected);
      git(repo.root, 'add', '-A');
      git(repo.root, 'commit', '-q', '-m', 'tidy');
      git(repo.root, 'switch', '-q', 'main');
      await pool.end();
    });
  });
}
