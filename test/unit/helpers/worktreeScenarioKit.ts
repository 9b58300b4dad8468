/**
 * What the worktree scenario tests share: a fresh repository and board per test (a real git
 * repository with ignored folders and a clean filter), a finished ticket with work of one kind, and
 * the comparisons of every file, ref, stash and reflog before and after.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import { restoreWorktree } from '../../../src/agents/worktreeSalvages';
import type { Salvage } from '../../../src/domain/salvage';
import type { KeptBecause } from '../../../src/git/cleanupPolicy';
import { samePath } from '../../../src/git/paths';
import { repoState, type RepoState } from './repoState';
import { git } from './tempRepo';
import { makeWorktreeFixture, type WorktreeFixture } from './worktreeFixture';

export interface Finished {
  id: string;
  path: string;
  branch: string;
}

/** Files a salvage leaves out on purpose (regenerable folders), compared on neither side. */
export type LeftOut = (rel: string) => boolean;

/** Registers the per-test fixture in the calling suite and returns the helpers bound to it. */
export function scenarioKit() {
  let fx!: WorktreeFixture;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    fx = await makeWorktreeFixture({ project: true });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await fx.dispose();
  });

  const write = (dir: string, rel: string, content: string | Buffer): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  };

  const nestedRepo = (dir: string): void => {
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'lib.txt'), 'vendored with local fixes\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'nested work');
    writeFileSync(join(dir, 'uncommitted.txt'), 'not even committed in the nested repository\n');
  };

  /** A DONE ticket whose worktree `prepare` filled in; its branch is merged into main first unless `unmerged`. */
  const finished = async (
    title: string,
    prepare: (path: string, branch: string) => void,
    opts: { unmerged?: boolean; afterDone?: (path: string, branch: string) => void } = {},
  ): Promise<Finished> => {
    const t = await fx.startedIn(title, 'IN_DEV');
    fx.commitIn(t.worktree.path, `${t.id}.txt`, `committed work of ${t.id}\n`);
    if (!opts.unmerged) git(fx.repo.root, 'merge', '-q', '--no-edit', t.worktree.branch);
    prepare(t.worktree.path, t.worktree.branch);
    await fx.moveTo(t.id, 'DONE');
    // What happens to a worktree after its ticket is DONE (the Security gate scanned it on the way).
    opts.afterDone?.(t.worktree.path, t.worktree.branch);
    return { id: t.id, path: t.worktree.path, branch: t.worktree.branch };
  };

  const assertSame = (after: RepoState, before: RepoState, leftOut: LeftOut = () => false): void => {
    const files = (s: RepoState) => new Map([...s.files].filter(([rel]) => !leftOut(rel)));
    assert.deepEqual(files(after), files(before), 'every file, ignored ones included, has the same bytes');
    assert.deepEqual(after.refs, before.refs, 'every ref');
    assert.deepEqual(after.stash, before.stash, 'the stash list');
    assert.deepEqual(after.reflogs, before.reflogs, "the repository's reflogs");
    assert.equal(after.headLog, before.headLog, "the worktree's own HEAD reflog");
    assert.equal(after.head, before.head, 'HEAD');
    assert.equal(after.index, before.index, 'the index, with its flags');
  };

  /** One cycle: the worktree must be kept, for `keptBecause`, and not a byte of it changed. */
  const keptByCycle = async (w: Finished, keptBecause: KeptBecause): Promise<RepoState> => {
    const before = await repoState(fx.repo.root, w.path);
    await fx.agent.runCycle(fx.ctx());
    const entry = fx.entryFor(w.path);
    assert.equal(entry?.action, 'kept', entry?.note);
    assert.equal(entry?.keptBecause, keptBecause, entry?.note);
    assertSame(await repoState(fx.repo.root, w.path), before);
    assert.deepEqual(fx.board.listSalvages(), [], 'a kept worktree leaves no salvage behind');
    return before;
  };

  /** The confirmed path: salvaged, removed; then restored exactly as `before`. */
  const confirmedThenRestored = async (w: Finished, before: RepoState, leftOut?: LeftOut): Promise<{ salvage: Salvage; report: string }> => {
    const plan = await fx.agent.planCleanup(fx.board);
    const result = await fx.agent.executeCleanup(fx.board, plan, { confirmedDirty: [w.path] });
    const removed = result.removed.find((r) => samePath(r.path, w.path));
    assert.ok(removed, JSON.stringify(result.skipped));
    assert.equal(existsSync(w.path), false);
    assert.equal((await fx.port.listWorktrees(fx.repo.root)).some((e) => samePath(e.path, w.path)), false, 'registration and folder went together');
    const restored = await restoreWorktree(fx.board, { id: removed.salvage.id });
    assert.deepEqual(restored.differences, []);
    assert.ok(samePath(restored.path, w.path));
    assertSame(await repoState(fx.repo.root, w.path), before, leftOut);
    return removed;
  };

  return {
    /** This test's fixture (a new one for every test). */
    get fx(): WorktreeFixture {
      return fx;
    },
    children,
    write,
    nestedRepo,
    finished,
    assertSame,
    keptByCycle,
    confirmedThenRestored,
  };
}
