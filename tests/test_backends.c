/* The backend contract (src/backend.h): ONE table of cases, run against
 * every entry of the backend table (sc_backend_table), modules included.
 * Each case gets a fresh database, migrated by sc_migrate_run, with the
 * same fixture inserted by plain SQL through the backend's exec_script,
 * and exercises the vtable directly.
 *
 * How a test gets a fresh database is the only per-backend code: the
 * driver table below (an SQLite file; a PostgreSQL database created on
 * the throwaway server at $SESSCTL_TEST_PGHOST). A backend without a
 * driver fails `contract.every_backend_has_a_driver`. When
 * SESSCTL_TEST_PGHOST is unset the PostgreSQL entries are not run (the
 * program says so on stderr, and `contract.postgresql_entries_need_a_server`
 * reports it as a skipped test); tests/run.sh runs this program again in
 * its PostgreSQL section with the variable set (and
 * SESSCTL_TEST_CONTRACT_BACKEND=postgresql to run only those entries).
 */
#include "unit.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/backend.h"
#include "../src/migrate.h"

#define T 1700000000LL /* "now" of the fixture */

/* ---- drivers: a fresh database per test ---- */

struct driver {
	const char *name; /* the backend's name in sc_backend_table */
	/* Fills url with a new empty database's --db value; false when the
	 * driver cannot run here (why in reason). */
	bool (*make)(char *url, size_t len, char *handle, size_t hlen, char *reason, size_t rlen);
	void (*drop)(const char *handle);
};

static bool sqlite_make(char *url, size_t len, char *handle, size_t hlen, char *reason, size_t rlen)
{
	const char *tmp = getenv("SESSCTL_TEST_TMPDIR");
	char dir[PATH_MAX];

	(void)reason, (void)rlen;
	snprintf(dir, sizeof(dir), "%s/scbe.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(handle, hlen, "%s", dir);
	snprintf(url, len, "%s/contract.db", dir); /* created by migrate */
	return true;
}

static void sqlite_drop(const char *dir)
{
	char path[PATH_MAX + 32];
	static const char *const files[] = { "contract.db", "contract.db-wal", "contract.db-shm",
					     "contract.db-journal" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static PGconn *pg_admin(void)
{
	const char *host = getenv("SESSCTL_TEST_PGHOST");
	char conninfo[PATH_MAX + 64];
	PGconn *c;

	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=postgres user=postgres", host);
	c = PQconnectdb(conninfo);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect with '%s': %s", conninfo,
		     PQerrorMessage(c));
	return c;
}

static void pg_command(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
}

static bool pg_make(char *url, size_t len, char *handle, size_t hlen, char *reason, size_t rlen)
{
	static unsigned counter;
	const char *host = getenv("SESSCTL_TEST_PGHOST");
	char sql[128];

	if (!host || !*host) {
		snprintf(reason, rlen, "SESSCTL_TEST_PGHOST is unset (see tests/pg-server.sh)");
		return false;
	}
	snprintf(handle, hlen, "contract_%ld_%u", (long)getpid(), counter++);
	snprintf(url, len, "host=%s dbname=%s user=postgres", host, handle);
	PGconn *c = pg_admin();
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", handle);
	pg_command(c, sql);
	PQfinish(c);
	return true;
}

static void pg_drop(const char *name)
{
	char sql[128];
	PGconn *c = pg_admin();
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	pg_command(c, sql);
	PQfinish(c);
}

static const struct driver drivers[] = {
	{ "sqlite", sqlite_make, sqlite_drop },
	{ "postgresql", pg_make, pg_drop },
};

static const struct driver *driver_of(const char *name)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i].name, name) == 0)
			return &drivers[i];
	return NULL;
}

/* ---- the database of the running test ---- */

static struct {
	const struct driver *drv;
	char url[PATH_MAX + 128];
	char handle[PATH_MAX];
	struct sc_db *db;
	const struct sc_backend *be;
	struct sc_error err;
} D;

/* Modules are found next to sessctl: build/, one up from build/tests/. */
static void module_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (getenv("SESSCTL_BACKEND_DIR"))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(exe, '/');
		cr_assert_not_null(slash);
		*slash = '\0';
	}
	setenv("SESSCTL_BACKEND_DIR", exe, 1);
}

/* The fixture: users and sessions, the same SQL for every backend. Times
 * are written with an explicit UTC offset, which SQLite's parser and
 * PostgreSQL's timestamptz both read the same whatever the server's zone;
 * sessions get ids 1, 2, ... in insertion order. */
struct fx_session {
	int user;
	const char *fp, *name, *type, *browser, *ip;
	long long la; /* seconds before T; -1: NULL */
	bool active;
};

static const struct fx_session fx[] = {
	/* 1 */ { 1, "a1", "Laptop", "desktop", "Firefox", "10.0.0.1", 100, true },
	/* 2 */ { 1, "a2", "Phone", "mobile", "Safari", "10.0.0.2", 300, true },
	/* 3 */ { 1, "a3", NULL, NULL, NULL, NULL, -1, true },
	/* 4 */ { 1, "a4", "Tablet", "tablet", "Chrome", "10.0.0.4", 100, true },
	/* 5 */ { 1, "a5", "Old", "desktop", "Edge", "10.0.0.5", 50, false },
	/* 6 */ { 2, "b1", "Work", "desktop", "Firefox", "192.0.2.1", 10000, true },
	/* 7 */ { 2, "b2", "Gone", "mobile", "Safari", "192.0.2.2", 20000, false },
	/* 8 */ { 3, "c1", "Home", "desktop", "Firefox", "2001:db8::1", 10, true },
	/* 9 */ { 2, "b3", "Older", "mobile", "Safari", "192.0.2.3", 9000, false },
	/* 10 */ { 1, "a6", "Ancient", "desktop", "Lynx", "10.0.0.6", 200000, true },
};
#define NFX ((int64_t)(sizeof(fx) / sizeof(fx[0])))
#define CREATED_AGO 500000 /* created_at of every fixture session */

static void sql_time(char *buf, size_t len, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "'%Y-%m-%d %H:%M:%S+00:00'", &tm);
}

static void sql_text(char *buf, size_t len, const char *s)
{
	snprintf(buf, len, s ? "'%s'" : "NULL", s ? s : "");
}

static char *fixture_sql(void)
{
	size_t cap = 8192, used = 0;
	char *sql = malloc(cap);

	cr_assert_not_null(sql);
	used += (size_t)snprintf(sql + used, cap - used,
		"INSERT INTO users (id, email, username, role) VALUES\n"
		"  (1, 'alice@example.com', 'alice', 'user'),\n"
		"  (2, 'bob@example.com', 'bob', 'admin'),\n"
		"  (3, 'carol@example.com', 'twin', 'user'),\n"
		"  (4, 'dan@example.com', 'twin', 'user'),\n"
		"  (5, NULL, NULL, 'user');\n");
	for (int64_t i = 0; i < NFX; i++) {
		const struct fx_session *s = &fx[i];
		char created[40], la[40], name[80], type[80], browser[80], ip[80];
		sql_time(created, sizeof(created), T - CREATED_AGO);
		if (s->la < 0)
			snprintf(la, sizeof(la), "NULL");
		else
			sql_time(la, sizeof(la), T - s->la);
		sql_text(name, sizeof(name), s->name);
		sql_text(type, sizeof(type), s->type);
		sql_text(browser, sizeof(browser), s->browser);
		sql_text(ip, sizeof(ip), s->ip);
		used += (size_t)snprintf(sql + used, cap - used,
			"INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type,"
			" browser, ip_address, created_at, last_activity, is_active)"
			" VALUES (%d, '%s', %s, %s, %s, %s, %s, %s, %s);\n",
			s->user, s->fp, name, type, browser, ip, created, la, s->active ? "TRUE" : "FALSE");
		cr_assert_lt(used, cap);
	}
	return sql;
}

static void begin(enum sc_tx_mode mode)
{
	cr_assert_eq(D.be->begin(D.db, mode, &D.err), 0, "begin: %s", D.err.msg);
}

static void commit(void)
{
	cr_assert_eq(D.be->commit(D.db, &D.err), 0, "commit: %s", D.err.msg);
}

/* Opens a fresh database for backend info, migrated, with the fixture;
 * false when its driver cannot run here. */
static bool open_fresh(const struct sc_backend_info *info)
{
	char reason[256] = "";
	int napplied;

	memset(&D, 0, sizeof(D));
	module_dir();
	D.drv = driver_of(info->name);
	cr_assert_not_null(D.drv, "no test driver for backend '%s'", info->name);
	if (!D.drv->make(D.url, sizeof(D.url), D.handle, sizeof(D.handle), reason, sizeof(reason))) {
		D.drv = NULL;
		return false;
	}
	cr_assert_eq(sc_db_open(D.url, SC_OPEN_MIGRATE, NULL, NULL, NULL, &D.db, &D.err), 0, "%s: cannot open '%s': %s",
		     info->name, D.url, D.err.msg);
	D.be = D.db->backend;
	cr_assert_eq(D.be, sc_backend_load(info, &D.err), "'%s' was opened by backend %s, not %s",
		     D.url, D.be->name, info->name);
	cr_assert_eq(sc_migrate_run(D.db, T - 1000000, NULL, NULL, &napplied, &D.err), 0,
		     "%s: migrate: %s", info->name, D.err.msg);
	cr_assert_eq(napplied, SC_SCHEMA_VERSION);

	char *sql = fixture_sql();
	begin(SC_TX_MIGRATE);
	cr_assert_eq(D.be->exec_script(D.db, sql, "fixture", &D.err), 0, "fixture: %s", D.err.msg);
	commit();
	free(sql);
	return true;
}

static void close_fresh(void)
{
	if (D.db)
		sc_db_close(D.db);
	if (D.drv)
		D.drv->drop(D.handle);
	memset(&D, 0, sizeof(D));
}

/* ---- collecting rows ---- */

#define MAXROWS 64

struct rows {
	size_t n;
	int64_t id[MAXROWS];
	int64_t user_id[MAXROWS], la[MAXROWS], created[MAXROWS];
	bool la_null[MAXROWS], active[MAXROWS];
	char fp[MAXROWS][32], name[MAXROWS][32], ip[MAXROWS][48];
	int stop_after; /* return 1 after this many rows (0: never) */
};

static int on_row(const struct sc_session *s, void *ctx)
{
	struct rows *r = ctx;
	size_t i = r->n++;

	cr_assert_lt(i, MAXROWS);
	r->id[i] = s->id;
	r->user_id[i] = s->user_id;
	r->la[i] = s->last_activity;
	r->la_null[i] = s->last_activity_null;
	r->created[i] = s->created_at;
	r->active[i] = s->is_active;
	snprintf(r->fp[i], sizeof(r->fp[i]), "%s", s->device_fingerprint ? s->device_fingerprint : "(null)");
	snprintf(r->name[i], sizeof(r->name[i]), "%s", s->device_name ? s->device_name : "(null)");
	snprintf(r->ip[i], sizeof(r->ip[i]), "%s", s->ip_address ? s->ip_address : "(null)");
	return r->stop_after && (int)r->n == r->stop_after ? 1 : 0;
}

/* Asserts r holds exactly the ids of want, in that order. */
#define EXPECT_IDS(r, ...) expect_ids((r)->id, (r)->n, (const int64_t[]){ __VA_ARGS__ }, \
	sizeof((const int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t), #__VA_ARGS__)
#define EXPECT_NO_IDS(ids, n) expect_ids(ids, n, NULL, 0, "nothing")

static void expect_ids(const int64_t *got, size_t n, const int64_t *want, size_t nwant,
		       const char *what)
{
	char buf[512];
	size_t used = 0;

	for (size_t i = 0; i < n && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%lld", i ? ", " : "",
					 (long long)got[i]);
	buf[used < sizeof(buf) ? used : sizeof(buf) - 1] = '\0';
	cr_expect_eq(n, nwant, "%s: got [%s], expected [%s]", D.be->name, buf, what);
	for (size_t i = 0; i < n && i < nwant; i++)
		cr_expect_eq(got[i], want[i], "%s: got [%s], expected [%s]", D.be->name, buf, what);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static bool exists(int64_t id)
{
	struct rows r = { 0 };
	struct sc_error err = { 0 };
	int rc = D.be->get_session(D.db, id, on_row, &r, &err);
	if (rc < 0)
		cr_assert_eq(err.status, SC_NOINPUT, "get_session(%lld): %s", (long long)id, err.msg);
	return rc == 0 && r.n == 1;
}

static struct rows get(int64_t id)
{
	struct rows r = { 0 };
	cr_assert_eq(D.be->get_session(D.db, id, on_row, &r, &D.err), 0, "get_session(%lld): %s",
		     (long long)id, D.err.msg);
	cr_assert_eq(r.n, 1);
	return r;
}

/* Audit rows, newest first. */
struct audit_rows {
	size_t n;
	int64_t id[MAXROWS], session_id[MAXROWS], user_id[MAXROWS], at[MAXROWS];
	int64_t evaluated[MAXROWS]; /* -1: NULL */
	bool session_null[MAXROWS];
	char action[MAXROWS][16], actor[MAXROWS][16], reason[MAXROWS][16];
	/* the snapshot, "(null)" for NULL */
	char email[MAXROWS][24], name[MAXROWS][16], ip[MAXROWS][16], type[MAXROWS][16];
	int64_t more; /* what history set req->more to */
};

static int on_audit(const struct sc_audit *a, void *ctx)
{
	struct audit_rows *r = ctx;
	size_t i = r->n++;

	cr_assert_lt(i, MAXROWS);
	r->id[i] = a->id;
	r->session_id[i] = a->session_id;
	r->session_null[i] = a->session_id_null;
	r->user_id[i] = a->user_id;
	r->at[i] = a->created_at;
	snprintf(r->action[i], sizeof(r->action[i]), "%s", a->action);
	snprintf(r->actor[i], sizeof(r->actor[i]), "%s", a->actor);
	snprintf(r->reason[i], sizeof(r->reason[i]), "%s", a->reason ? a->reason : "(null)");
	r->evaluated[i] = a->evaluated_at_null ? -1 : a->evaluated_at;
	snprintf(r->email[i], sizeof(r->email[i]), "%s", a->email ? a->email : "(null)");
	snprintf(r->name[i], sizeof(r->name[i]), "%s", a->device_name ? a->device_name : "(null)");
	snprintf(r->ip[i], sizeof(r->ip[i]), "%s", a->ip_address ? a->ip_address : "(null)");
	snprintf(r->type[i], sizeof(r->type[i]), "%s", a->device_type ? a->device_type : "(null)");
	return 0;
}

/* The audit row of session id among a's, which must hold one. */
static size_t audit_of(const struct audit_rows *a, int64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->session_id[i] == id)
			return i;
	cr_assert_fail("no audit row for session %lld", (long long)id);
	return 0;
}

/* Row i of a keeps this snapshot of its session. */
static void expect_snapshot(const struct audit_rows *a, size_t i, const char *email,
			    const char *name, const char *ip, const char *type)
{
	cr_expect_str_eq(a->email[i], email, "session %lld: email", (long long)a->session_id[i]);
	cr_expect_str_eq(a->name[i], name, "session %lld: device_name", (long long)a->session_id[i]);
	cr_expect_str_eq(a->ip[i], ip, "session %lld: ip_address", (long long)a->session_id[i]);
	cr_expect_str_eq(a->type[i], type, "session %lld: device_type", (long long)a->session_id[i]);
}

static struct audit_rows history(const struct sc_history_request *req)
{
	struct audit_rows r = { 0 };
	struct sc_history_request all = { 0 };
	struct sc_history_request q = req ? *req : all;
	r.more = -1;
	q.more = &r.more;
	begin(SC_TX_READ);
	cr_assert_eq(D.be->history(D.db, &q, on_audit, &r, &D.err), 0, "history: %s", D.err.msg);
	commit();
	return r;
}

/* ---- the cases ---- */

struct applied_ctx {
	int *seen;
	int bad;
	int64_t at_bad;
};

static int on_applied(const struct sc_applied *a, void *vctx)
{
	struct applied_ctx *c = vctx;
	if (a->version < 1 || a->version > SC_SCHEMA_VERSION || a->applied_at != T - 1000000 ||
	    !a->name || !*a->name) {
		c->bad++;
		c->at_bad = a->applied_at;
		return 0;
	}
	c->seen[a->version]++;
	return 0;
}

static void case_schema(void)
{
	int version = -1;
	bool app = false;
	int seen[SC_SCHEMA_VERSION + 1] = { 0 };
	struct applied_ctx c = { seen, 0, 0 };

	begin(SC_TX_READ);
	cr_assert_eq(D.be->schema_version(D.db, &version, &app, &D.err), 0, "%s", D.err.msg);
	cr_expect_eq(version, SC_SCHEMA_VERSION);
	cr_expect(app, "app_tables false after migration");
	cr_assert_eq(D.be->applied(D.db, on_applied, &c, &D.err), 0, "%s", D.err.msg);
	commit();
	cr_expect_eq(c.bad, 0, "applied() gave an unknown version or a wrong time (%lld)",
		     (long long)c.at_bad);
	for (int v = 1; v <= SC_SCHEMA_VERSION; v++)
		cr_expect_eq(seen[v], 1, "version %d listed %d times", v, seen[v]);
	/* begin_checked, where there is one, tells the same in either mode,
	 * and the transaction it began is open */
	for (int m = 0; D.be->begin_checked && m < 2; m++) {
		version = -1;
		app = false;
		cr_assert_eq(D.be->begin_checked(D.db, m ? SC_TX_WRITE : SC_TX_READ, &version, &app,
						 &D.err), 0, "%s", D.err.msg);
		cr_expect_eq(version, SC_SCHEMA_VERSION);
		cr_expect(app, "begin_checked: app_tables false after migration");
		cr_expect_eq(D.be->count_active(D.db, 1, &(int64_t){ -1 }, &D.err), 0, "%s", D.err.msg);
		commit();
	}
}

static void case_schema_of_an_empty_database_is_zero(void)
{
	/* A second, unmigrated database of the same backend. */
	char url[sizeof(D.url)], handle[sizeof(D.handle)], reason[256];
	struct sc_db *db;
	int version = -1;
	bool app = true;

	cr_assert(D.drv->make(url, sizeof(url), handle, sizeof(handle), reason, sizeof(reason)));
	cr_assert_eq(sc_db_open(url, SC_OPEN_MIGRATE, NULL, NULL, NULL, &db, &D.err), 0, "%s", D.err.msg);
	cr_assert_eq(D.be->begin(db, SC_TX_READ, &D.err), 0, "%s", D.err.msg);
	cr_assert_eq(D.be->schema_version(db, &version, &app, &D.err), 0, "%s", D.err.msg);
	D.be->rollback(db);
	cr_expect_eq(version, 0);
	cr_expect(!app, "app_tables true on an empty database");
	/* begin_checked, where there is one, tells the same (PostgreSQL:
	 * without the version function, from the tables) in a transaction
	 * that works */
	if (D.be->begin_checked) {
		version = -1;
		app = true;
		cr_assert_eq(D.be->begin_checked(db, SC_TX_READ, &version, &app, &D.err), 0, "%s",
			     D.err.msg);
		cr_expect_eq(version, 0);
		cr_expect(!app, "begin_checked: app_tables true on an empty database");
		cr_expect_eq(D.be->schema_version(db, &version, &app, &D.err), 0, "%s", D.err.msg);
		cr_expect_eq(D.be->commit(db, &D.err), 0, "%s", D.err.msg);
	}
	sc_db_close(db);
	D.drv->drop(handle);
}

static void case_find_user(void)
{
	static const struct {
		int kind;
		int64_t id;
		const char *text;
		int rc;
		int64_t want;
		const char *email, *username, *role;
	} cases[] = {
		{ SC_USER_BY_ID, 1, "1", 0, 1, "alice@example.com", "alice", "user" },
		{ SC_USER_BY_ID, 99, "99", 1, 0, NULL, NULL, NULL },
		{ SC_USER_BY_ID, 0, "0", 1, 0, NULL, NULL, NULL },
		{ SC_USER_BY_EMAIL, -1, "bob@example.com", 0, 2, "bob@example.com", "bob", "admin" },
		{ SC_USER_BY_EMAIL, -1, "BOB@example.com", 1, 0, NULL, NULL, NULL },
		{ SC_USER_BY_EMAIL, -1, "nobody@example.com", 1, 0, NULL, NULL, NULL },
		{ SC_USER_BY_NAME, -1, "alice", 0, 1, "alice@example.com", "alice", "user" },
		{ SC_USER_BY_NAME, -1, "twin", 2, 0, NULL, NULL, NULL },
		{ SC_USER_BY_NAME, -1, "x' OR '1'='1", 1, 0, NULL, NULL, NULL },
		{ SC_USER_BY_ID, 5, "5", 0, 5, NULL, NULL, "user" },
	};

	begin(SC_TX_READ);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sc_userref ref = { cases[i].kind, cases[i].id, cases[i].text };
		struct sc_user u = { 0 };
		struct sc_error err = { 0 };
		int rc = D.be->find_user(D.db, &ref, &u, &err);
		cr_expect_eq(rc, cases[i].rc, "%s: find_user('%s') = %d, expected %d (%s)", D.be->name,
			     cases[i].text, rc, cases[i].rc, err.msg);
		if (rc == 0 && cases[i].rc == 0) {
			cr_expect_eq(u.id, cases[i].want);
#define STR_OR_NULL(got, want) \
	cr_expect((want) ? (got) && strcmp((got), (want)) == 0 : (got) == NULL, \
		  "'%s': %s is '%s', expected '%s'", cases[i].text, #got, (got) ? (got) : "NULL", \
		  (want) ? (want) : "NULL")
			STR_OR_NULL(u.email, cases[i].email);
			STR_OR_NULL(u.username, cases[i].username);
			STR_OR_NULL(u.role, cases[i].role);
#undef STR_OR_NULL
		}
		if (rc != 0)
			cr_expect_eq(err.status, 0, "'%s': err set on rc %d", cases[i].text, rc);
		sc_user_free(&u);
	}
	commit();
}

static struct rows list(struct sc_list_request req)
{
	struct rows r = { 0 };
	cr_assert_eq(D.be->list_sessions(D.db, &req, on_row, &r, &D.err), 0, "list_sessions: %s",
		     D.err.msg);
	return r;
}

static void case_list_sessions(void)
{
	struct rows r;

	begin(SC_TX_READ);
	/* last_activity descending, NULLs last, then id descending */
	r = list((struct sc_list_request){ .user_id = 1 });
	EXPECT_IDS(&r, 4, 1, 2, 10, 3);
	r = list((struct sc_list_request){ .user_id = 1, .all = true });
	EXPECT_IDS(&r, 5, 4, 1, 2, 10, 3);
	r = list((struct sc_list_request){ .user_id = 1, .all = true, .device_type = "desktop" });
	EXPECT_IDS(&r, 5, 1, 10);
	r = list((struct sc_list_request){ .user_id = 1, .has_idle_before = true, .idle_before = T - 300 });
	EXPECT_IDS(&r, 2, 10);
	r = list((struct sc_list_request){ .user_id = 1, .limit = 2 });
	EXPECT_IDS(&r, 4, 1);
	r = list((struct sc_list_request){ .user_id = 4, .all = true });
	EXPECT_NO_IDS(r.id, r.n);
	r = list((struct sc_list_request){ .user_id = 2, .all = true });
	EXPECT_IDS(&r, 9, 6, 7);
	/* A callback's non-zero return stops the listing and is returned. */
	struct rows stop = { .stop_after = 2 };
	struct sc_list_request req = { .user_id = 1 };
	cr_expect_eq(D.be->list_sessions(D.db, &req, on_row, &stop, &D.err), 1);
	cr_expect_eq(stop.n, 2);
	cr_expect_eq(D.err.status, 0);
	commit();
}

static void case_get_session(void)
{
	struct rows r;
	struct sc_error err = { 0 };
	char buf[64];

	begin(SC_TX_READ);
	r = get(1);
	cr_expect_eq(r.user_id[0], 1);
	cr_expect_str_eq(r.fp[0], "a1");
	cr_expect_str_eq(r.name[0], "Laptop");
	cr_expect_str_eq(r.ip[0], "10.0.0.1");
	cr_expect_eq(r.created[0], T - CREATED_AGO, "created_at %lld", (long long)r.created[0]);
	cr_expect_eq(r.la[0], T - 100, "last_activity %lld", (long long)r.la[0]);
	cr_expect(!r.la_null[0] && r.active[0]);
	r = get(3);
	cr_expect(r.la_null[0], "NULL last_activity not reported as NULL");
	cr_expect_str_eq(r.name[0], "(null)");
	r = get(5);
	cr_expect(!r.active[0]);
	struct rows none = { 0 };
	cr_expect_eq(D.be->get_session(D.db, 999, on_row, &none, &err), -1);
	cr_expect_eq(err.status, SC_NOINPUT, "status %d: %s", err.status, err.msg);
	cr_expect_eq(none.n, 0);
	snprintf(buf, sizeof(buf), "%d", 999);
	cr_expect(strstr(err.msg, buf) != NULL, "the message does not name the id: %s", err.msg);
	commit();
}

static void case_counts_and_totals(void)
{
	int64_t n = -1, maxs = -1, maxu = -1;
	struct sc_totals t = { 0 };

	begin(SC_TX_READ);
	cr_assert_eq(D.be->count_active(D.db, 1, &n, &D.err), 0, "%s", D.err.msg);
	cr_expect_eq(n, 5);
	cr_assert_eq(D.be->count_active(D.db, 2, &n, &D.err), 0, "%s", D.err.msg);
	cr_expect_eq(n, 1);
	cr_assert_eq(D.be->count_active(D.db, 5, &n, &D.err), 0, "%s", D.err.msg);
	cr_expect_eq(n, 0);
	cr_assert_eq(D.be->totals(D.db, &t, &D.err), 0, "%s", D.err.msg);
	cr_expect(t.users == 5 && t.users_active == 3 && t.sessions == 10 && t.active == 7 &&
		  t.inactive == 3, "totals %lld users, %lld active users, %lld sessions, %lld active, "
		  "%lld inactive", (long long)t.users, (long long)t.users_active, (long long)t.sessions,
		  (long long)t.active, (long long)t.inactive);
	cr_assert_eq(D.be->id_bounds(D.db, &maxs, &maxu, &D.err), 0, "%s", D.err.msg);
	cr_expect(maxs == 10 && maxu == 3, "id_bounds %lld %lld", (long long)maxs, (long long)maxu);
	commit();
}

struct counts {
	size_t n;
	int64_t user[8], active[8];
	char email[8][32], username[8][32];
};

static int on_count(const struct sc_user_count *c, void *ctx)
{
	struct counts *v = ctx;
	cr_assert_lt(v->n, 8);
	v->user[v->n] = c->user_id;
	v->active[v->n] = c->active;
	snprintf(v->email[v->n], 32, "%s", c->email ? c->email : "(null)");
	snprintf(v->username[v->n], 32, "%s", c->username ? c->username : "(null)");
	v->n++;
	return 0;
}

static void case_count_by_user(void)
{
	struct counts c = { 0 };

	begin(SC_TX_READ);
	cr_assert_eq(D.be->count_by_user(D.db, 0, on_count, &c, &D.err), 0, "%s", D.err.msg);
	/* most first, then by id */
	expect_ids(c.user, c.n, (const int64_t[]){ 1, 2, 3 }, 3, "1, 2, 3");
	cr_expect(c.active[0] == 5 && c.active[1] == 1 && c.active[2] == 1);
	cr_expect_str_eq(c.email[0], "alice@example.com");
	cr_expect_str_eq(c.username[2], "twin");
	memset(&c, 0, sizeof(c));
	cr_assert_eq(D.be->count_by_user(D.db, 1, on_count, &c, &D.err), 0, "%s", D.err.msg);
	expect_ids(c.user, c.n, (const int64_t[]){ 1 }, 1, "1");
	memset(&c, 0, sizeof(c));
	cr_assert_eq(D.be->count_by_user(D.db, 5, on_count, &c, &D.err), 0, "%s", D.err.msg);
	EXPECT_NO_IDS(c.user, c.n);
	commit();
}

static void case_recent_sessions(void)
{
	struct rows r = { 0 };

	begin(SC_TX_READ);
	cr_assert_eq(D.be->recent_sessions(D.db, 3, on_row, &r, &D.err), 0, "%s", D.err.msg);
	EXPECT_IDS(&r, 10, 8, 6);
	commit();
}

static struct sc_ids cand(bool active, int64_t cutoff, const int64_t *user, int64_t from,
			  int64_t limit)
{
	struct sc_ids ids = { 0 };
	cr_assert_eq(D.be->candidates(D.db, active, cutoff, user, from, limit, &ids, &D.err), 0,
		     "candidates: %s", D.err.msg);
	return ids;
}

#define EXPECT_SC_IDS(ids, ...)                                                                \
	do {                                                                                   \
		struct sc_ids ids_ = (ids);                                                    \
		expect_ids(ids_.v, ids_.n, (const int64_t[]){ __VA_ARGS__ },                   \
			   sizeof((const int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t), #__VA_ARGS__); \
		sc_ids_free(&ids_);                                                            \
	} while (0)
#define EXPECT_SC_NONE(ids)                               \
	do {                                              \
		struct sc_ids ids_ = (ids);               \
		EXPECT_NO_IDS(ids_.v, ids_.n);            \
		sc_ids_free(&ids_);                       \
	} while (0)

static void case_candidates(void)
{
	int64_t u1 = 1, u2 = 2, u4 = 4;

	begin(SC_TX_READ);
	/* active and idle before the cutoff, ascending id; NULL last_activity never */
	EXPECT_SC_IDS(cand(true, T - 1000, NULL, INT64_MIN, 100), 6, 10);
	EXPECT_SC_IDS(cand(true, T - 99, NULL, INT64_MIN, 100), 1, 2, 4, 6, 10);
	EXPECT_SC_IDS(cand(true, T - 100, NULL, INT64_MIN, 100), 2, 6, 10); /* strictly before */
	EXPECT_SC_IDS(cand(true, T - 1000, &u1, INT64_MIN, 100), 10);
	EXPECT_SC_NONE(cand(true, T - 1000, &u4, INT64_MIN, 100));
	/* paging: from (the id itself included) and limit */
	EXPECT_SC_IDS(cand(true, T - 99, NULL, INT64_MIN, 2), 1, 2);
	EXPECT_SC_IDS(cand(true, T - 99, NULL, 3, 2), 4, 6);
	EXPECT_SC_IDS(cand(true, T - 99, NULL, 6, 2), 6, 10);
	EXPECT_SC_IDS(cand(true, T - 99, NULL, 7, 2), 10);
	EXPECT_SC_NONE(cand(true, T - 99, NULL, 11, 2));
	/* inactive: rows to purge */
	EXPECT_SC_IDS(cand(false, T - 1000, NULL, INT64_MIN, 100), 7, 9);
	EXPECT_SC_IDS(cand(false, T - 10, NULL, INT64_MIN, 100), 5, 7, 9);
	EXPECT_SC_IDS(cand(false, T - 10, &u2, 8, 100), 9);
	EXPECT_SC_IDS(cand(false, T - 10, NULL, 7, 100), 7, 9);
	/* appends to what out holds */
	struct sc_ids ids = { 0 };
	sc_ids_push(&ids, 42);
	cr_assert_eq(D.be->candidates(D.db, false, T - 1000, NULL, INT64_MIN, 10, &ids, &D.err), 0);
	EXPECT_SC_IDS(ids, 42, 7, 9);
	commit();
}

/* The fixture's active sessions per user: u1 1, 2, 3, 4 and 10; u2 6;
 * u3 8. */
static int64_t fx_active(int64_t user)
{
	return user == 1 ? 5 : user == 2 || user == 3 ? 1 : 0;
}

/* users_over_limit, with the excess it gives each user checked (and
 * once without asking for it: the same users). */
static struct sc_ids over_in(int64_t max, int64_t since, int64_t from, int64_t limit)
{
	struct sc_ids ids = { 0 }, excess = { 0 }, plain = { 0 };
	cr_assert_eq(D.be->users_over_limit(D.db, max, since, from, limit, &ids, &excess, &D.err), 0,
		     "users_over_limit: %s", D.err.msg);
	cr_assert_eq(excess.n, ids.n, "%zu excess counts for %zu users", excess.n, ids.n);
	for (size_t i = 0; i < ids.n; i++)
		cr_expect_eq(excess.v[i], fx_active(ids.v[i]) - max, "user %lld: excess %lld, expected %lld",
			     (long long)ids.v[i], (long long)excess.v[i],
			     (long long)(fx_active(ids.v[i]) - max));
	cr_assert_eq(D.be->users_over_limit(D.db, max, since, from, limit, &plain, NULL, &D.err), 0,
		     "users_over_limit: %s", D.err.msg);
	cr_expect(plain.n == ids.n && (!ids.n || !memcmp(plain.v, ids.v, ids.n * sizeof(*ids.v))),
		  "other users without the excess");
	sc_ids_free(&excess);
	sc_ids_free(&plain);
	return ids;
}

static struct sc_ids over(int64_t max, int64_t from, int64_t limit)
{
	return over_in(max, INT64_MIN, from, limit);
}

static struct sc_ids over_cand(const int64_t *users, size_t n, int64_t keep)
{
	struct sc_ids ids = { 0 };
	cr_assert_eq(D.be->over_limit_candidates(D.db, users, n, keep, &ids, &D.err), 0,
		     "over_limit_candidates: %s", D.err.msg);
	if (ids.n) /* the order is not the contract's */
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_id);
	return ids;
}

static void case_device_limit_reads(void)
{
	begin(SC_TX_READ);
	EXPECT_SC_IDS(over(1, INT64_MIN, 10), 1);
	EXPECT_SC_IDS(over(0, INT64_MIN, 10), 1, 2, 3);
	EXPECT_SC_IDS(over(0, 2, 10), 2, 3); /* from user 2, included */
	EXPECT_SC_IDS(over(0, 3, 10), 3);
	EXPECT_SC_IDS(over(0, INT64_MIN, 2), 1, 2);
	EXPECT_SC_NONE(over(5, INT64_MIN, 10));
	EXPECT_SC_IDS(over(4, INT64_MIN, 10), 1);
	/* u1's active sessions ranked: 4, 1 (tie on time: higher id first), 2, 10, 3 (NULL) */
	EXPECT_SC_IDS(over_cand((const int64_t[]){ 1 }, 1, 2), 2, 3, 10);
	EXPECT_SC_IDS(over_cand((const int64_t[]){ 1 }, 1, 1), 1, 2, 3, 10);
	EXPECT_SC_IDS(over_cand((const int64_t[]){ 1 }, 1, 4), 3);
	EXPECT_SC_IDS(over_cand((const int64_t[]){ 1, 2, 3 }, 3, 4), 3);
	EXPECT_SC_IDS(over_cand((const int64_t[]){ 1, 2 }, 2, 0), 1, 2, 3, 4, 6, 10);
	EXPECT_SC_NONE(over_cand((const int64_t[]){ 2, 3 }, 2, 1));
	commit();
}

static bool has_id(const struct sc_ids *ids, int64_t id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (ids->v[i] == id)
			return true;
	return false;
}

static struct sc_ids idle_from(int64_t from, int64_t cutoff, int64_t limit)
{
	struct sc_ids ids = { 0 };
	cr_assert_eq(D.be->idle_sessions(D.db, from, cutoff, limit, &ids, &D.err), 0,
		     "idle_sessions: %s", D.err.msg);
	return ids;
}

static struct sc_ids idle(int64_t cutoff, int64_t limit)
{
	return idle_from(INT64_MIN, cutoff, limit);
}

/* idle_sessions from `from`: every idle session from it on (must), ids
 * ascending, none that is not idle; and none of `never` (idle, but so
 * long before from that no over-approximation reaches it). */
static void expect_idle_from(int64_t from, int64_t cutoff, const int64_t *must, size_t nmust,
			     int64_t never)
{
	struct sc_ids all = idle(cutoff, 100), got = idle_from(from, cutoff, 100);
	for (size_t i = 0; i < nmust; i++)
		cr_expect(has_id(&got, must[i]), "from %lld: session %lld (idle, after from) missing",
			  (long long)(from - T), (long long)must[i]);
	for (size_t i = 0; i < got.n; i++) {
		cr_expect(has_id(&all, got.v[i]), "from %lld: session %lld is not idle",
			  (long long)(from - T), (long long)got.v[i]);
		cr_expect(i == 0 || got.v[i - 1] < got.v[i], "ids not ascending");
	}
	cr_expect(!has_id(&got, never), "from %lld: session %lld, long before from, found",
		  (long long)(from - T), (long long)never);
	sc_ids_free(&all);
	sc_ids_free(&got);
}

static struct sc_ids over_since(int64_t max, int64_t since)
{
	return over_in(max, since, INT64_MIN, 100);
}

/* enforce's steady state: the idle sessions through the index (the same
 * set as candidates), the users active since a time (never fewer than
 * those; a backend may give more), and the record of the last run. */
static void case_steady_state_reads(void)
{
	if (!D.be->idle_sessions) {
		cr_expect_null(D.be->enforce_state_get, "state without the index slots");
		return;
	}
	begin(SC_TX_READ);
	EXPECT_SC_IDS(idle(T - 1000, 100), 6, 10);
	EXPECT_SC_IDS(idle(T - 99, 100), 1, 2, 4, 6, 10);
	EXPECT_SC_IDS(idle(T - 100, 100), 2, 6, 10); /* strictly before */
	EXPECT_SC_IDS(idle(T + 400 * 86400LL, 100), 1, 2, 4, 6, 8, 10); /* NULL never */
	EXPECT_SC_NONE(idle(T - 300000, 100));
	/* more than limit: stops at limit + 1 of them (which ones: any) */
	struct sc_ids some = idle(T - 99, 2);
	cr_expect_eq(some.n, 3, "%zu ids for a limit of 2 with 5 idle", some.n);
	for (size_t i = 0; i < some.n; i++)
		cr_expect(some.v[i] == 1 || some.v[i] == 2 || some.v[i] == 4 || some.v[i] == 6 ||
			  some.v[i] == 10, "id %lld is not idle", (long long)some.v[i]);
	sc_ids_free(&some);
	/* from a time on: 10 (200000 s before T) is long before T-100000;
	 * the closed 7 and 9 in range are never idle */
	expect_idle_from(T - 100000, T - 99, (const int64_t[]){ 1, 2, 4, 6 }, 4, 10);
	expect_idle_from(T - 300, T - 99, (const int64_t[]){ 1, 2, 4 }, 3, 10);
	expect_idle_from(T - 100, T - 99, (const int64_t[]){ 1, 4 }, 2, 10);
	expect_idle_from(T - 99, T - 99, NULL, 0, 10);

	/* u1 (sessions at T-100) and u3 (T-10) were active since T-150 */
	struct sc_ids ids = over_since(0, T - 150);
	cr_expect(has_id(&ids, 1) && has_id(&ids, 3), "users active since T-150: not 1 and 3");
	cr_expect(!has_id(&ids, 4) && !has_id(&ids, 5), "users without sessions given");
	for (size_t i = 1; i < ids.n; i++)
		cr_expect_lt(ids.v[i - 1], ids.v[i], "users not in ascending order");
	sc_ids_free(&ids);
	EXPECT_SC_IDS(over_since(4, T - 150), 1);              /* and over the limit */
	EXPECT_SC_NONE(over_since(1, T - 150 + 3 * 86400LL));  /* nobody active since */
	EXPECT_SC_IDS(over_since(0, T - 300000), 1, 2, 3);     /* everybody */
	ids = (struct sc_ids){ 0 };
	cr_assert_eq(D.be->users_over_limit(D.db, 0, T - 300000, 2, 1, &ids, NULL, &D.err), 0, "%s",
		     D.err.msg);
	EXPECT_SC_IDS(ids, 2); /* from (included) and limit still page */
	commit();

	/* the record: none at first, then what was put, replaced whole */
	struct sc_enforce_state st = { 0 };
	bool found = true;
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->enforce_state_get(D.db, &st, &found, &D.err), 0, "%s", D.err.msg);
	cr_expect(!found, "a fresh database has an enforce record");
	cr_assert_eq(D.be->enforce_state_put(D.db, &(struct sc_enforce_state){ 3, T - 3600, T, T - 7200, NULL },
					     &D.err), 0, "%s", D.err.msg);
	commit();
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->enforce_state_get(D.db, &st, &found, &D.err), 0, "%s", D.err.msg);
	cr_expect(found && st.max_sessions == 3 && st.since == T - 3600 && st.full_at == T &&
			  st.idle_cutoff == T - 7200,
		  "read back %lld %lld %lld %lld", (long long)st.max_sessions, (long long)st.since,
		  (long long)st.full_at, (long long)st.idle_cutoff);
	/* migrate made every index the incremental pass reads */
	cr_expect_null(st.full_why, "a migrated database needs full passes: %s", st.full_why);
	cr_assert_eq(D.be->enforce_state_put(D.db, &(struct sc_enforce_state){ 5, INT64_MIN + 1, 0, T, NULL },
					     &D.err), 0, "%s", D.err.msg);
	D.be->rollback(D.db); /* transactional */
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->enforce_state_get(D.db, &st, &found, &D.err), 0, "%s", D.err.msg);
	cr_expect(found && st.max_sessions == 3, "a rolled-back put stayed");
	cr_assert_eq(D.be->enforce_state_put(D.db, &(struct sc_enforce_state){ 5, INT64_MIN + 1, 0,
										INT64_MIN, NULL },
					     &D.err), 0, "%s", D.err.msg);
	commit();
	begin(SC_TX_READ);
	cr_assert_eq(D.be->enforce_state_get(D.db, &st, &found, &D.err), 0, "%s", D.err.msg);
	cr_expect(found && st.max_sessions == 5 && st.since == INT64_MIN + 1 && st.full_at == 0 &&
			  st.idle_cutoff == INT64_MIN,
		  "the second put did not replace the first (idle_cutoff %lld: not known)",
		  (long long)st.idle_cutoff);
	commit();
}

static void case_sessions_by_ids(void)
{
	struct rows r = { 0 };
	const int64_t ids[] = { 10, 1, 999, 5, 6 };

	begin(SC_TX_READ);
	cr_assert_eq(D.be->sessions_by_ids(D.db, ids, 5, on_row, &r, &D.err), 0, "%s", D.err.msg);
	EXPECT_IDS(&r, 1, 5, 6, 10);
	commit();
}

static void case_close_sessions(void)
{
	struct rows r = { 0 };
	const int64_t ids[] = { 1, 5, 6, 999 };
	/* --now (T - 999) and the real time of the change (T + 5) differ */
	struct sc_change ch = { "logout", "ops", "compromised", T - 999, true, false, 0, NULL, 0,
				T + 5 };

	begin(SC_TX_WRITE);
	/* 5 is closed already, 999 does not exist: skipped */
	cr_expect_eq(D.be->close_sessions(D.db, ids, 4, &ch, on_row, &r, &D.err), 2, "%s", D.err.msg);
	commit();
	qsort(r.id, r.n, sizeof(r.id[0]), cmp_id);
	EXPECT_IDS(&r, 1, 6);
	for (size_t i = 0; i < r.n; i++)
		cr_expect(!r.active[i], "row %lld passed to cb as it was before the change",
			  (long long)r.id[i]);
	begin(SC_TX_READ);
	cr_expect(!get(1).active[0] && !get(6).active[0]);
	cr_expect(get(2).active[0], "a session not named was closed");
	commit();

	struct audit_rows a = history(NULL);
	cr_assert_eq(a.n, 2, "%zu audit rows", a.n);
	for (size_t i = 0; i < a.n; i++) {
		cr_expect_str_eq(a.action[i], "logout");
		cr_expect_str_eq(a.actor[i], "ops");
		cr_expect_str_eq(a.reason[i], "compromised");
		cr_expect_eq(a.at[i], T + 5, "created_at is not the real time of the change");
		cr_expect_eq(a.evaluated[i], T - 999, "evaluated_at is not ch->now");
		cr_expect(!a.session_null[i]);
		cr_expect_eq(a.user_id[i], a.session_id[i] == 1 ? 1 : 2);
	}
	expect_snapshot(&a, audit_of(&a, 1), "alice@example.com", "Laptop", "10.0.0.1", "desktop");
	expect_snapshot(&a, audit_of(&a, 6), "bob@example.com", "Work", "192.0.2.1", "desktop");

	/* no audit; cb NULL; already closed */
	ch.audit = false;
	begin(SC_TX_WRITE);
	cr_expect_eq(D.be->close_sessions(D.db, (const int64_t[]){ 1, 2 }, 2, &ch, NULL, NULL, &D.err), 1,
		     "%s", D.err.msg);
	commit();
	cr_expect_eq(history(NULL).n, 2, "audit rows written with ch->audit false");
}

static void case_close_users_sessions(void)
{
	struct rows r = { 0 };
	const int64_t alice = 1, keep = 4, two[] = { 1, 3 };
	struct sc_change ch = { "logout-all", "ops", NULL, T - 7, true, false, 0, &alice, 1, T + 3 };

	begin(SC_TX_WRITE);
	/* alice's active sessions but 4: 1, 2, 3 (no times), 10; 5 is closed */
	cr_expect_eq(D.be->close_users_sessions(D.db, &keep, 1, &ch, on_row, &r, &D.err), 4, "%s",
		     D.err.msg);
	commit();
	qsort(r.id, r.n, sizeof(r.id[0]), cmp_id);
	EXPECT_IDS(&r, 1, 2, 3, 10);
	for (size_t i = 0; i < r.n; i++)
		cr_expect(!r.active[i], "row %lld passed to cb as it was before the change",
			  (long long)r.id[i]);
	begin(SC_TX_READ);
	cr_expect(get(4).active[0], "the exception was closed");
	cr_expect(get(6).active[0] && get(8).active[0], "another user's session was closed");
	commit();
	struct audit_rows a = history(NULL);
	cr_assert_eq(a.n, 4, "%zu audit rows", a.n);
	for (size_t i = 0; i < a.n; i++) {
		cr_expect_str_eq(a.action[i], "logout-all");
		cr_expect_eq(a.user_id[i], 1);
		cr_expect_eq(a.at[i], T + 3, "created_at is not the real time of the change");
		cr_expect_eq(a.evaluated[i], T - 7, "evaluated_at is not ch->now");
	}
	expect_snapshot(&a, audit_of(&a, 1), "alice@example.com", "Laptop", "10.0.0.1", "desktop");

	/* two users, no exception, no audit, cb NULL: 4 and carol's 8 */
	ch.audit = false;
	ch.users = two;
	ch.nusers = 2;
	begin(SC_TX_WRITE);
	cr_expect_eq(D.be->close_users_sessions(D.db, NULL, 0, &ch, NULL, NULL, &D.err), 2, "%s",
		     D.err.msg);
	commit();
	begin(SC_TX_READ);
	cr_expect(!get(4).active[0] && !get(8).active[0] && get(6).active[0]);
	commit();
	cr_expect_eq(history(NULL).n, 4, "audit rows written with ch->audit false");
}

static void case_close_rechecks_idle_before(void)
{
	struct rows r = { 0 };
	/* 2: idle since T-300 (exactly idle_before: not before it); 4: since
	 * T-100; 3: NULL; 10: T-200000 */
	const int64_t ids[] = { 2, 3, 4, 10 };
	struct sc_change ch = { "expire", "cron", NULL, T, true, true, T - 300, NULL, 0, T };

	begin(SC_TX_WRITE);
	cr_expect_eq(D.be->close_sessions(D.db, ids, 4, &ch, on_row, &r, &D.err), 1, "%s", D.err.msg);
	commit();
	EXPECT_IDS(&r, 10);
	begin(SC_TX_READ);
	cr_expect(get(2).active[0] && get(3).active[0] && get(4).active[0],
		  "a session not idle before idle_before was closed");
	commit();
	struct audit_rows a = history(NULL);
	cr_expect_eq(a.n, 1);
	for (size_t i = 0; i < a.n; i++)
		cr_expect_str_eq(a.reason[i], "(null)");
}

static void case_purge_sessions(void)
{
	struct rows r = { 0 };
	const int64_t ids[] = { 5, 6, 7, 999 };
	struct sc_change ch = { "purge", "cron", NULL, T + 7, true, false, 0, NULL, 0, T + 8 };

	begin(SC_TX_WRITE);
	/* 6 is active: never deleted */
	cr_expect_eq(D.be->purge_sessions(D.db, ids, 4, &ch, on_row, &r, &D.err), 2, "%s", D.err.msg);
	commit();
	qsort(r.id, r.n, sizeof(r.id[0]), cmp_id);
	EXPECT_IDS(&r, 5, 7);
	begin(SC_TX_READ);
	cr_expect(!exists(5) && !exists(7), "a purged session is still there");
	cr_expect(exists(6), "an active session was purged");
	commit();
	struct audit_rows a = history(NULL);
	cr_assert_eq(a.n, 2);
	cr_expect(strcmp(a.action[0], "purge") == 0 && strcmp(a.action[1], "purge") == 0);
	int64_t sids[2] = { a.session_id[0], a.session_id[1] };
	qsort(sids, 2, sizeof(sids[0]), cmp_id);
	cr_expect(sids[0] == 5 && sids[1] == 7, "audit rows for sessions %lld, %lld",
		  (long long)sids[0], (long long)sids[1]);
	cr_expect(a.user_id[0] == 1 || a.user_id[0] == 2);
	/* The rows are gone; their audit rows still say what they were. */
	expect_snapshot(&a, audit_of(&a, 5), "alice@example.com", "Old", "10.0.0.5", "desktop");
	expect_snapshot(&a, audit_of(&a, 7), "bob@example.com", "Gone", "192.0.2.2", "mobile");
	cr_expect(a.at[0] == T + 8 && a.at[1] == T + 8 && a.evaluated[0] == T + 7);
}

/* The writes of a batch's retry after a lock wait (db->skip_locked) with
 * no row held by another transaction: the same changes, nothing counted
 * as left; the rows the change would not take anyway (closed, not idle
 * before the cutoff, active for a purge, missing) are not counted either. */
static void skipping(void (*c)(void))
{
	D.db->skip_locked = true;
	c();
	D.db->skip_locked = false;
	cr_expect_eq(D.db->left_closes.n + D.db->left_purges.n, 0, "%zu rows left",
		     D.db->left_closes.n + D.db->left_purges.n);
}

static void case_close_sessions_skipping(void) { skipping(case_close_sessions); }
static void case_close_rechecks_skipping(void) { skipping(case_close_rechecks_idle_before); }
static void case_purge_sessions_skipping(void) { skipping(case_purge_sessions); }

static void case_upsert_session(void)
{
	struct rows r = { 0 };
	bool created = false;
	struct sc_change ch = { "create", "ops", NULL, T + 60, true, false, 0, NULL, 0, T + 61 };
	struct sc_new_session ns = { 3, "new-device", "Desk", "desktop", "Firefox", "198.51.100.7" };
	int64_t n;

	begin(SC_TX_WRITE);
	if (D.be->lock_users)
		cr_assert_eq(D.be->lock_users(D.db, &(struct sc_ids){ &ns.user_id, 1, 1 }, &D.err), 0,
			     "%s", D.err.msg);
	cr_assert_eq(D.be->upsert_session(D.db, &ns, &ch, &created, on_row, &r, &D.err), 0, "%s",
		     D.err.msg);
	commit();
	cr_assert_eq(r.n, 1);
	cr_expect(created, "an insert reported as a refresh");
	cr_expect_gt(r.id[0], NFX, "new session id %lld reuses a fixture id", (long long)r.id[0]);
	cr_expect(r.active[0] && r.la[0] == T + 60 && r.created[0] == T + 60 && r.user_id[0] == 3);
	cr_expect_str_eq(r.name[0], "Desk");
	int64_t new_id = r.id[0];
	begin(SC_TX_READ);
	struct rows g = get(new_id);
	cr_expect_str_eq(g.fp[0], "new-device");
	cr_expect_str_eq(g.ip[0], "198.51.100.7");
	commit();

	/* Refresh of an inactive session: active again, given fields replace,
	 * NULL ones keep the old value. */
	struct sc_new_session again = { 1, "a5", NULL, NULL, NULL, "10.9.9.9" };
	memset(&r, 0, sizeof(r));
	ch.now = T + 120;
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->upsert_session(D.db, &again, &ch, &created, on_row, &r, &D.err), 0, "%s",
		     D.err.msg);
	commit();
	cr_assert_eq(r.n, 1);
	cr_expect(!created, "a refresh reported as an insert");
	cr_expect_eq(r.id[0], 5);
	cr_expect(r.active[0] && r.la[0] == T + 120);
	cr_expect_eq(r.created[0], T - CREATED_AGO, "a refresh changed created_at");
	cr_expect_str_eq(r.name[0], "Old", "a NULL device_name replaced the old one");
	cr_expect_str_eq(r.ip[0], "10.9.9.9");
	begin(SC_TX_READ);
	cr_assert_eq(D.be->count_active(D.db, 1, &n, &D.err), 0, "%s", D.err.msg);
	cr_expect_eq(n, 6);
	commit();
	struct audit_rows a = history(NULL);
	cr_assert_eq(a.n, 2);
	cr_expect(a.session_id[0] == 5 && a.session_id[1] == new_id && a.user_id[1] == 3 &&
		  strcmp(a.action[0], "create") == 0);
	/* The snapshot is the row as the change left it; times: the real one
	 * and the rules' (the session's times). */
	expect_snapshot(&a, 1, "carol@example.com", "Desk", "198.51.100.7", "desktop");
	expect_snapshot(&a, 0, "alice@example.com", "Old", "10.9.9.9", "desktop");
	cr_expect(a.at[1] == T + 61 && a.evaluated[1] == T + 60 && a.evaluated[0] == T + 120);

	/* Without audit: no row. */
	ch.audit = false;
	ch.now = T + 180;
	struct sc_new_session third = { 2, "b-new", NULL, NULL, NULL, NULL };
	memset(&r, 0, sizeof(r));
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->upsert_session(D.db, &third, &ch, &created, on_row, &r, &D.err), 0);
	commit();
	cr_expect(created);
	cr_expect_str_eq(r.name[0], "(null)");
	cr_expect_eq(history(NULL).n, 2);
}

/* Audit rows with distinct times, then every filter of history. */
static void case_history(void)
{
	/* ch.now (the rules' time) is far from recorded_at: history orders
	 * and filters by the real time of the change. */
	struct sc_change ch = { "logout", "ops", "r1", T - 5000, true, false, 0, NULL, 0, T + 10 };
	struct audit_rows a;

	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->close_sessions(D.db, (const int64_t[]){ 6 }, 1, &ch, NULL, NULL, &D.err), 1);
	commit();
	ch = (struct sc_change){ "purge", "cron", NULL, T + 9000, true, false, 0, NULL, 0, T + 30 };
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->purge_sessions(D.db, (const int64_t[]){ 7 }, 1, &ch, NULL, NULL, &D.err), 1);
	commit();
	/* an earlier time than the row before */
	ch = (struct sc_change){ "logout", "ops", NULL, T, true, false, 0, NULL, 0, T + 20 };
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->close_sessions(D.db, (const int64_t[]){ 1, 2 }, 2, &ch, NULL, NULL, &D.err), 2);
	commit();

	/* created_at descending, then id descending */
	a = history(NULL);
	cr_assert_eq(a.n, 4);
	cr_expect(a.at[0] == T + 30 && a.at[1] == T + 20 && a.at[2] == T + 20 && a.at[3] == T + 10,
		  "times %lld %lld %lld %lld", (long long)a.at[0], (long long)a.at[1],
		  (long long)a.at[2], (long long)a.at[3]);
	cr_expect_gt(a.id[1], a.id[2], "same time: not by id descending");
	cr_expect(a.session_id[0] == 7 && a.user_id[0] == 2);
	cr_expect_str_eq(a.action[0], "purge");
	cr_expect_str_eq(a.reason[3], "r1");
	cr_expect_str_eq(a.reason[0], "(null)");
	cr_expect_eq(a.more, 0, "no limit, yet %lld more", (long long)a.more);

	a = history(&(struct sc_history_request){ .has_user = true, .user_id = 2 });
	expect_ids(a.session_id, a.n, (const int64_t[]){ 7, 6 }, 2, "7, 6");
	a = history(&(struct sc_history_request){ .has_session = true, .session_id = 2 });
	expect_ids(a.session_id, a.n, (const int64_t[]){ 2 }, 1, "2");
	/* The bounds are microseconds. */
	a = history(&(struct sc_history_request){ .has_since = true, .since_us = (T + 20) * 1000000 });
	cr_expect_eq(a.n, 3, "since keeps created_at >= since: %zu rows", a.n);
	a = history(&(struct sc_history_request){ .has_since = true, .since_us = (T + 20) * 1000000 + 1 });
	cr_expect_eq(a.n, 1, "since a microsecond after T+20: %zu rows", a.n);
	/* until excludes a row exactly at it */
	a = history(&(struct sc_history_request){ .has_until = true, .until_us = (T + 20) * 1000000 });
	expect_ids(a.session_id, a.n, (const int64_t[]){ 6 }, 1, "until T+20: 6");
	a = history(&(struct sc_history_request){ .has_until = true, .until_us = (T + 20) * 1000000 + 1 });
	cr_expect_eq(a.n, 3, "until a microsecond after T+20: %zu rows", a.n);
	a = history(&(struct sc_history_request){ .has_since = true, .since_us = (T + 20) * 1000000,
						  .has_until = true, .until_us = (T + 30) * 1000000 });
	cr_expect(a.n == 2 && a.at[0] == T + 20 && a.at[1] == T + 20, "since and until: %zu rows", a.n);
	a = history(&(struct sc_history_request){ .actor = "cron" });
	expect_ids(a.session_id, a.n, (const int64_t[]){ 7 }, 1, "actor cron: 7");
	a = history(&(struct sc_history_request){ .actor = "op" });
	cr_expect_eq(a.n, 0, "actor matches a prefix: %zu rows", a.n);
	a = history(&(struct sc_history_request){ .action = "logout", .actor = "ops" });
	cr_expect_eq(a.n, 3);
	a = history(&(struct sc_history_request){ .action = "purge", .has_user = true, .user_id = 1 });
	cr_expect_eq(a.n, 0);
	a = history(&(struct sc_history_request){ .limit = 2 });
	cr_expect(a.n == 2 && a.at[0] == T + 30);
	cr_expect_eq(a.more, 2, "limit 2 of 4: %lld more", (long long)a.more);
	a = history(&(struct sc_history_request){ .limit = 4 });
	cr_expect(a.n == 4 && a.more == 0, "limit 4 of 4: %zu rows, %lld more", a.n, (long long)a.more);
	a = history(&(struct sc_history_request){ .limit = 1, .action = "logout" });
	cr_expect(a.n == 1 && a.more == 2, "limit 1 of 3 logouts: %zu rows, %lld more", a.n,
		  (long long)a.more);
	a = history(&(struct sc_history_request){ .has_user = true, .user_id = 1, .limit = 1 });
	cr_expect(a.n == 1 && a.user_id[0] == 1 && a.more == 1);
	a = history(&(struct sc_history_request){ .has_user = true, .user_id = 4 });
	cr_expect_eq(a.n, 0);
}

static void case_transactions(void)
{
	struct sc_change ch = { "logout", "ops", NULL, T, true, false, 0, NULL, 0, T };

	/* A rolled-back change leaves nothing, audit rows included. */
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->close_sessions(D.db, (const int64_t[]){ 1 }, 1, &ch, NULL, NULL, &D.err), 1);
	D.be->rollback(D.db);
	begin(SC_TX_READ);
	cr_expect(get(1).active[0], "a rolled-back close stayed");
	commit();
	cr_expect_eq(history(NULL).n, 0);
	/* rollback outside a transaction is harmless */
	D.be->rollback(D.db);
	begin(SC_TX_READ);
	commit();
}

static void case_optional_locks(void)
{
	int64_t users[] = { 1, 2, 3 };
	struct sc_ids all = { users, 3, 3 }, none = { users, 0, 3 };

	if (D.be->lock_users) {
		begin(SC_TX_WRITE);
		cr_expect_eq(D.be->lock_users(D.db, &all, &D.err), 0, "lock_users: %s", D.err.msg);
		cr_expect_eq(all.n, 3);
		cr_expect_eq(D.be->lock_users(D.db, &none, &D.err), 0, "lock_users(n=0): %s", D.err.msg);
		commit();
		/* Skipping what others hold, with nothing held: every user
		 * kept, none left. */
		begin(SC_TX_WRITE);
		D.db->skip_locked = true;
		cr_expect_eq(D.be->lock_users(D.db, &all, &D.err), 0, "lock_users: %s", D.err.msg);
		D.db->skip_locked = false;
		cr_expect_eq(all.n, 3);
		cr_expect_eq(D.db->left_users.n, 0);
		cr_expect(users[0] == 1 && users[1] == 2 && users[2] == 3);
		commit();
	}
	if (D.be->migrate_lock) {
		begin(SC_TX_MIGRATE);
		cr_expect_eq(D.be->migrate_lock(D.db, &D.err), 0, "migrate_lock: %s", D.err.msg);
		commit();
		/* released at the end of the transaction: taken again */
		begin(SC_TX_MIGRATE);
		cr_expect_eq(D.be->migrate_lock(D.db, &D.err), 0, "migrate_lock again: %s", D.err.msg);
		D.be->rollback(D.db);
	}
	/* Either way the backend's writes still work after them. */
	begin(SC_TX_READ);
	cr_expect(get(1).active[0]);
	commit();
}

static void case_migrate_is_idempotent(void)
{
	int napplied = -1;
	cr_assert_eq(sc_migrate_run(D.db, T, NULL, NULL, &napplied, &D.err), 0, "%s", D.err.msg);
	cr_expect_eq(napplied, 0);
	begin(SC_TX_READ);
	cr_expect_eq(get(1).id[0], 1, "migrating again lost the data");
	commit();
}

struct contract_case {
	const char *name;
	void (*fn)(void);
};

static const struct contract_case cases[] = {
	{ "schema_version and applied", case_schema },
	{ "schema_version of an empty database", case_schema_of_an_empty_database_is_zero },
	{ "find_user", case_find_user },
	{ "list_sessions order and filters", case_list_sessions },
	{ "get_session", case_get_session },
	{ "count_active, totals, id_bounds", case_counts_and_totals },
	{ "count_by_user", case_count_by_user },
	{ "recent_sessions", case_recent_sessions },
	{ "candidates", case_candidates },
	{ "users_over_limit and over_limit_candidates", case_device_limit_reads },
	{ "steady state: idle_sessions, users active since, the record", case_steady_state_reads },
	{ "sessions_by_ids", case_sessions_by_ids },
	{ "close_sessions", case_close_sessions },
	{ "close_sessions re-checks idle_before", case_close_rechecks_idle_before },
	{ "close_users_sessions", case_close_users_sessions },
	{ "purge_sessions", case_purge_sessions },
	{ "close_sessions skipping locked rows, none held", case_close_sessions_skipping },
	{ "close_sessions re-checks, skipping locked rows", case_close_rechecks_skipping },
	{ "purge_sessions skipping locked rows, none held", case_purge_sessions_skipping },
	{ "upsert_session", case_upsert_session },
	{ "history", case_history },
	{ "transactions", case_transactions },
	{ "optional lock slots", case_optional_locks },
	{ "migrate again", case_migrate_is_idempotent },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* ---- running the table against every backend ---- */

static size_t nbackends(void)
{
	size_t n = 0;
	while (sc_backend_table[n])
		n++;
	return n;
}

/* Whether the backend's driver can run here (PostgreSQL: a server). */
static bool runnable(const struct sc_backend_info *info)
{
	return strcmp(info->name, "postgresql") != 0 ||
	       (getenv("SESSCTL_TEST_PGHOST") && *getenv("SESSCTL_TEST_PGHOST"));
}

/* SESSCTL_TEST_CONTRACT_BACKEND=NAME runs only that backend's entries
 * (tests/run.sh's PostgreSQL section: SQLite's ran already). */
static bool selected(const struct sc_backend_info *info)
{
	const char *only = getenv("SESSCTL_TEST_CONTRACT_BACKEND");
	return !only || !*only || strcmp(only, info->name) == 0;
}

struct entry {
	size_t backend, c;
};

ParameterizedTestParameters(contract, backend_case)
{
	static struct entry entries[16 * NCASES];
	size_t n = 0;

	for (size_t b = 0; sc_backend_table[b] && b < 16; b++) {
		if (!selected(sc_backend_table[b]))
			continue;
		if (!runnable(sc_backend_table[b])) {
			fprintf(stderr, "test_backends: %s entries NOT run: SESSCTL_TEST_PGHOST is unset "
				"(tests/run.sh runs them in its PostgreSQL section)\n",
				sc_backend_table[b]->name);
			continue;
		}
		for (size_t c = 0; c < NCASES; c++)
			entries[n++] = (struct entry){ b, c };
	}
	return cr_make_param_array(struct entry, entries, n);
}

ParameterizedTest(struct entry *e, contract, backend_case, .fini = close_fresh, .timeout = 60)
{
	const struct sc_backend_info *info = sc_backend_table[e->backend];

	cr_log_info("%s: %s", info->name, cases[e->c].name);
	cr_assert(open_fresh(info), "%s: no database", info->name);
	cases[e->c].fn();
}

Test(contract, every_backend_has_a_driver)
{
	size_t n = nbackends(), chosen = 0;
	cr_assert_gt(n, 0);
	for (size_t b = 0; b < n; b++)
		chosen += selected(sc_backend_table[b]);
	cr_expect_gt(chosen, 0, "SESSCTL_TEST_CONTRACT_BACKEND='%s' names no backend",
		     getenv("SESSCTL_TEST_CONTRACT_BACKEND"));
	for (size_t b = 0; b < n; b++)
		cr_expect_not_null(driver_of(sc_backend_table[b]->name),
				   "backend '%s' has no driver in tests/test_backends.c: add one",
				   sc_backend_table[b]->name);
}

/* SQLite in rollback-journal mode: a connection that writes keeps its
 * journal between commits (PERSIST, its header zeroed: no hot journal)
 * and deletes it when it closes; the database's own mode stays DELETE. */
Test(sqlite_backend, keeps_its_journal_between_commits_and_deletes_it_at_close, .fini = close_fresh)
{
	const struct sc_backend_info *info = NULL;
	char journal[sizeof(D.url) + 16];
	unsigned char header[28], zero[28] = { 0 };
	FILE *f;

	for (size_t b = 0; sc_backend_table[b]; b++)
		if (strcmp(sc_backend_table[b]->name, "sqlite") == 0)
			info = sc_backend_table[b];
	cr_assert_not_null(info);
	cr_assert(open_fresh(info));
	snprintf(journal, sizeof(journal), "%s-journal", D.url);
	begin(SC_TX_WRITE);
	cr_assert_eq(D.be->exec_script(D.db, "UPDATE sessions SET device_name = 'x' WHERE id = 1",
				       "update", &D.err), 0, "%s", D.err.msg);
	commit();
	f = fopen(journal, "rb");
	cr_assert_not_null(f, "no journal kept after a commit: %s", strerror(errno));
	cr_expect_eq(fread(header, 1, sizeof(header), f), sizeof(header), "a journal without a header");
	fclose(f);
	cr_expect(memcmp(header, zero, sizeof(header)) == 0, "the kept journal's header is not zeroed");
	sc_db_close(D.db);
	D.db = NULL;
	cr_expect_eq(access(journal, F_OK), -1, "the journal is still there after close");

	sqlite3 *c;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open(D.url, &c), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(c, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "delete");
	sqlite3_finalize(st);
	sqlite3_close(c);
}

/* migrate checks each index a migration creates "IF NOT EXISTS" by the
 * names it reads from the script: every such statement of every
 * backend's migrations is read, on the table it names. */
Test(contract, migrate_reads_every_index_a_migration_creates)
{
	module_dir();
	for (size_t b = 0; sc_backend_table[b]; b++) {
		struct sc_error err = { 0 };
		const struct sc_backend *be = sc_backend_load(sc_backend_table[b], &err);
		int total = 0;

		cr_assert_not_null(be, "%s: %s", sc_backend_table[b]->name, err.msg);
		cr_expect_not_null(be->check_index_name, "%s: no check_index_name", be->name);
		for (int v = 0; v < SC_SCHEMA_VERSION; v++) {
			const char *sql = be->migrations[v].sql, *p = sql;
			char index[64], table[64];
			int marks = 0, parsed = 0;

			while ((p = strstr(p, "INDEX IF NOT EXISTS ")))
				marks++, p++;
			p = sql;
			while (sc_migration_next_index(&p, index, sizeof(index), table, sizeof(table))) {
				parsed++;
				cr_expect(strncmp(index, "idx_", 4) == 0 || strncmp(index, "uq_", 3) == 0,
					  "%s %d: index '%s'", be->name, v + 1, index);
				cr_expect(strcmp(table, "sessions") == 0 || strcmp(table, "users") == 0 ||
					  strcmp(table, "sessctl_audit") == 0,
					  "%s %d: table '%s' of %s", be->name, v + 1, table, index);
				if (strcmp(index, "uq_sessions_user_device") == 0)
					cr_expect_str_eq(table, "sessions"); /* across a line break */
			}
			cr_expect_eq(parsed, marks, "%s migration %d: %d of %d indexes read", be->name,
				     v + 1, parsed, marks);
			total += parsed;
		}
		cr_expect_geq(total, 8, "%s: %d indexes in all", be->name, total);
	}
}

/* Reported as skipped (not passed) without a server, so a run that left
 * PostgreSQL out says so in its summary. */
Test(contract, postgresql_entries_need_a_server)
{
	const char *host = getenv("SESSCTL_TEST_PGHOST");
	if (!host || !*host)
		cr_skip_test("SESSCTL_TEST_PGHOST is unset: the postgresql entries did not run");
	for (size_t b = 0; sc_backend_table[b]; b++)
		if (strcmp(sc_backend_table[b]->name, "postgresql") == 0)
			return;
	cr_assert_fail("no postgresql entry in the backend table");
}

/* A module's load_env (struct sc_backend_info) is set only while it
 * loads: a pager or any other child sessctl starts never sees it. */
Test(registry, a_module_loaded_leaves_the_environment_as_it_was)
{
	struct sc_error err = { 0 };

	module_dir();
	cr_assert_not_null(sc_postgres_info.load_env, "the postgresql entry sets nothing");
	unsetenv("GNUTLS_NO_IMPLICIT_INIT");
	cr_assert_not_null(sc_backend_load(&sc_postgres_info, &err), "%s", err.msg);
	cr_expect_null(getenv("GNUTLS_NO_IMPLICIT_INIT"), "left set: '%s'", getenv("GNUTLS_NO_IMPLICIT_INIT"));
}

/* ... and a value of the user's own stays as it was. */
Test(registry, a_setting_the_user_made_stays_theirs)
{
	struct sc_error err = { 0 };

	module_dir();
	cr_assert_eq(setenv("GNUTLS_NO_IMPLICIT_INIT", "0", 1), 0);
	cr_assert_not_null(sc_backend_load(&sc_postgres_info, &err), "%s", err.msg);
	cr_expect_str_eq(getenv("GNUTLS_NO_IMPLICIT_INIT"), "0");
}
