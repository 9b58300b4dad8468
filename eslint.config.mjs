// Flat ESLint config. Besides the usual checks it enforces the layering of the project: only
// src/vscode/ may import the `vscode` module; everything else must run in plain node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Scanning the process table synchronously would hold the extension host's thread: the layers
 * that look at processes use fs/promises.
 */
const noSyncScan = ['node:fs', 'fs'].map((name) => ({
  name,
  importNames: ['readdirSync'],
  message: 'No synchronous directory scans here (the process table is /proc): use fs/promises.',
}));

/** No `vscode`, and none of the folders named in `forbidden` (layers this one sits below or beside). */
const headless = (forbidden = [], extraPaths = []) => ({
  'no-restricted-imports': ['error', {
    paths: [{ name: 'vscode', message: 'Only src/vscode/ may import vscode (see STYLE.md): keep this layer headless.' }, ...extraPaths],
    patterns: forbidden.map((folder) => ({
      regex: `(^|/)${folder}/`,
      message: `This layer must not import src/${folder}/: agents/ and runner/ never import each other, and domain/ and process/ sit below both. Move what both need below them.`,
    })),
  }],
  'no-restricted-syntax': ['error', {
    selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']",
    message: 'Only src/vscode/ may require vscode.',
  }],
});
const noVscode = headless();

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.bench/**', 'node_modules/**', 'test-output/**', '.vscode-test/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's describe/it return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  { files: ['src/**/*.ts', 'test/unit/**/*.ts', 'scripts/**/*.{js,mjs}'], ignores: ['src/vscode/**'], rules: noVscode },
  { files: ['src/agents/**/*.ts'], rules: headless(['runner', 'host'], noSyncScan) },
  { files: ['src/runner/**/*.ts'], rules: headless(['agents', 'host'], noSyncScan) },
  { files: ['src/domain/**/*.ts', 'src/process/**/*.ts'], rules: headless(['agents', 'runner', 'host', 'store', 'git', 'scan', 'cli', 'settings'], noSyncScan) },
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      // Keep disableTypeChecked's parserOptions: plain JS belongs to no tsconfig project.
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', AbortController: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' },
    },
  },
);
