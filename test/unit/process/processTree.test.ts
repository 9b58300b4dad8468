import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isProcessAlive, processTreeAlive, signalProcessTree, spawnAgentProcess } from '../../../src/process/processTree';
import { delay, fakeAgentCommand, waitUntil } from '../runner/agentPaths';

void describe('process tree', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'af-proc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('isProcessAlive knows this process, a finished child and nonsense pids', async () => {
    assert.equal(isProcessAlive(process.pid), true);
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(child.pid);
    assert.equal(isProcessAlive(child.pid), false);
    assert.equal(isProcessAlive(undefined), false);
    assert.equal(isProcessAlive(0), false);
    assert.equal(isProcessAlive(-1), false);
    assert.equal(isProcessAlive(1.5), false);
  });

  void it('SIGTERM to the tree ends the agent and the grandchild it started', async () => {
    const pidFile = path.join(dir, 'tree.json');
    const { program, args } = fakeAgentCommand([{ grandchild: pidFile }, { sleep: 60_000 }]);
    const child = spawnAgentProcess(program, args, { cwd: dir, env: process.env });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0, 10_000, 'the grandchild');
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { agent: number; grandchild: number };
    assert.equal(isProcessAlive(pids.grandchild), true);
    assert.equal(signalProcessTree(child.pid ?? -1, 'SIGTERM'), true);
    await exited;
    await waitUntil(() => !isProcessAlive(pids.grandchild), 5000, 'the grandchild to die');
    assert.equal(isProcessAlive(pids.agent), false);
    await waitUntil(async () => !(await processTreeAlive(child.pid ?? -1)), 5000, 'the group to be gone');
  });

  void it('hostile text reaches the program as single arguments, uninterpreted', async () => {
    const record = path.join(dir, 'argv.json');
    const hostile = ['$(touch pwned)', '; rm -rf / #', '`touch pwned2`', `"quoted" 'single'`, 'line one\nline two', '&& echo hi | cat > pwned3', '*', '$HOME'];
    const { program, args } = fakeAgentCommand([{ record }], hostile);
    const child = spawnAgentProcess(program, args, { cwd: dir, env: process.env });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[] };
    assert.deepEqual(seen.argv, hostile);
    for (const f of ['pwned', 'pwned2', 'pwned3']) assert.equal(existsSync(path.join(dir, f)), false);
    await delay(0);
  });
});
