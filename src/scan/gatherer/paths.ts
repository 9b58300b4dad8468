/**
 * Which files the Gatherer reads: not vendored or generated code, which is nobody's backlog. A file
 * is left out when `.gitattributes` marks it `linguist-vendored` or `linguist-generated`, or when
 * it matches an `agentFactory.gatherer.exclude` glob (by default the usual vendor and build
 * folders, lockfiles and minified files) unless `.gitattributes` explicitly unmarks it
 * (`-linguist-vendored`), as GitHub's linguist does. Minified and generated content is recognised
 * later, when the file is read.
 */
import picomatch from 'picomatch';
import { runGit } from '../common/gitProcess';

export type PathVerdict = 'keep' | 'excluded' | 'vendored' | 'generated';

const ATTRIBUTES = ['linguist-vendored', 'linguist-generated'] as const;
const CHUNK = 2000;

type AttributeState = 'set' | 'unset' | 'unspecified';

/** Each file's verdict, from the exclude globs and git's attributes. */
export async function judgePaths(repoRoot: string, files: readonly string[], exclude: readonly string[], signal?: AbortSignal): Promise<Map<string, PathVerdict>> {
  const globs = exclude.map((g) => g.trim()).filter((g) => g.length > 0);
  const excluded = globs.length > 0 ? picomatch(globs, { dot: true }) : () => false;
  const attributes = await readAttributes(repoRoot, files, signal);
  const verdicts = new Map<string, PathVerdict>();
  for (const file of files) {
    const a = attributes.get(file);
    const vendored = a?.['linguist-vendored'] ?? 'unspecified';
    const generated = a?.['linguist-generated'] ?? 'unspecified';
    if (vendored === 'set') verdicts.set(file, 'vendored');
    else if (generated === 'set') verdicts.set(file, 'generated');
    else if (excluded(file) && vendored !== 'unset' && generated !== 'unset') verdicts.set(file, 'excluded');
    else verdicts.set(file, 'keep');
  }
  return verdicts;
}

/** `git check-attr` for many files at once; `true`/`false` values count as set/unset. */
async function readAttributes(repoRoot: string, files: readonly string[], signal?: AbortSignal): Promise<Map<string, Record<string, AttributeState>>> {
  const out = new Map<string, Record<string, AttributeState>>();
  for (let i = 0; i < files.length; i += CHUNK) {
    const chunk = files.slice(i, i + CHUNK);
    // Paths as arguments, after `--`: literal, never options, with NUL-separated answers.
    const { stdout } = await runGit(repoRoot, ['--literal-pathspecs', 'check-attr', '-z', ...ATTRIBUTES, '--', ...chunk], { signal });
    const fields = stdout.toString('utf8').split('\0');
    for (let k = 0; k + 2 < fields.length; k += 3) {
      const [file, attribute, value] = [fields[k], fields[k + 1], fields[k + 2]];
      let entry = out.get(file);
      if (!entry) out.set(file, (entry = {}));
      entry[attribute] = value === 'set' || value === 'true' ? 'set' : value === 'unset' || value === 'false' ? 'unset' : 'unspecified';
    }
  }
  return out;
}
