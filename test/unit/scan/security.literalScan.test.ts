import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LiteralScan, type Literal } from '../../../src/scan/security/literalScan';
import { RISKY_RULES } from '../../../src/scan/security/rules';
import { SECRET_TRIGGERS } from '../../../src/scan/security/secretTriggers';
import { repoRoot } from '../helpers/repoRoot';

/** What the one-pass scan must answer: each literal looked for on its own. */
function naive(literals: readonly Literal[], text: string): boolean[] {
  return literals.map((l) => (l.ignoreCase ? new RegExp(l.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i').test(text) : text.includes(l.text)));
}

const LITERALS: Literal[] = [
  ...Object.values(SECRET_TRIGGERS).flat().map((text) => ({ text, ignoreCase: true })),
  ...RISKY_RULES.flatMap((r) => r.needs).map((text) => ({ text, ignoreCase: false })),
  { text: 'ab', ignoreCase: false },
  { text: 'größe', ignoreCase: true },
  { text: 'abcabd', ignoreCase: false },
];

describe('LiteralScan', () => {
  it('finds what looking for each literal alone finds: case, overlaps, text ends, short and non-ASCII literals', () => {
    const texts = [
      '',
      'e',
      'ev',
      'eval',
      'EVAL(x)',
      'x = Eval(y); select * from t',
      'SELECT a FROM b',
      'abcabcabd',
      'abcab',
      'ſecret and \u212Akia are not ASCII letters',
      'SECRET akia AKIA',
      'hooks.slack.com/services/x',
      'GRÖSSE größe',
      'a\\u0041 \\U',
      'tail ends in sk_live_',
      'x'.repeat(5000) + 'dangerouslySetInnerHTML',
    ];
    const scan = new LiteralScan(LITERALS);
    for (const text of texts) {
      assert.deepEqual(scan.find(text), naive(LITERALS, text), JSON.stringify(text.slice(0, 60)));
      assert.equal(scan.any(text), naive(LITERALS, text).some(Boolean), JSON.stringify(text.slice(0, 60)));
    }
  });

  it("finds in the project's own files what looking for each literal alone finds", () => {
    const listed = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }).split('\0').filter(Boolean);
    const scan = new LiteralScan(LITERALS);
    let compared = 0;
    for (const path of listed) {
      const bytes = readFileSync(join(repoRoot, path));
      if (bytes.length > 1024 * 1024) continue;
      const text = bytes.toString('utf8');
      assert.deepEqual(scan.find(text), naive(LITERALS, text), path);
      compared++;
    }
    assert.ok(compared > 300, `only ${compared} files`);
  });
});
