// UI smoke steps of the tickets feature and of attention: the ticket page with a PM check-in
// thread answered by the user in the thread's reply box, the Agents view with a stalled run, and
// the status bar with a critical Security finding. The board is seeded the way the agents write it,
// from this (second) process through the store, as another window or the CLI would; the window's
// own PM and Security agents then find the stalled run and the secret on their first cycle.
// The smoke runs them when steps.mjs appends them: `export const steps = [..., ...ticketSteps]`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import * as esbuild from 'esbuild';
import { outputDir, root } from '../../scripts/lib/paths.mjs';
import { git } from '../../scripts/lib/workspace.mjs';
import { UI_TIMEOUT_MS } from './workbench.mjs';

const TICKET_TITLE = 'Add retry to the upload client';
const PM_BODY = 'Progress 40%: 3 commits, 5 files changed. Concern: no test touched yet.';
const REPLY = 'Tests come in the next commit.';

/** The store, bundled for plain node from its TypeScript source (the smoke runs after a build only). */
async function loadStore() {
  const file = join(outputDir('ui-smoke'), 'store-bundle.cjs');
  const result = await esbuild.build({
    stdin: {
      contents:
        "export { openBoard } from './src/store/sqlBoard'; export { createBoardFolder } from './src/store/location'; export { fakeSecrets } from './test/fixtures/security/fakeSecrets';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'error',
  });
  writeFileSync(file, result.outputFiles[0].text);
  return createRequire(import.meta.url)(file);
}

/**
 * The board the steps look at: a READY ticket with one PM check-in conversation (written as the PM
 * agent writes it), a ticket in development whose agent has been silent for half an hour (its
 * owner still heartbeats: stalled, not lost), and a ticket whose worktree holds a secret.
 */
async function seedBoard(workspace) {
  const { openBoard, createBoardFolder, fakeSecrets } = await loadStore();
  const dir = await createBoardFolder(workspace);
  const board = await openBoard({ dir, repoRoot: workspace, wasmPath: join(root, 'dist', 'sql-wasm.wasm'), pollMs: 0 });
  const base = git(workspace, 'rev-parse', '--abbrev-ref', 'HEAD');
  try {
    return await board.write((tx) => {
      const now = Date.now();
      const ticket = tx.createTicket(
        {
          title: TICKET_TITLE,
          status: 'READY',
          description: 'Uploads fail on a 503; retry three times with **backoff**, see [the client](src/upload.js).',
          acceptanceCriteria: ['a 503 is retried three times', 'the delay doubles each time'],
          labels: ['network'],
        },
        'user',
      );
      const thread = tx.createConversation({ ticketId: ticket.id, type: 'pm_checkin', title: `PM check-ins on ${ticket.id}`, key: 'pm' });
      tx.addMessage({ conversationId: thread.id, author: 'PM', kind: 'checkin', body: PM_BODY });
      tx.addCheckIn({
        ticketId: ticket.id,
        type: 'review',
        summary: PM_BODY,
        findings: { progressPercent: 40, concerns: ['no test touched yet'], blockers: [], achievements: ['3 commits'], evidence: ['5 files changed'], stalled: false },
        actionRequired: true,
        conversationId: thread.id,
      });

      const quiet = tx.createTicket({ title: 'Cache the avatars', status: 'READY' }, 'user');
      tx.transition(quiet.id, 'READY', 'IN_DEV', 'runner');
      const run = tx.createRun({ ticketId: quiet.id, stage: 'IN_DEV', agent: 'quiet-agent', status: 'running', startedAt: now - 30 * 60_000 });
      tx.updateRun(run.id, { heartbeatAt: now + 60 * 60_000 });

      const leaky = tx.createTicket({ title: 'Call the payments API', status: 'READY' }, 'user');
      const worktree = join(workspace, '..', `${basename(workspace)}.worktrees`, leaky.id);
      git(workspace, 'worktree', 'add', '-q', '-b', `factory/${leaky.id}`, worktree, base);
      mkdirSync(join(worktree, 'src'), { recursive: true });
      writeFileSync(join(worktree, 'src', 'payments.js'), `export const token = "${fakeSecrets(19).githubToken}";\n`);
      tx.updateTicket(leaky.id, { worktree: { path: worktree, branch: `factory/${leaky.id}`, base } });
      tx.transition(leaky.id, 'READY', 'IN_DEV', 'runner');
      return { ticketId: ticket.id, stalledId: quiet.id, leakyId: leaky.id };
    });
  } finally {
    await board.close();
  }
}

/** The ids the first step seeded, for the steps after it. */
const seeded = { ticketId: '', stalledId: '', leakyId: '' };

export const ticketSteps = [
  {
    name: 'the ticket page reads cleanly, with a PM thread and a reply',
    async run({ wb, page, note }) {
      const workspace = new URL(page.url()).searchParams.get('folder');
      if (!workspace) throw new Error(`the workbench URL names no folder: ${page.url()}`);
      Object.assign(seeded, await seedBoard(workspace));
      const { ticketId } = seeded;
      note(`seeded ${ticketId} with a PM check-in thread, ${seeded.stalledId} with a silent run and ${seeded.leakyId} with a secret, in ${join(workspace, '.factory')}`);

      await wb.openContainer('agentFactory', 'Agent Factory');
      const tickets = await wb.viewRendered('Tickets');
      // A window that had no board yet shows the welcome; creating the board opens the seeded one.
      const create = tickets.getByRole('button', { name: 'Create Board' });
      if (await create.isVisible()) await create.click();

      // The user opens the ticket from the Tickets view.
      const row = tickets.locator(`.monaco-list-row[aria-label^="${ticketId}, "]`);
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      await row.click();
      await page.locator(`.tab[aria-label^="${ticketId}"]`).first().waitFor({ timeout: UI_TIMEOUT_MS });
      // Plain text as written: the title, the sections, the description with its markdown untouched.
      const editor = page.locator('.editor-instance .view-lines').first();
      await editor.filter({ hasText: TICKET_TITLE }).waitFor({ timeout: UI_TIMEOUT_MS });
      const shown = await editor.innerText();
      if (shown.includes('\\')) throw new Error(`the ticket page shows a backslash escape:\n${shown}`);
      note('the page shows the ticket as plain text, without an escape character');

      const thread = page.locator('.review-widget').filter({ hasText: PM_BODY.slice(0, 30) });
      await thread.waitFor({ timeout: UI_TIMEOUT_MS });
      note('the PM thread shows on the ticket document');

      // Reply in the thread's own reply box, as a user would.
      const replyBox = thread.locator('.comment-form');
      await replyBox.click();
      await page.keyboard.type(REPLY);
      // The button's accessible name carries its keybinding: "Reply (Ctrl+Enter)".
      await thread.getByRole('button', { name: /^Reply\b/ }).click();
      await thread.locator('.review-comment').filter({ hasText: REPLY }).waitFor({ timeout: UI_TIMEOUT_MS });
      const authors = await thread.locator('.review-comment .author').allInnerTexts();
      if (!authors.includes('PM') || !authors.includes('You')) throw new Error(`the thread's authors are ${authors.join(', ')}, expected PM and You`);
      note(`thread authors: ${authors.join(', ')}`);
    },
  },
  {
    name: 'the Agents view shows a stalled run',
    async run({ wb, page, note }) {
      const agents = await wb.viewRendered('Agents');
      const row = agents.locator('.monaco-list-row').filter({ hasText: seeded.stalledId }).filter({ hasText: 'stalled' });
      await row.first().waitFor({ timeout: UI_TIMEOUT_MS });
      note(`run row: "${(await row.first().innerText()).replace(/\s+/g, ' ')}"`);
      await page.mouse.move(0, 0);
    },
  },
  {
    name: 'the status bar turns red for a critical finding, and the ticket is marked',
    async run({ wb, page, extensionId, note }) {
      const item = wb.statusBarItem(extensionId, 'agentFactory.status');
      // The Security agent's first cycle on the seeded board finds the secret.
      const deadline = Date.now() + UI_TIMEOUT_MS;
      while (!/critical finding/.test((await item.getAttribute('aria-label').catch(() => null)) ?? '')) {
        if (Date.now() > deadline) throw new Error(`the status bar says "${(await item.getAttribute('aria-label')) ?? ''}", not a critical finding`);
        await page.waitForTimeout(500);
      }
      const background = await item.evaluate((element) => element.ownerDocument.defaultView?.getComputedStyle(element).backgroundColor);
      note(`status bar: "${(await item.getAttribute('aria-label')) ?? ''}", background ${background}`);
      const tickets = await wb.viewRendered('Tickets');
      const row = tickets.locator(`.monaco-list-row[aria-label^="${seeded.leakyId}, "]`);
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      note(`ticket row: "${(await row.innerText()).replace(/\s+/g, ' ')}"`);
      await item.hover();
    },
  },
];
