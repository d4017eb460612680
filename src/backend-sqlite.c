/* The SQLite backend: the only file that includes sqlite3.h.
 *
 * Times are stored as UTC text "YYYY-MM-DD HH:MM:SS"; rows written by an
 * application in another common form (fractions, 'T', 'Z', an offset) are
 * read too, and compared and ordered through sessctl_time(), a function
 * of ours that parses them exactly as output does.
 */
#include "backend.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "timeutil.h"

#define BUSY_TIMEOUT_MS 5000

#define STMT_CACHE 48

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
};

static struct sqlite_db *to_sqlite(struct sc_db *db)
{
	if (db->backend != &sc_sqlite_backend)
		abort();
	return (struct sqlite_db *)db;
}

/* Maps an SQLite result code to an exit status. */
static int status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SC_TEMPFAIL;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return SC_NOPERM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_CONSTRAINT: /* e.g. duplicate rows for a unique index */
		return SC_DATAERR;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return SC_UNAVAILABLE;
	default:
		return SC_SOFTWARE;
	}
}

static int fail(struct sqlite_db *db, int rc, const char *what, struct sc_error *err)
{
	int status = status_of(rc);

	if ((rc & 0xff) == SQLITE_NOTADB)
		return sc_error_set(err, status, "'%s' is not an sqlite database", db->path);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return sc_error_set(err, status, "%s on '%s': %s: remove the duplicate or invalid rows first",
				    what, db->path, db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
	if (status == SC_TEMPFAIL)
		return sc_error_set(err, status,
			"'%s' stayed locked by another process (%s): try again later", db->path, what);
	return sc_error_set(err, status, "%s on '%s': %s", what, db->path,
			    db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
}

/* Returns a statement for sql, reused from the cache when possible.
 * Give it back with finalize(). */
static int prepare(struct sqlite_db *db, const char *sql, sqlite3_stmt **stmt,
		   struct sc_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql && !sqlite3_stmt_busy(db->cache[i].st)) {
			*stmt = db->cache[i].st;
			return 0;
		}
	}
	rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc, "cannot prepare a query", err);
	if (db->ncache < STMT_CACHE) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache].st = *stmt;
		db->ncache++;
	}
	return 0;
}

/* Resets a cached statement for its next use, or finalizes one that is
 * not cached. */
static void finalize(struct sqlite_db *db, sqlite3_stmt *st)
{
	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

static int exec(struct sqlite_db *db, const char *sql, const char *what, struct sc_error *err)
{
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail(db, rc, what, err);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	char buf[SC_TIME_SQL_LEN];
	sc_time_format_sql(t, buf);
	sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* Binds t for comparison with sessctl_time(): microseconds. */
static void bind_time_us(sqlite3_stmt *st, int i, int64_t t)
{
	sqlite3_bind_int64(st, i, t * 1000000);
}

/* sessctl_time(TEXT): the time in microseconds since the epoch, by the
 * same parser that reads times for output, so that what a row shows and
 * how rules compare it always agree (julianday() rejects forms such as
 * +0100 offsets that applications write). NULL for NULL or garbage. */
static void sql_sessctl_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *text;
	int64_t us;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    !(text = sqlite3_value_text(argv[0])) || sc_time_parse_us((const char *)text, &us) < 0) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_int64(ctx, us);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
							 : (const char *)sqlite3_column_text(st, i);
}

static int col_time(struct sqlite_db *db, sqlite3_stmt *st, int i, int64_t id, int64_t *t,
		    bool *null, struct sc_error *err)
{
	const char *text = col_text(st, i);

	*null = text == NULL;
	if (!text)
		return 0;
	if (sc_time_parse(text, t) < 0)
		return sc_error_set(err, SC_DATAERR,
			"row %lld of '%s' has an unreadable %s '%.40s': expected UTC 'YYYY-MM-DD HH:MM:SS'",
			(long long)id, db->path, sqlite3_column_name(st, i), text);
	return 0;
}

/* ---- connection ---- */

/* In WAL mode, synchronous=NORMAL keeps the database consistent through
 * a crash and only lets the last commits before a power loss be lost
 * (whole, with their audit rows: each batch is one transaction). It saves
 * an fsync per commit, which dominates enforce's many short batches. A
 * rollback-journal database keeps its FULL default. The setting is this
 * connection's only. */
static int sync_normal_in_wal(struct sqlite_db *db, struct sc_error *err)
{
	sqlite3_stmt *st;
	bool wal = false;
	int rc;

	rc = sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc, "cannot read the journal mode", err);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode && strcmp(mode, "wal") == 0;
	}
	sqlite3_finalize(st);
	return wal ? exec(db, "PRAGMA synchronous = NORMAL", "cannot set synchronous", err) : 0;
}

static int sqlite_open(const struct sc_dburl *url, enum sc_open_mode mode,
		       struct sc_db **out, struct sc_error *err)
{
	struct sqlite_db *db;
	struct stat st;
	int flags, rc;
	bool read_only = mode == SC_OPEN_READ || mode == SC_OPEN_INSPECT;

	*out = NULL;
	if (stat(url->target, &st) < 0) {
		if (errno == ENOENT && mode != SC_OPEN_MIGRATE)
			return sc_error_set(err, SC_NOINPUT,
				"no such database file '%s': check --db, or create it with 'sessctl migrate'",
				url->target);
		if (errno == EACCES)
			return sc_error_set(err, SC_NOPERM, "cannot open '%s': permission denied", url->target);
		if (errno != ENOENT)
			return sc_error_set(err, SC_UNAVAILABLE, "cannot open '%s': %s", url->target,
					    strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		return sc_error_set(err, SC_DATAERR, "'%s' is a directory, not an sqlite database",
				    url->target);
	} else if (access(url->target, read_only ? R_OK : R_OK | W_OK) < 0) {
		return sc_error_set(err, SC_NOPERM, "cannot open '%s'%s: permission denied",
				    url->target, read_only ? "" : " for writing");
	}

	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(url->target))) {
		free(db);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	db->base.backend = &sc_sqlite_backend;
	db->base.mode = mode;
	db->base.display = db->path;

	flags = SQLITE_OPEN_NOMUTEX;
	if (read_only)
		flags |= SQLITE_OPEN_READONLY;
	else
		flags |= SQLITE_OPEN_READWRITE;
	if (mode == SC_OPEN_MIGRATE)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(url->target, &db->conn, flags, NULL);
	if (rc != SQLITE_OK) {
		fail(db, rc, "cannot open database", err);
		sc_sqlite_backend.close(&db->base);
		return -1;
	}
	sqlite3_extended_result_codes(db->conn, 1);
	rc = sqlite3_create_function_v2(db->conn, "sessctl_time", 1,
					SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
					sql_sessctl_time, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail(db, rc, "cannot register sessctl_time()", err);
		sc_sqlite_backend.close(&db->base);
		return -1;
	}
	sqlite3_busy_timeout(db->conn, BUSY_TIMEOUT_MS);
	/* Reading the schema tells a database from any other file. */
	if (exec(db, "SELECT count(*) FROM sqlite_schema", "cannot read database", err) < 0 ||
	    (!read_only &&
	     (exec(db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", err) < 0 ||
	      /* enforce's batches revisit index pages: keep them cached */
	      exec(db, "PRAGMA cache_size = -65536", "cannot size the page cache", err) < 0 ||
	      /* enforce's batches rewrite the same index pages: checkpoint
	       * every 100 MB of WAL rather than every 4 MB, so that a page is
	       * copied back once for many batches (this connection only) */
	      exec(db, "PRAGMA wal_autocheckpoint = 25000", "cannot set the checkpoint interval", err) < 0 ||
	      sync_normal_in_wal(db, err) < 0))) {
		sc_sqlite_backend.close(&db->base);
		return -1;
	}
	*out = &db->base;
	return 0;
}

static void sqlite_close(struct sc_db *base)
{
	struct sqlite_db *db;

	if (!base)
		return;
	db = to_sqlite(base);
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close_v2(db->conn);
	free(db->path);
	free(db);
}

static int sqlite_begin(struct sc_db *base, enum sc_tx_mode mode, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	return exec(db, mode == SC_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN",
		    "cannot begin a transaction", err);
}

static int sqlite_commit(struct sc_db *base, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	if (exec(db, "COMMIT", "cannot commit", err) < 0) {
		base->backend->rollback(base);
		return -1;
	}
	return 0;
}

static void sqlite_rollback(struct sc_db *base)
{
	struct sqlite_db *db = to_sqlite(base);
	if (!sqlite3_get_autocommit(db->conn))
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- schema ---- */

static int table_exists(struct sqlite_db *db, const char *name, bool *exists,
			struct sc_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	finalize(db, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, rc, "cannot read the schema", err);
	return 0;
}

static int max_version(struct sqlite_db *db, int *version, struct sc_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT coalesce(max(version), 0) FROM sessctl_migrations", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	finalize(db, st);
	return rc == SQLITE_ROW ? 0 : fail(db, rc, "cannot read the schema version", err);
}

static int sqlite_schema_version(struct sc_db *base, int *version, bool *app_tables,
				 struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	bool has_migrations;

	*version = 0;
	if (table_exists(db, "sessions", app_tables, err) < 0 ||
	    table_exists(db, "sessctl_migrations", &has_migrations, err) < 0)
		return -1;
	return has_migrations ? max_version(db, version, err) : 0;
}

static int sqlite_applied(struct sc_db *base, sc_applied_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT version, name, applied_at FROM sessctl_migrations ORDER BY version",
		    &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_applied a = { sqlite3_column_int(st, 0), col_text(st, 1), 0 };
		bool null;
		int cbrc;
		if (col_time(db, st, 2, a.version, &a.applied_at, &null, err) < 0) {
			finalize(db, st);
			return -1;
		}
		if ((cbrc = cb(&a, ctx)) != 0) {
			finalize(db, st);
			return cbrc;
		}
	}
	finalize(db, st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, "cannot read applied migrations", err);
}

static int sqlite_migrate_step(struct sc_db *base, const struct sc_migration *m, int64_t now,
			       bool *applied, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int version = 0, rc;

	*applied = false;
	/* BEGIN IMMEDIATE takes the write lock: a second migrator waits here
	 * (busy timeout), then sees the version this one recorded. */
	if (exec(db, "BEGIN IMMEDIATE", "cannot lock the database for migration", err) < 0)
		return -1;
	if (exec(db, "CREATE TABLE IF NOT EXISTS sessctl_migrations (\n"
		     "    version INTEGER PRIMARY KEY,\n"
		     "    name TEXT NOT NULL,\n"
		     "    applied_at TEXT NOT NULL\n"
		     ")", "cannot create the migrations table", err) < 0 ||
	    max_version(db, &version, err) < 0)
		goto fail;
	if (version > SC_SCHEMA_VERSION) {
		sc_schema_too_new(err, version);
		goto fail;
	}
	if (version >= m->version) {
		sqlite_rollback(base);
		return 0;
	}
	if (exec(db, m->sql, "migration failed", err) < 0 ||
	    prepare(db, "INSERT INTO sessctl_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
		    &st, err) < 0)
		goto fail;
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	bind_time(st, 3, now);
	rc = sqlite3_step(st);
	finalize(db, st);
	if (rc != SQLITE_DONE) {
		fail(db, rc, "cannot record the migration", err);
		goto fail;
	}
	if (sqlite_commit(base, err) < 0)
		return -1;
	*applied = true;
	return 0;
fail:
	sqlite_rollback(base);
	return -1;
}

/* ---- reads ---- */

#define SESSION_COLUMNS \
	"id, user_id, device_fingerprint, device_name, device_type, browser, " \
	"ip_address, created_at, last_activity, is_active"

/* Reads a row selected with SESSION_COLUMNS. */
static int read_session(struct sqlite_db *db, sqlite3_stmt *st, struct sc_session *s,
			struct sc_error *err)
{
	s->id = sqlite3_column_int64(st, 0);
	s->user_id = sqlite3_column_int64(st, 1);
	s->device_fingerprint = col_text(st, 2);
	s->device_name = col_text(st, 3);
	s->device_type = col_text(st, 4);
	s->browser = col_text(st, 5);
	s->ip_address = col_text(st, 6);
	s->is_active = sqlite3_column_int(st, 9) != 0;
	if (col_time(db, st, 7, s->id, &s->created_at, &s->created_at_null, err) < 0 ||
	    col_time(db, st, 8, s->id, &s->last_activity, &s->last_activity_null, err) < 0)
		return -1;
	return 0;
}

/* Steps st to the end, handing each session to cb. */
static int stream_sessions(struct sqlite_db *db, sqlite3_stmt *st, sc_session_cb cb, void *ctx,
			   int64_t *count, struct sc_error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_session s;
		int cbrc;
		if (read_session(db, st, &s, err) < 0)
			return -1;
		if ((cbrc = cb(&s, ctx)) != 0)
			return cbrc;
		if (count)
			(*count)++;
	}
	return rc == SQLITE_DONE ? 0 : fail(db, rc, "cannot read sessions", err);
}

static int sqlite_find_user(struct sc_db *base, const struct sc_userref *ref,
			    struct sc_user *user, struct sc_error *err)
{
	static const char *const sql[] = {
		[SC_USER_BY_ID] = "SELECT id, email, username, role FROM users WHERE id = ?1",
		[SC_USER_BY_EMAIL] = "SELECT id, email, username, role FROM users WHERE email = ?1",
		[SC_USER_BY_NAME] = "SELECT id, email, username, role FROM users WHERE username = ?1 "
				    "ORDER BY id LIMIT 2",
	};
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc, result = 1;

	if (prepare(db, sql[ref->kind], &st, err) < 0)
		return -1;
	if (ref->kind == SC_USER_BY_ID)
		sqlite3_bind_int64(st, 1, ref->id);
	else
		sqlite3_bind_text(st, 1, ref->text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *email = col_text(st, 1), *name = col_text(st, 2), *role = col_text(st, 3);
		memset(user, 0, sizeof(*user));
		user->id = sqlite3_column_int64(st, 0);
		if ((email && !(user->email = strdup(email))) ||
		    (name && !(user->username = strdup(name))) ||
		    (role && !(user->role = strdup(role)))) {
			sc_user_free(user);
			finalize(db, st);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
		result = 0;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			sc_user_free(user);
			result = 2;
			rc = SQLITE_DONE;
		}
	}
	finalize(db, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(db, rc, "cannot read users", err);
	return result;
}

static int sqlite_list_sessions(struct sc_db *base, const struct sc_list_request *req,
				sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "SELECT " SESSION_COLUMNS " FROM sessions\n"
		    "WHERE user_id = ?1 AND (?2 OR is_active)\n"
		    "  AND (?3 IS NULL OR device_type = ?3)\n"
		    "  AND (?4 IS NULL OR sessctl_time(last_activity) <= ?4)\n"
		    "ORDER BY sessctl_time(last_activity) DESC NULLS LAST, id DESC\n"
		    "LIMIT ?5", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, req->user_id);
	sqlite3_bind_int(st, 2, req->all);
	bind_text_or_null(st, 3, req->device_type);
	if (req->has_idle_before)
		bind_time_us(st, 4, req->idle_before);
	sqlite3_bind_int64(st, 5, req->limit > 0 ? req->limit : -1);
	rc = stream_sessions(db, st, cb, ctx, NULL, err);
	finalize(db, st);
	return rc;
}

static int sqlite_get_session(struct sc_db *base, int64_t id, sc_session_cb cb, void *ctx,
			      struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	if (prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = stream_sessions(db, st, cb, ctx, &n, err);
	finalize(db, st);
	if (rc == 0 && n == 0)
		return sc_error_set(err, SC_NOINPUT, "no such session %lld", (long long)id);
	return rc;
}

static int single_int64(struct sqlite_db *db, sqlite3_stmt *st, int64_t *out, int ncols,
			struct sc_error *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		for (int i = 0; i < ncols; i++)
			out[i] = sqlite3_column_int64(st, i);
	finalize(db, st);
	return rc == SQLITE_ROW ? 0 : fail(db, rc, "cannot count sessions", err);
}

static int sqlite_count_active(struct sc_db *base, int64_t user_id, int64_t *n,
			       struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;

	if (prepare(db, "SELECT count(*) FROM sessions WHERE user_id = ?1 AND is_active", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	return single_int64(db, st, n, 1, err);
}

static int sqlite_totals(struct sc_db *base, struct sc_totals *t, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int64_t v[4];

	if (prepare(db,
		    "SELECT (SELECT count(*) FROM users),\n"
		    "       count(DISTINCT CASE WHEN is_active THEN user_id END),\n"
		    "       count(*),\n"
		    "       coalesce(sum(CASE WHEN is_active THEN 1 ELSE 0 END), 0)\n"
		    "FROM sessions", &st, err) < 0 ||
	    single_int64(db, st, v, 4, err) < 0)
		return -1;
	t->users = v[0];
	t->users_active = v[1];
	t->sessions = v[2];
	t->active = v[3];
	t->inactive = v[2] - v[3];
	return 0;
}

static int sqlite_count_by_user(struct sc_db *base, int64_t over, sc_user_count_cb cb, void *ctx,
				struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "SELECT s.user_id, u.email, u.username, s.n\n"
		    "FROM (SELECT user_id, count(*) AS n FROM sessions WHERE is_active\n"
		    "      GROUP BY user_id HAVING count(*) > ?1) AS s\n"
		    "LEFT JOIN users AS u ON u.id = s.user_id\n"
		    "ORDER BY s.n DESC, s.user_id", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, over);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_user_count c = {
			sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
			sqlite3_column_int64(st, 3),
		};
		int cbrc = cb(&c, ctx);
		if (cbrc) {
			finalize(db, st);
			return cbrc;
		}
	}
	finalize(db, st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, "cannot count sessions", err);
}

static int sqlite_id_bounds(struct sc_db *base, int64_t *max_session_id, int64_t *max_user_id,
			    struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int64_t v[2] = { 0, 0 };

	if (prepare(db, "SELECT coalesce((SELECT max(id) FROM sessions), 0),\n"
			"       coalesce((SELECT max(user_id) FROM sessions), 0)", &st, err) < 0 ||
	    single_int64(db, st, v, 2, err) < 0)
		return -1;
	*max_session_id = v[0];
	*max_user_id = v[1];
	return 0;
}

static int sqlite_recent_sessions(struct sc_db *base, int64_t limit, sc_session_cb cb, void *ctx,
				  struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE is_active\n"
			"ORDER BY id DESC LIMIT ?1", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, limit);
	rc = stream_sessions(db, st, cb, ctx, NULL, err);
	finalize(db, st);
	return rc;
}

/* ---- history ---- */

static int sqlite_history(struct sc_db *base, const struct sc_history_request *req,
			  sc_audit_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (prepare(db,
		    "SELECT id, created_at, action, session_id, user_id, actor, reason\n"
		    "FROM sessctl_audit\n"
		    "WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR session_id = ?2)\n"
		    "  AND (?3 IS NULL OR sessctl_time(created_at) >= ?3)\n"
		    "ORDER BY sessctl_time(created_at) DESC, id DESC\n"
		    "LIMIT ?4", &st, err) < 0)
		return -1;
	if (req->has_user)
		sqlite3_bind_int64(st, 1, req->user_id);
	if (req->has_session)
		sqlite3_bind_int64(st, 2, req->session_id);
	if (req->has_since)
		bind_time_us(st, 3, req->since);
	sqlite3_bind_int64(st, 4, req->limit > 0 ? req->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_audit a = {
			.id = sqlite3_column_int64(st, 0),
			.action = col_text(st, 2),
			.session_id_null = sqlite3_column_type(st, 3) == SQLITE_NULL,
			.session_id = sqlite3_column_int64(st, 3),
			.user_id_null = sqlite3_column_type(st, 4) == SQLITE_NULL,
			.user_id = sqlite3_column_int64(st, 4),
			.actor = col_text(st, 5),
			.reason = col_text(st, 6),
		};
		bool null;
		int cbrc;
		if (col_time(db, st, 1, a.id, &a.created_at, &null, err) < 0) {
			finalize(db, st);
			return -1;
		}
		if ((cbrc = cb(&a, ctx)) != 0) {
			finalize(db, st);
			return cbrc;
		}
	}
	finalize(db, st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, "cannot read the audit trail", err);
}

/* ---- writes ---- */

/* Ids travel as one JSON array bound to one parameter and are expanded
 * with json_each(): one statement whatever their number. */
static char *ids_json(const int64_t *ids, size_t n)
{
	size_t cap = n * 21 + 3, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
	s[len++] = ']';
	s[len] = '\0';
	return s;
}

static int bind_ids(struct sqlite_db *db, sqlite3_stmt *st, int i, const int64_t *ids, size_t n,
		    struct sc_error *err)
{
	char *json = ids_json(ids, n);
	(void)db;
	if (!json)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	sqlite3_bind_text(st, i, json, -1, free);
	return 0;
}

static int step_done(struct sqlite_db *db, sqlite3_stmt *st, const char *what, struct sc_error *err)
{
	int rc = sqlite3_step(st);
	finalize(db, st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, what, err);
}

static int collect_ids(struct sqlite_db *db, sqlite3_stmt *st, struct sc_ids *out,
		       struct sc_error *err)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sc_ids_push(out, sqlite3_column_int64(st, 0)) < 0) {
			finalize(db, st);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
	}
	finalize(db, st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, "cannot select sessions", err);
}

static int sqlite_lock_users(struct sc_db *base, const int64_t *user_ids, size_t n,
			     struct sc_error *err)
{
	/* BEGIN IMMEDIATE already holds the database's write lock. */
	(void)base;
	(void)user_ids;
	(void)n;
	(void)err;
	return 0;
}

static int sqlite_sessions_by_ids(struct sc_db *base, const int64_t *ids, size_t n,
				  sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions\n"
			"WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id", &st, err) < 0)
		return -1;
	if (bind_ids(db, st, 1, ids, n, err) < 0) {
		finalize(db, st);
		return -1;
	}
	rc = stream_sessions(db, st, cb, ctx, NULL, err);
	finalize(db, st);
	return rc;
}

/* Writes the audit rows for the active (or inactive) sessions among ids,
 * before they change. */
static int audit_ids(struct sqlite_db *db, const int64_t *ids, size_t n, bool active,
		     const struct sc_change *ch, struct sc_error *err)
{
#define AUDIT_IDS(where) \
	"INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at)\n" \
	"SELECT id, user_id, ?2, ?3, ?4, ?5 FROM sessions\n" \
	"WHERE id IN (SELECT value FROM json_each(?1)) AND " where " ORDER BY id"
	static const char *const sql_active =
		AUDIT_IDS("is_active AND (?6 IS NULL OR sessctl_time(last_activity) < ?6)");
	static const char *const sql_inactive = AUDIT_IDS("NOT is_active");
	sqlite3_stmt *st;

	if (!ch->audit)
		return 0;
	if (prepare(db, active ? sql_active : sql_inactive, &st, err) < 0)
		return -1;
	if (bind_ids(db, st, 1, ids, n, err) < 0) {
		finalize(db, st);
		return -1;
	}
	sqlite3_bind_text(st, 2, ch->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ch->actor, -1, SQLITE_STATIC);
	bind_text_or_null(st, 4, ch->reason);
	bind_time(st, 5, ch->now);
	if (active && ch->has_idle_before)
		bind_time_us(st, 6, ch->idle_before);
	return step_done(db, st, "cannot write the audit trail", err);
}

/* Runs a change of the sessions among ids. With cb, the statement
 * returns the changed rows for cb; without, plain changes only counts. */
static int change_ids(struct sqlite_db *db, const char *returning, const char *plain,
		      const int64_t *ids, size_t n, const struct sc_change *ch, sc_session_cb cb,
		      void *ctx, struct sc_error *err)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	int rc;

	if (prepare(db, cb ? returning : plain, &st, err) < 0)
		return -1;
	if (bind_ids(db, st, 1, ids, n, err) < 0) {
		finalize(db, st);
		return -1;
	}
	if (ch->has_idle_before && sqlite3_bind_parameter_count(st) >= 2)
		bind_time_us(st, 2, ch->idle_before);
	if (cb) {
		rc = stream_sessions(db, st, cb, ctx, &count, err);
		finalize(db, st);
		return rc ? -1 : (int)count;
	}
	rc = sqlite3_step(st);
	finalize(db, st);
	if (rc != SQLITE_DONE)
		return fail(db, rc, "cannot change sessions", err);
	return sqlite3_changes(db->conn);
}

#define CLOSE_SQL \
	"UPDATE sessions SET is_active = 0\n" \
	"WHERE id IN (SELECT value FROM json_each(?1)) AND is_active\n" \
	"  AND (?2 IS NULL OR sessctl_time(last_activity) < ?2)"
#define PURGE_SQL \
	"DELETE FROM sessions\n" \
	"WHERE id IN (SELECT value FROM json_each(?1)) AND NOT is_active"

static int sqlite_close_sessions(struct sc_db *base, const int64_t *ids, size_t n,
				 const struct sc_change *ch, sc_session_cb cb, void *ctx,
				 struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);

	if (audit_ids(db, ids, n, true, ch, err) < 0)
		return -1;
	return change_ids(db, CLOSE_SQL "\nRETURNING " SESSION_COLUMNS, CLOSE_SQL, ids, n, ch, cb,
			  ctx, err);
}

static int sqlite_purge_sessions(struct sc_db *base, const int64_t *ids, size_t n,
				 const struct sc_change *ch, sc_session_cb cb, void *ctx,
				 struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);

	if (audit_ids(db, ids, n, false, ch, err) < 0)
		return -1;
	return change_ids(db, PURGE_SQL "\nRETURNING " SESSION_COLUMNS, PURGE_SQL, ids, n, ch, cb,
			  ctx, err);
}

/* Active (or inactive) sessions idle since before cutoff, walked in id
 * order from after: a rowid range scan (or the user's index), and
 * sessctl_time() compares exactly whatever form the time was written in. */
static int candidates(struct sqlite_db *db, bool active, int64_t cutoff, const int64_t *user_id,
		      int64_t after, int64_t limit, struct sc_ids *out, struct sc_error *err)
{
#define CANDIDATES(state, user) \
	"SELECT id FROM sessions\n" \
	"WHERE " state " AND id > ?1 AND sessctl_time(last_activity) < ?2" user "\n" \
	"ORDER BY id LIMIT ?4"
	static const char *const sql[2][2] = {
		{ CANDIDATES("NOT is_active", ""), CANDIDATES("NOT is_active", " AND user_id = ?3") },
		{ CANDIDATES("is_active", ""), CANDIDATES("is_active", " AND user_id = ?3") },
	};
	sqlite3_stmt *st;

	if (prepare(db, sql[active][user_id != NULL], &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	bind_time_us(st, 2, cutoff);
	if (user_id)
		sqlite3_bind_int64(st, 3, *user_id);
	sqlite3_bind_int64(st, 4, limit);
	return collect_ids(db, st, out, err);
}

static int sqlite_idle_candidates(struct sc_db *base, int64_t cutoff, const int64_t *user_id,
				  int64_t after, int64_t limit, struct sc_ids *out,
				  struct sc_error *err)
{
	return candidates(to_sqlite(base), true, cutoff, user_id, after, limit, out, err);
}

static int sqlite_purge_candidates(struct sc_db *base, int64_t cutoff, const int64_t *user_id,
				   int64_t after, int64_t limit, struct sc_ids *out,
				   struct sc_error *err)
{
	return candidates(to_sqlite(base), false, cutoff, user_id, after, limit, out, err);
}

static int sqlite_users_over_limit(struct sc_db *base, int64_t max, int64_t after, int64_t limit,
				   struct sc_ids *out, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;

	if (prepare(db,
		    "SELECT user_id FROM sessions WHERE is_active AND user_id > ?2\n"
		    "GROUP BY user_id HAVING count(*) > ?1 ORDER BY user_id LIMIT ?3", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, max);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, limit);
	return collect_ids(db, st, out, err);
}

static int sqlite_over_limit_candidates(struct sc_db *base, const int64_t *user_ids, size_t n,
					int64_t keep, struct sc_ids *out, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	sqlite3_stmt *st;

	if (prepare(db,
		    "SELECT id FROM (\n"
		    "  SELECT id, row_number() OVER (PARTITION BY user_id\n"
		    "      ORDER BY sessctl_time(last_activity) DESC NULLS LAST, id DESC) AS rank\n"
		    "  FROM sessions\n"
		    "  WHERE is_active AND user_id IN (SELECT value FROM json_each(?1)))\n"
		    "WHERE rank > ?2 ORDER BY id", &st, err) < 0)
		return -1;
	if (bind_ids(db, st, 1, user_ids, n, err) < 0) {
		finalize(db, st);
		return -1;
	}
	sqlite3_bind_int64(st, 2, keep);
	return collect_ids(db, st, out, err);
}

struct found_session {
	bool found;
	bool oom;
	struct sc_session s;  /* strings owned */
};

static int on_found_session(const struct sc_session *s, void *vctx)
{
	struct found_session *f = vctx;
	f->found = true;
	if (sc_session_copy(s, &f->s) < 0)
		f->oom = true;
	return 0;
}

static void found_free(struct found_session *f)
{
	sc_session_release(&f->s);
}

static int sqlite_upsert_session(struct sc_db *base, const struct sc_new_session *ns,
				 const struct sc_change *ch, bool dry_run, bool *created,
				 sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = to_sqlite(base);
	struct found_session f = { 0 };
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions\n"
			"WHERE user_id = ?1 AND device_fingerprint = ?2", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, ns->user_id);
	sqlite3_bind_text(st, 2, ns->device_fingerprint, -1, SQLITE_STATIC);
	rc = stream_sessions(db, st, on_found_session, &f, NULL, err);
	finalize(db, st);
	if (rc == 0 && f.oom)
		rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (rc != 0) {
		found_free(&f);
		return rc;
	}
	*created = !f.found;

	if (dry_run) {
		/* The row as the change would leave it. */
		struct sc_session s = f.found ? f.s : (struct sc_session){
			.user_id = ns->user_id,
			.device_fingerprint = ns->device_fingerprint,
			.created_at = ch->now,
		};
		s.device_name = ns->device_name ? ns->device_name : s.device_name;
		s.device_type = ns->device_type ? ns->device_type : s.device_type;
		s.browser = ns->browser ? ns->browser : s.browser;
		s.ip_address = ns->ip_address ? ns->ip_address : s.ip_address;
		s.last_activity = ch->now;
		s.last_activity_null = false;
		s.is_active = true;
		rc = cb(&s, ctx);
		found_free(&f);
		return rc;
	}

	if (f.found) {
		rc = prepare(db,
			     "UPDATE sessions SET last_activity = ?2, is_active = 1,\n"
			     "    device_name = coalesce(?3, device_name),\n"
			     "    device_type = coalesce(?4, device_type),\n"
			     "    browser = coalesce(?5, browser),\n"
			     "    ip_address = coalesce(?6, ip_address)\n"
			     "WHERE id = ?1\n"
			     "RETURNING " SESSION_COLUMNS, &st, err);
		if (rc == 0)
			sqlite3_bind_int64(st, 1, f.s.id);
	} else {
		rc = prepare(db,
			     "INSERT INTO sessions (user_id, created_at, last_activity, device_name,\n"
			     "    device_type, browser, ip_address, device_fingerprint, is_active)\n"
			     "VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, 1)\n"
			     "RETURNING " SESSION_COLUMNS, &st, err);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, ns->user_id);
			sqlite3_bind_text(st, 7, ns->device_fingerprint, -1, SQLITE_STATIC);
		}
	}
	found_free(&f);
	if (rc < 0)
		return -1;
	bind_time(st, 2, ch->now);
	bind_text_or_null(st, 3, ns->device_name);
	bind_text_or_null(st, 4, ns->device_type);
	bind_text_or_null(st, 5, ns->browser);
	bind_text_or_null(st, 6, ns->ip_address);

	struct found_session row = { 0 };
	rc = stream_sessions(db, st, on_found_session, &row, NULL, err);
	finalize(db, st);
	if (rc == 0 && row.oom)
		rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (rc == 0 && ch->audit) {
		rc = prepare(db,
			     "INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at)\n"
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, row.s.id);
			sqlite3_bind_int64(st, 2, row.s.user_id);
			sqlite3_bind_text(st, 3, ch->action, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, ch->actor, -1, SQLITE_STATIC);
			bind_text_or_null(st, 5, ch->reason);
			bind_time(st, 6, ch->now);
			rc = step_done(db, st, "cannot write the audit trail", err);
		}
	}
	if (rc == 0)
		rc = cb(&row.s, ctx);
	found_free(&row);
	return rc;
}

const struct sc_backend sc_sqlite_backend = {
	.name = "sqlite",
	.kind = SC_DB_SQLITE,
	.migrations = sc_sqlite_migrations,
	.open = sqlite_open,
	.close = sqlite_close,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.schema_version = sqlite_schema_version,
	.applied = sqlite_applied,
	.migrate_step = sqlite_migrate_step,
	.find_user = sqlite_find_user,
	.list_sessions = sqlite_list_sessions,
	.get_session = sqlite_get_session,
	.count_active = sqlite_count_active,
	.totals = sqlite_totals,
	.count_by_user = sqlite_count_by_user,
	.id_bounds = sqlite_id_bounds,
	.recent_sessions = sqlite_recent_sessions,
	.history = sqlite_history,
	.lock_users = sqlite_lock_users,
	.sessions_by_ids = sqlite_sessions_by_ids,
	.close_sessions = sqlite_close_sessions,
	.purge_sessions = sqlite_purge_sessions,
	.idle_candidates = sqlite_idle_candidates,
	.purge_candidates = sqlite_purge_candidates,
	.users_over_limit = sqlite_users_over_limit,
	.over_limit_candidates = sqlite_over_limit_candidates,
	.upsert_session = sqlite_upsert_session,
};
