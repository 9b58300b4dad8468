import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { itemsFromText } from '../../../src/scan/gatherer/commentScan';
import { DEFAULT_TAGS, grepPattern, normalizeTags, TEXT_MAX } from '../../../src/scan/gatherer/commentTags';
import { fingerprintOf, normalizeText, similarity } from '../../../src/scan/gatherer/fingerprint';
import { parseFileList } from '../../../src/scan/gatherer/gitGrep';
import { titleOf } from '../../../src/scan/gatherer/render';
import { parseRenames } from '../../../src/scan/gatherer/renames';

/** The items of one file as "TAG text" (plus owner and note when there are). */
function found(file: string, text: string, tags: readonly string[] = DEFAULT_TAGS): string[] {
  return itemsFromText(file, text, tags).map((i) => `${i.tag}${i.note !== undefined ? `(${i.note})` : ''}${i.owner !== undefined ? ` @${i.owner}` : ''} ${i.text}`);
}

void describe('gatherer tags in the comments of each language', () => {
  void it('reads the tag and its text after each language’s comment openers', () => {
    const cases: Array<[string, string, string]> = [
      ['a.ts', '// TODO: handle empty input', 'TODO handle empty input'],
      ['a.py', '    # FIXME breaks on windows', 'FIXME breaks on windows'],
      ['a.c', '/* HACK - works around a driver bug */', 'HACK works around a driver bug'],
      ['a.java', '/**\n * XXX: remove before 2.0\n */', 'XXX remove before 2.0'],
      ['a.html', '<!-- TODO: translate this page -->', 'TODO translate this page'],
      ['a.sql', 'SELECT 1; -- TODO index this column', 'TODO index this column'],
      ['a.lisp', '; FIXME: wrong register', 'FIXME wrong register'],
      ['a.tex', '% TODO cite the paper', 'TODO cite the paper'],
      ['a.ts', '//TODO no space', 'TODO no space'],
      ['a.ts', '// @TODO with an at sign', 'TODO with an at sign'],
      ['a.ts', 'return x; // TODO: cache it', 'TODO cache it'],
      ['a.ml', '(* TODO prove it *)', 'TODO prove it'],
      ['a.rs', '/// TODO: document the lifetime', 'TODO document the lifetime'],
      ['Dockerfile', 'RUN make # TODO: pin the version', 'TODO pin the version'],
      ['a.lua', '--[[ TODO: a block ]]', 'TODO a block'],
    ];
    for (const [file, text, want] of cases) assert.deepEqual(found(file, text), [want], `${file}: ${text}`);
  });

  void it('reads an owner, or a note that names nobody', () => {
    const cases: Array<[string, string]> = [
      ['// TODO(alice): split this', 'TODO @alice split this'],
      ['// TODO(@alice) split this', 'TODO @alice split this'],
      ['// TODO @alice split this', 'TODO @alice split this'],
      ['// TODO: @alice split this', 'TODO @alice split this'],
      ['// FIXME(bob.smith) - split this', 'FIXME @bob.smith split this'],
      ['// TODO(#123): split this', 'TODO(#123) split this'],
      ['// TODO(v3): drop the old API', 'TODO(v3) drop the old API'],
      ['// TODO(JIRA-42): wire the flag', 'TODO(JIRA-42) wire the flag'],
      ['// TODO(b/1234): upstream it', 'TODO(b/1234) upstream it'],
    ];
    for (const [line, want] of cases) assert.deepEqual(found('a.ts', line), [want], line);
    const [item] = itemsFromText('a.ts', '// TODO(v3): drop the old API', DEFAULT_TAGS);
    assert.equal(titleOf(item), 'TODO(v3): drop the old API');
  });

  void it('finds a tag later in a comment after a colon or a parenthesis, or where it starts a clause', () => {
    assert.deepEqual(found('a.ts', 'x = 1; // parse it; TODO: stream it'), ['TODO stream it']);
    assert.deepEqual(found('a.go', '// [Go] TODO Make this work on Windows'), ['TODO Make this work on Windows']);
    assert.deepEqual(found('a.ts', '/**\n * @deprecated Use parse() instead. TODO remove in the next major\n */'), ['TODO remove in the next major']);
    assert.deepEqual(found('a.ts', 'x = 1; // see the TODO list in the README'), []);
    assert.deepEqual(found('a.ts', '// the FIXME comments are handled elsewhere'), []);
  });

  void it('never takes identifiers, strings, URLs, placeholders or tags outside a comment', () => {
    for (const [file, text] of [
      ['a.ts', 'const todoList = [];'],
      ['a.ts', 'const TODO_MAX = 3;'],
      ['a.ts', '// the TODOs are elsewhere'],
      ['a.ts', 'print("TODO: not a comment")'],
      ['a.ts', 'const label = "50% TODO done";'],
      ['a.ts', "const s = '// TODO: inside a string';"],
      ['a.ts', 'const url = `https://example.com/#TODO-list`; // see https://example.com/#TODO-list'],
      ['a.ts', '// call XXX-XXX-XXXX for support'],
      ['a.ts', 'const x = TODO;'],
      ['a.ts', '// Todo: mixed case is prose'],
      ['a.ts', '// XXXL size'],
      ['a.ts', 'let FIXME2 = 1 // nothing here'],
      ['a.py', 'def f():\n    """TODO: a docstring is a string"""\n    return "# TODO: nor this"'],
      ['a.sh', 'n=${#items[@]} # count\necho "# TODO: quoted"'],
      ['README.md', '```ts\n// TODO: example code in a fence\n```'],
    ]) {
      assert.deepEqual(found(file, text), [], `${file}: ${text}`);
    }
  });

  void it('reads the whole sentence of a comment that wraps, and stops at the comment’s end', () => {
    assert.deepEqual(found('a.ts', '// TODO: make this faster by caching the\n// results of the expensive lookup.\n// Unrelated note.\nconst x = 1;'), [
      'TODO make this faster by caching the results of the expensive lookup.',
    ]);
    assert.deepEqual(found('a.c', '/*\n * FIXME: the parser chokes on a\n * byte-order mark\n *\n * More prose.\n */'), ['FIXME the parser chokes on a byte-order mark']);
    assert.deepEqual(found('a.tsx', 'return <div>{/* TODO: fix the layout */}</div>;'), ['TODO fix the layout']);
    assert.deepEqual(found('a.ts', '/* FIXME: first */ /* TODO: second */'), ['FIXME first', 'TODO second']);
    assert.deepEqual(found('a.ts', '/**\n * TODO: validate the input\n * @param input the text\n */'), ['TODO validate the input']);
  });

  void it('treats Markdown list items alike and drops emphasis', () => {
    assert.deepEqual(found('notes.md', '- TODO: write the docs\n* TODO: add the **install** steps\n+ [ ] FIXME: _broken_ link\n\nSome prose. TODO: a later note'), [
      'TODO write the docs',
      'TODO add the install steps',
      'FIXME broken link',
      'TODO a later note',
    ]);
    assert.deepEqual(found('notes.md', '## TODO\n\nthe TODO list lives here\n<!-- XXX: hidden note -->'), ['XXX hidden note']);
  });

  void it('caps texts and titles sensibly', () => {
    const [long] = itemsFromText('a.ts', `// TODO ${'word '.repeat(5000)}`, DEFAULT_TAGS);
    assert.equal([...long.text].length, TEXT_MAX);
    const title = titleOf(long);
    assert.ok([...title].length <= 100, title);
    assert.match(title, /^TODO: word word .* word…$/);
  });

  void it('uses only valid tags from the setting, and builds the grep pattern from them', () => {
    assert.deepEqual(normalizeTags(['TODO', 'todo', 'FIX ME', 'NOTE', 'TODO', 42, 'A|B']), ['TODO', 'NOTE']);
    assert.deepEqual(normalizeTags(undefined), [...DEFAULT_TAGS]);
    assert.equal(grepPattern(['TODO', 'NOTE']), '(TODO|NOTE)');
    assert.deepEqual(found('a.ts', '// NOTE: custom tag\n// TODO: not configured', ['NOTE']), ['NOTE custom tag']);
    assert.deepEqual(found('a.ts', '// TODO: x', []), []);
  });
});

void describe('gatherer git output', () => {
  void it('splits NUL-separated file names, so names with newlines and colons survive', () => {
    assert.deepEqual(parseFileList(Buffer.from('a.ts\x00we:ird\nname.ts\x00sub/c.md\x00')), ['a.ts', 'we:ird\nname.ts', 'sub/c.md']);
    assert.deepEqual(parseFileList(''), []);
  });

  void it('reads rename records of `git diff --name-status -z`', () => {
    assert.deepEqual(parseRenames('R100\x00old.ts\x00new.ts\x00R087\x00a/b.ts\x00c/b.ts\x00'), [
      ['old.ts', 'new.ts'],
      ['a/b.ts', 'c/b.ts'],
    ]);
  });
});

void describe('gatherer fingerprints', () => {
  void it('ignore whitespace and case, and include kind, file, and for copies the code around them', () => {
    assert.equal(normalizeText('  Handle   EMPTY\tinput '), 'handle empty input');
    const fp = fingerprintOf('todo', 'a.ts', 'handle empty input');
    assert.match(fp, /^gatherer:[0-9a-f]{32}$/);
    assert.notEqual(fp, fingerprintOf('fixme', 'a.ts', 'handle empty input'));
    assert.notEqual(fp, fingerprintOf('todo', 'b.ts', 'handle empty input'));
    assert.notEqual(fp, fingerprintOf('todo', 'a.ts', 'handle empty input', 'ctx', 0));
  });

  void it('survive a line move and edits of the code beside a unique comment', () => {
    const [before] = itemsFromText('a.ts', 'one();\n// TODO: Handle  empty input\ntwo();', DEFAULT_TAGS);
    const [after] = itemsFromText('a.ts', 'zero();\n\n\none();\n// TODO: handle empty input\nthree();', DEFAULT_TAGS);
    assert.equal(after.fingerprint, before.fingerprint);
  });

  void it('tell identical comments apart by the code under them', () => {
    const items = itemsFromText('a.ts', '// TODO: handle the error\nread();\n// TODO: handle the error\nwrite();', DEFAULT_TAGS);
    assert.equal(new Set(items.map((i) => i.fingerprint)).size, 2);
    assert.notEqual(items[0].context, items[1].context);
  });

  void it('skip a tag with nothing to say', () => {
    assert.deepEqual(found('README.md', '## TODO'), []);
    assert.deepEqual(found('a.ts', '// FIXME'), []);
  });

  void it('measure how alike two texts are', () => {
    assert.equal(similarity('handle empty input', 'handle empty input'), 1);
    assert.ok(similarity('handle empty input', 'handle empty and null input') > 0.6);
    assert.ok(similarity('handle empty input', 'add logging to the server') < 0.3);
    assert.equal(similarity('a', 'b'), 0);
  });
});
