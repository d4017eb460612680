/* The harness's PostgreSQL driver: each database is a new database on the
 * throwaway server whose socket directory is $SESSCTL_TEST_PGHOST
 * (tests/pg-server.sh), created and dropped by the harness as role
 * postgres.
 *
 * With $SESSCTL_TEST_PGBOUNCER, the socket directory of a PgBouncer in
 * front of that server (tests/pgbouncer.sh), sessctl's --db URLs (and
 * e2e_pghost()) name the pooler, so every statement sessctl runs goes
 * through it; the harness's own work (creating and dropping databases
 * and roles, fixtures, reading rows back) still goes straight to the
 * server, so that it neither depends on the pooler nor takes its
 * connections. */
#include "e2e-driver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_ROLES 4

static struct {
	const char *server;  /* the server's socket directory */
	const char *client;  /* what sessctl connects to: the server or the pooler */
	PGconn *admin;       /* to database postgres, for CREATE/DROP */
	char *roles[MAX_ROLES];
	int nroles;
} pg;

static void pg_init(void)
{
	const char *bouncer = getenv("SESSCTL_TEST_PGBOUNCER");

	pg.server = getenv("SESSCTL_TEST_PGHOST");
	cr_assert(pg.server && *pg.server,
		  "SESSCTL_TEST_BACKEND=postgres needs SESSCTL_TEST_PGHOST (see tests/pg-server.sh)");
	pg.client = bouncer && *bouncer ? bouncer : pg.server;
}

static void pg_check(PGresult *res, const char *sql, const char *where)
{
	ExecStatusType st = PQresultStatus(res);
	cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s failed: %s", where, sql,
		  PQresultErrorMessage(res));
}

/* A direct connection to the server as postgres; utc: with TimeZone UTC. */
static PGconn *pg_connect(const char *dbname, bool utc)
{
	char *conninfo = e2e_xprintf("host=%s dbname=%s user=postgres%s", pg.server, dbname,
				     utc ? " options='-c TimeZone=UTC'" : "");
	PGconn *c = PQconnectdb(conninfo);

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect with '%s': %s", conninfo,
		     PQerrorMessage(c));
	free(conninfo);
	return c;
}

static void admin_exec(const char *sql, const char *where)
{
	PGresult *res;

	if (!pg.admin) {
		pg.admin = pg_connect("postgres", true);
		/* no "does not exist, skipping" for each stale-name check */
		PQclear(PQexec(pg.admin, "SET client_min_messages = warning"));
	}
	res = PQexec(pg.admin, sql);
	pg_check(res, sql, where);
	PQclear(res);
}

static void pg_create(struct e2e_db *db, const char *name)
{
	static unsigned counter;
	char *sql;

	(void)name;
	db->path = e2e_xprintf("t_%ld_%u", (long)getpid(), counter++);
	db->url = e2e_xprintf("host=%s dbname=%s user=postgres", pg.client, db->path);
	/* A database of this name is a dead process's that did not drop it
	 * (one that crashed), whose PID came round again: pid_max is 32768
	 * here, and a run of the suites starts more processes than that. */
	sql = e2e_xprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", db->path);
	admin_exec(sql, "dropping a stale test database");
	free(sql);
	sql = e2e_xprintf("CREATE DATABASE %s", db->path);
	admin_exec(sql, "creating the test database");
	free(sql);
}

static void pg_drop(struct e2e_db *db)
{
	if (pg.admin) {
		/* WITH (FORCE) also ends the pooler's server connections */
		char *sql = e2e_xprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", db->path);
		PQclear(PQexec(pg.admin, sql));
		free(sql);
	}
}

static void pg_fini(void)
{
	for (int i = 0; i < pg.nroles; i++) {
		if (pg.admin) {
			char *sql = e2e_xprintf("DROP ROLE IF EXISTS %s", pg.roles[i]);
			PQclear(PQexec(pg.admin, sql));
			free(sql);
		}
		free(pg.roles[i]);
	}
	if (pg.admin)
		PQfinish(pg.admin);
	memset(&pg, 0, sizeof(pg));
}

static void pg_exec(const struct e2e_db *db, const char *sql, long long *out)
{
	PGconn *c = pg_connect(db->path, true);
	PGresult *res = PQexec(c, sql);

	pg_check(res, sql, db->path);
	if (out) {
		cr_assert(PQntuples(res) > 0 && !PQgetisnull(res, 0, 0), "%s: no value", sql);
		*out = atoll(PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	PQfinish(c);
}

static void pg_rows(const struct e2e_db *db, const char *sql, struct e2e_buf *b)
{
	PGconn *c = pg_connect(db->path, true);
	PGresult *res = PQexec(c, sql);

	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(res));
	for (int i = 0; i < PQntuples(res); i++) {
		for (int j = 0; j < PQnfields(res); j++) {
			if (j)
				e2e_buf_add(b, "|");
			e2e_buf_add(b, PQgetisnull(res, i, j) ? "NULL" : PQgetvalue(res, i, j));
		}
		e2e_buf_add(b, "\n");
	}
	PQclear(res);
	PQfinish(c);
}

static bool pg_has_table(const struct e2e_db *db, const char *table)
{
	long long n = 0;
	char *sql = e2e_xprintf("SELECT count(*) FROM information_schema.tables "
				"WHERE table_schema = current_schema() AND table_name = '%s'", table);

	pg_exec(db, sql, &n);
	free(sql);
	return n > 0;
}

const struct e2e_driver e2e_driver_postgres = {
	.name = "postgres",
	.init = pg_init,
	.create = pg_create,
	.drop = pg_drop,
	.fini = pg_fini,
	.exec = pg_exec,
	.rows = pg_rows,
	.has_table = pg_has_table,
	.fix_sequence_sql = "SELECT setval(pg_get_serial_sequence('sessions', 'id'), "
			    "(SELECT max(id) FROM sessions))",
};

/* ---- PostgreSQL-only helpers of e2e.h ---- */

const char *e2e_pghost(void) { return pg.client; }
bool e2e_pgbouncer(void) { return pg.client && pg.client != pg.server; }

const char *e2e_pg_role(const char *password)
{
	char *sql;

	cr_assert(e2e_pg(), "e2e_pg_role needs the PostgreSQL run");
	cr_assert_lt(pg.nroles, MAX_ROLES, "too many roles");
	pg.roles[pg.nroles] = e2e_xprintf("r_%ld_%d", (long)getpid(), pg.nroles);
	sql = e2e_xprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pg.roles[pg.nroles], password);
	admin_exec(sql, "creating a role");
	free(sql);
	return pg.roles[pg.nroles++];
}

void e2e_pg_admin(const char *sql)
{
	cr_assert(e2e_pg(), "e2e_pg_admin needs the PostgreSQL run");
	pg_exec(e2e_db(), sql, NULL);
}
