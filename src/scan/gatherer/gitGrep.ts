/**
 * Finds tag lines with `git grep` in the main checkout: tracked files only (so `.gitignore`
 * holds), binary files skipped, the board's own `.factory/` folder excluded by pathspec.
 */
import { grepPattern } from './commentTags';
import { runGit } from '../common/gitProcess';

export interface GrepHit {
  /** Repository-relative, `/`-separated, exactly as git names it (odd characters included). */
  file: string;
  /** 1-based. */
  line: number;
  content: string;
}

/** The pathspec that keeps the board's folder out of every scan. */
export const BOARD_FOLDER_EXCLUDE = ':(exclude,top).factory';

/**
 * The `git grep` arguments. Flags a user's git config could change (`grep.column`,
 * `grep.patternType`, `grep.fullName`, color) are pinned on the command line.
 */
export function grepArgs(tags: readonly string[]): string[] {
  return [
    '-c', 'grep.column=false',
    '-c', 'grep.lineNumber=true',
    'grep', '--no-color', '--no-column', '--full-name', '--no-textconv',
    '-n', '-z', '-I', '-w', '-E', '-e', grepPattern(tags),
    '--', '.', BOARD_FOLDER_EXCLUDE,
  ];
}

export async function gitGrepTags(repoRoot: string, tags: readonly string[], signal?: AbortSignal): Promise<GrepHit[]> {
  if (tags.length === 0) return [];
  const { code, stdout } = await runGit(repoRoot, grepArgs(tags), { signal, okCodes: [0, 1] });
  return code === 1 ? [] : parseGrepOutput(stdout);
}

/**
 * Parses `git grep -n -z` output: records `<file> NUL <line> NUL <content> LF`. File names are
 * split on NUL, so a name holding a newline or a colon is read whole; content never holds a NUL
 * (such files are binary and skipped by `-I`) nor a newline.
 */
export function parseGrepOutput(stdout: Buffer | string): GrepHit[] {
  const text = typeof stdout === 'string' ? stdout : stdout.toString('utf8');
  const hits: GrepHit[] = [];
  let pos = 0;
  while (pos < text.length) {
    const fileEnd = text.indexOf('\0', pos);
    if (fileEnd < 0) break;
    const lineEnd = text.indexOf('\0', fileEnd + 1);
    if (lineEnd < 0) break;
    let contentEnd = text.indexOf('\n', lineEnd + 1);
    if (contentEnd < 0) contentEnd = text.length;
    const line = Number(text.slice(fileEnd + 1, lineEnd));
    let content = text.slice(lineEnd + 1, contentEnd);
    if (content.endsWith('\r')) content = content.slice(0, -1);
    if (Number.isInteger(line) && line > 0) hits.push({ file: text.slice(pos, fileEnd), line, content });
    pos = contentEnd + 1;
  }
  return hits;
}
