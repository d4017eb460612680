/* LD_PRELOAD shim for check-faults-postgres.sh, two ways a connection
 * drops at the worst moment:
 * - SESSCTL_TEST_COMMIT_LOSE=N: the Nth COMMIT reaches the server, which
 *   commits, and then the connection drops before sessctl reads the
 *   answer, as when a network fails at that moment. libpq then reports a
 *   lost connection for a transaction that was committed.
 * - SESSCTL_TEST_BEGIN_LOSE=N: the Nth multi-statement BEGIN loses its
 *   connection between two of its statements. PQexec then hands back the
 *   last complete result (here an empty one of one column) with the
 *   connection bad, which is not the answer the BEGIN asked for. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

PGresult *PQexec(PGconn *conn, const char *query)
{
	static PGresult *(*real)(PGconn *, const char *);
	static int commits, begins;
	const char *nth = getenv("SESSCTL_TEST_COMMIT_LOSE");
	const char *nth_begin = getenv("SESSCTL_TEST_BEGIN_LOSE");

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "PQexec"); /* linked with -lpq */
	if (nth && strcmp(query, "COMMIT") == 0 && ++commits == atoi(nth)) {
		PQclear(real(conn, query));
		shutdown(PQsocket(conn), SHUT_RDWR);
	}
	if (nth_begin && strncmp(query, "BEGIN", 5) == 0 && ++begins == atoi(nth_begin)) {
		PGresult *partial = real(conn, "SELECT 1 WHERE false");
		shutdown(PQsocket(conn), SHUT_RDWR);
		PQclear(real(conn, "SELECT 1")); /* libpq finds the connection gone */
		return partial;
	}
	return real(conn, query);
}
