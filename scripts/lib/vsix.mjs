// What a .vsix holds, and whether that is exactly what the extension should ship.
import yauzl from 'yauzl';

/** The file names inside a .vsix (a zip), in archive order. */
export async function vsixEntries(file) {
  const zip = await yauzl.openPromise(file);
  const names = [];
  try {
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith('/')) names.push(entry.fileName);
    }
  } finally {
    zip.close();
  }
  return names;
}

/**
 * Files the package must hold (exactly these, besides the zip's own manifest entries) and
 * patterns it may hold. Everything else (sources, tests, node_modules, source maps, scripts)
 * is a packaging mistake.
 */
const required = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/cli.js',
  'extension/dist/storeWorker.js',
  'extension/dist/matchWorker.js',
  'extension/dist/logWriter.js',
  'extension/dist/processStarter.js',
  ...['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'].map((platform) => `extension/dist/prebuilds/${platform}/fs-native-extensions.node`),
  'extension/dist/sql-wasm.wasm',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
];
const allowed = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/media\/[^/]+\.(svg|png)$/,
];

/** Problems with a package's file list, empty when it is right. */
export function vsixProblems(names) {
  const problems = [];
  const present = new Set(names);
  for (const name of required) if (!present.has(name)) problems.push(`missing ${name}`);
  for (const name of names) {
    if (!required.includes(name) && !allowed.some((pattern) => pattern.test(name))) problems.push(`unexpected ${name}`);
  }
  return problems;
}
