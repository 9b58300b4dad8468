import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../src/agents/agent';
import { installSecurityGate } from '../../../src/agents/securityGate';
import { SecurityAgent } from '../../../src/agents/securityAgent';
import { FactoryError } from '../../../src/domain/errors';
import type { Status } from '../../../src/domain/status';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { RunManager } from '../../../src/runner/runManager';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { cli } from '../cli/cliProcess';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { fakeAgentCommand } from '../runner/agentPaths';

const secrets = fakeSecrets(11);
const port = new SimpleGitPort();

describe('the Security gate, on every path a ticket can take out of IN_SEC or into DONE', () => {
  let repo: TempRepo;
  let tb: TempBoard;
  let board: SqlBoard;
  let ticketId: string;
  let wt: string;

  const write = (rel: string, content: string): void => {
    mkdirSync(dirname(join(wt, rel)), { recursive: true });
    writeFileSync(join(wt, rel), content);
  };
  const commit = (message: string): void => {
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', message);
  };
  const plantSecrets = (): void => {
    write('config/aws.ini', `[default]\naws_access_key_id = ${secrets.awsAccessKeyId}\n`);
    write('src/github.ts', `export const token = "${secrets.githubToken}";\n`);
    write('src/notify.ts', `export const hook = "${secrets.slackWebhook}";\n`);
    commit('wire up the integrations');
  };
  const securityCycle = () =>
    new SecurityAgent({ settings: () => DEFAULT_SECURITY_SETTINGS, git: port }).runCycle({
      board,
      clock: tb.clock,
      log: silentLogger,
      signal: new AbortController().signal,
      setActivity: () => undefined,
    });
  const move = (to: Status) => board.write((tx) => tx.transition(ticketId, tx.getTicket(ticketId)!.status, to, 'user'));
  const openBlockers = () => board.listBugs(ticketId).filter((b) => b.foundBy === 'Security' && !b.fixed && (b.severity === 'critical' || b.severity === 'high'));

  beforeEach(async () => {
    repo = makeTempRepo();
    tb = await makeTempBoard();
    board = tb.board;
    wt = join(repo.parent, 'wt-gate');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'factory/T-1-gate', wt, 'main');
    write('src/feature.ts', 'export const feature = 1;\n');
    commit('the feature');
    ticketId = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Integrations', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: wt, branch: 'factory/T-1-gate', base: 'main' } });
      for (const [from, to] of [['READY', 'IN_DEV'], ['IN_DEV', 'IN_QA'], ['IN_QA', 'IN_UX'], ['IN_UX', 'IN_SEC']] as const) tx.transition(t.id, from, to, 'runner');
      return t.id;
    });
    installSecurityGate(board, { git: port, settings: () => DEFAULT_SECURITY_SETTINGS, clock: tb.clock });
  });
  afterEach(async () => {
    await tb.dispose();
    repo.dispose();
  });

  it("refuses the runner's move on exit 0 when the agent committed secrets after the last periodic scan", async () => {
    await securityCycle();
    assert.deepEqual(openBlockers(), [], 'the periodic scan saw a clean change');
    plantSecrets();

    const runner = new RunManager({ board, clock: tb.clock, stopGraceMs: 1000 });
    try {
      const run = await board.write((tx) => tx.createRun({ ticketId, stage: 'IN_SEC', agent: 'security-reviewer', status: 'queued', worktree: wt }));
      runner.launch({ runId: run.id, command: fakeAgentCommand([{ exit: 0 }]), title: 'Integrations', promptFile: join(tb.dir, 'runs', run.id, 'prompt.md'), worktree: wt });
      await runner.whenEnded(run.id);
      assert.equal(board.getTicket(ticketId)?.status, 'IN_SEC');
      assert.match(board.getRun(run.id)?.note ?? '', /cannot leave IN_SEC with 3 open critical\/high security findings/);
    } finally {
      await runner.shutdown();
    }
    assert.deepEqual(openBlockers().map((b) => b.rule).sort(), ['secret/aws', 'secret/github', 'secret/slack']);
    const record = board.getSecurityScan(ticketId)!;
    assert.deepEqual([record.commit, record.dirty, record.complete, record.blockers], [git(wt, 'rev-parse', 'HEAD'), false, true, 3]);
  });

  it("refuses the agent's verdict and the terminal's move, then lets them through once the secrets are gone", async () => {
    plantSecrets();
    const run = await board.write((tx) => tx.createRun({ ticketId, stage: 'IN_SEC', agent: 'security-reviewer', status: 'running', worktree: wt }));
    // IN_SEC is a review stage: its verdict is approve.
    const approved = await cli(['approve'], { cwd: tb.root, env: { AGENT_FACTORY_RUN_ID: run.id, AGENT_FACTORY_BOARD: tb.dir } });
    assert.equal(approved.code, 4, approved.stderr);
    assert.match(approved.stderr, /cannot leave IN_SEC with 3 open critical\/high security findings/);
    const moved = await cli(['move', ticketId, 'PM_REVIEW'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
    assert.equal(moved.code, 4, moved.stderr);
    await board.refresh();
    assert.equal(board.getTicket(ticketId)?.status, 'IN_SEC');

    for (const f of ['config/aws.ini', 'src/github.ts', 'src/notify.ts']) rmSync(join(wt, f));
    commit('load the credentials from the environment');
    const again = await cli(['move', ticketId, 'PM_REVIEW'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
    assert.equal(again.code, 0, again.stderr);
    await board.refresh();
    assert.equal(board.getTicket(ticketId)?.status, 'PM_REVIEW');
    assert.deepEqual(openBlockers(), []);
    assert.equal(board.getSecurityScan(ticketId)?.commit, git(wt, 'rev-parse', 'HEAD'));
  });

  it('scans again when the worktree changed since the last scan, uncommitted files included', async () => {
    await securityCycle();
    write('src/debug.ts', `export const t = "${secrets.githubToken}";\n`);
    await assert.rejects(move('PM_REVIEW'), (err: Error) => err.name === 'IllegalTransitionError' && /open critical\/high security finding/.test(err.message));
    assert.equal(board.getSecurityScan(ticketId)?.dirty, true);
    rmSync(join(wt, 'src/debug.ts'));
    await move('PM_REVIEW');
    assert.equal(board.getTicket(ticketId)?.status, 'PM_REVIEW');
  });

  it('lets no ticket reach DONE with an open critical or high finding', async () => {
    await move('PM_REVIEW');
    plantSecrets();
    await assert.rejects(move('DONE'), (err: Error) => /cannot reach DONE with 3 open critical\/high security findings/.test(err.message));
    assert.equal(board.getTicket(ticketId)?.status, 'PM_REVIEW');
  });

  it('refuses, saying why, in a process that cannot scan', async () => {
    const other = await tb.open();
    await assert.rejects(
      other.write((tx) => tx.transition(ticketId, 'IN_SEC', 'PM_REVIEW', 'user')),
      (err: unknown) => err instanceof FactoryError && /has not been scanned by Security at its current commit and worktree state, and this process cannot scan it/.test(err.message),
    );
    installSecurityGate(other, { git: port, settings: () => DEFAULT_SECURITY_SETTINGS, clock: tb.clock, refusal: () => 'the workspace is not trusted' });
    await assert.rejects(other.write((tx) => tx.transition(ticketId, 'IN_SEC', 'PM_REVIEW', 'user')), /could not be scanned: the workspace is not trusted/);
    rmSync(wt, { recursive: true, force: true });
    await assert.rejects(move('PM_REVIEW'), /could not be scanned: its worktree .* is missing/);
  });

  it('moves a ticket without a worktree on without a scan: it has no change', async () => {
    const id = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Write the docs', status: 'READY' }, 'user');
      for (const [from, to] of [['READY', 'IN_DEV'], ['IN_DEV', 'IN_QA'], ['IN_QA', 'IN_UX'], ['IN_UX', 'IN_SEC'], ['IN_SEC', 'PM_REVIEW'], ['PM_REVIEW', 'DONE']] as const) tx.transition(t.id, from, to, 'user');
      return t.id;
    });
    assert.equal(board.getTicket(id)?.status, 'DONE');
    assert.equal(board.getSecurityScan(id), undefined);
  });
});
