/* The backend interface: everything sessctl asks of a database. PRIVATE:
 * only the core (the files in src/) and the backends (src/backends/NAME/) include
 * this header; cli/ uses db.h.
 *
 * A backend exports one `const struct sc_backend` (with SC_BACKEND_ABI and
 * its size first, so the core can refuse a module built for another
 * version, as sqlite3_vfs carries iVersion); all its other functions are
 * private to its folder. SQL lives only in backends, rules only in the
 * core. Every operation but open, close and the migration slots runs
 * inside a transaction the core opened with begin() and ends with
 * commit() or rollback(); rows come back through callbacks, so output
 * streams. Operations return 0, or -1 with err set; they never print.
 * A slot marked OPTIONAL may be NULL: the core then does what its comment
 * says.
 *
 * A backend's connection struct begins with struct sc_db, so the core can
 * reach the backend from any handle.
 */
#ifndef SESSCTL_BACKEND_H
#define SESSCTL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "db.h"
#include "dburl.h"
#include "domain.h"
#include "error.h"
#include "migrations.h"

/* Bumped whenever struct sc_backend or a type it uses changes shape, or
 * an argument or a field its functions read changes meaning (25: struct
 * sc_error's message grew to 1024 bytes, for a list of hosts' lines
 * after a long URL; 24: the id cursors became inclusive, `from` where
 * they were `after`: a module built before would read each batch's
 * start one id too far on). */
#define SC_BACKEND_ABI 25

enum sc_tx_mode {
	SC_TX_READ,    /* a read-only transaction with one consistent view */
	SC_TX_WRITE,   /* a read-write transaction that takes the write lock
			* up front (SQLite BEGIN IMMEDIATE) */
	SC_TX_MIGRATE, /* a write transaction for one migration: each
			* statement sees what an earlier migrator committed
			* (PostgreSQL READ COMMITTED) */
};

struct sc_db {
	const struct sc_backend *backend;
	enum sc_open_mode mode;
	const char *display; /* the URL with any password masked, for messages */
	sc_notice_cb notice; /* what the core tells as it goes (-v), or NULL */
	void *notice_ctx;
	sc_notice_cb warn;   /* values read as NULL (sc_db_unreadable), or NULL */
	void *warn_ctx;
	struct sc_unreadable *unreadable; /* the core's: zero it, never touch it */
	bool schema_unchecked; /* the core's: checked in the first transaction */
	/* The backend's, at open: the band enforce's adaptive batches aim
	 * for, in ms (0: SC_BATCH_FAST_MS and SC_BATCH_SLOW_MS). Lower where
	 * a commit is cheap, so that shorter batches cost little. */
	unsigned batch_fast_ms, batch_slow_ms;
	/* The core's, for a batched run (enforce, bulk logout): its stop
	 * flag, set by SIGINT/SIGTERM, or NULL; from open() on when the
	 * caller of sc_db_open gave one (enforce). A backend waiting for a
	 * lock gives the wait up when it is set (SQLite's busy handler), and
	 * the core then retries no more. */
	const volatile sig_atomic_t *stop;
	/* Rows another transaction keeps locked (an application transaction
	 * left open) must not stop a batched run at them on every run. The
	 * backend sets lock_waited when a statement gave up waiting for a
	 * row lock (PostgreSQL 55P03); for the retry of a batch of a run
	 * that may (may_skip_locked, the core's: enforce, bulk logout), the
	 * core sets skip_locked, and the backend's writes then leave the
	 * rows (or users, lock_users) they cannot lock at once, appending
	 * them here: the sessions close_sessions left, the rows
	 * purge_sessions left, the users lock_users left. The core empties
	 * them before each attempt and frees them (count_left tells, at the
	 * end of the run, what of them is still to do). A backend whose
	 * write transaction locks the whole database never sets
	 * lock_waited. */
	bool lock_waited;
	bool may_skip_locked;
	bool skip_locked;
	struct sc_ids left_closes, left_purges, left_users;
	/* The server cut a statement short by its own limit on statements
	 * (PostgreSQL's statement_timeout, 57014): the backend sets it; the
	 * core clears it before each attempt. A batched run whose batch size
	 * sessctl chooses points shrink_batch (the core's) at that size, and
	 * the retry runs a smaller batch at once: the same batch again times
	 * out alike. */
	bool timed_out;
	int64_t *shrink_batch;
	/* The smallest batch size the server cancelled so far (0: none),
	 * the first of a batch's cancels only (the sizes cut again at once
	 * may be cut for another cause, a lock or a stall: remembered, one
	 * such moment held a whole run at one row a batch): the core sets
	 * it as it shrinks. Batches grow to at most half of it (without that
	 * memory, they grew back into the timeout and were cut again and
	 * again), and after SC_BATCH_CAP_RELAX quick batches at that size it
	 * doubles. The core's (change.h: sc_batch_start, sc_batch_quick). */
	int64_t batch_cancelled;
	int batch_capped; /* quick batches at that size since */
};

/* Tells db's notice callback, if any (printf-style). */
void sc_db_notice(struct sc_db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds of CLOCK_MONOTONIC, for waits and timings (the core's and
 * the backends'). */
double sc_monotonic_ms(void);

/* A backend read a time it cannot represent (text that is no time, a
 * PostgreSQL infinity, a year outside 0001-9999) in column of the row
 * id of table: it hands the row on with that time NULL and tells the
 * core here, which counts it and tells db's warning callback once per
 * row and column. value is the stored value as text (shown, cut). */
void sc_db_unreadable(struct sc_db *db, const char *table, int64_t id, const char *column,
		      const char *value);

/* One applied migration, as recorded in the database. */
struct sc_applied {
	int version;
	const char *name;
	int64_t applied_at;
	bool applied_at_null; /* NULL, or a time that cannot be read */
};

typedef int (*sc_applied_cb)(const struct sc_applied *a, void *ctx);

/* Who makes a change, why and when: written into each audit row. */
struct sc_change {
	const char *action; /* "logout", "logout-all", "expire", "over-limit",
			     * "purge" or "create" */
	const char *actor;
	const char *reason; /* NULL: none given */
	int64_t now;        /* the time the rules are evaluated at (--now):
			     * the times create gives a session; an audit
			     * row keeps it as evaluated_at */
	bool audit;         /* false for --dry-run: no audit rows */
	/* close_sessions only: with has_idle_before, a session is closed only
	 * if its last_activity is still before idle_before when the change
	 * reaches it, so one the application refreshed since it was picked
	 * is left alone (PostgreSQL re-checks a row that changed meanwhile). */
	bool has_idle_before;
	int64_t idle_before;
	/* The users the sessions belong to, when the caller knows them (a
	 * per-user command): the backend adds them to the statement, so a
	 * table distributed by user_id routes it to one node. NULL: any. */
	const int64_t *users;
	size_t nusers;
	/* The real time of the change (the core reads the clock when it
	 * builds the change; --now never moves it): every audit row's
	 * created_at. Audit rows also keep a snapshot of the session they
	 * describe (its user's email, device_name, ip_address, device_type,
	 * as the change saw or left them), written by the statement that
	 * changes the session, so a row purged later is still explained. */
	int64_t recorded_at;
};

/* What find_sessions selects: req's conditions (users aside) in SQL,
 * with the users resolved to ids and a superset of req->ip's matches
 * as a prefilter (the core checks each address itself: they are text). */
struct sc_find_plan {
	const struct sc_find_request *req; /* fingerprint, device_type,
					    * browser, the time bounds, state,
					    * with_user; users, ip and limit are
					    * ignored: see below */
	const int64_t *user_ids;           /* only these users' sessions, */
	size_t nusers;                     /* or with 0, every user's */
	/* With ip_prefilter, only rows whose ip_address contains ':' (an
	 * IPv6 form, IPv4-mapped ones included) or, unless ip_v4_prefix is
	 * NULL (no IPv4 text at all), begins with ip_v4_prefix or is not
	 * plain dotted decimal: a character other than a digit or '.', or a
	 * part with a leading zero (forms the core reads: sc_ipnet_contains). */
	bool ip_prefilter;
	const char *ip_v4_prefix;
	int64_t limit;                     /* at most this many rows; 0: all */
	int64_t from;                      /* only ids at or above this
					    * (INT64_MIN: every id) */
};

/* What stats_snapshot reads. */
struct sc_stats_snapshot {
	int64_t users_over_limit;
	int64_t idle_sessions;
	int64_t oldest_idle_activity;
};

/* What the last complete enforce run over every user recorded
 * (enforce_state_get/put), so that the next run ranks only the users
 * active since (see enforce-steady.c). Times in seconds. */
struct sc_enforce_state {
	int64_t max_sessions; /* the device limit it enforced */
	int64_t since;        /* activity at or after this was not yet ranked */
	int64_t full_at;      /* real time of the last run that walked every row */
	/* Every session active with a last_activity before this was expired
	 * by a run (INT64_MIN: not known, stored as NULL); the next run's
	 * idle search starts there, less the slack. */
	int64_t idle_cutoff;
	/* The backend's reason to walk every row however recent the record
	 * (an index the incremental pass needs is missing or not its own),
	 * for the plan's line; NULL: none. A static string. */
	const char *full_why;
};

/* An action and its number of audit rows (action borrowed for the call). */
typedef int (*sc_action_count_cb)(const char *action, int64_t n, void *ctx);

struct sc_backend {
	unsigned abi;                          /* SC_BACKEND_ABI */
	size_t size;                           /* sizeof(struct sc_backend) */
	const char *name;                      /* "sqlite", "postgresql" */
	const struct sc_migration *migrations; /* SC_SCHEMA_VERSION of them */
	/* After each batch that held the database's write lock, enforce
	 * pauses this long (with a --batch-size, at most as long as the batch
	 * took), so that a writer
	 * polling for the lock (SQLite's busy handler sleeps between polls,
	 * up to 100 ms) gets in before the next batch takes it again; 0 where
	 * waiters queue (PostgreSQL's row locks). */
	unsigned lock_pause_ms;
	/* After a batch longer than 90 ms (enforce.c), the pause is this long
	 * instead: a writer that waited that long polls less often (SQLite's
	 * busy handler: every 100 ms), and short gaps at the same rhythm as
	 * its polls could miss it again and again. */
	unsigned lock_pause_long_ms;
	/* Whether enforce's batches must be even, not only short on average:
	 * where a batch holds a lock every writer waits for (SQLite's), a
	 * device-limit batch counts the sessions it closes rather than users,
	 * and a quick batch grows in proportion rather than doubling. Where
	 * a batch locks only its own users' rows (PostgreSQL), fewer, larger
	 * batches cost less: finding the users over the limit costs each
	 * batch a scan of the index by user (README, Performance). */
	bool even_batches;
	/* Creates sessctl's migrations table (version, name, applied_at) if
	 * it does not exist, in the backend's dialect. */
	const char *migrations_table;
	/* OPTIONAL. The SQL expression of the current time as
	 * record_migration stores applied_at, for the plan migrate --dry-run
	 * prints (NULL: CURRENT_TIMESTAMP). */
	const char *migrations_now;

	/* Connects. SC_NOINPUT for a missing SQLite file (unless
	 * SC_OPEN_MIGRATE), SC_UNAVAILABLE when unreachable, SC_NOPERM when
	 * refused, SC_DATAERR for a file that is not a database, SC_TEMPFAIL
	 * when busy. Sets (*db)->notice, notice_ctx and stop from the
	 * arguments before anything that may wait, so that -v hears of it
	 * and a signal ends a wait for a lock (SC_TEMPFAIL at once). */
	int (*open)(const struct sc_dburl *url, enum sc_open_mode mode, sc_notice_cb notice,
		    void *notice_ctx, const volatile sig_atomic_t *stop, struct sc_db **db,
		    struct sc_error *err);
	void (*close)(struct sc_db *db); /* accepts NULL */
	/* OPTIONAL. After an operation failed with SC_UNAVAILABLE: 1 when the
	 * connection is still up (the failure was something else: no
	 * retry), or err set when what it found is final; 0 when a lost
	 * connection was opened again (to the same URL, so a multi-host URL
	 * finds the new primary), -1 with err set when that failed. Its
	 * wait for a server to answer on the new connection ends after
	 * wait_ms (what is left of the core's window; at least a second), or
	 * once db->stop is set; opening the connection itself is bounded by
	 * its connect timeout. NULL: a lost connection is final. */
	int (*reconnect)(struct sc_db *db, long wait_ms, struct sc_error *err);

	int (*begin)(struct sc_db *db, enum sc_tx_mode mode, struct sc_error *err);
	int (*commit)(struct sc_db *db, struct sc_error *err);
	void (*rollback)(struct sc_db *db); /* harmless outside a transaction */
	/* OPTIONAL. begin() that also does schema_version()'s work, for the
	 * first transaction of a command: one round trip instead of several
	 * where a server is at the other end. On failure no transaction is
	 * left open. NULL: the core calls begin(), then schema_version(). */
	int (*begin_checked)(struct sc_db *db, enum sc_tx_mode mode, int *version,
			     bool *app_tables, struct sc_error *err);

	/* Schema. schema_version stores the highest applied version, 0 when
	 * sessctl's migrations table does not exist; *app_tables tells
	 * whether a sessions table exists. */
	int (*schema_version)(struct sc_db *db, int *version, bool *app_tables,
			      struct sc_error *err);
	int (*applied)(struct sc_db *db, sc_applied_cb cb, void *ctx, struct sc_error *err);
	/* The migration slots run inside a SC_TX_MIGRATE transaction the
	 * core opened (schema.c holds the steps). migrate_lock, OPTIONAL,
	 * serializes migrators until the transaction ends (NULL: the write
	 * transaction already does); exec_script runs one or more statements;
	 * record_migration inserts m's row into the migrations table. */
	int (*migrate_lock)(struct sc_db *db, struct sc_error *err);
	/* OPTIONAL. Whether the tables the migrations create "IF NOT EXISTS"
	 * that exist already are where a migration would create them: 0, or
	 * -1 with err set (SC_CONFIG, naming both places) when one is found
	 * elsewhere (PostgreSQL: the application's tables in a schema later
	 * in the search_path than the one new tables go to, where migrate
	 * would create a second, empty pair). Runs before anything is
	 * created, in the migration's transaction or migrate --dry-run's. */
	int (*check_placement)(struct sc_db *db, struct sc_error *err);
	int (*exec_script)(struct sc_db *db, const char *sql, const char *what,
			   struct sc_error *err);
	int (*record_migration)(struct sc_db *db, const struct sc_migration *m, int64_t now,
				struct sc_error *err);
	/* OPTIONAL. Whether column c of the application's tables is there
	 * and of a type this backend's statements can use as c->kind: 0, 1
	 * when there is no such column, 2 when its type will not do (a
	 * short reason in reason, such as the type's name), 3 when there is
	 * no such table, -1 with err set for anything else. Runs in the
	 * migration's transaction, which the core rolls back after a
	 * non-zero answer, or in the read transaction of migrate --dry-run. */
	int (*check_column)(struct sc_db *db, const struct sc_app_column *c, char *reason,
			    size_t reason_len, struct sc_error *err);
	/* OPTIONAL. Whether the name of index `index`, which a migration
	 * creates on `table` "IF NOT EXISTS", is held by something else in
	 * the table's schema (an index on another table, a table, a view),
	 * which makes the statement skip creating it: 0 when the name is
	 * free or an index on table has it, 1 when something else does (what
	 * it is in holder, such as "an index on table foo"), -1 with err set
	 * for anything else. Runs in the migration's transaction, before the
	 * migration's script (SQLite refuses CREATE INDEX over a table's
	 * name itself) and after it (the table may be new). */
	int (*check_index_name)(struct sc_db *db, const char *index, const char *table,
				char *holder, size_t holder_len, struct sc_error *err);

	/* Reads. find_user fills user and returns 0, or returns 1 when no user
	 * matches and 2 when a username matches more than one user (err is
	 * then untouched). ref->kind == SC_USER_BY_ID has ref->id >= 0; for
	 * an id the users table lacks but a session names (the application
	 * deleted the user and left its sessions: no foreign key), it fills
	 * user with the id alone and returns 3, in the same round trip. */
	int (*find_user)(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
			 struct sc_error *err);
	int (*list_sessions)(struct sc_db *db, const struct sc_list_request *req,
			     sc_session_cb cb, void *ctx, struct sc_error *err);
	/* Calls cb once for the session, or fails with SC_NOINPUT. */
	int (*get_session)(struct sc_db *db, int64_t id, sc_session_cb cb, void *ctx,
			   struct sc_error *err);
	int (*count_active)(struct sc_db *db, int64_t user_id, int64_t *n,
			    struct sc_error *err);
	int (*totals)(struct sc_db *db, struct sc_totals *t, struct sc_error *err);
	/* Users with more than `over` active sessions, most first, then by id. */
	int (*count_by_user)(struct sc_db *db, int64_t over, sc_user_count_cb cb, void *ctx,
			     struct sc_error *err);
	/* The highest session id and user id in sessions (0 when empty):
	 * how far enforce's id walk has come, for its progress. */
	int (*id_bounds)(struct sc_db *db, int64_t *max_session_id, int64_t *max_user_id,
			 struct sc_error *err);
	/* Up to limit active sessions, newest (highest id) first: shell
	 * completion of session ids, which must answer at once on a table of
	 * millions (a primary key walk, no sort). */
	int (*recent_sessions)(struct sc_db *db, int64_t limit, sc_session_cb cb, void *ctx,
			       struct sc_error *err);
	/* OPTIONAL (NULL: __complete offers nothing). Completion candidates
	 * of kind (sc_complete in db.h), with user_id resolved (NULL: any
	 * user) and prefix never NULL: at most limit rows of each kind of
	 * value, by index range walks (a prefix as `>= p AND < p || U+10FFFF`
	 * in byte order), never a sort of a large table. */
	int (*complete)(struct sc_db *db, enum sc_complete_kind kind, const int64_t *user_id,
			const char *prefix, int64_t limit, sc_candidate_cb cb, void *ctx,
			struct sc_error *err);
	/* The audit trail req selects, newest first (created_at, then id,
	 * descending), at most req->limit rows (0: all); with req->more, sets
	 * *req->more to the number of matching rows past the limit (0 when
	 * the limit did not cut the list). */
	int (*history)(struct sc_db *db, const struct sc_history_request *req,
		       sc_audit_cb cb, void *ctx, struct sc_error *err);

	/* find: the sessions plan selects, in ascending id order, each with
	 * its user's email and username when plan->req->with_user (NULL
	 * otherwise). Streams: memory stays flat whatever the number of rows,
	 * and when cb returns non-zero the query ends without reading the
	 * rest (a batch read ahead aside) and that value is returned. */
	int (*find_sessions)(struct sc_db *db, const struct sc_find_plan *plan,
			     sc_find_cb cb, void *ctx, struct sc_error *err);

	/* Statistics (stats.c): reads, in the core's read transaction; each
	 * one statement, set-based.
	 *
	 * count_by_group: every value of the key's column (NULL included)
	 * with its active and inactive sessions, in the order
	 * sc_count_by_group gives (values compared byte by byte). */
	int (*count_by_group)(struct sc_db *db, enum sc_group_key key, sc_group_count_cb cb,
			      void *ctx, struct sc_error *err);
	/* count_by_day: the UTC days (floor(epoch seconds / 86400)) with a
	 * created_at or a last_activity at or after since (with has_since),
	 * ascending, each with how many sessions were created and last seen
	 * on it; days with neither are not given. */
	int (*count_by_day)(struct sc_db *db, bool has_since, int64_t since,
			    sc_day_count_cb cb, void *ctx, struct sc_error *err);
	/* stats_snapshot: the users with more than max active sessions, and
	 * the active sessions with a last_activity before idle_before (the
	 * ones enforce would expire) with the oldest such last_activity
	 * (seconds, truncated toward the past; 0 when there are none). */
	int (*stats_snapshot)(struct sc_db *db, int64_t max, int64_t idle_before,
			      struct sc_stats_snapshot *out, struct sc_error *err);
	/* audit_counts: the audit rows with since <= created_at <= until per
	 * action, by action in byte order. */
	int (*audit_counts)(struct sc_db *db, int64_t since, int64_t until,
			    sc_action_count_cb cb, void *ctx, struct sc_error *err);

	/* Writes: inside a SC_TX_WRITE transaction. Each runs a fixed number
	 * of statements whatever the number of ids.
	 *
	 * lock_users: locks these users' rows and their active sessions until
	 * the transaction ends, so that concurrent changes to one user's
	 * sessions (create, enforce) take turns and a session the application
	 * refreshes meanwhile is not ranked on stale data (PostgreSQL SELECT
	 * ... FOR NO KEY UPDATE in id order; a no-op on SQLite, where the
	 * transaction already holds the write lock). With db->skip_locked it
	 * waits for no lock: it drops from users each one whose row, or one
	 * of whose active sessions, another transaction holds, appending
	 * them to db->left_users. OPTIONAL: NULL when the write transaction
	 * already serializes writers. */
	int (*lock_users)(struct sc_db *db, struct sc_ids *users, struct sc_error *err);
	/* OPTIONAL, with lock_users (NULL: a backend that never skips rows):
	 * of what a batched run left (struct sc_db), how many sessions its
	 * changes would still take now: those among closes still active (and
	 * with idle_before, still idle before it), those among purges still
	 * closed, and each of users' active sessions over keep, not counting
	 * its sessions idle before idle_before (those are expire's, counted
	 * among closes; one of closes no longer idle counts here). With wait
	 * (in a write transaction), first waits for their locks as a write
	 * does, a short while (SC_TEMPFAIL when that wait gives up: the core
	 * tries again, for up to SC_LEFT_WAIT_MS); else (any transaction)
	 * waits for nothing. */
	int (*count_left)(struct sc_db *db, const struct sc_ids *closes, const int64_t *idle_before,
			  const struct sc_ids *purges, const struct sc_ids *users, int64_t keep,
			  bool wait, int64_t *count, struct sc_error *err);
	/* Sessions among ids, ordered by id (any transaction). */
	int (*sessions_by_ids)(struct sc_db *db, const int64_t *ids, size_t n,
			       sc_session_cb cb, void *ctx, struct sc_error *err);
	/* Closes the active sessions among ids (is_active false), writes one
	 * audit row for each when ch->audit, and passes each closed row, as it
	 * is after the change, to cb. Closed sessions are skipped. cb may be
	 * NULL: then no row is read back. Returns the number of sessions
	 * closed, or -1 (also when cb fails). With db->skip_locked, it leaves
	 * the rows another transaction holds locked, appending those it
	 * would have closed to db->left_closes (purge_sessions: to
	 * left_purges). */
	int (*close_sessions)(struct sc_db *db, const int64_t *ids, size_t n,
			      const struct sc_change *ch, sc_session_cb cb, void *ctx,
			      struct sc_error *err);
	/* Closes every active session of the users ch->users lists (required
	 * here) but those among except (nexcept of them, which may be 0),
	 * with audit rows and cb as close_sessions: without reading the
	 * sessions first, in one statement where the backend can (logout-all).
	 * ch->has_idle_before must be false (SC_SOFTWARE otherwise). */
	int (*close_users_sessions)(struct sc_db *db, const int64_t *except, size_t nexcept,
				    const struct sc_change *ch, sc_session_cb cb, void *ctx,
				    struct sc_error *err);
	/* Deletes the inactive sessions among ids, with audit rows as above;
	 * cb (or NULL) gets each deleted row. Returns the number deleted. */
	int (*purge_sessions)(struct sc_db *db, const int64_t *ids, size_t n,
			      const struct sc_change *ch, sc_session_cb cb, void *ctx,
			      struct sc_error *err);
	/* Appends to out, in ascending id order, the ids of at most limit
	 * sessions with is_active equal to active, an id at or above from
	 * and a last_activity before cutoff; of *user_id's sessions only, or
	 * with user_id NULL of every user's. Batches walk the table in id
	 * order, so each one writes neighbouring pages. (Idle sessions to
	 * expire: active; rows to purge: inactive.) Fewer than limit: none
	 * past them (enforce ends the step on that batch). */
	int (*candidates)(struct sc_db *db, bool active, int64_t cutoff, const int64_t *user_id,
			  int64_t from, int64_t limit, struct sc_ids *out, struct sc_error *err);
	/* OPTIONAL (NULL: enforce walks the table with candidates). Appends
	 * to out, in ascending id order, the ids of the active sessions with
	 * a last_activity before cutoff and (unless from is INT64_MIN) at or
	 * after from, found through an index on last_activity rather than a
	 * scan; it may include active sessions before from that are idle
	 * too, never one that is not idle. When more than
	 * limit match it may stop at limit + 1 of them, any (the caller then
	 * walks instead: that many is a backlog, which neighbouring pages
	 * serve better). A backend whose
	 * times are text may find them by an over-approximating text range
	 * and test each exactly; rows whose text does not sort as a time
	 * (see README, "enforce in steady state") may be left to a full walk. */
	int (*idle_sessions)(struct sc_db *db, int64_t from, int64_t cutoff, int64_t limit,
			     struct sc_ids *out, struct sc_error *err);
	/* OPTIONAL: whether purge may have anything to do before cutoff (a
	 * closed session last active before it), looked up through an index
	 * in a read transaction, or in the write transaction that plans the
	 * run (enforce-steady.c, look_ahead), for an incremental run, which skips its
	 * walk of every closed session when *due is false. May say true
	 * wrongly (the walk then decides), never false wrongly but for rows
	 * whose time does not sort as a time (as idle_sessions: the daily
	 * full pass purges those). When *due is true, the backend may serve
	 * the candidates(false, cutoff, NULL, ...) calls of the purge that
	 * follows from what it found there (the same rows, in the same
	 * order, but for those that do not sort as a time), rather than
	 * walk: SQLite does when its ranges of the index are short,
	 * PostgreSQL when few are due. */
	int (*purge_due)(struct sc_db *db, int64_t cutoff, bool *due, struct sc_error *err);
	/* Appends the ids of at most limit users with more than max active
	 * sessions and an id at or above from, in ascending id order (fewer
	 * than limit: none past them). With
	 * since > INT64_MIN, only users with an active session whose
	 * last_activity is at or after since (found through the index of
	 * idle_sessions, which a backend providing this must have; a
	 * backend may include more users, never fewer). Unless excess is
	 * NULL, appends to it, for each user, how many active sessions they
	 * have over max (as counted then: enforce sizes its batches by it). */
	int (*users_over_limit)(struct sc_db *db, int64_t max, int64_t since, int64_t from,
				int64_t limit, struct sc_ids *out, struct sc_ids *excess,
				struct sc_error *err);
	/* For each of these users, appends the ids of the active sessions past
	 * the `keep` most recent (last_activity descending, NULLs last, then
	 * id descending): the ones the device limit closes. */
	int (*over_limit_candidates)(struct sc_db *db, const int64_t *user_ids, size_t n,
				     int64_t keep, struct sc_ids *out, struct sc_error *err);
	/* OPTIONAL, both or neither (NULL: every enforce run ranks every
	 * user). enforce_state_get reads what the last complete enforce run
	 * recorded (*found false when nothing was); enforce_state_put
	 * replaces it. Inside the caller's transaction. */
	int (*enforce_state_get)(struct sc_db *db, struct sc_enforce_state *out, bool *found,
				 struct sc_error *err);
	int (*enforce_state_put)(struct sc_db *db, const struct sc_enforce_state *st,
				 struct sc_error *err);
	/* create: inserts the session, or when (user_id, device_fingerprint)
	 * has a row, refreshes it (last_activity = ch->now, active again, and
	 * the given device_name, device_type, browser and ip_address replace
	 * the old ones); writes a "create" audit row when ch->audit; passes
	 * the row to cb. *created tells an insert from a refresh. (A dry run
	 * never calls it: the core previews the row itself.) */
	int (*upsert_session)(struct sc_db *db, const struct sc_new_session *ns,
			      const struct sc_change *ch, bool *created,
			      sc_session_cb cb, void *ctx, struct sc_error *err);
	/* OPTIONAL: refuses, before a change or its dry run, text the
	 * database would refuse to store (a dry run, which writes nothing,
	 * met no such refusal and said what it would change): a value of
	 * create's, or the --actor and --reason of the audit rows; what
	 * names the option. 0, or -1 with err set. */
	int (*check_text)(struct sc_db *db, const char *what, const char *value,
			  struct sc_error *err);
	/* OPTIONAL: called at the start of enforce's pause after a batch
	 * (lock_pause_ms), outside any transaction, for work that lets the
	 * application's writes go on meanwhile; enforce sleeps whatever is
	 * left of the pause after it. Never fails: what it cannot do now is
	 * done later. */
	void (*between_batches)(struct sc_db *db);
};

/* ---- the core's side (registry.c, db.c) ---- */

/* What the core knows of a backend without loading it: a line of the
 * backend table (backends/list.h). Each backend defines one, named
 * sc_NAME_info, in a file of its own folder that the core links. */
struct sc_backend_info {
	const char *name;                 /* "sqlite", "postgresql" */
	const struct sc_backend *builtin; /* linked into sessctl, or NULL */
	const char *module;               /* else the module file to load,
					   * "sessctl-postgres.so" */
	const char *needs;                /* what a failed load may lack, for
					   * the message ("libpq5") */
	/* Whether the --db value s is this backend's: 2 when it is (a scheme
	 * or syntax of its own), 1 when it may be (a plain path), 0 when not;
	 * -1 with SC_USAGE for a malformed value of its own. On 1 or 2,
	 * *target is a malloc'd string the backend opens (the path, the
	 * conninfo). */
	int (*claim)(const char *s, char **target, struct sc_error *err);
	/* OPTIONAL: a malloc'd copy of target with secrets masked, for
	 * messages (NULL: target is shown as it is). NULL only on OOM. */
	char *(*redact)(const char *target);
	/* OPTIONAL: whether target holds a password, for the warning about
	 * one given in --db (NULL: whenever redact masks anything). */
	bool (*holds_password)(const char *target);
	bool may_create;                  /* open(SC_OPEN_MIGRATE) may create
					   * a missing database (a file) */
	/* OPTIONAL: "NAME=VALUE" settings of the environment, NULL-ended,
	 * for the constructors of the libraries the module brings: each is
	 * set while the module loads, unless already set, and removed again
	 * after (so that a pager sessctl starts never sees it). */
	const char *const *load_env;
};

/* The backend of info: the builtin one, or its module loaded (once).
 * Returns NULL with SC_UNAVAILABLE and a message naming the file, where
 * it was looked for and what to install. */
const struct sc_backend *sc_backend_load(const struct sc_backend_info *info,
					 struct sc_error *err);

/* The backend table (backends/list.h), NULL-terminated, and each entry
 * by name: sc_sqlite_info, sc_postgres_info, ... */
extern const struct sc_backend_info *const sc_backend_table[];
#define SC_BACKEND(name) extern const struct sc_backend_info sc_##name##_info;
#include "backends/list.h"
#undef SC_BACKEND

/* Begins a transaction with db's backend; the first one of a handle
 * opened SC_OPEN_READ or SC_OPEN_WRITE also checks the schema, inside it
 * (no transaction of its own: on PostgreSQL that is a BEGIN and a COMMIT
 * fewer per command). Returns 0, or -1 with err set and nothing begun. */
int sc_db_begin(struct sc_db *db, enum sc_tx_mode mode, struct sc_error *err);

/* Runs fn(db, ctx, err) in a read transaction: commits after it, rolls
 * back when it returns non-zero. Returns 0, or -1 with err set (or left
 * as fn left it, when fn failed for a reason of its caller's). */
int sc_db_read(struct sc_db *db, int (*fn)(struct sc_db *db, void *ctx, struct sc_error *err),
	       void *ctx, struct sc_error *err);

/* sc_find_sessions inside the caller's transaction (a bulk logout's
 * batches select in their write transaction). */
int sc_find_in_tx(struct sc_db *db, const struct sc_find_request *req, sc_find_cb cb,
		  void *ctx, struct sc_error *err);

/* The user ref names, inside the caller's transaction: 0 and user
 * filled, or -1 with SC_NOUSER (none, or a username shared by several).
 * A user id that only sessions name still (the users row deleted) is
 * that user, with no email, username or role: the commands that read or
 * close a user's sessions reach them as count --by user and enforce see
 * them. */
int sc_find_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		 struct sc_error *err);
/* As sc_find_user, of the users table only: a new session needs a user. */
int sc_find_app_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		     struct sc_error *err);

/* The ids of the n users refs names, appended to ids, inside the
 * caller's transaction: 0, or -1 as sc_find_user (or SC_SOFTWARE). */
int sc_find_user_ids(struct sc_db *db, const struct sc_userref *refs, size_t n, struct sc_ids *ids,
		     struct sc_error *err);

#endif
