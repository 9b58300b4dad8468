import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import type { Status } from '../../../src/domain/status';
import { settingDefault } from '../../../src/settings/schema';
import { RunManager } from '../../../src/runner/runManager';
import { findRunThread, PM_THREAD_KEY } from '../../../src/runner/threads';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { compiledCli, fakeAgentCommand } from '../runner/agentPaths';
import { cli } from './cliProcess';

void describe('agent-factory for a running agent', () => {
  let tb: TempBoard;
  let run: Run;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    tb = await makeTempBoard();
    run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Build the parser', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'claude', status: 'running' });
    });
    env = { AGENT_FACTORY_RUN_ID: run.id, AGENT_FACTORY_BOARD: tb.dir };
  });
  afterEach(async () => {
    await tb.dispose();
  });

  const pmMessages = async (): Promise<{ author: string; kind: string; body: string }[]> => {
    await tb.board.refresh();
    const thread = tb.board.findConversation(run.ticketId, PM_THREAD_KEY);
    return thread ? tb.board.listMessages(thread.id) : [];
  };

  void it('a note lands in the ticket\'s PM thread, created when missing; progress updates the run, not the thread', async () => {
    const note = await cli(['note', 'Parser skeleton in place;', 'tests next'], { cwd: tb.root, env });
    assert.equal(note.code, 0, note.stderr);
    assert.equal(note.stdout.trim(), `Noted on ${run.ticketId}.`);
    const progress = await cli(['progress', '40%', 'lexer done'], { cwd: tb.root, env });
    assert.equal(progress.code, 0, progress.stderr);

    const messages = await pmMessages();
    assert.equal(tb.board.findConversation(run.ticketId, PM_THREAD_KEY)?.type, 'pm_checkin');
    assert.deepEqual(
      messages.map((m) => [m.author, m.kind, m.body]),
      [['claude', 'note', 'Parser skeleton in place; tests next']],
    );
    const updated = tb.board.getRun(run.id);
    assert.equal(updated?.reportedProgress, 40);
    assert.equal(updated?.progressNote, 'lexer done');
    assert.ok((updated?.lastOutputAt ?? 0) > 0, 'reports count as activity');
    assert.equal(updated?.heartbeatAt, run.heartbeatAt, 'only the owner heartbeats');

    const bare = await cli(['progress', '55'], { cwd: tb.root, env });
    assert.equal(bare.code, 0, bare.stderr);
    await tb.board.refresh();
    assert.deepEqual([tb.board.getRun(run.id)?.reportedProgress, tb.board.getRun(run.id)?.progressNote], [55, undefined], 'a report without words clears the old ones');
    assert.equal((await pmMessages()).length, 1);
  });

  void it('heartbeat counts as activity; progress outside 0..100 is refused', async () => {
    const beat = await cli(['heartbeat'], { cwd: tb.root, env });
    assert.equal(beat.code, 0, beat.stderr);
    await tb.board.refresh();
    assert.ok((tb.board.getRun(run.id)?.lastOutputAt ?? 0) > 0);
    const bad = await cli(['progress', '140'], { cwd: tb.root, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /progress must be a number from 0 to 100, not "140"/);
  });

  void it('heartbeat --state waiting marks the run as needing input (masked, one line), --state working clears it', async () => {
    const waiting = await cli(['heartbeat', '--state', 'waiting', '--reason', 'Allow git push with token=ghp_abcdefghijklmnopqrstuvwxyz012345?\nnext'], { cwd: tb.root, env });
    assert.equal(waiting.code, 0, waiting.stderr);
    await tb.board.refresh();
    const needs = tb.board.getRun(run.id)?.attention?.needsInput;
    assert.equal(needs?.source, 'hook');
    assert.equal(needs?.reason, 'Allow git push with token=ghp_…45? next');
    const again = await cli(['heartbeat', '--state', 'waiting'], { cwd: tb.root, env });
    assert.equal(again.code, 0, again.stderr);
    await tb.board.refresh();
    assert.equal(tb.board.getRun(run.id)?.attention?.needsInput?.since, needs?.since, 'the first wait is kept');
    const working = await cli(['heartbeat', '--state', 'working'], { cwd: tb.root, env });
    assert.equal(working.code, 0, working.stderr);
    await tb.board.refresh();
    assert.equal(tb.board.getRun(run.id)?.attention, undefined);
    const bad = await cli(['heartbeat', '--state', 'asleep'], { cwd: tb.root, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--state must be waiting or working, not "asleep"/);
  });

  void it('block moves the ticket to BLOCKED with the reason and says so in the PM thread', async () => {
    const r = await cli(['block', 'The API key for the payment sandbox is missing'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${run.ticketId} is BLOCKED (from IN_DEV).`);
    await tb.board.refresh();
    const ticket = tb.board.getTicket(run.ticketId);
    assert.equal(ticket?.status, 'BLOCKED');
    assert.equal(ticket?.blockedReason, 'The API key for the payment sandbox is missing');
    assert.equal(tb.board.history(run.ticketId).at(-1)?.by, 'claude');
    assert.deepEqual((await pmMessages()).at(-1)?.body, 'Blocked: The API key for the payment sandbox is missing');
    const again = await cli(['block', 'still'], { cwd: tb.root, env });
    assert.equal(again.code, 4, 'a blocked ticket cannot be blocked again');
  });

  void it('done advances the ticket to the next stage of the default pipeline and ends the run with success, once', async () => {
    const r = await cli(['done'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${run.ticketId} moved to IN_SEC. You can exit now.`);
    await tb.board.refresh();
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'IN_SEC');
    const ended = tb.board.getRun(run.id);
    assert.equal(ended?.status, 'succeeded');
    assert.equal(ended?.verdict, 'done');
    assert.equal(ended?.note, 'the agent reported done; ticket moved to IN_SEC');
    const thread = findRunThread(tb.board, run.ticketId);
    assert.match(tb.board.listMessages(thread?.id ?? '').at(-1)?.body ?? '', /succeeded: the agent reported done/);

    const twice = await cli(['done'], { cwd: tb.root, env });
    assert.equal(twice.code, 4);
    assert.match(twice.stderr, /run r-[0-9a-z]+ has already ended \(succeeded\); stop working on T-1/);
    const late = await cli(['progress', '90'], { cwd: tb.root, env });
    assert.equal(late.code, 4, 'an ended run reports nothing more');
  });

  void it('done refuses when someone moved the ticket meanwhile (exit 4) and changes nothing', async () => {
    await tb.board.write((tx) => tx.transition(run.ticketId, 'IN_DEV', 'READY', 'user', 'not yet'));
    const r = await cli(['done'], { cwd: tb.root, env });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /T-1 is READY now, not IN_DEV: someone moved it/);
    await tb.board.refresh();
    assert.equal(tb.board.getRun(run.id)?.status, 'running');
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'READY');
  });

  void it('needs a valid run id from the environment', async () => {
    const missing = await cli(['note', 'hi'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /AGENT_FACTORY_RUN_ID is not set/);
    const malformed = await cli(['note', 'hi'], { cwd: tb.root, env: { ...env, AGENT_FACTORY_RUN_ID: '../../etc' } });
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /not a valid AGENT_FACTORY_RUN_ID/);
    const unknown = await cli(['note', 'hi'], { cwd: tb.root, env: { ...env, AGENT_FACTORY_RUN_ID: 'r-zzzzzzzz' } });
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /there is no run r-zzzzzzzz on this board/);
    const empty = await cli(['note', '  '], { cwd: tb.root, env });
    assert.equal(empty.code, 2);
  });
});

void describe('an agent reporting through agent-factory on its PATH', () => {
  let tb: TempBoard;
  let manager: RunManager;
  beforeEach(async () => {
    tb = await makeTempBoard();
    // The same pipeline as the CLI reads from the (absent) repository settings: the default.
    const pipeline = settingDefault('pipeline') as Status[];
    manager = new RunManager({ board: tb.board, clock: tb.clock, cli: { nodePath: process.execPath, script: compiledCli }, doneGraceMs: 5000, pipeline: () => pipeline });
  });
  afterEach(async () => {
    await manager.shutdown();
    await tb.dispose();
  });

  void it('notes, reports progress and finishes with done; its later exit does not change the outcome', async () => {
    const worktree = path.join(tb.root, 'wt');
    mkdirSync(worktree);
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Report back', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'fake', status: 'queued', worktree });
    });
    const ended: string[] = [];
    manager.onDidEndRun((e) => ended.push(`${e.run.status}->${e.advancedTo ?? '-'}`));
    manager.launch({
      runId: run.id,
      command: fakeAgentCommand([{ cli: ['note', 'starting'] }, { cli: ['progress', '50', 'halfway'] }, { cli: ['done'] }, { exit: 7 }]),
      title: 'Report back',
      promptFile: path.join(tb.dir, 'runs', run.id, 'prompt.md'),
      worktree,
    });
    await manager.whenEnded(run.id);
    const final = tb.board.getRun(run.id);
    assert.equal(final?.status, 'succeeded', final?.note);
    assert.equal(final?.exitCode, 7, 'the exit code is recorded, the outcome is the agent\'s done');
    assert.equal(final?.reportedProgress, 50);
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'IN_SEC');
    assert.deepEqual(ended, ['succeeded->IN_SEC']);
    const thread = tb.board.findConversation(run.ticketId, PM_THREAD_KEY);
    assert.deepEqual(
      tb.board.listMessages(thread?.id ?? '').map((m) => m.body),
      ['starting'],
    );
    assert.equal(final?.progressNote, 'halfway');
  });
});
