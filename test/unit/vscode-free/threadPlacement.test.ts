import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conversation } from '../../../src/domain/conversation';
import { conversationLines, CONVERSATIONS_LINE } from '../../../src/vscode/document/renderTicket';
import { fileInWorktree, placeConversation } from '../../../src/vscode/comments/threadPlacement';
import { ticket } from './ticketFixtures';

const AT = Date.UTC(2026, 0, 15, 9, 0, 0);
const conversation = (overrides: Partial<Conversation> = {}): Conversation => ({
  id: 'cv-000001',
  ticketId: 'T-3',
  type: 'pm_checkin',
  title: 'PM check-in',
  status: 'open',
  createdAt: AT,
  updatedAt: AT,
  ...overrides,
});
const worktree = { path: '/work/repo.worktrees/T-3-x', branch: 'factory/T-3-x', base: 'main' };

describe('thread placement', () => {
  it('puts a check-in on the ticket page at its own line of the Conversations section', () => {
    assert.deepEqual(placeConversation(conversation(), ticket({ id: 'T-3', worktree }), 7), { kind: 'document', ticketId: 'T-3', line: 7 });
    const lines = conversationLines([conversation({ id: 'cv-000009', createdAt: AT + 5 }), conversation(), conversation({ id: 'cv-000002' })]);
    assert.deepEqual([...lines], [
      ['cv-000001', CONVERSATIONS_LINE + 1],
      ['cv-000002', CONVERSATIONS_LINE + 2],
      ['cv-000009', CONVERSATIONS_LINE + 3],
    ]);
  });

  it('puts a security finding on its file in the ticket worktree, at the 0-based line', () => {
    const placed = placeConversation(conversation({ type: 'security', file: 'src/config.ts', line: 12 }), ticket({ id: 'T-3', worktree }), 5);
    assert.deepEqual(placed, { kind: 'file', fsPath: '/work/repo.worktrees/T-3-x/src/config.ts', line: 11 });
  });

  it('falls back to the document without a worktree, or when the path leaves the worktree', () => {
    assert.equal(placeConversation(conversation({ file: 'a.ts', line: 1 }), ticket({ id: 'T-3' }), 5).kind, 'document');
    for (const file of ['../other/a.ts', '/etc/passwd', 'a/../../x', '.', 'a\0b']) {
      assert.equal(fileInWorktree(worktree.path, file), undefined, file);
    }
    assert.equal(fileInWorktree(worktree.path, '..config/x.ts'), '/work/repo.worktrees/T-3-x/..config/x.ts');
  });

  it('puts a finding without a usable line on the first line', () => {
    const placed = placeConversation(conversation({ file: 'a.ts', line: 0 }), ticket({ id: 'T-3', worktree }), 5);
    assert.deepEqual(placed, { kind: 'file', fsPath: '/work/repo.worktrees/T-3-x/a.ts', line: 0 });
  });
});
