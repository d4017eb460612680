/* Transactions: BEGIN with the lock wait (BEGIN_LOCK_WAIT) and what the
 * server says of itself in the same round trip, COMMIT, a ROLLBACK that
 * may fail, the wait for an answer that a stop signal cuts short, and
 * opening a lost connection again (pg_reconnect). */
#include "postgres.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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
		/* said as the lost connection's reason (pgb_fail_result) */
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
 * committed. The same round trip sets the lock wait (BEGIN_LOCK_WAIT)
 * and ends with a row: whether the server is a standby, and whether the
 * transaction is read-only anyway (default_transaction_read_only), so
 * that a write sent there fails before it starts, with a message that
 * says what to do; whether the lock wait is still to be set; and for
 * begin_checked the schema version, from migration 5's function. */
#define BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TIME ZONE 'UTC'; "
/* A write waits for a row lock (the application's open transaction) at
 * most a second (PG_LOCK_WAIT_SQL), then fails busy (55P03) and is retried, so
 * that no wait is unbounded and the application's own writes to the rows
 * this one has locked meanwhile wait no longer than that either; unless
 * the URL or the server already sets a lock_timeout, which stands. */
#define BEGIN_WRITE "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL TIME ZONE 'UTC'; "
/* The lock wait (%s), as the statement_timeout in force (%s) gives it:
 * where none is in force (the usual case), the whole wait, a constant.
 * Under another one, the row's third column says it is still to be set
 * (lock_wait_for_timeout computes it from the timeout, and the
 * connection keeps it, for each transaction mode, with that timeout's
 * text: the BEGINs after it set it here). PG_LOCK_WAIT_SQL_FOR's
 * interval and numeric arithmetic cost a new server process 1.3-1.5 ms
 * to plan (the catalog's first look-ups of its functions and operators), a twentieth of a cron job's
 * steady-state run on PostgreSQL; computed once a connection, it costs a
 * round trip there. */
#define BEGIN_LOCK_WAIT \
	"SELECT set_config('lock_timeout', '%s', true) WHERE current_setting('lock_timeout') = '0'" \
	" AND current_setting('statement_timeout') = '%s'; "
#define BEGIN_ROW \
	"SELECT pg_is_in_recovery(), current_setting('transaction_read_only'), " \
	"current_setting('lock_timeout') = '0'"
#define BEGIN_VERSION ", sessctl_schema_version()"

/* A setting's text that may stand in a BEGIN's literal as it is. */
static bool plain_setting(const char *s)
{
	size_t n = strspn(s, "0123456789.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	return n > 0 && s[n] == '\0' && n < PG_GUC_TEXT_LEN;
}

/* The lock wait of a transaction of mode under a statement_timeout
 * (BEGIN_LOCK_WAIT), kept with the timeout's text for the next BEGINs
 * on this connection. */
static int lock_wait_for_timeout(struct pg_db *db, enum sc_tx_mode mode, struct sc_error *err)
{
	static const char *const sql[2] = {
		"SELECT set_config('lock_timeout', " PG_LOCK_WAIT_SQL ", true), "
		"current_setting('statement_timeout')",
		"SELECT set_config('lock_timeout', " PG_LOCK_WAIT_SQL_FOR(PG_READ_LOCK_WAIT_MS) ", true), "
		"current_setting('statement_timeout')",
	};
	int m = mode == SC_TX_READ;
	PGresult *res = pgb_run(db, sql[m], 0, NULL, PGRES_TUPLES_OK, "cannot begin a transaction", err);

	if (!res)
		return -1;
	if (PQntuples(res) == 1 && PQnfields(res) == 2 && plain_setting(PQgetvalue(res, 0, 0)) &&
	    plain_setting(PQgetvalue(res, 0, 1))) {
		snprintf(db->lock_wait[m], sizeof(db->lock_wait[m]), "%s", PQgetvalue(res, 0, 0));
		snprintf(db->lock_wait_timeout[m], sizeof(db->lock_wait_timeout[m]), "%s",
			 PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return 0;
}

/* Begins a transaction of mode, reading the schema version into *version
 * too when version is not NULL. On failure the transaction is rolled
 * back, and sqlstate, when not NULL, gets the SQLSTATE of the BEGIN's
 * error (empty without one, or when what failed was the statement that
 * sets the lock wait after it). */
static int begin_with(struct pg_db *db, enum sc_tx_mode mode, int *version, char sqlstate[6],
		      struct sc_error *err)
{
	static const char *const wait_ms[2] = { PG_LOCK_WAIT_MS "ms", PG_READ_LOCK_WAIT_MS "ms" };
	int m = mode == SC_TX_READ;
	bool kept = db->lock_wait[m][0] != '\0', stopped, standby, read_only, no_wait;
	char sql[sizeof(BEGIN_READ BEGIN_LOCK_WAIT BEGIN_ROW BEGIN_VERSION) + 2 * PG_GUC_TEXT_LEN];

	/* (the kept texts are shorter than PG_GUC_TEXT_LEN: plain_setting) */
	snprintf(sql, sizeof(sql), "%s" BEGIN_LOCK_WAIT "%s%s", m ? BEGIN_READ : BEGIN_WRITE,
		 kept ? db->lock_wait[m] : wait_ms[m], kept ? db->lock_wait_timeout[m] : "0", BEGIN_ROW,
		 version ? BEGIN_VERSION : "");
	PGresult *res = exec_unless_stopped(db, sql, &stopped);

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
	    PQnfields(res) != (version ? 4 : 3)) {
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
	no_wait = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	if (version)
		*version = (int)pgb_col_int64(res, 0, 3);
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
	if (no_wait && lock_wait_for_timeout(db, mode, err) < 0) {
		if (sqlstate)
			sqlstate[0] = '\0';
		pg_rollback(&db->base);
		return -1;
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
	if (pgb_connected(db, err) < 0)
		return -1;
	return answered(db, until, err);
}
