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
 * What the Security gate checks before a ticket leaves IN_SEC or reaches DONE: the last scan of
 * each ticket's change (HEAD, a fingerprint of the whole change, what could not be read).
 */
const V5: Migration = {
  version: 5,
  name: 'security scan records',
  statements: [
    `CREATE TABLE security_scans (
      ticket_id TEXT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
      commit_sha TEXT,
      state TEXT NOT NULL,
      dirty INTEGER NOT NULL DEFAULT 0,
      complete INTEGER NOT NULL DEFAULT 1,
      files INTEGER NOT NULL DEFAULT 0,
      blockers INTEGER NOT NULL DEFAULT 0,
      not_scanned TEXT NOT NULL DEFAULT '[]',
      scanned_at INTEGER NOT NULL
    )`,
  ],
};

/**
 * The conflict radar: the files each live ticket's branch and worktree change against its base,
 * with their +/- line counts (null for binary files), recorded by the Worktree cycle.
 */
const V6: Migration = {
  version: 6,
  name: 'files each ticket changes',
  statements: [
    `CREATE TABLE changed_files (
      ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      kind TEXT NOT NULL,
      additions INTEGER,
      deletions INTEGER,
      base TEXT NOT NULL,
      recorded_at INTEGER NOT NULL,
      PRIMARY KEY (ticket_id, path)
    )`,
    `CREATE INDEX changed_files_path ON changed_files(path)`,
  ],
};


/**
 * The start token of a run's agent process (see src/process/processIdentity.ts): with the pid it
 * identifies the process, so an orphaned agent is stopped only while its pid is still that agent.
 */
const V7: Migration = {
  version: 7,
  name: 'agent process start token',
  statements: [`ALTER TABLE runs ADD COLUMN process_start TEXT`],
};


/**
 * Salvages: where a removed worktree's work was saved (refs and an archive folder), so the ticket
 * page lists them and "Restore Worktree" finds them. No foreign key: a salvage outlives its
 * ticket, and is deleted only on request.
 */
const V8: Migration = {
  version: 8,
  name: 'worktree salvages',
  statements: [
    `CREATE TABLE salvages (
      id TEXT PRIMARY KEY,
      ticket_id TEXT,
      created_at INTEGER NOT NULL,
      worktree_path TEXT NOT NULL,
      branch TEXT,
      head TEXT,
      ref_prefix TEXT NOT NULL,
      archive_dir TEXT NOT NULL,
      saved_bytes INTEGER NOT NULL DEFAULT 0,
      stored_bytes INTEGER NOT NULL DEFAULT 0,
      reason TEXT NOT NULL DEFAULT '',
      summary TEXT NOT NULL DEFAULT '{}',
      restored_at INTEGER,
      restored_to TEXT
    )`,
    `CREATE INDEX salvages_ticket ON salvages(ticket_id, created_at)`,
  ],
};


/**
 * A live run's attention: whether it waits for a person (its hooks, a prompt in its output) or
 * repeats itself, as JSON (`{ needsInput?, loop? }`), null when neither.
 */
const V9: Migration = {
  version: 9,
  name: 'needs input and loops of runs',
  statements: [`ALTER TABLE runs ADD COLUMN attention TEXT`],
};


/**
 * The ticket page and attention: a person's dismissal of a finding (why, who, when; the Security
 * gate lets a dismissed finding pass) and the words of a run's last progress report, which update
 * the run's line instead of adding a thread message.
 */
const V10: Migration = {
  version: 10,
  name: 'dismissed findings and progress notes',
  statements: [
    `ALTER TABLE bugs ADD COLUMN dismissed_reason TEXT`,
    `ALTER TABLE bugs ADD COLUMN dismissed_by TEXT`,
    `ALTER TABLE bugs ADD COLUMN dismissed_at INTEGER`,
    `ALTER TABLE runs ADD COLUMN progress_note TEXT`,
  ],
};

/**
 * Gathered tickets by source, in board order: the Gatherer reads them every cycle, and on a board
 * of thousands of tickets a scan of the whole table held the thread inside its write.
 */
const V11: Migration = {
  version: 11,
  name: 'tickets by source',
  statements: [`CREATE INDEX tickets_source ON tickets(source, num)`],
};

/**
 * Tickets with a worktree, in board order: the Worktree and Security agents and the comment threads
 * read only those, a handful on a board of thousands; through the status index a read of the DONE
 * ones went over every DONE ticket. Partial, so it holds only those tickets.
 */
const V12: Migration = {
  version: 12,
  name: 'tickets with a worktree',
  statements: [`CREATE INDEX tickets_worktree ON tickets(num) WHERE worktree IS NOT NULL`],
};

export const MIGRATIONS: readonly Migration[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Meta keys the store itself maintains. */
export const META_SCHEMA_VERSION = 'schema_version';
export const META_NEXT_TICKET = 'next_ticket_number';
export const META_JOURNAL_SEQ = 'journal_seq';
