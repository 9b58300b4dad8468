import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { scanCommentTags } from '../../../src/scan/gatherer/commentScan';
import { DEFAULT_TAGS } from '../../../src/scan/gatherer/commentTags';
import { gatheredLocation } from '../../../src/scan/gatherer/location';
import type { DiagnosticEntry } from '../../../src/scan/gatherer/diagnostics';
import { headCommit, readHeadFromFiles } from '../../../src/scan/common/head';
import { lines, makeGathererHarness, snapshot, type GathererHarness } from '../../fixtures/gatherer/harness';

void describe('Gatherer sources', () => {
  let h: GathererHarness;
  beforeEach(async () => {
    h = await makeGathererHarness();
  });
  afterEach(async () => {
    await h.dispose();
  });

  void it('never reads ignored, untracked, binary or board files', async () => {
    h.repo.write('.gitignore', 'ignored/\n*.log\n');
    h.repo.write('src/real.ts', lines('// TODO: the only real one'));
    h.repo.write('ignored/a.ts', lines('// TODO: in an ignored folder'));
    h.repo.write('debug.log', lines('# TODO: in an ignored file'));
    // A binary file: git grep -I skips it whatever it holds.
    writeFileSync(join(h.repo.root, 'blob.bin'), Buffer.concat([Buffer.from('// TODO: in a binary file\n'), Buffer.from([0, 1, 2, 0, 255])]));
    h.repo.commit('files');
    // Tracked on purpose (forced past its own .gitignore): the pathspec still keeps it out.
    h.repo.write('.factory/notes.ts', lines('// TODO: in the board folder'));
    h.git('add', '-f', '.factory/notes.ts');
    h.repo.commit('board file');
    h.repo.write('untracked.ts', lines('// TODO: not tracked yet'));
    assert.match(h.git('ls-files', '.factory'), /notes\.ts/);

    const { items } = await scanCommentTags(h.repo.root, { tags: DEFAULT_TAGS, exclude: [] });
    assert.deepEqual(
      items.map((i) => `${i.file}:${i.line} ${i.text}`),
      ['src/real.ts:1 the only real one'],
    );
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG TODO: the only real one']);
  });

  void it('reads files whose names hold spaces, colons, quotes and newlines', async () => {
    const names = ['odd name: (1).ts', 'quote"d.py', 'new\nline.sh', 'ünï/cödé.ts'];
    names.forEach((name, i) => h.repo.write(name, lines(i, `${name.endsWith('.ts') ? '//' : '#'} TODO: from file ${i}`)));
    h.repo.commit('odd names');
    const { items } = await scanCommentTags(h.repo.root, { tags: DEFAULT_TAGS, exclude: [] });
    assert.deepEqual(items.map((i) => [i.file, i.line, i.text]).sort(), names.map((name, i) => [name, i + 1, `from file ${i}`]).sort());
  });

  void it('runs from the main checkout even when tags are only in subfolders', async () => {
    h.repo.write('deep/er/still/x.ts', lines('// FIXME: deep'));
    h.repo.commit('deep');
    await h.cycle();
    const ticket = h.byTitle('FIXME: deep');
    assert.deepEqual(gatheredLocation(h.board, ticket.id), { file: 'deep/er/still/x.ts', line: 1 });
  });
});

void describe('Gatherer diagnostics through the port', () => {
  let h: GathererHarness;
  let entries: DiagnosticEntry[];
  let currentFiles: string[];
  beforeEach(async () => {
    h = await makeGathererHarness();
    entries = [];
    currentFiles = [];
    h.diagnostics = { snapshot: () => ({ entries, currentFiles }) };
    h.repo.write('.gitignore', 'generated/\n');
    h.repo.write('src/x.ts', lines('export const x: number = "a";'));
    h.repo.write('generated/out.ts', lines('bad'));
    h.repo.commit('files');
  });
  afterEach(async () => {
    await h.dispose();
  });

  function ts(file: string, line: number, severity: 'error' | 'warning' = 'error'): DiagnosticEntry {
    return { file: join(h.repo.root, file), line, severity, source: 'ts', message: `problem at ${line}` };
  }

  void it('makes one ticket per file and source, updates it, and closes it once the open file is clean', async () => {
    entries = [ts('src/x.ts', 1), ts('src/x.ts', 4), ts('src/x.ts', 9), ts('generated/out.ts', 1)];
    currentFiles = [join(h.repo.root, 'src/x.ts')];
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG 3 TypeScript errors in src/x.ts']);
    const ticket = h.byTitle('3 TypeScript errors in src/x.ts');
    assert.deepEqual([ticket.labels, ticket.priority, ticket.type], [['diagnostics'], 2, 'idea']);
    assert.match(ticket.description, /^src\/x\.ts:4 error: problem at 4$/m);

    entries = [ts('src/x.ts', 2), ts('src/x.ts', 5, 'warning')];
    await h.cycle();
    assert.deepEqual(snapshot(h.gathered()), ['BACKLOG 1 TypeScript error and 1 warning in src/x.ts']);
    assert.equal(h.gathered()[0].id, ticket.id);

    // The file is closed: the editor forgot its diagnostics, which says nothing about the code.
    entries = [];
    currentFiles = [];
    await h.cycle();
    assert.equal(h.board.getTicket(ticket.id)!.status, 'BACKLOG');

    // Open again and clean: fixed.
    currentFiles = [join(h.repo.root, 'src/x.ts')];
    await h.cycle();
    assert.equal(h.board.getTicket(ticket.id)!.status, 'DONE');
  });

  void it('leaves diagnostics tickets alone when running headless or with diagnostics turned off', async () => {
    entries = [ts('src/x.ts', 1)];
    currentFiles = [join(h.repo.root, 'src/x.ts')];
    await h.cycle();
    const ticket = h.byTitle('1 TypeScript error in src/x.ts');
    entries = [];
    h.settings = { includeDiagnostics: false };
    await h.cycle();
    h.settings = {};
    h.diagnostics = undefined;
    await h.cycle();
    assert.equal(h.board.getTicket(ticket.id)!.status, 'BACKLOG');
  });

  void it('closes a diagnostics ticket whose file was deleted (and the deletion committed)', async () => {
    entries = [ts('src/x.ts', 1)];
    await h.cycle();
    const ticket = h.byTitle('1 TypeScript error in src/x.ts');
    entries = [];
    h.remove('src/x.ts');
    h.repo.commit('delete x');
    await h.cycle();
    assert.equal(h.board.getTicket(ticket.id)!.status, 'DONE');
  });

  void it('puts errors before TODOs and warnings when the budget is short', async () => {
    h.settings = { maxNewPerCycle: 1 };
    h.repo.write('src/y.ts', lines('// TODO: later'));
    h.repo.commit('todo');
    entries = [ts('src/x.ts', 1, 'warning')];
    await h.cycle();
    entries.push(ts('src/y.ts', 1));
    await h.cycle();
    await h.cycle();
    const order = h.gathered().sort((a, b) => a.createdAt - b.createdAt).map((t) => t.title);
    assert.deepEqual(order, ['1 TypeScript warning in src/x.ts', '1 TypeScript error in src/y.ts', 'TODO: later']);
  });
});

void describe('Gatherer reading HEAD', () => {
  let h: GathererHarness;
  beforeEach(async () => {
    h = await makeGathererHarness();
  });
  afterEach(async () => {
    await h.dispose();
  });

  void it('reads the same commit from the files as git does: loose ref, packed ref, detached', async () => {
    const first = h.git('rev-parse', 'HEAD');
    assert.equal(await readHeadFromFiles(h.repo.root), first);
    h.git('pack-refs', '--all');
    assert.equal(await readHeadFromFiles(h.repo.root), first);
    const second = h.repo.commit('another');
    assert.equal(await readHeadFromFiles(h.repo.root), second);
    h.git('checkout', '-q', '--detach', first);
    assert.equal(await readHeadFromFiles(h.repo.root), first);
    assert.equal(await headCommit(h.repo.root), first);
  });

  void it('asks git when the files say nothing: an unborn branch has no HEAD commit', async () => {
    h.git('checkout', '-q', '--orphan', 'empty');
    assert.equal(await readHeadFromFiles(h.repo.root), undefined);
    assert.equal(await headCommit(h.repo.root), undefined);
  });
});
