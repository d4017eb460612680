/* LD_PRELOAD shim for check-faults-postgres.sh: the Nth COMMIT
 * (SESSCTL_TEST_COMMIT_LOSE=N) reaches the server, which commits, and
 * then the connection drops before sessctl reads the answer, as when a
 * network fails at that moment. libpq then reports a lost connection for
 * a transaction that was committed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

PGresult *PQexec(PGconn *conn, const char *query)
{
	static PGresult *(*real)(PGconn *, const char *);
	static int commits;
	const char *nth = getenv("SESSCTL_TEST_COMMIT_LOSE");

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "PQexec"); /* linked with -lpq */
	if (nth && strcmp(query, "COMMIT") == 0 && ++commits == atoi(nth)) {
		PQclear(real(conn, query));
		shutdown(PQsocket(conn), SHUT_RDWR);
	}
	return real(conn, query);
}
