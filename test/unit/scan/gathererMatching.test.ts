import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { itemsFromText } from '../../../src/scan/gatherer/commentScan';
import { DEFAULT_TAGS } from '../../../src/scan/gatherer/commentTags';
import { matchItems } from '../../../src/scan/gatherer/matching';
import { itemsAt as scan, recordsOf } from '../../fixtures/gatherer/items';

void describe('gatherer matching', () => {
  void it('matches a moved item by fingerprint', () => {
    const before = recordsOf(scan(['a.ts', 5, '// TODO: cache results']));
    const result = matchItems(before, scan(['a.ts', 25, '// TODO: cache results']));
    assert.equal(result.matched.length, 1);
    assert.equal(result.matched[0]?.how, 'exact');
    assert.equal(result.matched[0]?.item.line, 25);
    assert.deepEqual(result.gone, []);
    assert.deepEqual(result.fresh, []);
  });

  void it('pairs an edited comment with its record instead of closing one and opening another', () => {
    const before = recordsOf(scan(['a.ts', 5, '// TODO: handle empty input'], ['a.ts', 9, '// FIXME: slow loop']));
    const result = matchItems(before, scan(['a.ts', 5, '// TODO: handle empty and null input'], ['a.ts', 9, '// FIXME: slow loop']));
    assert.deepEqual(
      result.matched.map((m) => [m.how, m.record.normText, m.item.normText]),
      [
        ['exact', 'slow loop', 'slow loop'],
        ['edited', 'handle empty input', 'handle empty and null input'],
      ],
    );
    assert.deepEqual(result.gone, []);
    assert.deepEqual(result.fresh, []);
  });

  void it('treats an unrelated comment in the same place as a new item', () => {
    const before = recordsOf(scan(['a.ts', 5, '// TODO: handle empty input']));
    const result = matchItems(before, scan(['a.ts', 5, '// TODO: add request logging']));
    assert.equal(result.matched.length, 0);
    assert.equal(result.gone.length, 1);
    assert.equal(result.fresh.length, 1);
  });

  void it('pairs an edit with the nearest of two similar candidates', () => {
    const before = recordsOf(scan(['a.ts', 50, '// TODO: retry the upload']));
    const result = matchItems(before, scan(['a.ts', 10, '// TODO: retry the upload twice'], ['a.ts', 52, '// TODO: retry the upload twice!']));
    assert.equal(result.matched[0]?.item.line, 52);
  });

  void it('follows a renamed file, also when the comment changed with it', () => {
    const before = recordsOf(scan(['old.ts', 3, '// TODO: split this module'], ['old.ts', 8, '// HACK: global state']));
    const renames = new Map([['old.ts', 'lib/new.ts']]);
    const result = matchItems(before, scan(['lib/new.ts', 3, '// TODO: split this module'], ['lib/new.ts', 8, '// HACK: global state here']), { renames });
    assert.deepEqual(
      result.matched.map((m) => [m.how, m.item.file, m.item.normText]),
      [
        ['renamed', 'lib/new.ts', 'split this module'],
        ['renamed', 'lib/new.ts', 'global state here'],
      ],
    );
    assert.deepEqual(result.gone, []);
  });

  void it('follows a comment moved unchanged to another file, with no rename git could see', () => {
    const before = recordsOf(scan(['old.ts', 3, '// TODO: split this module'], ['old.ts', 9, '// TODO: reword me']));
    const result = matchItems(before, scan(['other.ts', 3, '// TODO: split this module'], ['other.ts', 9, '// TODO: reword me please']));
    assert.deepEqual(
      result.matched.map((m) => [m.how, m.item.file, m.item.normText]),
      [['moved', 'other.ts', 'split this module']],
    );
    assert.deepEqual(result.gone.map((r) => r.normText), ['reword me'], 'an edit is looked for in the same file only');
  });

  void it('never takes an item that was already there without a ticket as the new text of an edit', () => {
    const now = scan(['a.ts', 3, '// TODO: test version 3'], ['a.ts', 9, '// TODO: test version 4, edited']);
    const before = recordsOf(scan(['a.ts', 3, '// TODO: test version 2'], ['a.ts', 9, '// TODO: test version 4']));
    const waiting = now[0].fingerprint;
    const result = matchItems(before, now, { existedBefore: (item) => item.fingerprint === waiting });
    assert.deepEqual(
      result.matched.map((m) => [m.record.normText, m.item.normText]),
      [['test version 4', 'test version 4, edited']],
    );
    assert.deepEqual(result.gone.map((r) => r.normText), ['test version 2']);
    assert.deepEqual(result.fresh.map((i) => i.normText), ['test version 3']);
  });

  void it('keeps identical comments apart and closes exactly the removed one', () => {
    const two = scan(['a.ts', 3, '// TODO: check bounds'], ['a.ts', 30, '// TODO: check bounds']);
    const result = matchItems(recordsOf(two), scan(['a.ts', 30, '// TODO: check bounds']));
    assert.deepEqual(result.matched.map((m) => [m.record.line, m.item.line]), [[30, 30]]);
    assert.deepEqual(result.gone.map((r) => r.line), [3]);
    assert.equal(result.fresh.length, 0);
  });

  void it('tells identical comments apart by the code they sit on, wherever the file moves them', () => {
    const text = (order: number[]) => order.flatMap((n) => ['// TODO: handle the error', `step${n}();`]).join('\n');
    const before = recordsOf(itemsFromText('a.ts', text([1, 2, 3, 4, 5, 6]), DEFAULT_TAGS));
    // The third copy is fixed; the others shift up and two of them swap places.
    const now = itemsFromText('a.ts', text([1, 2, 5, 4, 6]), DEFAULT_TAGS);
    const result = matchItems(before, now);
    assert.equal(result.matched.length, 5);
    assert.deepEqual(result.gone.map((r) => r.line), [5], 'the copy above step3() is the one that went');
    for (const m of result.matched) assert.equal(m.item.context, m.record.context, 'a copy matched another one');
  });
});
