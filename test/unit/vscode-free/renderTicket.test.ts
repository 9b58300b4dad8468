import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Conversation } from '../../../src/domain/conversation';
import type { Bug } from '../../../src/domain/ticket';
import type { Run } from '../../../src/domain/run';
import { conversationLines, CONVERSATIONS_LINE, renderTicketPage, TITLE_LINE, type TicketDocumentData, type TicketPage } from '../../../src/vscode/document/renderTicket';
import { oneLine, plainLabel } from '../../../src/vscode/document/untrustedText';
import { ticket } from './ticketFixtures';

const HOSTILE = [
  '[quit](command:workbench.action.quit)',
  '<img src=x onerror=alert(1)>',
  '```js\nalert(1)\n```',
  '$(whoami) `code` ~~~ $x^2$ **bold** \\escaped',
  'see https://evil.example/x and www.evil.com, evil.com/path or mail@evil.com',
  '── History ──────────',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
];

const AT = Date.UTC(2026, 0, 15, 9, 0, 0);
const WORKTREE = { path: '/w/repo.worktrees/T-12-add-retry', branch: 'factory/T-12-add-retry', base: 'main' };
const BOARD = '/w/repo/.factory';

function data(overrides: Partial<TicketDocumentData> = {}): TicketDocumentData {
  return {
    ticket: ticket({ id: 'T-12', status: 'IN_DEV', title: 'Add retry', description: 'Retry **uploads**.\n\nThree times.', labels: ['net'], acceptanceCriteria: ['retries 3 times'] }),
    bugs: [],
    runs: [],
    history: [{ ticketId: 'T-12', from: null, to: 'BACKLOG', at: AT, by: 'user', note: 'created' }],
    checkIns: [],
    conversations: [],
    threadStats: new Map(),
    dependencies: [],
    attention: [],
    boardDir: BOARD,
    now: AT + 12 * 60_000,
    time: (ms) => `t+${Math.round((ms - AT) / 60_000)}m`,
    ...overrides,
  };
}

function lines(page: TicketPage): string[] {
  return page.text.split('\n');
}

/** The section headings, in order. */
function headings(page: TicketPage): string[] {
  return lines(page)
    .filter((l) => l.startsWith('── '))
    .map((l) => l.replace(/^── /, '').replace(/ ─+$/, ''));
}

function linkTexts(page: TicketPage): string[] {
  const all = lines(page);
  return page.links.map((l) => all[l.line].slice(l.start, l.end));
}

const conversation = (id: string, createdAt: number, extra: Partial<Conversation> = {}): Conversation => ({
  id,
  ticketId: 'T-12',
  type: 'pm_checkin',
  title: `Thread ${id}`,
  status: 'open',
  createdAt,
  updatedAt: createdAt,
  ...extra,
});

describe('ticket page', () => {
  it('reads as plain text: title, status, what is happening, then its sections in order', () => {
    const page = renderTicketPage(data());
    const all = lines(page);
    assert.equal(all[TITLE_LINE], 'T-12  Add retry');
    assert.equal(all[1], 'In Development since t+0m · medium priority · feature · from you');
    assert.equal(all[2], 'Nothing is running on it.');
    assert.equal(all[3], '');
    assert.deepEqual(headings(page), ['Conversations (0, 0 open)', 'Details', 'Description', 'Acceptance criteria (1)', 'Bugs (0 open, 0 fixed)', 'Runs (0)', 'History']);
    assert.match(page.text, /\n {2}Labels {7}net\n/);
    assert.match(page.text, /\n {2}1\. retries 3 times\n/);
    assert.match(page.text, /\n {2}Retry \*\*uploads\*\*\.\n\n {2}Three times\.\n/, 'the description is shown as written');
    assert.match(page.text, /\n {2}t\+0m {2}Created in Backlog by you\n/, 'the store\'s "created" note is not repeated');
    assert.ok(!page.text.includes('\\'), 'no escape character anywhere');
  });

  it('lists each conversation on its own line, the heading fixed whatever the ticket says', () => {
    const convs = [conversation('cv-000002', AT + 2), conversation('cv-000001', AT + 1, { status: 'resolved' }), conversation('cv-000003', AT + 3, { type: 'security', title: 'Possible secret', file: 'src/config.ts', line: 3 })];
    const stats = new Map([['cv-000001', { count: 2, latestAt: AT + 60_000, latestBy: 'user' }]]);
    for (const d of [
      data({ conversations: convs, threadStats: stats }),
      data({ conversations: convs, threadStats: stats, ticket: ticket({ id: 'T-12', title: 'a\nmulti\r\nline\ttitle', description: 'x\n'.repeat(50), worktree: WORKTREE }) }),
    ]) {
      const page = renderTicketPage(d);
      const all = lines(page);
      assert.match(all[CONVERSATIONS_LINE], /^── Conversations \(3, 2 open\) ─+$/);
      assert.deepEqual([...page.conversationLines.entries()], [...conversationLines(convs).entries()]);
      assert.deepEqual([...page.conversationLines.values()], [CONVERSATIONS_LINE + 1, CONVERSATIONS_LINE + 2, CONVERSATIONS_LINE + 3]);
      assert.equal(new Set(page.conversationLines.values()).size, 3, 'no two threads share a line');
      assert.equal(all[page.conversationLines.get('cv-000001')!], '  ✓ Thread cv-000001 · resolved · 2 messages, latest t+1m by you');
      assert.equal(all[page.conversationLines.get('cv-000002')!], '  ● Thread cv-000002 · open · 0 messages');
    }
    const withWorktree = renderTicketPage(data({ conversations: convs, ticket: ticket({ id: 'T-12', worktree: WORKTREE }) }));
    const security = lines(withWorktree)[withWorktree.conversationLines.get('cv-000003')!];
    assert.equal(security, '  ● Possible secret · open · 0 messages · on src/config.ts:3');
    const link = withWorktree.links.find((l) => l.line === withWorktree.conversationLines.get('cv-000003'));
    assert.deepEqual(link?.target, { kind: 'file', fsPath: path.join(WORKTREE.path, 'src/config.ts'), line: 3 });
  });

  it('lists what the ticket depends on with their statuses, each a link, and what a ready ticket waits on', () => {
    const dependencies = [
      { id: 'T-3', title: 'Schema [v2](command:x)', status: 'DONE' as const },
      { id: 'T-4', title: 'API', status: 'IN_DEV' as const },
    ];
    const waiting = renderTicketPage(data({ ticket: ticket({ id: 'T-12', status: 'READY', dependsOn: ['T-3', 'T-4'] }), dependencies }));
    assert.match(waiting.text, /\n {2}Depends on {3}T-3 Schema \[v2\]\(command:x\) \(Done\)\n {15}T-4 API \(In Development\)\n {15}waits on T-4 before it can start\n/);
    assert.deepEqual(waiting.links.filter((l) => l.target.kind === 'ticket').map((l) => l.target), [
      { kind: 'ticket', ticketId: 'T-3' },
      { kind: 'ticket', ticketId: 'T-4' },
    ]);
    assert.match(renderTicketPage(data()).text, /Depends on {3}nothing/);
    assert.doesNotMatch(renderTicketPage(data({ dependencies })).text, /waits on/, 'only a READY ticket waits to start');
  });

  it('shows the worktree and branch exactly, bugs with file links, and runs with duration, tokens, progress and their log', () => {
    const bugs: Bug[] = [
      { id: 'b-000001', ticketId: 'T-12', title: 'AWS key in config', description: 'Rotate it.', severity: 'critical', foundBy: 'Security', file: 'src/config.ts', line: 3, fixed: false, createdAt: AT },
      { id: 'b-000002', ticketId: 'T-12', title: 'Old bug', description: '', severity: 'low', foundBy: 'user', fixed: true, fixedAt: AT, createdAt: AT },
      { id: 'b-000003', ticketId: 'T-12', title: 'Test key', description: '', severity: 'high', foundBy: 'Security', file: '../../etc/passwd', line: 1, fixed: false, dismissed: { reason: 'test-data', by: 'user', at: AT }, createdAt: AT },
    ];
    const runs: Run[] = [
      { id: 'r-000001', ticketId: 'T-12', stage: 'IN_DEV', agent: 'claude', owner: 'me', startedAt: AT, heartbeatAt: AT, endedAt: AT + 180_000, status: 'failed', exitCode: 2, attempt: 1, logFile: '/anywhere/else.log', note: 'the agent exited with code 2' },
      { id: 'r-000002', ticketId: 'T-12', stage: 'IN_DEV', agent: 'claude', owner: 'me', startedAt: AT + 240_000, heartbeatAt: AT, status: 'running', attempt: 2, reportedProgress: 40, progressNote: 'lexer done', usage: { inputTokens: 14_200, outputTokens: 1100, cachedTokens: 0, costUsd: 0.12 } },
    ];
    const page = renderTicketPage(data({ ticket: ticket({ id: 'T-12', status: 'IN_DEV', worktree: WORKTREE }), bugs, runs }));
    const all = lines(page);
    assert.match(page.text, /\n {2}Worktree {5}\/w\/repo\.worktrees\/T-12-add-retry\n {2}Branch {7}factory\/T-12-add-retry \(from main\)\n/);
    assert.equal(all[page.worktreeLine!], '  Worktree     /w/repo.worktrees/T-12-add-retry');
    assert.equal(all[2], 'Working: claude for 8 min, 40%: lexer done');
    assert.match(page.text, /── Bugs \(1 open, 1 dismissed, 1 fixed\)/);
    assert.equal(all[page.bugLines.get('b-000001')!], '  open      critical AWS key in config  src/config.ts:3  found by Security');
    assert.equal(all[page.bugLines.get('b-000001')! + 1], '            Rotate it.');
    assert.equal(all[page.bugLines.get('b-000003')!], '  dismissed high     Test key  ../../etc/passwd:1  found by Security; dismissed by you as test data t+0m');
    assert.equal(all[page.bugLines.get('b-000002')!], '  fixed     low      Old bug  found by user; fixed t+0m');
    assert.equal(all[page.runLines.get('r-000002')!], '  #2 In Development · claude · running · 8 min · started t+4m · 40%: lexer done · tokens 14.2k in · 1.1k out · $0.1200');
    assert.equal(all[page.runLines.get('r-000001')!], '  #1 In Development · claude · failed (exit 2) · 3 min · started t+0m · log');
    assert.equal(all[page.runLines.get('r-000001')! + 1], '      the agent exited with code 2');
    assert.ok(page.runLines.get('r-000002')! < page.runLines.get('r-000001')!, 'newest run first');

    const targets = page.links.map((l) => l.target);
    assert.deepEqual(targets.filter((t) => t.kind === 'file'), [
      { kind: 'file', fsPath: path.join(WORKTREE.path, 'src/config.ts'), line: 3 },
      // The log is the run's own file under the board folder, not the path the row holds.
      { kind: 'file', fsPath: path.join(BOARD, 'runs', 'r-000001', 'output.log') },
    ]);
    assert.deepEqual(targets.filter((t) => t.kind === 'worktree'), [{ kind: 'worktree', ticketId: 'T-12' }]);
    assert.ok(!linkTexts(page).includes('../../etc/passwd:1'), 'a path that leaves the worktree is no link');
  });

  it('says what needs a person on its third line', () => {
    const page = renderTicketPage(data({ attention: [{ kind: 'finding', ticketId: 'T-12', severity: 'critical', detail: 'critical: AWS key in config (line 3)' }, { kind: 'stuck', ticketId: 'T-12', detail: 'in development with no agent working on it' }] }));
    assert.equal(lines(page)[2], 'Needs you: critical: AWS key in config (line 3) (and 1 more)');
  });

  it('lists the changed files as links into the worktree, or says why it cannot', () => {
    const files = renderTicketPage(
      data({
        ticket: ticket({ id: 'T-12', worktree: WORKTREE }),
        changedFiles: [
          { path: 'src/a.ts', kind: 'modified', sources: ['committed'] },
          { path: 'src/gone.ts', kind: 'deleted', sources: ['committed'] },
          { path: 'src/new.ts', kind: 'renamed', oldPath: 'src/old.ts', sources: ['staged'] },
        ],
      }),
    );
    assert.match(files.text, /── Changed files \(3\) ─+\n {2}M src\/a\.ts\n {2}D src\/gone\.ts\n {2}R src\/new\.ts \(from src\/old\.ts\)\n/);
    assert.deepEqual(linkTexts(files).filter((t) => t.startsWith('src/')), ['src/a.ts', 'src/new.ts']);
    assert.match(renderTicketPage(data({ ticket: ticket({ id: 'T-12', worktree: WORKTREE }), changedFiles: 'could not be read: not a git repository' })).text, /\n {2}They could not be read: not a git repository\n/);
    assert.match(renderTicketPage(data({ ticket: ticket({ id: 'T-12', worktree: WORKTREE }) })).text, /── Changed files ─+\n {2}Not read yet\.\n/);
    assert.doesNotMatch(renderTicketPage(data()).text, /Changed files/, 'no worktree, no section');
  });

  it('marks a run that needs input or repeats itself, and totals the tokens of all runs', () => {
    const usage = { inputTokens: 1000, outputTokens: 500, cachedTokens: 0, costUsd: 0.01 };
    const runs: Run[] = [
      { id: 'r-000003', ticketId: 'T-12', stage: 'IN_DEV', agent: 'claude', owner: 'me', startedAt: AT, heartbeatAt: AT, endedAt: AT + 60_000, status: 'succeeded', attempt: 1, usage },
      {
        id: 'r-000004', ticketId: 'T-12', stage: 'IN_DEV', agent: 'claude', owner: 'me', startedAt: AT + 120_000, heartbeatAt: AT, status: 'running', attempt: 2, usage,
        attention: { needsInput: { reason: 'Allow [x](command:evil)?', since: AT, source: 'output' }, loop: { evidence: 'npm test', repeats: 4, since: AT } },
      },
    ];
    const page = renderTicketPage(data({ runs }));
    const line = lines(page)[page.runLines.get('r-000004')!];
    assert.match(line, / · needs input: Allow \[x\]\(command:evil\)\? · repeats itself \(4 times\): npm test$/);
    assert.match(page.text, /\n {2}Tokens, all runs: 2\.0k in · 1\.0k out · \$0\.0200\n/);
    assert.ok(!page.links.some((l) => lines(page)[l.line].slice(l.start, l.end).includes('command')), 'nothing a run says is a link');
  });

  it('shows the last Security scan once the ticket has a worktree, and what it could not read', () => {
    const securityScan = { ticketId: 'T-12', commit: 'abcdef0123456789', state: 's', dirty: true, complete: false, files: 3, blockers: 1, notScanned: [{ path: 'big.bin', reason: 'too-large' as const }], scannedAt: AT + 60_000 };
    const page = renderTicketPage(data({ ticket: ticket({ id: 'T-12', worktree: WORKTREE }), securityScan }));
    assert.match(page.text, /── Security scan ─+\n {2}Last scan t\+1m at commit abcdef012345 with uncommitted changes: 3 changed files, 1 open critical\/high finding \(not finished: files left for the next cycle\)\n {2}Not scanned \(1\):\n {4}big\.bin: /);
    assert.match(renderTicketPage(data({ ticket: ticket({ id: 'T-12', worktree: WORKTREE }) })).text, /── Security scan ─+\n {2}Not scanned yet\.\n/);
    assert.doesNotMatch(renderTicketPage(data()).text, /Security scan/, 'no worktree and no scan, no section');
  });

  it("links a gathered ticket's location only when it was checked inside the repository", () => {
    const linked = renderTicketPage(data({ location: { file: 'src/a.ts', line: 7, fsPath: '/w/repo/src/a.ts' } }));
    assert.match(linked.text, /\n {2}Location {5}src\/a\.ts:7\n/);
    assert.deepEqual(linked.links.filter((l) => l.target.kind === 'file').map((l) => l.target), [{ kind: 'file', fsPath: '/w/repo/src/a.ts', line: 7 }]);
    assert.ok(linkTexts(linked).includes('src/a.ts:7'));
    const outside = renderTicketPage(data({ location: { file: '../etc/passwd', line: 1 } }));
    assert.match(outside.text, /Location {5}\.\.\/etc\/passwd:1/);
    assert.deepEqual(outside.links.filter((l) => l.target.kind === 'file'), []);
  });

  it('words the history for people: moves by label, edits and notes as said', () => {
    const page = renderTicketPage(
      data({
        history: [
          { ticketId: 'T-12', from: null, to: 'READY', at: AT, by: 'user', note: 'created' },
          { ticketId: 'T-12', from: 'READY', to: 'IN_DEV', at: AT + 60_000, by: 'runner', note: 'started by you' },
          { ticketId: 'T-12', from: 'IN_DEV', to: 'IN_DEV', at: AT + 120_000, by: 'user', note: 'Edited priority medium → high' },
        ],
      }),
    );
    assert.match(page.text, /── History ─+\n {2}t\+0m {2}Created in Ready by you\n {2}t\+1m {2}Ready → In Development by runner: started by you\n {2}t\+2m {2}Edited priority medium → high by you\n$/);
  });

  for (const hostile of HOSTILE) {
    it(`shows ${JSON.stringify(hostile.slice(0, 40))} as written and inert`, () => {
      const page = renderTicketPage(
        data({
          ticket: ticket({ id: 'T-12', title: hostile, description: hostile, labels: [hostile], acceptanceCriteria: [hostile], worktree: WORKTREE }),
          bugs: [{ id: 'b-000001', ticketId: 'T-12', title: hostile, description: hostile, severity: 'high', foundBy: hostile, file: hostile, fixed: false, createdAt: AT }],
          conversations: [conversation('cv-000001', AT, { title: hostile })],
        }),
      );
      const all = lines(page);
      assert.equal(all[TITLE_LINE], `T-12  ${oneLine(hostile)}`, 'the title reads as written');
      // Every section heading is the page's own: what a ticket says is indented below them.
      assert.deepEqual(headings(page), ['Conversations (1, 1 open)', 'Details', 'Description', 'Acceptance criteria (1)', 'Bugs (1 open, 0 fixed)', 'Security scan', 'Runs (0)', 'Changed files', 'History']);
      for (const line of all.slice(CONVERSATIONS_LINE)) assert.ok(line === '' || line.startsWith('── ') || line.startsWith('  '), `unindented line: ${line}`);
      // Links come from validated paths and ids only: none points where the text says.
      for (const l of page.links) {
        if (l.target.kind === 'file') assert.ok(l.target.fsPath.startsWith(WORKTREE.path + path.sep) || l.target.fsPath.startsWith(BOARD + path.sep), l.target.fsPath);
      }
      assert.ok(page.links.every((l) => l.target.kind !== 'ticket'));
    });
  }

  it('lists salvages with their size and what was left out, only when there are some', () => {
    const hostilePath = '/tmp/[evil](command:workbench.action.quit)/T-12-x';
    const page = renderTicketPage(
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
    const text = page.text;
    const headings = lines(page).filter((l) => l.startsWith('── '));
    assert.deepEqual(headings.slice(-2).map((h) => h.replace(/ ─+$/, '')), ['── Salvages (1)', '── History']);
    assert.match(text, /\n {2}sv-0123456789abcdef · t\+0m · 3\.0 MB \(12 files, 1 archived; 2\.0 KB on disk\) from \/tmp\/\[evil\]\(command:workbench\.action\.quit\)\/T-12-x on factory\/T-12-x: removed on confirmation/);
    assert.match(text, /left out: node_modules \(regenerable, 5\.0 MB\)/);
    assert.match(text, /restored t\+1m to \/tmp\/back/);
    assert.match(text, /Restore Worktree/);
    assert.deepEqual(page.links.filter((l) => l.target.kind === 'file' && l.target.fsPath.includes('evil')), [], 'a salvage path is no link');
    assert.doesNotMatch(renderTicketPage(data()).text, /Salvages/);
  });

  it('replaces control and bidirectional-override characters, everything else stays', () => {
    const page = renderTicketPage(data({ ticket: ticket({ id: 'T-12', title: 'evil\u202Etxt.exe\u0007\u200B' }) }));
    assert.equal(lines(page)[TITLE_LINE], 'T-12  evil\uFFFDtxt.exe\uFFFD\uFFFD');
  });

  it('escapes $( in labels only, where it would become an icon', () => {
    assert.equal(plainLabel('Run $(whoami) now'), 'Run \\$(whoami) now');
    assert.equal(oneLine('Run $(whoami) now'), 'Run $(whoami) now');
  });
});
