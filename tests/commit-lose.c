/* LD_PRELOAD shim for check-faults-postgres.sh, two ways a connection
 * drops at the worst moment:
 * - SESSCTL_TEST_COMMIT_LOSE=N: the Nth COMMIT reaches the server, which
 *   commits, and then the connection drops before sessctl reads the
 *   answer, as when a network fails at that moment. libpq then reports a
 *   lost connection for a transaction that was committed.
 * - SESSCTL_TEST_BEGIN_LOSE=N: the Nth multi-statement BEGIN loses its
 *   connection between two of its statements. PQexec then hands back the
 *   last complete result (here an empty one of one column) with the
 *   connection bad, which is not the answer the BEGIN asked for. With
 *   SESSCTL_TEST_BEGIN_LOSE_AFTER=TEXT, the BEGINs are counted from the
 *   first statement run through PQexec that starts with TEXT on (a
 *   transaction of one kind: the wait at a batched run's end).
 *   With SESSCTL_TEST_BEGIN_ONLY=TEXT, only the BEGINs that start with
 *   TEXT are counted (the read transactions, say).
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

PGresult *PQexec(PGconn *conn, const char *query)
{
	static PGresult *(*real)(PGconn *, const char *);
	static int commits, begins;
	static bool counting;
	const char *nth = getenv("SESSCTL_TEST_COMMIT_LOSE");
	const char *nth_begin = getenv("SESSCTL_TEST_BEGIN_LOSE");
	const char *after = getenv("SESSCTL_TEST_BEGIN_LOSE_AFTER");
	const char *log = getenv("SESSCTL_TEST_BEGIN_LOG");
	const char *only = getenv("SESSCTL_TEST_BEGIN_ONLY");
	const char *kind = only ? only : "BEGIN";

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "PQexec"); /* linked with -lpq */
	if (!counting)
		counting = !after || strncmp(query, after, strlen(after)) == 0;
	if (log && strncmp(query, "BEGIN", 5) == 0) {
		FILE *f = fopen(log, "a");
		if (f) {
			fprintf(f, "%.40s\n", query);
			fclose(f);
		}
	}
	if (nth && strcmp(query, "COMMIT") == 0 && ++commits == atoi(nth)) {
		PQclear(real(conn, query));
		shutdown(PQsocket(conn), SHUT_RDWR);
	}
	if (nth_begin && counting && strncmp(query, "BEGIN", 5) == 0 &&
	    strncmp(query, kind, strlen(kind)) == 0 && ++begins == atoi(nth_begin)) {
		PGresult *partial = real(conn, "SELECT 1 WHERE false");
		shutdown(PQsocket(conn), SHUT_RDWR);
		PQclear(real(conn, "SELECT 1")); /* libpq finds the connection gone */
		return partial;
	}
	return real(conn, query);
}
