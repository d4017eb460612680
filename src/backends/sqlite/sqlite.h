/* The SQLite backend's private header: shared by its files only.
 *
 * Times are stored as UTC text "YYYY-MM-DD HH:MM:SS"; rows written by an
 * application in another common form (fractions, 'T', 'Z', an offset) are
 * read too, and compared and ordered through sessctl_time(), a function
 * of ours that parses them exactly as output does. Only this folder
 * includes sqlite3.h.
 */
#ifndef SESSCTL_BACKEND_SQLITE_H
#define SESSCTL_BACKEND_SQLITE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "../../backend.h"
#include "../../timeutil.h"

extern const struct sc_backend sc_sqlite_backend;
extern const struct sc_migration sc_sqlite_migrations[];

#define BUSY_TIMEOUT_MS 5000

#define STMT_CACHE 48

/* What sessctl_time() gives for a value that is no time: the earliest. */
#define SQ_UNREADABLE_TIME INT64_MIN

struct sqlite_db {
	struct sc_db base; /* first: see struct sc_db */
	sqlite3 *conn;
	char *path;
	/* Prepared statements kept for reuse, keyed by their SQL text's
	 * address (every query is a string literal): batch loops prepare
	 * each statement once. */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	size_t ncache;
	/* The busy handler's state (conn.c): whether the transaction is a
	 * write, when the current wait for a lock began (ms on the monotonic
	 * clock, 0: not waiting), when busy was last seen, and when -v is
	 * told next, and when this try began. Waits a retry resumes within a second count as one. */
	bool tx_write;
	bool persist_journal; /* journal kept between commits (sq_tune_journal) */
	bool wal;             /* the database is in WAL mode (sq_tune_journal) */
	bool opening;         /* in sqlite_open's first reads */
	/* steady.c: the purge of an incremental enforce takes its candidates
	 * through idx_sessions_activity, in the text ranges of purge_range,
	 * when purge_due found few sessions there (for that cutoff). */
	bool purge_by_index;
	int64_t purge_cutoff;
	struct sq_time_range {
		char below[SC_TIME_SQL_LEN];
		char t_from[SC_TIME_SQL_LEN], t_to[SC_TIME_SQL_LEN];
		char rest_from[SC_TIME_SQL_LEN], rest_to[SC_TIME_SQL_LEN];
	} purge_range;
	double busy_since, busy_last, busy_tell, busy_try;
};

#define SESSION_COLUMNS \
	"id, user_id, device_fingerprint, device_name, device_type, browser, " \
	"ip_address, created_at, last_activity, is_active"

/* A session read into memory (writes.c). */
struct found_session {
	bool found;
	bool oom;
	struct sc_session s;  /* strings owned */
};

/* Helpers and operations, one group per file: errors.c (how a failure
 * is told), conn.c (statements, connection, transactions), schema.c,
 * reads.c, writes.c. */
struct sqlite_db *sq_to_sqlite(struct sc_db *db);
int sq_status_of(int rc);
int sq_fail(struct sqlite_db *db, int rc, const char *what, struct sc_error *err);
/* The directory of file, into dir ("." for a bare name, "/" for a file
 * in the root). */
void sq_dir_of(const char *file, char *dir, size_t len);
int sq_prepare(struct sqlite_db *db, const char *sql, sqlite3_stmt **stmt,
		   struct sc_error *err);
void sq_finalize(struct sqlite_db *db, sqlite3_stmt *st);
/* A session whose user_id is not an integer (NULL, or text or a real in
 * an adopted table's column) belongs to no user: WHERE user_id = ?1 never
 * finds it, so it is nobody's to count against the device limit, and
 * read as user_id NULL (sq_read_session). */
#define SQ_IS_USER "typeof(user_id) = 'integer'"

int sq_exec(struct sqlite_db *db, const char *sql, const char *what, struct sc_error *err);
void sq_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
void sq_bind_time(sqlite3_stmt *st, int i, int64_t t);
int64_t sq_time_us(int64_t t);
void sq_bind_time_us(sqlite3_stmt *st, int i, int64_t t);
void sq_sql_sessctl_time(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void sq_sql_ip_maybe(sqlite3_context *ctx, int argc, sqlite3_value **argv);
const char *sq_col_text(sqlite3_stmt *st, int i);
void sq_col_text_release(void);
int sq_col_time(struct sqlite_db *db, sqlite3_stmt *st, int i, int64_t id, int64_t *t,
		    bool *null, struct sc_error *err);
void sq_col_time_soft(struct sqlite_db *db, sqlite3_stmt *st, int i, const char *table,
		      int64_t id, int64_t *t, bool *null);
int sq_busy(void *vdb, int count);
int sq_tune_journal(struct sqlite_db *db, struct sc_error *err);
int sqlite_open(const struct sc_dburl *url, enum sc_open_mode mode, sc_notice_cb notice,
		void *notice_ctx, const volatile sig_atomic_t *stop, struct sc_db **out,
		struct sc_error *err);
void sqlite_close(struct sc_db *base);
int sqlite_begin(struct sc_db *base, enum sc_tx_mode mode, struct sc_error *err);
int sqlite_commit(struct sc_db *base, struct sc_error *err);
void sqlite_rollback(struct sc_db *base);
int sq_table_exists(struct sqlite_db *db, const char *name, bool *exists,
			struct sc_error *err);
int sq_max_version(struct sqlite_db *db, int *version, struct sc_error *err);
int sqlite_schema_version(struct sc_db *base, int *version, bool *app_tables,
				 struct sc_error *err);
int sqlite_applied(struct sc_db *base, sc_applied_cb cb, void *ctx, struct sc_error *err);
int sqlite_exec_script(struct sc_db *base, const char *sql, const char *what,
		       struct sc_error *err);
int sqlite_check_column(struct sc_db *base, const struct sc_app_column *c, char *reason,
			size_t reason_len, struct sc_error *err);
int sqlite_check_index_name(struct sc_db *base, const char *index, const char *table,
			    char *holder, size_t holder_len, struct sc_error *err);
int sqlite_record_migration(struct sc_db *base, const struct sc_migration *m, int64_t now,
			    struct sc_error *err);
int sq_read_session(struct sqlite_db *db, sqlite3_stmt *st, struct sc_session *s,
			struct sc_error *err);
int sq_stream_sessions(struct sqlite_db *db, sqlite3_stmt *st, sc_session_cb cb, void *ctx,
			   int64_t *count, struct sc_error *err);
int sq_stream_sessions_as(struct sqlite_db *db, sqlite3_stmt *st, sc_session_cb cb, void *ctx,
			  int64_t *count, const char *what, struct sc_error *err);
int sqlite_find_user(struct sc_db *base, const struct sc_userref *ref,
			    struct sc_user *user, struct sc_error *err);
int sqlite_list_sessions(struct sc_db *base, const struct sc_list_request *req,
				sc_session_cb cb, void *ctx, struct sc_error *err);
int sqlite_get_session(struct sc_db *base, int64_t id, sc_session_cb cb, void *ctx,
			      struct sc_error *err);
int sq_single_int64(struct sqlite_db *db, sqlite3_stmt *st, int64_t *out, int ncols,
			struct sc_error *err);
int sqlite_count_active(struct sc_db *base, int64_t user_id, int64_t *n,
			       struct sc_error *err);
int sqlite_totals(struct sc_db *base, struct sc_totals *t, struct sc_error *err);
int sqlite_count_by_user(struct sc_db *base, int64_t over, sc_user_count_cb cb, void *ctx,
				struct sc_error *err);
int sqlite_id_bounds(struct sc_db *base, int64_t *max_session_id, int64_t *max_user_id,
			    struct sc_error *err);
int sqlite_recent_sessions(struct sc_db *base, int64_t limit, sc_session_cb cb, void *ctx,
				  struct sc_error *err);
int sqlite_complete(struct sc_db *base, enum sc_complete_kind kind, const int64_t *user_id,
		    const char *prefix, int64_t limit, sc_candidate_cb cb, void *ctx,
		    struct sc_error *err);
int sqlite_history(struct sc_db *base, const struct sc_history_request *req,
			  sc_audit_cb cb, void *ctx, struct sc_error *err);
int sqlite_find_sessions(struct sc_db *base, const struct sc_find_plan *plan, sc_find_cb cb,
			 void *ctx, struct sc_error *err);
char *sq_ids_json(const int64_t *ids, size_t n);
int sq_bind_ids(struct sqlite_db *db, sqlite3_stmt *st, int i, const int64_t *ids, size_t n,
		    struct sc_error *err);
int sq_step_done(struct sqlite_db *db, sqlite3_stmt *st, const char *what, struct sc_error *err);
int sq_collect_ids(struct sqlite_db *db, sqlite3_stmt *st, struct sc_ids *out,
		       struct sc_error *err);
int sq_collect_pairs(struct sqlite_db *db, sqlite3_stmt *st, struct sc_ids *out,
		     struct sc_ids *second, struct sc_error *err);
int sqlite_sessions_by_ids(struct sc_db *base, const int64_t *ids, size_t n,
				  sc_session_cb cb, void *ctx, struct sc_error *err);
enum sq_audit_of { SQ_AUDIT_ACTIVE, SQ_AUDIT_INACTIVE, SQ_AUDIT_USERS };
int sq_audit_ids(struct sqlite_db *db, enum sq_audit_of of, const int64_t *ids, size_t n,
		 const int64_t *except, size_t nexcept, const struct sc_change *ch,
		 struct sc_error *err);
int sq_change_ids(struct sqlite_db *db, const char *returning, const char *plain,
		  const int64_t *ids, size_t n, bool except_ids, const int64_t *except,
		  size_t nexcept, const struct sc_change *ch, sc_session_cb cb, void *ctx,
		  struct sc_error *err);
int sqlite_close_users_sessions(struct sc_db *base, const int64_t *except, size_t nexcept,
				const struct sc_change *ch, sc_session_cb cb, void *ctx,
				struct sc_error *err);
int sqlite_close_sessions(struct sc_db *base, const int64_t *ids, size_t n,
				 const struct sc_change *ch, sc_session_cb cb, void *ctx,
				 struct sc_error *err);
int sqlite_purge_sessions(struct sc_db *base, const int64_t *ids, size_t n,
				 const struct sc_change *ch, sc_session_cb cb, void *ctx,
				 struct sc_error *err);
int sqlite_candidates(struct sc_db *base, bool active, int64_t cutoff, const int64_t *user_id,
		      int64_t from, int64_t limit, struct sc_ids *out, struct sc_error *err);
/* steady.c */
void sqlite_between_batches(struct sc_db *base);
int sqlite_purge_due(struct sc_db *base, int64_t cutoff, bool *due, struct sc_error *err);
/* The candidates of the purge that follows purge_due through the index
 * (steady.c): 1 when it found few, -1 on error, 0 to walk the table. */
int sq_purge_candidates(struct sqlite_db *db, int64_t cutoff, int64_t from, int64_t limit,
			struct sc_ids *out, struct sc_error *err);
int sqlite_idle_sessions(struct sc_db *base, int64_t from, int64_t cutoff, int64_t limit,
			 struct sc_ids *out, struct sc_error *err);
int sqlite_users_over_limit(struct sc_db *base, int64_t max, int64_t since, int64_t from,
			    int64_t limit, struct sc_ids *out, struct sc_ids *excess, struct sc_error *err);
int sqlite_enforce_state_get(struct sc_db *base, struct sc_enforce_state *out, bool *found,
			     struct sc_error *err);
int sqlite_enforce_state_put(struct sc_db *base, const struct sc_enforce_state *s,
			     struct sc_error *err);
int sqlite_over_limit_candidates(struct sc_db *base, const int64_t *user_ids, size_t n,
					int64_t keep, struct sc_ids *out, struct sc_error *err);
int sq_on_found_session(const struct sc_session *s, void *vctx);
void sq_found_free(struct found_session *f);
int sqlite_upsert_session(struct sc_db *base, const struct sc_new_session *ns,
				 const struct sc_change *ch, bool *created,
				 sc_session_cb cb, void *ctx, struct sc_error *err);
int sqlite_count_by_group(struct sc_db *base, enum sc_group_key key, sc_group_count_cb cb,
			  void *ctx, struct sc_error *err);
int sqlite_count_by_day(struct sc_db *base, bool has_since, int64_t since,
			sc_day_count_cb cb, void *ctx, struct sc_error *err);
int sqlite_stats_snapshot(struct sc_db *base, int64_t max, int64_t idle_before,
			  struct sc_stats_snapshot *out, struct sc_error *err);
int sqlite_audit_counts(struct sc_db *base, int64_t since, int64_t until,
			sc_action_count_cb cb, void *ctx, struct sc_error *err);

#endif
