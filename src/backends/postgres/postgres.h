/* The PostgreSQL backend's private header: shared by its files only.
 *
 * Built as a module (sessctl-postgres.so) that sessctl loads only for a
 * PostgreSQL URL; only this folder includes libpq-fe.h.
 *
 * Pooler-safe: only unnamed statements (PQexec, PQexecParams, and
 * find's FETCHes sent pipelined with PQsendQueryParams), every
 * setting is SET LOCAL, locks are transaction-scoped, and every value is a
 * bound parameter. Every transaction runs with the time zone UTC, so
 * "timestamp without time zone" columns an ORM created read and compare
 * as UTC exactly like timestamptz: times are read as whole epoch seconds
 * and passed as 'YYYY-MM-DD HH:MM:SS+00'. Ids are compared as bigint, so
 * integer id columns work too; a set of ids travels as one bigint[]
 * parameter, so a statement is the same whatever their number.
 */
#ifndef SESSCTL_BACKEND_POSTGRES_H
#define SESSCTL_BACKEND_POSTGRES_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "../../backend.h"
#include "../../timeutil.h"

extern const struct sc_backend sc_postgres_backend;
extern const struct sc_migration sc_postgres_migrations[];

#define CONNECT_TIMEOUT "10"
/* The key of the transaction-scoped advisory lock migrators take. */
#define MIGRATE_LOCK_KEY "7311712345678901"
/* How long migrate waits for another migrator, and for each lock a
 * migration needs (schema.c, pg_migrate_lock), before exiting 75. */
#define PG_MIGRATOR_WAIT "60s"
#define PG_MIGRATE_LOCK_WAIT "5s"
/* How long any other write transaction waits for a lock (tx.c), and
 * a batched run that left rows for them at its end, a try (count_left;
 * the core tries again for a while): a second, or half the
 * statement_timeout in force when that is shorter. So a row lock held
 * elsewhere ends the wait (55P03: a batched run leaves the row, a change
 * says another transaction held it) before the statement_timeout cancels
 * the statement (57014: a batched run shrinks its batch for it). An SQL
 * expression giving the setting's text. */
#define PG_LOCK_WAIT_MS "1000"
#define PG_LOCK_WAIT_SQL PG_LOCK_WAIT_SQL_FOR(PG_LOCK_WAIT_MS)
/* A read transaction waits for a table's lock (an ALTER TABLE, a LOCK
 * TABLE, a VACUUM FULL of the application's, or one queued behind a long
 * transaction, which every new reader then queues behind) as long as an
 * SQLite reader waits for a writer (BUSY_TIMEOUT_MS there), or half the
 * statement_timeout when that is shorter, then fails busy (55P03: 75).
 * Reads are not retried: a wait of this length told is worth more than
 * a longer one. */
#define PG_READ_LOCK_WAIT_MS "5000"
#define PG_LOCK_WAIT_SQL_FOR(ms)                                                           \
	"(SELECT CASE WHEN t > 0 AND t / 2 < " ms                                          \
	" THEN greatest(1, floor(t / 2))::bigint ELSE " ms " END || 'ms'"                  \
	" FROM (SELECT extract(epoch FROM current_setting('statement_timeout')::interval)" \
	" * 1000 AS t) AS st)"

/* Room for a setting's text such as "400ms" or "2min" (longer ones are
 * not kept). */
#define PG_GUC_TEXT_LEN 24

struct pg_db {
	struct sc_db base; /* first: see struct sc_db */
	PGconn *conn;
	char *display;
	char *url_password; /* the password in the conninfo, for redaction */
	char *url_sslpassword; /* ... and its sslpassword (a client key's) */
	/* A dbname that is itself a connection string or URL (which libpq
	 * takes for a database name, and the server then quotes): shown
	 * masked, and redacted as a whole from messages. */
	char *nested_dbname;
	bool url_encoding;  /* the conninfo chooses a client_encoding */
	bool racing_insert; /* a unique violation now means a racing creator */
	/* The server said it ended the connection (57P01 and the like, 08):
	 * lost, even while libpq, in pipeline mode, has not yet read the
	 * end of it and still calls it good. */
	bool gone;
	/* The last transaction began on a standby (a read: writes there are
	 * refused), whose replay may cancel it: its message says so. */
	bool on_standby;
	/* PgBouncer gave up waiting for a server connection, and closed
	 * the connection: opening it again would wait as long again
	 * (pg_reconnect). */
	bool pool_timed_out;
	/* PgBouncer refused a statement because it has no server for the
	 * database (its own login to it failed: the server is down, or
	 * refuses it), and closed the connection (pg_reconnect). */
	bool pool_refused;
	/* A transaction has begun on this connection: the command had a
	 * server (pg_reconnect). */
	bool served;
	/* The server's reason for ending the connection, when it sent one
	 * (keep_fatal in open.c), or why sessctl closed it (pg_rollback);
	 * empty otherwise. */
	char ended[256];
	/* open.c's event procedure is registered on conn (once: PQreset
	 * keeps it). */
	bool watched;
	/* tx.c: the lock wait a transaction of each mode (write, read) took
	 * from the statement_timeout in force (lock_wait_for_timeout), and
	 * that statement_timeout's text, for the next BEGINs on this
	 * connection; empty when none was computed since it opened. */
	char lock_wait[2][PG_GUC_TEXT_LEN], lock_wait_timeout[2][PG_GUC_TEXT_LEN];
	/* steady.c: the purge of an incremental enforce takes its candidates
	 * through idx_sessions_closed_activity when purge_due found few due
	 * there (for that cutoff). */
	bool purge_by_index;
	int64_t purge_cutoff;
};

/* A time column c as whole epoch seconds, when sessctl can show it: NULL
 * for infinity, -infinity and years outside 0001-9999 (which extract()
 * would turn into an error or a value no output form holds); and the
 * same value as text only then, so the row names it (sc_db_unreadable).
 * The rules compare the column itself: infinity is later than every
 * time (never idle), -infinity and years before 0001 earlier (idle). */
#define PG_TIME_SHOWN(c) \
	"CASE WHEN " c " >= '0001-01-01' AND " c " < '10000-01-01'\n" \
	"       THEN floor(extract(epoch FROM " c "))::bigint END"
#define PG_TIME_ODD(c) \
	"CASE WHEN NOT (" c " >= '0001-01-01' AND " c " < '10000-01-01') THEN " c "::text END"

/* The same time as it is stored, for a binary result (pgb_read_session):
 * microseconds since 2000-01-01 UTC, NULL where PG_TIME_SHOWN is. */
#define PG_TIME_RAW(c) \
	"CASE WHEN " c " >= '0001-01-01' AND " c " < '10000-01-01'\n" \
	"       THEN " c "::timestamptz END"

/* The columns pgb_read_session reads, of a row of sessions (or of a CTE
 * with its columns) seen through prefix p ("" or "s."): 12 of them. */
#define SESSION_COLUMNS_OF(p) \
	p "id, " p "user_id, " p "device_fingerprint, " p "device_name, " p "device_type,\n" \
	"       " p "browser, " p "ip_address,\n" \
	"       " PG_TIME_SHOWN(p "created_at") ",\n" \
	"       " PG_TIME_SHOWN(p "last_activity") ", " p "is_active,\n" \
	"       " PG_TIME_ODD(p "created_at") ",\n" \
	"       " PG_TIME_ODD(p "last_activity")
#define SESSION_COLUMNS SESSION_COLUMNS_OF("")
/* The same 12 columns for a binary result, each cast to the type whose
 * binary form pgb_read_session reads (an id column may be integer,
 * a time one timestamp without time zone, a text one varchar). */
#define SESSION_COLUMNS_BIN_OF(p) \
	p "id::bigint, " p "user_id::bigint, " p "device_fingerprint::text, " \
	p "device_name::text, " p "device_type::text,\n" \
	"       " p "browser::text, " p "ip_address::text,\n" \
	"       " PG_TIME_RAW(p "created_at") ",\n" \
	"       " PG_TIME_RAW(p "last_activity") ", " p "is_active::boolean,\n" \
	"       " PG_TIME_ODD(p "created_at") ",\n" \
	"       " PG_TIME_ODD(p "last_activity")
#define SESSION_NCOLUMNS 12

#define INT64_PARAM_LEN 24
#define TIME_PARAM_LEN (SC_TIME_SQL_LEN + 16) /* ".ffffff+00", and " BC" before the year 1 */

typedef int (*row_fn)(struct pg_db *db, const PGresult *res, int row, void *ctx,
		      struct sc_error *err);

/* Streams sessions to a callback (reads.c, pgb_session_row). */
struct session_stream {
	sc_session_cb cb;
	void *ctx;
};

/* Helpers and operations, one group per file: conn.c (connection
 * failures, errors), open.c (opening a connection), stmt.c (running
 * statements), tx.c (transactions, reconnecting), schema.c, reads.c,
 * writes.c. */
struct pg_db *pgb_to_pg(struct sc_db *db);
int pg_error(struct pg_db *db, struct sc_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
size_t pgb_severity_len(const char *line);
char *pgb_clean_line(const char *msg, bool severity);
/* PgBouncer's answers that it has no server for a client: what they mean,
 * or NULL; *timed_out when the client waited query_wait_timeout. */
const char *pgb_no_server_hint(const char *msg, bool *timed_out);
bool pgb_contains_nocase(const char *s, size_t len, const char *needle);
/* Whether a dbname reads as a connection string or URL of its own. */
bool pgb_nested_conninfo(const char *val);
bool pgb_is_auth_failure(const char *line, size_t len);
int pgb_connect_failed(struct pg_db *db, struct sc_error *err);
bool pgb_sqlstate_is(const char *state, const char *const *list, size_t n);
int pgb_fail_result(struct pg_db *db, const PGresult *res, const char *what,
		       struct sc_error *err);
PGresult *pgb_run(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		     ExecStatusType want, const char *what, struct sc_error *err);
int pgb_run_command(struct pg_db *db, const char *sql, const char *what, struct sc_error *err);
void pgb_cancel(struct pg_db *db);
int pgb_stream(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		  const char *what, row_fn fn, void *ctx, struct sc_error *err);
const char *pgb_col_text(const PGresult *res, int row, int col);
int64_t pgb_col_int64(const PGresult *res, int row, int col);
int64_t pgb_bin_int64(const PGresult *res, int row, int col);
void pgb_bin_time(const PGresult *res, int row, int col, int64_t *t, bool *null);
void pgb_col_time(const PGresult *res, int row, int col, int64_t *t, bool *null);
void pgb_col_time_shown(struct pg_db *db, const PGresult *res, int row, int col, int odd_col,
			const char *table, const char *column, int64_t id, int64_t *t, bool *null);
const char *pgb_int64_param(int64_t v, char buf[INT64_PARAM_LEN]);
const char *pgb_time_param(int64_t t, char buf[TIME_PARAM_LEN]);
const char *pgb_time_us_param(int64_t us, char buf[TIME_PARAM_LEN]);
/* What each new connection gets, after pg_open's and pg_reconnect's. */
int pgb_connected(struct pg_db *db, struct sc_error *err);
void pg_close(struct sc_db *base);
int pg_reconnect(struct sc_db *base, long wait_ms, struct sc_error *err);
int pgb_read_url_password(struct pg_db *db, const char *target, struct sc_error *err);
int pg_open(const struct sc_dburl *url, enum sc_open_mode mode, sc_notice_cb notice,
	    void *notice_ctx, const volatile sig_atomic_t *stop, struct sc_db **out,
	    struct sc_error *err);
void pg_rollback(struct sc_db *base);
int pg_begin(struct sc_db *base, enum sc_tx_mode mode, struct sc_error *err);
int pg_begin_checked(struct sc_db *base, enum sc_tx_mode mode, int *version, bool *app_tables,
		     struct sc_error *err);
int pg_commit(struct sc_db *base, struct sc_error *err);
int pgb_max_version(struct pg_db *db, int *version, struct sc_error *err);
int pg_schema_version(struct sc_db *base, int *version, bool *app_tables,
			     struct sc_error *err);
int pg_applied(struct sc_db *base, sc_applied_cb cb, void *ctx, struct sc_error *err);
int pg_migrate_lock(struct sc_db *base, struct sc_error *err);
int pg_check_placement(struct sc_db *base, struct sc_error *err);
const char *pgb_setting_hint(const struct pg_db *db, const char *name, const char *value,
			     char *buf, size_t len);
int pg_exec_script(struct sc_db *base, const char *sql, const char *what, struct sc_error *err);
int pg_check_column(struct sc_db *base, const struct sc_app_column *c, char *reason,
		    size_t reason_len, struct sc_error *err);
int pg_check_index_name(struct sc_db *base, const char *index, const char *table, char *holder,
			size_t holder_len, struct sc_error *err);
int pg_record_migration(struct sc_db *base, const struct sc_migration *m, int64_t now,
			struct sc_error *err);
void pgb_read_session(struct pg_db *db, const PGresult *res, int row, struct sc_session *s);
int pgb_session_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		       struct sc_error *err);
int pg_find_user(struct sc_db *base, const struct sc_userref *ref, struct sc_user *user,
			struct sc_error *err);
int pg_list_sessions(struct sc_db *base, const struct sc_list_request *req,
			    sc_session_cb cb, void *ctx, struct sc_error *err);
int pg_get_session(struct sc_db *base, int64_t id, sc_session_cb cb, void *ctx,
			  struct sc_error *err);
int pgb_single_int64_as(struct pg_db *db, const char *sql, int nparams, const char *const *params,
			int64_t *out, int ncols, const char *what, struct sc_error *err);
int pgb_single_int64(struct pg_db *db, const char *sql, int nparams,
			const char *const *params, int64_t *out, int ncols, struct sc_error *err);
int pg_count_active(struct sc_db *base, int64_t user_id, int64_t *n, struct sc_error *err);
int pg_totals(struct sc_db *base, struct sc_totals *t, struct sc_error *err);
int pgb_count_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err);
int pg_count_by_user(struct sc_db *base, int64_t over, sc_user_count_cb cb, void *ctx,
			    struct sc_error *err);
int pg_id_bounds(struct sc_db *base, int64_t *max_session_id, int64_t *max_user_id,
			struct sc_error *err);
int pg_complete(struct sc_db *base, enum sc_complete_kind kind, const int64_t *user_id,
		const char *prefix, int64_t limit, sc_candidate_cb cb, void *ctx,
		struct sc_error *err);
int pg_recent_sessions(struct sc_db *base, int64_t limit, sc_session_cb cb, void *ctx,
			      struct sc_error *err);
int pgb_audit_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err);
int pg_history(struct sc_db *base, const struct sc_history_request *req,
		      sc_audit_cb cb, void *ctx, struct sc_error *err);
int pg_find_sessions(struct sc_db *base, const struct sc_find_plan *plan, sc_find_cb cb,
		     void *ctx, struct sc_error *err);
char *pgb_ids_array(const int64_t *ids, size_t n);
int pgb_collect_ids(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		       struct sc_ids *out, struct sc_error *err);
int pgb_collect_pairs(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		      struct sc_ids *out, struct sc_ids *second, struct sc_error *err);
int pg_lock_users(struct sc_db *base, struct sc_ids *users, struct sc_error *err);
int pg_count_left(struct sc_db *base, const struct sc_ids *closes, const int64_t *idle_before,
		  const struct sc_ids *purges, const struct sc_ids *users, int64_t keep, bool wait,
		  int64_t *count, struct sc_error *err);
int pg_sessions_by_ids(struct sc_db *base, const int64_t *ids, size_t n,
			      sc_session_cb cb, void *ctx, struct sc_error *err);
int pgb_counting_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
			struct sc_error *err);
int pgb_change_sessions(struct pg_db *db, const char *rows_sql, const char *count_sql,
			   int nparams, const int64_t *ids, size_t n, const struct sc_change *ch,
			   const char *what, sc_session_cb cb, void *ctx, struct sc_error *err);
int pg_close_users_sessions(struct sc_db *base, const int64_t *except, size_t nexcept,
			    const struct sc_change *ch, sc_session_cb cb, void *ctx,
			    struct sc_error *err);
int pg_close_sessions(struct sc_db *base, const int64_t *ids, size_t n,
			     const struct sc_change *ch, sc_session_cb cb, void *ctx,
			     struct sc_error *err);
int pg_purge_sessions(struct sc_db *base, const int64_t *ids, size_t n,
			     const struct sc_change *ch, sc_session_cb cb, void *ctx,
			     struct sc_error *err);
int pg_candidates(struct sc_db *base, bool active, int64_t cutoff, const int64_t *user_id,
		      int64_t from, int64_t limit, struct sc_ids *out, struct sc_error *err);
/* steady.c */
int pg_idle_sessions(struct sc_db *base, int64_t from, int64_t cutoff, int64_t limit,
		     struct sc_ids *out, struct sc_error *err);
int pg_users_over_limit(struct sc_db *base, int64_t max, int64_t since, int64_t from,
			int64_t limit, struct sc_ids *out, struct sc_ids *excess, struct sc_error *err);
int pg_purge_due(struct sc_db *base, int64_t cutoff, bool *due, struct sc_error *err);
int pg_purge_candidates(struct pg_db *db, int64_t cutoff, int64_t from, int64_t limit,
			struct sc_ids *out, struct sc_error *err);
int pg_enforce_state_get(struct sc_db *base, struct sc_enforce_state *out, bool *found,
			 struct sc_error *err);
int pg_enforce_state_put(struct sc_db *base, const struct sc_enforce_state *s,
			 struct sc_error *err);
int pg_over_limit_candidates(struct sc_db *base, const int64_t *user_ids, size_t n,
				    int64_t keep, struct sc_ids *out, struct sc_error *err);
int pg_check_text(struct sc_db *base, const char *what, const char *value, struct sc_error *err);
int pg_upsert_session(struct sc_db *base, const struct sc_new_session *ns,
			     const struct sc_change *ch, bool *created,
			     sc_session_cb cb, void *ctx, struct sc_error *err);
int pg_count_by_group(struct sc_db *base, enum sc_group_key key, sc_group_count_cb cb,
		      void *ctx, struct sc_error *err);
int pg_count_by_day(struct sc_db *base, bool has_since, int64_t since,
		    sc_day_count_cb cb, void *ctx, struct sc_error *err);
int pg_stats_snapshot(struct sc_db *base, int64_t max, int64_t idle_before,
		      struct sc_stats_snapshot *out, struct sc_error *err);
int pg_audit_counts(struct sc_db *base, int64_t since, int64_t until,
		    sc_action_count_cb cb, void *ctx, struct sc_error *err);

#endif
