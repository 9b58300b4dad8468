import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/store/schema';
import { openBoard } from '../../../src/store/sqlBoard';
import type { SqlBoard } from '../../../src/store/sqlBoard';
import { loadSqlJs } from '../../../src/store/sqlite';
import { fixturePath } from '../helpers/tempBoard';

describe('migrations', () => {
  let root: string;
  let dir: string;
  let board: SqlBoard;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'af-migrate-'));
    dir = join(root, '.factory');
    mkdirSync(dir);
    copyFileSync(fixturePath('board-v1.db'), join(dir, 'factory.db'));
    board = await openBoard({ dir, repoRoot: root, create: false, pollMs: 0 });
  });
  after(async () => {
    await board.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('opens the committed version 1 board and upgrades it, saying so', () => {
    assert.ok(SCHEMA_VERSION > 1, 'a later migration exists');
    assert.equal(board.openReport.migratedFrom, 1);
    assert.equal(board.openReport.restored, false);
    assert.equal(board.getMeta('schema_version'), String(SCHEMA_VERSION));
  });

  it('keeps everything the old version stored', () => {
    const t1 = board.getTicket('T-1');
    assert.equal(t1?.title, 'Log in with "SSO" <b>now</b>');
    assert.equal(t1?.description, 'Use the **IdP**; `$(whoami)`');
    assert.deepEqual(t1?.worktree, { path: '/w/T-1', branch: 'af/T-1-sso', base: 'main' });
    assert.equal(board.getTicket('T-2')?.blockedReason, 'waiting for 🔑');
    assert.equal(board.history('T-2').length, 5);
    assert.equal(board.listBugs('T-1')[0]?.severity, 'critical');
    assert.equal(board.listRuns({ status: 'running' }).length, 1);
    assert.equal(board.listMessages('cv-0000000001')[0]?.body, 'Blocked by a critical bug');
    assert.equal(board.latestCheckIn('T-1')?.findings.blockers[0], 'critical bug open');
    assert.equal(board.isFingerprintDeleted('todo:gone'), true);
    assert.equal(board.getAgentState('Security')?.paused, true);
    assert.equal(board.getMeta('board_note'), 'made by v1');
  });

  it('goes on numbering tickets where the old version stopped', async () => {
    const t = await board.write((tx) => tx.createTicket({ title: 'after upgrade' }, 'user'));
    assert.equal(t.id, 'T-3');
  });

  it('records each migration, persists the new schema, and does not migrate twice', async () => {
    await board.compact();
    const SQL = await loadSqlJs();
    const db = new SQL.Database(readFileSync(join(dir, 'factory.db')));
    try {
      const versions = db.exec('SELECT version FROM migrations ORDER BY version')[0]?.values.map((r) => r[0]);
      assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
      const indexes = db.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'runs_status'")[0]?.values ?? [];
      assert.equal(indexes.length, 1);
    } finally {
      db.close();
    }
    const again = await openBoard({ dir, repoRoot: root, create: false, pollMs: 0 });
    try {
      assert.equal(again.openReport.migratedFrom, undefined);
      assert.equal(again.getTicket('T-3')?.title, 'after upgrade');
    } finally {
      await again.close();
    }
  });
});
