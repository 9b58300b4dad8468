// Stands in for fs-native-extensions' own binding loader inside the bundles: the addon's prebuilt
// binaries are copied to dist/prebuilds/<platform>-<arch>/, next to the bundle that loads them.
// A platform without one throws here, and the store falls back to its lock file.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim that loads a native addon */
const { join } = require('node:path');

module.exports = require(join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node'));
