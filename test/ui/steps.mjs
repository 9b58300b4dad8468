// The UI smoke, step by step. Each step is what a user would do or see; a screenshot is taken
// after each one (test-output/ui-smoke/NN-<name>.png) and on failure. To extend the smoke, append
// a step: `run` gets { wb, page, manifest, extensionId, note } where `wb` is test/ui/workbench.mjs
// and `note(text)` adds a line to the step's report.

import { ticketSteps } from './ticketSteps.mjs';

/**
 * @typedef {object} StepContext
 * @property {import('./workbench.mjs').Workbench} wb the workbench, found by accessible names
 * @property {import('playwright-core').Page} page the browser page, for anything wb lacks
 * @property {Manifest} manifest the extension's package.json
 * @property {string} extensionId `<publisher>.<name>`
 * @property {(text: string) => void} note adds a line to the step's report
 *
 * @typedef {{ name: string, run: (context: StepContext) => Promise<void> }} Step
 *
 * @typedef {{ contributes: {
 *   commands?: { command: string, title: string, category?: string }[],
 *   menus?: { commandPalette?: { command: string, when?: string }[] },
 * } }} Manifest
 */

/**
 * Commands the palette always lists: contributed and not hidden by a `when` clause.
 * @param {Manifest} manifest
 */
function alwaysInPalette(manifest) {
  const conditional = new Set((manifest.contributes.menus?.commandPalette ?? []).map((entry) => entry.command));
  return (manifest.contributes.commands ?? [])
    .filter((command) => !conditional.has(command.command))
    .map((command) => `${command.category ? `${command.category}: ` : ''}${command.title}`);
}

/** @type {Step[]} */
export const steps = [
  {
    name: 'workbench opens the workspace',
    async run({ wb }) {
      await wb.ready();
    },
  },
  {
    name: 'Agent Factory container opens from the activity bar',
    async run({ wb }) {
      await wb.openContainer('agentFactory', 'Agent Factory');
    },
  },
  {
    name: 'Agents and Tickets views render',
    async run({ wb }) {
      await wb.viewRendered('Agents');
      await wb.viewRendered('Tickets');
    },
  },
  {
    name: 'status bar shows Agent Factory',
    async run({ wb, extensionId, note }) {
      const item = wb.statusBarItem(extensionId, 'agentFactory.status');
      await item.waitFor({ state: 'visible' });
      note(`status bar item: "${(await item.getAttribute('aria-label')) ?? ''}"`);
    },
  },
  {
    name: 'command palette finds Agent Factory commands',
    async run({ wb, manifest, note }) {
      const rows = await wb.commandPalette('Agent Factory: ');
      await rows.first().waitFor();
      const labels = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
      const ours = labels.filter((label) => label.startsWith('Agent Factory: '));
      if (ours.length === 0) throw new Error(`the palette lists no "Agent Factory: ..." command; it shows: ${labels.join(' | ')}`);
      note(`palette lists: ${ours.join(', ')}`);
      for (const title of alwaysInPalette(manifest)) await wb.findCommand(title);
      await wb.closePalette();
    },
  },
  ...ticketSteps,
  {
    // After the ticket steps, so the workspace has a board.
    name: 'Heal Stuck Tickets runs from the palette and says what it did',
    async run({ wb, note }) {
      await wb.runCommand('Agent Factory: Heal Stuck Tickets');
      // A toast may already have gone by: read the notification centre, which keeps it.
      await wb.runCommand('Notifications: Show Notifications');
      const item = wb.page.locator('.notifications-center .notification-list-item').filter({ hasText: /stuck ticket|can be healed/ });
      await item.first().waitFor({ state: 'visible' });
      note(`notification: "${(await item.first().innerText()).split('\n')[0]}"`);
    },
  },
];
