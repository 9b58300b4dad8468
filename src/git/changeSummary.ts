/**
 * What a ticket changes, as a reviewer sees it: every file its branch and its worktree (committed,
 * staged, modified, untracked) change against the merge-base with the base branch, with lines
 * added and deleted. Review Changes, the ticket document, the Tickets view and the conflict radar
 * all read this one summary.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../domain/errors';
import { looksBinary } from '../scan/common/binary';
import type { ChangeKind } from './port';
import { parseNameStatus, parseNulList } from './porcelain';
import { runGit, tryGit } from './runGit';

/** Diff options that make the output independent of the user's diff configuration. */
const PLAIN_DIFF = ['--no-ext-diff', '--no-textconv', '--no-color', '--no-relative'];
/** An untracked file larger than this is counted as binary rather than read. */
const UNTRACKED_READ_MAX = 4 * 1024 * 1024;

export interface FileChange {
  /** Worktree-relative, forward slashes. */
  path: string;
  kind: ChangeKind;
  /** For a rename or copy: where it came from. */
  oldPath?: string | undefined;
  /** Lines added and deleted; undefined for a binary file. */
  additions?: number | undefined;
  deletions?: number | undefined;
}

export interface ChangeSummary {
  /** The branch the change is measured against. */
  base: string;
  /** The commit the ticket's branch started from (its merge-base with `base`). */
  mergeBase: string;
  files: FileChange[];
}

export interface ChangeTotals {
  files: number;
  additions: number;
  deletions: number;
}

/** Everything the worktree at `path` changes against its merge-base with `base`. */
export async function summarizeChanges(path: string, base: string, signal?: AbortSignal): Promise<ChangeSummary> {
  if (base.length === 0 || base.startsWith('-') || /[\0\n\r]/.test(base)) {
    throw new FactoryError('invalid-input', `not a usable git base: ${JSON.stringify(base).slice(0, 80)}`);
  }
  const mergeBase = (await tryGit(path, ['merge-base', 'HEAD', base], { signal }))?.trim() || (await resolveCommit(path, base, signal));
  const [numstat, nameStatus, untracked] = await Promise.all([
    runGit(path, ['diff', ...PLAIN_DIFF, '--numstat', '-z', '--find-renames', mergeBase, '--'], { signal }),
    runGit(path, ['diff', ...PLAIN_DIFF, '--name-status', '-z', '--find-renames', mergeBase, '--'], { signal }),
    runGit(path, ['ls-files', '-z', '--others', '--exclude-standard'], { signal }),
  ]);
  const counts = parseNumstat(numstat);
  const files: FileChange[] = parseNameStatus(nameStatus).map((e) => ({ path: e.path, kind: e.kind, oldPath: e.oldPath, ...counts.get(e.path) }));
  for (const rel of parseNulList(untracked)) {
    signal?.throwIfAborted();
    files.push({ path: rel, kind: 'untracked', ...(await countUntracked(join(path, rel))) });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { base, mergeBase, files };
}

export function changeTotals(files: readonly { additions?: number | undefined; deletions?: number | undefined }[]): ChangeTotals {
  let additions = 0;
  let deletions = 0;
  for (const f of files) {
    additions += f.additions ?? 0;
    deletions += f.deletions ?? 0;
  }
  return { files: files.length, additions, deletions };
}

/** "3 files +12 −4", the Tickets view's and the CLI's short form; empty for no change. */
export function describeTotals(t: ChangeTotals): string {
  if (t.files === 0) return '';
  return `${t.files} file${t.files === 1 ? '' : 's'} +${t.additions} −${t.deletions}`;
}

/** "+12 −4", or "binary" when git counts no lines. */
export function describeCounts(f: { additions?: number | undefined; deletions?: number | undefined }): string {
  return f.additions === undefined || f.deletions === undefined ? 'binary' : `+${f.additions} −${f.deletions}`;
}

/**
 * `git diff --numstat -z`: `12\t4\tpath\0`, a rename `12\t4\t\0old\0new\0`, a binary file
 * `-\t-\tpath\0`. Keyed by the (new) path.
 */
export function parseNumstat(output: string): Map<string, { additions?: number; deletions?: number }> {
  const out = new Map<string, { additions?: number; deletions?: number }>();
  const fields = output.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(field);
    if (!match) continue;
    let path = match[3] ?? '';
    if (path === '') {
      // A rename: the old and the new path follow in their own fields.
      path = fields[i + 2] ?? '';
      i += 2;
    }
    if (path === '') continue;
    out.set(path, match[1] === '-' || match[2] === '-' ? {} : { additions: Number(match[1]), deletions: Number(match[2]) });
  }
  return out;
}

async function resolveCommit(path: string, rev: string, signal: AbortSignal | undefined): Promise<string> {
  const sha = (await tryGit(path, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { signal }))?.trim();
  if (!sha) throw new FactoryError('git', `the base ${rev} does not resolve to a commit in ${path}`);
  return sha;
}

/** Lines of a new file, read in slices so a big file never sits whole in memory. */
async function countUntracked(file: string): Promise<{ additions?: number; deletions?: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    // A file that vanished between the listing and now, or a folder (a nested repository).
    return { additions: 0, deletions: 0 };
  }
  try {
    const size = (await handle.stat()).size;
    if (size > UNTRACKED_READ_MAX) return {};
    const buf = Buffer.alloc(64 * 1024);
    let lines = 0;
    let last = -1;
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (position === 0 && looksBinary(chunk)) return {};
      for (const byte of chunk) if (byte === 0x0a) lines++;
      last = chunk[chunk.length - 1] ?? last;
      position += bytesRead;
    }
    // A last line without its newline still counts, as git counts it.
    if (position > 0 && last !== 0x0a) lines++;
    return { additions: lines, deletions: 0 };
  } finally {
    await handle.close();
  }
}
