/**
 * A salvage: everything of a worktree that is not already reachable from a ref, saved before the
 * worktree is removed, in git's own terms where git has them (as `git stash` does):
 *
 * - `refs/agent-factory/salvage/<owner>/<id>/head`: the commit HEAD was on (detached or not);
 * - `.../index`: a commit of the index (stage 0), child of HEAD;
 * - `.../keep`: commits and trees only the admin folder still names (reflog, ORIG_HEAD, per-worktree
 *   refs, a rebase in progress) and the conflict stages of unmerged paths;
 * - `.../worktree`: a commit of every tracked and untracked file as its bytes on disk (no clean
 *   filter, no end-of-line conversion), children of HEAD, the index and keep;
 * - `ignored.tar.gz`: ignored files and folders, nested repositories whole, empty folders, up to
 *   a size cap (regenerable folders and what is over the cap are named, not saved);
 * - `admin.tar.gz`: the admin folder itself (raw index, reflog, HEAD, rebase state);
 * - `manifest.json`: what was saved and what was left out.
 *
 * `verifySalvage` checks a salvage out afresh and compares it with a folder file by file.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError, errorMessage } from '../../domain/errors';
import { writeDurably } from '../../store/files';
import { gitWithInput } from '../gitStream';
import { parseNulList } from '../porcelain';
import { runGit, tryGit } from '../runGit';
import { objectsNamedIn } from './adminFolder';
import { extractArchive, writeArchive } from './archive';
import { compareSnapshots, snapshotFolder, type Ruling } from './folderSnapshot';
import { takeInventory, type UnitKind, type WorktreeInventory } from './inventory';
import { checkoutTreeRaw } from './treeCheckout';

export const SALVAGE_REF_ROOT = 'refs/agent-factory/salvage';
export const MANIFEST_FILE = 'manifest.json';
const IGNORED_ARCHIVE = 'ignored.tar.gz';
const ADMIN_ARCHIVE = 'admin.tar.gz';
/** Salvage commits are ours, not the user's: a fixed identity, never signed. */
const SALVAGE_IDENTITY = {
  GIT_AUTHOR_NAME: 'Agent Factory',
  GIT_AUTHOR_EMAIL: 'agent-factory@localhost',
  GIT_COMMITTER_NAME: 'Agent Factory',
  GIT_COMMITTER_EMAIL: 'agent-factory@localhost',
};
const PARENTS_PER_COMMIT = 200;

export type LeftOutReason = 'regenerable' | 'size cap' | 'special file';

export interface LeftOut {
  path: string;
  bytes: number;
  why: LeftOutReason;
}

export interface SalvageManifest {
  version: 1;
  id: string;
  /** The folder the worktree was in. */
  worktreePath: string;
  refPrefix: string;
  /** The commit HEAD was on; undefined when HEAD named a branch without commits. */
  head?: string | undefined;
  /** `refs/heads/<branch>` when HEAD was on a branch; undefined when detached. */
  headRef?: string | undefined;
  commits: { index: string; keep?: string | undefined; worktree?: string | undefined };
  /** Files saved in the worktree commit, and their bytes. */
  files: number;
  fileBytes: number;
  archived: { path: string; kind: UnitKind; bytes: number }[];
  archivedBytes: number;
  leftOut: LeftOut[];
  nestedRepos: string[];
  ignoredArchive?: string | undefined;
  adminArchive: string;
  /** Bytes the archives take on disk. */
  storedBytes: number;
  /** True when only the git state was saved: the folder was already gone. */
  folderGone: boolean;
}

export interface SalvageRequest {
  /** The main checkout. */
  repo: string;
  /** The worktree folder; undefined when it is gone and only its admin folder is left. */
  worktree?: string | undefined;
  adminDir: string;
  /** `sv-<hex>`: also the last part of the refs and the archive folder's name. */
  id: string;
  /** The ticket id, or `orphans`. */
  owner: string;
  /** Where the archives go (created). */
  archiveDir: string;
  regenerable: readonly string[];
  ignoredCapBytes: number;
  /** First line of the salvage commits' messages. */
  message: string;
  /** An inventory taken moments ago, to save a walk; taken afresh when absent. */
  inventory?: WorktreeInventory | undefined;
  signal?: AbortSignal | undefined;
}

export function salvageRefPrefix(owner: string, id: string): string {
  return `${SALVAGE_REF_ROOT}/${owner}/${id}`;
}

/** Creates the salvage; on any failure removes what it made and throws. */
export async function createSalvage(req: SalvageRequest): Promise<{ manifest: SalvageManifest; inventory?: WorktreeInventory | undefined }> {
  const { repo, signal } = req;
  const refPrefix = salvageRefPrefix(req.owner, req.id);
  await mkdir(req.archiveDir, { recursive: true });
  const scratch = await mkdtemp(join(req.archiveDir, '.scratch-'));
  let refsWritten = false;
  try {
    const adminEnv = { GIT_DIR: req.adminDir };
    const head = (await tryGit(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { signal, extraEnv: adminEnv }))?.trim() || undefined;
    const headRef = (await tryGit(repo, ['symbolic-ref', '--quiet', 'HEAD'], { signal, extraEnv: adminEnv }))?.trim() || undefined;

    // The index: stage 0 as a tree; conflict stages go to the keep commit.
    const staged = parseIndex(await runGit(repo, ['ls-files', '-z', '--stage'], { signal, extraEnv: adminEnv }));
    const indexTree = await treeOf(repo, staged.filter((e) => e.stage === '0'), join(scratch, 'index-tree'), signal);
    const conflicts = staged.filter((e) => e.stage !== '0').map((e) => ({ ...e, path: `${STAGE_NAMES[e.stage] ?? e.stage}/${e.path}` }));
    const indexCommit = await commitTree(repo, indexTree, head ? [head] : [], `index of ${req.message}`, signal);

    const named = await objectsNamedIn(repo, req.adminDir, signal);
    const keepEntries = named.trees.map((sha) => `040000 tree ${sha}\ttree-${sha}`);
    if (conflicts.length > 0) keepEntries.push(`040000 tree ${await treeOf(repo, conflicts, join(scratch, 'conflicts'), signal)}\tconflicts`);
    const keepCommits = named.commits.filter((c) => c !== head);
    const keep = keepEntries.length + keepCommits.length > 0 ? await keepCommit(repo, keepEntries, keepCommits, req.message, signal) : undefined;

    let inventory: WorktreeInventory | undefined;
    let worktreeCommit: string | undefined;
    const leftOut: LeftOut[] = [];
    let archived: SalvageManifest['archived'] = [];
    if (req.worktree) {
      inventory = req.inventory ?? (await takeInventory(req.worktree, req.regenerable, signal));
      if (inventory.unreadable.length > 0) {
        throw new FactoryError('git', `cannot read ${inventory.unreadable.slice(0, 3).join(', ')} in ${req.worktree}, so it cannot be saved`);
      }
      const entries = await hashFiles(req.worktree, inventory, scratch, signal);
      const tree = await treeOf(repo, entries, join(scratch, 'worktree-tree'), signal);
      worktreeCommit = await commitTree(repo, tree, [...(head ? [head] : []), indexCommit, ...(keep ? [keep] : [])], req.message, signal);
      for (const r of inventory.regenerable) leftOut.push({ path: r.rel, bytes: r.bytes, why: 'regenerable' });
      for (const s of inventory.special) leftOut.push({ path: s, bytes: 0, why: 'special file' });
      const chosen = withinCap(inventory.units, req.ignoredCapBytes);
      archived = chosen.kept.map((u) => ({ path: u.rel, kind: u.kind, bytes: u.bytes }));
      for (const u of chosen.over) leftOut.push({ path: u.rel, bytes: u.bytes, why: 'size cap' });
    }

    const refs: [string, string][] = [
      ...(head ? [[`${refPrefix}/head`, head] as [string, string]] : []),
      [`${refPrefix}/index`, indexCommit],
      ...(keep ? [[`${refPrefix}/keep`, keep] as [string, string]] : []),
      ...(worktreeCommit ? [[`${refPrefix}/worktree`, worktreeCommit] as [string, string]] : []),
    ];
    refsWritten = true;
    await gitWithInput(repo, ['update-ref', '--stdin'], `start\n${refs.map(([ref, sha]) => `create ${ref} ${sha}\n`).join('')}commit\n`, { signal });

    let ignoredArchive: string | undefined;
    if (req.worktree && archived.length > 0) {
      ignoredArchive = IGNORED_ARCHIVE;
      await writeArchive(req.worktree, archived.map((a) => a.path), join(req.archiveDir, IGNORED_ARCHIVE));
    }
    await writeArchive(req.adminDir, await readdir(req.adminDir), join(req.archiveDir, ADMIN_ARCHIVE));
    const storedBytes = (await stat(join(req.archiveDir, ADMIN_ARCHIVE))).size + (ignoredArchive ? (await stat(join(req.archiveDir, ignoredArchive))).size : 0);

    const manifest: SalvageManifest = {
      version: 1,
      id: req.id,
      worktreePath: req.worktree ?? '',
      refPrefix,
      head,
      headRef,
      commits: { index: indexCommit, keep, worktree: worktreeCommit },
      files: inventory?.files.length ?? 0,
      fileBytes: inventory?.fileBytes ?? 0,
      archived,
      archivedBytes: archived.reduce((n, a) => n + a.bytes, 0),
      leftOut,
      nestedRepos: inventory?.nestedRepos ?? [],
      ignoredArchive,
      adminArchive: ADMIN_ARCHIVE,
      storedBytes,
      folderGone: !req.worktree,
    };
    await writeDurably(join(req.archiveDir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 2)));
    return { manifest, inventory };
  } catch (err) {
    if (refsWritten) await deleteSalvageRefs(repo, refPrefix).catch(() => undefined);
    await rm(req.archiveDir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function readManifest(archiveDir: string): Promise<SalvageManifest> {
  let text: string;
  try {
    text = await readFile(join(archiveDir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    throw new FactoryError('not-found', `the salvage folder ${archiveDir} has no ${MANIFEST_FILE} (${errorMessage(err)})`);
  }
  const manifest = JSON.parse(text) as SalvageManifest;
  if (manifest.version !== 1 || typeof manifest.refPrefix !== 'string' || !manifest.refPrefix.startsWith(`${SALVAGE_REF_ROOT}/`)) {
    throw new FactoryError('invalid-input', `${join(archiveDir, MANIFEST_FILE)} is not a salvage manifest this version understands`);
  }
  return manifest;
}

/** Writes the saved files (and the archived ones) below `dest`, as bytes. */
export async function materializeSalvage(
  repo: string,
  manifest: SalvageManifest,
  archiveDir: string,
  dest: string,
  opts: { keepExisting?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  await mkdir(dest, { recursive: true });
  if (manifest.commits.worktree) await checkoutTreeRaw(repo, manifest.commits.worktree, dest, opts);
  if (manifest.ignoredArchive) await extractArchive(join(archiveDir, manifest.ignoredArchive), dest, { keepExisting: opts.keepExisting });
}

/**
 * Checks the salvage out afresh into a scratch folder and compares it with `folder`, file by file
 * (what was left out by name is left out of both). Resolves with the differences; none means the
 * salvage holds exactly what is there.
 */
export async function verifySalvage(repo: string, manifest: SalvageManifest, archiveDir: string, folder: string, signal?: AbortSignal): Promise<string[]> {
  const check = await mkdtemp(join(archiveDir, '.check-'));
  try {
    await materializeSalvage(repo, manifest, archiveDir, check, { signal });
    const rule = salvageRuling(manifest);
    const [want, got] = await Promise.all([snapshotFolder(check, rule, signal), snapshotFolder(folder, rule, signal)]);
    return compareSnapshots(want, got);
  } finally {
    await rm(check, { recursive: true, force: true });
  }
}

/** Which paths a comparison looks at: everything but the `.git` link and what was left out. */
export function salvageRuling(manifest: SalvageManifest): (rel: string) => Ruling {
  const archived = new Set(manifest.archived.map((a) => a.path));
  const leftOut = new Set(manifest.leftOut.map((l) => l.path));
  const archivedBelow = (rel: string): boolean => manifest.archived.some((a) => a.path.startsWith(`${rel}/`));
  return (rel) => {
    if (rel === '.git') return 'skip';
    let inLeftOut = false;
    let prefix = '';
    for (const part of rel.split('/')) {
      prefix = prefix ? `${prefix}/${part}` : part;
      if (archived.has(prefix)) return 'include';
      if (leftOut.has(prefix)) inLeftOut = true;
    }
    if (!inLeftOut) return 'include';
    return archivedBelow(rel) ? 'pass' : 'skip';
  };
}

export async function deleteSalvageRefs(repo: string, refPrefix: string, signal?: AbortSignal): Promise<void> {
  if (!refPrefix.startsWith(`${SALVAGE_REF_ROOT}/`)) throw new FactoryError('invalid-input', `not a salvage ref: ${refPrefix}`);
  const refs = (await runGit(repo, ['for-each-ref', '--format=%(refname)', `${refPrefix}/`], { signal })).split('\n').filter(Boolean);
  if (refs.length === 0) return;
  await gitWithInput(repo, ['update-ref', '--stdin'], `start\n${refs.map((r) => `delete ${r}\n`).join('')}commit\n`, { signal });
}

// ---------------------------------------------------------------- building blocks

const STAGE_NAMES: Record<string, string> = { '1': 'base', '2': 'ours', '3': 'theirs' };

interface IndexEntry {
  mode: string;
  sha: string;
  stage: string;
  path: string;
}

function parseIndex(out: string): IndexEntry[] {
  return parseNulList(out).map((line) => {
    const tab = line.indexOf('\t');
    const [mode = '', sha = '', stage = '0'] = line.slice(0, tab).split(' ');
    return { mode, sha, stage, path: line.slice(tab + 1) };
  });
}

/** A tree of `entries` through a private index (the worktree's own index is never touched). */
async function treeOf(repo: string, entries: readonly { mode: string; sha: string; path: string }[], indexFile: string, signal?: AbortSignal): Promise<string> {
  const extraEnv = { GIT_INDEX_FILE: indexFile };
  await runGit(repo, ['read-tree', '--empty'], { signal, extraEnv });
  if (entries.length > 0) {
    await gitWithInput(repo, ['update-index', '-z', '--index-info'], entries.map((e) => `${e.mode} ${e.sha}\t${e.path}\0`).join(''), { signal, extraEnv });
  }
  return (await runGit(repo, ['write-tree'], { signal, extraEnv })).trim();
}

async function commitTree(repo: string, tree: string, parents: readonly string[], message: string, signal?: AbortSignal): Promise<string> {
  const args = ['commit-tree', '--no-gpg-sign', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message];
  return (await runGit(repo, args, { signal, extraEnv: SALVAGE_IDENTITY })).trim();
}

/** One commit (a chain of them past 200 parents) keeping `commits` and the trees in `treeEntries` reachable. */
async function keepCommit(repo: string, treeEntries: readonly string[], commits: readonly string[], message: string, signal?: AbortSignal): Promise<string> {
  const tree = (await gitWithInput(repo, ['mktree', '-z'], treeEntries.map((e) => `${e}\0`).join(''), { signal })).trim();
  let previous: string | undefined;
  for (let i = 0; i === 0 || i < commits.length; i += PARENTS_PER_COMMIT) {
    const parents = [...(previous ? [previous] : []), ...commits.slice(i, i + PARENTS_PER_COMMIT)];
    previous = await commitTree(repo, tree, parents, `kept for ${message}`, signal);
  }
  return previous!;
}

/**
 * Hashes every saved file as its bytes on disk (`--no-filters`). Paths git cannot take one per
 * line, and symlinks (whose blob is the link's target), go through a scratch copy.
 */
async function hashFiles(worktree: string, inv: WorktreeInventory, scratch: string, signal?: AbortSignal): Promise<{ mode: string; sha: string; path: string }[]> {
  if (inv.files.length === 0) return [];
  const aliases = join(scratch, 'aliases');
  await mkdir(aliases, { recursive: true });
  const inputs: string[] = [];
  for (const [i, f] of inv.files.entries()) {
    if (f.symlink) {
      const alias = join(aliases, String(i));
      await writeFile(alias, await readlink(join(worktree, f.rel), { encoding: 'buffer' }));
      inputs.push(alias);
    } else if (/[\n\r]/.test(f.rel) || f.rel.startsWith('"')) {
      const alias = join(aliases, String(i));
      await copyFile(join(worktree, f.rel), alias);
      inputs.push(alias);
    } else {
      inputs.push(f.rel);
    }
  }
  const out = await gitWithInput(worktree, ['hash-object', '-w', '--no-filters', '--stdin-paths'], `${inputs.join('\n')}\n`, { signal });
  const shas = out.split('\n').filter(Boolean);
  if (shas.length !== inv.files.length) throw new FactoryError('git', `git hash-object saved ${shas.length} of ${inv.files.length} files of ${worktree}`);
  return inv.files.map((f, i) => ({ mode: f.symlink ? '120000' : f.exec ? '100755' : '100644', sha: shas[i], path: f.rel }));
}

/** The smallest units first, as many as fit in the cap; empty folders always fit. */
function withinCap<T extends { rel: string; bytes: number }>(units: readonly T[], capBytes: number): { kept: T[]; over: T[] } {
  const sorted = [...units].sort((a, b) => a.bytes - b.bytes || (a.rel < b.rel ? -1 : 1));
  const kept: T[] = [];
  const over: T[] = [];
  let total = 0;
  for (const u of sorted) {
    if (total + u.bytes <= capBytes) {
      kept.push(u);
      total += u.bytes;
    } else {
      over.push(u);
    }
  }
  return { kept, over };
}
