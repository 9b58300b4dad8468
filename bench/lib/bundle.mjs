// Bundles TypeScript entry points for the benchmark into .bench/build/<name>/ (inside the
// repository, so the bundles resolve node_modules and the store finds its worker beside them).
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export async function bundle(root, name, entryPoints) {
  const outdir = join(root, '.bench', 'build', name);
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: entryPoints.map((e) => join(root, e)),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Left to node_modules: sql.js finds its wasm there, the lock library its native binary.
    external: ['sql.js', 'fs-native-extensions', 'better-sqlite3'],
    logLevel: 'warning',
    absWorkingDir: root,
  });
  return outdir;
}
