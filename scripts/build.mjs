// Bundles the extension and the CLI with esbuild and copies sql.js's wasm and the write lock's
// native binaries (fs-native-extensions' prebuilds, one per platform) next to the bundles.
// --production minifies without source maps (what `npm run package` ships); --watch rebuilds.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// The addon's own loader looks for its binary beside its package; in a bundle it must look beside
// the bundle instead.
const nativeLockBinding = {
  name: 'native-lock-binding',
  setup(build) {
    build.onResolve({ filter: /^\.\/binding$/ }, (args) =>
      args.importer.includes(`${join('node_modules', 'fs-native-extensions')}`) ? { path: join(root, 'scripts', 'lib', 'nativeLockBinding.cjs') } : undefined,
    );
  },
};

// Every module of src/vscode/ imports `* as vscode`, and esbuild makes each such import of an
// external module a copy of it: an object with a getter (a closure and its scope) for each of the
// API's 388 names, 41 copies, 16,000 getters the host's collector walks for as long as the
// window lives. Importing it through one module of its own makes one copy for all of them.
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) => (args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' }));
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

/** The platforms VS Code runs on whose prebuilt lock binary the package ships. */
const NATIVE_LOCK_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];

const common = {
  plugins: [nativeLockBinding, vscodeOnce],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  // The store's default wasm path (require.resolve) is for plain-node use; the bundles always pass
  // the wasm copied beside them, so esbuild's warning about it is noise.
  logOverride: { 'require-resolve-not-external': 'silent' },
  // jsonc-parser's `main` is a UMD build whose internal requires esbuild cannot follow (the CLI
  // failed at start with "Cannot find module './impl/format'"); its ES module build bundles whole.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  // sql.js's Emscripten glue reads `navigator` for a locale; in the extension host that global
  // logs a deprecation warning on every load. Node has no use for it: the glue's fallback ("C")
  // is what it gets anyway.
  define: { navigator: 'undefined' },
  absWorkingDir: root,
};

const builds = [
  { ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The store compacts its journal in a worker thread; it finds this file next to its own bundle.
  { ...common, entryPoints: ['src/store/storeWorker.ts'], outfile: 'dist/storeWorker.js' },
  // The Security scan matches files in worker threads; the pool finds this file next to its own bundle.
  { ...common, entryPoints: ['src/scan/security/matchWorker.ts'], outfile: 'dist/matchWorker.js' },
  // Every agent's output passes through the masking log writer; the runner finds it next to its own bundle.
  { ...common, entryPoints: ['src/runner/logWriter.ts'], outfile: 'dist/logWriter.js' },
  // The editor starts its git commands in this small process, not on the extension host's thread.
  { ...common, entryPoints: ['src/git/processStarterMain.ts'], outfile: 'dist/processStarter.js' },
];

mkdirSync(join(root, 'dist'), { recursive: true });
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), join(root, 'dist', 'sql-wasm.wasm'));
const prebuilds = join(dirname(require.resolve('fs-native-extensions/package.json')), 'prebuilds');
for (const platform of NATIVE_LOCK_PLATFORMS) {
  const from = join(prebuilds, platform, 'fs-native-extensions.node');
  if (!existsSync(from)) throw new Error(`fs-native-extensions ships no binary for ${platform} (have: ${readdirSync(prebuilds).join(', ')})`);
  mkdirSync(join(root, 'dist', 'prebuilds', platform), { recursive: true });
  copyFileSync(from, join(root, 'dist', 'prebuilds', platform, 'fs-native-extensions.node'));
}

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log('watching src/ for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  // V8 keeps a script's source for as long as it runs, in one byte a character while every
  // character is Latin-1 and in two otherwise: one arrow or ellipsis in a comment or a regular
  // expression doubled the bundle's share of the extension host's heap. esbuild escapes strings.
  for (const { outfile } of builds) {
    const bytes = readFileSync(join(root, outfile));
    const at = bytes.findIndex((b) => b > 0x7f);
    if (at >= 0) {
      const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
      throw new Error(`${outfile}:${line} holds a non-ASCII character; write it as an escape (\\u....) or in ASCII`);
    }
  }
}
