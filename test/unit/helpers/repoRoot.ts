import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The repository root, found from the compiled test (out/test/unit/...) or the source. tsc also
 * emits package.json into out/ (the settings module imports it), so the root is the folder that
 * holds tsconfig.json as well.
 */
export const repoRoot = ((): string => {
  let dir = __dirname;
  while (!(existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tsconfig.json')))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();
