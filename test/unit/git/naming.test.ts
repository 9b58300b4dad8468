import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { FactoryError } from '../../../src/domain/errors';
import {
  checkedTicketNames,
  defaultWorktreeLocation,
  resolveWorktreeLocation,
  slugify,
  ticketNames,
  validateBranchPrefix,
} from '../../../src/git/naming';
import { SimpleGitPort } from '../../../src/git/simpleGitPort';

const repo = join(sep, 'work', 'projects', 'shop');
const git = new SimpleGitPort();
const checkRef = (name: string): Promise<boolean> => git.checkRefFormat(name);

const HOSTILE_TITLES = [
  '../../etc; rm -rf ~',
  '🔥🚀✨',
  '',
  '   ',
  '...',
  '.lock',
  'refs/heads/main',
  '-rf --force',
  'a'.repeat(500),
  'Ünïcödé façade naïve café — straße',
  '日本語のタイトル',
  'HEAD@{-1}',
  'x\u0000y\nz',
  'C:\\Windows\\System32',
  '~/.ssh/id_rsa',
  '$(touch /tmp/pwned) `id`',
];

void describe('slugify', () => {
  void it('keeps lowercase ASCII letters, digits and single dashes', () => {
    assert.equal(slugify('Fix the Login bug (#42)!'), 'fix-the-login-bug-42');
  });

  void it('drops accents but keeps their letters', () => {
    assert.equal(slugify('Café façade naïve'), 'cafe-facade-naive');
  });

  void it('falls back to "ticket" when nothing usable is left', () => {
    assert.equal(slugify('🔥🚀✨'), 'ticket');
    assert.equal(slugify('日本語'), 'ticket');
    assert.equal(slugify('...'), 'ticket');
  });

  void it('is at most 40 characters and never ends with a dash after the cut', () => {
    const slug = slugify(`${'abc '.repeat(30)}`);
    assert.ok(slug.length <= 40, slug);
    assert.match(slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  void it('turns a path traversal with a shell command into plain words', () => {
    assert.equal(slugify('../../etc; rm -rf ~'), 'etc-rm-rf');
  });
});

void describe('ticketNames', () => {
  void it('puts worktrees beside the repository by default', () => {
    const names = ticketNames(repo, { id: 'T-7', title: 'Add search' });
    assert.equal(names.location, join(dirname(repo), 'shop.worktrees'));
    assert.equal(names.path, join(dirname(repo), 'shop.worktrees', 'T-7-add-search'));
    assert.equal(names.branch, 'factory/T-7-add-search');
    assert.equal(defaultWorktreeLocation(repo), names.location);
  });

  void it('uses the configured location and prefix', () => {
    const names = ticketNames(repo, { id: 'T-12', title: 'X' }, { location: '/tmp/wt', branchPrefix: 'agents/' });
    assert.equal(names.path, join('/tmp/wt', 'T-12-x'));
    assert.equal(names.branch, 'agents/T-12-x');
    assert.equal(ticketNames(repo, { id: 'T-1', title: 'y' }, { branchPrefix: '' }).branch, 'T-1-y');
  });

  void it('resolves ~ and relative locations', () => {
    assert.equal(resolveWorktreeLocation(repo, '~/wt'), join(homedir(), 'wt'));
    assert.equal(resolveWorktreeLocation(repo, '.worktrees'), join(repo, '.worktrees'));
    assert.equal(resolveWorktreeLocation(repo, '  '), defaultWorktreeLocation(repo));
  });

  void it('refuses an id that is not a ticket id, whatever the title', () => {
    assert.throws(() => ticketNames(repo, { id: '../T-1', title: 'x' }), FactoryError);
    assert.throws(() => ticketNames(repo, { id: 'T-1/../../x', title: 'x' }), FactoryError);
  });

  for (const title of HOSTILE_TITLES) {
    void it(`a hostile title gives a safe folder inside the location and a valid branch: ${JSON.stringify(title).slice(0, 40)}`, async () => {
      const names = await checkedTicketNames(checkRef, repo, { id: 'T-3', title });
      const rel = relative(names.location, names.path);
      assert.equal(dirname(names.path), names.location);
      assert.ok(!rel.includes('..') && !rel.includes(sep), rel);
      assert.match(rel, /^T-3-[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(names.slug.length >= 1 && names.slug.length <= 40);
      assert.equal(names.branch, `factory/${rel}`);
    });
  }
});

void describe('validateBranchPrefix', () => {
  void it('accepts the usual shapes', () => {
    for (const ok of ['factory/', 'agents/tickets/', 'af-', '', 'team.a/']) assert.equal(validateBranchPrefix(ok), ok);
    assert.equal(validateBranchPrefix(undefined), 'factory/');
  });

  void it('refuses prefixes git would refuse or read as options, naming the setting', () => {
    for (const bad of ['-x/', '/abs/', 'a//b/', 'a..b/', '.hidden/', 'x.lock/', 'sp ace/', 'a~b', 'a:b', 'a\\b']) {
      assert.throws(() => validateBranchPrefix(bad), (err: unknown) => err instanceof FactoryError && /branchPrefix/.test(err.message), bad);
    }
  });
});

void describe('checkRefFormat', () => {
  void it('agrees with git on good and bad names, and does not expand @{-1}', async () => {
    assert.equal(await git.checkRefFormat('factory/T-1-x'), true);
    assert.equal(await git.checkRefFormat('a..b'), false);
    assert.equal(await git.checkRefFormat('x.lock'), false);
    assert.equal(await git.checkRefFormat('-x'), false);
    assert.equal(await git.checkRefFormat('@{-1}'), false);
    assert.equal(await git.checkRefFormat('has space'), false);
  });

  void it('checkedTicketNames refuses a prefix git rejects even if it passed the shape check', async () => {
    await assert.rejects(checkedTicketNames(async () => false, repo, { id: 'T-1', title: 'x' }), /branchPrefix/);
  });
});
