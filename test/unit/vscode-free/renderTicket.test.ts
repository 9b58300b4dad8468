import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import type { CheckIn } from '../../../src/domain/checkin';
import type { Conversation } from '../../../src/domain/conversation';
import { CHECK_INS_LINE, renderTicketDocument, type TicketDocumentData } from '../../../src/vscode/document/renderTicket';
import { escapeBlock, escapeInline } from '../../../src/vscode/document/untrustedText';
import { ticket } from './ticketFixtures';

// Configured like VS Code's markdown preview: raw HTML allowed, bare URLs turned into links.
const preview = new MarkdownIt({ html: true, linkify: true });

const HOSTILE = [
  '[quit](command:workbench.action.quit)',
  '<img src=x onerror=alert(1)>',
  '```js\nalert(1)\n```',
  '`code` ~~~ $x^2$',
  'see https://evil.example/x and www.evil.com, evil.com/path or mail@evil.com',
  '<https://evil.example>',
  '[ref]\n\n[ref]: command:workbench.action.quit',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '![pic](https://evil.example/p.png)',
  '| a | b |\n|---|---|\n| c | d |',
];

const AT = Date.UTC(2026, 0, 15, 9, 0, 0);

function data(overrides: Partial<TicketDocumentData> = {}): TicketDocumentData {
  return {
    ticket: ticket({ id: 'T-12', status: 'IN_DEV', title: 'Add retry', description: 'Retry **uploads**.', labels: ['net'], acceptanceCriteria: ['retries 3 times'] }),
    bugs: [],
    runs: [],
    history: [{ ticketId: 'T-12', from: null, to: 'BACKLOG', at: AT, by: 'user' }],
    checkIns: [],
    conversations: [],
    dependencies: [],
    salvages: [],
    ...overrides,
  };
}

/** Everything in the rendered HTML that is markup of some kind. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-z0-9]+)[\s>]/g)].map((m) => m[1]);
}

describe('ticket document', () => {
  it('renders the ticket as markdown with its sections in order', () => {
    const text = renderTicketDocument(data());
    const headings = text.split('\n').filter((l) => l.startsWith('#'));
    assert.deepEqual(headings, ['# T-12: Add retry', '## Check-ins', '## Details', '## Description', '## Acceptance criteria', '## Bugs', '## Runs', '## History']);
    assert.match(text, /\*\*Status:\*\* In Development \(IN_DEV\) · \*\*Priority:\*\* medium/);
    assert.match(text, /- Labels: net/);
    assert.match(text, /- retries 3 times/);
    assert.match(text, /- 2026-01-15 09:00 UTC created in BACKLOG by user/);
    assert.match(text, /Retry \\\*\\\*uploads\\\*\\\*\./, 'the description is shown as text, not as markdown');
  });

  it('lists what the ticket depends on with their statuses, and what a ready ticket still waits on', () => {
    const dependencies = [
      { id: 'T-3', title: 'Schema [v2](command:x)', status: 'DONE' as const },
      { id: 'T-4', title: 'API', status: 'IN_DEV' as const },
    ];
    const waiting = renderTicketDocument(data({ ticket: ticket({ id: 'T-12', status: 'READY', dependsOn: ['T-3', 'T-4'] }), dependencies }));
    assert.match(waiting, /- Depends on: T-3 Schema \\\[v2\\\]\\\(command\\:x\\\) \(Done\), T-4 API \(In Development\)/);
    assert.match(waiting, /- Waiting on T-4 before it can start/);
    assert.match(renderTicketDocument(data()), /- Depends on: nothing/);
    assert.doesNotMatch(renderTicketDocument(data({ dependencies })), /Waiting on/, 'only a READY ticket waits to start');
  });

  it('keeps the Check-ins heading on the same line whatever the title, description or check-in says', () => {
    const checkIn: CheckIn = {
      id: 'ci-000001',
      ticketId: 'T-12',
      type: 'blocker',
      summary: 'line one\nline two\n\n## fake',
      findings: { progressPercent: 40, concerns: [], blockers: ['x'], achievements: [], evidence: [], stalled: false },
      actionRequired: true,
      resolved: false,
      createdAt: AT,
    };
    const conversation: Conversation = { id: 'cv-000001', ticketId: 'T-12', type: 'pm_checkin', title: 'PM', status: 'open', createdAt: AT, updatedAt: AT };
    for (const d of [
      data(),
      data({ ticket: ticket({ id: 'T-12', title: 'a\nmulti\r\nline\ttitle', description: 'x\n'.repeat(50) }) }),
      data({ checkIns: [checkIn], conversations: [conversation] }),
    ]) {
      const lines = renderTicketDocument(d).split('\n');
      assert.equal(lines[CHECK_INS_LINE], '## Check-ins');
    }
    const withCheckIn = renderTicketDocument(data({ checkIns: [checkIn], conversations: [conversation] })).split('\n');
    assert.match(withCheckIn[CHECK_INS_LINE + 2], /^1 conversation, 1 open\. Latest check-in 2026-01-15 09:00 UTC: blocker, 40\.0% \(needs attention\)\. line one line two \\#\\# fake$/);
  });

  it('lists open and fixed bugs, the worktree and the runs', () => {
    const text = renderTicketDocument(
      data({
        ticket: ticket({ id: 'T-12', status: 'IN_DEV', worktree: { path: '/w/repo.worktrees/T-12-add-retry', branch: 'factory/T-12-add-retry', base: 'main' } }),
        bugs: [
          { id: 'bg-000001', ticketId: 'T-12', title: 'AWS key in config', description: '', severity: 'critical', foundBy: 'Security', file: 'src/config.ts', line: 3, fixed: false, createdAt: AT },
          { id: 'bg-000002', ticketId: 'T-12', title: 'Old bug', description: '', severity: 'low', foundBy: 'user', fixed: true, fixedAt: AT, createdAt: AT },
        ],
        runs: [{ id: 'rn-000001', ticketId: 'T-12', stage: 'IN_DEV', agent: 'claude', owner: 'me', startedAt: AT, heartbeatAt: AT, status: 'failed', exitCode: 2, attempt: 1 }],
      }),
    );
    assert.match(text, /### Open \(1\)\n\n- \*\*critical\*\* AWS key in config in src\/config\\\.ts line 3 \(found by Security\)/);
    assert.match(text, /### Fixed \(1\)\n\n- \*\*low\*\* Old bug \(found by user, fixed 2026-01-15 09:00 UTC\)/);
    assert.match(text, /- Branch: factory\/T-12-add-retry \(from main\)/);
    assert.match(text, /- 2026-01-15 09:00 UTC IN_DEV by claude, attempt 1: failed, exit code 2/);
  });

  for (const hostile of HOSTILE) {
    it(`renders ${JSON.stringify(hostile.slice(0, 40))} as inert text in the preview and in the editor`, () => {
      const html = preview.render(escapeBlock(hostile));
      assert.deepEqual([...new Set(tags(html))].filter((t) => t !== 'p' && t !== 'br'), [], html);
      const inline = preview.renderInline(escapeInline(hostile));
      assert.deepEqual(tags(inline).filter((t) => t !== 'br'), [], inline);

      const doc = renderTicketDocument(data({ ticket: ticket({ id: 'T-12', title: hostile, description: hostile, labels: [hostile], acceptanceCriteria: [hostile] }) }));
      const rendered = preview.render(doc);
      for (const tag of ['a', 'img', 'script', 'code', 'pre', 'table', 'blockquote']) {
        assert.ok(!tags(rendered).includes(tag), `<${tag}> in the preview of ${JSON.stringify(hostile)}`);
      }
      // In the plain editor, link detection looks for scheme:// and the markdown language
      // service for [text](target): neither survives the escaping.
      assert.doesNotMatch(doc, /[a-z]+:\/\//i);
      assert.doesNotMatch(doc, /\]\(/);
      assert.doesNotMatch(doc, /command:/);
      assert.doesNotMatch(doc, /evil\.com/);
    });
  }

  it('lists salvages with their size and what was left out, escaped, only when there are some', () => {
    const hostilePath = '/tmp/[evil](command:workbench.action.quit)/T-12-x';
    const text = renderTicketDocument(
      data({
        salvages: [
          {
            id: 'sv-0123456789abcdef', ticketId: 'T-12', createdAt: AT, worktreePath: hostilePath, branch: 'factory/T-12-x', head: 'a'.repeat(40),
            refPrefix: 'refs/agent-factory/salvage/T-12/sv-0123456789abcdef', archiveDir: '/b/.factory/salvage/T-12/sv-0123456789abcdef',
            savedBytes: 3 * 1024 * 1024, storedBytes: 2048, reason: 'removed on confirmation (2 uncommitted files)',
            summary: { files: 12, archived: ['.env'], archivedCount: 1, leftOut: [{ path: 'node_modules', bytes: 5 * 1024 * 1024, why: 'regenerable' }], leftOutCount: 1, nestedRepos: [], folderGone: false },
            restoredAt: AT + 60_000, restoredTo: '/tmp/back',
          },
        ],
      }),
    );
    const headings = text.split('\n').filter((l) => l.startsWith('## '));
    assert.deepEqual(headings.slice(-3), ['## Runs', '## Salvages', '## History']);
    assert.match(text, /- sv-0123456789abcdef · 2026-01-15 09:00 UTC · 3\.0 MB \(12 files, 1 archived; 2\.0 KB on disk\) from .* on factory\/T-12-x: removed on confirmation/);
    assert.match(text, /Left out: node\\_modules \(regenerable, 5\.0 MB\)\./);
    assert.match(text, /Restored 2026-01-15 09:01 UTC to \/tmp\/back\./);
    assert.match(text, /Restore Worktree/);
    assert.doesNotMatch(text, /\]\(command/);
    assert.doesNotMatch(renderTicketDocument(data()), /Salvages/);
  });

  it('cannot forge the document structure from a description', () => {
    const forged = '# Check-ins\n## History\n- item\n1. first\n> quote\n    indented code\n---\nsetext\n===\n+ plus';
    const html = preview.render(escapeBlock(forged));
    assert.deepEqual([...new Set(tags(html))].filter((t) => t !== 'p' && t !== 'br'), [], html);
    assert.match(html, /# Check-ins<br>/, 'the words stay readable');
  });

  it('keeps prose readable: a colon before a space and the dot ending a sentence stay as they are', () => {
    assert.equal(escapeInline('Concern: no test yet. Version 1.2.3'), 'Concern: no test yet. Version 1.2.3');
    assert.equal(escapeInline('see command:x and https://a.io'), 'see command\\:x and https\\://a\\.io');
  });

  it('replaces control and bidirectional-override characters', () => {
    const text = escapeInline('evil\u202Etxt.exe\u0007\u200B');
    assert.equal(text, 'evil\uFFFDtxt\\.exe\uFFFD\uFFFD');
  });
});
