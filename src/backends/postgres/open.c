/* Opening a connection: the URL read with libpq's own parser (its
 * password kept for the redaction of messages), the defaults every
 * connection gets (connect timeout, TCP keepalives, client encoding),
 * what each new connection is told (pgb_connected), and closing it. */
#include "postgres.h"

#include <libpq-events.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps the reason a server or PgBouncer gives when it ends the
 * connection unasked (an idle timeout, an administrator's
 * pg_terminate_backend, a shutdown): a FATAL or PANIC message, told by
 * its severity in English whatever the server's language. The statement
 * that meets the closed connection then says only libpq's "server closed
 * the connection unexpectedly"; pgb_fail_result says this instead. */
static void keep_fatal(struct pg_db *db, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (!severity) /* PgBouncer sends only the (English) localized one */
		severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
	if (severity && primary && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
		snprintf(db->ended, sizeof(db->ended), "%s", primary);
}

/* Notices are not shown (a WARNING of the application's triggers is not
 * sessctl's to tell), but for that message: libpq hands it here when it
 * reads it between two statements. */
static void on_notice(void *arg, const PGresult *res)
{
	keep_fatal(arg, res);
}

/* Read while libpq waits for a statement's answer, the message becomes a
 * result of its own, which PQexec drops for the one it makes of the
 * closed connection after it (its text stays in the connection's
 * message, in the server's language). Every result libpq makes passes
 * here first. */
static int on_event(PGEventId id, void *info, void *arg)
{
	if (id == PGEVT_RESULTCREATE)
		keep_fatal(arg, ((const PGEventResultCreate *)info)->result);
	return 1;
}

/* What every new connection gets. A database in SQL_ASCII holds bytes
 * in no known encoding, and the server refuses to send a value that is
 * not UTF-8 to a UTF8 client ("invalid byte sequence"): one such byte
 * in a device name failed every listing and logout of that session.
 * Such a connection takes the bytes as they are instead, and the
 * output's writers replace what is not UTF-8 (as for SQLite), unless
 * PGCLIENTENCODING or the connection string chose an encoding. */
int pgb_connected(struct pg_db *db, struct sc_error *err)
{
	const char *server = PQparameterStatus(db->conn, "server_encoding");
	const char *client = PQparameterStatus(db->conn, "client_encoding");

	db->ended[0] = '\0';
	memset(db->lock_wait, 0, sizeof(db->lock_wait)); /* another server, maybe */
	memset(db->lock_wait_timeout, 0, sizeof(db->lock_wait_timeout));
	PQsetNoticeReceiver(db->conn, on_notice, db);
	if (!db->watched && !(db->watched = PQregisterEventProc(db->conn, on_event, "sessctl", db)))
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
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
 * client_encoding (which pgb_connected() then leaves alone), and checks
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
	if (pgb_connected(db, err) < 0)
		goto fail;
	*out = &db->base;
	return 0;
fail:
	pg_close(&db->base);
	return -1;
}
