import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree } from '../../../src/agents/worktreeAgent';
import { FactoryError } from '../../../src/domain/errors';
import type { Status } from '../../../src/domain/status';
import type { Ticket } from '../../../src/domain/ticket';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import type { AgentCommand } from '../../../src/runner/agentCommand';
import { RunManager } from '../../../src/runner/runManager';
import { findRunThread } from '../../../src/runner/threads';
import { TicketRunner } from '../../../src/runner/ticketRunner';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { fakeAgentCommand, waitUntil, type Step } from './agentPaths';

void describe('TicketRunner', () => {
  let repo: TempRepo;
  let tb: TempBoard;
  let board: SqlBoard;
  let runs: RunManager;
  let runner: TicketRunner;
  let commands: Partial<Record<Status, AgentCommand>>;
  let trusted: boolean;
  let failWorktree: Error | undefined;
  let failTerminal: Error | undefined;
  let terminals: string[];
  const port = new SimpleGitPort();

  beforeEach(async () => {
    repo = makeTempRepo();
    tb = await makeTempBoard({ repoRoot: repo.root });
    board = tb.board;
    commands = {};
    trusted = true;
    failWorktree = undefined;
    failTerminal = undefined;
    terminals = [];
    runs = new RunManager({ board, clock: tb.clock, stopGraceMs: 1000 });
    runner = new TicketRunner({
      board,
      runs,
      commandFor: (stage) => commands[stage],
      prepareWorktree: async (ticket) => {
        if (failWorktree) throw failWorktree;
        return ensureTicketWorktree(board, port, ticket, DEFAULT_WORKTREE_SETTINGS);
      },
      isTrusted: () => trusted,
      openTerminal: (started) => {
        if (failTerminal) throw failTerminal;
        terminals.push(started.run.id);
      },
    });
  });
  afterEach(async () => {
    runner.dispose();
    await runs.shutdown();
    await tb.dispose();
    repo.dispose();
  });

  const readyTicket = (title = 'Add a login form', criteria: string[] = ['It logs in', 'It shows errors']): Promise<Ticket> =>
    board.write((tx) => tx.createTicket({ title, status: 'READY', acceptanceCriteria: criteria, description: 'Users need to sign in.' }, 'user'));

  const agent = (steps: Step[]): AgentCommand => fakeAgentCommand(steps, ['${ticketId}', '${worktree}', '${promptFile}']);

  void it('records the run, moves READY -> IN_DEV, creates the worktree, writes the prompt, and the agent advances it', async () => {
    const ticket = await readyTicket();
    const record = path.join(repo.parent, 'record.json');
    commands.IN_DEV = agent([{ record }, { print: 'implemented' }, { exit: 0 }]);
    const started = await runner.startTicket(ticket.id);
    assert.equal(started.kind, 'agent');
    assert.equal(started.run.stage, 'IN_DEV');
    assert.equal(started.run.agent, 'node');

    const moved = board.history(ticket.id).at(-1);
    assert.equal(moved?.to, 'IN_DEV');
    assert.equal(moved?.note, `Started: node run ${started.run.id}`);
    assert.ok(started.run.startedAt <= (moved?.at ?? 0), 'the run was recorded no later than the move');

    await runs.whenEnded(started.run.id);
    assert.equal(board.getRun(started.run.id)?.status, 'succeeded');
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_QA');

    const wt = board.getTicket(ticket.id)?.worktree;
    assert.ok(wt && existsSync(wt.path));
    assert.equal(git(wt.path, 'rev-parse', '--abbrev-ref', 'HEAD'), wt.branch);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; cwd: string };
    assert.deepEqual(seen.argv, [ticket.id, wt.path, started.promptFile]);
    assert.equal(seen.cwd, wt.path);

    const prompt = readFileSync(started.promptFile, 'utf8');
    assert.equal(started.promptFile, path.join(tb.dir, 'runs', started.run.id, 'prompt.md'));
    assert.match(prompt, new RegExp(`^# ${ticket.id}: Add a login form`));
    assert.match(prompt, /- \[ \] It logs in\n- \[ \] It shows errors/);
    assert.match(prompt, /Users need to sign in\./);
    assert.match(prompt, /agent-factory done/);
    assert.match(prompt, new RegExp(`AGENT_FACTORY_RUN_ID=${started.run.id}`));
  });

  void it('starts the next stage\'s agent when one is configured, and stops where none is', async () => {
    const ticket = await readyTicket();
    commands.IN_DEV = agent([{ exit: 0 }]);
    commands.IN_QA = agent([{ print: 'tests pass' }, { exit: 0 }]);
    const started = await runner.startTicket(ticket.id);
    await runs.whenEnded(started.run.id);
    await waitUntil(() => board.getTicket(ticket.id)?.status === 'IN_UX' && runs.activeRunIds().length === 0, 10_000, 'the QA agent to finish');
    const stages = board.listRuns({ ticketId: ticket.id }).map((r) => [r.stage, r.status]);
    assert.deepEqual(stages.sort(), [
      ['IN_DEV', 'succeeded'],
      ['IN_QA', 'succeeded'],
    ]);
    assert.equal(board.listRuns({ ticketId: ticket.id, status: ['queued', 'running'] }).length, 0, 'no UX agent is configured, so nothing runs');
  });

  void it('a failed attempt stays in IN_DEV, and the retry\'s prompt carries what it reported', async () => {
    const ticket = await readyTicket();
    commands.IN_DEV = agent([{ print: 'TypeError: cannot read property "user" of undefined' }, { exit: 2 }]);
    const first = await runner.startTicket(ticket.id);
    await runs.whenEnded(first.run.id);
    assert.equal(board.getRun(first.run.id)?.status, 'failed');
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV');

    commands.IN_DEV = agent([{ exit: 0 }]);
    const retry = await runner.startTicket(ticket.id);
    assert.equal(retry.run.attempt, 2);
    assert.equal(retry.worktree, first.worktree, 'the worktree is reused');
    const prompt = readFileSync(retry.promptFile, 'utf8');
    assert.match(prompt, /## Earlier attempts/);
    assert.match(prompt, /IN_DEV attempt 1 by node: \*\*failed\*\*, exit code 2: the agent exited with code 2/);
    assert.match(prompt, /TypeError: cannot read property "user" of undefined/);
    await runs.whenEnded(retry.run.id);
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_QA');
  });

  void it('when someone else moved the ticket first, the run is recorded cancelled and the start refused', async () => {
    const ticket = await readyTicket();
    commands.IN_DEV = agent([{ exit: 0 }]);
    const otherWindow = await tb.open();
    await otherWindow.write((tx) => tx.transition(ticket.id, 'READY', 'BACKLOG', 'user', 'not now'));
    assert.equal(board.getTicket(ticket.id)?.status, 'READY', 'this window has not seen the move yet');
    await assert.rejects(runner.startTicket(ticket.id), (err: unknown) => {
      assert.ok(err instanceof FactoryError);
      assert.equal(err.reason, 'status-conflict');
      assert.match(err.message, /is BACKLOG now, not READY; someone else moved it \(run r-[0-9a-z]+ recorded as cancelled\)/);
      return true;
    });
    const [run] = board.listRuns({ ticketId: ticket.id });
    assert.equal(run?.status, 'cancelled');
    assert.equal(board.getTicket(ticket.id)?.status, 'BACKLOG');
    assert.equal(runs.activeRunIds().length, 0);
  });

  void it('refuses untrusted workspaces, unready tickets and a second live run without writing anything', async () => {
    const ticket = await readyTicket();
    const backlog = await board.write((tx) => tx.createTicket({ title: 'Later' }, 'user'));
    commands.IN_DEV = agent([{ sleep: 60_000 }]);
    trusted = false;
    await assert.rejects(runner.startTicket(ticket.id), (e: unknown) => e instanceof FactoryError && e.reason === 'untrusted');
    assert.equal(board.listRuns({ ticketId: ticket.id }).length, 0);
    trusted = true;
    await assert.rejects(runner.startTicket(backlog.id), /BACKLOG: only READY or active tickets can be started \(move it to READY first\)/);
    await assert.rejects(runner.startTicket('T-0'), /not a ticket id/);
    await assert.rejects(runner.startTicket('T-999'), /there is no ticket T-999/);

    const first = await runner.startTicket(ticket.id);
    await assert.rejects(runner.startTicket(ticket.id), /already has a (queued|running) run/);
    assert.equal(board.listRuns({ ticketId: ticket.id }).length, 1);
    await runs.cancel(first.run.id);
  });

  void it('a worktree that cannot be made fails the run and puts the ticket back to READY', async () => {
    const ticket = await readyTicket();
    commands.IN_DEV = agent([{ exit: 0 }]);
    failWorktree = new Error('disk full');
    await assert.rejects(runner.startTicket(ticket.id), (e: unknown) => e instanceof FactoryError && e.reason === 'git' && /disk full/.test(e.message));
    const [run] = board.listRuns({ ticketId: ticket.id });
    assert.equal(run?.status, 'failed');
    assert.match(run?.note ?? '', /could not prepare the worktree: disk full/);
    assert.equal(board.getTicket(ticket.id)?.status, 'READY');
    const thread = findRunThread(board, ticket.id);
    assert.match(board.listMessages(thread?.id ?? '').at(-1)?.body ?? '', /did not start: could not prepare the worktree/);
  });

  void it('with no agent configured, hands a terminal run to the editor that lasts until the terminal closes', async () => {
    const ticket = await readyTicket();
    const started = await runner.startTicket(ticket.id);
    assert.equal(started.kind, 'terminal');
    assert.equal(started.run.agent, 'terminal');
    assert.equal(started.run.status, 'running');
    assert.equal(started.env?.AGENT_FACTORY_RUN_ID, started.run.id);
    assert.equal(started.env?.AGENT_FACTORY_BOARD, tb.dir);
    assert.equal(started.env?.AGENT_FACTORY_TICKET, ticket.id);
    assert.ok(existsSync(started.promptFile));
    assert.equal(board.getTicket(ticket.id)?.status, 'IN_DEV');
    assert.deepEqual(runs.activeRunIds(), [started.run.id]);

    assert.deepEqual(terminals, [started.run.id], 'the editor was asked to open its terminal');

    const ended = await runs.endTerminalRun(started.run.id);
    assert.equal(ended?.status, 'cancelled');
    assert.equal(ended?.note, 'the terminal was closed');
    assert.deepEqual(runs.activeRunIds(), []);
  });

  /** The ticket has no queued or running run, is READY again, and starts again at once. */
  async function assertStartableAgain(ticket: Ticket, failedRunId: string): Promise<void> {
    assert.deepEqual(board.listRuns({ ticketId: ticket.id, status: ['queued', 'running'] }), [], 'no live row is left behind');
    assert.equal(board.getRun(failedRunId)?.status, 'failed');
    assert.equal(board.getTicket(ticket.id)?.status, 'READY', 'the move to IN_DEV is undone');
    assert.deepEqual(runs.activeRunIds(), []);
    commands.IN_DEV = agent([{ exit: 0 }]);
    const again = await runner.startTicket(ticket.id);
    await runs.whenEnded(again.run.id);
    assert.equal(board.getRun(again.run.id)?.status, 'succeeded');
  }

  void it('a prompt file that cannot be written fails the run, leaves no live row and the ticket can start again', async () => {
    const ticket = await readyTicket();
    commands.IN_DEV = agent([{ exit: 0 }]);
    // A file where the runs folder should be: every prompt write fails.
    writeFileSync(path.join(tb.dir, 'runs'), 'in the way');
    await assert.rejects(runner.startTicket(ticket.id), /could not write the prompt file/);
    const [run] = board.listRuns({ ticketId: ticket.id });
    assert.match(run?.note ?? '', /could not write the prompt file/);
    rmSync(path.join(tb.dir, 'runs'));
    await assertStartableAgain(ticket, run?.id ?? '');
  });

  void it('a terminal that cannot be opened fails the run, leaves no live row and the ticket can start again', async () => {
    const ticket = await readyTicket();
    failTerminal = new Error('no terminal here');
    await assert.rejects(runner.startTicket(ticket.id), /could not open the terminal: no terminal here/);
    const [run] = board.listRuns({ ticketId: ticket.id });
    assert.match(run?.note ?? '', /could not open the terminal: no terminal here/);
    await assertStartableAgain(ticket, run?.id ?? '');
  });

  void it('a runner that was shut down fails the start instead of leaving a queued row', async () => {
    const ticket = await readyTicket();
    commands.IN_DEV = agent([{ exit: 0 }]);
    await runs.shutdown();
    await assert.rejects(runner.startTicket(ticket.id), /shut down/);
    const [run] = board.listRuns({ ticketId: ticket.id });
    assert.equal(run?.status, 'failed');
    assert.equal(board.getTicket(ticket.id)?.status, 'READY');
  });

  void it('a headless host (no terminals) refuses a stage without an agent before recording anything', async () => {
    const headless = new TicketRunner({ board, runs, commandFor: () => undefined, prepareWorktree: async () => Promise.reject(new Error('unused')), isTrusted: () => true });
    const ticket = await readyTicket();
    await assert.rejects(headless.startTicket(ticket.id), /no agent is configured for IN_DEV \(agentFactory\.agents\.dev\.command\)/);
    assert.deepEqual(board.listRuns({ ticketId: ticket.id }), []);
    assert.equal(board.getTicket(ticket.id)?.status, 'READY');
    headless.dispose();
  });

  void it('reports the queue position when the parallel limit holds a start back', async () => {
    runs.setMaxParallel(1);
    const a = await readyTicket('first');
    const b = await readyTicket('second');
    commands.IN_DEV = agent([{ sleep: 60_000 }]);
    const first = await runner.startTicket(a.id);
    const second = await runner.startTicket(b.id);
    assert.equal(first.queuePosition, undefined);
    assert.equal(second.queuePosition, 1);
    assert.equal(board.getRun(second.run.id)?.status, 'queued');
    assert.equal(board.getTicket(b.id)?.status, 'IN_DEV', 'a queued start is a live run: the PM leaves the ticket alone');
    await runs.cancel(first.run.id);
    await waitUntil(() => board.getRun(second.run.id)?.status === 'running', 10_000, 'the queued run to start');
    await runs.cancel(second.run.id);
  });
});
