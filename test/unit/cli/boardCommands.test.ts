import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Ticket } from '../../../src/domain/ticket';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard } from '../helpers/tempBoard';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { repoRoot } from '../runner/agentPaths';
import { cli } from './cliProcess';

void describe('agent-factory for people and scripts', () => {
  let repo: TempRepo;
  let cwd: string;
  before(async () => {
    repo = makeTempRepo();
    cwd = repo.root;
    const init = await cli(['init'], { cwd });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /Created the board at .*\.factory/);
  });
  after(() => repo.dispose());

  void it('init creates the board once, ignored by git, and refuses outside a repository', async () => {
    assert.ok(existsSync(path.join(cwd, '.factory', 'factory.db')));
    assert.equal(git(cwd, 'status', '--porcelain'), '', '.factory ignores itself');
    const again = await cli(['init'], { cwd });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already exists/);
    const outside = mkdtempSync(path.join(tmpdir(), 'af-nogit-'));
    try {
      const r = await cli(['init'], { cwd: outside });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /^agent-factory: .* is not inside a git repository; run "git init" first\n$/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  void it('init leaves a board that lost its database alone: its last good copy or its journal', async () => {
    for (const kept of ['factory.db.bak', 'factory.db.journal']) {
      const other = makeTempRepo();
      try {
        assert.equal((await cli(['init'], { cwd: other.root })).code, 0);
        assert.equal((await cli(['create', 'Keep me'], { cwd: other.root })).code, 0);
        const dir = path.join(other.root, '.factory');
        for (const name of readdirSync(dir)) if (name !== kept) rmSync(path.join(dir, name), { recursive: true, force: true });
        const bytes = readFileSync(path.join(dir, kept));
        const r = await cli(['init'], { cwd: other.root });
        assert.match(r.stdout, /already exists/, kept);
        assert.deepEqual(readdirSync(dir), [kept]);
        assert.deepEqual(readFileSync(path.join(dir, kept)), bytes);
      } finally {
        other.dispose();
      }
    }
  });

  void it('create prints the new id; list and show read it back, as text and as JSON', async () => {
    const created = await cli(['create', 'Add dark mode', '--priority', '2', '--status', 'READY', '--criterion', 'Toggle in settings', '--label', 'ui'], { cwd });
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^T-\d+$/);
    const escape = String.fromCharCode(27);
    const backlog = await cli(['create', `Hostile ${escape}[31mred${escape}[0m`, '--json'], { cwd });
    const hostile = JSON.parse(backlog.stdout) as Ticket;
    assert.equal(hostile.status, 'BACKLOG');

    const all = JSON.parse((await cli(['list', '--json'], { cwd })).stdout) as Ticket[];
    assert.deepEqual(
      all.map((t) => [t.id, t.status]),
      [
        [hostile.id, 'BACKLOG'],
        [id, 'READY'],
      ],
    );
    const ready = JSON.parse((await cli(['list', '--status', 'ready', '--json'], { cwd })).stdout) as Ticket[];
    assert.deepEqual(
      ready.map((t) => t.id),
      [id],
    );
    const text = await cli(['list'], { cwd });
    assert.match(text.stdout, new RegExp(`${id}\\s+Ready\\s+high\\s+feature\\s+Add dark mode`));
    assert.ok(!text.stdout.includes(escape), 'escape sequences from ticket text never reach the terminal');
    assert.match(text.stdout, /Hostile \?\[31mred\?\[0m/);

    const shown = JSON.parse((await cli(['show', id.toLowerCase(), '--json'], { cwd })).stdout) as { ticket: Ticket; history: unknown[]; runs: unknown[] };
    assert.equal(shown.ticket.title, 'Add dark mode');
    assert.deepEqual(shown.ticket.acceptanceCriteria, ['Toggle in settings']);
    assert.deepEqual(shown.ticket.labels, ['ui']);
    assert.equal(shown.history.length, 1);
    const showText = await cli(['show', id], { cwd });
    assert.match(showText.stdout, /Acceptance criteria:\n {2}- Toggle in settings/);
  });

  void it('move follows the transition table, with exit code 4 for illegal moves and conflicts', async () => {
    const id = (await cli(['create', 'Move me', '--status', 'READY'], { cwd })).stdout.trim();
    const ok = await cli(['move', id, 'IN_DEV', '--note', 'picking it up'], { cwd });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), `${id}: Ready → In Development`);

    const illegal = await cli(['move', id, 'DONE'], { cwd });
    assert.equal(illegal.code, 4);
    assert.match(illegal.stderr, /cannot move IN_DEV -> DONE/);

    const stale = await cli(['move', id, 'IN_QA', '--from', 'READY'], { cwd });
    assert.equal(stale.code, 4);
    assert.match(stale.stderr, /expected status READY but it is IN_DEV/);

    const noReason = await cli(['move', id, 'BLOCKED'], { cwd });
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /needs the reason: --note/);
    const blocked = await cli(['move', id, 'blocked', '--note', 'waiting for design'], { cwd });
    assert.equal(blocked.code, 0, blocked.stderr);
    const shown = JSON.parse((await cli(['show', id, '--json'], { cwd })).stdout) as { ticket: Ticket };
    assert.equal(shown.ticket.blockedReason, 'waiting for design');
  });

  void it('bad arguments exit 2, unknown tickets and missing boards exit 3, each with one clear line', async () => {
    const cases: [string[], number, RegExp][] = [
      [['show', 'T-x'], 2, /"T-x" is not a ticket id \(expected T-<number>, like T-12\)/],
      [['show', 'T-999'], 3, /there is no ticket T-999/],
      [['move', 'T-1', 'SOMEWHERE'], 2, /"SOMEWHERE" is not a target status; use one of BACKLOG, READY/],
      [['create', 'x', '--priority', '9'], 2, /--priority must be 1 \(critical\) to 4 \(low\), or its name \(critical, high, medium, low\), not "9"/],
      [['create', 'x', '--status', 'IN_DEV'], 2, /a new ticket starts in BACKLOG or READY/],
      [['create'], 2, /missing <title>/],
      [['list', '--bogus'], 2, /Unknown option '--bogus'.*see --help/],
      [['list', 'extra'], 2, /unexpected argument "extra"/],
      [['frobnicate'], 2, /unknown command "frobnicate"; run "agent-factory --help"/],
      [['runs', '--status', 'sleeping'], 2, /"sleeping" is not a run status/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(args, { cwd });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')} prints one line`);
    }
    const elsewhere = makeTempRepo('other');
    try {
      const r = await cli(['list'], { cwd: elsewhere.root });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /there is no board in .*other yet; create it with "agent-factory init"/);
      const viaEnv = await cli(['list'], { cwd: elsewhere.root, env: { AGENT_FACTORY_BOARD: path.join(elsewhere.root, '.factory') } });
      assert.equal(viaEnv.code, 3);
      assert.match(viaEnv.stderr, /no board at .* \(from AGENT_FACTORY_BOARD\)/);
    } finally {
      elsewhere.dispose();
    }
  });

  void it('--help lists every command and explains the exit codes', async () => {
    const help = await cli(['--help'], { cwd });
    assert.equal(help.code, 0);
    for (const name of ['note', 'progress', 'block', 'done', 'heartbeat', 'init', 'list', 'show', 'create', 'move', 'heal', 'agents']) {
      assert.match(help.stdout, new RegExp(`^ {2}${name}\\b`, 'm'), name);
    }
    assert.match(help.stdout, /Exit codes: 0 ok, 2 bad arguments, 3 not found/);
    const createHelp = await cli(['create', '--help'], { cwd });
    assert.match(createHelp.stdout, /--criterion TEXT/);
  });

  void it('finds the board from inside a linked worktree', async () => {
    const wt = path.join(repo.parent, 'linked');
    git(cwd, 'worktree', 'add', '-q', '-b', 'side', wt);
    const r = await cli(['list', '--json'], { cwd: path.join(wt) });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as Ticket[]).length >= 2);
  });
});

void describe('agent-factory heal and agents', () => {
  void it('heal --json marks a dead owner\'s run lost and moves its stuck ticket back to READY', async () => {
    const tb = await makeTempBoard();
    try {
      // Recorded an hour ago by a window on another machine that has been silent ever since.
      tb.clock.set(Date.now() - 3_600_000);
      const run = await tb.board.write((tx) => {
        const t = tx.createTicket({ title: 'Stuck', status: 'READY' }, 'user');
        tx.transition(t.id, 'READY', 'IN_DEV', 'user');
        const created = tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'ghost', status: 'running' });
        return tx.updateRun(created.id, { owner: 'another-machine:4242:window' });
      });
      const r = await cli(['heal', '--json'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
      assert.equal(r.code, 0, r.stderr);
      const outcome = JSON.parse(r.stdout) as { lost: { id: string; status: string }[]; healed: { ticketId: string; to: string }[] };
      assert.deepEqual(
        outcome.lost.map((l) => [l.id, l.status]),
        [[run.id, 'lost']],
      );
      assert.deepEqual(
        outcome.healed.map((h) => [h.ticketId, h.to]),
        [[run.ticketId, 'READY']],
      );
      const again = await cli(['heal'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
      assert.equal(again.stdout.trim(), 'Nothing to heal.');
    } finally {
      await tb.dispose();
    }
  });

  void it('agents shows the last statuses the background agents published', async () => {
    const tb = await makeTempBoard();
    try {
      await tb.board.write((tx) =>
        tx.setAgentState('PM', { lastCycleAt: tb.clock.now(), status: { state: 'Idle', activity: 'Checked 3 tickets', cycleCount: 7 } }),
      );
      await tb.board.write((tx) => tx.setAgentState('Security', { paused: true }));
      const r = await cli(['agents', '--json'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { runningIn: string | null; agents: { name: string; state: string; paused: boolean; activity: string; cycleCount: number }[] };
      assert.equal(out.runningIn, null);
      assert.deepEqual(
        out.agents.map((a) => [a.name, a.state, a.paused, a.cycleCount]),
        [
          ['PM', 'Idle', false, 7],
          ['Security', 'Unknown', true, 0],
          ['Gatherer', 'Never ran', false, 0],
          ['Worktree', 'Never ran', false, 0],
        ],
      );
      const text = await cli(['agents'], { cwd: tb.root, env: { AGENT_FACTORY_BOARD: tb.dir } });
      assert.match(text.stdout, /PM\s+Idle\s+7 cycles.*Checked 3 tickets/);
      assert.match(text.stdout, /Security\s+Paused/);
      assert.match(text.stdout, /No window is running the background agents right now/);
    } finally {
      await tb.dispose();
    }
  });
});

void describe('agent-factory while another process writes the board', () => {
  void it('loses no update: every ticket from both writers is there, with unique ids', async () => {
    const tb = await makeTempBoard();
    let board: SqlBoard | undefined;
    try {
      const writer = path.join(repoRoot, 'out', 'test', 'fixtures', 'agents', 'boardWriter.js');
      const background = new Promise<{ stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [writer, tb.dir, tb.root, '12', 'background'], { encoding: 'utf8' }, (_err, stdout, stderr) => resolve({ stdout, stderr })),
      );
      const env = { AGENT_FACTORY_BOARD: tb.dir };
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => cli(['create', `cli ${i + 1}`], { cwd: tb.root, env })));
      const writerResult = await background;
      assert.equal(writerResult.stdout, 'done\n', writerResult.stderr);
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      board = await openBoard({ dir: tb.dir, repoRoot: tb.root, create: false, pollMs: 0 });
      const tickets = board.listTickets();
      assert.equal(tickets.length, 18);
      assert.equal(new Set(tickets.map((t) => t.id)).size, 18);
      assert.deepEqual(
        results.map((r) => r.stdout.trim()).sort(),
        tickets
          .filter((t) => t.title.startsWith('cli '))
          .map((t) => t.id)
          .sort(),
      );
    } finally {
      await board?.close();
      await tb.dispose();
    }
  });
});
