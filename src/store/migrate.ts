/** Brings a board's schema forward, recording each migration applied. */
import { FactoryError } from '../domain/errors';
import { META_SCHEMA_VERSION, MIGRATIONS, SCHEMA_VERSION } from './schema';
import type { Db } from './sqlite';

export function schemaVersionOf(db: Db): number {
  const hasMeta = db.value("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'") !== undefined;
  if (!hasMeta) return 0;
  const v = db.value('SELECT value FROM meta WHERE key = ?', [META_SCHEMA_VERSION]);
  return v === undefined || v === null ? 0 : Number(v);
}

export function assertSupportedVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new FactoryError('store-damaged', `the board records an invalid schema version (${String(version)})`);
  }
  if (version > SCHEMA_VERSION) {
    throw new FactoryError(
      'store-damaged',
      `this board was written by a newer Agent Factory (schema ${version}; this one knows ${SCHEMA_VERSION}); update the extension to open it`,
    );
  }
}

/**
 * Applies every migration after the board's version, through `db.run` so that, inside a write,
 * the statements are journaled like any other change. Returns the version it started from.
 */
export function applyMigrations(db: Db, now: number): number {
  const from = schemaVersionOf(db);
  assertSupportedVersion(from);
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    for (const sql of m.statements) db.run(sql);
    db.run('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now]);
    db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [META_SCHEMA_VERSION, String(m.version)]);
  }
  return from;
}
