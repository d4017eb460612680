/* A fake in-memory backend for unit tests of the core (tests/test_core.c):
 * a struct sc_backend over an in-memory store of users, sessions, audit
 * rows and applied migrations, with real transactions (a snapshot taken at
 * begin, restored on rollback or on a failed commit), a log of the calls
 * the core makes, and faults to inject: any operation can be made to fail
 * with a given status on its Nth call (and the K calls after), and a hook
 * runs at the start of every operation (to play "another process").
 *
 * It also checks the core keeps the contract of backend.h: an operation
 * outside a transaction, or a begin inside one, is recorded in
 * fake->violation (tests assert it stays empty).
 */
#ifndef SESSCTL_TESTS_FAKE_BACKEND_H
#define SESSCTL_TESTS_FAKE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/backend.h"

enum fake_op {
	FAKE_BEGIN,
	FAKE_COMMIT,
	FAKE_ROLLBACK,
	FAKE_SCHEMA_VERSION,
	FAKE_APPLIED,
	FAKE_MIGRATE_LOCK,
	FAKE_EXEC_SCRIPT,
	FAKE_RECORD_MIGRATION,
	FAKE_FIND_USER,
	FAKE_LIST_SESSIONS,
	FAKE_GET_SESSION,
	FAKE_ID_BOUNDS,
	FAKE_LOCK_USERS,
	FAKE_SESSIONS_BY_IDS,
	FAKE_CLOSE,
	FAKE_PURGE,
	FAKE_CANDIDATES,
	FAKE_USERS_OVER_LIMIT,
	FAKE_OVER_LIMIT_CANDIDATES,
	FAKE_UPSERT,
	FAKE_IDLE_SESSIONS,
	FAKE_STATE_GET,
	FAKE_STATE_PUT,
	FAKE_CLOSE_USERS,
	FAKE_BETWEEN_BATCHES,
	FAKE_NOPS
};

#define FAKE_STR 64

struct fake_session {
	int64_t id, user_id;
	int64_t created_at, last_activity;
	bool last_activity_null, is_active;
	char fp[FAKE_STR], name[FAKE_STR], type[FAKE_STR], browser[FAKE_STR], ip[FAKE_STR];
	bool name_null, type_null, browser_null, ip_null;
};

struct fake_user {
	int64_t id;
	char email[FAKE_STR], username[FAKE_STR], role[FAKE_STR];
};

struct fake_audit {
	int64_t id, session_id, user_id, created_at, evaluated_at;
	char action[16], actor[FAKE_STR];
};

#define FAKE_MAX_USERS 64
#define FAKE_MAX_VERSIONS (SC_SCHEMA_VERSION + 4)

struct fake_store {
	struct fake_session *sessions; /* ascending id */
	size_t nsessions, capsessions;
	struct fake_audit *audit;
	size_t naudit, capaudit;
	struct fake_user users[FAKE_MAX_USERS]; /* ascending id */
	size_t nusers;
	int64_t next_session_id, next_audit_id;
	bool migrations_table, app_tables;
	int versions[FAKE_MAX_VERSIONS]; /* applied, in the order recorded */
	size_t nversions;
	int scripts_run[FAKE_MAX_VERSIONS + 1]; /* times migration N's script ran */
	struct sc_enforce_state enforce_state;  /* enforce_state_get/put */
	bool has_enforce_state;
};

/* One call the core made, for the tests to read back. */
struct fake_call {
	enum fake_op op;
	int tx;          /* the transaction it ran in (1, 2, ...; 0: none) */
	int64_t arg;     /* candidates, users_over_limit, idle_sessions: limit;
			  * begin: mode */
	int64_t from;    /* candidates, users_over_limit: from */
	int64_t since;   /* users_over_limit: since; idle_sessions: from */
	int64_t *ids;    /* close, purge, lock_users: the ids passed */
	size_t n;
};

struct fake_fault {
	int from;  /* the first failing call, 1-based (0: none) */
	int count; /* how many calls fail from there; -1: every one */
	int status;
};

struct fake_db {
	struct sc_db base; /* first: the core sees a struct sc_db */
	struct fake_store st;   /* what the current transaction sees */
	struct fake_store snap; /* the committed state, while in a transaction */
	bool in_tx;
	int tx;                 /* transactions begun so far */
	int commits, rollbacks; /* rollbacks of an open transaction */
	int calls[FAKE_NOPS];
	struct fake_fault faults[FAKE_NOPS];
	void (*hook)(struct fake_db *f, enum fake_op op, void *ctx);
	void *hook_ctx;
	struct fake_call *log;
	size_t nlog, caplog;
	char violation[256]; /* the first contract breach by the core */
};

/* The backend (its open() refuses: tests build a fake_db themselves).
 * fake_backend_no_lock has NULL in the optional slots. */
extern const struct sc_backend fake_backend;
extern const struct sc_backend fake_backend_no_lock;
/* Like fake_backend_no_lock but with lock_users, batches that must be
 * even (struct sc_backend.even_batches), as SQLite's, and a pause of 1 ms
 * after each batch that begins with between_batches. */
extern const struct sc_backend fake_backend_even;

/* A new store with the schema at SC_SCHEMA_VERSION (migrated), or with
 * nothing at all (fake_new_empty). */
struct fake_db *fake_new(void);
struct fake_db *fake_new_empty(void);
void fake_free(struct fake_db *f);

/* Fixture (outside transactions). */
void fake_add_user(struct fake_db *f, int64_t id, const char *email, const char *username,
		   const char *role);
/* Adds a session with the next id and returns it; la < 0: NULL. */
int64_t fake_add_session(struct fake_db *f, int64_t user_id, const char *fp, int64_t la,
			 bool active);
/* Records schema version v as applied (with its script run). */
void fake_apply_version(struct fake_store *st, int v);

/* The session with id in what the current state holds, or NULL. */
struct fake_session *fake_session(struct fake_db *f, int64_t id);
/* Audit rows with that action (NULL: any) and session id (< 0: any). */
size_t fake_audit_count(const struct fake_db *f, const char *action, int64_t session_id);

/* Makes calls from..from+count-1 of op fail with status. */
void fake_fail(struct fake_db *f, enum fake_op op, int from, int count, int status);

/* The calls of op logged, in order; *n their number (pointer into the log
 * is not stable: use before the next call of the backend). */
size_t fake_calls_of(const struct fake_db *f, enum fake_op op, const struct fake_call **out,
		     size_t max);

/* The migrations the fake brings (SC_SCHEMA_VERSION of them). */
extern const struct sc_migration *const fake_migrations;

#endif
