import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RISKY_RULES } from '../../../src/scan/security/rules';
import { scanContent } from '../../../src/scan/security/scanContent';
import { RISKY_CORPUS, scoreCorpus } from '../../fixtures/security/riskyCorpus';

describe('risky-code rules against their corpus of real-looking true and false cases', () => {
  it('has true and false cases for every rule', () => {
    for (const rule of RISKY_RULES) {
      const cases = RISKY_CORPUS.filter((c) => c.rule === rule.id);
      assert.ok(cases.some((c) => c.risky), `${rule.id} has no risky case`);
      assert.ok(cases.some((c) => !c.risky), `${rule.id} has no safe case`);
    }
  });

  it('judges every case as the corpus says, except the known ones, which it still gets wrong', async () => {
    const scores = await scoreCorpus(async (file, code) => (await scanContent(file, Buffer.from(code))).findings.map((f) => f.rule));
    const wrong = scores.flatMap((s) => s.wrong.filter((c) => c.known === undefined).map((c) => `${c.risky ? 'missed' : 'false positive'} ${c.rule} in ${c.file}: ${JSON.stringify(c.code.slice(0, 80))}`));
    assert.deepEqual(wrong, []);
    const known = RISKY_CORPUS.filter((c) => c.known !== undefined);
    const stillWrong = scores.flatMap((s) => s.wrong.filter((c) => c.known !== undefined));
    assert.deepEqual(stillWrong, known, 'a known case is judged right now: drop its `known` note');
  });
});
