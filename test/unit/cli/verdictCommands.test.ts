import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Run } from '../../../src/domain/run';
import type { Status } from '../../../src/domain/status';
import { SECURITY_AUTHOR } from '../../../src/domain/gates';
import { findRunThread } from '../../../src/runner/threads';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { cli } from './cliProcess';

const STEPS: Status[] = ['IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'];

void describe('verdicts from a running agent', () => {
  let tb: TempBoard;

  beforeEach(async () => {
    tb = await makeTempBoard();
  });
  afterEach(async () => {
    await tb.dispose();
  });

  /** A ticket in `stage` with a running run of `agent` there, and the environment the runner gives it. */
  async function runIn(stage: Status, agent = 'reviewer'): Promise<{ run: Run; env: NodeJS.ProcessEnv }> {
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: `Ticket in ${stage}`, status: 'READY' }, 'user');
      let at: Status = 'READY';
      for (const next of STEPS.slice(0, STEPS.indexOf(stage) + 1)) {
        tx.transition(t.id, at, next, 'user');
        at = next;
      }
      return tx.createRun({ ticketId: t.id, stage, agent, status: 'running' });
    });
    return { run, env: { AGENT_FACTORY_RUN_ID: run.id, AGENT_FACTORY_BOARD: tb.dir } };
  }

  function settings(values: Record<string, unknown>): void {
    mkdirSync(path.join(tb.root, '.vscode'), { recursive: true });
    writeFileSync(path.join(tb.root, '.vscode', 'settings.json'), `// the repository's settings\n${JSON.stringify(values, null, 2)}\n`);
  }

  void it('done moves a work stage on through the pipeline of the repository settings, with its summary', async () => {
    settings({ 'agentFactory.pipeline': ['IN_DEV', 'PM_REVIEW'] });
    const { run, env } = await runIn('IN_DEV', 'claude');
    const r = await cli(['done', '--summary', 'Parser and tests'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${run.ticketId} moved to PM_REVIEW. You can exit now.`);
    await tb.board.refresh();
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'PM_REVIEW', 'IN_QA, IN_UX and IN_SEC are not in the pipeline');
    const ended = tb.board.getRun(run.id);
    assert.deepEqual([ended?.status, ended?.verdict, ended?.summary], ['succeeded', 'done', 'Parser and tests']);
    assert.equal(tb.board.history(run.ticketId).at(-1)?.by, 'claude');
    assert.match(tb.board.listMessages(findRunThread(tb.board, run.ticketId)?.id ?? '').at(-1)?.body ?? '', /reported done; ticket moved to PM_REVIEW\.\n\nSummary: Parser and tests$/);
  });

  void it("done follows the pipeline of the host that started the agent over the repository's settings", async () => {
    // An editor may hold the pipeline in user settings, which the CLI cannot read: the runner passes it.
    settings({ 'agentFactory.pipeline': ['IN_DEV', 'IN_SEC', 'PM_REVIEW'] });
    const { run, env } = await runIn('IN_DEV');
    const r = await cli(['done'], { cwd: tb.root, env: { ...env, AGENT_FACTORY_PIPELINE: 'IN_DEV,IN_QA,PM_REVIEW' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${run.ticketId} moved to IN_QA. You can exit now.`);

    const other = await runIn('IN_DEV');
    const bad = await cli(['done'], { cwd: tb.root, env: { ...other.env, AGENT_FACTORY_PIPELINE: 'PM_REVIEW,IN_DEV' } });
    assert.equal(bad.code, 0, bad.stderr);
    assert.match(bad.stderr, /AGENT_FACTORY_PIPELINE must start with IN_DEV, not PM_REVIEW; using the repository's settings/);
    assert.equal(bad.stdout.trim(), `${other.run.ticketId} moved to IN_SEC. You can exit now.`);
  });

  void it('a malformed settings file is a warning, not a lost verdict', async () => {
    settings({});
    writeFileSync(path.join(tb.root, '.vscode', 'settings.json'), '{ "agentFactory.pipeline": [');
    const { env } = await runIn('IN_DEV');
    const r = await cli(['done'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ignoring the repository's settings: .*settings\.json:1/);
    assert.match(r.stdout, /moved to IN_SEC/);
  });

  void it('an invalid pipeline setting is named on stderr and the default pipeline used', async () => {
    settings({ agentFactory: { pipeline: ['PM_REVIEW', 'IN_DEV'] } });
    const { run, env } = await runIn('IN_DEV');
    const r = await cli(['done'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /agentFactory\.pipeline must start with IN_DEV, not PM_REVIEW; using \["IN_DEV","IN_SEC","PM_REVIEW"\]/);
    await tb.board.refresh();
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'IN_SEC');
  });

  void it('approve finishes a review stage; the last stage of the pipeline leads to DONE', async () => {
    const { run, env } = await runIn('PM_REVIEW', 'pm-bot');
    const r = await cli(['approve', '-m', 'All criteria met'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${run.ticketId} moved to DONE. You can exit now.`);
    await tb.board.refresh();
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'DONE');
    assert.deepEqual([tb.board.getRun(run.id)?.verdict, tb.board.getRun(run.id)?.summary], ['approved', 'All criteria met']);
  });

  void it('each verdict belongs to its kind of stage (exit 4), and nothing changes when refused', async () => {
    const dev = await runIn('IN_DEV');
    const approve = await cli(['approve'], { cwd: tb.root, env: dev.env });
    assert.equal(approve.code, 4);
    assert.match(approve.stderr, /IN_DEV is a work stage: finish it with `agent-factory done`, not `agent-factory approve`/);
    const sec = await runIn('IN_SEC');
    const done = await cli(['done'], { cwd: tb.root, env: sec.env });
    assert.equal(done.code, 4);
    assert.match(done.stderr, /IN_SEC is a review stage: finish it with `agent-factory approve` or `agent-factory reject --bug <text>`, not `agent-factory done`/);
    await tb.board.refresh();
    assert.equal(tb.board.getRun(dev.run.id)?.status, 'running');
    assert.equal(tb.board.getTicket(sec.run.ticketId)?.status, 'IN_SEC');
  });

  void it('approve cannot take a ticket past open critical Security findings (exit 4)', async () => {
    const { run, env } = await runIn('IN_SEC');
    await tb.board.write((tx) => tx.addBug({ ticketId: run.ticketId, title: 'AWS key in config.ts', severity: 'critical', foundBy: SECURITY_AUTHOR }));
    const r = await cli(['approve'], { cwd: tb.root, env });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /cannot leave IN_SEC with an open critical\/high security finding: critical AWS key in config\.ts/);
    await tb.board.refresh();
    assert.equal(tb.board.getRun(run.id)?.status, 'running');
  });

  void it('reject files each bug with its own severity and place, and sends the ticket back to IN_DEV', async () => {
    const { run, env } = await runIn('IN_QA', 'qa-bot');
    const r = await cli(
      ['reject', '--bug', 'Retries forever on HTTP 400', '--severity', 'high', '--file', 'src/upload.ts', '--line', '42', '--bug', 'No test for the timeout', '--summary', 'Ran the suite'],
      { cwd: tb.root, env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${run.ticketId} went back to IN_DEV with 2 bugs for rework. You can exit now.`);
    await tb.board.refresh();
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'IN_DEV');
    const bugs = tb.board.listBugs(run.ticketId).map((b) => [b.title, b.severity, b.file, b.line, b.foundBy, b.fixed]);
    assert.deepEqual(bugs, [
      ['Retries forever on HTTP 400', 'high', 'src/upload.ts', 42, 'qa-bot', false],
      ['No test for the timeout', 'medium', undefined, undefined, 'qa-bot', false],
    ]);
    const ended = tb.board.getRun(run.id);
    assert.deepEqual([ended?.status, ended?.verdict, ended?.summary], ['succeeded', 'rejected', 'Ran the suite']);
    assert.match(tb.board.history(run.ticketId).at(-1)?.note ?? '', /IN_QA rejected by qa-bot \(run r-\w+\): Retries forever on HTTP 400; No test for the timeout/);
  });

  void it('reject refuses what it cannot file (exit 2) and changes nothing', async () => {
    const { run, env } = await runIn('IN_UX');
    const cases: [string[], RegExp][] = [
      [['reject'], /reject needs at least one --bug/],
      [['reject', '--file', 'a.ts', '--bug', 'x'], /--file describes a bug: put it after the --bug it belongs to/],
      [['reject', '--bug', 'x', '--line', '3'], /--line needs --file/],
      [['reject', '--bug', 'x', '--severity', 'urgent'], /--severity must be one of critical, high, medium, low, not "urgent"/],
      [['reject', '--bug', 'x', '--file', 'a.ts', '--line', '0'], /--line must be a line number \(1 or more\), not "0"/],
      [['reject', '--bug', 'x', '--severity', 'low', '--severity', 'high'], /--severity given twice/],
      [['reject', '--bug', '  '], /--bug needs the text of the bug/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, { cwd: tb.root, env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    await tb.board.refresh();
    assert.equal(tb.board.listBugs(run.ticketId).length, 0);
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'IN_UX');
  });

  void it('bug files a bug without ending the stage; a long text keeps its whole description', async () => {
    const { run, env } = await runIn('IN_DEV', 'claude');
    const long = `${'The retry loop ignores the deadline. '.repeat(8)}\nSeen with a slow server.`;
    const r = await cli(['bug', long, '--severity', 'low', '--file', 'src/retry.ts', '--line', '7'], { cwd: tb.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), new RegExp(`^Filed low bug b-\\w+ on ${run.ticketId}\\.$`));
    await tb.board.refresh();
    const [bug] = tb.board.listBugs(run.ticketId);
    assert.equal([...(bug?.title ?? '')].length, 200);
    assert.ok(bug?.title.endsWith('…'));
    assert.equal(bug?.description, long.trim());
    assert.deepEqual([bug?.file, bug?.line, bug?.foundBy], ['src/retry.ts', 7, 'claude']);
    assert.equal(tb.board.getRun(run.id)?.status, 'running');
    assert.equal(tb.board.getTicket(run.ticketId)?.status, 'IN_DEV');
    const noText = await cli(['bug'], { cwd: tb.root, env });
    assert.equal(noText.code, 2);
  });

  void it('refuses a verdict without a run (2), for an unknown run (3), an ended run or a moved ticket (4)', async () => {
    const { run, env } = await runIn('IN_DEV');
    const cases: [NodeJS.ProcessEnv, string[], number, RegExp][] = [
      [{ AGENT_FACTORY_BOARD: tb.dir }, ['done'], 2, /AGENT_FACTORY_RUN_ID is not set/],
      [{ ...env, AGENT_FACTORY_RUN_ID: 'r-zzzzzzzz' }, ['approve'], 3, /there is no run r-zzzzzzzz/],
      [{ ...env, AGENT_FACTORY_RUN_ID: 'r-zzzzzzzz' }, ['bug', 'x'], 3, /there is no run r-zzzzzzzz/],
    ];
    for (const [e, args, code, message] of cases) {
      const r = await cli(args, { cwd: tb.root, env: e });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    await tb.board.write((tx) => tx.transition(run.ticketId, 'IN_DEV', 'READY', 'user', 'not yet'));
    const moved = await cli(['done'], { cwd: tb.root, env });
    assert.equal(moved.code, 4);
    assert.match(moved.stderr, /is READY now, not IN_DEV: someone moved it/);
    await tb.board.write((tx) => tx.updateRun(run.id, { status: 'cancelled', endedAt: tb.clock.now() }));
    for (const args of [['done'], ['reject', '--bug', 'x'], ['bug', 'x']]) {
      const ended = await cli(args, { cwd: tb.root, env });
      assert.equal(ended.code, 4, args.join(' '));
      assert.match(ended.stderr, /has already ended \(cancelled\)/);
    }
  });
});
