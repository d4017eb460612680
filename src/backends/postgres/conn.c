#include "postgres.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>

struct pg_db *pgb_to_pg(struct sc_db *db)
{
	if (db->backend != &sc_postgres_backend)
		abort();
	return (struct pg_db *)db;
}

/* ---- errors ---- */


/* Sets err from fmt with every password the connection may know replaced
 * by "***". The message is redacted in full before err->msg truncates it,
 * so no prefix of a password survives a cut. */
int pg_error(struct pg_db *db, struct sc_error *err, int status, const char *fmt, ...)
{
	/* PGDATABASE holding a connection string or URL (set from an
	 * application's DATABASE_URL, say): libpq does not expand it, and
	 * the server names it in "database ... does not exist". */
	const char *pgdatabase = getenv("PGDATABASE");
	const char *secrets[6] = {
		db->nested_dbname, db->conn ? PQpass(db->conn) : NULL, db->url_password,
		db->url_sslpassword, getenv("PGPASSWORD"),
		pgdatabase && pgb_nested_conninfo(pgdatabase) ? pgdatabase : NULL,
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
	 * becomes "***"): room for six passes without truncation. */
	cap = (size_t)n * 729 + 16;
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

/* How to set a server setting for sessctl's connection, as the user
 * gave it: "options=-cNAME=VALUE" in a keyword --db, "%3D" for the '='
 * in a postgresql:// URL (whose query takes no '=' inside a value: libpq
 * refuses it), PGOPTIONS for the connection libpq's environment chose
 * (no --db at all). */
const char *pgb_setting_hint(const struct pg_db *db, const char *name, const char *value,
			     char *buf, size_t len)
{
	bool uri = strncmp(db->display, "postgresql://", 13) == 0 ||
		   strncmp(db->display, "postgres://", 11) == 0;

	if (strcmp(db->display, "postgresql://") == 0)
		snprintf(buf, len, "PGOPTIONS='-c %s=%s'", name, value);
	else
		snprintf(buf, len, "options=-c%s%s%s in --db", name, uri ? "%3D" : "=", value);
	return buf;
}

/* The length of the severity a server's message begins with in libpq's
 * text of it: "ERROR:  " or "FATAL:  " in the words of the server's
 * lc_messages ("FEHLER:  ", "FATALE:  ", "ВАЖНО:  ", "致命错误:  "), one
 * word, a colon and two spaces; 0 for another line. libpq's own
 * messages (in English: sessctl calls no setlocale) have that form only
 * in the labels of the lines after it, which are not severities. */
size_t pgb_severity_len(const char *line)
{
	static const char *const labels[] = { "DETAIL", "HINT", "QUERY", "CONTEXT", "LOCATION" };
	size_t n = strcspn(line, " \t\r\n:");

	if (!n || n > 48 || strncmp(line + n, ":  ", 3) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strlen(labels[i]) == n && strncmp(line, labels[i], n) == 0)
			return 0;
	return n + 3;
}

/* Returns a malloc'd copy of the first line of msg, without trailing
 * blanks or final period, and with its first letter lowercased
 * (sc_lower_first); without its "ERROR:  "-style severity prefix when
 * severity (msg is libpq's text of an error, not a message's field);
 * NULL when out of memory. */
char *pgb_clean_line(const char *msg, bool severity)
{
	const char *line = msg;
	size_t len;
	char *s;

	while (*line == ' ' || *line == '\t')
		line++;
	if (severity)
		line += pgb_severity_len(line);
	len = strcspn(line, "\r\n");
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '.'))
		len--;
	if (!(s = malloc(len + 1)))
		return NULL;
	memcpy(s, line, len);
	s[len] = '\0';
	sc_lower_first(s);
	return s;
}

/* strstr for ASCII, ignoring case. */
bool pgb_contains_nocase(const char *s, size_t len, const char *needle)
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

/* libpq gives no SQLSTATE for a refused login: the text tells. "no such
 * user" is PgBouncer's answer for an unknown role. */
bool pgb_is_auth_failure(const char *line, size_t len)
{
	static const char *const patterns[] = {
		"password authentication failed", "authentication failed", "no password supplied",
		"no pg_hba.conf entry", "permission denied", "no such user",
		"is not permitted to log in", /* a NOLOGIN role */
		"pg_hba.conf rejects connection", /* a "reject" line */
	};
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (pgb_contains_nocase(line, len, patterns[i]))
			return true;
	return false;
}

/* libpq refused a value of the connection string before connecting (a
 * typo that no retry mends): "invalid sslmode value", "invalid integer
 * value ... for connection option", "could not match 3 port numbers to 2
 * hosts", an unparsable hostaddr; or the server refused a setting the
 * string's options (or PGOPTIONS) gave it at startup. */
static bool is_bad_option_value(const char *line, size_t len)
{
	static const char *const patterns[] = {
		"invalid integer value", "invalid port number", "could not match ",
		"could not parse network address", "when ssl support is not compiled in",
		"invalid value for parameter", "unrecognized configuration parameter",
	};
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (pgb_contains_nocase(line, len, patterns[i]))
			return true;
	/* "invalid KEYWORD value: ..." */
	for (size_t i = 0; i + 8 < len; i++) {
		if (strncmp(line + i, "invalid ", 8) != 0)
			continue;
		size_t j = i + 8;
		while (j < len && ((line[j] >= 'a' && line[j] <= 'z') || line[j] == '_'))
			j++;
		if (j > i + 8 && len - j >= 7 && strncmp(line + j, " value:", 7) == 0)
			return true;
	}
	return false;
}

/* What a host's line says to do when libpq's indented hint below it asks
 * "Is the server running ...?" (refused, or no socket there). */
#define RUNNING_HINT " (is the server running there?)"

/* libpq's lines for each host it tried ("connection to server ...
 * failed: ..."), joined by "; ", each indented hint left out but for the
 * one above, said shorter after its host's line: with several hosts the
 * last one's reason is often the answer (db-b is a standby), not the
 * first's (db-a refused). NULL when out of memory. */
static char *every_host_line(const char *msg)
{
	char *joined = NULL;
	size_t n = 0;

	for (const char *p = msg; *p;) {
		size_t len = strcspn(p, "\n");
		bool hint = len && (*p == ' ' || *p == '\t');
		if (len && (!hint || (n && pgb_contains_nocase(p, len, "is the server running")))) {
			char *line = hint ? strdup(RUNNING_HINT) : pgb_clean_line(p, true);
			char *more = line ? realloc(joined, n + strlen(line) + 3) : NULL;
			if (!more) {
				free(line);
				free(joined);
				return NULL;
			}
			joined = more;
			n += (size_t)sprintf(joined + n, "%s%s", n && !hint ? "; " : "", line);
			free(line);
		}
		p += len + (p[len] == '\n');
	}
	return joined ? joined : strdup("");
}

/* The password file libpq would read (passfile, PGPASSFILE, else
 * ~/.pgpass) when group or others may read it: libpq then ignores it,
 * saying so on stderr in a line of its own that names no remedy. NULL
 * when there is none or it is private. */
static const char *ignored_passfile(PGconn *conn)
{
	static char path[4096];
	const char *file = NULL;
	PQconninfoOption *opts = conn ? PQconninfo(conn) : NULL;
	struct stat st;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "passfile") == 0 && o->val && *o->val)
			file = o->val;
	if (file)
		snprintf(path, sizeof(path), "%s", file);
	PQconninfoFree(opts);
	if (!file || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & (S_IRWXG | S_IRWXO)))
		return NULL;
	return path;
}

/* Sets err for a failed connection: SC_NOPERM when the server refused the
 * credentials (on any host libpq tried, whose line is then shown),
 * SC_USAGE for a bad value in the connection string, SC_UNAVAILABLE
 * otherwise, with every host's line. */
int pgb_connect_failed(struct pg_db *db, struct sc_error *err)
{
	const char *msg = db->conn ? PQerrorMessage(db->conn) : "out of memory";
	const char *shown = NULL, *passfile, *hint;
	int status = SC_UNAVAILABLE;
	bool timed_out;
	char *line;

	for (const char *p = msg; *p;) {
		size_t len = strcspn(p, "\n");
		if (pgb_is_auth_failure(p, len)) {
			shown = p;
			status = SC_NOPERM;
			break;
		}
		if (is_bad_option_value(p, len)) {
			shown = p;
			status = SC_USAGE;
			break;
		}
		p += len + (p[len] == '\n');
	}
	if (!(line = shown ? pgb_clean_line(shown, true) : every_host_line(msg)))
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (status == SC_USAGE)
		pg_error(db, err, status, "bad postgresql connection string '%s': %s", db->display, line);
	else if (!*line)
		pg_error(db, err, status, "cannot connect to '%s'", db->display);
	else if (status == SC_NOPERM && (passfile = ignored_passfile(db->conn)))
		pg_error(db, err, status, "cannot connect to '%s': %s: the password file '%s' was "
			 "ignored, since group or others can read it: chmod 600 it", db->display, line,
			 passfile);
	else if (status == SC_NOPERM && strstr(line, "no password supplied"))
		/* libpq's words for a server that asks for a password no one
		 * gave: say where one goes (not in --db, which others see) */
		pg_error(db, err, status, "cannot connect to '%s': %s: the server asks this user for "
			 "a password: put it in ~/.pgpass (or the file PGPASSFILE names), mode 600",
			 db->display, line);
	else if (status == SC_UNAVAILABLE && (hint = pgb_no_server_hint(line, &timed_out)))
		/* PgBouncer holds a login itself while the pool has yet to
		 * reach the server (its first client, or after a restart) */
		pg_error(db, err, status, "cannot connect to '%s': %s: %s", db->display, line, hint);
	else
		pg_error(db, err, status, "cannot connect to '%s': %s", db->display, line);
	free(line);
	return -1;
}

bool pgb_sqlstate_is(const char *state, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(state, list[i]) == 0)
			return true;
	return false;
}

/* PgBouncer's answers that it has no server for a client, as a
 * statement's error or, while its pool has yet to reach the server, at
 * login: what they mean, or NULL for another message. *timed_out: the
 * client waited query_wait_timeout (else PgBouncer's own login to the
 * server failed: "pgbouncer cannot connect to server" before 1.17). */
const char *pgb_no_server_hint(const char *msg, bool *timed_out)
{
	*timed_out = strstr(msg, "query_wait_timeout") != NULL;
	if (*timed_out)
		return "PgBouncer found no server connection for it in that time: its pool for "
		       "this database stayed full (raise default_pool_size, or try again later), "
		       "or the server is down";
	if (strstr(msg, "server login has been failing") ||
	    strstr(msg, "pgbouncer cannot connect to server"))
		return "PgBouncer cannot log in to the server behind it (the server is down, or "
		       "refuses PgBouncer's login): try again once it is back";
	return NULL;
}

/* libpq's own words for a connection the server or the network ended
 * (sessctl never calls setlocale: libpq speaks English). A write that
 * failed on a socket the server had closed (pg_terminate_backend while a
 * pipelined FETCH was sent) is told so while PQstatus still says
 * CONNECTION_OK, with no SQLSTATE: the statement is no internal error,
 * and the connection is to be opened again. */
static bool lost_connection_text(const char *msg)
{
	static const char *const patterns[] = {
		"server closed the connection unexpectedly", "no connection to the server",
		"connection to server was lost", "could not receive data from server",
		"could not send data to server", "ssl connection has been closed unexpectedly",
		"terminating connection",
	};
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (pgb_contains_nocase(msg, strlen(msg), patterns[i]))
			return true;
	return false;
}

/* Maps a failed statement (res may be NULL) to an exit status and sets
 * err to "<what> on '<db>': <the server's message>". */
int pgb_fail_result(struct pg_db *db, const PGresult *res, const char *what,
		       struct sc_error *err)
{
	static const char *const busy[] = { "40001", "40P01", "55P03", "57014" };
	static const char *const denied[] = { "42501" };
	static const char *const undefined[] = { "42P01", "42703" };
	/* The server ends the connection: terminated by an administrator,
	 * shut down, not accepting connections yet; or one of the
	 * connection's own timeouts (idle_in_transaction_session_timeout,
	 * idle_session_timeout): a command that met one of those exited 70,
	 * an internal error, where a connection lost otherwise is opened
	 * again. */
	static const char *const gone[] = { "57P01", "57P02", "57P03", "25P03", "57P05" };
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *table = res && PQresultErrorField(res, PG_DIAG_TABLE_NAME)
		? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : "sessions";
	const char *raw = primary ? primary
		: res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
		: PQerrorMessage(db->conn);
	/* The server's own reason for ending the connection, when it sent
	 * one before it closed (its idle timeouts, pg_terminate_backend, a
	 * shutdown; PgBouncer's idle_transaction_timeout), where the
	 * statement's result has only libpq's "server closed the connection
	 * unexpectedly" (open.c kept it). */
	const char *fatal = !state && lost_connection_text(raw) && db->ended[0] ? db->ended : NULL;
	/* (a message without its severity: a primary's text is the
	 * server's or an application's own, "Quota:  exceeded" included) */
	char *msg = pgb_clean_line(fatal ? fatal : raw, !fatal && raw != primary);
	const char *hint;
	char setting[96];
	bool timed_out;
	int rc;

	if (!msg)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (!*msg) {
		free(msg);
		msg = strdup("unexpected result from the server");
		if (!msg)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	/* A wait for a lock that timed out: a batched run's retry may leave
	 * the rows another transaction holds (struct sc_db). */
	if (state && strcmp(state, "55P03") == 0)
		db->base.lock_waited = true;
	/* A statement cancelled (statement_timeout, whatever the server's
	 * language; or an administrator's pg_cancel_backend): a batched run
	 * retries with a smaller batch (struct sc_db). */
	if (state && strcmp(state, "57014") == 0)
		db->base.timed_out = true;
	if (strstr(msg, "statement pooling mode"))
		/* PgBouncer's pool_mode=statement: no transaction holds, and
		 * it closes the connection, which no retry mends. */
		rc = pg_error(db, err, SC_CONFIG, "%s on '%s': %s: sessctl runs each command in a "
			      "transaction: use PgBouncer's pool_mode=transaction (or session)", what,
			      db->display, msg);
	else if ((hint = pgb_no_server_hint(msg, &timed_out))) {
		/* PgBouncer has no server for this client, and closed the
		 * connection. Kept waiting its query_wait_timeout: connecting
		 * again waits as long again (six times over, twelve minutes
		 * with its default). Refused because its own login to the
		 * server failed: it refuses each new client alike for its
		 * server_login_retry. As a direct connection to a server that
		 * is down: told at once when the command had no server yet,
		 * waited out within the reconnect window when it had one
		 * (pg_reconnect). */
		db->gone = true;
		db->pool_timed_out = timed_out;
		db->pool_refused = !timed_out;
		rc = pg_error(db, err, SC_UNAVAILABLE, "%s on '%s': %s: %s", what, db->display, msg, hint);
	}
	else if (db->on_standby && state && strcmp(state, "40001") == 0) {
		/* On a standby, where transactions only read, 40001 is a
		 * recovery conflict (canceling statement, or terminating
		 * connection, "due to conflict with recovery"): the replay
		 * of the primary's changes cancelled the read, and a long
		 * read run again meets it again. */
		rc = pg_error(db, err, SC_TEMPFAIL, "%s on '%s': %s: the standby's replay of the "
			      "primary's changes cancelled this read: set hot_standby_feedback = on "
			      "(or a longer max_standby_streaming_delay) on the standby, or read from "
			      "the primary", what, db->display, msg);
	}
	else if (PQstatus(db->conn) == CONNECTION_BAD ||
	    (state && (strncmp(state, "08", 2) == 0 || pgb_sqlstate_is(state, gone, sizeof(gone) / sizeof(gone[0])))) ||
	    (!state && lost_connection_text(raw))) {
		db->gone = true;
		rc = pg_error(db, err, SC_UNAVAILABLE, "%s on '%s': %s", what, db->display, msg);
	}
	else if (state && strcmp(state, "57014") == 0 && strstr(msg, "statement timeout"))
		/* A statement_timeout the role, database or URL sets, shorter
		 * than a statement takes: a retry times out alike. */
		/* Behind PgBouncer, which passes no options (or refuses
		 * them), only a role's or database's setting reaches the
		 * server: both remedies are named. */
		rc = pg_error(db, err, SC_TEMPFAIL, "%s on '%s': %s: the statement_timeout in force "
			      "is shorter than this statement takes: give sessctl a longer one "
			      "(%s; through PgBouncer, ALTER ROLE ... SET statement_timeout = '60s'), "
			      "or try again later", what, db->display, msg,
			      pgb_setting_hint(db, "statement_timeout", "60s", setting, sizeof(setting)));
	else if (state && strcmp(state, "55P03") == 0)
		rc = pg_error(db, err, SC_TEMPFAIL, "%s on '%s': %s: another transaction held a lock "
			      "this one needs: try again later", what, db->display, msg);
	else if (state && strcmp(state, "23505") == 0 &&
		 ((constraint && strlen(constraint) > 5 &&
		   strcmp(constraint + strlen(constraint) - 5, "_pkey") == 0) ||
		  (detail && strchr(detail, '(') && strncmp(strchr(detail, '('), "(id)=(", 6) == 0)))
		/* a new row's id taken (the primary key, by its default name
		 * or the detail's key, "Key (id)=(5) already exists", whose
		 * "(id)=(5)" no server language translates: its first '(', not
		 * a value's "(id)=(" in another key): the table's id
		 * sequence is behind rows inserted with explicit ids;
		 * retrying only burns it */
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s: the id sequence of %s is behind "
			      "the ids already in it (rows inserted with explicit ids): move it past "
			      "them, e.g. SELECT setval(pg_get_serial_sequence('%s', 'id'), max(id)) "
			      "FROM %s", what, db->display, msg, table, table, table);
	else if (state && (pgb_sqlstate_is(state, busy, 4) ||
			   (db->racing_insert && strcmp(state, "23505") == 0)))
		/* 23505 while creating: two creators raced on one (user,
		 * device); the retry finds the other's row and refreshes it. */
		rc = pg_error(db, err, SC_TEMPFAIL, "%s on '%s': %s: try again later", what,
			      db->display, msg);
	else if (state && strcmp(state, "23505") == 0)
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s: the data has duplicates "
			      "(user_id, device_fingerprint) that must be removed first", what,
			      db->display, msg);
	else if (state && strcmp(state, "23502") == 0)
		/* not_null_violation: a column of the application's that
		 * sessctl does not fill (create) */
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s: sessctl does not fill that column: "
			      "give it a default (or allow NULL)", what, db->display, msg);
	else if (state && (strcmp(state, "P0001") == 0 || strncmp(state, "23", 2) == 0))
		/* The application's own rules: a trigger that raises
		 * (raise_exception), another table's foreign key to these
		 * sessions, a check: the data refuses the change. */
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s%s", what, db->display, msg,
			      strcmp(state, "P0001") == 0 ? ": a trigger of the database refused the change"
			      : strcmp(state, "23503") == 0 ? ": another table's foreign key refers to these rows"
							    : "");
	else if (state && strcmp(state, "25006") == 0)
		/* read_only_sql_transaction: a write reached a server that
		 * takes none (a standby, default_transaction_read_only). */
		rc = pg_error(db, err, SC_UNAVAILABLE, "%s on '%s': the server is read-only: "
			      "connect to the primary (set target_session_attrs=read-write in the URL)",
			      what, db->display);
	else if (state && strcmp(state, "53100") == 0)
		/* disk_full: the server could not write (the transaction is
		 * rolled back) */
		rc = pg_error(db, err, SC_IOERR, "%s on '%s': the server's disk is full (%s): "
			      "free space on the server and run again", what, db->display, msg);
	else if (state && pgb_sqlstate_is(state, denied, 1))
		rc = pg_error(db, err, SC_NOPERM, "%s on '%s': %s", what, db->display, msg);
	/* Class 22: a value the column or the client encoding cannot hold. */
	else if (state && strncmp(state, "22", 2) == 0)
		rc = pg_error(db, err, SC_DATAERR, "%s on '%s': %s", what, db->display, msg);
	else if (state && strcmp(state, "3F000") == 0)
		/* invalid_schema_name: "no schema has been selected to create
		 * in", a search_path naming no schema (a typo) */
		rc = pg_error(db, err, SC_CONFIG, "%s on '%s': %s: check the search_path (%s, or "
			      "the role's or database's setting)", what, db->display, msg,
			      pgb_setting_hint(db, "search_path", "...", setting, sizeof(setting)));
	else if (state && pgb_sqlstate_is(state, undefined, 2))
		rc = pg_error(db, err, SC_CONFIG, "%s on '%s': %s: run 'sessctl migrate'", what,
			      db->display, msg);
	else
		rc = pg_error(db, err, SC_SOFTWARE, "%s on '%s': %s", what, db->display, msg);
	free(msg);
	return rc;
}
