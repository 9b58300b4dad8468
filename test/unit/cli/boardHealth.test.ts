import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBoard } from '../../../src/store/sqlBoard';
import { deadPid } from '../helpers/deadPid';
import { makeTempRepo, type TempRepo } from '../helpers/tempRepo';
import { cli } from './cliProcess';

describe('the CLI keeps the board healthy and says what happened to it', () => {
  let repo: TempRepo;
  let cwd: string;
  let dir: string;
  before(async () => {
    repo = makeTempRepo();
    cwd = repo.root;
    dir = path.join(cwd, '.factory');
    assert.equal((await cli(['init'], { cwd })).code, 0);
  });
  after(() => repo.dispose());

  it('refuses numbers that are not plain: --priority 0x1, " 2 ", 2.0; progress 1e1, 0x10, " 5 "', async () => {
    for (const bad of ['0x1', ' 2 ', '2.0', '2e0', '']) {
      const r = await cli(['create', 'a title', '--priority', bad], { cwd });
      assert.equal(r.code, 2, `--priority ${JSON.stringify(bad)} was accepted`);
      assert.match(r.stderr, /--priority must be 1 \(critical\) to 4 \(low\)/);
    }
    assert.equal((await cli(['create', 'a title', '--priority', '2'], { cwd })).code, 0);
    const env = { AGENT_FACTORY_RUN_ID: 'r-0123456789abcdef', AGENT_FACTORY_BOARD: dir };
    for (const bad of ['1e1', '0x10', ' 5 ', '', '101', '1,5']) {
      const r = await cli(['progress', bad], { cwd, env });
      assert.equal(r.code, 2, `progress ${JSON.stringify(bad)} was accepted`);
      assert.match(r.stderr, /progress must be a number from 0 to 100/);
    }
  });

  it('prints a right-to-left override in a title as a placeholder, never raw', async () => {
    const rlo = '\u202e';
    const id = (await cli(['create', `invoice ${rlo}fdp.exe`], { cwd })).stdout.trim();
    for (const args of [['list'], ['show', id]]) {
      const out = (await cli(args, { cwd })).stdout;
      assert.ok(!out.includes(rlo), `${args[0]} printed the override raw`);
      assert.match(out, /invoice \?fdp\.exe/);
    }
  });

  it('reports a repair on stderr exactly once, and opens a board whose database is missing but whose last good copy is there', async () => {
    writeFileSync(path.join(dir, 'factory.db'), 'not a database');
    const repaired = await cli(['list'], { cwd });
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stderr, /^agent-factory: warning: The board was damaged and has been repaired: the database file was damaged .*the last good copy was restored/m);
    assert.match(repaired.stdout, /invoice/);
    const quiet = await cli(['list'], { cwd });
    assert.equal(quiet.stderr, '', 'the repair is reported by the process that made it');

    renameSync(path.join(dir, 'factory.db'), path.join(dir, 'moved-away'));
    const restored = await cli(['list'], { cwd });
    assert.equal(restored.code, 0, restored.stderr);
    assert.doesNotMatch(restored.stderr, /no board/);
    assert.match(restored.stderr, /warning: The board was damaged and has been repaired: the database file was missing/);
    assert.match(restored.stdout, /invoice/);
  });

  it('compacts a journal over the threshold and removes temporary files killed compactions left', async () => {
    const board = await openBoard({ dir, repoRoot: cwd, pollMs: 0, compactBytes: Number.MAX_SAFE_INTEGER });
    for (let i = 0; i < 14; i++) await board.write((tx) => tx.createTicket({ title: `big ${i}`, description: 'x'.repeat(90_000) }, 'user'));
    await board.close();
    const journal = path.join(dir, 'factory.db.journal');
    assert.ok(statSync(journal).size > 1024 * 1024);
    const dead = deadPid();
    const stale = [`factory.db.tmp-${dead}-0badc0de`, `factory.db.bak.tmp-${dead}-0badc0de`].map((f) => path.join(dir, f));
    for (const file of stale) writeFileSync(file, Buffer.alloc(100_000));

    const listed = await cli(['list'], { cwd });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(statSync(journal).size < 64 * 1024, `the journal is still ${statSync(journal).size} bytes`);
    for (const file of stale) assert.equal(existsSync(file), false, `${path.basename(file)} is still there`);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
    assert.equal(listed.stdout.trim().split('\n').length, 16, 'two tickets from the tests above and 14 big ones');
  });
});
