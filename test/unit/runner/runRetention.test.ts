import assert from 'node:assert/strict';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import { runDir, runLogFile } from '../../../src/runner/runFiles';
import { pruneRunFolders } from '../../../src/runner/runRetention';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';

const DAY = 24 * 60 * 60_000;

void describe('run retention', () => {
  let tb: TempBoard;
  let ticketId: string;
  beforeEach(async () => {
    tb = await makeTempBoard();
    ticketId = (await tb.board.write((tx) => tx.createTicket({ title: 'Busy ticket', status: 'READY' }, 'user'))).id;
  });
  afterEach(async () => tb.dispose());

  /** A run started `daysAgo` days ago, with its folder and log on disk; ended unless `live`. */
  async function runFrom(daysAgo: number, live = false): Promise<Run> {
    const startedAt = tb.clock.now() - daysAgo * DAY;
    const run = await tb.board.write((tx) => tx.createRun({ ticketId, stage: 'IN_DEV', agent: 'fake', status: live ? 'running' : 'queued', startedAt }));
    mkdirSync(runDir(tb.dir, run.id), { recursive: true });
    writeFileSync(runLogFile(tb.dir, run.id), 'output\n');
    return tb.board.write((tx) =>
      tx.updateRun(run.id, { logFile: runLogFile(tb.dir, run.id), ...(live ? {} : { status: 'succeeded', endedAt: startedAt + 60_000 }) }),
    );
  }

  void it('removes the folders of runs older than the retention period, forgets their logs, and never touches a live run', async () => {
    const old = [await runFrom(40), await runFrom(35)];
    const recent = [await runFrom(3), await runFrom(1)];
    const liveForWeeks = await runFrom(60, true);
    // A folder no row knows (its ticket was deleted): pruned by age alone.
    const stray = path.join(tb.dir, 'runs', 'r-0123456789abcdef');
    mkdirSync(stray);
    const longAgo = (tb.clock.now() - 45 * DAY) / 1000;
    utimesSync(stray, longAgo, longAgo);
    const freshStray = path.join(tb.dir, 'runs', 'r-fedcba9876543210');
    mkdirSync(freshStray);
    utimesSync(freshStray, tb.clock.now() / 1000, tb.clock.now() / 1000);

    const pruned = await pruneRunFolders(tb.board, { retentionDays: 30, retentionCount: 200 }, tb.clock.now());
    assert.equal(pruned, 3);
    for (const run of old) {
      assert.equal(existsSync(runDir(tb.dir, run.id)), false);
      assert.equal(tb.board.getRun(run.id)?.logFile, undefined, 'the row forgets the log');
      assert.equal(tb.board.getRun(run.id)?.status, 'succeeded', 'the run itself stays on record');
    }
    for (const run of [...recent, liveForWeeks]) {
      assert.ok(existsSync(runLogFile(tb.dir, run.id)));
      assert.equal(tb.board.getRun(run.id)?.logFile, runLogFile(tb.dir, run.id));
    }
    assert.equal(existsSync(stray), false);
    assert.equal(existsSync(freshStray), true);
  });

  void it('keeps only the newest runs beyond the count, live ones always', async () => {
    const runs = [await runFrom(5), await runFrom(4), await runFrom(3), await runFrom(2), await runFrom(1)];
    const live = await runFrom(10, true);
    const pruned = await pruneRunFolders(tb.board, { retentionDays: 30, retentionCount: 2 }, tb.clock.now());
    // The newest two by start (1 and 2 days ago) keep theirs, and so does the live run, however old.
    const kept = [...runs, live].filter((r) => existsSync(runDir(tb.dir, r.id))).map((r) => r.id);
    assert.deepEqual(kept.sort(), [runs[3].id, runs[4].id, live.id].sort());
    assert.equal(pruned, 3);
  });
});
