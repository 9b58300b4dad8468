import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RISKY_RULES } from '../../../src/scan/security/rules';
import { scanContent, type ContentResult } from '../../../src/scan/security/scanContent';
import { SECRET_TRIGGERS, secretTriggerTest } from '../../../src/scan/security/secretTriggers';
import { benchCorpus } from '../../fixtures/security/benchCorpus';
import { RISKY_CORPUS } from '../../fixtures/security/riskyCorpus';
import { repoRoot } from '../helpers/repoRoot';

/** Files whose findings differ with the prefilter on and off, with both lists. */
async function differences(files: Iterable<{ path: string; bytes: Uint8Array }>): Promise<{ compared: number; findings: number; differ: string[] }> {
  let compared = 0;
  let findings = 0;
  const differ: string[] = [];
  for (const file of files) {
    const full: ContentResult = await scanContent(file.path, file.bytes, { prefilter: false });
    const filtered: ContentResult = await scanContent(file.path, file.bytes);
    compared++;
    findings += full.findings.length;
    try {
      assert.deepEqual(filtered, full);
    } catch {
      differ.push(`${file.path}: without the prefilter ${JSON.stringify(full.findings.map((f) => `${f.rule}@${f.line}`))}, with it ${JSON.stringify(filtered.findings.map((f) => `${f.rule}@${f.line}`))}`);
    }
  }
  return { compared, findings, differ };
}

describe('the Security prefilter skips only what cannot match', () => {
  it('knows every rule of the installed secretlint preset, so it is on, and names no rule the preset lacks', async () => {
    const preset = await import('@secretlint/secretlint-rule-preset-recommend');
    const ids = preset.rules.map((r) => r.meta.id.replace('@secretlint/secretlint-rule-', ''));
    assert.deepEqual([...ids].sort(), Object.keys(SECRET_TRIGGERS).sort());
    assert.ok(secretTriggerTest(preset.rules.map((r) => r.meta.id)));
    assert.equal(secretTriggerTest([...preset.rules.map((r) => r.meta.id), '@secretlint/secretlint-rule-new-vendor']), undefined, 'an unknown rule must turn the filter off');
    const mayHold = secretTriggerTest(preset.rules.map((r) => r.meta.id))!;
    for (const literal of Object.values(SECRET_TRIGGERS).flat()) {
      for (const text of [literal, literal.toLowerCase(), literal.toUpperCase(), `x = "${literal}…"`]) assert.ok(mayHold('.ts', text), `${literal} in ${text}`);
    }
    assert.equal(mayHold('.ts', 'export const count = items.length;\n'), false);
    assert.ok(mayHold('.p12', ''), 'a .p12 file is read by its rule, never filtered');
  });

  it('finds on the benchmark corpus exactly what the full scan finds', async () => {
    const files = benchCorpus({ files: 2000, withSecret: 20, withEval: 40 }).map((f) => ({ path: join('/bench', f.path), bytes: Buffer.from(f.text) }));
    const { compared, findings, differ } = await differences(files);
    assert.equal(compared, 2000);
    assert.equal(findings, 60, 'the corpus plants 20 tokens and 40 evals');
    assert.deepEqual(differ, []);
  });

  it("finds in the project's own files (sources, tests, fixtures with secrets) exactly what the full scan finds", async () => {
    const listed = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }).split('\0').filter(Boolean);
    const files = listed.map((path) => ({ path: join(repoRoot, path), bytes: readFileSync(join(repoRoot, path)) })).filter((f) => f.bytes.length <= 1024 * 1024);
    const { compared, findings, differ } = await differences(files);
    assert.ok(compared > 300, `only ${compared} files`);
    // The fixtures hold real-looking secrets and risky calls: the comparison is not of empty lists.
    assert.ok(findings > 100, `only ${findings} findings`);
    assert.deepEqual(differ, []);
  });

  it("keeps every risky case of the corpus: each holds one of its rule's literals", () => {
    for (const c of RISKY_CORPUS.filter((x) => x.risky)) {
      const rule = RISKY_RULES.find((r) => r.id === c.rule);
      assert.ok(rule, c.rule);
      assert.ok(rule.needs.some((n) => c.code.includes(n)), `${c.rule}: ${c.code.slice(0, 80)}`);
    }
  });
});
