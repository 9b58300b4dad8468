import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AGENTS_LEASE } from '../../../src/agents/manager';
import { isProcessAlive } from '../../../src/process/processTree';
import { runPromptFile } from '../../../src/runner/runFiles';
import type { Board } from '../../../src/store/api';
import { openBoard } from '../../../src/store/sqlBoard';
import { processesOfBoard } from '../helpers/leftoverProcesses';
import { mostLiveAtOnce } from '../helpers/liveRuns';
import { makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { compiledCli, fakeAgentCommand, waitUntil, type Step } from '../runner/agentPaths';
import { cli } from './cliProcess';

interface Served {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `agent-factory serve ...` as a real child process, as a person or a CI job runs it. */
function serve(cwd: string, args: string[], timeoutMs = 90_000): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiledCli, 'serve', ...args], { cwd, env: { ...process.env, AGENT_FACTORY_BOARD: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

void describe('agent-factory serve: the closed loop without VS Code', () => {
  let repo: TempRepo;
  let marker: string;

  beforeEach(async () => {
    repo = makeTempRepo();
    const board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, create: true });
    await board.close();
    marker = path.join(repo.parent, 'rejected-once');
  });
  afterEach(() => repo.dispose());

  const settings = (extra: Record<string, unknown> = {}): void => {
    const dev: Step[] = [{ write: 'work.txt', text: 'work' }, { commit: 'Work' }, { cli: ['done', '--summary', 'did the work'] }];
    const qa: Step[] = [{ firstFor: { ticket: 'T-2', marker }, then: [{ cli: ['reject', '--bug', 'The widget leaks memory on close'] }], else: [{ cli: ['approve'] }] }];
    mkdirSync(path.join(repo.root, '.vscode'), { recursive: true });
    writeFileSync(
      path.join(repo.root, '.vscode', 'settings.json'),
      JSON.stringify({
        // Comments and trailing commas are fine in the real file; JSON is too.
        'agentFactory.pipeline': ['IN_DEV', 'IN_QA'],
        'agentFactory.runs.maxParallel': 2,
        'agentFactory.board.leaseTimeoutSeconds': 10,
        'agentFactory.agents.dev.command': fakeAgentCommand(dev),
        'agentFactory.agents.qa.command': fakeAgentCommand(qa),
        ...extra,
      }),
    );
  };

  const fiveTickets = async (): Promise<void> => {
    const board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, create: false, pollMs: 0 });
    try {
      await board.write((tx) => {
        for (let i = 1; i <= 4; i++) tx.createTicket({ title: `Loop ticket ${i}`, status: 'READY', priority: 3 }, 'user');
        // The most urgent ticket, which must still wait for T-1.
        tx.createTicket({ title: 'Loop ticket 5, after T-1', status: 'READY', priority: 1, dependsOn: ['T-1'] }, 'user');
      });
    } finally {
      await board.close();
    }
  };

  /** No process of the board outlives the serves: no serve, no agent, no child of an agent (Linux: read from /proc). */
  const nothingLeftRunning = async (): Promise<void> => {
    if (process.platform !== 'linux') return;
    const left = (): string[] => processesOfBoard(repo.parent, path.join(repo.root, '.factory'));
    // A process that is exiting as serve exits is given a moment; one that stays is left behind.
    await waitUntil(() => left().length === 0, 10_000, 'the processes of the board to end').catch(() => undefined);
    assert.deepEqual(left(), [], 'no process is left behind');
  };

  const readBoard = async <T>(fn: (board: Board) => T): Promise<T> => {
    const board = await openBoard({ dir: path.join(repo.root, '.factory'), repoRoot: repo.root, create: false, pollMs: 0 });
    try {
      return fn(board);
    } finally {
      await board.close();
    }
  };

  void it('with the autopilot off starts nothing; on, two serves carry five tickets to the end within one parallel limit', async () => {
    settings();
    await fiveTickets();

    const idleOff = await serve(repo.root, ['--until-idle']);
    assert.equal(idleOff.code, 0, idleOff.stderr + idleOff.stdout);
    assert.equal(await readBoard((b) => b.listRuns().length), 0, 'the autopilot is off: nothing starts');
    await nothingLeftRunning();

    const on = await cli(['autopilot', 'on'], { cwd: repo.root });
    assert.equal(on.code, 0, on.stderr);
    // Two hosts on one board: one holds the agents lease and works, the other waits for it.
    const [first, second] = await Promise.all([serve(repo.root, ['--until-idle', '--json']), serve(repo.root, ['--until-idle'])]);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.equal(second.code, 0, second.stderr + second.stdout);
    for (const line of first.stdout.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.match(first.stdout + second.stdout, /Idle: /, 'one of them saw the board go idle');
    await nothingLeftRunning();

    await readBoard((board) => {
      const tickets = board.listTickets();
      assert.deepEqual(
        tickets.map((t) => `${t.id} ${t.status}`),
        ['T-1 DONE', 'T-2 DONE', 'T-3 DONE', 'T-4 DONE', 'T-5 DONE'],
      );
      const runs = board.listRuns();
      assert.ok(mostLiveAtOnce(runs) <= 2, `never more than runs.maxParallel live runs (at most ${mostLiveAtOnce(runs)})`);
      assert.ok(runs.every((r) => r.status === 'succeeded'), runs.map((r) => `${r.ticketId} ${r.stage} ${r.status} ${r.note ?? ''}`).join('\n'));

      const rejected = runs.filter((r) => r.verdict === 'rejected');
      assert.deepEqual(
        rejected.map((r) => r.ticketId),
        ['T-2'],
        'exactly one rework',
      );
      const devOfT2 = runs.filter((r) => r.ticketId === 'T-2' && r.stage === 'IN_DEV').sort((a, b) => a.attempt - b.attempt);
      assert.equal(devOfT2.length, 2);
      const secondPrompt = readFileSync(runPromptFile(board.dir, devOfT2[1].id), 'utf8');
      assert.match(secondPrompt, /The widget leaks memory on close/, 'the bug is in the rework prompt');
      assert.doesNotMatch(readFileSync(runPromptFile(board.dir, devOfT2[0].id), 'utf8'), /The widget leaks memory/);

      const t1Done = board.history('T-1').find((h) => h.to === 'DONE')!.at;
      const t5Start = Math.min(...runs.filter((r) => r.ticketId === 'T-5').map((r) => r.startedAt));
      assert.ok(t5Start >= t1Done, 'T-5 started only after T-1 was DONE');
      assert.equal(board.getLease(AGENTS_LEASE), undefined, 'the lease was released');
      for (const r of runs) if (r.pid !== undefined) assert.equal(isProcessAlive(r.pid), false, `the agent of run ${r.id} is gone`);
    });
  });

  void it('refuses to start on an invalid setting, naming it', async () => {
    settings({ 'agentFactory.runs.maxParallel': 'lots' });
    const served = await serve(repo.root, ['--until-idle']);
    assert.equal(served.code, 2);
    assert.match(served.stderr, /agentFactory\.runs\.maxParallel/);
  });

  void it('fails an attempt that ends with exit 0 but no change or no verdict, and exits 1 once the attempts are used', async () => {
    const devMarker = path.join(repo.parent, 'idle-once');
    settings({
      'agentFactory.runs.maxAttempts': 2,
      // Development may finish by exiting 0 (its default policy), but only with a change to show.
      'agentFactory.agents.dev.command': fakeAgentCommand([{ firstFor: { ticket: 'T-1', marker: devMarker }, then: [{ exit: 0 }], else: [{ write: 'work.txt', text: 'work' }, { commit: 'Work' }, { exit: 0 }] }]),
      // A review stage needs its verdict.
      'agentFactory.agents.qa.command': fakeAgentCommand([{ exit: 0 }]),
    });
    await readBoard((board) => board.write((tx) => tx.createTicket({ title: 'Says nothing', status: 'READY' }, 'user')));
    assert.equal((await cli(['autopilot', 'on'], { cwd: repo.root })).code, 0);
    const served = await serve(repo.root, ['--until-idle']);
    assert.equal(served.code, 1, served.stdout + served.stderr);
    assert.match(served.stderr, /T-1 blocked: IN_QA was tried 2 times/);
    await readBoard((board) => {
      const runs = board.listRuns({ ticketId: 'T-1' }).sort((a, b) => a.startedAt - b.startedAt);
      assert.deepEqual(
        runs.map((r) => `${r.stage} ${r.status}: ${r.note ?? ''}`),
        [
          'IN_DEV failed: finished without changing anything',
          'IN_DEV succeeded: the agent exited 0; ticket moved to IN_QA',
          'IN_QA failed: finished without a verdict',
          'IN_QA failed: finished without a verdict',
        ],
      );
      assert.equal(board.getTicket('T-1')?.status, 'BLOCKED');
      assert.match(board.getTicket('T-1')?.blockedReason ?? '', /IN_QA was tried 2 times/);
    });
  });
});
