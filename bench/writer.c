/* bench/writer: the application's own writes, to measure how long they wait
 * while something else (sessctl enforce, or the obvious statements) runs on
 * the same database (issue 10).
 *
 *   writer --db PATH|CONNINFO --max-id N --stamp 'YYYY-MM-DD HH:MM:SS'
 *          [--interval-ms 10] [--duration S] [--busy-timeout-ms 60000]
 *
 * Every interval it refreshes the last_activity of one random active
 * session (ids 1..N) in its own short transaction, as the application does
 * on each request: on SQLite `BEGIN IMMEDIATE; UPDATE ...; COMMIT` with
 * SQLite's own busy handler (sqlite3_busy_timeout, which sleeps between
 * polls); on PostgreSQL (a CONNINFO with '=' or a postgres:// URL) one
 * autocommitted UPDATE through libpq. The wait of a write is the time from
 * wanting the lock (before BEGIN) to the end of its COMMIT. It runs until
 * SIGINT or SIGTERM (or for --duration seconds), then prints one line:
 *
 *   writes=N worst_ms=X p99_ms=Y median_ms=Z
 *
 * and exits 0; exits 1 with a one-line error if a write fails (a busy
 * timeout included: the busy timeout is long so that a wait is measured,
 * not dropped).
 */
#define _DEFAULT_SOURCE
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "writer: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static const char UPDATE_SQL[] =
	"UPDATE sessions SET last_activity = $1 WHERE id = $2 AND is_active";

/* SQLite: one BEGIN IMMEDIATE transaction; a busy error after the busy
 * timeout is a failure (the timeout is far above any wait we measure). */
static void write_sqlite(sqlite3 *db, sqlite3_stmt *st, const char *stamp, long long id)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		die("BEGIN IMMEDIATE failed", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, stamp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("UPDATE failed", sqlite3_errmsg(db));
	sqlite3_reset(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("COMMIT failed", sqlite3_errmsg(db));
}

static void write_pg(PGconn *pg, const char *stamp, long long id)
{
	char idbuf[32], ts[64];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(ts, sizeof ts, "%s+00", stamp);
	const char *params[2] = { ts, idbuf };
	PGresult *r = PQexecParams(pg, UPDATE_SQL, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("UPDATE failed", PQresultErrorMessage(r));
	PQclear(r);
}

int main(int argc, char **argv)
{
	const char *dburl = NULL, *stamp = NULL;
	long long max_id = 0;
	double interval = 10, duration = 0;
	int busy_ms = 60000;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			dburl = argv[i + 1];
		else if (!strcmp(argv[i], "--max-id"))
			max_id = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--stamp"))
			stamp = argv[i + 1];
		else if (!strcmp(argv[i], "--interval-ms"))
			interval = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--duration"))
			duration = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--busy-timeout-ms"))
			busy_ms = atoi(argv[i + 1]);
		else
			die("unknown option", argv[i]);
	}
	if (argc % 2 == 0 || !dburl || !stamp || max_id < 1)
		die("usage: writer --db PATH|CONNINFO --max-id N --stamp TIME "
		    "[--interval-ms MS] [--duration S] [--busy-timeout-ms MS]",
		    NULL);

	int is_pg = strchr(dburl, '=') || !strncmp(dburl, "postgres", 8);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	PGconn *pg = NULL;
	if (is_pg) {
		pg = PQconnectdb(dburl);
		if (PQstatus(pg) != CONNECTION_OK)
			die("cannot connect", PQerrorMessage(pg));
	} else {
		if (sqlite3_open_v2(dburl, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
			die("cannot open database", sqlite3_errmsg(db));
		sqlite3_busy_timeout(db, busy_ms);
		if (sqlite3_prepare_v2(db, "UPDATE sessions SET last_activity = ?1 WHERE id = ?2 AND is_active",
				       -1, &st, NULL) != SQLITE_OK)
			die("cannot prepare", sqlite3_errmsg(db));
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	size_t n = 0, cap = 4096;
	double *waits = malloc(cap * sizeof *waits);
	if (!waits)
		die("out of memory", NULL);
	double start = now_ms(), next = start;
	while (!stop && (duration <= 0 || now_ms() - start < duration * 1e3)) {
		long long id = 1 + (long long)(rnd() % (uint64_t)max_id);
		double t0 = now_ms();
		if (is_pg)
			write_pg(pg, stamp, id);
		else
			write_sqlite(db, st, stamp, id);
		double t1 = now_ms();
		if (n == cap) {
			cap *= 2;
			double *grown = realloc(waits, cap * sizeof *waits);
			if (!grown)
				die("out of memory", NULL);
			waits = grown;
		}
		waits[n++] = t1 - t0;
		/* The next request is due one interval after this one began,
		 * or at once if this one waited longer. */
		next += interval;
		if (next < t1)
			next = t1;
		double sleep_ms = next - now_ms();
		if (sleep_ms > 0) {
			struct timespec ts = { (time_t)(sleep_ms / 1e3),
					       (long)((sleep_ms - (double)(time_t)(sleep_ms / 1e3) * 1e3) * 1e6) };
			nanosleep(&ts, NULL);
		}
	}
	if (n == 0)
		die("no write was made", NULL);
	qsort(waits, n, sizeof *waits, cmp_double);
	size_t p99 = (size_t)((double)(n - 1) * 0.99);
	printf("writes=%zu worst_ms=%.1f p99_ms=%.1f median_ms=%.1f\n", n, waits[n - 1], waits[p99],
	       waits[(n - 1) / 2]);
	free(waits);
	if (st)
		sqlite3_finalize(st);
	if (db)
		sqlite3_close(db);
	if (pg)
		PQfinish(pg);
	return 0;
}
