import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { scanContent } from '../../../src/scan/security/scanContent';
import { findSecrets } from '../../../src/scan/security/secrets';
import { isFound, measureRecall, secretlintFixtureCases, type FixtureCase } from '../../fixtures/security/secretlintFixtures';
import { fixturePath } from '../helpers/tempBoard';

const cases = secretlintFixtureCases(fixturePath('secretlint-preset'));

async function reported(file: string): Promise<{ rule: string; line: number }[]> {
  return (await scanContent(file, readFileSync(file))).findings.map((f) => ({ rule: f.rule, line: f.line }));
}

function fixture(name: string): FixtureCase {
  const found = cases.find((c) => c.name === name);
  assert.ok(found, `no fixture ${name}`);
  return found;
}

describe("recall on secretlint's own fixtures for its recommended preset", () => {
  it('finds every expected secret except stand-ins kept quiet on purpose, and nothing in the clean cases', async () => {
    const report = await measureRecall(cases, reported);
    assert.ok(report.cases > 90, `only ${report.cases} fixture cases were read`);
    assert.deepEqual(report.unexpected, [], 'a clean fixture got a finding');
    const unexplained: string[] = [];
    for (const miss of report.missed) {
      // Every miss must be a value the placeholder filter keeps quiet by design (xxxx, AAAA, EXAMPLE, user:pass@…).
      const file = fixture(miss.name).file;
      const hits = await findSecrets(file, readFileSync(file, 'utf8'));
      if (!hits.some((h) => h.placeholder && h.line === miss.finding.startLine)) unexplained.push(`${miss.name} ${miss.finding.rule}:${miss.finding.startLine}`);
    }
    assert.deepEqual(unexplained, [], 'a real-looking credential was missed');
    assert.ok(report.found / report.expected >= 0.8, `recall ${report.found}/${report.expected}`);
  });

  it('never drops a real-looking credential because its host name looks like a placeholder', async () => {
    for (const name of ['secretlint-rule-basicauth/ng.real-credentials', 'secretlint-rule-database-connection-string/ng.mongodb']) {
      const c = fixture(name);
      const got = await reported(c.file);
      const missed = c.expected.filter((e) => !isFound(e, got) && /example/i.test(readFileSync(c.file, 'utf8').split('\n')[e.startLine - 1] ?? ''));
      assert.deepEqual(missed, [], name);
    }
  });

  it("passes the real file name and extension to every rule: GCP service-account keys in .json and .p12 files", async () => {
    for (const name of ['secretlint-rule-gcp/ng.privatekey-json', 'secretlint-rule-gcp/ng.privatekey-p12']) {
      const c = fixture(name);
      assert.ok(isFound(c.expected[0], await reported(c.file)), name);
    }
    assert.deepEqual(await reported(fixture('secretlint-rule-gcp/ok.valid-json').file), []);
  });
});
