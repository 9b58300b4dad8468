// Debian's chromium driven by playwright-core: no browser download, a fresh profile per run, and
// nothing that talks to the network on its own.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium } from 'playwright-core';
import { onCleanup } from './cleanup.mjs';
import { makeTempDir } from './temp.mjs';

/** The first executable `name` on the PATH, as scripts/system-deps.sh looks for it. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export const chromiumPath = process.env.CHROMIUM_PATH || onPath('chromium') || '/usr/bin/chromium';

const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser context with its own profile folder; closed at cleanup if not before. */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no browser at ${chromiumPath}: run scripts/system-deps.sh test (it installs Debian's chromium) or set CHROMIUM_PATH`);
  }
  const base = makeTempDir('browser');
  const context = await chromium.launchPersistentContext(join(base, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    args,
    // Chromium keeps crash reports and caches under XDG folders, outside the profile.
    env: { ...process.env, XDG_CONFIG_HOME: join(base, 'config'), XDG_CACHE_HOME: join(base, 'cache') },
    viewport: { width: 1400, height: 900 },
  });
  const close = onCleanup(() => context.close());
  return { context, close };
}
