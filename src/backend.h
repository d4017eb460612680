/* The backend interface: everything sessctl asks of a database.
 *
 * A backend (backend-sqlite.c, backend-postgres.c) exports one
 * `const struct sc_backend`; all its other functions are static. SQL lives
 * only in backends. Every operation but open, close and migrate_step runs
 * inside a transaction the caller opened with begin() and ends with
 * commit() or rollback(); rows come back through callbacks, so output
 * streams. Operations return 0, or -1 with err set; they never print.
 *
 * A backend's connection struct begins with struct sc_db, so core code can
 * reach the backend from any handle.
 */
#ifndef SESSCTL_BACKEND_H
#define SESSCTL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "dburl.h"
#include "domain.h"
#include "error.h"
#include "migrations.h"

enum sc_open_mode {
	SC_OPEN_READ,    /* read-only; the file must exist; schema checked */
	SC_OPEN_WRITE,   /* read-write; the file must exist */
	SC_OPEN_MIGRATE, /* read-write; SQLite may create the file */
	SC_OPEN_INSPECT, /* read-only like SC_OPEN_READ, without the schema
			  * check (migrate status, migrate --dry-run) */
};

enum sc_tx_mode {
	SC_TX_READ,  /* a read-only transaction with one consistent view */
	SC_TX_WRITE, /* a read-write transaction that takes the write lock
		      * up front (SQLite BEGIN IMMEDIATE) */
};

struct sc_db {
	const struct sc_backend *backend;
	enum sc_open_mode mode;
	const char *display; /* the URL with any password masked, for messages */
};

/* One applied migration, as recorded in the database. */
struct sc_applied {
	int version;
	const char *name;
	int64_t applied_at;
};

typedef int (*sc_applied_cb)(const struct sc_applied *a, void *ctx);

/* Who makes a change, why and when: written into each audit row. */
struct sc_change {
	const char *action; /* "logout", "logout-all", "expire", "over-limit",
			     * "purge" or "create" */
	const char *actor;
	const char *reason; /* NULL: none given */
	int64_t now;
	bool audit;         /* false for --dry-run: no audit rows */
	/* close_sessions only: with has_idle_before, a session is closed only
	 * if its last_activity is still before idle_before when the change
	 * reaches it, so one the application refreshed since it was picked
	 * is left alone (PostgreSQL re-checks a row that changed meanwhile). */
	bool has_idle_before;
	int64_t idle_before;
};

/* A new session for create (fields as in struct sc_session; id, times and
 * is_active are ignored: the session is active with times ch->now). */
struct sc_new_session {
	int64_t user_id;
	const char *device_fingerprint;
	const char *device_name; /* NULL: none (or keep the old one) */
	const char *device_type;
	const char *browser;
	const char *ip_address;
};

/* A row of sessctl's audit table. */
struct sc_audit {
	int64_t id;
	int64_t created_at;
	const char *action;
	bool session_id_null;
	int64_t session_id;
	bool user_id_null;
	int64_t user_id;
	const char *actor;
	const char *reason; /* may be NULL */
};

typedef int (*sc_audit_cb)(const struct sc_audit *a, void *ctx);

struct sc_history_request {
	bool has_user;
	int64_t user_id;
	bool has_session;
	int64_t session_id;
	bool has_since;
	int64_t since;  /* only rows with created_at >= since */
	int64_t limit;  /* 0: no limit */
};

/* A growable array of ids (see sc_ids_push in domain.h). */
struct sc_ids;

struct sc_backend {
	const char *name;                      /* "sqlite", "postgresql" */
	enum sc_db_kind kind;
	const struct sc_migration *migrations; /* SC_SCHEMA_VERSION of them */

	/* Connects. SC_NOINPUT for a missing SQLite file (unless
	 * SC_OPEN_MIGRATE), SC_UNAVAILABLE when unreachable, SC_NOPERM when
	 * refused, SC_DATAERR for a file that is not a database. */
	int (*open)(const struct sc_dburl *url, enum sc_open_mode mode,
		    struct sc_db **db, struct sc_error *err);
	void (*close)(struct sc_db *db); /* accepts NULL */

	int (*begin)(struct sc_db *db, enum sc_tx_mode mode, struct sc_error *err);
	int (*commit)(struct sc_db *db, struct sc_error *err);
	void (*rollback)(struct sc_db *db); /* harmless outside a transaction */

	/* Schema. schema_version stores the highest applied version, 0 when
	 * sessctl's migrations table does not exist; *app_tables tells
	 * whether a sessions table exists. */
	int (*schema_version)(struct sc_db *db, int *version, bool *app_tables,
			      struct sc_error *err);
	int (*applied)(struct sc_db *db, sc_applied_cb cb, void *ctx, struct sc_error *err);
	/* Applies migration m in a transaction of its own, serialized against
	 * other migrators; *applied is false when another process applied it
	 * first. Not inside a caller's transaction. */
	int (*migrate_step)(struct sc_db *db, const struct sc_migration *m, int64_t now,
			    bool *applied, struct sc_error *err);

	/* Reads. find_user fills user and returns 0, or returns 1 when no user
	 * matches and 2 when a username matches more than one user (err is
	 * then untouched). ref->kind == SC_USER_BY_ID has ref->id >= 0. */
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
	/* The audit trail, newest first (created_at, then id, descending). */
	int (*history)(struct sc_db *db, const struct sc_history_request *req,
		       sc_audit_cb cb, void *ctx, struct sc_error *err);

	/* Writes: inside a SC_TX_WRITE transaction. Each runs a fixed number
	 * of statements whatever the number of ids.
	 *
	 * lock_users: locks these users' rows and their active sessions until
	 * the transaction ends, so that concurrent changes to one user's
	 * sessions (create, enforce) take turns and a session the application
	 * refreshes meanwhile is not ranked on stale data (PostgreSQL SELECT
	 * ... FOR NO KEY UPDATE in id order; a no-op on SQLite, where the
	 * transaction already holds the write lock). */
	int (*lock_users)(struct sc_db *db, const int64_t *user_ids, size_t n,
			  struct sc_error *err);
	/* Sessions among ids, ordered by id (any transaction). */
	int (*sessions_by_ids)(struct sc_db *db, const int64_t *ids, size_t n,
			       sc_session_cb cb, void *ctx, struct sc_error *err);
	/* Closes the active sessions among ids (is_active false), writes one
	 * audit row for each when ch->audit, and passes each closed row, as it
	 * is after the change, to cb. Closed sessions are skipped. cb may be
	 * NULL: then no row is read back. Returns the number of sessions
	 * closed, or -1 (also when cb fails). */
	int (*close_sessions)(struct sc_db *db, const int64_t *ids, size_t n,
			      const struct sc_change *ch, sc_session_cb cb, void *ctx,
			      struct sc_error *err);
	/* Deletes the inactive sessions among ids, with audit rows as above;
	 * cb (or NULL) gets each deleted row. Returns the number deleted. */
	int (*purge_sessions)(struct sc_db *db, const int64_t *ids, size_t n,
			      const struct sc_change *ch, sc_session_cb cb, void *ctx,
			      struct sc_error *err);
	/* Appends to out, in ascending id order, the ids of at most limit
	 * active sessions with an id greater than after whose last_activity
	 * is before cutoff; of *user_id's sessions only, or with user_id
	 * NULL of every user's. Batches walk the table in
	 * id order, so each one writes neighbouring pages. */
	int (*idle_candidates)(struct sc_db *db, int64_t cutoff, const int64_t *user_id,
			       int64_t after, int64_t limit, struct sc_ids *out, struct sc_error *err);
	/* The same for inactive sessions (purge). */
	int (*purge_candidates)(struct sc_db *db, int64_t cutoff, const int64_t *user_id,
				int64_t after, int64_t limit, struct sc_ids *out, struct sc_error *err);
	/* Appends the ids of at most limit users with more than max active
	 * sessions and an id greater than after, in ascending id order. */
	int (*users_over_limit)(struct sc_db *db, int64_t max, int64_t after, int64_t limit,
				struct sc_ids *out, struct sc_error *err);
	/* For each of these users, appends the ids of the active sessions past
	 * the `keep` most recent (last_activity descending, NULLs last, then
	 * id descending): the ones the device limit closes. */
	int (*over_limit_candidates)(struct sc_db *db, const int64_t *user_ids, size_t n,
				     int64_t keep, struct sc_ids *out, struct sc_error *err);
	/* create: inserts the session, or when (user_id, device_fingerprint)
	 * has a row, refreshes it (last_activity = ch->now, active again, and
	 * the given device_name, device_type, browser and ip_address replace
	 * the old ones); writes a "create" audit row when ch->audit; passes
	 * the row to cb. *created tells an insert from a refresh. With
	 * dry_run, changes nothing (no sequence is consumed either) and
	 * passes the row as it would be (id 0 for a new one). */
	int (*upsert_session)(struct sc_db *db, const struct sc_new_session *ns,
			      const struct sc_change *ch, bool dry_run, bool *created,
			      sc_session_cb cb, void *ctx, struct sc_error *err);
};

extern const struct sc_backend sc_sqlite_backend;
extern const struct sc_backend sc_postgres_backend;

/* Opens the database url names with the backend its scheme selects. For
 * SC_OPEN_READ and SC_OPEN_WRITE also checks the schema: SC_CONFIG when it
 * is missing, older than SC_SCHEMA_VERSION ("run 'sessctl migrate'") or
 * newer than this sessctl. */
int sc_db_open(const struct sc_dburl *url, enum sc_open_mode mode, struct sc_db **db,
	       struct sc_error *err);

/* Runs fn(db, ctx, err) in a read transaction: commits after it, rolls
 * back when it returns non-zero. Returns 0, or -1 with err set (or left
 * as fn left it, when fn failed for a reason of its caller's). */
int sc_db_read(struct sc_db *db, int (*fn)(struct sc_db *db, void *ctx, struct sc_error *err),
	       void *ctx, struct sc_error *err);

/* Closes db; accepts NULL. */
void sc_db_close(struct sc_db *db);

#endif
