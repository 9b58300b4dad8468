// UI smoke steps of the tickets feature: a ticket document with a PM check-in thread, answered
// by the user in the thread's reply box. The board is seeded the way the PM agent writes it,
// from this (second) process through the store, as another window or the CLI would.
// The smoke runs them when steps.mjs appends them: `export const steps = [..., ...ticketSteps]`.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { outputDir, root } from '../../scripts/lib/paths.mjs';
import { UI_TIMEOUT_MS } from './workbench.mjs';

const TICKET_TITLE = 'Add retry to the upload client';
const PM_BODY = 'Progress 40%: 3 commits, 5 files changed. Concern: no test touched yet.';
const REPLY = 'Tests come in the next commit.';

/** The store, bundled for plain node from its TypeScript source (the smoke runs after a build only). */
async function loadStore() {
  const file = join(outputDir('ui-smoke'), 'store-bundle.cjs');
  const result = await esbuild.build({
    stdin: {
      contents: "export { openBoard } from './src/store/sqlBoard'; export { createBoardFolder } from './src/store/location';",
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

/** A READY ticket with one PM check-in conversation, written as the PM agent writes it. */
async function seedTicketWithPmThread(workspace) {
  const { openBoard, createBoardFolder } = await loadStore();
  const dir = await createBoardFolder(workspace);
  const board = await openBoard({ dir, repoRoot: workspace, wasmPath: join(root, 'dist', 'sql-wasm.wasm'), pollMs: 0 });
  try {
    return await board.write((tx) => {
      const ticket = tx.createTicket({ title: TICKET_TITLE, status: 'READY', description: 'Uploads fail on a 503; retry three times with backoff.' }, 'user');
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
      return ticket.id;
    });
  } finally {
    await board.close();
  }
}

export const ticketSteps = [
  {
    name: 'a ticket document with a PM thread and a reply is visible',
    async run({ wb, page, note }) {
      const workspace = new URL(page.url()).searchParams.get('folder');
      if (!workspace) throw new Error(`the workbench URL names no folder: ${page.url()}`);
      const ticketId = await seedTicketWithPmThread(workspace);
      note(`seeded ${ticketId} with a PM check-in thread in ${join(workspace, '.factory')}`);

      await wb.openContainer('agentFactory', 'Agent Factory');
      const tickets = await wb.viewRendered('Tickets');
      // A window that had no board yet shows the welcome; creating the board opens the seeded one.
      const create = tickets.getByRole('button', { name: 'Create Board' });
      if (await create.isVisible()) await create.click();

      // The user opens the ticket from the Tickets view.
      const row = tickets.locator(`.monaco-list-row[aria-label^="${ticketId}, "]`);
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      await row.click();
      await page.locator(`.tab[aria-label^="${ticketId}.md"]`).first().waitFor({ timeout: UI_TIMEOUT_MS });

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
];
