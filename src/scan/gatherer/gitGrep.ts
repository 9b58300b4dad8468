/**
 * Finds the files holding tags with `git grep` in the main checkout: tracked files only (so
 * `.gitignore` holds), binary files skipped, the board's own `.factory/` folder and files
 * `.gitattributes` marks vendored or generated excluded by pathspec. The files are then read and their comments parsed (commentScan.ts); grep only narrows
 * down which.
 */
import { gitOutput } from '../../git/gitOutput';
import { grepPattern } from './commentTags';
import { ATTRIBUTE_EXCLUDES } from './paths';

/** The pathspec that keeps the board's folder out of every scan. */
export const BOARD_FOLDER_EXCLUDE = ':(exclude,top).factory';

/**
 * The `git grep` arguments that list the matching files, NUL-separated. Flags a user's git config
 * could change (`grep.patternType`, `grep.fullName`, color) are pinned on the command line.
 */
export function grepArgs(tags: readonly string[]): string[] {
  return [
    '-c', 'grep.column=false',
    'grep', '--no-color', '--full-name', '--no-textconv',
    '-l', '-z', '-I', '-w', '-E', '-e', grepPattern(tags),
    '--', '.', BOARD_FOLDER_EXCLUDE, ...ATTRIBUTE_EXCLUDES,
  ];
}

/** Repository-relative paths of the tracked text files that hold one of `tags` as a word. */
export async function gitGrepFiles(repoRoot: string, tags: readonly string[], signal?: AbortSignal): Promise<string[]> {
  if (tags.length === 0) return [];
  const { code, stdout } = await gitOutput(repoRoot, grepArgs(tags), { signal, okCodes: [0, 1] });
  return code === 1 ? [] : parseFileList(stdout);
}

/** NUL-separated names, read whole: a name may hold a newline or a colon. */
export function parseFileList(stdout: Buffer | string): string[] {
  return (typeof stdout === 'string' ? stdout : stdout.toString('utf8')).split('\0').filter((f) => f !== '');
}
