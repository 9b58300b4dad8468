import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fromChangedFiles } from '../../../src/git/changeListing';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { processStarterPid, stopProcessStarter, useProcessStarter } from '../../../src/process/processStarter';
import { MatchPool } from '../../../src/scan/security/matchPool';
import { scanContent, WINDOW_CHARS } from '../../../src/scan/security/scanContent';
import { findSecrets } from '../../../src/scan/security/secrets';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { STARTER_SCRIPT } from '../helpers/starterScript';
import { git, makeTempRepo } from '../helpers/tempRepo';

const s = fakeSecrets(11);
const dir = mkdtempSync(join(tmpdir(), 'af-match-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SOURCE = ['export const run = (userInput: string) => eval(userInput);', `const token = "${s.githubToken}";`, 'export const x = 1;', ''].join('\n');

/** A repository on a ticket branch with one committed file of its own. */
function ticketBranchRepo(): ReturnType<typeof makeTempRepo> {
  const repo = makeTempRepo();
  repo.write('a.txt', 'a\n');
  repo.commit('base');
  git(repo.root, 'switch', '-q', '-c', 'factory/T-1-x');
  repo.write('b.ts', 'export {}\n');
  repo.commit('work');
  return repo;
}

describe('Security matching threads', () => {
  it('start on the first file, find what matching on this thread finds, and end on request', async () => {
    const pool = new MatchPool({ size: 2 });
    assert.equal(pool.running, 0, 'no thread before the first file');
    const path = join(dir, 'a.ts');
    const expected = await scanContent(path, Buffer.from(SOURCE));
    assert.equal(expected.findings.length, 2);
    const results = await Promise.all([1, 2, 3].map(() => pool.match(path, Buffer.from(SOURCE))));
    for (const r of results) assert.deepEqual(r, expected);
    assert.ok(pool.running >= 1 && pool.running <= 2, `threads: ${pool.running}`);
    await pool.end();
    assert.equal(pool.running, 0);
    // A later file starts a thread again.
    assert.deepEqual(await pool.match(path, Buffer.from(SOURCE)), expected);
    await pool.end();
  });

  it('streams a file too large to hand over from its path, with the same findings', async () => {
    const pool = new MatchPool({ size: 1 });
    const big = join(dir, 'big.ts');
    const filler = 'export const filler = [1, 2, 3];\n'.repeat(Math.ceil((2 * WINDOW_CHARS) / 33));
    writeFileSync(big, filler + SOURCE);
    const streamed = await pool.match(big, undefined);
    assert.deepEqual(streamed, await scanContent(big, Buffer.from(filler + SOURCE)));
    assert.equal(streamed.findings.length, 2);
    await pool.end();
  });

  it('replaces a thread that dies: the file in it fails with why, the death is logged, the next file is matched', async () => {
    // The real worker, in a thread that dies on one file name as a crash would.
    const crashing = join(dir, 'crashingWorker.js');
    const real = require.resolve('../../../src/scan/security/matchWorker');
    writeFileSync(
      crashing,
      [
        "const { parentPort } = require('node:worker_threads');",
        "parentPort.on('message', (m) => { if (m.path.endsWith('crash.ts')) process.exit(7); });",
        `require(${JSON.stringify(real)});`,
      ].join('\n'),
    );
    const warnings: string[] = [];
    const pool = new MatchPool({ size: 1, script: crashing, warn: (m) => warnings.push(m) });
    await assert.rejects(pool.match(join(dir, 'crash.ts'), Buffer.from(SOURCE)), /scan thread stopped: exit code 7/);
    assert.equal(pool.restarts, 1);
    assert.match(warnings.join('\n'), /a Security scan thread stopped \(exit code 7\); 1 file in it will be scanned again next cycle/);
    const path = join(dir, 'fine.ts');
    assert.deepEqual(await pool.match(path, Buffer.from(SOURCE)), await scanContent(path, Buffer.from(SOURCE)));
    await pool.end();
  });

  it('matches on this thread, and says so, when its worker file is missing', async () => {
    const warnings: string[] = [];
    const pool = new MatchPool({ script: join(dir, 'no-such-worker.js'), warn: (m) => warnings.push(m) });
    const path = join(dir, 'b.ts');
    assert.deepEqual(await pool.match(path, Buffer.from(SOURCE)), await scanContent(path, Buffer.from(SOURCE)));
    assert.equal(pool.running, 0);
    assert.match(warnings.join('\n'), /no-such-worker\.js is missing: the Security scan matches on this thread/);
  });

  it('list a worktree\'s change in a thread, or on this thread without one, as changedFiles lists it', async () => {
    const repo = ticketBranchRepo();
    try {
      writeFileSync(join(repo.root, 'c.ts'), 'new\n');
      const expected = fromChangedFiles(await new SimpleGitPort().changedFiles(repo.root, 'main'));
      assert.equal(expected.files.length, 2);
      const pool = new MatchPool({ size: 1 });
      assert.deepEqual(await pool.listChange(repo.root, 'main'), expected);
      await pool.end();
      const local = new MatchPool({ script: join(dir, 'no-such-worker.js'), warn: () => undefined });
      assert.deepEqual(await local.listChange(repo.root, 'main'), expected);
    } finally {
      repo.dispose();
    }
  });

  it('lists on this thread when this process starts its commands in a process starter: git starts there, no thread forks the process', async () => {
    const repo = ticketBranchRepo();
    const logged: string[] = [];
    const log = { trace() {}, debug() {}, info() {}, warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    try {
      const expected = fromChangedFiles(await new SimpleGitPort().changedFiles(repo.root, 'main'));
      useProcessStarter({ script: STARTER_SCRIPT, log });
      const pool = new MatchPool({ size: 1 });
      assert.deepEqual(await pool.listChange(repo.root, 'main'), expected);
      assert.deepEqual(fromChangedFiles(await pool.changedFiles(repo.root, 'main')), expected);
      assert.equal(pool.running, 0, 'no matching thread started for the listings');
      assert.ok(processStarterPid() !== undefined, 'git started in the process starter');
      await pool.end();
    } finally {
      stopProcessStarter();
      repo.dispose();
    }
    assert.deepEqual(logged, []);
  });

  it('finds the secrets in a text to mask in a thread, or on this thread without one, as the secret rules find them', async () => {
    const text = `TODO rotate ${s.githubToken} before release\nFIXME nothing secret here`;
    const expected = (await findSecrets('gathered-comments.txt', text)).map((h) => h.raw);
    assert.deepEqual(expected, [s.githubToken]);
    const pool = new MatchPool({ size: 1 });
    assert.deepEqual(await pool.secretValues('gathered-comments.txt', text), expected);
    assert.equal(pool.running, 1, 'found in a thread');
    await pool.end();
    const local = new MatchPool({ script: join(dir, 'no-such-worker.js'), warn: () => undefined });
    assert.deepEqual(await local.secretValues('gathered-comments.txt', text), expected);
  });
});
