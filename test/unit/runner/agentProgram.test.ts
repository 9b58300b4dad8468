import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree } from '../../../src/agents/worktreeAgent';
import { FactoryError } from '../../../src/domain/errors';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { findProgram, programVersion } from '../../../src/runner/profiles/programLookup';
import { installedProfiles } from '../../../src/runner/profiles/installedProfiles';
import { resolveAgentCommand } from '../../../src/runner/profiles/profiles';
import { RunManager } from '../../../src/runner/runManager';
import { TicketRunner } from '../../../src/runner/ticketRunner';
import { makeTempBoard } from '../helpers/tempBoard';
import { makeTempRepo } from '../helpers/tempRepo';

const temp = mkdtempSync(path.join(tmpdir(), 'af-programs-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function script(dir: string, name: string, body: string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

void describe('agent programs on the PATH', { skip: process.platform === 'win32' ? 'POSIX shell scripts stand in for the programs' : false }, () => {
  void it('finds a program the way the spawn will: the first executable file named so on the PATH', async () => {
    const first = path.join(temp, 'first');
    const second = path.join(temp, 'second');
    script(first, 'claude', 'exit 0', 0o644);
    mkdirSync(path.join(second, 'codex'), { recursive: true });
    const claude = script(second, 'claude', 'echo "2.1.332 (Claude Code)"');
    const env = { PATH: [path.join(temp, 'missing'), first, second].join(path.delimiter) };
    assert.equal(await findProgram('claude', env), claude, 'a file that is not executable does not count');
    assert.equal(await findProgram('codex', env), undefined, 'a folder does not count');
    assert.equal(await findProgram(claude, {}), claude, 'a path is taken as it is');
    assert.equal(await programVersion(claude, env), '2.1.332 (Claude Code)');
  });

  void it('lists every built-in profile with where its program is and its version', async () => {
    const bin = path.join(temp, 'bin');
    script(bin, 'codex', 'echo "codex-cli 0.171.0"');
    const found = await installedProfiles({ PATH: bin });
    assert.deepEqual(
      found.map((f) => [f.profile.name, f.path !== undefined, f.version]),
      [
        ['claude-code', false, undefined],
        ['codex', true, 'codex-cli 0.171.0'],
        ['gemini', false, undefined],
        ['copilot', false, undefined],
        ['aider', false, undefined],
      ],
    );
  });

  void it('Start refuses, naming the program and how to install it, before any run is recorded', async () => {
    const repo = makeTempRepo();
    const tb = await makeTempBoard({ repoRoot: repo.root });
    const runs = new RunManager({ board: tb.board, clock: tb.clock });
    const command = resolveAgentCommand({ profile: 'claude-code', command: undefined, model: '', extraArgs: [], env: {} }, 'agentFactory.agents.dev');
    const runner = new TicketRunner({
      board: tb.board,
      runs,
      env: { PATH: path.join(temp, 'empty') },
      commandFor: () => command,
      prepareWorktree: (t) => ensureTicketWorktree(tb.board, new SimpleGitPort(), t, DEFAULT_WORKTREE_SETTINGS),
      isTrusted: () => true,
    });
    try {
      const ticket = await tb.board.write((tx) => tx.createTicket({ title: 'Needs Claude', status: 'READY' }, 'user'));
      await assert.rejects(
        runner.startTicket(ticket.id),
        (err: unknown) =>
          err instanceof FactoryError &&
          /The IN_DEV agent cannot start: Claude Code \("claude"\) is not installed or not on the PATH\. Install it \(npm install -g @anthropic-ai\/claude-code\)/.test(err.message),
      );
      assert.deepEqual(tb.board.listRuns({ ticketId: ticket.id }), []);
      assert.equal(tb.board.getTicket(ticket.id)?.status, 'READY');
      assert.equal(tb.board.getTicket(ticket.id)?.worktree, undefined, 'no worktree was made for it');
    } finally {
      runner.dispose();
      await runs.shutdown();
      await tb.dispose();
      repo.dispose();
    }
  });
});
