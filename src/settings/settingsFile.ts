/**
 * `agentFactory.*` read from settings files outside the editor (`serve`, the CLI): the
 * repository's `.vscode/settings.json`, then any `--config` file over it. Both are JSON with
 * comments and trailing commas, as VS Code writes them, parsed with `jsonc-parser`. Keys may be
 * written flat (`"agentFactory.pm.stallMinutes": 5`) or nested (`"agentFactory": {"pm": {...}}`),
 * as VS Code accepts both.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { FactoryError } from '../domain/errors';
import { settingKeys, SETTINGS_SECTION } from './schema';
import type { SettingsSource } from './settings';

/** Reads one settings file; a missing file is empty, a malformed one is an error naming the spot. */
export function readSettingsFile(file: string): Map<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new FactoryError('invalid-input', `cannot read ${file}: ${(err as Error).message}`);
  }
  const errors: ParseError[] = [];
  const root: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0];
    const line = text.slice(0, first.offset).split('\n').length;
    throw new FactoryError('invalid-input', `${file}:${line}: ${printParseErrorCode(first.error)} (not valid JSON with comments)`);
  }
  if (root === undefined) return new Map();
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new FactoryError('invalid-input', `${file} must hold a JSON object of settings`);
  }
  return flatten(root as Record<string, unknown>);
}

/** `agentFactory.*` values keyed without the prefix, from flat or nested spellings. */
function flatten(root: Record<string, unknown>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  const prefix = `${SETTINGS_SECTION}.`;
  const nested = root[SETTINGS_SECTION];
  // Known keys are looked up along their dots, so an object-valued setting (an agent command) is
  // taken whole rather than flattened into its fields.
  for (const key of settingKeys()) {
    const flat = root[prefix + key];
    if (flat !== undefined) {
      values.set(key, flat);
      continue;
    }
    const found = lookup(nested, key);
    if (found !== undefined) values.set(key, found);
  }
  return values;
}

function lookup(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  const record = node as Record<string, unknown>;
  if (key in record) return record[key];
  const dot = key.indexOf('.');
  for (let at = dot; at !== -1; at = key.indexOf('.', at + 1)) {
    const head = key.slice(0, at);
    if (head in record) {
      const found = lookup(record[head], key.slice(at + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The settings of a repository as `serve` sees them: `<repo>/.vscode/settings.json`, overridden
 * key by key by `configFile` when given. Read once; call again to pick up edits.
 */
export function repositorySettingsSource(repoRoot: string, configFile?: string): SettingsSource {
  const values = readSettingsFile(path.join(repoRoot, '.vscode', 'settings.json'));
  if (configFile !== undefined) {
    const overrides = readSettingsFile(path.resolve(configFile));
    if (overrides.size === 0 && !existsSync(configFile)) {
      throw new FactoryError('invalid-input', `the settings file ${configFile} does not exist`);
    }
    for (const [key, value] of overrides) values.set(key, value);
  }
  return { get: (key) => values.get(key) };
}
