import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import type { RecordedChange } from '../../../src/store/api';
import { CHANGES_HEADING, changeLine } from '../../../src/vscode/document/renderChanges';
import { renderTicketDocument } from '../../../src/vscode/document/renderTicket';
import { ticketDescription } from '../../../src/vscode/tickets/ticketGroups';
import { ticket } from './ticketFixtures';

const AT = Date.UTC(2026, 0, 15, 9, 0, 0);
const preview = new MarkdownIt({ html: true, linkify: true });

function change(path: string, additions?: number, deletions?: number, kind = 'modified'): RecordedChange {
  return { ticketId: 'T-3', path, kind, additions, deletions, base: 'main', recordedAt: AT };
}

void describe('the Changes section of the ticket document', () => {
  const worktree = { path: '/wt/T-3-x', branch: 'factory/T-3-x', base: 'main' };

  void it('lists each changed file with its +/- lines, totals first; binary files say so', () => {
    const text = renderTicketDocument({
      ticket: ticket({ id: 'T-3', status: 'PM_REVIEW', worktree }),
      bugs: [], runs: [], history: [], checkIns: [], conversations: [], dependencies: [], salvages: [],
      changes: [change('src/a.ts', 10, 2), change('logo.png', undefined, undefined, 'added')],
    });
    const lines = text.split('\n');
    const at = lines.indexOf(CHANGES_HEADING);
    assert.ok(at > 0);
    assert.match(lines[at + 2] ?? '', /^2 files \+10 −2 against main\./);
    assert.equal(lines[at + 4], '- src/a\\.ts (modified, +10 −2)');
    assert.equal(lines[at + 5], '- logo\\.png (added, binary)');
  });

  void it('renders a hostile path as text: no link, no HTML, no forged section', () => {
    const hostile = change('[quit](command:workbench.action.quit)<img src=x onerror=alert(1)>\n## Bugs', 1, 0);
    const line = changeLine(hostile);
    const html = preview.render(line);
    assert.ok(!html.includes('<a') && !html.includes('<img'), html);
    assert.ok(!line.includes('\n'));
  });

  void it('appears once the ticket has a worktree; the Tickets view shows the totals', () => {
    const text = renderTicketDocument({ ticket: ticket({ id: 'T-3', status: 'READY' }), bugs: [], runs: [], history: [], checkIns: [], conversations: [], dependencies: [], salvages: [] });
    assert.ok(!text.includes(CHANGES_HEADING));
    const empty = renderTicketDocument({ ticket: ticket({ id: 'T-3', status: 'IN_DEV', worktree }), bugs: [], runs: [], history: [], checkIns: [], conversations: [], dependencies: [], salvages: [], changes: [] });
    assert.match(empty, /No changes recorded yet/);
    assert.equal(ticketDescription({ ticket: ticket({ id: 'T-3', status: 'IN_DEV', assignedAgent: 'claude' }), changes: { files: 3, additions: 12, deletions: 4 } }), 'claude · 3 files +12 −4');
  });
});
