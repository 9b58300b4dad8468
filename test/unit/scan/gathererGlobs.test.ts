// The Gatherer's exclude globs answer exactly what picomatch's own matcher over the same list
// answers, over the default globs, hand-written ones and many paths (the matcher is built from
// the expressions alone, for speed).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import picomatch from 'picomatch';
import { DEFAULT_GATHERER_EXCLUDE } from '../../../src/agents/gathererAgent';
import { globMatcher } from '../../../src/scan/gatherer/paths';
import { Rng } from '../../soak/rng';

const GLOBS = [
  ...DEFAULT_GATHERER_EXCLUDE,
  'src/generated/*.ts',
  '*.md',
  'docs/**',
  '**/.hidden/**',
  '**/*.{png,jpg}',
  'lib/?ib.js',
  '!keep/**',
  'a/[bc]/d.ts',
  'exact/file.txt',
];
const PARTS = ['src', 'node_modules', 'vendor', 'dist', 'build', 'out', 'docs', '.hidden', '.next', 'a', 'b', 'c', 'keep', 'lib', 'generated', 'Pods', 'third_party', 'exact', '__pycache__'];
const NAMES = ['index.ts', 'x.min.js', 'y.min.css', 'z.map', 'yarn.lock', 'package-lock.json', 'pnpm-lock.yaml', 'README.md', 'p.png', 'q.jpg', 'lib.js', 'fib.js', 'd.ts', 'file.txt', '.env', 'a b.ts', 'ü.ts'];

describe('Gatherer exclude globs', () => {
  it('answer what picomatch answers over the same globs, for every path', () => {
    const rng = new Rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
    const paths = new Set<string>(['exact/file.txt', 'lib/lib.js', 'a/b/d.ts', 'README.md', 'docs', 'node_modules/x/index.ts']);
    for (let i = 0; i < 3000; i++) {
      const depth = Math.floor(rng.next() * 4);
      const dirs = Array.from({ length: depth }, () => pick(PARTS));
      paths.add([...dirs, pick(NAMES)].join('/'));
    }
    for (const globs of [GLOBS, DEFAULT_GATHERER_EXCLUDE, ['  ', '**/dist/**'], []]) {
      const ours = globMatcher(globs);
      const kept = globs.map((g) => g.trim()).filter((g) => g.length > 0);
      const theirs = kept.length === 0 ? () => false : picomatch(kept, { dot: true });
      let matched = 0;
      for (const path of paths) {
        assert.equal(ours(path), theirs(path), `${path} against ${globs.join(', ')}`);
        if (theirs(path)) matched++;
      }
      if (kept.length > 0) assert.ok(matched > 0 && matched < paths.size, `${matched} of ${paths.size} paths matched`);
    }
  });
});
