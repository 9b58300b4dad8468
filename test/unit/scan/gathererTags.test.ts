import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createTagParser, DEFAULT_TAGS, grepPattern, normalizeTags, TEXT_MAX } from '../../../src/scan/gatherer/commentTags';
import { itemsFromHits } from '../../../src/scan/gatherer/commentScan';
import { fingerprintOf, normalizeText, similarity } from '../../../src/scan/gatherer/fingerprint';
import { parseGrepOutput } from '../../../src/scan/gatherer/gitGrep';
import { parseRenames } from '../../../src/scan/gatherer/renames';

const parser = createTagParser(DEFAULT_TAGS);

void describe('gatherer tag parser', () => {
  void it('reads the tag and its text after the usual comment openers', () => {
    const cases: Array<[string, string, string]> = [
      ['// TODO: handle empty input', 'TODO', 'handle empty input'],
      ['    # FIXME breaks on windows', 'FIXME', 'breaks on windows'],
      ['/* HACK - works around a driver bug */', 'HACK', 'works around a driver bug'],
      [' * XXX: remove before 2.0', 'XXX', 'remove before 2.0'],
      ['<!-- TODO: translate this page -->', 'TODO', 'translate this page'],
      ['-- TODO index this column', 'TODO', 'index this column'],
      ['; FIXME: wrong register', 'FIXME', 'wrong register'],
      ['% TODO cite the paper', 'TODO', 'cite the paper'],
      ['//TODO no space', 'TODO', 'no space'],
      ['// @TODO with an at sign', 'TODO', 'with an at sign'],
      ['return x; // TODO: cache it', 'TODO', 'cache it'],
      ['(* TODO prove it *)', 'TODO', 'prove it'],
    ];
    for (const [line, tag, text] of cases) {
      const hit = parser.parse(line);
      assert.ok(hit, `no hit in ${JSON.stringify(line)}`);
      assert.equal(hit.tag, tag, line);
      assert.equal(hit.text, text, line);
    }
  });

  void it('reads an owner in the usual forms and keeps it out of the text', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['// TODO(alice): split this', 'alice', 'split this'],
      ['// TODO(@alice) split this', 'alice', 'split this'],
      ['// TODO @alice split this', 'alice', 'split this'],
      ['// TODO: @alice split this', 'alice', 'split this'],
      ['// TODO @alice: split this', 'alice', 'split this'],
      ['// FIXME(bob.smith) - split this', 'bob.smith', 'split this'],
      ['// TODO(#123): split this', undefined, '(#123): split this'],
    ];
    for (const [line, owner, text] of cases) {
      const hit = parser.parse(line);
      assert.ok(hit, line);
      assert.equal(hit.owner, owner, line);
      assert.equal(hit.text, text, line);
    }
  });

  void it('finds a tag later in a comment only when it is followed by a colon or an owner', () => {
    assert.equal(parser.parse('x = 1; // parse it; TODO: stream it')?.text, 'stream it');
    assert.equal(parser.parse('x = 1; // see the TODO list in the README'), undefined);
  });

  void it('never takes identifiers, lower case words or tags outside a comment', () => {
    for (const line of [
      'const todoList = [];',
      'const TODO_MAX = 3;',
      '// the TODOs are elsewhere',
      'print("TODO: not a comment")',
      'const x = TODO;',
      '// Todo: mixed case is prose',
      '// XXXL size',
      'let FIXME2 = 1 // nothing here',
    ]) {
      assert.equal(parser.parse(line), undefined, line);
    }
  });

  void it('takes the first tag of a line and drops comment closers', () => {
    const hit = parser.parse('/* FIXME: first */ /* TODO: second */');
    assert.equal(hit?.tag, 'FIXME');
    assert.equal(hit?.text, 'first */ /* TODO: second');
  });

  void it('caps a very long text', () => {
    const hit = parser.parse(`// TODO ${'x'.repeat(10_000)}`);
    assert.equal([...(hit?.text ?? '')].length, TEXT_MAX);
  });

  void it('uses only valid tags from the setting, and builds the grep pattern from them', () => {
    assert.deepEqual(normalizeTags(['TODO', 'todo', 'FIX ME', 'NOTE', 'TODO', 42, 'A|B']), ['TODO', 'NOTE']);
    assert.deepEqual(normalizeTags(undefined), [...DEFAULT_TAGS]);
    assert.equal(grepPattern(['TODO', 'NOTE']), '(TODO|NOTE)');
    const custom = createTagParser(['NOTE']);
    assert.equal(custom.parse('// NOTE: custom tag')?.tag, 'NOTE');
    assert.equal(custom.parse('// TODO: not configured'), undefined);
    assert.equal(createTagParser([]).parse('// TODO: x'), undefined);
  });
});

void describe('gatherer git grep output', () => {
  void it('splits NUL-separated records, so file names with newlines and colons survive', () => {
    const out = Buffer.from('a.ts\x0012\x00// TODO: one\nwe:ird\nname.ts\x003\x00# FIXME two\r\nsub/c.md\x001\x00<!-- XXX three -->\n');
    assert.deepEqual(parseGrepOutput(out), [
      { file: 'a.ts', line: 12, content: '// TODO: one' },
      { file: 'we:ird\nname.ts', line: 3, content: '# FIXME two' },
      { file: 'sub/c.md', line: 1, content: '<!-- XXX three -->' },
    ]);
    assert.deepEqual(parseGrepOutput(''), []);
  });

  void it('reads rename records of `git diff --name-status -z`', () => {
    assert.deepEqual(parseRenames('R100\x00old.ts\x00new.ts\x00R087\x00a/b.ts\x00c/b.ts\x00'), [
      ['old.ts', 'new.ts'],
      ['a/b.ts', 'c/b.ts'],
    ]);
  });
});

void describe('gatherer fingerprints', () => {
  void it('ignore whitespace and case, and include kind, file and occurrence', () => {
    assert.equal(normalizeText('  Handle   EMPTY\tinput '), 'handle empty input');
    const fp = fingerprintOf('todo', 'a.ts', 'handle empty input', 0);
    assert.match(fp, /^gatherer:[0-9a-f]{32}$/);
    assert.notEqual(fp, fingerprintOf('fixme', 'a.ts', 'handle empty input', 0));
    assert.notEqual(fp, fingerprintOf('todo', 'b.ts', 'handle empty input', 0));
    assert.notEqual(fp, fingerprintOf('todo', 'a.ts', 'handle empty input', 1));
  });

  void it('survive a line move and number identical texts top to bottom', () => {
    const before = itemsFromHits([{ file: 'a.ts', line: 3, content: '// TODO: Handle  empty input' }], DEFAULT_TAGS);
    const after = itemsFromHits(
      [
        { file: 'a.ts', line: 40, content: '// TODO: handle empty input' },
        { file: 'a.ts', line: 10, content: '// TODO: handle empty input' },
      ],
      DEFAULT_TAGS,
    );
    const top = after.find((i) => i.line === 10);
    const bottom = after.find((i) => i.line === 40);
    assert.equal(top?.occurrence, 0);
    assert.equal(bottom?.occurrence, 1);
    assert.equal(top?.fingerprint, before[0]?.fingerprint);
    assert.notEqual(bottom?.fingerprint, top?.fingerprint);
  });

  void it('skip a tag with nothing to say', () => {
    assert.deepEqual(itemsFromHits([{ file: 'README.md', line: 1, content: '## TODO' }, { file: 'a.ts', line: 2, content: '// FIXME' }], DEFAULT_TAGS), []);
  });

  void it('measure how alike two texts are', () => {
    assert.equal(similarity('handle empty input', 'handle empty input'), 1);
    assert.ok(similarity('handle empty input', 'handle empty and null input') > 0.6);
    assert.ok(similarity('handle empty input', 'add logging to the server') < 0.3);
    assert.equal(similarity('a', 'b'), 0);
  });
});
