import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { describeUsers, folderInUse } from '../../../src/git/folderInUse';

void describe('folderInUse', () => {
  let root: string;
  let folder: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'af-inuse-'));
    folder = join(root, 'worktree');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'sub', 'held.txt'), 'x');
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  /** A process that says "ready" once it is where the test wants it. */
  const start = async (code: string, cwd: string): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['-e', `${code}; console.log('ready'); setInterval(() => {}, 1000)`], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    return child;
  };

  void it('is free when no process is inside', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    assert.deepEqual(await folderInUse(folder), { state: 'free', how: 'proc' });
  });

  void it('names a process whose current directory is inside, even deep inside', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const child = await start('', join(folder, 'sub'));
    const use = await folderInUse(folder);
    assert.equal(use.state, 'busy');
    assert.ok(use.state === 'busy' && use.users.some((u) => u.pid === child.pid && u.how === 'current directory'));
    assert.match(describeUsers(use.state === 'busy' ? use.users : []), new RegExp(`pid ${child.pid} \\(node, current directory\\)`));
  });

  void it('names a process that holds a file inside open from elsewhere', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const child = await start(`require('fs').openSync(${JSON.stringify(join(folder, 'sub', 'held.txt'))}, 'r')`, root);
    const use = await folderInUse(folder);
    assert.ok(use.state === 'busy' && use.users.some((u) => u.pid === child.pid && u.how.startsWith('open file')), JSON.stringify(use));
  });

  void it('on Windows leaves the check to the rename every removal starts with', async () => {
    assert.deepEqual(await folderInUse(folder, 'win32'), { state: 'free', how: 'rename' });
  });

  void it('elsewhere asks lsof, and without it cannot tell (so nothing is removed)', async () => {
    const use = await folderInUse(folder, 'darwin');
    if (spawnSync('lsof', ['-v']).error) assert.deepEqual(use, { state: 'unknown', why: 'lsof is not installed' });
    else assert.equal(use.state, 'free');
  });
});
