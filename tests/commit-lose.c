/* LD_PRELOAD shim for check-faults-postgres.sh, two ways a connection
 * drops at the worst moment:
 * - SESSCTL_TEST_COMMIT_LOSE=N: the Nth COMMIT reaches the server, which
 *   commits, and then the connection drops before sessctl reads the
 *   answer, as when a network fails at that moment. libpq then reports a
 *   lost connection for a transaction that was committed.
 * - SESSCTL_TEST_BEGIN_LOSE=N: the Nth multi-statement BEGIN loses its
 *   connection between two of its statements. PQexec then hands back the
 *   last complete result (here an empty one of one column) with the
 *   connection bad, which is not the answer the BEGIN asked for. Sent
 *   with PQsendQuery (a batched run's BEGIN), the empty result comes
 *   first, then the server terminates the connection (FATAL 57P01, as
 *   an administrator's pg_terminate_backend between two statements would):
 *   the run gets that error, not the bare end the PQexec case plays. With
 *   SESSCTL_TEST_BEGIN_LOSE_AFTER=TEXT, the BEGINs are counted from the
 *   first statement sent (PQexec or PQsendQuery) that starts with TEXT on
 *   (a transaction of one kind: the wait at a batched run's end).
 *   With SESSCTL_TEST_BEGIN_ONLY=TEXT, only the BEGINs that start with
 *   TEXT are counted (the read transactions, say).
 * - SESSCTL_TEST_ROLLBACK_FAIL=N,K: the Nth ROLLBACK and the K-1 after it
 *   fail, the transaction left as it was (a statement that fails in it
 *   is sent instead), as a ROLLBACK cancelled by a statement_timeout;
 *   with SESSCTL_TEST_ROLLBACK_LOG=FILE, a line appended to FILE for each.
 * - SESSCTL_TEST_COMMIT_TERMINATE=N: the Nth COMMIT is sent as
 *   pg_terminate_backend of the connection's own server process: the
 *   server answers with its FATAL 57P01 and closes the connection, as
 *   when an administrator terminates it at that moment (nothing is
 *   committed). PQexec hands back libpq's "server closed the connection
 *   unexpectedly"; the server's words are only in the connection's
 *   message.
 * - SESSCTL_TEST_BEGIN_LOG=FILE: each BEGIN's first 40 bytes, a line
 *   each, appended to FILE (how many transactions a run makes). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Whether query is the BEGIN to lose (and logs it); counts the BEGINs. */
static bool begin_to_lose(const char *query)
{
	static int begins;
	static bool counting;
	const char *nth_begin = getenv("SESSCTL_TEST_BEGIN_LOSE");
	const char *after = getenv("SESSCTL_TEST_BEGIN_LOSE_AFTER");
	const char *log = getenv("SESSCTL_TEST_BEGIN_LOG");
	const char *only = getenv("SESSCTL_TEST_BEGIN_ONLY");
	const char *kind = only ? only : "BEGIN";

	if (!counting)
		counting = !after || strncmp(query, after, strlen(after)) == 0;
	if (log && strncmp(query, "BEGIN", 5) == 0) {
		FILE *f = fopen(log, "a");
		if (f) {
			fprintf(f, "%.40s\n", query);
			fclose(f);
		}
	}
	return nth_begin && counting && strncmp(query, "BEGIN", 5) == 0 &&
	       strncmp(query, kind, strlen(kind)) == 0 && ++begins == atoi(nth_begin);
}

/* Set while the real PQexec runs: it sends through PQsendQuery, which
 * must not count its query again. */
static bool in_exec;

static PGresult *exec_real(PGresult *(*real)(PGconn *, const char *), PGconn *conn, const char *query)
{
	PGresult *res;

	in_exec = true;
	res = real(conn, query);
	in_exec = false;
	return res;
}

PGresult *PQexec(PGconn *conn, const char *query)
{
	static PGresult *(*real)(PGconn *, const char *);
	static int commits, rollbacks, terminates;
	const char *nth = getenv("SESSCTL_TEST_COMMIT_LOSE");
	const char *terminate = getenv("SESSCTL_TEST_COMMIT_TERMINATE");
	const char *fail = getenv("SESSCTL_TEST_ROLLBACK_FAIL");

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "PQexec"); /* linked with -lpq */
	if (nth && strcmp(query, "COMMIT") == 0 && ++commits == atoi(nth)) {
		PQclear(exec_real(real, conn, query));
		shutdown(PQsocket(conn), SHUT_RDWR);
	}
	if (terminate && strcmp(query, "COMMIT") == 0 && ++terminates == atoi(terminate))
		return exec_real(real, conn, "SELECT pg_terminate_backend(pg_backend_pid())");
	if (fail && strcmp(query, "ROLLBACK") == 0) {
		int n = atoi(fail), k = strchr(fail, ',') ? atoi(strchr(fail, ',') + 1) : 1;
		if (++rollbacks >= n && rollbacks < n + k) {
			FILE *f = getenv("SESSCTL_TEST_ROLLBACK_LOG") ? fopen(getenv("SESSCTL_TEST_ROLLBACK_LOG"), "a") : NULL;
			if (f) {
				fprintf(f, "ROLLBACK %d failed\n", rollbacks);
				fclose(f);
			}
			return exec_real(real, conn, "SELECT 1 / 0");
		}
	}
	if (begin_to_lose(query)) {
		PGresult *partial = exec_real(real, conn, "SELECT 1 WHERE false");
		shutdown(PQsocket(conn), SHUT_RDWR);
		PQclear(exec_real(real, conn, "SELECT 1")); /* libpq finds the connection gone */
		return partial;
	}
	return exec_real(real, conn, query);
}

/* A batched run sends its BEGIN with PQsendQuery (a stop signal ends the
 * wait for its answer): the BEGIN to lose gets a first statement's
 * result (empty, of one column), then the server ends the connection. */
int PQsendQuery(PGconn *conn, const char *query)
{
	static int (*real)(PGconn *, const char *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "PQsendQuery");
	if (!in_exec && begin_to_lose(query))
		return real(conn, "SELECT 1 WHERE false; SELECT pg_terminate_backend(pg_backend_pid())");
	return real(conn, query);
}
