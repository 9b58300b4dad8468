import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import type { Logger } from '../../../src/domain/logger';
import { gitWithInput, spawnGit } from '../../../src/git/gitStream';
import { runGit } from '../../../src/git/runGit';
import { processStarterPid, startProcess, stopProcessStarter, useProcessStarter } from '../../../src/process/processStarter';
import { isProcessAlive } from '../../../src/process/processTree';
import { gitOutput as runGitBytes } from '../../../src/git/gitOutput';
import { STARTER_SCRIPT } from '../helpers/starterScript';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';


const alive = isProcessAlive;

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function recordingLog(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return { warnings, errors, trace() {}, debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error: (m: string | Error) => void errors.push(String(m)) };
}

async function collect(child: ReturnType<typeof startProcess>): Promise<{ out: string; code: number | null }> {
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { out: Buffer.concat(chunks).toString('utf8'), code };
}

void describe('the process starter', () => {
  let repo: TempRepo;
  let log: ReturnType<typeof recordingLog>;

  beforeEach(() => {
    repo = makeTempRepo();
    log = recordingLog();
    useProcessStarter({ script: STARTER_SCRIPT, log });
  });
  afterEach(() => {
    stopProcessStarter();
    repo.dispose();
  });

  it('runs git commands in its own process, with the answers and errors of git run here', async () => {
    const head = git(repo.root, 'rev-parse', 'HEAD');
    assert.equal((await runGit(repo.root, ['rev-parse', 'HEAD'])).trim(), head);
    const starter = processStarterPid();
    assert.ok(starter !== undefined && starter !== process.pid && alive(starter));
    await assert.rejects(runGit(repo.root, ['rev-parse', '--verify', 'no-such-branch']), (err: unknown) => {
      assert.ok(err instanceof FactoryError && err.reason === 'git', String(err));
      assert.match(err.message, /git rev-parse failed in .*: fatal: Needed a single revision/);
      return true;
    });
    // Byte-exact output and "no match" exit codes for the scans.
    repo.write('a.txt', 'one\0two\n');
    repo.commit('a');
    const listed = await runGitBytes(repo.root, ['ls-files', '-z']);
    assert.equal(listed.stdout.toString('utf8'), 'README.md\0a.txt\0');
    const miss = await runGitBytes(repo.root, ['grep', '-n', 'nothing-matches-this'], { okCodes: [0, 1] });
    assert.equal(miss.code, 1);
    assert.equal(processStarterPid(), starter, 'one starter for every command');
    assert.deepEqual(log.warnings, []);
  });

  it('streams stdin and stdout both ways, a large blob byte for byte', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 9)) & 0xff;
    const file = repo.write('big.bin', '');
    writeFileSync(file, big);
    const sha = (await gitWithInput(repo.root, ['hash-object', '-w', '--stdin-paths'], `${file}\n`)).trim();
    assert.match(sha, /^[0-9a-f]{40}$/);
    const { child, done } = spawnGit(repo.root, ['cat-file', '--batch']);
    child.stdin.end(`${sha}\n`);
    const chunks: Buffer[] = [];
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) chunks.push(chunk);
    await done;
    const out = Buffer.concat(chunks);
    const header = `${sha} blob ${big.length}\n`;
    assert.equal(out.subarray(0, header.length).toString('utf8'), header);
    assert.ok(out.subarray(header.length, header.length + big.length).equals(big), 'the blob comes back byte for byte');
  });

  it('gives what it starts this process environment plus the extra variables, never its own start-up variables', async () => {
    const { out, code } = await collect(startProcess('env', [], { cwd: repo.root, extraEnv: { AGENT_FACTORY_STARTER_TEST: 'yes' } }));
    assert.equal(code, 0);
    const vars = new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.get('AGENT_FACTORY_STARTER_TEST'), 'yes');
    assert.equal(vars.get('PATH'), process.env.PATH);
    assert.equal(vars.has('ELECTRON_RUN_AS_NODE'), process.env.ELECTRON_RUN_AS_NODE !== undefined);
    assert.equal([...vars.keys()].some((k) => k.startsWith('AGENT_FACTORY_STARTER_RESTORE')), false);
  });

  it('stops a command when its signal aborts, in both kinds of command', async () => {
    // cat-file --batch waits on its open stdin until it is stopped.
    const abort = new AbortController();
    const { child, done } = spawnGit(repo.root, ['cat-file', '--batch'], { signal: abort.signal });
    await until('git has started', () => (child as unknown as { pid?: number }).pid !== undefined);
    const pid = (child as unknown as { pid: number }).pid;
    assert.ok(alive(pid));
    abort.abort();
    await assert.rejects(done, (err: unknown) => err instanceof FactoryError && err.reason === 'cancelled');
    await until('git is gone', () => !alive(pid));

    // runGit (simple-git, in the starter): stdin is an open pipe nobody writes.
    const second = new AbortController();
    const pending = runGit(repo.root, ['cat-file', '--batch'], { signal: second.signal });
    setTimeout(() => second.abort(), 300);
    await assert.rejects(pending, (err: unknown) => err instanceof FactoryError && err.reason === 'cancelled');
    assert.equal((await runGit(repo.root, ['rev-parse', 'HEAD'])).trim(), git(repo.root, 'rev-parse', 'HEAD'), 'the starter works on');
  });

  it('fails what it was running when it dies, says so in the log, and the next command gets a new one', async () => {
    const { child, done } = spawnGit(repo.root, ['cat-file', '--batch']);
    const starter = processStarterPid()!;
    await until('git has started', () => (child as unknown as { pid?: number }).pid !== undefined);
    process.kill(starter, 'SIGKILL');
    await assert.rejects(done, /process starter stopped \(killed by SIGKILL\)/);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0], /The process starter stopped \(killed by SIGKILL\).*1 command\(s\) it ran failed/);
    // The orphaned git ends when its stdin closes with the starter.
    const orphan = (child as unknown as { pid: number }).pid;
    await until('the orphaned git has ended', () => !alive(orphan));

    assert.equal((await runGit(repo.root, ['rev-parse', 'HEAD'])).trim(), git(repo.root, 'rev-parse', 'HEAD'));
    const next = processStarterPid();
    assert.ok(next !== undefined && next !== starter && alive(next));
  });

  it('starts commands here again, said once in the log, when it keeps dying', async () => {
    for (let i = 0; i < 3; i++) {
      await runGit(repo.root, ['rev-parse', 'HEAD']);
      const pid = processStarterPid()!;
      process.kill(pid, 'SIGKILL');
      await until('the starter is gone', () => processStarterPid() === undefined);
    }
    assert.equal((await runGit(repo.root, ['rev-parse', 'HEAD'])).trim(), git(repo.root, 'rev-parse', 'HEAD'));
    assert.equal(processStarterPid(), undefined);
    assert.equal(log.errors.length, 1);
    assert.match(log.errors[0], /died 3 times within a minute; commands start in this process/);
  });

  it('exits once stopped, after the command it is running has finished', async () => {
    const { child, done } = spawnGit(repo.root, ['cat-file', '--batch']);
    await until('git has started', () => (child as unknown as { pid?: number }).pid !== undefined);
    const starter = processStarterPid()!;
    stopProcessStarter();
    await assert.rejects(done, /process starter was stopped/);
    // Its git still runs (a write is never cut in half); with its stdin closed it ends, then the starter.
    await until('the starter has exited', () => !alive(starter));
  });
});
