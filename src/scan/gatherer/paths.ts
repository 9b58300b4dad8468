/**
 * Which files the Gatherer reads: not vendored or generated code, which is nobody's backlog. Files
 * `.gitattributes` marks `linguist-vendored` or `linguist-generated` never leave `git grep` (pathspec
 * magic, see gitGrep.ts). Of the rest, a file matching an `agentFactory.gatherer.exclude` glob (by
 * default the usual vendor and build folders, lockfiles and minified files) is left out unless
 * `.gitattributes` explicitly unmarks it (`-linguist-vendored`), as GitHub's linguist does.
 * Minified and generated content is recognised later, when the file is read.
 */
import picomatch from 'picomatch';
import { gitOutput } from '../../git/gitOutput';

/** Pathspecs that keep files marked vendored or generated out of `git grep`. */
export const ATTRIBUTE_EXCLUDES: readonly string[] = [
  ':(exclude,attr:linguist-vendored)',
  ':(exclude,attr:linguist-vendored=true)',
  ':(exclude,attr:linguist-generated)',
  ':(exclude,attr:linguist-generated=true)',
];

const CHUNK = 2000;

/**
 * A predicate over repository-relative paths for the exclude globs (blank ones ignored): what
 * `picomatch(globs, { dot: true })` answers (a path equal to a glob, or matching its expression),
 * from the expressions alone. picomatch's own matcher over a list costs several times more to
 * build and to ask, and a cycle's first files held the thread for about 10 ms through it.
 */
export function globMatcher(exclude: readonly string[]): (file: string) => boolean {
  const globs = exclude.map((g) => g.trim()).filter((g) => g.length > 0);
  const tests = globs.map((glob) => ({ glob, re: picomatch.makeRe(glob, { dot: true }) }));
  return (file) => file !== '' && tests.some(({ glob, re }) => file === glob || re.test(file));
}

/** The files an exclude glob leaves out; `git check-attr` runs only for the files a glob matches. */
export async function excludedPaths(repoRoot: string, files: readonly string[], matches: (file: string) => boolean, signal?: AbortSignal): Promise<Set<string>> {
  const candidates = files.filter((f) => matches(f));
  if (candidates.length === 0) return new Set();
  const unmarked = await explicitlyUnmarked(repoRoot, candidates, signal);
  return new Set(candidates.filter((f) => !unmarked.has(f)));
}

/** Files whose `linguist-vendored` or `linguist-generated` attribute is unset (`-attr`) or `false`. */
async function explicitlyUnmarked(repoRoot: string, files: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < files.length; i += CHUNK) {
    const chunk = files.slice(i, i + CHUNK);
    // Paths as arguments, after `--`: literal, never options, with NUL-separated answers.
    const { stdout } = await gitOutput(repoRoot, ['--literal-pathspecs', 'check-attr', '-z', 'linguist-vendored', 'linguist-generated', '--', ...chunk], { signal });
    const fields = stdout.toString('utf8').split('\0');
    for (let k = 0; k + 2 < fields.length; k += 3) if (fields[k + 2] === 'unset' || fields[k + 2] === 'false') out.add(fields[k]);
  }
  return out;
}
