/* The PostgreSQL backend: the only file that includes libpq-fe.h.
 *
 * Pooler-safe: only unnamed statements (PQexec, PQexecParams), every
 * setting is SET LOCAL, locks are transaction-scoped, and every value is a
 * bound parameter. Every transaction runs with the time zone UTC, so
 * "timestamp without time zone" columns an ORM created read and compare
 * as UTC exactly like timestamptz: times are read as whole epoch seconds
 * and passed as 'YYYY-MM-DD HH:MM:SS+00'. Ids are compared as bigint, so
 * integer id columns work too; a set of ids travels as one bigint[]
 * parameter, so a statement is the same whatever their number.
 */
#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "timeutil.h"

#define CONNECT_TIMEOUT "10"
/* The key of the transaction-scoped advisory lock migrators take. */
#define MIGRATE_LOCK_KEY "7311712345678901"

struct pg_db {
	struct sc_db base; /* first: see struct sc_db */
	PGconn *conn;
	char *display;
	char *url_password; /* the password in the conninfo, for redaction */
	bool racing_insert; /* a unique violation now means a racing creator */
};

static struct pg_db *to_pg(struct sc_db *db)
{
	if (db->backend != &sc_postgres_backend)
		abort();
	return (struct pg_db *)db;
}

/* ---- errors ---- */

static int pg_error(struct pg_db *db, struct sc_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sets err from fmt with every password the connection may know replaced
 * by "***". The message is redacted in full before err->msg truncates it,
 * so no prefix of a password survives a cut. */
static int pg_error(struct pg_db *db, struct sc_error *err, int status, const char *fmt, ...)
{
	const char *secrets[3] = {
		db->conn ? PQpass(db->conn) : NULL, db->url_password, getenv("PGPASSWORD"),
	};
	va_list ap;
	size_t cap;
	char *buf;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sc_error_set(err, status, "cannot format an error message");
	/* Each redaction pass at most triples the length (a 1-byte secret
	 * becomes "***"): room for three passes without truncation. */
	cap = (size_t)n * 27 + 16;
	if (!(buf = malloc(cap)))
		return sc_error_set(err, status, "out of memory while reporting an error");
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		sc_redact_secret(buf, cap, secrets[i]);
	sc_error_set(err, status, "%s", buf);
	free(buf);
	return -1;
}

/* Returns a malloc'd copy of the first line of msg, without a
 * "ERROR:  "-style severity prefix, trailing blanks or final period, and
 * with its first letter lowercased; NULL when out of memory. */
static char *clean_line(const char *msg)
{
	const char *line = msg;
	static const char *const prefixes[] = { "ERROR:  ", "FATAL:  ", "PANIC:  " };
	size_t len;
	char *s;

	while (*line == ' ' || *line == '\t')
		line++;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
			line += strlen(prefixes[i]);
	len = strcspn(line, "\r\n");
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '.'))
		len--;
	if (!(s = malloc(len + 1)))
		return NULL;
	memcpy(s, line, len);
	s[len] = '\0';
	if (s[0] >= 'A' && s[0] <= 'Z')
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

/* strstr for ASCII, ignoring case. */
static bool contains_nocase(const char *s, size_t len, const char *needle)
{
	size_t nlen = strlen(needle);

	for (size_t i = 0; i + nlen <= len; i++) {
		size_t j = 0;
		while (j < nlen) {
			char a = s[i + j], b = needle[j];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
			j++;
		}
		if (j == nlen)
			return true;
	}
	return false;
}

static bool is_auth_failure(const char *line, size_t len)
{
	static const char *const patterns[] = {
		"password authentication failed", "authentication failed", "no password supplied",
		"no pg_hba.conf entry", "permission denied",
	};
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (contains_nocase(line, len, patterns[i]))
			return true;
	return false;
}

/* Sets err for a failed connection: SC_NOPERM when the server refused the
 * credentials (on any host libpq tried, whose line is then shown),
 * SC_UNAVAILABLE otherwise. */
static int connect_failed(struct pg_db *db, struct sc_error *err)
{
	const char *msg = db->conn ? PQerrorMessage(db->conn) : "out of memory";
	const char *shown = msg;
	int status = SC_UNAVAILABLE;
	char *line;

	for (const char *p = msg; *p;) {
		size_t len = strcspn(p, "\n");
		if (is_auth_failure(p, len)) {
			shown = p;
			status = SC_NOPERM;
			break;
		}
		p += len + (p[len] == '\n');
	}
	if (!(line = clean_line(shown)))
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (!*line)
		pg_error(db, err, status, "cannot connect to '%s'", db->display);
	else
		pg_error(db, err, status, "cannot connect to '%s': %s", db->display, line);
	free(line);
	return -1;
}

static bool sqlstate_is(const char *state, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(state, list[i]) == 0)
			return true;
	return false;
}

/* Maps a failed statement (res may be NULL) to an exit status and sets
 * err to "<what> on '<db>': <the server's message>". */
static int fail_result(struct pg_db *db, const PGresult *res, const char *what,
		       struct sc_error *err)
{
	static const char *const busy[] = { "40001", "40P01", "55P03", "57014" };
	static const char *const denied[] = { "42501", "25006" };
	static const char *const undefined[] = { "42P01", "42703" };
	static const char *const gone[] = { "57P01", "57P02", "57P03" };
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *raw = primary ? primary
		: res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
		: PQerrorMessage(db->conn);
	char *msg = clean_line(raw);
	int rc;

	if (!msg)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (!*msg) {
		free(msg);
		msg = strdup("unexpected result from the server");
		if (!msg)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	if (PQstatus(db->conn) == CONNECTION_BAD ||
	    (state && (strncmp(state, "08", 2) == 0 || sqlstate_is(state, gone, 3))))
		rc = pg_error(db, err, SC_UNAVAILABLE, "%s on '%s': %s", what, db->display, msg);
	else if (state && (sqlstate_is(state, busy, 4) ||
			   (db->racing_insert && strcmp(state, "23505") == 0)))
		/* 23505 while creating: two creators raced on one (user,
		 * device); the retry finds the other's row and refreshes it. */
		rc = pg_error(db, err, SC_TEMPFAIL, "%s on '%s': %s: try again later", what,
			      db->display, msg);
	else if (state && strcmp(state, "23505") == 0)
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s: the data has duplicates "
			      "(user_id, device_fingerprint) that must be removed first", what,
			      db->display, msg);
	else if (state && sqlstate_is(state, denied, 2))
		rc = pg_error(db, err, SC_NOPERM, "%s on '%s': %s", what, db->display, msg);
	/* Class 22: a value the column or the client encoding cannot hold. */
	else if (state && strncmp(state, "22", 2) == 0)
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s", what, db->display, msg);
	else if (state && sqlstate_is(state, undefined, 2))
		rc = pg_error(db, err, SC_CONFIG, "%s on '%s': %s: run 'sessctl migrate'", what,
			      db->display, msg);
	else
		rc = pg_error(db, err, SC_SOFTWARE, "%s on '%s': %s", what, db->display, msg);
	free(msg);
	return rc;
}

/* ---- statements ---- */

/* Runs sql (one statement or, without params, several) and returns its
 * result when its status is want; otherwise sets err and returns NULL. */
static PGresult *run(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		     ExecStatusType want, const char *what, struct sc_error *err)
{
	PGresult *res = nparams ? PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0)
				: PQexec(db->conn, sql);

	if (res && PQresultStatus(res) == want)
		return res;
	fail_result(db, res, what, err);
	PQclear(res);
	return NULL;
}

static int run_command(struct pg_db *db, const char *sql, const char *what, struct sc_error *err)
{
	PGresult *res = run(db, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

typedef int (*row_fn)(struct pg_db *db, const PGresult *res, int row, void *ctx,
		      struct sc_error *err);

/* Sends sql in single-row mode and hands each row to fn, so memory stays
 * flat however many rows there are. When fn returns non-zero, the rest of
 * the result is read and dropped (the connection stays usable) and that
 * value is returned. */
/* Asks the server to cancel the running statement; best effort. */
static void cancel(struct pg_db *db)
{
	char errbuf[256];
	PGcancel *c = PQgetCancel(db->conn);

	if (c) {
		PQcancel(c, errbuf, sizeof(errbuf));
		PQfreeCancel(c);
	}
}

static int stream(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		  const char *what, row_fn fn, void *ctx, struct sc_error *err)
{
	PGresult *res;
	int rc = 0;

	if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return fail_result(db, NULL, what, err);
	PQsetSingleRowMode(db->conn); /* on failure rows just come in one result */
	while ((res = PQgetResult(db->conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (rc == 0) {
			if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
				for (int i = 0; i < PQntuples(res) && rc == 0; i++)
					rc = fn(db, res, i, ctx, err);
				/* A failed callback (say, the reader of the output
				 * went away) needs no more rows: ask the server to
				 * stop instead of reading the rest. The transaction
				 * is rolled back after a failure anyway. */
				if (rc < 0)
					cancel(db);
			} else {
				rc = fail_result(db, res, what, err);
			}
		}
		PQclear(res);
	}
	return rc;
}

static const char *col_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t col_int64(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Reads a column selected as floor(extract(epoch FROM t))::bigint. */
static void col_time(const PGresult *res, int row, int col, int64_t *t, bool *null)
{
	*null = PQgetisnull(res, row, col) != 0;
	*t = *null ? 0 : col_int64(res, row, col);
}

#define INT64_PARAM_LEN 24
#define TIME_PARAM_LEN (SC_TIME_SQL_LEN + 3)

static const char *int64_param(int64_t v, char buf[INT64_PARAM_LEN])
{
	snprintf(buf, INT64_PARAM_LEN, "%lld", (long long)v);
	return buf;
}

static const char *time_param(int64_t t, char buf[TIME_PARAM_LEN])
{
	sc_time_format_sql(t, buf);
	strcat(buf, "+00");
	return buf;
}

/* ---- connection ---- */

static void discard_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_close(struct sc_db *base)
{
	struct pg_db *db;

	if (!base)
		return;
	db = to_pg(base);
	PQfinish(db->conn);
	free(db->display);
	free(db->url_password);
	free(db);
}

/* Copies the password the conninfo itself carries, if any. Returns 0, or
 * -1 with SC_USAGE when libpq cannot parse the conninfo. */
static int read_url_password(struct pg_db *db, const char *target, struct sc_error *err)
{
	PQconninfoOption *opts;
	char *errmsg = NULL;
	int rc = 0;

	opts = PQconninfoParse(target, &errmsg);
	if (!opts) {
		char *line = errmsg ? clean_line(errmsg) : NULL;
		if (line)
			/* Not the string itself: unparsable, its password is unknown. */
			pg_error(db, err, SC_USAGE, "bad postgresql connection string: %s", line);
		else
			sc_error_set(err, SC_SOFTWARE, "out of memory");
		free(line);
		PQfreemem(errmsg);
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val &&
		    !(db->url_password = strdup(o->val)))
			rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	PQconninfoFree(opts);
	return rc;
}

static int pg_open(const struct sc_dburl *url, enum sc_open_mode mode, struct sc_db **out,
		   struct sc_error *err)
{
	/* Later keywords override earlier ones, and dbname (expanded) comes
	 * last, so the URL's own settings win over these defaults. */
	const char *keywords[5], *values[5];
	struct pg_db *db;
	int n = 0;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->display = strdup(url->display))) {
		free(db);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	db->base.backend = &sc_postgres_backend;
	db->base.mode = mode;
	db->base.display = db->display;
	if (read_url_password(db, url->target, err) < 0)
		goto fail;

	if (!getenv("PGCONNECT_TIMEOUT")) {
		keywords[n] = "connect_timeout";
		values[n++] = CONNECT_TIMEOUT;
	}
	/* JSON and CSV output is UTF-8 whatever the database's encoding. */
	if (!getenv("PGCLIENTENCODING")) {
		keywords[n] = "client_encoding";
		values[n++] = "UTF8";
	}
	keywords[n] = "fallback_application_name";
	values[n++] = "sessctl";
	keywords[n] = "dbname";
	values[n++] = url->target;
	keywords[n] = NULL;
	values[n] = NULL;

	db->conn = PQconnectdbParams(keywords, values, 1);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		connect_failed(db, err);
		goto fail;
	}
	PQsetNoticeProcessor(db->conn, discard_notice, NULL);
	*out = &db->base;
	return 0;
fail:
	pg_close(&db->base);
	return -1;
}

/* ---- transactions ---- */

static void pg_rollback(struct sc_db *base)
{
	struct pg_db *db = to_pg(base);
	PGTransactionStatusType ts = PQtransactionStatus(db->conn);

	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

static int pg_begin(struct sc_db *base, enum sc_tx_mode mode, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	/* Writes run READ COMMITTED whatever the server's default: after
	 * waiting for a row lock (lock_users, a concurrent close) each
	 * statement sees what the other transaction committed. */
	const char *sql = mode == SC_TX_WRITE
		? "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL TIME ZONE 'UTC'"
		: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TIME ZONE 'UTC'";

	if (run_command(db, sql, "cannot begin a transaction", err) < 0) {
		pg_rollback(base);
		return -1;
	}
	return 0;
}

static int pg_commit(struct sc_db *base, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	PGresult *res = run(db, "COMMIT", 0, NULL, PGRES_COMMAND_OK, "cannot commit", err);

	if (!res) {
		pg_rollback(base);
		return -1;
	}
	/* COMMIT of a transaction that failed earlier answers "ROLLBACK". */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		PQclear(res);
		return pg_error(db, err, SC_SOFTWARE,
				"cannot commit on '%s': the transaction was rolled back", db->display);
	}
	PQclear(res);
	return 0;
}

/* ---- schema ---- */

static int max_version(struct pg_db *db, int *version, struct sc_error *err)
{
	PGresult *res = run(db, "SELECT coalesce(max(version), 0) FROM sessctl_migrations", 0,
			    NULL, PGRES_TUPLES_OK, "cannot read the schema version", err);
	if (!res)
		return -1;
	*version = PQntuples(res) == 1 ? (int)col_int64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

static int pg_schema_version(struct sc_db *base, int *version, bool *app_tables,
			     struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	PGresult *res;
	bool has_migrations;

	*version = 0;
	*app_tables = false;
	res = run(db, "SELECT to_regclass('sessions') IS NOT NULL, "
		      "to_regclass('sessctl_migrations') IS NOT NULL", 0, NULL,
		  PGRES_TUPLES_OK, "cannot read the schema", err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return pg_error(db, err, SC_SOFTWARE, "cannot read the schema on '%s': unexpected result",
				db->display);
	}
	*app_tables = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	has_migrations = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	return has_migrations ? max_version(db, version, err) : 0;
}

static int pg_applied(struct sc_db *base, sc_applied_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	PGresult *res = run(db,
		"SELECT version, name, floor(extract(epoch FROM applied_at))::bigint\n"
		"FROM sessctl_migrations ORDER BY version", 0, NULL, PGRES_TUPLES_OK,
		"cannot read applied migrations", err);
	int rc = 0;

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct sc_applied a = { (int)col_int64(res, i, 0), col_text(res, i, 1), 0 };
		bool null;
		col_time(res, i, 2, &a.applied_at, &null);
		rc = cb(&a, ctx);
	}
	PQclear(res);
	return rc;
}

static int pg_migrate_step(struct sc_db *base, const struct sc_migration *m, int64_t now,
			   bool *applied, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char vbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN];
	const char *params[3];
	PGresult *res;
	int version = 0;

	*applied = false;
	/* READ COMMITTED whatever the server's default: each statement after
	 * the lock must see what the migrator that held it committed. */
	if (run_command(db, "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL TIME ZONE 'UTC'",
			"cannot begin a transaction", err) < 0)
		goto fail;
	/* A second migrator waits here, then sees the version this one
	 * recorded. The lock ends with the transaction. */
	if (!(res = run(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, NULL,
			PGRES_TUPLES_OK, "cannot lock the database for migration", err)))
		goto fail;
	PQclear(res);
	if (run_command(db, "CREATE TABLE IF NOT EXISTS sessctl_migrations (\n"
			    "    version integer PRIMARY KEY,\n"
			    "    name text NOT NULL,\n"
			    "    applied_at timestamptz NOT NULL\n"
			    ")", "cannot create the migrations table", err) < 0 ||
	    max_version(db, &version, err) < 0)
		goto fail;
	if (version > SC_SCHEMA_VERSION) {
		sc_schema_too_new(err, version);
		goto fail;
	}
	if (version >= m->version) {
		pg_rollback(base);
		return 0;
	}
	if (run_command(db, m->sql, "migration failed", err) < 0)
		goto fail;
	params[0] = int64_param(m->version, vbuf);
	params[1] = m->name;
	params[2] = time_param(now, tbuf);
	if (!(res = run(db, "INSERT INTO sessctl_migrations (version, name, applied_at)\n"
			    "VALUES ($1::integer, $2::text, $3::timestamptz)", 3, params,
			PGRES_COMMAND_OK, "cannot record the migration", err)))
		goto fail;
	PQclear(res);
	if (pg_commit(base, err) < 0)
		return -1;
	*applied = true;
	return 0;
fail:
	pg_rollback(base);
	return -1;
}

/* ---- reads ---- */

#define SESSION_COLUMNS \
	"id, user_id, device_fingerprint, device_name, device_type, browser, ip_address,\n" \
	"       floor(extract(epoch FROM created_at))::bigint,\n" \
	"       floor(extract(epoch FROM last_activity))::bigint, is_active"

static void read_session(const PGresult *res, int row, struct sc_session *s)
{
	s->id = col_int64(res, row, 0);
	s->user_id = col_int64(res, row, 1);
	s->device_fingerprint = col_text(res, row, 2);
	s->device_name = col_text(res, row, 3);
	s->device_type = col_text(res, row, 4);
	s->browser = col_text(res, row, 5);
	s->ip_address = col_text(res, row, 6);
	col_time(res, row, 7, &s->created_at, &s->created_at_null);
	col_time(res, row, 8, &s->last_activity, &s->last_activity_null);
	s->is_active = strcmp(PQgetvalue(res, row, 9), "t") == 0;
}

struct session_stream {
	sc_session_cb cb;
	void *ctx;
};

static int session_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		       struct sc_error *err)
{
	struct session_stream *ss = vctx;
	struct sc_session s;

	(void)db;
	(void)err;
	read_session(res, row, &s);
	return ss->cb(&s, ss->ctx);
}

static int pg_find_user(struct sc_db *base, const struct sc_userref *ref, struct sc_user *user,
			struct sc_error *err)
{
	static const char *const sql[] = {
		[SC_USER_BY_ID] = "SELECT id, email, username, role FROM users WHERE id = $1::bigint",
		[SC_USER_BY_EMAIL] = "SELECT id, email, username, role FROM users WHERE email = $1",
		[SC_USER_BY_NAME] = ("SELECT id, email, username, role FROM users WHERE username = $1\n"
				     "ORDER BY id LIMIT 2"),
	};
	struct pg_db *db = to_pg(base);
	char idbuf[INT64_PARAM_LEN];
	const char *param = ref->kind == SC_USER_BY_ID ? int64_param(ref->id, idbuf) : ref->text;
	PGresult *res = run(db, sql[ref->kind], 1, &param, PGRES_TUPLES_OK, "cannot read users", err);
	const char *email, *name, *role;
	int rows;

	if (!res)
		return -1;
	rows = PQntuples(res);
	if (rows != 1) {
		PQclear(res);
		return rows == 0 ? 1 : 2;
	}
	email = col_text(res, 0, 1);
	name = col_text(res, 0, 2);
	role = col_text(res, 0, 3);
	memset(user, 0, sizeof(*user));
	user->id = col_int64(res, 0, 0);
	if ((email && !(user->email = strdup(email))) ||
	    (name && !(user->username = strdup(name))) ||
	    (role && !(user->role = strdup(role)))) {
		sc_user_free(user);
		PQclear(res);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	PQclear(res);
	return 0;
}

static int pg_list_sessions(struct sc_db *base, const struct sc_list_request *req,
			    sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char idbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN];
	struct session_stream ss = { cb, ctx };
	const char *params[5] = {
		int64_param(req->user_id, idbuf),
		req->all ? "t" : "f",
		req->device_type,
		req->has_idle_before ? time_param(req->idle_before, tbuf) : NULL,
		req->limit > 0 ? int64_param(req->limit, lbuf) : NULL,
	};

	return stream(db,
		"SELECT " SESSION_COLUMNS "\n"
		"FROM sessions\n"
		"WHERE user_id = $1::bigint AND ($2::boolean OR is_active)\n"
		"  AND ($3::text IS NULL OR device_type = $3::text)\n"
		"  AND ($4::timestamptz IS NULL OR last_activity <= $4::timestamptz)\n"
		"ORDER BY last_activity DESC NULLS LAST, id DESC\n"
		"LIMIT $5::bigint", 5, params, "cannot read sessions", session_row, &ss, err);
}

static int pg_get_session(struct sc_db *base, int64_t id, sc_session_cb cb, void *ctx,
			  struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char idbuf[INT64_PARAM_LEN];
	const char *param = int64_param(id, idbuf);
	PGresult *res = run(db, "SELECT " SESSION_COLUMNS "\nFROM sessions WHERE id = $1::bigint",
			    1, &param, PGRES_TUPLES_OK, "cannot read sessions", err);
	struct sc_session s;
	int rc;

	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return sc_error_set(err, SC_NOINPUT, "no such session %lld", (long long)id);
	}
	read_session(res, 0, &s);
	rc = cb(&s, ctx);
	PQclear(res);
	return rc;
}

/* Runs a query that returns one row of ncols integers into out. */
static int single_int64(struct pg_db *db, const char *sql, int nparams,
			const char *const *params, int64_t *out, int ncols, struct sc_error *err)
{
	PGresult *res = run(db, sql, nparams, params, PGRES_TUPLES_OK, "cannot count sessions", err);

	if (!res)
		return -1;
	if (PQntuples(res) != 1 || PQnfields(res) != ncols) {
		PQclear(res);
		return pg_error(db, err, SC_SOFTWARE, "cannot count sessions on '%s': unexpected result",
				db->display);
	}
	for (int i = 0; i < ncols; i++)
		out[i] = col_int64(res, 0, i);
	PQclear(res);
	return 0;
}

static int pg_count_active(struct sc_db *base, int64_t user_id, int64_t *n, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char idbuf[INT64_PARAM_LEN];
	const char *param = int64_param(user_id, idbuf);

	return single_int64(db, "SELECT count(*) FROM sessions WHERE user_id = $1::bigint AND is_active",
			    1, &param, n, 1, err);
}

static int pg_totals(struct sc_db *base, struct sc_totals *t, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	int64_t v[4];

	if (single_int64(db,
			 "SELECT (SELECT count(*) FROM users),\n"
			 "       count(DISTINCT user_id) FILTER (WHERE is_active),\n"
			 "       count(*),\n"
			 "       count(*) FILTER (WHERE is_active)\n"
			 "FROM sessions", 0, NULL, v, 4, err) < 0)
		return -1;
	t->users = v[0];
	t->users_active = v[1];
	t->sessions = v[2];
	t->active = v[3];
	t->inactive = v[2] - v[3];
	return 0;
}

struct count_stream {
	sc_user_count_cb cb;
	void *ctx;
};

static int count_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err)
{
	struct count_stream *cs = vctx;
	struct sc_user_count c = {
		col_int64(res, row, 0), col_text(res, row, 1), col_text(res, row, 2),
		col_int64(res, row, 3),
	};

	(void)db;
	(void)err;
	return cs->cb(&c, cs->ctx);
}

static int pg_count_by_user(struct sc_db *base, int64_t over, sc_user_count_cb cb, void *ctx,
			    struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char obuf[INT64_PARAM_LEN];
	const char *param = int64_param(over, obuf);
	struct count_stream cs = { cb, ctx };

	return stream(db,
		"SELECT s.user_id, u.email, u.username, s.n\n"
		"FROM (SELECT user_id, count(*) AS n FROM sessions WHERE is_active\n"
		"      GROUP BY user_id HAVING count(*) > $1::bigint) AS s\n"
		"LEFT JOIN users AS u ON u.id = s.user_id\n"
		"ORDER BY s.n DESC, s.user_id", 1, &param, "cannot count sessions", count_row, &cs,
		err);
}

static int pg_id_bounds(struct sc_db *base, int64_t *max_session_id, int64_t *max_user_id,
			struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	int64_t v[2];

	if (single_int64(db, "SELECT coalesce((SELECT max(id) FROM sessions), 0)::bigint,\n"
			     "       coalesce((SELECT max(user_id) FROM sessions), 0)::bigint",
			 0, NULL, v, 2, err) < 0)
		return -1;
	*max_session_id = v[0];
	*max_user_id = v[1];
	return 0;
}

static int pg_recent_sessions(struct sc_db *base, int64_t limit, sc_session_cb cb, void *ctx,
			      struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char lbuf[INT64_PARAM_LEN];
	const char *param = int64_param(limit, lbuf);
	struct session_stream ss = { cb, ctx };

	return stream(db,
		"SELECT " SESSION_COLUMNS "\n"
		"FROM sessions WHERE is_active\n"
		"ORDER BY id DESC LIMIT $1::bigint", 1, &param,
		"cannot read sessions", session_row, &ss, err);
}

/* ---- history ---- */

struct audit_stream {
	sc_audit_cb cb;
	void *ctx;
};

static int audit_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err)
{
	struct audit_stream *as = vctx;
	struct sc_audit a = {
		.id = col_int64(res, row, 0),
		.action = col_text(res, row, 2),
		.session_id_null = PQgetisnull(res, row, 3) != 0,
		.session_id = col_int64(res, row, 3),
		.user_id_null = PQgetisnull(res, row, 4) != 0,
		.user_id = col_int64(res, row, 4),
		.actor = col_text(res, row, 5),
		.reason = col_text(res, row, 6),
	};
	bool null;

	(void)db;
	(void)err;
	col_time(res, row, 1, &a.created_at, &null);
	return as->cb(&a, as->ctx);
}

static int pg_history(struct sc_db *base, const struct sc_history_request *req,
		      sc_audit_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char ubuf[INT64_PARAM_LEN], sbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN],
		lbuf[INT64_PARAM_LEN];
	struct audit_stream as = { cb, ctx };
	const char *params[4] = {
		req->has_user ? int64_param(req->user_id, ubuf) : NULL,
		req->has_session ? int64_param(req->session_id, sbuf) : NULL,
		req->has_since ? time_param(req->since, tbuf) : NULL,
		req->limit > 0 ? int64_param(req->limit, lbuf) : NULL,
	};

	/* An unnamed statement is planned with its parameters' values, so
	 * the NULL tests fold away and the user's index serves. */
	return stream(db,
		"SELECT id, floor(extract(epoch FROM created_at))::bigint, action, session_id,\n"
		"       user_id, actor, reason\n"
		"FROM sessctl_audit\n"
		"WHERE ($1::bigint IS NULL OR user_id = $1::bigint)\n"
		"  AND ($2::bigint IS NULL OR session_id = $2::bigint)\n"
		"  AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz)\n"
		"ORDER BY created_at DESC, id DESC\n"
		"LIMIT $4::bigint", 4, params, "cannot read the audit trail", audit_row, &as, err);
}

/* ---- writes ---- */

/* Ids travel as one array parameter, '{1,2,3}', matched with
 * = ANY($n::bigint[]): one statement whatever their number. */
static char *ids_array(const int64_t *ids, size_t n)
{
	size_t cap = n * 21 + 3, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
	s[len++] = '}';
	s[len] = '\0';
	return s;
}

/* Runs a query whose first column is an id and appends the ids to out. */
static int collect_ids(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		       struct sc_ids *out, struct sc_error *err)
{
	PGresult *res = run(db, sql, nparams, params, PGRES_TUPLES_OK, "cannot select sessions", err);

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		if (sc_ids_push(out, col_int64(res, i, 0)) < 0) {
			PQclear(res);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
	}
	PQclear(res);
	return 0;
}

static int pg_lock_users(struct sc_db *base, const int64_t *user_ids, size_t n,
			 struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char *ids = ids_array(user_ids, n);
	const char *param = ids;
	PGresult *res;

	if (!ids)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	/* In id order, so two lockers of overlapping sets cannot deadlock.
	 * NO KEY UPDATE makes sessctl's own lockers take turns without
	 * blocking the application's inserts of sessions for these users
	 * (their foreign key check takes KEY SHARE, which FOR UPDATE would
	 * block until this transaction ends). */
	res = run(db, "SELECT id FROM users WHERE id = ANY($1::bigint[]) ORDER BY id\n"
		      "FOR NO KEY UPDATE", 1, &param, PGRES_TUPLES_OK, "cannot lock users", err);
	if (res) {
		PQclear(res);
		/* And their active sessions: the ranking that follows must not
		 * close a session the application refreshes meanwhile. */
		res = run(db, "SELECT id FROM sessions WHERE user_id = ANY($1::bigint[]) AND is_active\n"
			      "ORDER BY id FOR NO KEY UPDATE", 1, &param, PGRES_TUPLES_OK,
			  "cannot lock sessions", err);
	}
	free(ids);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

static int pg_sessions_by_ids(struct sc_db *base, const int64_t *ids, size_t n,
			      sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	struct session_stream ss = { cb, ctx };
	char *array = ids_array(ids, n);
	const char *param = array;
	int rc;

	if (!array)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	rc = stream(db, "SELECT " SESSION_COLUMNS "\n"
			"FROM sessions WHERE id = ANY($1::bigint[]) ORDER BY id", 1, &param,
		    "cannot read sessions", session_row, &ss, err);
	free(array);
	return rc;
}

/* One statement changes the sessions among $1 and writes their audit
 * rows ($6: ch->audit) from what it changed, in id order as on SQLite.
 * Under READ COMMITTED a row another process changed first is re-checked
 * after its lock is released, so it is skipped, never changed or audited
 * twice. */
#define CHANGED_CTE(change) \
	"WITH changed AS (\n" \
	"  " change "\n" \
	"  RETURNING id, user_id, device_fingerprint, device_name, device_type, browser,\n" \
	"            ip_address, created_at, last_activity, is_active),\n" \
	"audit AS (\n" \
	"  INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at)\n" \
	"  SELECT id, user_id, $2::text, $3::text, $4::text, $5::timestamptz FROM changed\n" \
	"  WHERE $6::boolean ORDER BY id)\n"
/* The changed rows, for a callback; or only their number. */
#define CHANGE_SESSIONS(change) CHANGED_CTE(change) "SELECT " SESSION_COLUMNS "\nFROM changed ORDER BY id"
#define COUNT_CHANGED(change) CHANGED_CTE(change) "SELECT count(*) FROM changed"

struct counting_stream {
	struct session_stream ss;
	int64_t count;
};

static int counting_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
			struct sc_error *err)
{
	struct counting_stream *cs = vctx;
	cs->count++;
	return session_row(db, res, row, &cs->ss, err);
}

/* One statement: the change, its audit rows, and the rows for cb (or, with
 * cb NULL, only their number). Returns the number changed, or -1. */
static int change_sessions(struct pg_db *db, const char *rows_sql, const char *count_sql,
			   int nparams, const int64_t *ids, size_t n, const struct sc_change *ch,
			   const char *what, sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct counting_stream cs = { { cb, ctx }, 0 };
	char tbuf[TIME_PARAM_LEN], ibuf[TIME_PARAM_LEN];
	char *array = ids_array(ids, n);
	const char *params[7] = {
		array, ch->action, ch->actor, ch->reason, time_param(ch->now, tbuf),
		ch->audit ? "t" : "f", ch->has_idle_before ? time_param(ch->idle_before, ibuf) : NULL,
	};
	int rc;

	if (!array)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (cb) {
		rc = stream(db, rows_sql, nparams, params, what, counting_row, &cs, err);
	} else {
		rc = single_int64(db, count_sql, nparams, params, &cs.count, 1, err);
	}
	free(array);
	return rc ? -1 : (int)cs.count;
}

#define CLOSE_CHANGE "UPDATE sessions SET is_active = false\n  WHERE id = ANY($1::bigint[]) AND is_active\n" \
	"    AND ($7::timestamptz IS NULL OR last_activity < $7::timestamptz)"
#define PURGE_CHANGE "DELETE FROM sessions\n  WHERE id = ANY($1::bigint[]) AND NOT is_active"

static int pg_close_sessions(struct sc_db *base, const int64_t *ids, size_t n,
			     const struct sc_change *ch, sc_session_cb cb, void *ctx,
			     struct sc_error *err)
{
	return change_sessions(to_pg(base), CHANGE_SESSIONS(CLOSE_CHANGE), COUNT_CHANGED(CLOSE_CHANGE),
			       7, ids, n, ch, "cannot close sessions", cb, ctx, err);
}

static int pg_purge_sessions(struct sc_db *base, const int64_t *ids, size_t n,
			     const struct sc_change *ch, sc_session_cb cb, void *ctx,
			     struct sc_error *err)
{
	return change_sessions(to_pg(base), CHANGE_SESSIONS(PURGE_CHANGE), COUNT_CHANGED(PURGE_CHANGE),
			       6, ids, n, ch, "cannot purge sessions", cb, ctx, err);
}

/* Active (or inactive) sessions idle since before cutoff, walked in id
 * order from after (the primary key), or within one user's rows. */
static int candidates(struct pg_db *db, bool active, int64_t cutoff, const int64_t *user_id,
		      int64_t after, int64_t limit, struct sc_ids *out, struct sc_error *err)
{
	/* No lock here: the close re-checks the cutoff on any row the
	 * application changed meanwhile (sc_change.idle_before). */
#define CANDIDATES(state, user) \
	"SELECT id FROM sessions\n" \
	"WHERE " state " AND id > $1::bigint AND last_activity < $2::timestamptz" user "\n" \
	"ORDER BY id LIMIT $3::bigint"
	static const char *const sql[2][2] = {
		{ CANDIDATES("NOT is_active", ""), CANDIDATES("NOT is_active", " AND user_id = $4::bigint") },
		{ CANDIDATES("is_active", ""), CANDIDATES("is_active", " AND user_id = $4::bigint") },
	};
#undef CANDIDATES
	char abuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN],
		ubuf[INT64_PARAM_LEN];
	const char *params[4] = {
		int64_param(after, abuf), time_param(cutoff, tbuf), int64_param(limit, lbuf),
		user_id ? int64_param(*user_id, ubuf) : NULL,
	};

	return collect_ids(db, sql[active][user_id != NULL], user_id ? 4 : 3, params, out, err);
}

static int pg_idle_candidates(struct sc_db *base, int64_t cutoff, const int64_t *user_id,
			      int64_t after, int64_t limit, struct sc_ids *out,
			      struct sc_error *err)
{
	return candidates(to_pg(base), true, cutoff, user_id, after, limit, out, err);
}

static int pg_purge_candidates(struct sc_db *base, int64_t cutoff, const int64_t *user_id,
			       int64_t after, int64_t limit, struct sc_ids *out,
			       struct sc_error *err)
{
	return candidates(to_pg(base), false, cutoff, user_id, after, limit, out, err);
}

static int pg_users_over_limit(struct sc_db *base, int64_t max, int64_t after, int64_t limit,
			       struct sc_ids *out, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char mbuf[INT64_PARAM_LEN], abuf[INT64_PARAM_LEN], lbuf[INT64_PARAM_LEN];
	const char *params[3] = {
		int64_param(max, mbuf), int64_param(after, abuf), int64_param(limit, lbuf),
	};

	return collect_ids(db,
		"SELECT user_id FROM sessions WHERE is_active AND user_id > $2::bigint\n"
		"GROUP BY user_id HAVING count(*) > $1::bigint ORDER BY user_id LIMIT $3::bigint",
		3, params, out, err);
}

static int pg_over_limit_candidates(struct sc_db *base, const int64_t *user_ids, size_t n,
				    int64_t keep, struct sc_ids *out, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char kbuf[INT64_PARAM_LEN];
	char *array = ids_array(user_ids, n);
	const char *params[2] = { array, int64_param(keep, kbuf) };
	int rc;

	if (!array)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	rc = collect_ids(db,
		"SELECT id FROM (\n"
		"  SELECT id, row_number() OVER (PARTITION BY user_id\n"
		"      ORDER BY last_activity DESC NULLS LAST, id DESC) AS rank\n"
		"  FROM sessions\n"
		"  WHERE is_active AND user_id = ANY($1::bigint[])) AS ranked\n"
		"WHERE rank > $2::bigint ORDER BY id", 2, params, out, err);
	free(array);
	return rc;
}

/* create --dry-run: reads the (user, device) row and passes it as the
 * change would leave it; writes nothing and takes no sequence value. */
static int upsert_preview(struct pg_db *db, const struct sc_new_session *ns,
			  const struct sc_change *ch, bool *created, sc_session_cb cb, void *ctx,
			  struct sc_error *err)
{
	char ubuf[INT64_PARAM_LEN];
	const char *params[2] = { int64_param(ns->user_id, ubuf), ns->device_fingerprint };
	PGresult *res = run(db, "SELECT " SESSION_COLUMNS "\n"
				"FROM sessions WHERE user_id = $1::bigint AND device_fingerprint = $2::text",
			    2, params, PGRES_TUPLES_OK, "cannot read sessions", err);
	struct sc_session s = {
		.user_id = ns->user_id,
		.device_fingerprint = ns->device_fingerprint,
		.created_at = ch->now,
	};
	int rc;

	if (!res)
		return -1;
	*created = PQntuples(res) == 0;
	if (!*created)
		read_session(res, 0, &s);
	s.device_name = ns->device_name ? ns->device_name : s.device_name;
	s.device_type = ns->device_type ? ns->device_type : s.device_type;
	s.browser = ns->browser ? ns->browser : s.browser;
	s.ip_address = ns->ip_address ? ns->ip_address : s.ip_address;
	s.last_activity = ch->now;
	s.last_activity_null = false;
	s.is_active = true;
	rc = cb(&s, ctx);
	PQclear(res);
	return rc;
}

/* The row and its "create" audit row ($11: ch->audit) in one statement. */
#define UPSERT(change) \
	"WITH upserted AS (\n" \
	"  " change "\n" \
	"  RETURNING id, user_id, device_fingerprint, device_name, device_type, browser,\n" \
	"            ip_address, created_at, last_activity, is_active),\n" \
	"audit AS (\n" \
	"  INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at)\n" \
	"  SELECT id, user_id, $8::text, $9::text, $10::text, $3::timestamptz FROM upserted\n" \
	"  WHERE $11::boolean)\n" \
	"SELECT " SESSION_COLUMNS "\n" \
	"FROM upserted"

static int pg_upsert_session(struct sc_db *base, const struct sc_new_session *ns,
			     const struct sc_change *ch, bool dry_run, bool *created,
			     sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = to_pg(base);
	char ubuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN];
	const char *params[11] = {
		int64_param(ns->user_id, ubuf), ns->device_fingerprint, time_param(ch->now, tbuf),
		ns->device_name, ns->device_type, ns->browser, ns->ip_address,
		ch->action, ch->actor, ch->reason, ch->audit ? "t" : "f",
	};
	struct sc_session s;
	PGresult *res;
	int rc;

	if (dry_run)
		return upsert_preview(db, ns, ch, created, cb, ctx, err);
	/* The refresh is the lookup: keyed by the unique (user_id,
	 * device_fingerprint), and no sequence value is taken for it. */
	res = run(db, UPSERT("UPDATE sessions SET last_activity = $3::timestamptz, is_active = true,\n"
			     "      device_name = coalesce($4::text, device_name),\n"
			     "      device_type = coalesce($5::text, device_type),\n"
			     "      browser = coalesce($6::text, browser),\n"
			     "      ip_address = coalesce($7::text, ip_address)\n"
			     "  WHERE user_id = $1::bigint AND device_fingerprint = $2::text"),
		  11, params, PGRES_TUPLES_OK, "cannot refresh the session", err);
	if (!res)
		return -1;
	*created = PQntuples(res) == 0;
	if (*created) {
		/* A creator racing on the same device makes this fail with a
		 * unique violation: SC_TEMPFAIL, and the retry refreshes. */
		PQclear(res);
		db->racing_insert = true;
		res = run(db, UPSERT("INSERT INTO sessions (user_id, device_fingerprint, device_name,\n"
				     "      device_type, browser, ip_address, created_at, last_activity,\n"
				     "      is_active)\n"
				     "  VALUES ($1::bigint, $2::text, $4::text, $5::text, $6::text, $7::text,\n"
				     "      $3::timestamptz, $3::timestamptz, true)"),
			  11, params, PGRES_TUPLES_OK, "cannot create the session", err);
		db->racing_insert = false;
		if (!res)
			return -1;
		if (PQntuples(res) != 1) {
			PQclear(res);
			return pg_error(db, err, SC_SOFTWARE,
					"cannot create the session on '%s': unexpected result", db->display);
		}
	}
	read_session(res, 0, &s);
	rc = cb(&s, ctx);
	PQclear(res);
	return rc;
}

const struct sc_backend sc_postgres_backend = {
	.name = "postgresql",
	.kind = SC_DB_POSTGRES,
	.migrations = sc_postgres_migrations,
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.schema_version = pg_schema_version,
	.applied = pg_applied,
	.migrate_step = pg_migrate_step,
	.find_user = pg_find_user,
	.list_sessions = pg_list_sessions,
	.get_session = pg_get_session,
	.count_active = pg_count_active,
	.totals = pg_totals,
	.count_by_user = pg_count_by_user,
	.id_bounds = pg_id_bounds,
	.recent_sessions = pg_recent_sessions,
	.history = pg_history,
	.lock_users = pg_lock_users,
	.sessions_by_ids = pg_sessions_by_ids,
	.close_sessions = pg_close_sessions,
	.purge_sessions = pg_purge_sessions,
	.idle_candidates = pg_idle_candidates,
	.purge_candidates = pg_purge_candidates,
	.users_over_limit = pg_users_over_limit,
	.over_limit_candidates = pg_over_limit_candidates,
	.upsert_session = pg_upsert_session,
};
