/* Migrations in SQLite's dialect.
 *
 * Version 1 adopts an application database as it is: every statement is
 * "IF NOT EXISTS", so existing users and sessions tables and their rows
 * are kept, and only what is missing is created.
 */
#include "../../migrations.h"

const struct sc_migration sc_sqlite_migrations[] = {
	{ 1, "users and sessions",
	  "CREATE TABLE IF NOT EXISTS users (\n"
	  "    id INTEGER PRIMARY KEY,\n"
	  "    email TEXT UNIQUE,\n"
	  "    username TEXT,\n"
	  "    role TEXT NOT NULL DEFAULT 'user'\n"
	  ");\n"
	  "CREATE TABLE IF NOT EXISTS sessions (\n"
	  "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	  "    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	  "    device_fingerprint TEXT,\n"
	  "    device_name TEXT,\n"
	  "    device_type TEXT,\n"
	  "    browser TEXT,\n"
	  "    ip_address TEXT,\n"
	  "    created_at TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),\n"
	  "    last_activity TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),\n"
	  "    is_active INTEGER NOT NULL DEFAULT 1\n"
	  ");\n"
	  "CREATE INDEX IF NOT EXISTS idx_user_active ON sessions (user_id, is_active);\n"
	  "CREATE INDEX IF NOT EXISTS idx_created_at ON sessions (created_at);\n"
	  "CREATE UNIQUE INDEX IF NOT EXISTS uq_sessions_user_device\n"
	  "    ON sessions (user_id, device_fingerprint);\n"
	  /* No index on last_activity here: a catch-up enforce walks the
	   * table in id order (neighbouring pages per batch); version 4 adds
	   * a partial one for the steady state. */
	  "" },
	{ 2, "audit trail",
	  "CREATE TABLE IF NOT EXISTS sessctl_audit (\n"
	  "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	  "    session_id INTEGER,\n"
	  "    user_id INTEGER,\n"
	  "    action TEXT NOT NULL,\n"
	  "    actor TEXT NOT NULL,\n"
	  "    reason TEXT,\n"
	  "    created_at TEXT NOT NULL\n"
	  ");\n"
	  "CREATE INDEX IF NOT EXISTS idx_sessctl_audit_user ON sessctl_audit (user_id, id);\n"
	  "CREATE INDEX IF NOT EXISTS idx_sessctl_audit_session ON sessctl_audit (session_id, id);\n" },
	/* Version 3: each audit row keeps what it changed (the user's email,
	 * the device and address of the session) and the time the rules were
	 * evaluated at (--now). Existing rows keep NULL there. ADD COLUMN
	 * only changes the table's definition: no row is rewritten. */
	{ 3, "audit snapshots",
	  "ALTER TABLE sessctl_audit ADD COLUMN evaluated_at TEXT;\n"
	  "ALTER TABLE sessctl_audit ADD COLUMN email TEXT;\n"
	  "ALTER TABLE sessctl_audit ADD COLUMN device_name TEXT;\n"
	  "ALTER TABLE sessctl_audit ADD COLUMN ip_address TEXT;\n"
	  "ALTER TABLE sessctl_audit ADD COLUMN device_type TEXT;\n"
	  /* history --since and metrics' last 24 h read by time */
	  "CREATE INDEX IF NOT EXISTS idx_sessctl_audit_created ON sessctl_audit (created_at);\n" },
	/* Version 4: enforce in steady state (src/enforce-steady.c, steady.c) finds
	 * the few sessions that crossed the idle cutoff and the users active
	 * since its last run through this index of the active sessions,
	 * instead of ranking every row. It costs the application's writes
	 * that move last_activity or is_active one more index entry (README,
	 * Performance). Building it reads the table once and holds the
	 * write lock meanwhile: about a second per million sessions. */
	{ 4, "enforce steady state",
	  "CREATE INDEX IF NOT EXISTS idx_sessions_active_activity\n"
	  "    ON sessions (last_activity, user_id, is_active) WHERE is_active;\n"
	  /* Every change checks its --actor against the users (id, email
	   * or username), once per batch: without this, a scan of users. */
	  "CREATE INDEX IF NOT EXISTS idx_users_username ON users (username);\n"
	  /* One row: what the last complete enforce run over every user
	   * recorded (struct sc_enforce_state; times in epoch seconds). */
	  "CREATE TABLE IF NOT EXISTS sessctl_enforce_state (\n"
	  "    id INTEGER PRIMARY KEY CHECK (id = 1),\n"
	  "    max_sessions INTEGER NOT NULL,\n"
	  "    since INTEGER NOT NULL,\n"
	  "    full_at INTEGER NOT NULL\n"
	  ");\n" },
	/* Version 5 gives PostgreSQL a function that answers the schema
	 * version in the round trip that begins a transaction; reading
	 * sessctl_migrations costs SQLite no round trip. */
	{ 5, "schema version function",
	  "-- nothing to change in SQLite\n" },
	/* Version 6: enforce records the idle cutoff of a run that expired
	 * sessions (NULL: not known, and the next run is a full pass), and
	 * the next run looks for idle sessions only from there (steady.c).
	 * So the index on last_activity need not be partial: a plain one is
	 * not touched when a session is closed, which a catch-up does to
	 * hundreds of thousands of rows in short batches (README,
	 * Performance: 64 s to 38 s at 1 M sessions). The application's
	 * logins and refreshes write the same entry as before; its logouts
	 * write none. Building it reads the table once and holds the write
	 * lock meanwhile: about a second per million sessions. */
	{ 6, "enforce idle cutoff",
	  "ALTER TABLE sessctl_enforce_state ADD COLUMN idle_cutoff INTEGER;\n"
	  "CREATE INDEX IF NOT EXISTS idx_sessions_activity ON sessions (last_activity, user_id);\n"
	  "DROP INDEX IF EXISTS idx_sessions_active_activity;\n" },
	/* Version 7 changes a PostgreSQL index's storage (B-tree
	 * deduplication); SQLite's B-trees keep every entry on its own
	 * already. The version is recorded all the same: one schema version
	 * means one set of tables whatever the backend. */
	{ 7, "idx_user_active without deduplication", "" },
	/* Version 8 gives PostgreSQL an index of the closed sessions by
	 * last activity, for purge in steady state; here
	 * idx_sessions_activity (version 6) holds every session already. */
	{ 8, "closed sessions by activity", "" },
};
