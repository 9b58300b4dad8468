// Bundles TypeScript entry points for the benchmark into .bench/build/<name>/ (inside the
// repository, so the bundles resolve node_modules and the store finds its worker beside them).
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

function outdirOf(root, name) {
  const outdir = join(root, '.bench', 'build', name);
  mkdirSync(outdir, { recursive: true });
  return outdir;
}

/** What every bench bundle shares. */
function options(root) {
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Left to node_modules: sql.js finds its wasm there, the lock library its native binary.
    external: ['sql.js', 'fs-native-extensions', 'better-sqlite3'],
    logLevel: 'warning',
    absWorkingDir: root,
  };
}

export async function bundle(root, name, entryPoints) {
  const outdir = outdirOf(root, name);
  await esbuild.build({ ...options(root), entryPoints: entryPoints.map((e) => join(root, e)), outdir });
  return outdir;
}

/**
 * One bundle re-exporting `exports` (`{ 'src/x.ts': ['A', 'B'] }`), so that they share one copy of
 * every module, as in the extension's bundle; returns the bundle's path.
 */
export async function bundleTogether(root, name, exports) {
  const outfile = join(outdirOf(root, name), 'index.js');
  const contents = Object.entries(exports).map(([file, names]) => `export { ${names.join(', ')} } from ${JSON.stringify(`./${file}`)};`).join('\n');
  await esbuild.build({ ...options(root), stdin: { contents, resolveDir: root, loader: 'ts' }, outfile });
  return outfile;
}
