import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CycleContext, Logger } from '../../../src/agents/agent';
import { scanTicketNow } from '../../../src/agents/scanTicketNow';
import { installSecurityGate } from '../../../src/agents/securityGate';
import { SecurityAgent, securityGateRefusal, type SecurityCycleResult } from '../../../src/agents/securityAgent';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { DEFAULT_SECURITY_IGNORE, type SecuritySettings } from '../../../src/scan/security/settings';
import { securityProblems } from '../../../src/scan/security/view';
import type { Board } from '../../../src/store/api';
import type { Bug } from '../../../src/domain/ticket';
import { fakeSecrets, secretValues } from '../../fixtures/security/fakeSecrets';
import { makeTempBoard, type TempBoard } from '../helpers/tempBoard';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';

const secrets = fakeSecrets(42);
const settings: SecuritySettings = { maxFileSizeKB: 1024, ignore: [...DEFAULT_SECURITY_IGNORE, 'test/fixtures/**'] };

/** Every line the agent logs, at every level, to search for leaked secrets. */
class CapturingLog implements Logger {
  readonly lines: string[] = [];
  private add = (level: string, message: string | Error, args: unknown[]): void => {
    this.lines.push(`${level} ${String(message)} ${args.map((a) => JSON.stringify(a)).join(' ')}`);
  };
  trace = (m: string, ...a: unknown[]) => this.add('trace', m, a);
  debug = (m: string, ...a: unknown[]) => this.add('debug', m, a);
  info = (m: string, ...a: unknown[]) => this.add('info', m, a);
  warn = (m: string, ...a: unknown[]) => this.add('warn', m, a);
  error = (m: string | Error, ...a: unknown[]) => this.add('error', m, a);
}

interface World {
  repo: TempRepo;
  tb: TempBoard;
  board: Board;
  log: CapturingLog;
  activity: string[];
  agent: SecurityAgent;
}

function lines(n: number, prefix = '// filler'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);
}

function write(root: string, rel: string, content: string | Buffer): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

async function makeWorld(scanBudgetMs?: number): Promise<World> {
  const repo = makeTempRepo();
  const tb = await makeTempBoard({ create: true });
  const log = new CapturingLog();
  const agent = new SecurityAgent({ settings: () => settings, git: new SimpleGitPort(), scanBudgetMs });
  return { repo, tb, board: tb.board, log, activity: [], agent };
}

/** A ticket in IN_DEV with its own worktree on a new branch off main. */
async function ticketWithWorktree(w: World, name: string): Promise<{ id: string; wt: string }> {
  const wt = join(w.repo.parent, `wt-${name}`);
  git(w.repo.root, 'worktree', 'add', '-q', '-b', `factory/${name}`, wt, 'main');
  const id = await w.board.write((tx) => {
    const t = tx.createTicket({ title: `Work on ${name}`, status: 'READY' }, 'user');
    tx.updateTicket(t.id, { worktree: { path: wt, branch: `factory/${name}`, base: 'main' } });
    tx.transition(t.id, 'READY', 'IN_DEV', 'user');
    return t.id;
  });
  return { id, wt };
}

function cycle(w: World): Promise<SecurityCycleResult> {
  const ctx: CycleContext = { board: w.board, clock: w.tb.clock, log: w.log, signal: new AbortController().signal, setActivity: (t) => void w.activity.push(t) };
  return w.agent.runCycle(ctx);
}

function securityBugs(board: Board, ticketId: string): Bug[] {
  return board.listBugs(ticketId).filter((b) => b.foundBy === 'Security');
}

function commitAll(wt: string, message: string): void {
  git(wt, 'add', '-A');
  git(wt, 'commit', '-q', '-m', message);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((p) => statSync(p).isFile());
}

describe('Security agent on a real worktree', () => {
  let w: World;
  let ticket: { id: string; wt: string };
  let first: SecurityCycleResult;
  const runTs = ['import { exec } from "node:child_process";', 'export function run(userInput: string, x: string) {', '  const r = eval(userInput);', '  exec(`rm ${x}`);', '  return r;', '}', ''];

  before(async () => {
    w = await makeWorld();
    ticket = await ticketWithWorktree(w, 'T1');
    const wt = ticket.wt;
    write(wt, '.gitignore', '*.log\n');
    write(wt, 'config/aws.ini', ['[default]', `aws_access_key_id = ${secrets.awsAccessKeyId}`, `aws_secret_access_key = ${secrets.awsSecretAccessKey}`, ''].join('\n'));
    write(wt, 'certs/deploy.pem', secrets.privateKey);
    write(wt, 'src/github.ts', ['// talks to the API', 'export const api = "https://api.github.com";', `export const token = "${secrets.githubToken}";`, ''].join('\n'));
    write(wt, 'src/run.ts', runTs.join('\n'));
    write(wt, 'src/http.ts', ['import https from "node:https";', 'export const agent = new https.Agent({ rejectUnauthorized: false });', ''].join('\n'));
    // False positives: placeholders, an ignored fixture folder, a lockfile, a binary, a git-ignored file.
    write(wt, '.env.example', ['AWS_ACCESS_KEY_ID=your-access-key-id', 'AWS_SECRET_ACCESS_KEY=your-secret-access-key', `GITHUB_TOKEN=${['gh', 'p_'].join('')}${'x'.repeat(36)}`, 'DATABASE_URL=postgres://user:password@localhost:5432/app', ''].join('\n'));
    write(wt, 'test/fixtures/leaked.txt', `token=${fakeSecrets(99).githubToken}\n`);
    write(wt, 'package-lock.json', JSON.stringify({ name: 'x', lockfileVersion: 3, packages: { '': { token: fakeSecrets(98).githubToken } } }, null, 2));
    write(wt, 'assets/logo.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), Buffer.from(fakeSecrets(97).githubToken)]));
    commitAll(wt, 'agent work');
    // Not committed: staged, modified and untracked changes are part of the ticket too.
    write(wt, 'src/notify.ts', ['export const hook =', `  "${secrets.slackWebhook}";`, ''].join('\n'));
    write(wt, 'debug.log', `token=${fakeSecrets(96).githubToken}\n`);
    first = await cycle(w);
  });

  after(async () => {
    await w.tb.dispose();
    w.repo.dispose();
  });

  it('finds each planted secret and risky call once, with severity, file and line', () => {
    assert.deepEqual(first.stats.errors, []);
    const got = securityBugs(w.board, ticket.id)
      .map((b) => `${b.rule} ${b.file}:${b.line} ${b.severity}`)
      .sort();
    assert.deepEqual(got, [
      'dynamic-eval src/run.ts:3 high',
      'secret/aws config/aws.ini:2 critical',
      'secret/aws config/aws.ini:3 critical',
      'secret/github src/github.ts:3 critical',
      'secret/privatekey certs/deploy.pem:1 critical',
      'secret/slack src/notify.ts:2 critical',
      'shell-command-interpolation src/run.ts:4 high',
      'tls-verification-disabled src/http.ts:2 high',
    ]);
    assert.equal(first.stats.newFindings, 8);
    assert.ok(first.changes.every((c) => c.kind === 'new'));
  });

  it('opens one Security thread per finding on its file and line', () => {
    const threads = w.board.listConversations({ ticketId: ticket.id, type: 'security' });
    assert.equal(threads.length, 8);
    for (const bug of securityBugs(w.board, ticket.id)) {
      const thread = w.board.findConversation(ticket.id, bug.fingerprint!);
      assert.ok(thread, `no thread for ${bug.title}`);
      assert.deepEqual([thread.file, thread.line, thread.status], [bug.file, bug.line, 'open']);
      const messages = w.board.listMessages(thread.id);
      assert.equal(messages.length, 1);
      assert.equal(messages[0].author, 'Security');
    }
  });

  it('skips the placeholder file, the ignored folder, the lockfile and the binary, and says so', () => {
    const bugFiles = new Set(securityBugs(w.board, ticket.id).map((b) => b.file));
    for (const f of ['.env.example', 'test/fixtures/leaked.txt', 'package-lock.json', 'assets/logo.png', 'debug.log']) assert.ok(!bugFiles.has(f), f);
    assert.deepEqual([first.stats.skipped.ignored, first.stats.skipped.binary], [2, 1]);
    assert.match(first.summary, /3 not scanned \(2 ignored, 1 binary: [^)]*assets\/logo\.png/);
    const record = w.board.getSecurityScan(ticket.id)!;
    assert.deepEqual(
      record.notScanned.map((n) => `${n.path} ${n.reason}`).sort(),
      ['assets/logo.png binary', 'package-lock.json ignored', 'test/fixtures/leaked.txt ignored'],
    );
    assert.deepEqual([record.commit, record.dirty, record.complete], [git(ticket.wt, 'rev-parse', 'HEAD'), true, true]);
  });

  it('never stores, logs or shows a secret in full', () => {
    const shown: string[] = [first.summary, ...w.activity, ...w.log.lines, JSON.stringify(first.changes)];
    for (const b of w.board.listBugs(ticket.id)) shown.push(b.title, b.description);
    for (const c of w.board.listConversations({ ticketId: ticket.id })) for (const m of w.board.listMessages(c.id)) shown.push(c.title, m.body, JSON.stringify(m.metadata));
    for (const f of w.board.listFindings({ includeGone: true })) shown.push(JSON.stringify(f));
    for (const p of securityProblems(w.board)) shown.push(JSON.stringify(p));
    const stored = filesUnder(w.tb.dir).map((p) => readFileSync(p).toString('latin1'));
    assert.ok(stored.length > 0);
    for (const raw of secretValues(secrets)) {
      for (const text of [...shown, ...stored]) assert.ok(!text.includes(raw), `the secret ${raw.slice(0, 4)}… leaked`);
    }
    const github = securityBugs(w.board, ticket.id).find((b) => b.rule === 'secret/github')!;
    assert.ok(github.description.includes(`${secrets.githubToken.slice(0, 4)}…${secrets.githubToken.slice(-2)}`));
  });

  it('scans no file again when nothing changed', async () => {
    const again = await cycle(w);
    assert.equal(again.stats.scanned, 0);
    assert.equal(again.stats.unchanged, first.stats.scanned);
    assert.deepEqual(again.changes, []);
    assert.equal(securityBugs(w.board, ticket.id).filter((b) => !b.fixed).length, 8);
  });

  it('keeps the same bug when the secret moves ten lines down, with the new line', async () => {
    const before = securityBugs(w.board, ticket.id).find((b) => b.rule === 'secret/github')!;
    const text = readFileSync(join(ticket.wt, 'src/github.ts'), 'utf8').split('\n');
    text.splice(2, 0, ...lines(10));
    write(ticket.wt, 'src/github.ts', text.join('\n'));
    commitAll(ticket.wt, 'more code above the token');
    const moved = await cycle(w);
    assert.equal(moved.stats.scanned, 1);
    const after = securityBugs(w.board, ticket.id).filter((b) => b.rule === 'secret/github');
    assert.equal(after.length, 1);
    assert.equal(after[0].id, before.id);
    assert.equal(after[0].line, 13);
    assert.equal(w.board.findConversation(ticket.id, before.fingerprint!)?.line, 13);
    assert.deepEqual(moved.changes.map((c) => c.kind), ['moved']);
  });

  it('marks the bug fixed and resolves its thread when the secret is removed, and reopens both when it returns', async () => {
    const bug = securityBugs(w.board, ticket.id).find((b) => b.rule === 'secret/github')!;
    const withToken = readFileSync(join(ticket.wt, 'src/github.ts'), 'utf8');
    write(ticket.wt, 'src/github.ts', withToken.replace(/export const token = .*\n/, 'export const token = process.env.GITHUB_TOKEN;\n'));
    const removed = await cycle(w);
    assert.deepEqual(removed.changes.map((c) => c.kind), ['fixed']);
    const fixed = w.board.listBugs(ticket.id).find((b) => b.id === bug.id)!;
    assert.equal(fixed.fixed, true);
    assert.equal(fixed.fixedAt, w.tb.clock.now());
    const thread = w.board.findConversation(ticket.id, bug.fingerprint!)!;
    assert.equal(thread.status, 'resolved');
    assert.match(w.board.listMessages(thread.id).at(-1)!.body, /No longer found.*marked fixed/);
    assert.ok(!securityProblems(w.board).some((p) => p.bugId === bug.id), 'a fixed finding keeps its diagnostic');

    write(ticket.wt, 'src/github.ts', withToken);
    const back = await cycle(w);
    assert.deepEqual(back.changes.map((c) => c.kind), ['reopened']);
    assert.equal(w.board.listBugs(ticket.id).find((b) => b.id === bug.id)!.fixed, false);
    assert.equal(w.board.findConversation(ticket.id, bug.fingerprint!)!.status, 'open');
    assert.equal(securityBugs(w.board, ticket.id).length, 8, 'a returning finding made a new bug');
  });

  it('lists open findings as problems on the absolute path in the worktree', () => {
    const problems = securityProblems(w.board);
    assert.equal(problems.length, 8);
    const slack = problems.find((p) => p.rule === 'secret/slack')!;
    assert.deepEqual([slack.fsPath, slack.line, slack.severity], [join(ticket.wt, 'src/notify.ts'), 2, 'critical']);
  });

  it('gives a second ticket with the same file its own bug, and shares only clean content', async () => {
    const other = await ticketWithWorktree(w, 'T2');
    write(other.wt, 'src/github.ts', readFileSync(join(ticket.wt, 'src/github.ts')));
    write(other.wt, 'src/http2.ts', 'export const clean = 1;\n');
    write(ticket.wt, 'src/http2.ts', 'export const clean = 1;\n');
    const r = await cycle(w);
    assert.deepEqual(securityBugs(w.board, other.id).map((b) => b.rule), ['secret/github']);
    assert.notEqual(securityBugs(w.board, other.id)[0].fingerprint, securityBugs(w.board, ticket.id).find((b) => b.rule === 'secret/github')!.fingerprint);
    // src/github.ts of T2 and one src/http2.ts were read; the other copy of the clean file was known by content.
    assert.equal(r.stats.scanned, 2);
  });

  it('refuses to let the ticket leave IN_SEC while a critical finding is open', async () => {
    await w.board.write((tx) => {
      tx.transition(ticket.id, 'IN_DEV', 'IN_QA', 'runner');
      tx.transition(ticket.id, 'IN_QA', 'IN_UX', 'runner');
      tx.transition(ticket.id, 'IN_UX', 'IN_SEC', 'runner');
    });
    const reason = securityGateRefusal(w.board, ticket.id, 'IN_SEC', 'PM_REVIEW');
    assert.match(reason ?? '', /cannot leave IN_SEC with 8 open critical\/high security findings/);
    assert.equal(securityGateRefusal(w.board, ticket.id, 'IN_SEC', 'IN_DEV'), undefined, 'going back to fix it is allowed');
    assert.equal(securityGateRefusal(w.board, ticket.id, 'IN_UX', 'IN_SEC'), undefined);

    for (const f of ['config/aws.ini', 'certs/deploy.pem', 'src/github.ts', 'src/notify.ts', 'src/run.ts', 'src/http.ts']) rmSync(join(ticket.wt, f));
    commitAll(ticket.wt, 'remove what Security found');
    const clean = await cycle(w);
    assert.equal(clean.stats.fixed, 8);
    assert.equal(securityGateRefusal(w.board, ticket.id, 'IN_SEC', 'PM_REVIEW'), undefined);
    assert.equal(w.board.listConversations({ ticketId: ticket.id, type: 'security', status: 'open' }).length, 0);
  });

  it("scans a DONE ticket's full change again only when its worktree moved on since its last scan", async () => {
    installSecurityGate(w.board, { git: new SimpleGitPort(), settings: () => settings, clock: w.tb.clock });
    // A dirty worktree is scanned again every cycle: what is not committed can change any time.
    if (git(ticket.wt, 'status', '--porcelain') !== '') commitAll(ticket.wt, 'the last of the work');
    await w.board.write((tx) => {
      tx.transition(ticket.id, 'IN_SEC', 'PM_REVIEW', 'runner');
      tx.transition(ticket.id, 'PM_REVIEW', 'DONE', 'runner');
    });
    const atDone = w.board.getSecurityScan(ticket.id)!;
    assert.deepEqual([atDone.commit, atDone.dirty, atDone.complete], [git(ticket.wt, 'rev-parse', 'HEAD'), false, true]);
    w.tb.clock.advanceMinutes(2);
    await cycle(w);
    assert.equal(w.board.getSecurityScan(ticket.id)!.scannedAt, atDone.scannedAt, 'the scan made on the way to DONE covers its full change');
    write(ticket.wt, 'src/late.ts', `export const t = "${fakeSecrets(5).githubToken}";\n`);
    commitAll(ticket.wt, 'one more thing');
    const late = await cycle(w);
    assert.ok(late.changes.some((c) => c.kind === 'new' && c.ticketId === ticket.id && c.file === 'src/late.ts'));
    const now = w.board.getSecurityScan(ticket.id)!;
    assert.notEqual(now.commit, atDone.commit);
    assert.equal(now.commit, git(ticket.wt, 'rev-parse', 'HEAD'));
    w.tb.clock.advanceMinutes(2);
    await cycle(w);
    assert.equal(w.board.getSecurityScan(ticket.id)!.scannedAt, now.scannedAt, 'a DONE ticket was scanned twice at the same commit');
  });
});

describe('Security agent under a time budget', () => {
  it('scans a large change over several cycles, keeping what it found, and records the scan complete only when nothing is left', async () => {
    const w = await makeWorld(0);
    try {
      const t = await ticketWithWorktree(w, 'big');
      for (let i = 1; i <= 3; i++) write(t.wt, `src/m${i}.ts`, `export const t${i} = "${fakeSecrets(200 + i).githubToken}";\n`);
      commitAll(t.wt, 'three files with tokens');
      const counts: number[][] = [];
      for (let i = 0; i < 3; i++) {
        const r = await cycle(w);
        counts.push([r.stats.scanned, r.stats.deferred]);
        assert.equal(w.board.getSecurityScan(t.id)!.complete, i === 2, `complete after cycle ${i + 1}`);
        assert.equal(securityBugs(w.board, t.id).filter((b) => !b.fixed).length, i + 1, 'a deferred file lost its finding');
      }
      assert.deepEqual(counts, [[1, 2], [1, 1], [1, 0]]);
      assert.match(w.log.lines.join('\n'), /left for the next cycle/);
    } finally {
      await w.tb.dispose();
      w.repo.dispose();
    }
  });
});

describe('Security scan on request', () => {
  it('scans a ticket whatever its status and says whether it passes', async () => {
    const w = await makeWorld();
    try {
      const t = await ticketWithWorktree(w, 'asked');
      write(t.wt, 'src/a.ts', `export const t = "${fakeSecrets(300).githubToken}";\n`);
      await w.board.write((tx) => tx.transition(t.id, 'IN_DEV', 'BLOCKED', 'user', 'waiting for a decision'));
      const periodic = await cycle(w);
      assert.equal(periodic.stats.tickets, 0, 'a BLOCKED ticket is not an active one');
      const deps = { git: new SimpleGitPort(), settings: () => settings, clock: w.tb.clock };
      const asked = await scanTicketNow(w.board, t.id, deps);
      assert.deepEqual([asked.pass, asked.blockers.map((b) => b.rule), asked.changes.map((c) => c.kind)], [false, ['secret/github'], ['new']]);
      assert.equal(asked.record?.state, asked.state);
      rmSync(join(t.wt, 'src/a.ts'));
      assert.equal((await scanTicketNow(w.board, t.id, deps)).pass, true);
      assert.match((await scanTicketNow(w.board, 'T-999', deps)).error ?? '', /no ticket T-999/);
    } finally {
      await w.tb.dispose();
      w.repo.dispose();
    }
  });
});

describe('Security agent following files and reading awkward ones', () => {
  it('keeps the same bug when the file holding a secret is renamed, by git or by hand', async () => {
    const w = await makeWorld();
    try {
      const t = await ticketWithWorktree(w, 'moves');
      write(t.wt, 'src/a.ts', `export const t = "${fakeSecrets(400).githubToken}";\n`);
      commitAll(t.wt, 'a token');
      await cycle(w);
      const [bug] = securityBugs(w.board, t.id);
      assert.equal(bug.file, 'src/a.ts');

      git(t.wt, 'mv', 'src/a.ts', 'src/b.ts');
      commitAll(t.wt, 'rename a to b');
      const renamed = await cycle(w);
      assert.deepEqual(renamed.changes.map((c) => `${c.kind} ${c.file}`), ['moved src/b.ts']);

      // Moved without git: the old name is deleted, the new one untracked; no rename git could see.
      mkdirSync(join(t.wt, 'lib'), { recursive: true });
      writeFileSync(join(t.wt, 'lib/c.ts'), readFileSync(join(t.wt, 'src/b.ts')));
      rmSync(join(t.wt, 'src/b.ts'));
      const moved = await cycle(w);
      assert.deepEqual(moved.changes.map((c) => `${c.kind} ${c.file}`), ['moved lib/c.ts']);

      const bugs = securityBugs(w.board, t.id);
      assert.deepEqual(bugs.map((b) => [b.id, b.file, b.fixed]), [[bug.id, 'lib/c.ts', false]]);
      assert.equal(w.board.findConversation(t.id, bug.fingerprint!)?.file, 'lib/c.ts');
    } finally {
      await w.tb.dispose();
      w.repo.dispose();
    }
  });

  it('scans a 1.5 MB JSON file and a UTF-16 file, and names every file it could not scan, with why', async () => {
    const w = await makeWorld();
    try {
      const t = await ticketWithWorktree(w, 'awkward');
      const rows = Array.from({ length: 15_000 }, (_, i) => ({ id: i, name: `record ${i}`, tags: ['alpha', 'beta'], score: i * 7 }));
      const big = JSON.stringify({ rows, deploy: { aws_access_key_id: secrets.awsAccessKeyId } }, null, 1);
      assert.ok(big.length > 1.5 * 1024 * 1024, `${big.length} bytes`);
      write(t.wt, 'data/export.json', big);
      write(t.wt, 'config/win.ini', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`[github]\r\ntoken=${secrets.githubToken}\r\n`, 'utf16le')]));
      write(t.wt, 'assets/font.woff', Buffer.from([0x77, 0x4f, 0x46, 0x46, 0, 1, 0, 0, 0, 0]));
      write(t.wt, 'huge.log.txt', 'x'.repeat(3 * 1024));
      const small: SecuritySettings = { ...settings, maxFileSizeKB: 2048 };
      const agent = new SecurityAgent({ settings: () => ({ ...small, ignore: [...small.ignore, '**/*.log.txt'] }), git: new SimpleGitPort() });
      const r = await agent.runCycle({ board: w.board, clock: w.tb.clock, log: w.log, signal: new AbortController().signal, setActivity: () => undefined });
      assert.deepEqual(
        securityBugs(w.board, t.id).map((b) => `${b.rule} ${b.file}`).sort(),
        ['secret/aws data/export.json', 'secret/github config/win.ini'],
      );
      assert.deepEqual(
        w.board.getSecurityScan(t.id)!.notScanned.map((n) => `${n.path} ${n.reason}`).sort(),
        ['assets/font.woff binary', 'huge.log.txt ignored'],
      );
      assert.match(r.summary, /2 not scanned \(1 ignored, 1 binary: .*assets\/font\.woff/);
      assert.match(w.log.lines.join('\n'), /assets\/font\.woff not scanned: it is binary/);

      const tooSmall = new SecurityAgent({ settings: () => ({ ...settings, maxFileSizeKB: 1024 }), git: new SimpleGitPort() });
      await tooSmall.runCycle({ board: w.board, clock: w.tb.clock, log: w.log, signal: new AbortController().signal, setActivity: () => undefined });
      assert.ok(w.board.getSecurityScan(t.id)!.notScanned.some((n) => n.path === 'data/export.json' && n.reason === 'too-large'));
    } finally {
      await w.tb.dispose();
      w.repo.dispose();
    }
  });
});

describe('Security agent: many findings in one ticket', () => {
  it('records them in writes of a few ms each, the scan record last, with the same outcome as one write would give', async () => {
    const w = await makeWorld();
    try {
      const t = await ticketWithWorktree(w, 'T9');
      const evals = 40;
      for (let i = 0; i < evals; i++) write(t.wt, `src/run${i}.ts`, `export const run${i} = (userInput: string) => eval(userInput);\n`);
      commitAll(t.wt, 'many evals');
      const writes: string[] = [];
      const counted: Board = Object.create(w.board) as Board;
      counted.write = (fn) =>
        w.board.write((tx) => {
          const before = tx.listBugs(t.id).length;
          const scanned = tx.getSecurityScan(t.id) !== undefined;
          const out = fn(tx);
          writes.push(`${tx.listBugs(t.id).length - before}${!scanned && tx.getSecurityScan(t.id) !== undefined ? ' +scan' : ''}`);
          return out;
        });
      const ctx: CycleContext = { board: counted, clock: w.tb.clock, log: w.log, signal: new AbortController().signal, setActivity: () => undefined };
      const r = await w.agent.runCycle(ctx);
      assert.equal(r.stats.newFindings, evals);
      assert.equal(securityBugs(w.board, t.id).length, evals);
      assert.equal(w.board.listConversations({ ticketId: t.id, type: 'security' }).length, evals);
      // The scan record, written last, counts every blocker the earlier writes opened.
      assert.equal(w.board.getSecurityScan(t.id)?.blockers, evals);
      // Writes that added bugs or the scan record (the scan cache's writes add neither): as many
      // findings per write as fit in a few ms (PLACE_WRITE_MS, so how many varies with the
      // machine), each write placing some, and the scan record in a write of its own, last.
      const placing = writes.filter((x) => x !== '0');
      assert.equal(placing.at(-1), '0 +scan');
      const placed = placing.slice(0, -1).map(Number);
      assert.ok(placed.every((n) => n > 0), placing.join());
      assert.equal(placed.reduce((a, b) => a + b, 0), evals);

      for (let i = 0; i < evals / 2; i++) rmSync(join(t.wt, `src/run${i}.ts`));
      const second = await cycle(w);
      assert.equal(second.stats.fixed, evals / 2);
      assert.equal(second.stats.newFindings, 0);
      assert.equal(securityBugs(w.board, t.id).filter((b) => !b.fixed).length, evals / 2);
    } finally {
      await w.tb.dispose();
      w.repo.dispose();
    }
  });
});
