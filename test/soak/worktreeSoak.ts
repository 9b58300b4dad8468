/**
 * A randomized, seeded run against a real repository and board: many worktrees holding random
 * mixes of the kinds of work that used to be lost (ignored files, nested repositories, detached
 * commits, deleted branches, hidden index flags, filtered content, staged versions, stashes,
 * processes inside, folders moved by hand), with agent cycles, confirmed cleanups, restores and
 * user actions interleaved at random.
 *
 * Before every cycle and cleanup each worktree folder is snapshotted (every file, ignored ones
 * included, its index and HEAD). After it, every folder that went is restored from its salvage
 * into a scratch place and compared file by file. Counted: bytes unrecoverable (target 0), bytes
 * left out by name (regenerable folders, the size cap), and any change to a folder that stayed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { restoreWorktree } from '../../src/agents/worktreeSalvages';
import { errorMessage } from '../../src/domain/errors';
import { formatBytes, type Salvage } from '../../src/domain/salvage';
import { samePath } from '../../src/git/paths';
import { snapshotFolder, type Snapshot } from '../../src/git/salvage/folderSnapshot';
import { restoreFromSalvage } from '../../src/git/salvage/restore';
import { readManifest } from '../../src/git/salvage/salvage';
import { git } from '../unit/helpers/tempRepo';
import { makeWorktreeFixture, type WorktreeFixture } from '../unit/helpers/worktreeFixture';
import { Rng } from './rng';

export interface SoakOptions {
  seed: number;
  /** Worktrees started over the run. */
  worktrees: number;
  /** Random operations after the initial population. */
  operations: number;
  /** Stop starting operations after this long (the final cleanup and cycle still run). */
  maxMinutes?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  seed: number;
  worktrees: number;
  operations: number;
  cycles: number;
  cleanups: number;
  removed: number;
  removedByAgent: number;
  restoredByUser: number;
  /** Bytes of work in removed worktrees that no salvage gave back. The target is 0. */
  bytesUnrecoverable: number;
  /** Bytes deliberately left out and named in the removal report (regenerable folders, size cap). */
  bytesLeftOutNamed: number;
  /** Bytes checked back byte for byte from salvages. */
  bytesVerified: number;
  /** Index or HEAD of a removed worktree that did not come back as it was. */
  gitStateMismatches: number;
  /** Folders the run did not remove that changed under an agent operation. */
  foldersChanged: number;
  restoreDifferences: number;
  problems: string[];
  elapsedMs: number;
}

interface Tracked {
  id: string;
  path: string;
  branch: string;
}

interface Before {
  files: Snapshot;
  index: string;
  head: string;
}

const KINDS = [
  'untracked', 'modified', 'staged', 'ignored', 'build', 'regenerable', 'nestedIgnored', 'nestedUntracked', 'detached', 'merged',
  'unmerged', 'skip', 'assume', 'filtered', 'stash', 'branchDeleted', 'emptyDir', 'symlink', 'exec', 'big',
] as const;
type Kind = (typeof KINDS)[number];

export async function runWorktreeSoak(opts: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  const random = (): number => rng.next();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const log = opts.log ?? (() => undefined);
  const result: SoakResult = {
    seed: opts.seed, worktrees: 0, operations: 0, cycles: 0, cleanups: 0, removed: 0, removedByAgent: 0, restoredByUser: 0,
    bytesUnrecoverable: 0, bytesLeftOutNamed: 0, bytesVerified: 0, gitStateMismatches: 0, foldersChanged: 0, restoreDifferences: 0, problems: [], elapsedMs: 0,
  };
  const fx: WorktreeFixture = await makeWorktreeFixture({ project: true });
  const far = mkdtempSync(join(tmpdir(), 'af-soak-far-'));
  const scratch = mkdtempSync(join(tmpdir(), 'af-soak-scratch-'));
  const sleepers: { child: ChildProcess; until: number }[] = [];
  const problem = (text: string): void => {
    result.problems.push(text);
    log(`PROBLEM ${text}`);
  };
  try {
    fx.settings.maxCreationsPerCycle = 1000;
    fx.settings.maxLive = 100_000;
    fx.settings.salvageIgnoredMaxMB = 0.25;
    const tickets: Tracked[] = [];

    const start = async (): Promise<void> => {
      const t = await fx.startedIn(`Soak ${tickets.length}`, 'IN_DEV');
      const tracked = { id: t.id, path: t.worktree.path, branch: t.worktree.branch };
      tickets.push(tracked);
      result.worktrees++;
      // Some work is finished cleanly (the automatic path's case); the rest is a random mix.
      const kinds: Kind[] = random() < 0.3 ? ['merged', ...(random() < 0.5 ? (['regenerable'] as const) : [])] : Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(KINDS));
      for (const kind of kinds) addWork(tracked, kind);
    };

    const addWork = (t: Tracked, kind: Kind): void => {
      const p = currentPath(t);
      if (!p || !existsSync(join(p, '.git'))) return;
      const tag = `${t.id}-${Math.floor(random() * 1e9)}`;
      const w = (rel: string, content: string | Buffer): void => {
        mkdirSync(dirname(join(p, rel)), { recursive: true });
        writeFileSync(join(p, rel), content);
      };
      try {
        switch (kind) {
          case 'untracked': w(`notes/${tag}.bin`, bytes(1 + Math.floor(random() * 4096))); break;
          case 'modified': w('README.md', `edited ${tag}\n`); break;
          case 'staged':
            w(`staged-${t.id}.txt`, `staged ${tag}\n`);
            git(p, 'add', `staged-${t.id}.txt`);
            w(`staged-${t.id}.txt`, `working ${tag}\n`);
            break;
          case 'ignored': w('.env', `KEY=${tag}\n`); break;
          case 'build': w(`build/${tag}.js`, bytes(256)); break;
          case 'regenerable': w(`node_modules/${tag}/index.js`, bytes(512)); break;
          case 'nestedIgnored':
          case 'nestedUntracked': {
            const dir = join(p, kind === 'nestedIgnored' ? 'vendor-cache' : 'experiments', tag);
            mkdirSync(dir, { recursive: true });
            git(dir, 'init', '-q', '-b', 'main');
            writeFileSync(join(dir, 'f.txt'), `${tag}\n`);
            git(dir, 'add', '-A');
            git(dir, 'commit', '-q', '-m', tag);
            break;
          }
          case 'detached':
            git(p, 'checkout', '-q', '--detach');
            fx.commitIn(p, `detached-${tag}.txt`, `${tag}\n`);
            break;
          case 'merged':
          case 'unmerged':
            fx.commitIn(p, `${t.id}/${tag}.txt`, `${tag}\n`);
            if (kind === 'merged') {
              const rev = git(p, 'rev-parse', 'HEAD');
              try {
                git(fx.repo.root, 'merge', '-q', '--no-edit', rev);
              } catch {
                git(fx.repo.root, 'merge', '--abort');
              }
            }
            break;
          case 'skip':
            git(p, 'update-index', '--skip-worktree', 'README.md');
            w('README.md', `skip ${tag}\n`);
            break;
          case 'assume':
            git(p, 'update-index', '--assume-unchanged', 'secret.txt');
            w('secret.txt', `token=${tag}\n`);
            break;
          case 'filtered': w('secret.txt', `token=${'x'.repeat(8)}\n`); break;
          case 'stash':
            w(`stashed-${tag}.txt`, `${tag}\n`);
            git(p, 'add', `stashed-${tag}.txt`);
            git(p, 'stash', 'push', '-q', '-m', tag, '--', `stashed-${tag}.txt`);
            break;
          case 'branchDeleted':
            if (git(p, 'symbolic-ref', '-q', 'HEAD') !== '') git(fx.repo.root, 'update-ref', '-d', git(p, 'symbolic-ref', '-q', 'HEAD'));
            break;
          case 'emptyDir': mkdirSync(join(p, `empty-${tag}`), { recursive: true }); break;
          case 'symlink': symlinkSync(`target-${tag}`, join(p, `link-${tag}`)); break;
          case 'exec':
            w(`run-${tag}.sh`, '#!/bin/sh\n');
            chmodSync(join(p, `run-${tag}.sh`), 0o755);
            break;
          case 'big': w(`build/big-${tag}.bin`, bytes(200_000)); break;
        }
      } catch (err) {
        // Some mixes are impossible (a stash with nothing to stash after a deleted branch): skipped.
        log(`skipped ${kind} in ${t.id}: ${errorMessage(err).split('\n')[0] ?? ''}`);
      }
    };

    const currentPath = (t: Tracked): string | undefined => fx.board.getTicket(t.id)?.worktree?.path ?? t.path;

    /** Every registered worktree folder that is there, snapshotted. */
    const snapshotAll = async (): Promise<Map<string, Before>> => {
      const out = new Map<string, Before>();
      for (const e of await fx.port.listWorktrees(fx.repo.root)) {
        if (e.main || e.prunable || !existsSync(e.path)) continue;
        try {
          out.set(e.path, {
            files: await snapshotFolder(e.path, (rel) => (rel === '.git' ? 'skip' : 'include')),
            index: `${git(e.path, 'ls-files', '--stage')}\n${git(e.path, 'ls-files', '-v')}`,
            head: headOf(e.path),
          });
        } catch (err) {
          problem(`cannot snapshot ${e.path}: ${errorMessage(err)}`);
        }
      }
      return out;
    };

    /** After an operation: every folder that went must come back from a salvage, exactly. */
    const account = async (before: Map<string, Before>, known: Set<string>): Promise<void> => {
      const fresh = fx.board.listSalvages().filter((s) => !known.has(s.id));
      for (const s of fresh) known.add(s.id);
      for (const [path, was] of before) {
        if (existsSync(path)) {
          const now = await snapshotFolder(path, (rel) => (rel === '.git' ? 'skip' : 'include'));
          const changed = diffBytes(was.files, now);
          if (changed.files > 0) {
            result.foldersChanged++;
            problem(`${path} changed under an agent operation: ${changed.names.join(', ')}`);
          }
          continue;
        }
        result.removed++;
        const salvage = fresh.find((s) => samePath(s.worktreePath, path) && !s.summary.folderGone);
        if (!salvage) {
          const lost = [...was.files.values()].reduce((n, f) => n + f.size, 0);
          result.bytesUnrecoverable += lost;
          problem(`${path} went without a salvage: ${lost} bytes`);
          continue;
        }
        await compareWithSalvage(salvage, was);
      }
    };

    const compareWithSalvage = async (salvage: Salvage, was: Before): Promise<void> => {
      const target = join(scratch, salvage.id);
      try {
        const manifest = await readManifest(salvage.archiveDir);
        const restored = await restoreFromSalvage({ repo: fx.repo.root, manifest, archiveDir: salvage.archiveDir, target });
        const leftOut = (rel: string): boolean => manifest.leftOut.some((l) => rel === l.path || rel.startsWith(`${l.path}/`)) && !manifest.archived.some((a) => rel === a.path || rel.startsWith(`${a.path}/`));
        const kept = new Map([...was.files].filter(([rel]) => !leftOut(rel)));
        for (const [rel, f] of was.files) if (leftOut(rel)) result.bytesLeftOutNamed += f.size;
        const got = await snapshotFolder(target, (rel) => (rel === '.git' ? 'skip' : 'include'));
        const lost = diffBytes(kept, got);
        result.bytesUnrecoverable += lost.bytes;
        result.bytesVerified += [...kept.values()].reduce((n, f) => n + f.size, 0) - lost.bytes;
        if (lost.files > 0) problem(`salvage ${salvage.id} of ${salvage.worktreePath} is missing ${lost.bytes} bytes: ${lost.names.join(', ')}`);
        if (restored.differences.length > 0) problem(`restoring ${salvage.id} reported differences: ${restored.differences.join('; ')}`);
        const index = `${git(target, 'ls-files', '--stage')}\n${git(target, 'ls-files', '-v')}`;
        const head = headOf(target);
        if (index !== was.index || head !== was.head) {
          result.gitStateMismatches++;
          problem(`salvage ${salvage.id}: ${index !== was.index ? 'index' : 'HEAD'} did not come back as it was`);
        }
      } catch (err) {
        result.bytesUnrecoverable += [...was.files.values()].reduce((n, f) => n + f.size, 0);
        problem(`cannot restore ${salvage.id}: ${errorMessage(err)}`);
      } finally {
        try {
          git(fx.repo.root, 'worktree', 'remove', '--force', target);
        } catch {
          rmSync(target, { recursive: true, force: true });
        }
        git(fx.repo.root, 'worktree', 'prune');
      }
    };

    const known = new Set<string>();
    /**
     * Finishes a ticket as people and agents do, through the Security gate: a ticket whose change
     * cannot be scanned (its worktree deleted, its branch gone) stays where it is, as in the product.
     */
    const finish = async (id: string): Promise<void> => {
      try {
        await fx.moveTo(id, 'DONE');
      } catch (err) {
        if (!(err instanceof Error && err.name === 'IllegalTransitionError' && /could not be scanned|cannot scan/.test(err.message))) throw err;
      }
    };
    const agentOp = async (what: 'cycle' | 'cleanup'): Promise<void> => {
      const before = await snapshotAll();
      const salvagesBefore = fx.board.listSalvages().length;
      if (what === 'cycle') {
        result.cycles++;
        fx.tb.clock.advance(2 * 3_600_000);
        await fx.agent.runCycle(fx.ctx());
        result.removedByAgent += fx.agent.lastReport?.entries.filter((e) => e.action === 'removed').length ?? 0;
      } else {
        result.cleanups++;
        const plan = await fx.agent.planCleanup(fx.board);
        const confirmed = plan.items.filter((i) => i.decision === 'confirm' && random() < 0.8).map((i) => i.path);
        const removable = plan.items.filter((i) => i.decision !== 'confirm' || confirmed.some((c) => samePath(c, i.path)));
        await fx.agent.executeCleanup(fx.board, { ...plan, items: removable }, { confirmedDirty: confirmed });
      }
      log(`${what}: ${before.size} worktrees, ${fx.board.listSalvages().length - salvagesBefore} new salvages`);
      await account(before, known);
    };

    for (let i = 0; i < Math.min(opts.worktrees, 30, Math.max(4, Math.ceil(opts.worktrees * 0.6))); i++) await start();
    const stopAt = started + (opts.maxMinutes ?? Infinity) * 60_000;
    for (let op = 0; op < opts.operations && Date.now() < stopAt; op++) {
      result.operations++;
      for (const s of sleepers.filter((x) => x.until <= op)) s.child.kill('SIGKILL');
      const roll = random();
      const live = tickets.filter((t) => existsSync(currentPath(t) ?? ''));
      const active = live.filter((t) => fx.board.getTicket(t.id)?.status === 'IN_DEV');
      try {
        // Tickets start and finish at about the same pace, so a few hundred worktrees pass through
        // while a few dozen are live at any time.
        if (roll < 0.15) await agentOp('cycle');
        else if (roll < 0.25) await agentOp('cleanup');
        else if (roll < 0.45 && active.length > 0) {
          for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
            const open = tickets.filter((t) => fx.board.getTicket(t.id)?.status === 'IN_DEV');
            if (open.length > 0) await finish(pick(open).id);
          }
        } else if (roll < 0.57 && live.length > 0) addWork(pick(live), pick(KINDS));
        else if (roll < 0.73 && result.worktrees < opts.worktrees) {
          for (let n = 1 + Math.floor(random() * 6); n > 0 && result.worktrees < opts.worktrees; n--) await start();
        } else if (roll < 0.76 && active.length > 0) {
          const t = pick(active);
          const to = random() < 0.5 ? join(fx.location(), `moved-${t.id}`) : join(far, `moved-${t.id}`);
          if (!existsSync(to)) renameSync(currentPath(t)!, to);
        } else if (roll < 0.8 && live.length > 0) {
          const t = pick(live);
          const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: currentPath(t), stdio: 'ignore' });
          sleepers.push({ child, until: op + 1 + Math.floor(random() * 6) });
        } else if (roll < 0.88) {
          const restorable = fx.board.listSalvages().filter((s) => !s.summary.folderGone && !s.restoredAt && !existsSync(s.worktreePath));
          if (restorable.length > 0) {
            const s = pick(restorable);
            const r = await restoreWorktree(fx.board, { id: s.id });
            result.restoredByUser++;
            if (r.differences.length > 0) {
              result.restoreDifferences++;
              problem(`Restore Worktree of ${s.id}: ${r.differences.join('; ')}`);
            }
            // Most users unlock a restored worktree once they have what they needed from it.
            const locked = !s.ticketId || fx.board.getTicket(s.ticketId)?.status === 'DONE';
            if (locked && random() < 0.7) git(fx.repo.root, 'worktree', 'unlock', r.path);
          }
        } else {
          await agentOp('cycle');
        }
      } catch (err) {
        problem(`operation ${op} failed: ${errorMessage(err)}`);
      }
    }
    for (const s of sleepers) s.child.kill('SIGKILL');
    await fx.moveTo(tickets[0].id, 'DONE').catch(() => undefined);
    for (const t of tickets) if (fx.board.getTicket(t.id)?.status === 'IN_DEV') await finish(t.id);
    await new Promise((r) => setTimeout(r, 200));
    await agentOp('cleanup');
    await agentOp('cycle');
  } finally {
    for (const s of sleepers) s.child.kill('SIGKILL');
    await fx.dispose();
    rmSync(far, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  result.elapsedMs = Date.now() - started;
  return result;
}

/** `refs/heads/x <sha>`, `detached <sha>`, `refs/heads/x unborn`. */
function headOf(path: string): string {
  const attempt = (...args: string[]): string | undefined => {
    try {
      return git(path, ...args) || undefined;
    } catch {
      return undefined;
    }
  };
  return `${attempt('symbolic-ref', '-q', 'HEAD') ?? 'detached'} ${attempt('rev-parse', '-q', '--verify', 'HEAD^{commit}') ?? 'unborn'}`;
}

/** What of `want` is missing or different in `got`. */
function diffBytes(want: Snapshot, got: Snapshot): { files: number; bytes: number; names: string[] } {
  let files = 0;
  let total = 0;
  const names: string[] = [];
  for (const [rel, f] of want) {
    const g = got.get(rel);
    if (g && g.kind === f.kind && g.digest === f.digest && g.size === f.size && g.exec === f.exec) continue;
    files++;
    total += f.size;
    if (names.length < 5) names.push(rel);
  }
  return { files, bytes: total, names };
}

export function describeSoak(r: SoakResult): string {
  const mb = formatBytes;
  return (
    `seed ${r.seed}: ${r.worktrees} worktrees, ${r.operations} random operations (${r.cycles} agent cycles, ${r.cleanups} confirmed cleanups), ` +
    `${r.removed} removed (${r.removedByAgent} by the agent on its own), ${r.restoredByUser} restored; ` +
    `${mb(r.bytesVerified)} checked back byte for byte, ${mb(r.bytesLeftOutNamed)} left out by name (regenerable, size cap); ` +
    `bytes unrecoverable: ${r.bytesUnrecoverable}; git state mismatches: ${r.gitStateMismatches}; folders changed: ${r.foldersChanged}; ` +
    `in ${(r.elapsedMs / 1000).toFixed(0)} s`
  );
}
