import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate } from 'node:timers';
import { processStartTurn } from '../../../src/process/startTurn';

describe('processStartTurn', () => {
  it('gives process starts asked for together a turn of the event loop each, in the order asked', async () => {
    const order: string[] = [];
    const starts = ['a', 'b', 'c'].map((name) =>
      processStartTurn().then(() => {
        order.push(name);
        // Whatever the loop had queued after this start runs before the next one.
        setImmediate(() => order.push(`after ${name}`));
      }),
    );
    await Promise.all(starts);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['a', 'after a', 'b', 'after b', 'c', 'after c']);
  });
});
