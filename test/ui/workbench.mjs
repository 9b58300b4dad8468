// The VS Code workbench as a user sees it, for browser tests: each method finds things by their
// accessible names and waits for them (Playwright's auto-waiting), never for a fixed time.
// Selectors were read off code-server 4.139 (VS Code 1.139).

/** How long one UI expectation may take: the first ones wait for the extension host to start. */
export const UI_TIMEOUT_MS = 60_000;

export class Workbench {
  /** @param {import('playwright-core').Page} page */
  constructor(page) {
    this.page = page;
  }

  /** Resolves once the workbench is laid out with its activity bar and status bar. */
  async ready() {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT_MS });
    await this.page.locator('#workbench\\.parts\\.activitybar').waitFor({ timeout: UI_TIMEOUT_MS });
    await this.page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: UI_TIMEOUT_MS });
  }

  /** The activity bar entry (a tab) of a view container, by its title. */
  activityBarItem(title) {
    return this.page.locator('#workbench\\.parts\\.activitybar').getByRole('tab', { name: title, exact: true });
  }

  /** Opens a view container from the activity bar and waits until the side bar shows it. */
  async openContainer(containerId, title) {
    const item = this.activityBarItem(title);
    await item.waitFor({ timeout: UI_TIMEOUT_MS });
    if ((await item.getAttribute('aria-selected')) !== 'true') await item.click();
    await this.sideBar(containerId).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  /** The side bar while it shows the contributed container `containerId`. */
  sideBar(containerId) {
    return this.page.locator(`#workbench\\.parts\\.sidebar[data-active-composite="workbench.view.extension.${containerId}"]`);
  }

  /** A view's pane (header and body) in the side bar, by the view's name. */
  view(name) {
    return this.page.locator('.pane', { has: this.page.locator(`.pane-header[aria-label="${name} Section"]`) });
  }

  /** Waits until the view is expanded and shows either a tree or its welcome content. */
  async viewRendered(name) {
    const pane = this.view(name);
    await pane.waitFor({ timeout: UI_TIMEOUT_MS });
    const header = pane.locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const content = pane.locator('.pane-body .welcome-view-content, .pane-body .monaco-list[role="tree"] .monaco-list-row');
    await content.first().waitFor({ timeout: UI_TIMEOUT_MS });
    return pane;
  }

  /**
   * A status bar item contributed by an extension: VS Code gives its element the id
   * `<publisher>.<name>.<item id>`.
   */
  statusBarItem(extensionId, itemId) {
    return this.page.locator(`#workbench\\.parts\\.statusbar [id="${extensionId}.${itemId}"]`);
  }

  /** Opens the command palette (F1) with `text` typed in and returns its list rows. */
  async commandPalette(text) {
    const widget = this.page.locator('.quick-input-widget');
    if (!(await widget.isVisible())) {
      await this.page.keyboard.press('F1');
      await widget.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    }
    const input = widget.locator('input[type="text"]').first();
    await input.fill(`>${text}`);
    return widget.locator('.monaco-list-row[role="option"]');
  }

  /** The palette row for a command by its full title ("Category: Title"), once it is listed. */
  async findCommand(fullTitle) {
    await this.commandPalette(fullTitle);
    // A row's accessible name starts with the title; a keybinding or "similar commands" may follow.
    const row = this.page.locator(`.quick-input-widget .monaco-list-row[role="option"][aria-label^=${JSON.stringify(fullTitle)}]`).first();
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    return row;
  }

  /** Runs a command from the palette, as a user would. */
  async runCommand(fullTitle) {
    const row = await this.findCommand(fullTitle);
    await row.click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  }

  async closePalette() {
    const widget = this.page.locator('.quick-input-widget');
    if (await widget.isVisible()) {
      await this.page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    }
  }

  /** A notification toast whose message contains `text`. */
  notification(text) {
    return this.page.locator('.notification-toast').filter({ hasText: text });
  }
}
