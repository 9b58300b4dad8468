import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { currentRepoFiles, groupDiagnostics, toRepoPath, type DiagnosticEntry } from '../../../src/scan/gatherer/diagnostics';
import { descriptionOf, titleOf } from '../../../src/scan/gatherer/render';
import { DEFAULT_TAGS } from '../../../src/scan/gatherer/commentTags';
import { itemsFromText } from '../../../src/scan/gatherer/commentScan';

const root = join('/', 'work', 'repo');

function ts(file: string, line: number, message: string, severity: 'error' | 'warning' = 'error'): DiagnosticEntry {
  return { file: join(root, file), severity, source: 'ts', message, line };
}

void describe('gatherer diagnostics', () => {
  void it('groups a file’s diagnostics per source into one item', () => {
    const items = groupDiagnostics(root, [
      ts('src/x.ts', 12, "Type 'string' is not assignable to type 'number'."),
      ts('src/x.ts', 3, "Cannot find name 'foo'."),
      ts('src/x.ts', 40, 'Unreachable code detected.'),
      { file: join(root, 'src/x.ts'), severity: 'warning', source: 'eslint', message: 'no-unused-vars', line: 7 },
      ts('src/y.ts', 1, "'a' is declared but never used.", 'warning'),
    ]);
    assert.equal(items.length, 3);
    const x = items.find((i) => i.file === 'src/x.ts' && i.text === 'TypeScript');
    assert.ok(x);
    assert.equal(titleOf(x), '3 TypeScript errors in src/x.ts');
    assert.equal(x.line, 3);
    assert.equal(x.rank, 0);
    assert.equal(x.kind, 'diagnostics');
    assert.deepEqual(descriptionOf(x).split('\n').slice(2), [
      "src/x.ts:3 error: Cannot find name 'foo'.",
      "src/x.ts:12 error: Type 'string' is not assignable to type 'number'.",
      'src/x.ts:40 error: Unreachable code detected.',
    ]);
    const lint = items.find((i) => i.text === 'ESLint');
    assert.equal(lint && titleOf(lint), '1 ESLint warning in src/x.ts');
    assert.equal(lint?.rank, 2);
    const y = items.find((i) => i.file === 'src/y.ts');
    assert.equal(y && titleOf(y), '1 TypeScript warning in src/y.ts');
  });

  void it('keeps the fingerprint when the count or the messages change', () => {
    const one = groupDiagnostics(root, [ts('src/x.ts', 1, 'a')]);
    const three = groupDiagnostics(root, [ts('src/x.ts', 9, 'b'), ts('src/x.ts', 10, 'c', 'warning'), ts('src/x.ts', 11, 'd')]);
    assert.equal(one[0]?.fingerprint, three[0]?.fingerprint);
    assert.equal(three[0] && titleOf(three[0]), '2 TypeScript errors and 1 warning in src/x.ts');
  });

  void it('leaves out files outside the repository and in the board folder', () => {
    const items = groupDiagnostics(root, [
      { file: join('/', 'elsewhere', 'a.ts'), severity: 'error', source: 'ts', message: 'x', line: 1 },
      ts('.factory/runs/a.ts', 1, 'x'),
      { file: 'src/rel.ts', severity: 'error', source: '', message: 'x', line: 2 },
    ]);
    assert.deepEqual(
      items.map((i) => [i.file, titleOf(i)]),
      [['src/rel.ts', '1 error in src/rel.ts']],
    );
    assert.equal(toRepoPath(root, join(root, '..', 'repo2', 'a.ts')), undefined);
    assert.deepEqual([...currentRepoFiles(root, { entries: [], currentFiles: [join(root, 'a.ts'), '/elsewhere/b.ts'] })], ['a.ts']);
  });

  void it('lists at most twenty diagnostics in a description', () => {
    const many = Array.from({ length: 45 }, (_, i) => ts('big.ts', i + 1, `problem ${i + 1}`));
    const [item] = groupDiagnostics(root, many);
    assert.ok(item);
    const lines = descriptionOf(item).split('\n');
    assert.equal(lines.at(-1), 'and 25 more');
    assert.equal(lines.filter((l) => l.startsWith('big.ts:')).length, 20);
  });
});

void describe('gatherer ticket text', () => {
  void it('titles a comment by its tag and text, within the title limit, and keeps its place out of the description', () => {
    const [item] = itemsFromText('src/a.ts', `${'\n'.repeat(11)}// FIXME(alice): ${'very long '.repeat(40)}`, DEFAULT_TAGS);
    assert.ok(item);
    const title = titleOf(item);
    assert.ok(title.startsWith('FIXME: very long very long'));
    assert.ok([...title].length <= 100);
    const description = descriptionOf(item);
    assert.doesNotMatch(description, /src\/a\.ts|12/, 'a line move would rewrite the description');
    assert.match(description, /^Owner: alice$/m);
  });
});
