import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Status } from '../../../src/domain/status';
import { Autopilot, type AutopilotSettings } from '../../../src/loop/autopilot';
import { setAutopilot } from '../../../src/loop/autopilotState';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const settings = (avoidOverlap: boolean): AutopilotSettings => ({
  pipeline: () => ['IN_DEV', 'IN_SEC', 'PM_REVIEW'] as Status[],
  hasAgent: (stage) => stage === 'IN_DEV',
  maxParallel: () => 4,
  maxAttempts: () => 3,
  avoidOverlap: () => avoidOverlap,
});

describe('the autopilot and the conflict radar (autopilot.avoidOverlap)', () => {
  let tb: TempBoard;
  beforeEach(async () => {
    tb = await makeTempBoard();
    const { board, clock } = tb;
    await board.write((tx) => {
      // T-1 runs and changes src/a.ts; T-2 (READY, worked on before) changed src/a.ts too; T-3 changed src/b.ts.
      for (const title of ['running', 'overlaps', 'elsewhere']) tx.createTicket({ title, status: 'READY' }, 'user');
      tx.transition('T-1', 'READY', 'IN_DEV', 'user');
      tx.createRun({ ticketId: 'T-1', stage: 'IN_DEV', agent: 'dev', status: 'running' });
      const change = (path: string) => [{ path, kind: 'modified', additions: 1, deletions: 0 }];
      tx.setChangedFiles('T-1', 'main', change('src/a.ts'));
      tx.setChangedFiles('T-2', 'main', change('src/a.ts'));
      tx.setChangedFiles('T-3', 'main', change('src/b.ts'));
      setAutopilot(tx, true, 'user', clock.now());
    });
  });
  afterEach(async () => {
    await tb.dispose();
  });

  const startsWith = async (avoidOverlap: boolean): Promise<string[]> => {
    const started: string[] = [];
    const autopilot = new Autopilot({
      board: tb.board,
      settings: settings(avoidOverlap),
      clock: tb.clock,
      log: { info: () => undefined, warn: () => undefined },
      isLeader: () => true,
      start: async (ticketId) => {
        started.push(ticketId);
        return { run: { id: `r-${ticketId}`, stage: 'IN_DEV' } };
      },
    });
    try {
      const pass = await autopilot.pass();
      assert.equal(pass.on, true);
    } finally {
      autopilot.dispose();
    }
    return started.sort();
  };

  it('holds back a ticket whose recorded files overlap a running one, and starts the rest', async () => {
    assert.deepEqual(await startsWith(true), ['T-3']);
  });

  it('starts every READY ticket when the setting is off', async () => {
    assert.deepEqual(await startsWith(false), ['T-2', 'T-3']);
  });
});
