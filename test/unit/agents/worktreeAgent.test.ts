import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CycleContext } from '../../../src/agents/agent';
import { SecurityAgent } from '../../../src/agents/securityAgent';
import {
  ensureTicketWorktree,
  parseWorktreeReport,
  WORKTREE_REPORT_META,
  WorktreeAgent,
  worktreeMissingFingerprint,
  type WorktreeReportEntry,
} from '../../../src/agents/worktreeAgent';
import { restoreWorktree } from '../../../src/agents/worktreeSalvages';
import { FactoryError } from '../../../src/domain/errors';
import type { Status } from '../../../src/domain/status';
import type { Ticket } from '../../../src/domain/ticket';
import { DEFAULT_SECURITY_SETTINGS } from '../../../src/scan/security/settings';
import { samePath } from '../../../src/git/paths';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';
import type { BoardTx } from '../../../src/store/api';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import type { TempBoard } from '../helpers/tempBoard';
import { git, type TempRepo } from '../helpers/tempRepo';
import { makeWorktreeFixture, type WorktreeFixture } from '../helpers/worktreeFixture';

const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x80, 0xc3, 0x28, 0x00, 0x7f]);

void describe('WorktreeAgent', () => {
  let fx: WorktreeFixture;
  let repo: TempRepo;
  let tb: TempBoard;
  let board: SqlBoard;
  let agent: WorktreeAgent;
  const port = new SimpleGitPort();

  beforeEach(async () => {
    fx = await makeWorktreeFixture();
    ({ repo, tb, board, agent } = fx);
  });
  afterEach(() => fx.dispose());

  const location = (): string => fx.location();
  const ctx = (signal?: AbortSignal): CycleContext => fx.ctx(signal);
  const ticketIn = (title: string, status: Status): Promise<Ticket> => fx.ticketIn(title, status);
  const startedIn = (title: string, status: Status): Promise<Ticket> => fx.startedIn(title, status);
  const moveTo = (id: string, status: Status): Promise<void> => fx.moveTo(id, status);
  const entryFor = (path: string): WorktreeReportEntry | undefined => fx.entryFor(path);
  const worktreeOf = (id: string) => board.getTicket(id)?.worktree;
  const commitIn = (dir: string, file: string, content: string | Buffer): void => fx.commitIn(dir, file, content);

  void describe('active tickets', () => {
    void it('never creates a worktree for an active ticket that has none: that happens when a run starts', async () => {
      const t = await ticketIn('Add search', 'IN_DEV');
      const result = await agent.runCycle(ctx());
      assert.equal(worktreeOf(t.id), undefined);
      assert.equal(existsSync(location()), false);
      assert.equal((await port.listWorktrees(repo.root)).length, 1);
      assert.match(result.summary, /^0 worktrees/);

      const wt = await ensureTicketWorktree(board, port, board.getTicket(t.id)!, fx.settings);
      assert.ok(samePath(wt.path, join(location(), `${t.id}-add-search`)));
      assert.equal(wt.branch, `factory/${t.id}-add-search`);
      assert.equal(wt.base, 'main');
      await agent.runCycle(ctx());
      assert.equal(entryFor(wt.path)?.action, 'ok');
    });

    void it('leaves a present worktree alone on the next cycle', async () => {
      const t = await startedIn('Add search', 'IN_QA');
      await agent.runCycle(ctx());
      const wt = worktreeOf(t.id)!;
      writeFileSync(join(wt.path, 'work.txt'), 'in progress');
      await agent.runCycle(ctx());
      assert.equal(entryFor(wt.path)?.action, 'ok');
      assert.equal(readFileSync(join(wt.path, 'work.txt'), 'utf8'), 'in progress');
    });

    void it('prunes a deleted worktree folder and recreates it from its branch with the committed work', async () => {
      const t = await startedIn('Checkout flow', 'IN_DEV');
      const wt = worktreeOf(t.id)!;
      commitIn(wt.path, 'src/checkout.ts', 'export const checkout = 1;\n');
      rmSync(wt.path, { recursive: true, force: true });

      const result = await agent.runCycle(ctx());
      assert.equal(readFileSync(join(wt.path, 'src', 'checkout.ts'), 'utf8'), 'export const checkout = 1;\n');
      assert.equal(entryFor(wt.path)?.action, 'recreated');
      assert.equal(entryFor(wt.path)?.ahead, 1);
      assert.equal((await port.listWorktrees(repo.root)).filter((e) => e.prunable).length, 0);
      assert.equal(board.listBugs(t.id).length, 0);
      assert.equal(result.attention, false);
    });

    void it('reports a blocker bug, once, when both the folder and the branch are gone; fixes it when the worktree is back', async () => {
      const t = await startedIn('Payments', 'IN_DEV');
      const wt = worktreeOf(t.id)!;
      rmSync(wt.path, { recursive: true, force: true });
      git(repo.root, 'worktree', 'prune');
      git(repo.root, 'branch', '-D', wt.branch);

      const first = await agent.runCycle(ctx());
      await agent.runCycle(ctx());
      const bugs = board.listBugs(t.id);
      assert.equal(bugs.length, 1, 'deduplicated across cycles');
      const bug = bugs[0];
      assert.equal(bug.title, 'Worktree missing');
      assert.equal(bug.severity, 'high');
      assert.equal(bug.foundBy, 'Worktree');
      assert.equal(bug.fixed, false);
      assert.equal(bug.fingerprint, worktreeMissingFingerprint(t.id));
      assert.match(bug.description, new RegExp(wt.branch.replace(/[/.]/g, '\\$&')));
      assert.equal(first.attention, true);
      assert.match(first.summary, new RegExp(`missing: ${t.id}`));
      assert.equal(entryFor(wt.path)?.missing, true);
      assert.equal(existsSync(wt.path), false, 'the agent did not silently start the work over');

      await ensureTicketWorktree(board, port, board.getTicket(t.id)!, fx.settings);
      assert.ok(existsSync(wt.path));
      assert.equal(board.listBugs(t.id)[0]?.fixed, true);

      rmSync(wt.path, { recursive: true, force: true });
      git(repo.root, 'worktree', 'prune');
      git(repo.root, 'branch', '-D', wt.branch);
      await agent.runCycle(ctx());
      assert.deepEqual(board.listBugs(t.id).map((b) => b.fixed), [false], 'the same bug reopens rather than a second one');
    });

    void it('reports a blocker with what to do when the branch is checked out in the main checkout', async () => {
      const t = await startedIn('Main clash', 'IN_DEV');
      const wt = worktreeOf(t.id)!;
      rmSync(wt.path, { recursive: true, force: true });
      git(repo.root, 'worktree', 'prune');
      git(repo.root, 'checkout', '-q', wt.branch);
      await agent.runCycle(ctx());
      const bug = board.listBugs(t.id)[0];
      assert.ok(bug && !bug.fixed);
      assert.match(bug.description, /main checkout/);
    });

    void it('a hostile title still gives a worktree inside the location', async () => {
      const t = await startedIn('../../etc; rm -rf ~ 🔥', 'IN_DEV');
      const wt = worktreeOf(t.id)!;
      assert.equal(relative(location(), wt.path), `${t.id}-etc-rm-rf`);
      assert.equal(wt.branch, `factory/${t.id}-etc-rm-rf`);
    });

    void it('fails the cycle with a reason when the base branch setting names no branch', async () => {
      await ticketIn('x', 'IN_DEV');
      fx.settings = { ...fx.settings, baseBranch: 'develop' };
      await assert.rejects(agent.runCycle(ctx()), (err: unknown) => err instanceof FactoryError && /agentFactory\.worktrees\.baseBranch/.test(err.message));
    });
  });

  void describe('finished and orphaned worktrees', () => {
    const doneTicketWithWorktree = async (title: string): Promise<{ t: Ticket; path: string; branch: string }> => {
      const t = await startedIn(title, 'IN_DEV');
      const wt = worktreeOf(t.id)!;
      return { t, path: wt.path, branch: wt.branch };
    };

    void it('removes a DONE ticket\'s worktree when it is clean and merged, and keeps the branch', async () => {
      const { t, path, branch } = await doneTicketWithWorktree('Merged work');
      commitIn(path, 'feature.ts', 'export {}\n');
      git(repo.root, 'merge', '-q', '--no-edit', branch);
      await moveTo(t.id, 'DONE');

      const result = await agent.runCycle(ctx());
      assert.equal(existsSync(path), false);
      assert.equal(entryFor(path)?.action, 'removed');
      assert.match(result.summary, /1 removed/);
      assert.ok(git(repo.root, 'branch', '--list', branch).includes(branch), 'the branch survives');
    });

    void it("keeps a DONE ticket's worktree until Security has scanned its full change as it stands", async () => {
      const { t, path, branch } = await doneTicketWithWorktree('Late commit');
      commitIn(path, 'feature.ts', 'export {}\n');
      await moveTo(t.id, 'DONE');
      // Work committed after the scan on the way to DONE: that scan no longer covers the branch.
      commitIn(path, 'later.ts', 'export const later = 1;\n');
      git(repo.root, 'merge', '-q', '--no-edit', branch);

      const waiting = await agent.runCycle(ctx());
      assert.equal(existsSync(path), true);
      assert.equal(entryFor(path)?.keptBecause, 'security-scan');
      assert.match(entryFor(path)?.note ?? '', /waiting for the Security agent's scan of T-\d+'s full change/);
      assert.match(waiting.summary, /1 kept \(1 security-scan\)/);

      await new SecurityAgent({ settings: () => DEFAULT_SECURITY_SETTINGS, git: port }).runCycle(ctx());
      await agent.runCycle(ctx());
      assert.equal(existsSync(path), false);
      assert.equal(entryFor(path)?.action, 'removed');
    });

    void it('never removes a dirty worktree; reports it as kept: dirty', async () => {
      const { t, path, branch } = await doneTicketWithWorktree('Dirty work');
      git(repo.root, 'merge', '-q', '--no-edit', branch);
      writeFileSync(join(path, 'notes.txt'), 'unsaved thoughts');
      writeFileSync(join(path, 'README.md'), 'edited');
      await moveTo(t.id, 'DONE');

      const result = await agent.runCycle(ctx());
      await agent.runCycle(ctx());
      assert.equal(readFileSync(join(path, 'notes.txt'), 'utf8'), 'unsaved thoughts');
      assert.equal(readFileSync(join(path, 'README.md'), 'utf8'), 'edited');
      const entry = entryFor(path);
      assert.equal(entry?.action, 'kept');
      assert.equal(entry?.keptBecause, 'dirty');
      assert.match(entry?.note ?? '', /^kept: dirty \(2 uncommitted or untracked files\)/);
      assert.match(result.summary, /1 kept \(1 dirty\)/);
    });

    void it('never removes an unmerged worktree; reports it as kept: unmerged', async () => {
      const { t, path } = await doneTicketWithWorktree('Unmerged work');
      commitIn(path, 'feature.ts', 'export {}\n');
      await moveTo(t.id, 'DONE');
      await agent.runCycle(ctx());
      assert.ok(existsSync(join(path, 'feature.ts')));
      assert.equal(entryFor(path)?.keptBecause, 'unmerged');
      assert.equal(entryFor(path)?.ahead, 1);
    });

    void it('keeps a locked finished worktree', async () => {
      const { t, path } = await doneTicketWithWorktree('Locked');
      git(repo.root, 'worktree', 'lock', path);
      await moveTo(t.id, 'DONE');
      await agent.runCycle(ctx());
      assert.ok(existsSync(path));
      assert.equal(entryFor(path)?.keptBecause, 'locked');
    });

    void it('removes a clean merged orphan inside the location and ignores worktrees outside it', async () => {
      const orphan = join(location(), 'scratch');
      const outside = join(repo.parent, 'elsewhere');
      git(repo.root, 'worktree', 'add', '-q', '-b', 'scratch', orphan, 'main');
      git(repo.root, 'worktree', 'add', '-q', '-b', 'mine', outside, 'main');
      await agent.runCycle(ctx());
      assert.equal(existsSync(orphan), false);
      assert.ok(existsSync(outside));
      assert.equal(entryFor(outside), undefined, 'a worktree outside the location that no ticket knows is not ours');
    });

    void it('does not take a worktree being started (its ticket has not recorded it yet) for an orphan', async () => {
      const t = await ticketIn('Starting now', 'READY');
      const path = join(location(), `${t.id}-starting-now`);
      git(repo.root, 'worktree', 'add', '-q', '-b', `factory/${t.id}-starting-now`, path, 'main');
      await agent.runCycle(ctx());
      assert.ok(existsSync(path));
      assert.equal(entryFor(path)?.ticketId, t.id);
    });

    void it('stops at once when the signal is aborted, removing nothing', async () => {
      const { t, path, branch } = await doneTicketWithWorktree('Abort me');
      git(repo.root, 'merge', '-q', '--no-edit', branch);
      await moveTo(t.id, 'DONE');
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(agent.runCycle(ctx(ac.signal)));
      assert.ok(existsSync(path));
    });
  });

  void describe('report', () => {
    void it('reports dirty, ahead and behind, size, stale and heavy, and stores the report for other windows', async () => {
      const t = await startedIn('Measure me', 'IN_DEV');
      const wt = worktreeOf(t.id)!;
      commitIn(wt.path, 'a.txt', 'a');
      commitIn(wt.path, 'b.txt', 'b');
      commitIn(repo.root, 'main-only.txt', 'm');
      writeFileSync(join(wt.path, 'untracked.txt'), 'u');
      fx.settings = { ...fx.settings, heavyMB: 0.01 };

      await agent.runCycle(ctx());
      const e = entryFor(wt.path)!;
      assert.equal(e.ticketId, t.id);
      assert.equal(e.ticketStatus, 'IN_DEV');
      assert.equal(e.branch, wt.branch);
      assert.equal(e.dirty, true);
      assert.equal(e.changedFiles, 1);
      assert.equal(e.ahead, 2);
      assert.equal(e.behind, 1);
      assert.ok((e.sizeBytes ?? 0) > 0);
      assert.equal(e.heavy, true);
      assert.equal(e.stale, false);

      const stored = parseWorktreeReport(board.getMeta(WORKTREE_REPORT_META));
      assert.deepEqual(stored, agent.lastReport);
      assert.equal(stored?.base, 'main');

      tb.clock.set(Date.now() + 30 * 86_400_000);
      fx.settings = { ...fx.settings, heavyMB: 500 };
      await agent.runCycle(ctx());
      assert.equal(entryFor(wt.path)?.stale, true);
      assert.equal(entryFor(wt.path)?.heavy, false);
    });
  });

  void describe('a quiet board', () => {
    void it('a cycle that finds nothing new makes no write at all; one that does writes its report', async () => {
      const t = await startedIn('Quiet', 'IN_DEV');
      await agent.runCycle(ctx());
      await agent.runCycle(ctx());
      const stored = board.getMeta(WORKTREE_REPORT_META);
      let writes = 0;
      const write = board.write.bind(board);
      board.write = <T>(fn: (tx: BoardTx) => T): Promise<T> => {
        writes++;
        return write(fn);
      };
      await agent.runCycle(ctx());
      await agent.runCycle(ctx());
      assert.equal(writes, 0, 'not even an empty write: it would take the lock');
      assert.equal(board.getMeta(WORKTREE_REPORT_META), stored);

      const wt = worktreeOf(t.id)!;
      writeFileSync(join(wt.path, 'new.txt'), 'work');
      await agent.runCycle(ctx());
      assert.equal(writes, 1);
      assert.equal(entryFor(wt.path)?.dirty, true);
    });
  });

  void describe('sizes', () => {
    void it('measures a big worktree across cycles within the size budget, flagging it heavy as soon as it is', async () => {
      const slow = new WorktreeAgent({ git: port, settings: () => fx.settings, clock: tb.clock, sizeBudgetMs: 0 });
      fx.settings = { ...fx.settings, heavyMB: 0.05 };
      const t = await ticketIn('Big tree', 'READY');
      const wt = await ensureTicketWorktree(board, port, t, fx.settings);
      writeFileSync(join(wt.path, '.gitignore'), 'node_modules/\n');
      mkdirSync(join(wt.path, 'node_modules'));
      for (let i = 0; i < 150; i++) writeFileSync(join(wt.path, 'node_modules', `m${i}.js`), Buffer.alloc(1024, 1));
      await moveTo(t.id, 'IN_DEV');

      const entry = () => slow.lastReport?.entries.find((e) => samePath(e.path, wt.path));
      let cycles = 0;
      let heavyBeforeMeasured = false;
      do {
        await slow.runCycle(ctx());
        cycles++;
        if (entry()?.heavy && entry()?.sizeBytes === undefined) heavyBeforeMeasured = true;
      } while (entry()?.sizeBytes === undefined && cycles < 30);
      assert.ok((entry()?.sizeBytes ?? 0) >= 150 * 1024);
      assert.ok(cycles > 2, `measured over ${cycles} cycles`);
      assert.ok(heavyBeforeMeasured, 'a walk in progress past the threshold already counts as heavy');
    });
  });

  void describe('Clean Up Worktrees', () => {
    type Prepare = (path: string, branch: string) => void;
    /** Worktrees for several tickets from one cycle, then each prepared and its ticket finished. */
    const finishedAll = async (specs: [string, Prepare][]): Promise<string[]> => {
      const tickets: Ticket[] = [];
      for (const [title] of specs) tickets.push(await startedIn(title, 'IN_DEV'));
      const paths: string[] = [];
      for (const [i, t] of tickets.entries()) {
        const wt = worktreeOf(t.id)!;
        specs[i][1](wt.path, wt.branch);
        await moveTo(t.id, 'DONE');
        paths.push(wt.path);
      }
      return paths;
    };
    const finished = async (title: string, prepare: Prepare): Promise<string> => (await finishedAll([[title, prepare]]))[0];
    const merge: Prepare = (_p, b) => git(repo.root, 'merge', '-q', '--no-edit', b);

    void it('plans what it would remove and what it keeps and why, changing nothing', async () => {
      const active = await startedIn('Still working', 'IN_DEV');
      const [clean, dirty, unmerged] = (await finishedAll([
        ['Clean', merge],
        ['Dirty', (p) => writeFileSync(join(p, 'x.txt'), 'x')],
        ['Unmerged', (p) => commitIn(p, 'y.txt', 'y')],
      ])) as [string, string, string];

      const plan = await agent.planCleanup(board);
      const by = (p: string) => plan.items.find((i) => samePath(i.path, p));
      assert.equal(by(clean)?.decision, 'remove');
      assert.equal(by(dirty)?.decision, 'confirm');
      assert.equal(by(dirty)?.keptBecause, 'dirty');
      assert.equal(by(unmerged)?.decision, 'confirm');
      assert.equal(by(unmerged)?.keptBecause, 'unmerged');
      const activePath = worktreeOf(active.id)!.path;
      assert.equal(by(activePath)?.decision, 'keep');
      assert.match(by(activePath)?.why ?? '', new RegExp(`${active.id} is IN_DEV`));
      for (const p of [clean, dirty, unmerged, activePath]) assert.ok(existsSync(p), p);
    });

    void it('without confirmation removes only the clean merged ones', async () => {
      const [clean, dirty] = (await finishedAll([
        ['Clean', merge],
        ['Dirty', (p) => writeFileSync(join(p, 'x.txt'), 'x')],
      ])) as [string, string];
      const plan = await agent.planCleanup(board);
      const result = await agent.executeCleanup(board, plan);
      assert.equal(existsSync(clean), false);
      assert.ok(existsSync(join(dirty, 'x.txt')));
      assert.equal(result.removed.length, 1);
      assert.ok(samePath(result.removed[0].salvage.worktreePath, clean), 'even a clean one is salvaged, so it can be restored');
      assert.match(result.removed[0].report, /^saved as sv-/);
      assert.match(result.skipped.find((s) => samePath(s.path, dirty))?.reason ?? '', /not confirmed/);
      assert.ok(existsSync(join(dirty, 'x.txt')));
    });

    void it('on confirmation salvages everything first, then removes; Restore Worktree brings text, untracked and binary changes back', async () => {
      const dirty = await finished('Dirty binary', (p, b) => {
        git(repo.root, 'merge', '-q', '--no-edit', b);
        writeFileSync(join(p, 'README.md'), '# edited\n');
        mkdirSync(join(p, 'new'));
        writeFileSync(join(p, 'new', 'untracked.txt'), 'untracked work\n');
        writeFileSync(join(p, 'image.bin'), BINARY);
      });
      const plan = await agent.planCleanup(board);
      const result = await agent.executeCleanup(board, plan, { confirmedDirty: [dirty] });

      assert.equal(existsSync(dirty), false);
      const salvage = result.removed[0]?.salvage;
      assert.ok(salvage);
      assert.equal(salvage.ticketId, 'T-1');
      assert.match(salvage.reason, /on confirmation/);
      assert.deepEqual(board.listSalvages({ ticketId: 'T-1' }).map((x) => x.id), [salvage.id]);
      assert.ok(git(repo.root, 'for-each-ref', '--format=%(refname)', salvage.refPrefix).includes(`${salvage.refPrefix}/worktree`));

      const back = await restoreWorktree(board, { id: 'T-1' });
      assert.deepEqual(back.differences, []);
      assert.ok(samePath(back.path, dirty));
      assert.equal(readFileSync(join(dirty, 'README.md'), 'utf8'), '# edited\n');
      assert.equal(readFileSync(join(dirty, 'new', 'untracked.txt'), 'utf8'), 'untracked work\n');
      assert.deepEqual(readFileSync(join(dirty, 'image.bin')), BINARY);
      assert.ok(board.getSalvage(salvage.id)?.restoredAt !== undefined, 'the salvage says it was restored, and stays');
      assert.match(git(repo.root, 'worktree', 'list', '--porcelain'), /locked restored from salvage/, 'a finished ticket\'s worktree comes back locked');
    });

    void it('re-checks at execution time: a worktree that became dirty after the plan is not removed without confirmation', async () => {
      const clean = await finished('Was clean', merge);
      const plan = await agent.planCleanup(board);
      writeFileSync(join(clean, 'late.txt'), 'written after the plan');
      const result = await agent.executeCleanup(board, plan);
      assert.ok(existsSync(join(clean, 'late.txt')));
      assert.equal(result.removed.length, 0);
    });

    void it('does not remove a worktree with checked-out submodules, whose repositories live in its admin folder', async () => {
      const dirty = await finished('Submodule only', (p) => {
        const sub = join(repo.parent, 'sub');
        mkdirSync(sub);
        git(sub, 'init', '-q', '-b', 'main');
        git(sub, 'commit', '-q', '--allow-empty', '-m', 'sub');
        git(p, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendored');
        git(p, 'commit', '-q', '-m', 'add submodule');
        git(repo.root, 'merge', '-q', '--no-edit', git(p, 'rev-parse', 'HEAD'));
        git(join(p, 'vendored'), 'commit', '-q', '--allow-empty', '-m', 'moved on');
      });
      const plan = await agent.planCleanup(board);
      assert.equal(plan.items.find((i) => samePath(i.path, dirty))?.keptBecause, 'submodules');
      const result = await agent.executeCleanup(board, plan, { confirmedDirty: true });
      assert.ok(existsSync(join(dirty, 'vendored', '.git')));
      assert.equal(result.removed.length, 0);
      await agent.runCycle(ctx());
      assert.ok(existsSync(dirty), 'the agent keeps it too');
      assert.equal(entryFor(dirty)?.keptBecause, 'submodules');
      assert.deepEqual(board.listSalvages(), [], 'nothing half-saved is left behind');
      assert.equal(existsSync(join(tb.dir, 'salvage')), false);
    });
  });

  void describe('ensureTicketWorktree', () => {
    void it('creates and records the worktree, then reuses it', async () => {
      const t = await ticketIn('Start me', 'READY');
      const first = await ensureTicketWorktree(board, port, t, fx.settings);
      assert.deepEqual(worktreeOf(t.id), first);
      assert.ok(existsSync(first.path));
      const again = await ensureTicketWorktree(board, port, board.getTicket(t.id)!, fx.settings);
      assert.deepEqual(again, first);
    });

    void it('uses the configured location, prefix and base', async () => {
      git(repo.root, 'branch', 'develop');
      fx.settings = { ...fx.settings, location: join(repo.parent, 'wt'), branchPrefix: 'agents/', baseBranch: 'develop' };
      const t = await ticketIn('Configured', 'READY');
      const wt = await ensureTicketWorktree(board, port, t, fx.settings);
      assert.ok(samePath(wt.path, join(repo.parent, 'wt', `${t.id}-configured`)));
      assert.equal(wt.branch, `agents/${t.id}-configured`);
      assert.equal(wt.base, 'develop');
    });

    void it('two starts racing end with one worktree', async () => {
      const t = await ticketIn('Race', 'READY');
      const [a, b] = await Promise.all([ensureTicketWorktree(board, port, t, fx.settings), ensureTicketWorktree(board, port, t, fx.settings)]);
      assert.deepEqual(a, b);
      assert.equal((await port.listWorktrees(repo.root)).length, 2);
    });
  });
});
