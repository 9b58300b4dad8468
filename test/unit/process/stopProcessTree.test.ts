import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isProcessAlive, processTreeAlive, spawnAgentProcess } from '../../../src/process/processTree';
import { MIN_STOP_POLL_MS, stopProcessTree } from '../../../src/process/stopProcessTree';
import { fakeAgentCommand, waitUntil, type Step } from '../runner/agentPaths';

/** Starts the fake agent with `steps` in its own process group; resolves once its pids are known. */
async function startTree(dir: string, name: string, steps: Step[]): Promise<{ pid: number; grandchild: number; exited: () => boolean }> {
  const pidFile = path.join(dir, `${name}.json`);
  const { program, args } = fakeAgentCommand([...steps, { grandchild: pidFile }, { sleep: 60_000 }]);
  const child = spawnAgentProcess(program, args, { cwd: dir, env: process.env });
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil(() => existsSync(pidFile), 10_000, 'the grandchild');
  const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { agent: number; grandchild: number };
  return { pid: child.pid ?? -1, grandchild: pids.grandchild, exited: () => exited };
}

void describe('the stop routine', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'af-stop-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('asks whether the tree lives asynchronously: the answer is a promise, the thread is never held by a scan', async () => {
    const answer = processTreeAlive(process.pid);
    assert.ok(answer instanceof Promise);
    assert.equal(await answer, false, 'this test runner leads no process group of its own pid');
  });

  void it('SIGTERMs the whole tree and waits for it, looking at the process table at most every 250 ms', async () => {
    const tree = await startTree(dir, 'polite', []);
    const looks: number[] = [];
    const started = Date.now();
    const result = await stopProcessTree(tree.pid, {
      graceMs: 5000,
      pollMs: 10,
      exited: tree.exited,
      treeAlive: async (pid) => {
        looks.push(Date.now());
        return processTreeAlive(pid);
      },
    });
    assert.deepEqual(result, { signalled: true, killed: false, gone: true });
    assert.equal(isProcessAlive(tree.pid), false);
    assert.equal(isProcessAlive(tree.grandchild), false);
    assert.ok(looks.length >= 1);
    for (let i = 1; i < looks.length; i++) {
      assert.ok(looks[i] - looks[i - 1] >= MIN_STOP_POLL_MS - 5, `looks ${looks[i] - looks[i - 1]} ms apart`);
    }
    assert.ok(looks[0] - started >= MIN_STOP_POLL_MS - 5, 'the first look comes one period after SIGTERM');
  });

  void it('SIGKILLs a tree that ignores SIGTERM once the grace period is over', async () => {
    const tree = await startTree(dir, 'stubborn', [{ ignoreTerm: true }]);
    let looks = 0;
    const started = Date.now();
    const result = await stopProcessTree(tree.pid, {
      graceMs: 1000,
      exited: tree.exited,
      treeAlive: async (pid) => {
        looks++;
        return processTreeAlive(pid);
      },
    });
    assert.deepEqual(result, { signalled: true, killed: true, gone: true });
    assert.ok(Date.now() - started >= 1000, 'waited out the grace period');
    assert.ok(looks <= Math.ceil((Date.now() - started) / MIN_STOP_POLL_MS) + 1, `${looks} looks in ${Date.now() - started} ms`);
    assert.equal(isProcessAlive(tree.grandchild), false);
  });

  void it('has nothing to do for a tree that is already gone', async () => {
    const tree = await startTree(dir, 'gone', []);
    await stopProcessTree(tree.pid, { graceMs: 1000, exited: tree.exited });
    assert.deepEqual(await stopProcessTree(tree.pid, { graceMs: 1000 }), { signalled: false, killed: false, gone: true });
  });
});
