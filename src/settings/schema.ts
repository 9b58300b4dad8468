/**
 * The `agentFactory.*` settings as package.json contributes them: one table of keys, types,
 * defaults and bounds that the editor, the CLI and `serve` all read, so a default can never differ
 * between them and a new setting is declared once.
 */
import manifest from '../../package.json';

export const SETTINGS_SECTION = 'agentFactory';

/** The subset of JSON Schema that package.json uses for our settings. */
export interface SettingSchema {
  type: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
  items?: SettingSchema;
  properties?: Record<string, SettingSchema>;
  /** The schema of every property of an object (a map of names to values). */
  additionalProperties?: SettingSchema;
  required?: string[];
  scope?: string;
}

interface Manifest {
  contributes: { configuration: { properties: Record<string, SettingSchema> } | Array<{ properties: Record<string, SettingSchema> }> };
}

function contributed(): Map<string, SettingSchema> {
  const configuration = (manifest as unknown as Manifest).contributes.configuration;
  const sections = Array.isArray(configuration) ? configuration : [configuration];
  const table = new Map<string, SettingSchema>();
  const prefix = `${SETTINGS_SECTION}.`;
  for (const section of sections) {
    for (const [key, schema] of Object.entries(section.properties)) {
      if (key.startsWith(prefix)) table.set(key.slice(prefix.length), schema);
    }
  }
  return table;
}

const SCHEMAS = contributed();

/** Every setting key, without the `agentFactory.` prefix. */
export function settingKeys(): string[] {
  return [...SCHEMAS.keys()];
}

/** The schema of a key (without the prefix); throws for a key package.json does not declare. */
export function settingSchema(key: string): SettingSchema {
  const schema = SCHEMAS.get(key);
  if (!schema) throw new Error(`agentFactory.${key} is not declared in package.json`);
  return schema;
}

/** The declared default, copied so a caller cannot change the table. */
export function settingDefault(key: string): unknown {
  const value = settingSchema(key).default;
  return value === undefined ? undefined : structuredClone(value);
}

function typeNames(schema: SettingSchema): string[] {
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function describeType(schema: SettingSchema): string {
  const names = typeNames(schema).filter((name) => name !== 'null');
  const described = names.map((name) => {
    if (name === 'array') return `a list of ${schema.items ? describeType(schema.items) : 'values'}s`;
    if (name === 'number' || name === 'integer') {
      const lo = schema.minimum;
      const hi = schema.maximum;
      if (lo !== undefined && hi !== undefined) return `a number from ${lo} to ${hi}`;
      if (lo !== undefined) return `a number of at least ${lo}`;
      if (hi !== undefined) return `a number of at most ${hi}`;
      return 'a number';
    }
    if (name === 'string') return schema.enum ? `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}` : 'text';
    if (name === 'boolean') return 'true or false';
    return `an ${name}`;
  });
  return described.join(' or ');
}

/**
 * Checks a value against its schema. Returns undefined when it fits, or a sentence saying what is
 * wrong and what is expected ("must be a number of at least 5, not "ten"").
 */
export function checkSettingValue(schema: SettingSchema, value: unknown): string | undefined {
  if (schema.enum && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    return `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}`;
  }
  const names = typeNames(schema);
  const fits = names.some((name) => {
    switch (name) {
      case 'null':
        return value === null;
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'string':
        return typeof value === 'string';
      case 'boolean':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      default:
        return false;
    }
  });
  if (!fits) return `must be ${describeType(schema)}, not ${JSON.stringify(value)}`;
  if (typeof value === 'number') {
    if ((schema.minimum !== undefined && value < schema.minimum) || (schema.maximum !== undefined && value > schema.maximum)) {
      return `must be ${describeType(schema)}, not ${value}`;
    }
  }
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    return `does not match ${schema.pattern}: ${JSON.stringify(value)}`;
  }
  if (Array.isArray(value) && schema.items) {
    for (const [index, item] of value.entries()) {
      const problem = checkSettingValue(schema.items, item);
      if (problem) return `item ${index + 1} ${problem}`;
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && schema.properties) {
    for (const name of schema.required ?? []) {
      if (!(name in value)) return `needs "${name}"`;
    }
    for (const [name, propSchema] of Object.entries(schema.properties)) {
      const prop = (value as Record<string, unknown>)[name];
      if (prop === undefined) continue;
      const problem = checkSettingValue(propSchema, prop);
      if (problem) return `"${name}" ${problem}`;
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && schema.additionalProperties) {
    for (const [name, prop] of Object.entries(value)) {
      const problem = checkSettingValue(schema.additionalProperties, prop);
      if (problem) return `"${name}" ${problem}`;
    }
  }
  return undefined;
}
