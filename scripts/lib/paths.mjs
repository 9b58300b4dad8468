// Where things are in the repository, and where test runs leave their evidence.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testOutput = join(root, 'test-output');
/** The compiled mocha entry that runs inside the extension host. */
export const inHostIndex = join(root, 'out', 'test', 'vscode', 'index.js');

/** A folder under test-output/ (created if missing) for one kind of evidence. */
export function outputDir(name) {
  const dir = join(testOutput, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
