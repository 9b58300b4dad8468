import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lines, makeGathererHarness, type GathererHarness } from '../../fixtures/gatherer/harness';

/** 300 comments: 20 FIXME, 40 HACK/XXX, 240 TODO, spread over 30 files. */
function writeThreeHundred(h: GathererHarness): void {
  for (let f = 0; f < 30; f++) {
    const body: string[] = [];
    for (let i = 0; i < 10; i++) {
      const n = f * 10 + i;
      const tag = n % 15 === 0 ? 'FIXME' : n % 15 < 3 ? (n % 2 === 0 ? 'HACK' : 'XXX') : 'TODO';
      body.push(`// ${tag}: item number ${n}`, `export const v${n} = ${n};`);
    }
    h.repo.write(`src/f${String(f).padStart(2, '0')}.ts`, lines(...body));
  }
  h.repo.commit('three hundred comments');
}

void describe('Gatherer noise budget', () => {
  let h: GathererHarness;
  before(async () => {
    h = await makeGathererHarness();
    writeThreeHundred(h);
  });
  after(async () => {
    await h.dispose();
  });

  void it('creates at most five a cycle, never more than fifty open, the most valuable first', async () => {
    const kindsInOrder: string[] = [];
    let result = await h.cycle();
    assert.equal(result.summary, '5 new tickets; 295 more items waiting');
    for (let cycle = 2; cycle <= 12; cycle++) {
      const openBefore = h.open().length;
      result = await h.cycle();
      const open = h.open();
      assert.ok(open.length - openBefore <= 5, `cycle ${cycle} created ${open.length - openBefore}`);
      assert.ok(open.length <= 50, `cycle ${cycle}: ${open.length} open`);
    }
    assert.equal(h.open().length, 50);
    assert.equal(result.summary, 'No change (300 items in the code); 250 more items waiting (50 open gathered tickets, the limit is 50)');
    assert.ok(h.activities.length > 0);

    const created = h.gathered().sort((a, b) => a.createdAt - b.createdAt || Number(a.id.slice(2)) - Number(b.id.slice(2)));
    for (const t of created) kindsInOrder.push(t.labels[0]);
    // 20 FIXMEs first, then the 40 HACK/XXX can only fill the 30 places left; no TODO yet.
    assert.deepEqual(kindsInOrder.slice(0, 20), Array<string>(20).fill('fixme'));
    assert.ok(kindsInOrder.slice(20).every((k) => k === 'hack' || k === 'xxx'));
    assert.deepEqual(
      [...new Set(created.map((t) => t.priority))].sort(),
      [2, 3],
    );

    // Three comments are resolved in the code: three places free up, filled by the next in value.
    const fixmes = created.filter((t) => t.labels[0] === 'fixme').slice(0, 3);
    for (const t of fixmes) {
      const n = Number(/item number (\d+)/.exec(t.title)![1]);
      const file = `src/f${String(Math.floor(n / 10)).padStart(2, '0')}.ts`;
      const text = readFileSync(join(h.repo.root, file), 'utf8');
      h.repo.write(file, text.replace(`// FIXME: item number ${n}\n`, ''));
    }
    h.repo.commit('fix three');
    result = await h.cycle();
    // The six HACK/XXX tickets below the removed lines moved up: followed without rewriting them.
    assert.equal(result.summary, '3 new tickets, 3 resolved in code; 247 more items waiting (50 open gathered tickets, the limit is 50)');
    assert.equal(h.open().length, 50);
    for (const t of fixmes) {
      const now = h.board.getTicket(t.id)!;
      assert.deepEqual([now.status, now.title], ['DONE', t.title], 'closed, not moved to a waiting neighbour');
    }
  });

  void it('lets the user lower the limits', async () => {
    h.settings = { maxOpen: 40, maxNewPerCycle: 2 };
    const result = await h.cycle();
    assert.match(result.summary, /^No change .*247 more items waiting \(50 open gathered tickets, the limit is 40\)$/);
    assert.equal(h.open().length, 50, 'a lower limit never closes tickets, it only stops new ones');
  });
});
