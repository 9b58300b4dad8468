/**
 * A real repository, a real board and a Worktree agent on a fake clock, with the moves tests make
 * over and over: tickets walked along the pipeline, started the way Start does it, finished.
 */
import { installSecurityGate } from '../../../src/agents/securityGate';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { silentLogger, type CycleContext } from '../../../src/agents/agent';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree, WorktreeAgent, type WorktreeReportEntry, type WorktreeSettings } from '../../../src/agents/worktreeAgent';
import { PIPELINE, type Status } from '../../../src/domain/status';
import type { Ticket, Worktree } from '../../../src/domain/ticket';
import { samePath } from '../../../src/git/paths';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard, type TempBoard } from './tempBoard';
import { git, makeTempRepo, type TempRepo } from './tempRepo';

export interface WorktreeFixture {
  repo: TempRepo;
  tb: TempBoard;
  board: SqlBoard;
  port: SimpleGitPort;
  agent: WorktreeAgent;
  /** Changed in place by tests; the agent reads it every cycle. */
  settings: WorktreeSettings;
  /** `<parent>/repo.worktrees`. */
  location(): string;
  ctx(signal?: AbortSignal): CycleContext;
  /** A ticket walked along the pipeline to `status` the legal way. */
  ticketIn(title: string, status: Status): Promise<Ticket>;
  /** A ticket started the way Start does it (its worktree created), then walked to `status`. */
  startedIn(title: string, status: Status): Promise<Ticket & { worktree: Worktree }>;
  moveTo(id: string, status: Status): Promise<void>;
  entryFor(path: string): WorktreeReportEntry | undefined;
  commitIn(dir: string, file: string, content: string | Buffer): void;
  dispose(): Promise<void>;
}

/**
 * A project whose worktrees hold what git status does not show: it ignores `.env`, `build/`,
 * `node_modules/`, `vendor-cache/` and `*.log`, and `secret.txt` goes through a clean filter (git
 * stores `token=REDACTED` whatever is on disk).
 */
export function addProjectFiles(repo: TempRepo): void {
  repo.write('.gitignore', '.env\nbuild/\nnode_modules/\nvendor-cache/\n*.log\n');
  repo.write('.gitattributes', 'secret.txt filter=redact\n');
  repo.write('secret.txt', 'token=REDACTED\n');
  repo.write('src/app.ts', 'export const v = 1;\n');
  repo.commit('project');
  git(repo.root, 'config', 'filter.redact.clean', 'sed -e s/=.*/=REDACTED/');
  git(repo.root, 'config', 'filter.redact.smudge', 'cat');
}

/** `project`: the repository gets addProjectFiles first. */
export async function makeWorktreeFixture(opts: { project?: boolean } = {}): Promise<WorktreeFixture> {
  const repo = makeTempRepo();
  if (opts.project) addProjectFiles(repo);
  const tb = await makeTempBoard({ repoRoot: repo.root });
  const board = tb.board;
  const port = new SimpleGitPort();
  // Moves into DONE scan the ticket's change first, as in every host.
  installSecurityGate(board, { git: port, settings: () => DEFAULT_SECURITY_SETTINGS, clock: tb.clock });
  const fx: WorktreeFixture = {
    repo,
    tb,
    board,
    port,
    settings: { ...DEFAULT_WORKTREE_SETTINGS },
    agent: undefined as unknown as WorktreeAgent,
    location: () => join(repo.parent, 'repo.worktrees'),
    ctx: (signal = new AbortController().signal) => ({ board, clock: tb.clock, log: silentLogger, signal, setActivity() {} }),
    ticketIn: (title, status) =>
      board.write((tx) => {
        let t = tx.createTicket({ title, status: 'READY' }, 'user');
        for (const next of stepsTo('READY', status)) t = tx.transition(t.id, t.status, next, 'runner');
        return t;
      }),
    async startedIn(title, status) {
      const t = await fx.ticketIn(title, 'READY');
      await ensureTicketWorktree(board, port, t, fx.settings);
      await fx.moveTo(t.id, status);
      return board.getTicket(t.id) as Ticket & { worktree: Worktree };
    },
    moveTo: async (id, status) => {
      await board.write((tx) => {
        let t = tx.getTicket(id)!;
        for (const next of stepsTo(t.status, status)) t = tx.transition(t.id, t.status, next, 'runner');
      });
    },
    entryFor: (path) => fx.agent.lastReport?.entries.find((e) => samePath(e.path, path)),
    commitIn(dir, file, content) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '-m', `add ${file}`);
    },
    async dispose() {
      await tb.dispose();
      repo.dispose();
    },
  };
  fx.agent = new WorktreeAgent({ git: port, settings: () => fx.settings, clock: tb.clock });
  return fx;
}

function stepsTo(from: Status, to: Status): Status[] {
  const pipeline = PIPELINE as readonly Status[];
  return pipeline.slice(pipeline.indexOf(from) + 1, pipeline.indexOf(to) + 1);
}
