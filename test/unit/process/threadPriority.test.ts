import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_NICE_STEPS } from '../../../src/process/threadPriority';
import { MatchPool } from '../../../src/scan/security/matchPool';

const linux = process.platform === 'linux';

/** A thread's nice value as the kernel reports it (/proc/<pid>/task/<tid>/stat, field 19). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** This process's threads running at `nice`. */
function threadsAt(nice: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      if (niceOf(Number(tid)) === nice) n++;
    } catch {
      // Ended meanwhile.
    }
  }
  return n;
}

describe('background thread priority', { skip: !linux && 'a thread has a priority of its own on Linux only' }, () => {
  it('lowers the calling thread by the background steps, and only it: the process and its main thread keep theirs', async () => {
    const before = getPriority(0);
    const module = require.resolve('../../../src/process/threadPriority');
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { readlinkSync } = require('node:fs');
       const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
       const nice = require(${JSON.stringify(module)}).lowerThisThreadPriority();
       parentPort.postMessage({ tid, nice });
       parentPort.once('message', () => process.exit(0));`,
      { eval: true },
    );
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const { tid, nice } = await new Promise<{ tid: number; nice: number | undefined }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    try {
      assert.equal(nice, Math.min(19, before + BACKGROUND_NICE_STEPS));
      assert.equal(niceOf(tid), nice, 'the kernel runs the thread at the new nice value');
      assert.equal(niceOf(process.pid), before, 'the main thread keeps its priority');
      assert.equal(getPriority(0), before);
    } finally {
      worker.postMessage('done');
      await exited;
    }
  });

  it('starts the processes of a lowered thread at its priority', async () => {
    const before = getPriority(0);
    const module = require.resolve('../../../src/process/threadPriority');
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { execFileSync } = require('node:child_process');
       require(${JSON.stringify(module)}).lowerThisThreadPriority();
       // The child prints its own nice value (field 19 of its stat).
       const out = execFileSync('sh', ['-c', 'cut -d" " -f19 /proc/self/stat'], { encoding: 'utf8' });
       parentPort.postMessage(Number(out.trim()));`,
      { eval: true },
    );
    // Listened for first: the thread ends as soon as it has answered.
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const childNice = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await exited;
    assert.equal(childNice, Math.min(19, before + BACKGROUND_NICE_STEPS));
  });

  it('runs the Security scan\'s matching threads lowered', async () => {
    const lowered = Math.min(19, getPriority(0) + BACKGROUND_NICE_STEPS);
    const before = threadsAt(lowered);
    const pool = new MatchPool({ size: 1 });
    try {
      await pool.match(join(__dirname, 'a.ts'), Buffer.from('export const x = 1;\n'));
      assert.equal(threadsAt(lowered), before + 1);
    } finally {
      await pool.end();
    }
    assert.equal(threadsAt(lowered), before, 'the thread ended with the pool');
  });

  it('leaves the process\'s shared thread pool at the process\'s priority when a lowered thread is the first to use it', () => {
    const module = require.resolve('../../../src/process/threadPriority');
    // A fresh process whose first thread-pool work comes from the lowered thread, which stays until the process ends.
    const script = `
      const { Worker } = require('node:worker_threads');
      const { readdirSync, readFileSync } = require('node:fs');
      const nices = () => readdirSync('/proc/self/task').map((t) => { const s = readFileSync('/proc/self/task/' + t + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); });
      const w = new Worker("require(${JSON.stringify(module).replace(/"/g, '\\"')}).lowerThisThreadPriority(); const port = require('node:worker_threads').parentPort; port.on('message', () => undefined); require('node:fs').readFile(__filename, () => port.postMessage(0));", { eval: true });
      w.once('message', () => { process.stdout.write(JSON.stringify(nices())); process.exit(0); });`;
    const nices = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as number[];
    const base = getPriority(0);
    const lowered = Math.min(19, base + BACKGROUND_NICE_STEPS);
    assert.equal(nices.filter((n) => n === lowered).length, 1, `only the lowered thread: ${nices.join(' ')}`);
  });
});
