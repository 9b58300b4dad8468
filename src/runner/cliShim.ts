/**
 * Makes `agent-factory` callable by name inside an agent's process. An extension's `bin` is not on
 * anyone's PATH, and inside VS Code `process.execPath` is Electron, so the runner writes a tiny
 * launcher into `.factory/bin/` (which git ignores with the rest of the board folder) and puts that
 * folder first on the agent's PATH.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface CliLauncher {
  /** A node binary, or Electron (run as node through ELECTRON_RUN_AS_NODE). */
  nodePath: string;
  /** The CLI script: dist/cli.js of the extension, or the compiled src/cli/main.js in tests. */
  script: string;
}

export function cliShimDir(boardDir: string): string {
  return path.join(boardDir, 'bin');
}

/** Writes (or refreshes) the launchers and returns the folder holding them. */
export async function writeCliShim(boardDir: string, cli: CliLauncher): Promise<string> {
  const dir = cliShimDir(boardDir);
  await mkdir(dir, { recursive: true });
  const sh = `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec ${shQuote(cli.nodePath)} ${shQuote(cli.script)} "$@"\n`;
  const cmd = `@echo off\r\nsetlocal\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${cli.nodePath}" "${cli.script}" %*\r\n`;
  await writeIfChanged(path.join(dir, 'agent-factory'), sh, 0o755);
  await writeIfChanged(path.join(dir, 'agent-factory.cmd'), cmd, 0o644);
  return dir;
}

function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function writeIfChanged(file: string, content: string, mode: number): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === content) return;
  // Another window may be starting an agent with the old launcher right now: replace atomically.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
