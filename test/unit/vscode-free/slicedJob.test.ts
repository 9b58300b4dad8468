import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlicedJob } from '../../../src/vscode/tickets/slicedJob';

function* counting(log: number[], steps: number): Generator<void, void, undefined> {
  for (let i = 1; i <= steps; i++) {
    log.push(i);
    if (i < steps) yield;
  }
}

describe('sliced job', () => {
  it('runs its first slice at once and the rest on later turns of the event loop', async () => {
    const log: number[] = [];
    // A slice of 0 ms holds one step: each later step waits for a turn of the event loop.
    const job = new SlicedJob(counting(log, 4), (err) => assert.fail(String(err)), 0);
    job.start();
    assert.deepEqual(log, [1]);
    assert.equal(job.running, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(log.length < 4, 'not all in the next turn');
    await job.done;
    assert.deepEqual(log, [1, 2, 3, 4]);
    assert.equal(job.running, false);
  });

  it('started for later, runs nothing in this turn, and a cancel before its turn runs nothing at all', async () => {
    const log: number[] = [];
    const job = new SlicedJob(counting(log, 3), (err) => assert.fail(String(err)), 0);
    job.startLater();
    job.startLater();
    assert.deepEqual(log, []);
    await job.done;
    assert.deepEqual(log, [1, 2, 3], 'each step once, started twice or not');

    const never: number[] = [];
    const cancelled = new SlicedJob(counting(never, 3), (err) => assert.fail(String(err)), 0);
    cancelled.startLater();
    cancelled.cancel();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(never, []);
  });

  it('finishes at once when asked, and stops for good when cancelled', async () => {
    const log: number[] = [];
    const job = new SlicedJob(counting(log, 5), (err) => assert.fail(String(err)), 0);
    job.start();
    job.finishNow();
    assert.deepEqual(log, [1, 2, 3, 4, 5]);
    await job.done;

    const stopped: number[] = [];
    const cancelled = new SlicedJob(counting(stopped, 5), (err) => assert.fail(String(err)), 0);
    cancelled.start();
    cancelled.cancel();
    await cancelled.done;
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(stopped, [1]);
  });

  it('hands a failure in a later slice to its owner and throws one met while finishing to the caller', async () => {
    function* failing(): Generator<void, void, undefined> {
      yield;
      throw new Error('the board closed');
    }
    const errors: unknown[] = [];
    const later = new SlicedJob(failing(), (err) => errors.push(err), 0);
    later.start();
    await later.done;
    assert.deepEqual(errors.map((e) => (e as Error).message), ['the board closed']);

    const now = new SlicedJob(failing(), (err) => assert.fail(String(err)), 0);
    now.start();
    assert.throws(() => now.finishNow(), /the board closed/);
    assert.equal(now.running, false);
  });
});
