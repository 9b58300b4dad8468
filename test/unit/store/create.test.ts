import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import { resolveBoardLocationWithoutGit } from '../../../src/store/location';
import { createBoard, openBoard } from '../../../src/store/sqlBoard';
import { makeTempBoard } from '../helpers/tempBoard';

/** A closed board whose folder holds only the file(s) `keep` names, with their real contents. */
async function boardLeaving(keep: string[]): Promise<{ root: string; dir: string; files: Map<string, Buffer>; dispose(): void }> {
  const tb = await makeTempBoard();
  await tb.board.write((tx) => tx.createTicket({ title: 'kept' }, 'user'));
  await tb.board.close();
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(tb.dir)) {
    if (keep.includes(name)) files.set(name, readFileSync(join(tb.dir, name)));
    else rmSync(join(tb.dir, name), { recursive: true, force: true });
  }
  return { root: tb.root, dir: tb.dir, files, dispose: () => rmSync(tb.root, { recursive: true, force: true }) };
}

const cases: [string, string[], RegExp][] = [
  ['the database alone', ['factory.db'], /a board already exists at .*factory\.db/],
  ['the last good copy alone', ['factory.db.bak'], /factory\.db\.bak \(the last good copy of a board\) exists/],
  ['the journal alone', ['factory.db.journal'], /factory\.db\.journal holds changes of a board whose database is missing/],
];

describe('creating a board', () => {
  it('creates an empty board in an empty folder, once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'af-create-'));
    const dir = join(root, '.factory');
    try {
      const board = await createBoard({ dir, repoRoot: root, pollMs: 0 });
      assert.equal(board.openReport.created, true);
      assert.deepEqual(board.listTickets(), []);
      await board.write((tx) => tx.createTicket({ title: 'first' }, 'user'));
      await board.close();
      await assert.rejects(createBoard({ dir, repoRoot: root, pollMs: 0 }), /refusing to create a board: a board already exists/);
      const reopened = await openBoard({ dir, repoRoot: root, pollMs: 0, create: false });
      assert.deepEqual(reopened.listTickets().map((t) => t.title), ['first']);
      await reopened.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  for (const [what, keep, message] of cases) {
    it(`refuses to create over ${what}, with the reason, and leaves it untouched`, async () => {
      const left = await boardLeaving(keep);
      try {
        const error = await createBoard({ dir: left.dir, repoRoot: left.root, pollMs: 0 }).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(error instanceof FactoryError, `expected a refusal, got ${String(error)}`);
        assert.equal(error.reason, 'board-exists');
        assert.match(error.message, message);
        assert.deepEqual(readdirSync(left.dir).sort(), [...left.files.keys()].sort(), 'nothing was added or removed');
        for (const [name, bytes] of left.files) assert.deepEqual(readFileSync(join(left.dir, name)), bytes, `${name} is unchanged`);
      } finally {
        left.dispose();
      }
    });
  }

  it('does not start an empty board over a journal when opening allows creation either', async () => {
    const left = await boardLeaving(['factory.db.journal']);
    try {
      await assert.rejects(openBoard({ dir: left.dir, repoRoot: left.root, pollMs: 0, create: true }), (err: unknown) => {
        assert.ok(err instanceof FactoryError);
        assert.equal(err.reason, 'board-exists');
        return true;
      });
      assert.equal(existsSync(join(left.dir, 'factory.db')), false);
      assert.deepEqual(readFileSync(join(left.dir, 'factory.db.journal')), left.files.get('factory.db.journal'));
    } finally {
      left.dispose();
    }
  });

  for (const [what, keep] of cases) {
    it(`counts ${what} as a board where a folder's board is looked for`, async () => {
      const left = await boardLeaving(keep);
      try {
        // What the look-up without git needs of a repository: its .git folder.
        mkdirSync(join(left.root, '.git'));
        const location = await resolveBoardLocationWithoutGit(left.root);
        assert.equal(location?.exists, true);
      } finally {
        left.dispose();
      }
    });
  }

  it('reports a journal without its database as damage when opening, and keeps it', async () => {
    const left = await boardLeaving(['factory.db.journal']);
    try {
      await assert.rejects(openBoard({ dir: left.dir, repoRoot: left.root, pollMs: 0, create: false }), /database and its last good copy are missing; .*factory\.db\.journal still holds its changes/);
      assert.deepEqual(readFileSync(join(left.dir, 'factory.db.journal')), left.files.get('factory.db.journal'));
    } finally {
      left.dispose();
    }
  });

  it('is not stopped by an empty journal (what an interrupted creation leaves)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'af-create-'));
    const dir = join(root, '.factory');
    try {
      await createBoard({ dir, repoRoot: root, pollMs: 0 }).then((b) => b.close());
      for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
      writeFileSync(join(dir, 'factory.db.journal'), '');
      const board = await createBoard({ dir, repoRoot: root, pollMs: 0 });
      assert.equal(board.openReport.created, true);
      await board.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
