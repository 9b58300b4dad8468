import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedChange } from '../../../src/store/api';
import { renderTicketPage, type TicketDocumentData } from '../../../src/vscode/document/renderTicket';
import { ticketDescription } from '../../../src/vscode/tickets/ticketGroups';
import { ticket } from './ticketFixtures';

const AT = Date.UTC(2026, 0, 15, 9, 0, 0);
const worktree = { path: '/wt/T-3-x', branch: 'factory/T-3-x', base: 'main' };

function change(path: string, additions?: number, deletions?: number, kind = 'modified'): RecordedChange {
  return { ticketId: 'T-3', path, kind, additions, deletions, base: 'main', recordedAt: AT };
}

function page(overrides: Partial<TicketDocumentData>) {
  return renderTicketPage({
    ticket: ticket({ id: 'T-3', status: 'PM_REVIEW', worktree }),
    bugs: [], runs: [], history: [], checkIns: [], conversations: [], threadStats: new Map(), dependencies: [], attention: [],
    boardDir: '/wt/.factory', now: AT, time: () => 'then',
    ...overrides,
  });
}

void describe('the Changes section of the ticket page', () => {
  void it('lists each recorded file with its +/- lines, totals first; binary files say so; each path opens its diff', () => {
    const p = page({ changes: [change('src/a.ts', 10, 2), change('logo.png', undefined, undefined, 'added')] });
    const lines = p.text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('── Changes (2) '));
    assert.ok(at > 0, p.text);
    assert.match(lines[at + 1] ?? '', /^ {2}2 files \+10 −2 against main\./);
    assert.equal(lines[at + 2], '  M src/a.ts  +10 −2');
    assert.equal(lines[at + 3], '  A logo.png  binary');
    const diffs = p.links.filter((l) => l.target.kind === 'diff');
    assert.deepEqual(diffs.map((l) => [l.line, lines[l.line].slice(l.start, l.end), l.target]), [
      [at + 2, 'src/a.ts', { kind: 'diff', ticketId: 'T-3', path: 'src/a.ts' }],
      [at + 3, 'logo.png', { kind: 'diff', ticketId: 'T-3', path: 'logo.png' }],
    ]);
  });

  void it('shows a hostile path as one inert line; the diff link carries the recorded path, not page text', () => {
    const hostile = '[quit](command:workbench.action.quit)<img src=x onerror=alert(1)>\n── Bugs';
    const p = page({ changes: [change(hostile, 1, 0)] });
    assert.equal(p.text.split('\n').filter((l) => l.startsWith('── Bugs')).length, 1, 'no forged section');
    const [diff] = p.links.filter((l) => l.target.kind === 'diff');
    assert.deepEqual(diff?.target, { kind: 'diff', ticketId: 'T-3', path: hostile });
  });

  void it('appears once the ticket has a worktree, falling back to the files git reports; the Tickets view shows the totals', () => {
    const noWorktree = page({ ticket: ticket({ id: 'T-3', status: 'READY' }), changes: [change('src/a.ts', 1, 1)] });
    assert.doesNotMatch(noWorktree.text, /── Changes/);
    const unrecorded = page({ changes: [], changedFiles: [{ path: 'src/b.ts', kind: 'modified', sources: ['committed'] }] });
    assert.match(unrecorded.text, /── Changed files \(1\) ─+\n {2}M src\/b\.ts\n/);
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-3', status: 'IN_DEV', assignedAgent: 'claude' }), changes: { files: 3, additions: 12, deletions: 4 } }), 'claude · 3 files +12 −4');
  });
});
