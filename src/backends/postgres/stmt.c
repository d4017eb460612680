#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- statements ---- */

/* Runs sql (one statement or, without params, several) and returns its
 * result when its status is want; otherwise sets err and returns NULL. */
PGresult *pgb_run(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		     ExecStatusType want, const char *what, struct sc_error *err)
{
	PGresult *res = nparams ? PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0)
				: PQexec(db->conn, sql);

	if (res && PQresultStatus(res) == want)
		return res;
	pgb_fail_result(db, res, what, err);
	PQclear(res);
	return NULL;
}

int pgb_run_command(struct pg_db *db, const char *sql, const char *what, struct sc_error *err)
{
	PGresult *res = pgb_run(db, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* Asks the server to cancel the running statement; best effort. */
void pgb_cancel(struct pg_db *db)
{
	char errbuf[256];
	PGcancel *c = PQgetCancel(db->conn);

	if (c) {
		PQcancel(c, errbuf, sizeof(errbuf));
		PQfreeCancel(c);
	}
}

/* Sends sql in single-row mode and hands each row to fn, so memory stays
 * flat however many rows there are. When fn returns non-zero, the rest of
 * the result is read and dropped (the connection stays usable) and that
 * value is returned. */
int pgb_stream(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		  const char *what, row_fn fn, void *ctx, struct sc_error *err)
{
	PGresult *res;
	int rc = 0;

	if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return pgb_fail_result(db, NULL, what, err);
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
					pgb_cancel(db);
			} else {
				rc = pgb_fail_result(db, res, what, err);
			}
		}
		PQclear(res);
	}
	return rc;
}

const char *pgb_col_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int64_t pgb_col_int64(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Binary results (a BINARY cursor): an int8 is 8 bytes, most significant
 * first; a timestamptz the int8 count of microseconds since 2000-01-01
 * 00:00:00 UTC. The columns are cast to those types in the query, so
 * the lengths are known; a NULL reads as 0. */
int64_t pgb_bin_int64(const PGresult *res, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
	uint64_t v = 0;

	if (PQgetlength(res, row, col) != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* Whole epoch seconds, rounded down as floor(extract(epoch ...)) does
 * for the text results: -0.5 s is -1. */
void pgb_bin_time(const PGresult *res, int row, int col, int64_t *t, bool *null)
{
	static const int64_t pg_epoch = 946684800; /* 2000-01-01 in Unix time */
	int64_t us;

	*null = PQgetisnull(res, row, col) != 0;
	if (*null) {
		*t = 0;
		return;
	}
	us = pgb_bin_int64(res, row, col);
	*t = us / 1000000 - (us % 1000000 < 0) + pg_epoch;
}

/* Reads a column selected as floor(extract(epoch FROM t))::bigint. */
void pgb_col_time(const PGresult *res, int row, int col, int64_t *t, bool *null)
{
	*null = PQgetisnull(res, row, col) != 0;
	*t = *null ? 0 : pgb_col_int64(res, row, col);
}

/* Reads a column selected as PG_TIME_SHOWN (PG_TIME_RAW in a binary
 * result), whose PG_TIME_ODD is odd_col:
 * a time sessctl cannot show is read as NULL and told to the core (once
 * per row and column), so that one row never breaks a listing. */
void pgb_col_time_shown(struct pg_db *db, const PGresult *res, int row, int col, int odd_col,
			const char *table, const char *column, int64_t id, int64_t *t, bool *null)
{
	if (PQfformat(res, col) == 1)
		pgb_bin_time(res, row, col, t, null);
	else
		pgb_col_time(res, row, col, t, null);
	if (*null && !PQgetisnull(res, row, odd_col))
		sc_db_unreadable(&db->base, table, id, column, PQgetvalue(res, row, odd_col));
}

const char *pgb_int64_param(int64_t v, char buf[INT64_PARAM_LEN])
{
	snprintf(buf, INT64_PARAM_LEN, "%lld", (long long)v);
	return buf;
}

/* t, and us microseconds past it (0 to 999999), as a timestamptz. */
static const char *time_param(int64_t t, int us, char buf[TIME_PARAM_LEN])
{
	char frac[8] = "";

	if (us)
		snprintf(frac, sizeof(frac), ".%06d", us);
	/* Before the year 1 (a --since a million days ago): the year BC,
	 * as PostgreSQL reads it (1 BC is the year 0), down to 4713 BC, the
	 * earliest it holds; not 0001-01-01, after 44 BC. */
	if (t < SC_TIME_FIRST) {
		char iso[SC_TIME_RFC3339_LEN];
		int64_t bc_4713 = sc_days_from_civil(-4712, 1, 1) * 86400;
		char *end;
		if (t < bc_4713) {
			t = bc_4713;
			frac[0] = '\0';
		}
		sc_time_format_rfc3339(t, iso);
		/* "-000712-01-01T00:00:00Z" (or "+000000-..."): 713 BC */
		int bc = 1 - (int)strtol(iso, &end, 10); /* 1 to 4713 */
		snprintf(buf, TIME_PARAM_LEN, "%04d-%.5s %.8s%s+00 BC", bc, end + 1, end + 7, frac);
		return buf;
	}
	/* After 9999: the year in five or six digits, as PostgreSQL reads
	 * it, up to 294276, the latest it holds; after that 'infinity',
	 * which ranks after every time as such a bound would. */
	if (t > SC_TIME_LAST) {
		char iso[SC_TIME_RFC3339_LEN];
		char *end;
		if (t > sc_days_from_civil(294276, 12, 31) * 86400 + 86399)
			return "infinity";
		sc_time_format_rfc3339(t, iso);
		/* "+010000-06-01T00:00:00Z" */
		long year = strtol(iso, &end, 10);
		snprintf(buf, TIME_PARAM_LEN, "%ld-%.5s %.8s%s+00", year, end + 1, end + 7, frac);
		return buf;
	}
	sc_time_format_sql(t, buf);
	strcat(buf, frac);
	strcat(buf, "+00");
	return buf;
}

const char *pgb_time_param(int64_t t, char buf[TIME_PARAM_LEN])
{
	return time_param(t, 0, buf);
}

const char *pgb_time_us_param(int64_t us, char buf[TIME_PARAM_LEN])
{
	int64_t t = us / 1000000, rem = us % 1000000;

	/* The ends of int64_t: a bound beyond every time sessctl can hold in
	 * microseconds (cli_when_us), which PostgreSQL's latest (294276)
	 * still passes: the infinity on its side. */
	if (us == INT64_MAX || us == INT64_MIN)
		return us > 0 ? "infinity" : "-infinity";

	if (rem < 0) {
		rem += 1000000;
		t--;
	}
	return time_param(t, (int)rem, buf);
}

/* ---- connection ---- */

/* Notices are not shown (a WARNING of the application's triggers is not
 * sessctl's to tell), but for the reason a server or PgBouncer gives
 * when it ends the connection unasked (an idle timeout, an
 * administrator's pg_terminate_backend, a shutdown): libpq hands that
 * FATAL message here when it reads it between two statements, and the
 * next statement then only says "server closed the connection
 * unexpectedly". It is kept for that message (pgb_fail_result). */
static void on_notice(void *arg, const PGresult *res)
{
	struct pg_db *db = arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (!severity) /* PgBouncer sends only the (English) localized one */
		severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
	if (severity && primary && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
		snprintf(db->ended, sizeof(db->ended), "%s", primary);
}

/* What every new connection gets. A database in SQL_ASCII holds bytes
 * in no known encoding, and the server refuses to send a value that is
 * not UTF-8 to a UTF8 client ("invalid byte sequence"): one such byte
 * in a device name failed every listing and logout of that session.
 * Such a connection takes the bytes as they are instead, and the
 * output's writers replace what is not UTF-8 (as for SQLite), unless
 * PGCLIENTENCODING or the connection string chose an encoding. */
static int connected(struct pg_db *db, struct sc_error *err)
{
	const char *server = PQparameterStatus(db->conn, "server_encoding");
	const char *client = PQparameterStatus(db->conn, "client_encoding");

	db->ended[0] = '\0';
	PQsetNoticeReceiver(db->conn, on_notice, db);
	/* -v: where libpq went, which the URL may not say (libpq's
	 * environment alone, a service file, a list of hosts). */
	const char *host = PQhost(db->conn);
	sc_db_notice(&db->base, "connected to database '%s' as user '%s' on %s%s port %s",
		     PQdb(db->conn), PQuser(db->conn), host && host[0] == '/' ? "socket directory " : "host ",
		     host ? host : "?", PQport(db->conn));
	if (!getenv("PGCLIENTENCODING") && !db->url_encoding && server && strcmp(server, "SQL_ASCII") == 0 &&
	    client && strcmp(client, "UTF8") == 0 && PQsetClientEncoding(db->conn, "SQL_ASCII") != 0)
		return pgb_fail_result(db, NULL, "cannot set the client encoding", err);
	return 0;
}

void pg_close(struct sc_db *base)
{
	struct pg_db *db;

	if (!base)
		return;
	db = pgb_to_pg(base);
	PQfinish(db->conn);
	free(db->display);
	free(db->url_password);
	free(db->url_sslpassword);
	free(db->nested_dbname);
	free(db);
}

/* What a libpq parse error means, without its text: libpq repeats the
 * string, or the part it choked on, which may be the password. */
static const char *parse_hint(const char *msg)
{
	static const struct {
		const char *says, *hint;
	} hints[] = {
		{ "percent-encoded", "a '%' must be followed by two hex digits (write '%25' for '%'), "
				     "and '%00' is not allowed" },
		{ "IPv6", "an IPv6 host goes in brackets: postgresql://[::1]:5432/DBNAME" },
		{ "missing \"=\"", "each keyword needs '=VALUE': host=H dbname=D user=U" },
		{ "unterminated quoted string", "a quoted value lacks its closing quote" },
		{ "invalid connection option", "a keyword is not one libpq knows" },
		{ "invalid URI query parameter", "a query parameter is not one libpq knows" },
		{ "key/value separator", "each query parameter is KEY=VALUE, joined by '&'" },
		{ "unexpected character", "a character is out of place: the form is "
					  "postgresql://USER@HOST:PORT/DBNAME?KEY=VALUE" },
	};
	for (size_t i = 0; msg && i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(msg, hints[i].says))
			return hints[i].hint;
	return "the forms are postgresql://USER@HOST:PORT/DBNAME?KEY=VALUE and 'host=H dbname=D'";
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Whether text shows secret, as it is or percent-decoded (as libpq
 * decodes a URL; a bad escape stays as it is). */
static bool shows(const char *text, const char *secret)
{
	size_t n = strlen(text), j = 0;
	char *d;
	bool found;

	if (!secret || !*secret)
		return false;
	if (strstr(text, secret))
		return true;
	if (!(d = malloc(n + 1)))
		return true;
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '%' && i + 2 < n && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0 &&
		    (hex(text[i + 1]) || hex(text[i + 2]))) {
			d[j++] = (char)(hex(text[i + 1]) * 16 + hex(text[i + 2]));
			i += 2;
		} else {
			d[j++] = text[i];
		}
	}
	d[j] = '\0';
	found = strstr(d, secret) != NULL;
	free(d);
	return found;
}

/* A dbname that is a connection string or URL of its own (libpq takes it
 * for a database name): likely with a password in it. */
bool pgb_nested_conninfo(const char *val)
{
	return strchr(val, '=') || strstr(val, "://");
}

/* A secret option: its value is never shown. */
static bool secret_option(const PQconninfoOption *o)
{
	return strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0 ||
	       (o->dispchar && o->dispchar[0] == '*');
}

/* The conninfo as libpq parsed it, for messages: "key=value ..." with
 * every secret masked (a value quoted as libpq reads it). */
static char *display_of_options(const PQconninfoOption *opts)
{
	size_t cap = 1;
	char *s, *p;

	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val)
			cap += strlen(o->keyword) + 2 * strlen(o->val) + 8;
	if (!(s = p = malloc(cap)))
		return NULL;
	*p = '\0';
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		p += sprintf(p, "%s%s=", p == s ? "" : " ", o->keyword);
		if (secret_option(o) || (strcmp(o->keyword, "dbname") == 0 && pgb_nested_conninfo(o->val))) {
			p += sprintf(p, "***");
			continue;
		}
		bool quote = !*o->val || strpbrk(o->val, " \t\n\r\f\v'\\");
		if (quote)
			*p++ = '\'';
		for (const char *v = o->val; *v; v++) {
			if (quote && (*v == '\'' || *v == '\\'))
				*p++ = '\\';
			*p++ = *v;
		}
		if (quote)
			*p++ = '\'';
		*p = '\0';
	}
	return s;
}

/* Reads the conninfo with libpq's own parser: keeps the password it
 * carries (for the redaction of messages), notes whether it chooses a
 * client_encoding (which connected() then leaves alone), and checks
 * db->display against
 * what libpq found. The text masked without libpq (info.c) serves when it
 * shows none of the secrets libpq would use, as given or percent-decoded;
 * otherwise the display is made of the options libpq parsed, secrets
 * masked. Returns 0, or -1 with SC_USAGE when libpq cannot parse the
 * conninfo: the message then repeats neither the string nor libpq's
 * words, which quote it. */
int pgb_read_url_password(struct pg_db *db, const char *target, struct sc_error *err)
{
	PQconninfoOption *opts;
	char *errmsg = NULL;
	bool safe = true;

	opts = PQconninfoParse(target, &errmsg);
	if (!opts) {
		if (!errmsg)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		sc_error_set(err, SC_USAGE, "bad postgresql connection string: libpq cannot parse it (%s)",
			     parse_hint(errmsg));
		PQfreemem(errmsg);
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "client_encoding") == 0 && o->val && *o->val)
			db->url_encoding = true;
		if (strcmp(o->keyword, "dbname") == 0 && o->val && pgb_nested_conninfo(o->val) &&
		    !(db->nested_dbname = strdup(o->val))) {
			PQconninfoFree(opts);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
		if (!secret_option(o) || !o->val || !*o->val)
			continue;
		if (shows(db->display, o->val))
			safe = false;
		if ((strcmp(o->keyword, "password") == 0 && !(db->url_password = strdup(o->val))) ||
		    (strcmp(o->keyword, "sslpassword") == 0 && !(db->url_sslpassword = strdup(o->val)))) {
			PQconninfoFree(opts);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
	}
	if (!safe) {
		char *shown = display_of_options(opts);
		if (!shown) {
			PQconninfoFree(opts);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
		free(db->display);
		db->base.display = db->display = shown;
	}
	PQconninfoFree(opts);
	return 0;
}

int pg_open(const struct sc_dburl *url, enum sc_open_mode mode, sc_notice_cb notice,
	    void *notice_ctx, const volatile sig_atomic_t *stop, struct sc_db **out,
	    struct sc_error *err)
{
	/* Later keywords override earlier ones, and dbname (expanded) comes
	 * last, so the URL's own settings win over these defaults. */
	const char *keywords[10], *values[10];
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
	db->base.notice = notice;
	db->base.notice_ctx = notice_ctx;
	db->base.stop = stop;
	if (pgb_read_url_password(db, url->target, err) < 0)
		goto fail;

	/* Through the environment, which libpq reads after a service file
	 * (as a keyword here, it overrode the service file's own). */
	if (!getenv("PGCONNECT_TIMEOUT") && setenv("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT, 0) < 0) {
		sc_error_set(err, SC_SOFTWARE, "out of memory");
		goto fail;
	}
	/* JSON and CSV output is UTF-8 whatever the database's encoding. */
	if (!getenv("PGCLIENTENCODING")) {
		keywords[n] = "client_encoding";
		values[n++] = "UTF8";
	}
	/* A server or network that goes silent (a power loss, a partition:
	 * no reset ever comes) is found lost in about 30 s, not never:
	 * probes after 15 s idle, and data unacknowledged for 30 s. TCP
	 * only; the URL's own values win, a service file's do not (libpq
	 * reads no environment variable for these: documented). */
	static const char *const tcp[][2] = {
		{ "keepalives_idle", "15" }, { "keepalives_interval", "5" },
		{ "keepalives_count", "3" }, { "tcp_user_timeout", "30000" },
	};
	for (size_t i = 0; i < sizeof(tcp) / sizeof(tcp[0]); i++) {
		keywords[n] = tcp[i][0];
		values[n++] = tcp[i][1];
	}
	keywords[n] = "fallback_application_name";
	values[n++] = "sessctl";
	keywords[n] = "dbname";
	values[n++] = url->target;
	keywords[n] = NULL;
	values[n] = NULL;

	db->conn = PQconnectdbParams(keywords, values, 1);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		pgb_connect_failed(db, err);
		goto fail;
	}
	if (connected(db, err) < 0)
		goto fail;
	*out = &db->base;
	return 0;
fail:
	pg_close(&db->base);
	return -1;
}

/* ---- transactions ---- */

/* Closes the connection under libpq (the server, or PgBouncer, sees it
 * end and drops the statement it was sent), so that what follows meets a
 * lost connection, not one still waiting for an answer. */
static void drop_connection(struct pg_db *db)
{
	PGresult *res;
	int fd = PQsocket(db->conn);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	(void)PQconsumeInput(db->conn); /* reads the end: CONNECTION_BAD */
	while ((res = PQgetResult(db->conn)))
		PQclear(res);
	db->gone = true;
}

static bool in_transaction(const struct pg_db *db)
{
	PGTransactionStatusType ts = PQtransactionStatus(db->conn);

	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
}

/* A ROLLBACK can fail too: a statement_timeout short enough cancels it
 * (seen with 1 ms on a busy machine), and the connection stayed in the
 * failed transaction, where the next transaction's BEGIN met "current
 * transaction is aborted" (exit 70). Tried three times; then the
 * connection is dropped (the server rolls back), and the next
 * transaction opens a new one. */
void pg_rollback(struct sc_db *base)
{
	struct pg_db *db = pgb_to_pg(base);

	for (int i = 0; i < 3 && in_transaction(db); i++)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	if (in_transaction(db)) {
		/* said as the lost connection's reason (unasked_fatal) */
		const char *why = PQerrorMessage(db->conn);
		why += pgb_severity_len(why);
		snprintf(db->ended, sizeof(db->ended), "ROLLBACK failed three times (%.*s), so sessctl "
			 "closed the connection", (int)strcspn(why, "\n"), why);
		drop_connection(db);
	}
}

/* Waits for the answer to what was sent, at most until *until
 * (sc_monotonic_ms); once a stop signal came, at most grace_ms more (*until
 * moves closer, for the next call). false when it gave up (the question
 * is still pending) or poll() failed. */
static bool await_answer(struct pg_db *db, double *until, double grace_ms)
{
	while (PQisBusy(db->conn)) {
		double now = sc_monotonic_ms();
		struct pollfd p = { .fd = PQsocket(db->conn), .events = POLLIN };

		if (db->base.stop && *db->base.stop && now + grace_ms < *until)
			*until = now + grace_ms;
		double left = *until - now;
		if (left <= 0)
			return false;
		/* a slice at a time: a signal does not cut libpq's wait short,
		 * nor poll's when it comes between two calls */
		int n = poll(&p, 1, left < 250 ? (int)left + 1 : 250);
		if (n < 0 && errno != EINTR)
			return false;
		/* also after a slice without news: bytes of a TLS record may
		 * wait inside OpenSSL, not on the socket */
		if (n >= 0 && !PQconsumeInput(db->conn))
			break; /* the connection failed: PQgetResult tells */
	}
	return true;
}

/* How long a statement that begins a transaction is still waited for
 * once a stop signal came (a server answers in a millisecond). */
#define PG_STOP_GRACE_MS 1000

/* PQexec of sql, but once a batched run's stop signal came (SIGINT,
 * SIGTERM, SIGHUP: db->base.stop) its answer is waited for at most
 * PG_STOP_GRACE_MS more: NULL then, with *stopped set and the
 * connection dropped. For the statement that begins a transaction,
 * which behind PgBouncer waits in its queue for a server (up to its
 * query_wait_timeout, 120 s by default) when the server went away
 * between two transactions: libpq's own wait goes on through a signal.
 * Nothing of that transaction was done (the server rolls back what began
 * of it). The reads a stopped run still makes (what it left) are
 * answered within the grace. */
static PGresult *exec_unless_stopped(struct pg_db *db, const char *sql, bool *stopped)
{
	PGresult *res, *last = NULL;
	double until = HUGE_VAL;

	*stopped = false;
	if (!db->base.stop)
		return PQexec(db->conn, sql);
	/* A question still pending (PQexec would wait for its answer and
	 * drop it): the connection is taken for lost. */
	if (PQtransactionStatus(db->conn) == PQTRANS_ACTIVE)
		drop_connection(db);
	if (!PQsendQuery(db->conn, sql))
		return NULL;
	for (;;) {
		/* (a failed poll(): libpq's own wait, as PQexec's) */
		if (!await_answer(db, &until, PG_STOP_GRACE_MS) && *db->base.stop) {
			PQclear(last);
			drop_connection(db);
			*stopped = true;
			return NULL;
		}
		if (!(res = PQgetResult(db->conn)))
			return last;
		PQclear(last);
		last = res;
		if (PQstatus(db->conn) == CONNECTION_BAD)
			return last;
	}
}

/* Reads and writes see times in UTC. Writes run READ COMMITTED whatever
 * the server's default: after waiting for a row lock (lock_users, a
 * concurrent close) each statement sees what the other transaction
 * committed. The same round trip ends with a row: whether the server is
 * a standby, and whether the transaction is read-only anyway
 * (default_transaction_read_only), so that a write sent there fails
 * before it starts, with a message that says what to do; and for
 * begin_checked the schema version, from migration 5's function. */
#define BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TIME ZONE 'UTC'; " \
	"SELECT set_config('lock_timeout', " PG_LOCK_WAIT_SQL_FOR(PG_READ_LOCK_WAIT_MS) ", true)" \
	" WHERE current_setting('lock_timeout') = '0'; "
/* A write waits for a row lock (the application's open transaction) at
 * most a second (PG_LOCK_WAIT_SQL), then fails busy (55P03) and is retried, so
 * that no wait is unbounded and the application's own writes to the rows
 * this one has locked meanwhile wait no longer than that either; unless
 * the URL or the server already sets a lock_timeout, which stands. */
#define BEGIN_WRITE "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL TIME ZONE 'UTC'; " \
	"SELECT set_config('lock_timeout', " PG_LOCK_WAIT_SQL ", true)" \
	" WHERE current_setting('lock_timeout') = '0'; "
#define BEGIN_ROW "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"
#define BEGIN_VERSION ", sessctl_schema_version()"

/* Begins a transaction of mode, reading the schema version into *version
 * too when version is not NULL. On failure the transaction is rolled
 * back, and sqlstate, when not NULL, gets the SQLSTATE of the error
 * (empty without one). */
static int begin_with(struct pg_db *db, enum sc_tx_mode mode, int *version, char sqlstate[6],
		      struct sc_error *err)
{
	static const char *const sql[2][2] = {
		{ BEGIN_WRITE BEGIN_ROW, BEGIN_WRITE BEGIN_ROW BEGIN_VERSION },
		{ BEGIN_READ BEGIN_ROW, BEGIN_READ BEGIN_ROW BEGIN_VERSION },
	};
	bool stopped, standby, read_only;
	PGresult *res = exec_unless_stopped(db, sql[mode == SC_TX_READ][version != NULL], &stopped);

	if (stopped)
		return sc_error_set(err, SC_INTERRUPTED, "interrupted while waiting for a server to "
				    "begin a transaction on '%s'", db->display);

	/* A connection lost between the statements (a server stopped at that
	 * moment): PQexec, and exec_unless_stopped alike, hand back the last
	 * complete result, an earlier statement's, which is no answer; the
	 * lost connection is. */
	if (res && PQstatus(db->conn) == CONNECTION_BAD) {
		PQclear(res);
		res = NULL;
	}
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != (version ? 3 : 2)) {
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

		if (sqlstate)
			snprintf(sqlstate, 6, "%s", state ? state : "");
		if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
			pg_error(db, err, SC_SOFTWARE,
				 "cannot begin a transaction on '%s': unexpected result", db->display);
		else
			pgb_fail_result(db, res, "cannot begin a transaction", err);
		PQclear(res);
		pg_rollback(&db->base);
		return -1;
	}
	db->served = true;
	standby = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	db->on_standby = standby;
	read_only = strcmp(PQgetvalue(res, 0, 1), "on") == 0;
	if (version)
		*version = (int)pgb_col_int64(res, 0, 2);
	PQclear(res);
	if (standby && mode != SC_TX_READ) {
		pg_rollback(&db->base);
		return sc_error_set(err, SC_UNAVAILABLE,
			"'%s' is a read-only standby: connect to the primary (with several hosts, "
			"set target_session_attrs=read-write in the URL)", db->display);
	}
	/* A primary whose role, database or URL sets
	 * default_transaction_read_only: every write would fail, and a
	 * migrate with nothing to do would pass, a deploy step that
	 * succeeds or fails by whether a migration is pending. */
	if (read_only && mode != SC_TX_READ) {
		pg_rollback(&db->base);
		char hint[96];
		return sc_error_set(err, SC_NOPERM,
			"'%s' takes no writes on this connection: default_transaction_read_only is "
			"on (for the role, the database or in the URL): turn it off for sessctl's "
			"connection (%s, or ALTER ROLE ... SET default_transaction_read_only = off)",
			db->display, pgb_setting_hint(db, "default_transaction_read_only", "off", hint,
						      sizeof(hint)));
	}
	return 0;
}

int pg_begin(struct sc_db *base, enum sc_tx_mode mode, struct sc_error *err)
{
	return begin_with(pgb_to_pg(base), mode, NULL, NULL, err);
}

/* A schema before version 5 has no function (42883), and a role may be
 * refused the call (42501): then the transaction is begun again and the
 * tables tell (pg_schema_version), so that the core says what to do. */
int pg_begin_checked(struct sc_db *base, enum sc_tx_mode mode, int *version, bool *app_tables,
		     struct sc_error *err)
{
	char state[6] = "";

	*app_tables = true;
	if (begin_with(pgb_to_pg(base), mode, version, state, err) == 0)
		return 0;
	if (strcmp(state, "42883") != 0 && strcmp(state, "42501") != 0)
		return -1;
	sc_error_clear(err);
	if (pg_begin(base, mode, err) < 0)
		return -1;
	if (pg_schema_version(base, version, app_tables, err) < 0) {
		pg_rollback(base);
		return -1;
	}
	return 0;
}

int pg_commit(struct sc_db *base, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	PGresult *res = pgb_run(db, "COMMIT", 0, NULL, PGRES_COMMAND_OK, "cannot commit", err);

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

/* After the connection was opened again: whether a server answers on it
 * by until (sc_monotonic_ms). Behind PgBouncer a connection opens whatever the
 * server's state, and a server that is down shows only at the first
 * statement: it waits PgBouncer's query_wait_timeout, or once PgBouncer's
 * own login to the server has failed, it is refused at once. Either is a
 * server not back yet (-1), as a direct connection refused is:
 * sc_reconnect tries again within its window, and the run's transactions
 * do not spend their tries on it. So is no answer by until, or a stop
 * signal (the core then stops). Anything else (a statement
 * cancelled) is for the transaction to meet: 0; or, with the connection
 * closed, final: 1 with err set. */
static int answered(struct pg_db *db, double until, struct sc_error *err)
{
	PGresult *res, *failed = NULL;
	bool ok = false;

	if (!PQsendQuery(db->conn, "SELECT 1"))
		goto fail;
	if (!await_answer(db, &until, 0)) {
		drop_connection(db); /* the question is not waited for */
		return pg_error(db, err, SC_UNAVAILABLE, "cannot reach the server on '%s': no server "
				"answered on the new connection in time", db->display);
	}
	while ((res = PQgetResult(db->conn))) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			ok = true;
		if (PQresultStatus(res) != PGRES_TUPLES_OK && !failed)
			failed = res;
		else
			PQclear(res);
	}
	if (ok && !failed && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	/* The connection closed: the last result is libpq's own words for
	 * that; the connection's message begins with PgBouncer's. */
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		PQclear(failed);
		failed = NULL;
	}
fail:
	pgb_fail_result(db, failed, "cannot reach the server", err);
	PQclear(failed);
	/* Said as what this try found, for -v (sessctl tries again): a
	 * server down as likely as a pool full. */
	if (db->pool_timed_out)
		pg_error(db, err, SC_UNAVAILABLE, "cannot reach the server on '%s': "
			 "query_wait_timeout: PgBouncer found no server connection for it in that "
			 "time (the server is down, or its pool for this database is full)",
			 db->display);
	else if (db->pool_refused)
		pg_error(db, err, SC_UNAVAILABLE, "cannot reach the server on '%s': server login "
			 "has been failing: PgBouncer cannot log in to the server behind it yet",
			 db->display);
	/* waited for in the window, not told at once */
	db->pool_timed_out = db->pool_refused = false;
	if (err->status == SC_UNAVAILABLE) {
		db->gone = true;
		return -1;
	}
	if (PQstatus(db->conn) != CONNECTION_OK)
		return 1;
	sc_error_clear(err);
	return 0;
}

int pg_reconnect(struct sc_db *base, long wait_ms, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	bool no_server = db->pool_timed_out || db->pool_refused;
	/* from now, so that the time PQreset takes counts; and at least a
	 * second, so that a connection opened at the window's end is not
	 * given up before a server had the time to answer */
	double until = sc_monotonic_ms() + (double)(wait_ms > 1000 ? wait_ms : 1000);

	/* PgBouncer found no server for the command's first transaction: it
	 * waited its query_wait_timeout for one, or refused the statement
	 * because its own login to the server failed. Told at once, as a
	 * direct connection finds a server that is down at the start:
	 * connecting again would wait as long again, or be refused again (a
	 * cron job says so, and its next run tries again). Once the command
	 * had a server, losing it is waited out in the window like any lost
	 * connection (answered). */
	db->pool_timed_out = db->pool_refused = false;
	if (no_server && !db->served)
		return 1;
	if (PQstatus(db->conn) != CONNECTION_BAD && !db->gone)
		return 1;
	db->gone = false;
	db->ended[0] = '\0';
	/* The same parameters, so a multi-host URL with
	 * target_session_attrs=read-write finds the promoted standby. */
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return pgb_connect_failed(db, err);
	if (connected(db, err) < 0)
		return -1;
	return answered(db, until, err);
}
