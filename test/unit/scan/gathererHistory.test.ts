/**
 * The Gatherer over a scripted history of tens of commits, one cycle after each, against one
 * board. A model of the code knows every TODO as a logical item with its place; after every cycle
 * each item present in the code must have exactly one open ticket, the same one all along, that
 * knows where it is now, and each item gone must have its own ticket closed, nobody else's.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatheredLocation } from '../../../src/scan/gatherer/location';
import { makeGathererHarness, type GathererHarness } from '../../fixtures/gatherer/harness';

type Entry = { todo: string; text: string; tag?: string } | { code: string };

/** The code as the model knows it: files of entries, each TODO with the id of the logical item it is. */
class Model {
  readonly files = new Map<string, Entry[]>();
  private nextCode = 1;

  code(): Entry {
    return { code: `step${this.nextCode++}();` };
  }

  /** A TODO above a line of code of its own. */
  todo(id: string, text: string, tag = 'TODO'): Entry[] {
    return [{ todo: id, text, tag }, this.code()];
  }

  render(file: string, entries: readonly Entry[]): string {
    const md = file.endsWith('.md');
    const py = file.endsWith('.py');
    return `${entries
      .map((e) => {
        // Markdown: a blank line, so that a note is its own paragraph.
        if ('code' in e) return md ? '' : e.code;
        return md ? `- ${e.tag ?? 'TODO'}: ${e.text}` : py ? `# ${e.tag ?? 'TODO'}: ${e.text}` : `// ${e.tag ?? 'TODO'}: ${e.text}`;
      })
      .join('\n')}\n`;
  }

  /** Every logical item in the code: id -> file, line, text. */
  items(): Map<string, { file: string; line: number; text: string }> {
    const out = new Map<string, { file: string; line: number; text: string }>();
    for (const [file, entries] of this.files) {
      entries.forEach((e, i) => {
        if ('todo' in e) out.set(e.todo, { file, line: i + 1, text: e.text });
      });
    }
    return out;
  }
}

describe('Gatherer over a scripted history of tens of commits', () => {
  let h: GathererHarness;
  const model = new Model();
  /** Logical item -> its ticket, fixed when the ticket is created. */
  const ticketOf = new Map<string, string>();
  const closedItems = new Set<string>();
  let commits = 0;

  const writeFiles = (): void => {
    for (const [file, entries] of model.files) {
      const abs = join(h.repo.root, file);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, model.render(file, entries));
    }
  };
  const commit = (message: string): void => {
    writeFiles();
    h.repo.commit(message);
    commits++;
  };

  /** One cycle, then every promise of the Gatherer checked against the model. */
  const cycleAndCheck = async (step: string): Promise<void> => {
    await h.cycle();
    const present = model.items();
    const tickets = h.gathered();
    const open = tickets.filter((t) => t.status !== 'DONE');
    const itemOfTicket = new Map([...ticketOf].map(([item, ticket]) => [ticket, item]));
    for (const t of open) {
      if (itemOfTicket.has(t.id)) continue;
      // A new ticket: it must be for an item that has none yet, and that item is where it says.
      const at = gatheredLocation(h.board, t.id);
      const item = [...present].find(([id, p]) => !ticketOf.has(id) && at?.file === p.file && at.line === p.line);
      assert.ok(item, `${step}: ${t.id} "${t.title}" is for no new item in the code (a duplicate?)`);
      ticketOf.set(item[0], t.id);
      itemOfTicket.set(t.id, item[0]);
    }
    assert.equal(open.length, present.size, `${step}: ${open.length} open tickets for ${present.size} items`);
    for (const [id, p] of present) {
      const ticketId = ticketOf.get(id);
      assert.ok(ticketId, `${step}: item ${id} has no ticket`);
      const ticket = h.board.getTicket(ticketId)!;
      assert.notEqual(ticket.status, 'DONE', `${step}: item ${id} is still in the code but its ticket ${ticketId} was closed`);
      assert.deepEqual(gatheredLocation(h.board, ticketId), { file: p.file, line: p.line }, `${step}: item ${id} moved and its ticket did not follow`);
      assert.match(ticket.title, new RegExp(`: ${p.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), `${step}: item ${id}'s edit was not followed`);
    }
    for (const id of [...ticketOf.keys()].filter((i) => !present.has(i))) {
      closedItems.add(id);
      assert.equal(h.board.getTicket(ticketOf.get(id)!)!.status, 'DONE', `${step}: item ${id} left the code but its ticket is open`);
    }
  };

  before(async () => {
    h = await makeGathererHarness();
    h.settings = { maxNewPerCycle: 200, maxOpen: 500 };
  });
  after(async () => {
    await h.dispose();
  });

  it('follows every move, rename and edit, with no duplicate and no wrong closure', async () => {
    // 24 copies of one TODO, each above a line of code of its own.
    const copies: Entry[] = [];
    for (let i = 1; i <= 24; i++) copies.push(...model.todo(`copy${i}`, 'handle the error'));
    model.files.set('src/io.ts', copies);
    model.files.set('src/app.ts', [...model.todo('cache', 'cache the config'), ...model.todo('retry', 'retry the upload'), model.code()]);
    model.files.set('tools/build.py', [...model.todo('pin', 'pin the compiler', 'FIXME'), ...Array.from({ length: 12 }, () => model.code())]);
    model.files.set('docs/plan.md', [model.code(), ...model.todo('docs', 'write the install guide')]);
    commit('initial tree');
    await cycleAndCheck('initial tree');

    // The copies are fixed one by one, in an order that is neither first nor last, some with their code.
    const order = [7, 13, 2, 24, 1, 18, 11, 5, 20, 9];
    for (const [k, n] of order.entries()) {
      const entries = model.files.get('src/io.ts')!;
      const at = entries.findIndex((e) => 'todo' in e && e.todo === `copy${n}`);
      // Every other fix also changes the code the TODO was about.
      entries.splice(at, k % 2 === 0 ? 1 : 2, ...(k % 2 === 0 ? [] : [model.code()]));
      commit(`fix copy ${n}`);
      await cycleAndCheck(`fix copy ${n}`);
    }

    // Code added above moves everything below it.
    model.files.get('src/app.ts')!.unshift(model.code(), model.code(), model.code());
    commit('imports');
    await cycleAndCheck('line move');

    // A TODO reworded in place.
    const app = model.files.get('src/app.ts')!;
    const retry = app.find((e) => 'todo' in e && e.todo === 'retry') as { todo: string; text: string };
    retry.text = 'retry the upload with backoff';
    commit('reword');
    await cycleAndCheck('edit');

    // A TODO cut from one file and pasted, unchanged, into another (no rename git could see).
    const cacheAt = app.findIndex((e) => 'todo' in e && e.todo === 'cache');
    const [cacheTodo] = app.splice(cacheAt, 1);
    model.files.set('src/config.ts', [model.code(), cacheTodo, model.code()]);
    commit('move the cache TODO');
    await cycleAndCheck('move to another file');

    // A file renamed (git sees the rename: most of it is unchanged), with an edit in the same commit.
    rmSync(join(h.repo.root, 'tools/build.py'));
    const build = model.files.get('tools/build.py')!;
    model.files.delete('tools/build.py');
    (build.find((e) => 'todo' in e) as { text: string }).text = 'pin the compiler version';
    build.unshift(model.code());
    model.files.set('scripts/build.py', build);
    commit('rename the build script');
    await cycleAndCheck('rename and edit');

    // Renamed and staged, not committed.
    h.mv('src/config.ts', 'src/settings/config.ts');
    model.files.set('src/settings/config.ts', model.files.get('src/config.ts')!);
    model.files.delete('src/config.ts');
    await cycleAndCheck('staged rename');
    h.repo.commit('commit the rename');
    commits++;
    await cycleAndCheck('rename committed');

    // Vendored code, a tag in a string and a minified bundle: no new items.
    h.repo.write('vendor/lib/dep.ts', '// TODO: not ours\n');
    h.repo.write('src/strings.ts', 'export const label = "50% TODO done";\n');
    h.repo.write('public/bundle.js', `!function(){${'var a=1;'.repeat(300)}/* TODO: minified */}();\n`);
    commit('vendor, strings, bundle');
    await cycleAndCheck('vendored and non-comments');

    // New items arrive while others go, in several commits.
    for (let i = 1; i <= 6; i++) {
      model.files.get('src/app.ts')!.push(...model.todo(`new${i}`, `follow-up number ${i}`));
      if (i % 2 === 0) model.files.get('src/app.ts')!.splice(0, 1);
      commit(`follow-up ${i}`);
      await cycleAndCheck(`follow-up ${i}`);
    }
    for (const n of [3, 4, 6]) {
      const entries = model.files.get('src/app.ts')!;
      entries.splice(entries.findIndex((e) => 'todo' in e && e.todo === `new${n}`), 1);
      commit(`done with follow-up ${n}`);
      await cycleAndCheck(`done with follow-up ${n}`);
    }

    // Three of the copies move, with the code under them, into a new file of their own.
    for (const n of [3, 4, 6]) {
      const io = model.files.get('src/io.ts')!;
      const at = io.findIndex((e) => 'todo' in e && e.todo === `copy${n}`);
      const block = io.splice(at, 2);
      model.files.set('src/errors.ts', [...(model.files.get('src/errors.ts') ?? []), ...block]);
      commit(`move copy ${n} to errors.ts`);
      await cycleAndCheck(`move copy ${n}`);
    }

    // The Markdown note is reworded.
    const plan = model.files.get('docs/plan.md')!;
    (plan.find((e) => 'todo' in e) as { text: string }).text = 'write the install guide for Windows';
    commit('plan');
    await cycleAndCheck('markdown edit');

    assert.ok(commits >= 30, `${commits} commits`);
    assert.ok(closedItems.size >= 13, `${closedItems.size} items closed`);
  });
});
