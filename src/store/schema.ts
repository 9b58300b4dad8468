/**
 * The board's schema as an ordered list of migrations. A migration is never edited once released:
 * a database written by an older version opens and is brought forward by the ones it lacks, and
 * the `migrations` table records each version applied (when, and under which name).
 */

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

const V1: Migration = {
  version: 1,
  name: 'first schema',
  statements: [
    `CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`,
    `CREATE TABLE meta (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    )`,
    `CREATE TABLE tickets (
      id TEXT PRIMARY KEY,
      num INTEGER NOT NULL UNIQUE,
      title TEXT NOT NULL,
      description TEXT NOT NULL DEFAULT '',
      acceptance_criteria TEXT NOT NULL DEFAULT '[]',
      priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
      type TEXT NOT NULL,
      labels TEXT NOT NULL DEFAULT '[]',
      source TEXT NOT NULL,
      fingerprint TEXT,
      status TEXT NOT NULL,
      blocked_from TEXT,
      blocked_reason TEXT,
      assigned_agent TEXT,
      worktree TEXT,
      heal_count INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      status_since INTEGER NOT NULL
    )`,
    `CREATE TABLE ticket_history (
      id INTEGER PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      from_status TEXT,
      to_status TEXT NOT NULL,
      at INTEGER NOT NULL,
      by TEXT NOT NULL,
      note TEXT
    )`,
    `CREATE TABLE bugs (
      id TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      title TEXT NOT NULL,
      description TEXT NOT NULL DEFAULT '',
      severity TEXT NOT NULL,
      found_by TEXT NOT NULL,
      file TEXT,
      line INTEGER,
      rule TEXT,
      fingerprint TEXT,
      fixed INTEGER NOT NULL DEFAULT 0,
      fixed_at INTEGER,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      stage TEXT NOT NULL,
      agent TEXT NOT NULL,
      worktree TEXT,
      owner TEXT NOT NULL,
      pid INTEGER,
      started_at INTEGER NOT NULL,
      heartbeat_at INTEGER NOT NULL,
      last_output_at INTEGER,
      ended_at INTEGER,
      status TEXT NOT NULL,
      exit_code INTEGER,
      attempt INTEGER NOT NULL DEFAULT 1,
      log_file TEXT,
      reported_progress REAL,
      note TEXT
    )`,
    `CREATE TABLE conversations (
      id TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      type TEXT NOT NULL,
      title TEXT NOT NULL,
      status TEXT NOT NULL,
      file TEXT,
      line INTEGER,
      key TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE TABLE messages (
      id TEXT PRIMARY KEY,
      conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      author TEXT NOT NULL,
      kind TEXT NOT NULL,
      body TEXT NOT NULL,
      metadata TEXT,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE checkins (
      id TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      type TEXT NOT NULL,
      summary TEXT NOT NULL,
      findings TEXT NOT NULL,
      action_required INTEGER NOT NULL,
      resolved INTEGER NOT NULL DEFAULT 0,
      conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE findings (
      fingerprint TEXT PRIMARY KEY,
      scanner TEXT NOT NULL,
      ticket_id TEXT REFERENCES tickets(id) ON DELETE SET NULL,
      kind TEXT NOT NULL,
      file TEXT NOT NULL,
      line INTEGER NOT NULL,
      text TEXT NOT NULL,
      data TEXT,
      first_seen_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      gone_at INTEGER
    )`,
    `CREATE TABLE scanned (
      content_hash TEXT NOT NULL,
      rules_version TEXT NOT NULL,
      scanned_at INTEGER NOT NULL,
      PRIMARY KEY (content_hash, rules_version)
    )`,
    `CREATE TABLE deleted_fingerprints (
      fingerprint TEXT PRIMARY KEY,
      ticket_id TEXT NOT NULL,
      deleted_at INTEGER NOT NULL,
      deleted_by TEXT NOT NULL
    )`,
    `CREATE TABLE agent_state (
      name TEXT PRIMARY KEY,
      paused INTEGER NOT NULL DEFAULT 0,
      last_cycle_at INTEGER,
      status TEXT
    )`,
    `CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      heartbeat_at INTEGER NOT NULL,
      acquired_at INTEGER NOT NULL
    )`,
    `CREATE INDEX tickets_status ON tickets(status)`,
    `INSERT INTO meta (key, value) VALUES ('next_ticket_number', '1')`,
  ],
};

/**
 * Indexes for what the PM cycle and the views ask every few seconds: a ticket's history, bugs,
 * runs, check-ins, threads and messages, live runs by status, findings per scanner. Without them
 * every per-ticket read of a 10,000-ticket board scans whole tables (and so do cascading deletes).
 */
const V2: Migration = {
  version: 2,
  name: 'indexes for per-ticket reads',
  statements: [
    `CREATE INDEX ticket_history_ticket ON ticket_history(ticket_id, id)`,
    `CREATE INDEX bugs_ticket ON bugs(ticket_id, created_at)`,
    `CREATE INDEX runs_ticket ON runs(ticket_id, started_at)`,
    `CREATE INDEX runs_status ON runs(status)`,
    `CREATE INDEX checkins_ticket ON checkins(ticket_id, created_at)`,
    `CREATE INDEX checkins_conversation ON checkins(conversation_id)`,
    `CREATE INDEX conversations_ticket ON conversations(ticket_id, key)`,
    `CREATE INDEX messages_conversation ON messages(conversation_id, created_at)`,
    `CREATE INDEX findings_scanner ON findings(scanner, ticket_id)`,
    `CREATE INDEX findings_ticket ON findings(ticket_id)`,
    `CREATE INDEX tickets_fingerprint ON tickets(fingerprint) WHERE fingerprint IS NOT NULL`,
  ],
};

/** What each run's model calls used, read from the coding agent's machine output while it runs. */
const V3: Migration = {
  version: 3,
  name: 'token usage of runs',
  statements: [
    `ALTER TABLE runs ADD COLUMN input_tokens INTEGER`,
    `ALTER TABLE runs ADD COLUMN output_tokens INTEGER`,
    `ALTER TABLE runs ADD COLUMN cached_tokens INTEGER`,
    `ALTER TABLE runs ADD COLUMN cost_usd REAL`,
  ],
};

/**
 * The closed loop: what a ticket waits for (`depends_on`, a JSON list of ticket ids), the verdict
 * and summary an agent reported for its run, and messages addressed to a ticket's agent with
 * when (and by which run) they were read.
 */
const V4: Migration = {
  version: 4,
  name: 'dependencies, verdicts and the agent inbox',
  statements: [
    `ALTER TABLE tickets ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]'`,
    `ALTER TABLE runs ADD COLUMN verdict TEXT`,
    `ALTER TABLE runs ADD COLUMN summary TEXT`,
    `ALTER TABLE messages ADD COLUMN to_agent INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE messages ADD COLUMN read_at INTEGER`,
    `ALTER TABLE messages ADD COLUMN read_by TEXT`,
  ],
};

/**
 * The ticket page and attention: a person's dismissal of a finding (why, who, when; the Security
 * gate lets a dismissed finding pass) and the words of a run's last progress report, which update
 * the run's line instead of adding a thread message.
 */
const V5: Migration = {
  version: 5,
  name: 'dismissed findings and progress notes',
  statements: [
    `ALTER TABLE bugs ADD COLUMN dismissed_reason TEXT`,
    `ALTER TABLE bugs ADD COLUMN dismissed_by TEXT`,
    `ALTER TABLE bugs ADD COLUMN dismissed_at INTEGER`,
    `ALTER TABLE runs ADD COLUMN progress_note TEXT`,
  ],
};

export const MIGRATIONS: readonly Migration[] = [V1, V2, V3, V4, V5];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Meta keys the store itself maintains. */
export const META_SCHEMA_VERSION = 'schema_version';
export const META_NEXT_TICKET = 'next_ticket_number';
export const META_JOURNAL_SEQ = 'journal_seq';
