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
};

extern const struct sc_backend sc_sqlite_backend;
extern const struct sc_backend sc_postgres_backend;

/* Opens the database url names with the backend its scheme selects. For
 * SC_OPEN_READ and SC_OPEN_WRITE also checks the schema: SC_CONFIG when it
 * is missing, older than SC_SCHEMA_VERSION ("run 'sessctl migrate'") or
 * newer than this sessctl. */
int sc_db_open(const struct sc_dburl *url, enum sc_open_mode mode, struct sc_db **db,
	       struct sc_error *err);

/* Closes db; accepts NULL. */
void sc_db_close(struct sc_db *db);

#endif
