/**
 * An agent that prints secrets (the leak test's planted ones, as the files it read hold them)
 * leaves none of them in its run log on disk, not even 10 characters of one: its output passes
 * through the masking log writer. Nor do the output channel's lines or the run's thread carry one.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunManager, type RunOutputLine } from '../../../src/runner/runManager';
import { readTail, runLogFile } from '../../../src/runner/runFiles';
import { findRunThread } from '../../../src/runner/threads';
import { fakeSecrets, secretValues } from '../../fixtures/security/fakeSecrets';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { fakeAgentCommand, type Step } from './agentPaths';

const s = fakeSecrets(77);
const other = fakeSecrets(78);
const urlPassword = 'Zq8vN3pL6tR2wK4m';
const standIn = 'your-deploy-secret-9Xk2';
const PLANTED = [urlPassword, standIn, ...secretValues(s), other.githubToken];
const WINDOW = 10;

/** Every planted secret's 10-character windows that `text` holds. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const secret of PLANTED) {
    for (let i = 0; i + WINDOW <= secret.length; i++) {
      const window = secret.slice(i, i + WINDOW);
      if (text.includes(window)) found.push(window);
    }
  }
  return found;
}

void describe('a run log on disk', () => {
  let tb: TempBoard;
  let manager: RunManager;
  before(async () => {
    tb = await makeTempBoard();
  });
  after(async () => {
    await manager.shutdown();
    await tb.dispose();
  });

  void it('holds none of the secrets its agent printed, also one written in two parts, nor does anything derived from it', async () => {
    const worktree = path.join(tb.root, 'worktree');
    mkdirSync(worktree);
    manager = new RunManager({ board: tb.board, clock: tb.clock, stopGraceMs: 1000 });
    const lines: RunOutputLine[] = [];
    manager.onDidOutput((l) => lines.push(l));
    const run = await tb.board.write((tx) => {
      const t = tx.createTicket({ title: 'Deploy', status: 'READY' }, 'user');
      tx.transition(t.id, 'READY', 'IN_DEV', 'user');
      return tx.createRun({ ticketId: t.id, stage: 'IN_DEV', agent: 'fake', status: 'queued', worktree });
    });
    const steps: Step[] = [
      { print: 'reading the deploy scripts' },
      { print: `exec("npm publish --registry https://deploy:${urlPassword}@registry.example.com/ " + pkg);` },
      { stderr: `exec("curl -fsS https://ci:${standIn}@ci.example.org/hook?ref=" + ref);` },
      { print: '[default]' },
      { print: `aws_access_key_id = ${s.awsAccessKeyId}` },
      { print: `aws_secret_access_key = ${s.awsSecretAccessKey}` },
      { print: `export const token = "${s.githubToken}"; eval(process.argv[2] + "${s.githubToken}");` },
      { print: `// TODO: rotate ${other.githubToken} before the release` },
      { print: `notify ${s.slackWebhook}` },
      ...s.privateKey.trimEnd().split('\n').map((line): Step => ({ print: line })),
      // One line in two writes, apart in time: the writer reads them as two chunks.
      { printRaw: `export GITHUB_TOKEN=${s.githubToken.slice(0, 14)}` },
      { sleep: 300 },
      { print: `${s.githubToken.slice(14)} # set` },
      { print: 'giving up' },
      { exit: 3 },
    ];
    manager.launch({ runId: run.id, command: fakeAgentCommand(steps), title: 'Deploy', promptFile: path.join(tb.dir, 'runs', run.id, 'prompt.md'), worktree });
    await manager.whenEnded(run.id);

    const file = runLogFile(tb.dir, run.id);
    const onDisk = readFileSync(file, 'utf8');
    assert.deepEqual(leaks(onDisk), [], 'the log file on disk');
    assert.match(onDisk, /^reading the deploy scripts\n/, 'what is not secret is written as it came');
    assert.match(onDisk, /https:\/\/deploy:Zq8v…4m@registry\.example\.com/);
    assert.match(onDisk, /export GITHUB_TOKEN=ghp_…[A-Za-z0-9]{2} # set\n/, 'the line written in two parts is one masked line');
    assert.match(onDisk, /-----BEGIN RSA PRIVATE KEY----- …\n(\S{4}…\S{2}\n)+-----END RSA PRIVATE KEY-----\n/, 'a private key block is masked line by line');
    assert.match(onDisk, /giving up\n$/);
    assert.deepEqual(leaks(lines.map((l) => l.line).join('\n')), [], 'the output channel');
    assert.ok(lines.some((l) => l.line === 'giving up'));
    assert.deepEqual(leaks((await readTail(file, 40)).join('\n')), [], 'the tail Show Log and the ticket page read');
    const thread = findRunThread(tb.board, run.ticketId);
    const bodies = thread ? tb.board.listMessages(thread.id).map((m) => m.body).join('\n') : '';
    assert.match(bodies, /giving up/, 'the failure carries the log\'s tail');
    assert.deepEqual(leaks(bodies), [], 'the run\'s thread');
    assert.equal(tb.board.getRun(run.id)?.status, 'failed');
  });
});
