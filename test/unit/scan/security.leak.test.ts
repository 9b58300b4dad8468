/**
 * No secret is ever shown: secrets are planted where the product reads (a ticket's worktree, a
 * TODO in the main checkout), every agent runs, and every output the product writes is searched
 * for any 10-character window of each planted secret: the board's files on disk (rows, journal,
 * backups), threads, bugs, the Problems entries, the ticket pages, every log line, and the CLI's
 * output in text and JSON.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../../../src/agents/agent';
import { AGENT_NAMES } from '../../../src/agents/agent';
import { createAgent } from '../../../src/host/backgroundAgents';
import { localProcessProbe } from '../../../src/process/localProbe';
import { runCli } from '../../../src/cli/cli';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { gatheredLocation } from '../../../src/scan/gatherer/location';
import { problemText, securityProblems } from '../../../src/scan/security/view';
import { Settings } from '../../../src/settings/settings';
import { openBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { renderTicketPage } from '../../../src/vscode/document/renderTicket';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';
import { FakeClock } from '../helpers/fakeClock';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';

const s = fakeSecrets(77);
/** The password of a URL on a host whose name holds a placeholder word. */
const urlPassword = 'Zq8vN3pL6tR2wK4m';
/** A value secretlint matches and the placeholder filter judges a stand-in (it says "your"): no finding, but never shown either. */
const standIn = 'your-deploy-secret-9Xk2';
const PLANTED = [urlPassword, standIn, s.githubToken, s.awsSecretAccessKey, s.awsAccessKeyId, fakeSecrets(78).githubToken];
const WINDOW = 10;

class CapturingLog implements Logger {
  readonly lines: string[] = [];
  private add = (message: string | Error, args: unknown[]): void => void this.lines.push(`${String(message)} ${args.map((a) => JSON.stringify(a)).join(' ')}`);
  trace = (m: string, ...a: unknown[]) => this.add(m, a);
  debug = (m: string, ...a: unknown[]) => this.add(m, a);
  info = (m: string, ...a: unknown[]) => this.add(m, a);
  warn = (m: string, ...a: unknown[]) => this.add(m, a);
  error = (m: string | Error, ...a: unknown[]) => this.add(m, a);
}

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((p) => statSync(p).isFile());
}

describe('no planted secret reaches any output, not even 10 characters of it', () => {
  let repo: TempRepo;
  let board: SqlBoard;
  const log = new CapturingLog();
  const outputs: string[] = [];
  let ticketId: string;

  before(async () => {
    repo = makeTempRepo();
    const dir = join(repo.root, '.factory');
    const clock = new FakeClock();
    board = await openBoard({ dir, repoRoot: repo.root, clock, pollMs: 0 });
    // In the main checkout: a TODO that quotes a token, for the Gatherer.
    write(repo.root, 'src/deploy.ts', `// TODO: rotate ${fakeSecrets(78).githubToken} before the release\nexport const deploy = 1;\n`);
    repo.commit('deploy');
    const wt = join(repo.parent, 'wt-leak');
    git(repo.root, 'worktree', 'add', '-q', '-b', 'factory/T-1-leak', wt, 'main');
    write(wt, 'deploy/publish.js', [
      `exec("npm publish --registry https://deploy:${urlPassword}@registry.example.com/ " + pkg);`,
      `exec("curl -fsS https://ci:${standIn}@ci.example.org/hook?ref=" + ref);`,
      '',
    ].join('\n'));
    write(wt, 'config/credentials.ini', `[default]\naws_access_key_id = ${s.awsAccessKeyId}\naws_secret_access_key = ${s.awsSecretAccessKey}\n`);
    write(wt, 'src/github.ts', `export const token = "${s.githubToken}"; eval(process.argv[2] + "${s.githubToken}");\n`);
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', 'agent work');
    ticketId = await board.write((tx) => {
      const t = tx.createTicket({ title: 'Publish the package', status: 'READY' }, 'user');
      tx.updateTicket(t.id, { worktree: { path: wt, branch: 'factory/T-1-leak', base: 'main' } });
      tx.transition(t.id, 'READY', 'IN_DEV', 'runner');
      return t.id;
    });

    const settings = new Settings({ get: () => undefined }, log);
    for (const name of AGENT_NAMES) {
      const agent = createAgent(name, { board, settings, git: new SimpleGitPort(), log, clock, probe: localProcessProbe, runs: () => undefined });
      const result = await agent.runCycle({ board, clock, log, signal: new AbortController().signal, setActivity: (text) => void outputs.push(text) });
      outputs.push(JSON.stringify(result));
    }

    const cliOut: string[] = [];
    const io = { stdout: (t: string) => void cliOut.push(t), stderr: (t: string) => void cliOut.push(t) };
    const env = { AGENT_FACTORY_BOARD: dir };
    const ids = board.listTickets().map((t) => t.id);
    for (const args of [['list'], ['list', '--json'], ['agents', '--json'], ['runs', '--json'], ['run-agent', 'security', '--json'], ['run-agent', 'gatherer'], ...ids.flatMap((id) => [['show', id], ['show', id, '--json']])]) {
      await runCli(args, { cwd: repo.root, env, io });
    }
    outputs.push(...cliOut);
    await board.refresh();

    for (const t of board.listTickets()) {
      outputs.push(
        renderTicketPage({
          ticket: t,
          bugs: board.listBugs(t.id),
          salvages: board.listSalvages({ ticketId: t.id }),
          runs: board.listRuns({ ticketId: t.id }),
          history: board.history(t.id),
          checkIns: board.listCheckIns(t.id),
          dependencies: t.dependsOn.flatMap((id) => board.getTicket(id) ?? []),
          conversations: board.listConversations({ ticketId: t.id }),
          threadStats: new Map(),
          attention: [],
          changes: board.listChangedFiles(t.id),
          securityScan: board.getSecurityScan(t.id),
          location: gatheredLocation(board, t.id),
          boardDir: board.dir,
          now: Date.now(),
          time: (ms) => new Date(ms).toISOString(),
        }).text,
      );
      for (const c of board.listConversations({ ticketId: t.id })) for (const m of board.listMessages(c.id)) outputs.push(c.title, m.body, JSON.stringify(m.metadata));
    }
    for (const p of securityProblems(board)) outputs.push(problemText(p), JSON.stringify(p));
    for (const f of board.listFindings({ includeGone: true })) outputs.push(JSON.stringify(f));
    outputs.push(...log.lines);
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      outputs.push(bytes.toString('latin1'), bytes.toString('utf8'));
    }
  });

  after(async () => {
    await board.close();
    repo.dispose();
  });

  it('found what it must: the secrets as critical bugs and the risky calls, masked', () => {
    const rules = board.listBugs(ticketId).map((b) => b.rule).sort();
    assert.deepEqual(rules, ['dynamic-eval', 'secret/aws', 'secret/aws', 'secret/basicauth', 'secret/github', 'shell-command-interpolation', 'shell-command-interpolation']);
    const gathered = board.listTickets({ source: 'gatherer' });
    assert.equal(gathered.length, 1);
    assert.match(gathered[0].title, /^TODO: rotate ghp_…\w\w before the release$/);
  });

  it('shows no 10-character window of any planted secret anywhere', () => {
    assert.ok(outputs.length > 50, `only ${outputs.length} outputs collected`);
    const leaks: string[] = [];
    for (const secret of PLANTED) {
      for (let i = 0; i + WINDOW <= secret.length; i++) {
        const window = secret.slice(i, i + WINDOW);
        const where = outputs.findIndex((o) => o.includes(window));
        if (where !== -1) leaks.push(`${secret.slice(0, 4)}… window ${i} in output ${where}: ${outputs[where].slice(Math.max(0, outputs[where].indexOf(window) - 40), outputs[where].indexOf(window) + 20)}`);
      }
    }
    assert.deepEqual(leaks, []);
  });
});
