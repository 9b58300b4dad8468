// A real repository with its board in .factory/ (as `agent-factory init` makes it) and tickets
// whose worktrees hold real commits, for the land, review and radar tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installSecurityGate } from '../../../src/agents/securityGate';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import { DEFAULT_WORKTREE_SETTINGS, ensureTicketWorktree } from '../../../src/agents/worktreeAgent';
import { PIPELINE, type Status } from '../../../src/domain/status';
import type { Ticket } from '../../../src/domain/ticket';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import { DEFAULT_LAND_SETTINGS, type LandSettings } from '../../../src/land/landSettings';
import { landTicket, type LandDeps, type LandOutcome } from '../../../src/land/landTicket';
import { createBoard, type SqlBoard } from '../../../src/store/sqlBoard';
import { FakeClock } from '../helpers/fakeClock';
import { git, makeTempRepo, type TempRepo } from '../helpers/tempRepo';

export interface LandRepo {
  repo: TempRepo;
  board: SqlBoard;
  clock: FakeClock;
  settings: LandSettings;
  /** A ticket walked to `status` whose worktree has one commit writing `files`. */
  ticketWithChange(title: string, files: Record<string, string>, status?: Status): Promise<Ticket>;
  /** Writes and commits files in a folder (the main checkout or a worktree). */
  commitIn(dir: string, files: Record<string, string>, message: string): string;
  land(id: string, extra?: Partial<LandDeps>): Promise<LandOutcome>;
  /** Where the base branch points now. */
  baseHead(): string;
  ticket(id: string): Promise<Ticket>;
  dispose(): Promise<void>;
}

export async function makeLandRepo(): Promise<LandRepo> {
  const repo = makeTempRepo();
  const clock = new FakeClock();
  const board = await createBoard({ dir: join(repo.root, '.factory'), repoRoot: repo.root, clock, pollMs: 0 });
  const port = new SimpleGitPort();
  // As in every host: a ticket leaves IN_SEC and reaches DONE only after a scan of its change.
  installSecurityGate(board, { git: port, settings: () => DEFAULT_SECURITY_SETTINGS, clock });
  const settings: LandSettings = { ...DEFAULT_LAND_SETTINGS };
  const commitIn = (dir: string, files: Record<string, string>, message: string): string => {
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', message);
    return git(dir, 'rev-parse', 'HEAD');
  };
  return {
    repo,
    board,
    clock,
    settings,
    commitIn,
    async ticketWithChange(title, files, status = 'PM_REVIEW') {
      const created = await board.write((tx) => tx.createTicket({ title, status: 'READY' }, 'user'));
      const worktree = await ensureTicketWorktree(board, port, created, DEFAULT_WORKTREE_SETTINGS);
      commitIn(worktree.path, files, `${created.id}: ${title}`);
      return board.write((tx) => {
        let t = tx.getTicket(created.id)!;
        for (const next of PIPELINE.slice(PIPELINE.indexOf('IN_DEV'), PIPELINE.indexOf(status as (typeof PIPELINE)[number]) + 1)) {
          t = tx.transition(t.id, t.status, next, 'runner');
        }
        return t;
      });
    },
    land: (id, extra = {}) => landTicket({ board, clock, settings, pollMs: 20, ...extra }, id),
    baseHead: () => git(repo.root, 'rev-parse', 'refs/heads/main'),
    async ticket(id) {
      await board.refresh();
      return board.getTicket(id)!;
    },
    async dispose() {
      await board.close();
      repo.dispose();
    },
  };
}
