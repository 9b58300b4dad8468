/**
 * sql.js, loaded once per wasm file, and a thin wrapper over one in-memory database: cached
 * prepared statements, rows as plain objects, and a recorder that captures every mutating
 * statement with its parameters so the write can be journaled and replayed elsewhere.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import type { BindParams, Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';

export type Param = string | number | null;
export type Row = Record<string, SqlValue>;

const MAX_CACHED_STATEMENTS = 500;
const DML = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;
/** Statements `exec` runs that leave every table's columns as they were. */
const KEEPS_COLUMNS = /^\s*(BEGIN|COMMIT|SAVEPOINT|RELEASE|INSERT|UPDATE|DELETE|REPLACE)\b/i;

/** Bumped by everything that may change a database, in every Db of this process (see `generation`). */
let lastGeneration = 0;

const modules = new Map<string, Promise<SqlJsStatic>>();

export function defaultWasmPath(): string {
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

/**
 * The wasm a bundle (dist/cli.js, a headless host) ships beside itself; undefined when running
 * compiled (tests), where the package's own is used.
 */
export function bundledWasmPath(): string | undefined {
  const bundled = join(__dirname, 'sql-wasm.wasm');
  return existsSync(bundled) ? bundled : undefined;
}

/** The initialized sql.js module for a wasm file; loaded once per process and path. */
export function loadSqlJs(wasmPath: string = defaultWasmPath()): Promise<SqlJsStatic> {
  let module = modules.get(wasmPath);
  if (module === undefined) {
    module = initSqlJs({ locateFile: () => wasmPath });
    // A failed load (a missing wasm file) must not poison later attempts.
    module.catch(() => modules.delete(wasmPath));
    modules.set(wasmPath, module);
  }
  return module;
}

/**
 * One recorded statement: an index into the entry's statement texts, its parameters, and how many
 * rows it changed (so a replay that diverges, on a board missing an earlier entry, is noticed).
 */
export type RecordedOp = [number, Param[], number?];

export interface Recording {
  sql: string[];
  ops: RecordedOp[];
}

export class Db {
  private readonly statements = new Map<string, Statement>();
  /**
   * Each cached statement's column names. sql.js reads them out of the wasm heap one call and one
   * string at a time, on every row of `getAsObject`: most of what a read allocated. Only a schema
   * change (a migration, or the rollback of one) changes them.
   */
  private readonly columns = new Map<Statement, string[]>();
  private changes = ++lastGeneration;
  private recording: { sql: string[]; index: Map<string, number>; ops: RecordedOp[] } | undefined;

  constructor(private readonly raw: Database) {
    this.applyPragmas();
  }

  /**
   * Pragmas live in the connection, not in the file, and sql.js's `export()` closes and reopens
   * the connection: so they are applied on every (re)open.
   */
  applyPragmas(): void {
    this.changed(true);
    this.raw.run('PRAGMA foreign_keys = ON');
    // Journaling happens in our own append-only file; SQLite's rollback journal only needs memory.
    this.raw.run('PRAGMA journal_mode = MEMORY');
    this.raw.run('PRAGMA temp_store = MEMORY');
  }

  /** `PRAGMA quick_check`: undefined when the database is sound, else what is wrong (first lines). */
  quickCheck(): string | undefined {
    try {
      const rows = this.raw.exec('PRAGMA quick_check');
      const lines = (rows[0]?.values ?? []).map((r) => String(r[0]));
      return lines.length === 1 && lines[0] === 'ok' ? undefined : lines.slice(0, 3).join('; ') || 'no answer';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  pragma(name: string): SqlValue | undefined {
    // A pragma that sets something may change what kept reads saw.
    if (name.includes('=')) this.changed(true);
    const rows = this.raw.exec(`PRAGMA ${name}`);
    return rows[0]?.values[0]?.[0];
  }

  /** A plain SQLite file of the current state. Statements are freed by sql.js, so forget them. */
  export(): Uint8Array {
    this.forgetStatements();
    const bytes = this.raw.export();
    this.applyPragmas();
    return bytes;
  }

  all(sql: string, params: readonly Param[] = []): Row[] {
    const stmt = this.prepare(sql);
    try {
      stmt.bind(params as BindParams);
      const rows: Row[] = [];
      while (stmt.step()) rows.push(this.row(stmt));
      return rows;
    } finally {
      stmt.reset();
    }
  }

  get(sql: string, params: readonly Param[] = []): Row | undefined {
    const stmt = this.prepare(sql);
    try {
      stmt.bind(params as BindParams);
      return stmt.step() ? this.row(stmt) : undefined;
    } finally {
      stmt.reset();
    }
  }

  /** First column of every row. */
  column(sql: string, params: readonly Param[] = []): SqlValue[] {
    const stmt = this.prepare(sql);
    try {
      stmt.bind(params as BindParams);
      const values: SqlValue[] = [];
      while (stmt.step()) values.push(stmt.get()[0]);
      return values;
    } finally {
      stmt.reset();
    }
  }

  /** First column of the first row. */
  value(sql: string, params: readonly Param[] = []): SqlValue | undefined {
    const stmt = this.prepare(sql);
    try {
      stmt.bind(params as BindParams);
      return stmt.step() ? stmt.get()[0] : undefined;
    } finally {
      stmt.reset();
    }
  }

  /**
   * Changes whenever the database may have: a result read at one generation is what the same read
   * gives while it stays the same. Unique across every Db of the process (a board that reopens its
   * file gets a new Db).
   */
  get generation(): number {
    return this.changes;
  }

  /** A mutating statement: run, and recorded when a recording is open. Returns rows changed. */
  run(sql: string, params: readonly Param[] = []): number {
    this.changed(!DML.test(sql));
    const stmt = this.prepare(sql);
    try {
      stmt.run(params as BindParams);
    } finally {
      stmt.reset();
    }
    const changed = this.raw.getRowsModified();
    if (this.recording !== undefined) {
      let i = this.recording.index.get(sql);
      if (i === undefined) {
        i = this.recording.sql.length;
        this.recording.sql.push(sql);
        this.recording.index.set(sql, i);
      }
      // sqlite3_changes() is only meaningful after INSERT, UPDATE or DELETE (DDL leaves the last one's count).
      this.recording.ops.push(DML.test(sql) ? [i, [...params], changed] : [i, [...params]]);
    }
    return changed;
  }

  /** Runs a statement without recording it (transaction control, replay). */
  exec(sql: string): void {
    // sql.js runs every statement of the text: only a single statement is judged by its first word.
    this.changed(!KEEPS_COLUMNS.test(sql) || sql.trim().replace(/;$/, '').includes(';'));
    this.raw.run(sql);
  }

  startRecording(): void {
    this.recording = { sql: [], index: new Map(), ops: [] };
  }

  stopRecording(): Recording {
    const r = this.recording ?? { sql: [], ops: [] };
    this.recording = undefined;
    return { sql: r.sql, ops: r.ops };
  }

  /** Re-applies a recording made by `run` (here or in another process). */
  replay(rec: Recording): void {
    for (const [i, params, expected] of rec.ops) {
      const sql = rec.sql[i];
      if (sql === undefined) throw new Error(`journal entry refers to statement ${i} it does not hold`);
      this.changed(!DML.test(sql));
      const stmt = this.prepare(sql);
      try {
        stmt.run(params);
      } finally {
        stmt.reset();
      }
      if (expected !== undefined && this.raw.getRowsModified() !== expected) {
        throw new Error(`statement ${i} changed ${this.raw.getRowsModified()} rows where its writer changed ${expected}`);
      }
    }
  }

  forgetStatements(): void {
    for (const stmt of this.statements.values()) {
      try {
        stmt.free();
      } catch {
        // Already freed by sql.js (export() frees every statement it knows).
      }
    }
    this.statements.clear();
    this.columns.clear();
  }

  close(): void {
    this.changed(true);
    this.forgetStatements();
    this.raw.close();
  }

  /** The current row as an object, named by the statement's cached column names. */
  private row(stmt: Statement): Row {
    let names = this.columns.get(stmt);
    if (names === undefined) {
      names = stmt.getColumnNames();
      this.columns.set(stmt, names);
    }
    const values = stmt.get();
    const row: Row = {};
    for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
    return row;
  }

  /** Something may change the data (and, with `schema`, a table's columns): cached reads are stale. */
  private changed(schema: boolean): void {
    this.changes = ++lastGeneration;
    if (schema) this.columns.clear();
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      // Queries are a fixed set plus a few shapes built from filters; this bound only matters
      // if a caller ever builds SQL from unbounded input.
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.forgetStatements();
      stmt = this.raw.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}
