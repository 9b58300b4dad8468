/**
 * The Security scan's listing of a worktree's change: the same files, kinds and renames as
 * `GitPort.changedFiles` (simpleGitPort.ts), and whether any of it is not committed, from fewer git
 * processes. `changedFiles` runs a merge-base and five listings for every call; this runs one
 * `rev-parse` (HEAD and base), one `status` and the committed `diff` (commit to commit, which reads
 * no file), with the merge-base remembered per (HEAD, base head). Only when `status` names a tracked
 * file staged or modified does the net diff against the working tree run as well: otherwise the
 * working tree is HEAD and the committed diff is the net one. A diff against the working tree reads
 * every file git cannot trust by its stat (all of them right after a commit of files written in the
 * same second), so the clean case spares that second read of the whole change. A scan cycle lists
 * every ticket's change, so the processes it spares add up.
 *
 * Whether the change is dirty is the answer `changedFiles`' layers give (some listed file changed
 * outside commits): a listed file that `status` names was staged or modified; with nothing tracked
 * in `status`, the net diff and the committed diff are one diff; only when `status` names tracked
 * files that the net diff does not, the committed diff tells.
 */
import type { ChangeKind, GitCallOptions } from './port';
import { parseNameStatus, type NameStatusEntry } from './porcelain';
import { gitOutput } from './gitOutput';
import { PLAIN_DIFF, SimpleGitPort } from './simpleGitPort';

export interface ListedChange {
  /** Worktree-relative, forward slashes. */
  path: string;
  /** The net change against the merge-base with the base branch. */
  kind: ChangeKind;
  /** For a rename or copy: where it came from. */
  oldPath?: string | undefined;
}

export interface ChangeListing {
  /** Sorted by path, as `changedFiles` returns them. */
  files: ListedChange[];
  /** Some listed file changed outside the branch's commits (staged, modified, untracked). */
  dirty: boolean;
}

/** Merge-bases remembered; past this the memory starts over. */
const MERGE_BASES_MAX = 1_000;

/** Tracked paths `git status --porcelain=v2 -z` names as staged or modified, and untracked ones. */
export interface StatusPaths {
  tracked: Set<string>;
  untracked: string[];
}

/**
 * `git status --porcelain=v2 -z`: `1 XY sub mH mI mW hH hI path`, `2 XY sub mH mI mW hH hI score
 * path\0origPath`, `u XY sub m1 m2 m3 mW h1 h2 h3 path`, `? path`; headers (`#`) and ignored
 * files (`!`) are not changes.
 */
export function parseStatusV2(output: string): StatusPaths {
  const out: StatusPaths = { tracked: new Set(), untracked: [] };
  const fields = output.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? '';
    const type = entry[0];
    if (type === '?') out.untracked.push(entry.slice(2));
    else if (type === '1') out.tracked.add(afterSpaces(entry, 8));
    else if (type === 'u') out.tracked.add(afterSpaces(entry, 10));
    else if (type === '2') {
      out.tracked.add(afterSpaces(entry, 9));
      // The rename's source path follows in its own field.
      i++;
    }
  }
  return out;
}

/** The text after the `n`th space: a path may hold spaces itself. */
function afterSpaces(entry: string, n: number): string {
  let at = -1;
  for (let k = 0; k < n; k++) {
    at = entry.indexOf(' ', at + 1);
    if (at < 0) return '';
  }
  return entry.slice(at + 1);
}

export class ScanChangeLister {
  /** `${path}\0${head}\0${baseHead}` -> merge-base (undefined: no common history). */
  private readonly mergeBases = new Map<string, string | undefined>();

  async listChange(path: string, base: string, opts: GitCallOptions = {}): Promise<ChangeListing> {
    const { signal } = opts;
    // The status does not depend on the merge-base: it runs while HEAD and base are resolved.
    const pending = text(path, ['--no-optional-locks', 'status', '--porcelain=v2', '-z', '--untracked-files=all', '--find-renames'], signal).then(parseStatusV2);
    pending.catch(() => undefined);
    const heads = await this.heads(path, base, signal);
    // Unborn HEAD or a base that does not resolve: the full listing says what is wrong, as before.
    if (!heads) return fromChangedFiles(await new SimpleGitPort().changedFiles(path, base, { signal }));
    const since = (await this.mergeBase(path, heads, signal)) ?? base;
    const diff = (to: string[]): Promise<NameStatusEntry[]> =>
      text(path, ['diff', ...PLAIN_DIFF, '--name-status', '-z', '--find-renames', since, ...to, '--'], signal).then(parseNameStatus);
    const [status, committed] = await Promise.all([pending, diff(['HEAD'])]);
    // With no tracked file staged or modified, the working tree is HEAD: the net diff is the committed one.
    const net = status.tracked.size === 0 ? committed : await diff([]);
    const byPath = new Map<string, ListedChange>();
    for (const e of net) byPath.set(e.path, listed(e));
    for (const p of status.untracked) byPath.set(p, { path: p, kind: 'untracked' });
    const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let dirty = status.untracked.length > 0 || net.some((e) => status.tracked.has(e.path));
    if (!dirty && status.tracked.size > 0) {
      // Staged or modified files the net diff does not list: a listed file is dirty only if its commits do not account for it.
      const inCommits = new Set(committed.map((e) => e.path));
      dirty = net.some((e) => !inCommits.has(e.path));
    }
    return { files, dirty };
  }

  /** HEAD and base as commits, from one process; undefined when either does not resolve. */
  private async heads(path: string, base: string, signal: AbortSignal | undefined): Promise<{ head: string; base: string } | undefined> {
    if (base.length === 0 || base.startsWith('-') || /[\0\n\r]/.test(base)) return undefined;
    const out = await text(path, ['rev-parse', 'HEAD^{commit}', `${base}^{commit}`, '--'], signal).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      return undefined;
    });
    const shas = out?.split('\n').filter((line) => /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(line)) ?? [];
    if (shas.length !== 2 || !shas[0] || !shas[1]) return undefined;
    return { head: shas[0], base: shas[1] };
  }

  private async mergeBase(path: string, heads: { head: string; base: string }, signal: AbortSignal | undefined): Promise<string | undefined> {
    const key = `${path}\0${heads.head}\0${heads.base}`;
    if (this.mergeBases.has(key)) return this.mergeBases.get(key);
    const found = await new SimpleGitPort().mergeBase(path, heads.head, heads.base, { signal });
    if (this.mergeBases.size >= MERGE_BASES_MAX) this.mergeBases.clear();
    this.mergeBases.set(key, found);
    return found;
  }
}

/**
 * A read-only git command's output as text. Run directly rather than through simple-git, which
 * waits 50 ms more after any command that printed nothing: a clean `status` or an empty `diff`,
 * the usual answers of a cycle in which nothing changed.
 */
async function text(path: string, args: string[], signal: AbortSignal | undefined): Promise<string> {
  return (await gitOutput(path, args, { signal })).stdout.toString('utf8');
}

/** The same answer from `changedFiles`' layered listing. */
export function fromChangedFiles(changed: readonly { path: string; kind: ChangeKind; oldPath?: string | undefined; sources: readonly string[] }[]): ChangeListing {
  return {
    files: changed.map(listed),
    dirty: changed.some((f) => f.sources.some((s) => s !== 'committed')),
  };
}

function listed(f: { path: string; kind: ChangeKind; oldPath?: string | undefined }): ListedChange {
  return f.oldPath === undefined ? { path: f.path, kind: f.kind } : { path: f.path, kind: f.kind, oldPath: f.oldPath };
}
