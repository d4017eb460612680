/* End-to-end cases that only make sense on PostgreSQL: parity with SQLite,
 * a fixed number of statements per command, connection errors that must
 * not leak a password, an ORM's naive timestamps, libpq's environment.
 * Run with SESSCTL_TEST_BACKEND=postgres (BUILD/tests/e2e-postgres). */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "../src/migrations.h"

static void setup(void)
{
	e2e_setup();
	cr_assert(e2e_pg(), "these cases are for SESSCTL_TEST_BACKEND=postgres");
}

TestSuite(postgres_only, .init = setup, .fini = e2e_teardown, .timeout = 120);

/* ---- parity ---- */

/* Rows with fractions of a second: both backends truncate them alike. */
static const char parity_extra_sql[] =
	"INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,\n"
	"                      ip_address, created_at, last_activity, is_active) VALUES\n"
	" (30, 2, 'fp-b3', 'Fractions', 'web', 'Lynx', '198.51.100.9',\n"
	"  '2025-02-05 01:02:03.999999', '2025-02-08 09:45:30.5', TRUE),\n"
	" (31, 2, 'fp-b4', 'Tie', 'mobile', 'Lynx', '198.51.100.10',\n"
	"  '2025-02-05 01:02:03', '2025-02-08 09:45:30', TRUE);\n";

Test(postgres_only, same_data_gives_byte_for_byte_the_same_output_as_sqlite)
{
	const struct e2e_db *pg = e2e_db(), *lite = e2e_sqlite_db("parity.db");
	const char *const *cmds[] = {
		ARGV("list-user", "alice", "--all"),
		ARGV("list-user", "bob", "--all"),
		ARGV("list-user", "1"),
		ARGV("list-user", "1", "--ip", "10.0.0.0/8", "--all"),
		ARGV("list-user", "1", "--ip", "2001:db8::/32"),
		ARGV("list-user", "1", "--idle-for", "1d", "--now", "2025-02-08 12:00:00", "--all"),
		ARGV("list-user", "1", "--device-type", "web", "--all"),
		ARGV("list-user", "1", "--limit", "2"),
		ARGV("list-user", "carol"),
		ARGV("show", "10"),
		ARGV("show", "14"),
		ARGV("show", "21"),
		ARGV("show", "30"),
		ARGV("count", "--by", "user"),
		ARGV("count", "--by", "user", "--over", "1"),
		ARGV("count"),
		ARGV("count", "alice"),
	};
	static const char *const formats[] = { "json", "ndjson", "csv", "table" };

	fx_standard_in(pg);
	fx_standard_in(lite);
	db_exec_in(pg, parity_extra_sql);
	db_exec_in(lite, parity_extra_sql);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
			const char *argv[16];
			size_t n = 0;
			for (; cmds[i][n]; n++)
				argv[n] = cmds[i][n];
			argv[n++] = "-o";
			argv[n++] = formats[f];
			argv[n] = NULL;
			struct run *a = e2e_run(&(struct call){ .db = lite->url }, argv);
			struct run *b = e2e_run(&(struct call){ .db = pg->url }, argv);
			EXPECT_OK(a);
			EXPECT_OK(b);
			cr_expect_str_eq(b->out, a->out, "%s differs:\npostgresql:\n%s\nsqlite:\n%s", b->what,
					 b->out, a->out);
		}
	}
}

Test(postgres_only, errors_are_the_same_as_on_sqlite)
{
	const struct e2e_db *pg = e2e_db(), *lite = e2e_sqlite_db("parity.db");
	const char *const *cmds[] = {
		ARGV("list-user", "nobody"), ARGV("list-user", "99999999999999999999"),
		ARGV("list-user", "x' OR '1'='1"), ARGV("list-user", "dupname"), ARGV("show", "999"),
		ARGV("count", "nobody"),
	};

	fx_standard_in(pg);
	fx_standard_in(lite);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *a = e2e_run(&(struct call){ .db = lite->url }, cmds[i]);
		struct run *b = e2e_run(&(struct call){ .db = pg->url }, cmds[i]);
		cr_expect_eq(b->status, a->status, "%s: exit %d on postgresql, %d on sqlite", b->what,
			     b->status, a->status);
		EXPECT_FAIL(b, a->status);
	}
}

/* ---- statement count ---- */

/* An application name for one sessctl run, to find its statements in
 * the server's log: the test's pid and the time, as the direct and the
 * PgBouncer pass share one log and a pid can come again. */
static void app_name(char *buf, size_t size, const char *what)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, size, "sc%ld_%llx%s", (long)getpid(),
		 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec, what);
}

/* Calls visit with each line the server logged for application name app
 * (a statement, or the execute of a prepared one), NUL-terminated. */
static void each_logged_line(const char *app, void (*visit)(const char *line, void *ctx), void *ctx)
{
	const char *log = getenv("SESSCTL_TEST_PGLOG");
	char *text, *line;
	char prefix_stmt[128], prefix_exec[128];

	cr_assert(log && *log, "SESSCTL_TEST_PGLOG must name the server's log (tests/pg-server.sh)");
	if (e2e_pgbouncer()) {
		/* PgBouncer renames a server connection it released (tests/
		 * pgbouncer.sh) after the client has its answer: that SET is
		 * logged under the client's name, perhaps after the client
		 * exited. Once no server connection has the name, it is. */
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s'",
			 app);
		long long left = 1;
		for (int i = 0; i < 500 && (left = db_int(sql)) > 0; i++) /* up to 10 s */
			nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		cr_assert_eq(left, 0, "a server connection kept the name %s for 10 s", app);
	}
	text = e2e_read_file(log, NULL);
	cr_assert_not_null(text, "cannot read '%s'", log);
	snprintf(prefix_stmt, sizeof(prefix_stmt), "%s LOG:  statement: ", app);
	snprintf(prefix_exec, sizeof(prefix_exec), "%s LOG:  execute ", app);
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, prefix_stmt, strlen(prefix_stmt)) != 0 &&
		    strncmp(line, prefix_exec, strlen(prefix_exec)) != 0)
			continue;
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0'; /* the line alone, for strstr */
		visit(line, ctx);
		if (end)
			*end = '\n';
	}
	free(text);
}

struct count_ctx {
	const char *has;
	int n;
};

static void count_line(const char *line, void *vctx)
{
	struct count_ctx *c = vctx;
	c->n += !c->has || strstr(line, c->has) != NULL;
}

/* Counts the statements the server logged for application name app;
 * with has, only those whose text contains it. */
static int logged_statements(const char *app, const char *has)
{
	struct count_ctx c = { has, 0 };
	each_logged_line(app, count_line, &c);
	return c.n;
}

static int statements_of(const char *app)
{
	return logged_statements(app, NULL);
}

Test(postgres_only, list_user_runs_as_many_statements_for_100_sessions_as_for_1)
{
	char one[256], many[256], app_one[64], app_many[64];

	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'one@example.com', 'one'),"
		" (2, 'many@example.com', 'many');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, device_name, last_activity, is_active)"
		" VALUES (1, 'fp', 'only', '2025-02-01 00:00:00', TRUE);\n"
		"INSERT INTO sessions (user_id, device_fingerprint, device_name, last_activity, is_active)"
		" SELECT 2, 'fp' || g, 'device ' || g, '2025-02-01 00:00:00', g % 10 <> 0"
		" FROM generate_series(1, 100) AS g;");
	app_name(app_one, sizeof(app_one), "one");
	app_name(app_many, sizeof(app_many), "many");
	snprintf(one, sizeof(one), "%s application_name=%s", e2e_url(), app_one);
	snprintf(many, sizeof(many), "%s application_name=%s", e2e_url(), app_many);

	struct run *a = RUN_DB(one, "list-user", "1", "--all", "-o", "ndjson");
	struct run *b = RUN_DB(many, "list-user", "2", "--all", "-o", "ndjson");
	EXPECT_OK(a);
	EXPECT_OK(b);
	cr_expect_eq(strlen(a->out) > 0, 1);
	size_t lines = 0;
	for (const char *p = b->out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 100, "list-user 2 --all printed %zu sessions", lines);

	int n1 = statements_of(app_one), n100 = statements_of(app_many);
	cr_expect_gt(n1, 0, "no statement logged for application_name=%s: does sessctl keep the "
			    "application_name of the URL?", app_one);
	cr_expect_eq(n100, n1, "list-user ran %d statements for 100 sessions, %d for 1", n100, n1);
	fprintf(stderr, "statement count: list-user of 1 session: %d, of 100 sessions: %d\n", n1, n100);
}

/* Issue 10: a per-user command is one transaction, like the SQL it
 * replaces: the schema check runs inside it (it had a transaction of
 * its own: a BEGIN and a COMMIT more per command), and a write commits
 * once. */
Test(postgres_only, a_per_user_command_is_one_transaction)
{
	static const struct {
		const char *name;
		const char *const argv[6]; /* NULL-terminated */
	} cmds[] = {
		{ "count", { "count", "1" } },
		{ "show", { "show", "1" } },
		{ "list-user", { "list-user", "1", "-o", "csv" } },
		{ "logout", { "logout", "1", "--actor", "ops" } },
		{ "logout-all", { "logout-all", "1", "--yes", "--actor", "ops" } },
	};

	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'one@example.com', 'one');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, device_name, last_activity, is_active)"
		" SELECT 1, 'fp' || g, 'device ' || g, '2025-02-01 00:00:00', TRUE"
		" FROM generate_series(1, 3) AS g;");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char url[256], app[64];

		char what[32];
		snprintf(what, sizeof(what), "tx%zu", i);
		app_name(app, sizeof(app), what);
		snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
		struct run *r = e2e_run(&(struct call){ .db = url }, cmds[i].argv);
		EXPECT_OK(r);
		int begins = logged_statements(app, "statement: BEGIN"),
		    commits = logged_statements(app, "statement: COMMIT");
		cr_expect_eq(begins, 1, "%s ran %d transactions (BEGIN), expected 1", cmds[i].name, begins);
		cr_expect_eq(commits, 1, "%s committed %d times, expected 1", cmds[i].name, commits);
		/* the schema version comes in the round trip that begins
		 * the transaction (migration 5's function) */
		cr_expect_eq(logged_statements(app, "sessctl_schema_version()"), 1,
			     "%s did not check the schema version once", cmds[i].name);
		cr_expect_eq(logged_statements(app, "statement: BEGIN ISOLATION LEVEL"), 1,
			     "%s began no transaction with one statement", cmds[i].name);
		/* reads in a read-only transaction, writes in a write one */
		bool reads = i < 3;
		cr_expect_eq(logged_statements(app, "statement: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"),
			     reads ? 1 : 0, "%s: its transaction is %sread-only", cmds[i].name,
			     reads ? "not " : "");
		cr_expect_eq(logged_statements(app, "; SELECT pg_is_in_recovery(), "
						    "current_setting('transaction_read_only'), "
						    "current_setting('lock_timeout') = '0', "
						    "sessctl_schema_version()"), 1,
			     "%s read the schema version outside its BEGIN round trip", cmds[i].name);
		cr_expect_eq(logged_statements(app, "sessctl_migrations"), 0,
			     "%s read the migrations table", cmds[i].name);
		cr_expect_eq(logged_statements(app, "to_regclass"), 0,
			     "%s looked the tables up in the catalog", cmds[i].name);
		fprintf(stderr, "statement count: %s: %d\n", cmds[i].name, statements_of(app));
		/* logout-all closes in one statement, with no read of the
		 * user's sessions before it */
		if (strcmp(cmds[i].name, "logout-all") == 0)
			cr_expect_eq(logged_statements(app, ": SELECT id, user_id, device_fingerprint"), 0,
				     "logout-all read the sessions before closing them");
	}
	EXPECT_ROWS("SELECT count(*) FROM sessions WHERE is_active", "0\n");
	EXPECT_ROWS("SELECT action, count(*) FROM sessctl_audit GROUP BY action ORDER BY action",
		    "logout|1\nlogout-all|2\n");
}

/* A transaction's statements, as each_logged_line gives them: what the
 * transaction in progress did, and the sums over the committed ones. */
struct tx_ctx {
	bool async, closes, records;        /* the transaction in progress */
	int txs, async_txs, closing, async_closing, async_record;
};

static void tx_line(const char *line, void *vctx)
{
	struct tx_ctx *t = vctx;

	if (strstr(line, "statement: BEGIN"))
		t->async = t->closes = t->records = false;
	t->async |= strstr(line, "SET LOCAL synchronous_commit = off") != NULL;
	t->closes |= strstr(line, "execute <unnamed>: WITH changed AS") != NULL;
	t->records |= strstr(line, "execute <unnamed>: INSERT INTO sessctl_enforce_state") != NULL;
	if (strstr(line, "statement: COMMIT")) {
		t->txs++;
		t->async_txs += t->async;
		t->closing += t->closes;
		t->async_closing += t->async && t->closes;
		t->async_record += t->async && t->records;
	}
}

/* The record of an enforce run only narrows the next run, so its commit
 * does not wait for the WAL to be flushed (synchronous_commit off, in its
 * own transaction); the batches that close sessions and write their
 * audit rows stay durable. */
Test(postgres_only, only_the_enforce_record_commits_without_waiting_for_the_disk)
{
	char url[256], app[64];

	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'one@example.com', 'one');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, device_name, last_activity, is_active)"
		" SELECT 1, 'fp' || g, 'device ' || g, '2025-02-01 00:00:00'::timestamptz + g * interval '1 day',"
		" TRUE FROM generate_series(1, 5) AS g;");
	app_name(app, sizeof(app), "rec");
	snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
	/* one idle (before 2025-02-03), then two more over the limit of 2 */
	struct run *r = e2e_run(&(struct call){ .db = url },
				ARGV("enforce", "--now", "2025-03-05 00:00:00", "--max-sessions", "2",
				     "--idle-timeout", "720h", "--actor", "ops", "-q"));
	EXPECT_OK(r);
	EXPECT_ROWS("SELECT count(*) FROM sessctl_audit", "3\n");

	/* Walk the app's statements transaction by transaction. */
	struct tx_ctx t = { 0 };
	each_logged_line(app, tx_line, &t);
	cr_expect_geq(t.closing, 2, "enforce closed sessions in %d transactions, expected the expire "
		      "and the limit batches (of %d)", t.closing, t.txs);
	cr_expect_eq(t.async_closing, 0, "%d batches that closed sessions committed without waiting for "
		     "the disk", t.async_closing);
	cr_expect_eq(t.async_txs, 1, "%d transactions set synchronous_commit off, expected the record's",
		     t.async_txs);
	cr_expect_eq(t.async_record, 1, "the run's record was not the transaction without the wait");
}

/* Migration 5: sessctl_schema_version() answers what the migrations
 * table holds, whatever writes the table (a later sessctl, a restore, a
 * hand), because a trigger rewrites it; and a schema from before it
 * (no function) is told to migrate, not refused with a server error. */
Test(postgres_only, the_schema_version_function_follows_the_migrations_table)
{
	char want[32];

	db_migrate(NULL);
	snprintf(want, sizeof(want), "%d\n", SC_SCHEMA_VERSION);
	EXPECT_ROWS("SELECT sessctl_schema_version()", want);
	db_exec("INSERT INTO sessctl_migrations (version, name, applied_at) "
		"VALUES (99, 'from the future', '2030-01-01 00:00:00')");
	EXPECT_ROWS("SELECT sessctl_schema_version()", "99\n");
	struct run *r = RUN("count");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "schema version 99 is newer than this sessctl supports");
	db_exec("UPDATE sessctl_migrations SET version = 98 WHERE version = 99");
	EXPECT_ROWS("SELECT sessctl_schema_version()", "98\n");
	db_exec("DELETE FROM sessctl_migrations WHERE version > 3");
	EXPECT_ROWS("SELECT sessctl_schema_version()", "3\n");
	r = RUN("count");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "schema version 3 is older than");
	db_exec("TRUNCATE sessctl_migrations");
	EXPECT_ROWS("SELECT sessctl_schema_version()", "0\n");
	EXPECT_OK(RUN("migrate", "-q"));
	EXPECT_ROWS("SELECT sessctl_schema_version()", want);
	EXPECT_OK(RUN("count"));
}

Test(postgres_only, a_schema_from_before_the_version_function_is_told_to_migrate)
{
	char url[256], app[64];

	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'one@example.com', 'one');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, last_activity, is_active)"
		" VALUES (1, 'fp', '2025-02-01 00:00:00', TRUE)");
	/* version 4 as an older sessctl left it */
	db_exec("DROP TRIGGER sessctl_schema_version ON sessctl_migrations;\n"
		"DROP FUNCTION sessctl_migrations_changed();\n"
		"DROP FUNCTION sessctl_schema_version();\n"
		"ALTER TABLE sessctl_enforce_state DROP COLUMN idle_cutoff;\n"
		"DELETE FROM sessctl_migrations WHERE version >= 5");
	app_name(app, sizeof(app), "old");
	snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
	const char *const *cmds[] = {
		ARGV("count", "1"), ARGV("logout-all", "1", "--yes", "--actor", "ops"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = url }, cmds[i]);
		EXPECT_FAIL(r, 78);
		EXPECT_NO_OUT(r);
		cr_expect_str_eq(r->err, "sessctl: schema version 4 is older than 8: run 'sessctl migrate'\n");
	}
	/* the second try read the migrations table, in a transaction of its own */
	cr_expect_eq(logged_statements(app, "FROM sessctl_migrations"), 2);
	struct run *r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT(r, "applied migration 5: schema version function\n"
		      "applied migration 6: enforce idle cutoff\n"
		      "applied migration 7: idx_user_active without deduplication\n"
		      "applied migration 8: closed sessions by activity\nschema is at version 8\n");
	r = RUN("count", "1");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\n");
	EXPECT_ROWS("SELECT count(*) FROM sessions WHERE is_active", "1\n");
	EXPECT_ROWS("SELECT count(*) FROM sessctl_audit", "0\n");
}

/* ---- connection errors, passwords ---- */

/* A password given in --db shows in the process list: sessctl warns of
 * it first, on one line of its own (issue 11 item 15). */
#define PASSWORD_WARNING "sessctl: warning: --db holds a password, which other users can see"

/* The warning, then exactly what EXPECT_FAIL wants. */
#define EXPECT_WARNED_FAIL(r, st)                                                          \
	do {                                                                               \
		const struct run *w_ = (r);                                                \
		const char *rest_ = strchr(w_->err, '\n');                                  \
		cr_expect_eq(w_->status, (st), "%s: exit status %d, expected %d; stderr: %s", \
			     w_->what, w_->status, (st), w_->err);                         \
		cr_expect(strncmp(w_->err, PASSWORD_WARNING, strlen(PASSWORD_WARNING)) == 0, \
			  "%s: no password warning first: [%s]", w_->what, w_->err);        \
		cr_expect(rest_ && e2e_one_error_line(rest_ + 1),                          \
			  "%s: not the warning and one error line: [%s]", w_->what, w_->err); \
	} while (0)

/* The warning, and nothing else on stderr. */
#define EXPECT_WARNED_OK(r)                                                                \
	do {                                                                               \
		const struct run *w_ = (r);                                                \
		const char *rest_ = strchr(w_->err, '\n');                                  \
		cr_expect_eq(w_->status, 0, "%s: exit status %d; stderr: %s", w_->what,     \
			     w_->status, w_->err);                                         \
		cr_expect(strncmp(w_->err, PASSWORD_WARNING, strlen(PASSWORD_WARNING)) == 0, \
			  "%s: no password warning first: [%s]", w_->what, w_->err);        \
		cr_expect(rest_ && !rest_[1], "%s: more than the warning: [%s]", w_->what, \
			  w_->err);                                                        \
	} while (0)

Test(postgres_only, an_unreachable_server_exits_69_without_the_password)
{
	const char *const urls[] = {
		"postgresql://u:s3cret@127.0.0.1:1/x",
		"postgres://u:s3cret@127.0.0.1:1/x?sslmode=disable",
		"host=127.0.0.1 port=1 user=u password=s3cret dbname=x",
		"postgresql://u@127.0.0.1:1/x?password=s3cret",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct run *r = RUN_DB(urls[i], "list-user", "alice");
		EXPECT_WARNED_FAIL(r, 69);
		EXPECT_NO_OUT(r);
		cr_expect_null(strstr(r->err, "s3cret"), "%s: password in message: %s", r->what, r->err);
		/* libpq's hint, on the one line: what to do. */
		cr_expect(strstr(r->err, "port 1 failed: Connection refused (is the server running "
				 "there?)\n"),
			  "%s: no reason or hint: %s", r->what, r->err);
	}
	struct run *m = RUN_DB("postgresql://u:s3cret@127.0.0.1:1/x", "migrate");
	EXPECT_WARNED_FAIL(m, 69);
	cr_expect_null(strstr(m->err, "s3cret"), "password in message: %s", m->err);
}

Test(postgres_only, an_unknown_database_exits_69_without_the_password)
{
	char kw[512], url[512];

	snprintf(kw, sizeof(kw), "host=%s dbname=no_such_db_%ld user=postgres password=s3cret",
		 e2e_pghost(), (long)getpid());
	snprintf(url, sizeof(url), "postgresql://postgres:s3cret@/no_such_db_%ld?host=%s",
		 (long)getpid(), e2e_pghost());
	const char *const urls[] = { kw, url };
	for (size_t i = 0; i < 2; i++) {
		struct run *r = RUN_DB(urls[i], "count");
		EXPECT_WARNED_FAIL(r, 69);
		EXPECT_NO_OUT(r);
		cr_expect_null(strstr(r->err, "s3cret"), "%s: password in message: %s", r->what, r->err);
		r = RUN_DB(urls[i], "migrate");
		EXPECT_WARNED_FAIL(r, 69);
		cr_expect_null(strstr(r->err, "s3cret"), "%s: password in message: %s", r->what, r->err);
	}
}

Test(postgres_only, a_wrong_password_exits_77_without_the_password)
{
	const char *role = e2e_pg_role("right-one");
	char kw[512], url[512];

	fx_standard();
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s password=s3cret", e2e_pghost(),
		 e2e_db()->path, role);
	snprintf(url, sizeof(url), "postgresql://%s:s3cret@/%s?host=%s", role, e2e_db()->path,
		 e2e_pghost());
	const char *const urls[] = { kw, url };
	for (size_t i = 0; i < 2; i++) {
		struct run *r = RUN_DB(urls[i], "count");
		EXPECT_WARNED_FAIL(r, 77);
		EXPECT_NO_OUT(r);
		cr_expect_null(strstr(r->err, "s3cret"), "%s: password in message: %s", r->what, r->err);
		r = RUN_DB(urls[i], "migrate");
		EXPECT_WARNED_FAIL(r, 77);
		cr_expect_null(strstr(r->err, "s3cret"), "%s: password in message: %s", r->what, r->err);
	}
}

Test(postgres_only, an_unknown_role_exits_77_without_the_password)
{
	char kw[512];

	fx_standard();
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=no_such_role_%ld password=s3cret",
		 e2e_pghost(), e2e_db()->path, (long)getpid());
	struct run *r = RUN_DB(kw, "count");

	EXPECT_WARNED_FAIL(r, 77);
	cr_expect_null(strstr(r->err, "s3cret"), "password in message: %s", r->err);
}

/* A role that may not log in is refused as a wrong password is: 77,
 * permission denied by the database (it was 69, "unreachable"). */
Test(postgres_only, a_role_that_may_not_log_in_exits_77)
{
	const char *role = e2e_pg_role("right-one");
	char kw[512], sql[160];

	fx_standard();
	snprintf(sql, sizeof(sql), "ALTER ROLE %s NOLOGIN", role);
	e2e_pg_admin(sql);
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s password=right-one", e2e_pghost(),
		 e2e_db()->path, role);
	struct run *r = RUN_DB(kw, "count");

	EXPECT_WARNED_FAIL(r, 77);
	cr_expect_null(strstr(r->err, "right-one"), "password in message: %s", r->err);
}

/* A role that must give a password and gave none: libpq's "fe_sendauth:
 * no password supplied" told a newcomer nothing of what to do. */
Test(postgres_only, a_password_not_given_says_where_one_goes)
{
	const char *role = e2e_pg_role("right-one");
	char kw[512], env[600];

	fx_standard();
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s", e2e_pghost(), e2e_db()->path, role);
	snprintf(env, sizeof(env), "PGPASSFILE=%s", e2e_path("no-such-pgpass"));
	struct run *r = e2e_run(&(struct call){ .db = kw, .env = ARGV(env) }, ARGV("count", "alice"));
	cr_expect_eq(r->status, 77, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_ERR_HAS(r, "no password supplied: the server asks this user for a password: put it in "
		       "~/.pgpass (or the file PGPASSFILE names), mode 600\n");
}

/* A password file others can read is ignored by libpq, which says so in
 * a WARNING line of its own; sessctl's line said only "no password
 * supplied". It names the file and the remedy now; with mode 0600 the
 * same file logs in. */
Test(postgres_only, a_password_file_others_can_read_is_named_with_the_remedy)
{
	const char *role = e2e_pg_role("right-one");
	const char *file = e2e_path("pgpass");
	char kw[512], env[600], line[300];

	fx_standard();
	snprintf(line, sizeof(line), "*:*:*:%s:right-one\n", role);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(line, f);
	fclose(f);
	cr_assert_eq(chmod(file, 0644), 0);
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s", e2e_pghost(), e2e_db()->path, role);
	snprintf(env, sizeof(env), "PGPASSFILE=%s", file);
	struct run *r = e2e_run(&(struct call){ .db = kw, .env = ARGV(env) }, ARGV("count", "alice"));
	cr_expect_eq(r->status, 77, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_ERR_HAS(r, "no password supplied: the password file '");
	EXPECT_ERR_HAS(r, "' was ignored, since group or others can read it: chmod 600 it\n");
	cr_assert_eq(chmod(file, 0600), 0);
	char grant[200];
	snprintf(grant, sizeof(grant), "GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s", role);
	db_exec(grant);
	r = e2e_run(&(struct call){ .db = kw, .env = ARGV(env) }, ARGV("count", "alice"));
	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
}

Test(postgres_only, a_role_without_privileges_on_the_tables_exits_77)
{
	const char *role = e2e_pg_role("right-one");
	char kw[512];

	fx_standard();
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s password=right-one", e2e_pghost(),
		 e2e_db()->path, role);
	const char *const *cmds[] = {
		ARGV("list-user", "alice"), ARGV("show", "10"), ARGV("count"), ARGV("migrate"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = kw }, cmds[i]);
		EXPECT_WARNED_FAIL(r, 77);
		EXPECT_NO_OUT(r);
		cr_expect_null(strstr(r->err, "right-one"), "%s: password in message: %s", r->what, r->err);
	}
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7);
}

Test(postgres_only, a_role_with_read_privileges_can_read)
{
	const char *role = e2e_pg_role("right-one");
	char kw[512], grant[256];

	fx_standard();
	snprintf(grant, sizeof(grant), "GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s", role);
	e2e_pg_admin(grant);
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s password=right-one", e2e_pghost(),
		 e2e_db()->path, role);
	struct run *r = RUN_DB(kw, "count", "alice");
	EXPECT_WARNED_OK(r);
	EXPECT_OUT(r, "4\n");
	r = RUN_DB(kw, "list-user", "bob", "-o", "csv", "--no-header", "--columns", "id");
	EXPECT_WARNED_OK(r);
	EXPECT_OUT(r, "20\r\n");
}

Test(postgres_only, a_password_in_the_url_appears_in_no_output)
{
	char url[512];

	fx_standard();
	snprintf(url, sizeof(url), "%s password=s3cret", e2e_url());
	const char *const *cmds[] = {
		ARGV("-v", "list-user", "alice"), ARGV("-v", "migrate", "status"), ARGV("-v", "migrate"),
		ARGV("-v", "show", "999"), ARGV("-v", "list-user", "nobody"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = url }, cmds[i]);
		cr_expect_null(strstr(r->out, "s3cret"), "%s: password on stdout", r->what);
		cr_expect_null(strstr(r->err, "s3cret"), "%s: password on stderr: %s", r->what, r->err);
	}
}

/* Issue 11 item 5: three ways a password leaked, each with -v (whose
 * "using postgresql database" line shows the URL) and in the messages. */
Test(postgres_only, a_percent_encoded_password_key_is_masked_in_every_message)
{
	const struct e2e_db *empty = e2e_new_db();
	char url[512], bare[512];

	fx_standard();
	snprintf(url, sizeof(url), "postgresql://postgres@/%s?host=%s&pass%%77ord=S3cretA", e2e_db()->path,
		 e2e_pghost());
	snprintf(bare, sizeof(bare), "postgresql://postgres@/%s?host=%s&pass%%77ord=S3cretA", empty->path,
		 e2e_pghost());
	struct run *r = RUN_DB(url, "-v", "count", "alice");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_ERR_HAS(r, "using postgresql database '");
	EXPECT_ERR_HAS(r, PASSWORD_WARNING);
	cr_expect_null(strstr(r->err, "S3cretA"), "%s: password on stderr: %s", r->what, r->err);
	/* no schema: the exit-78 message names the database */
	r = RUN_DB(bare, "-v", "count");
	cr_expect_eq(r->status, 78, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_ERR_HAS(r, "no sessctl schema");
	cr_expect_null(strstr(r->err, "S3cretA"), "%s: password on stderr: %s", r->what, r->err);
}

Test(postgres_only, a_key_right_after_a_quoted_value_is_masked)
{
	char kw[512], spaced[512];

	fx_standard();
	snprintf(kw, sizeof(kw), "host=%s user=postgres dbname=%s password='x'password=S3cretK",
		 e2e_pghost(), e2e_db()->path);
	snprintf(spaced, sizeof(spaced), "host=%s user=postgres dbname=%s password= S3cretL", e2e_pghost(),
		 e2e_db()->path);
	const char *const urls[] = { kw, spaced };
	for (size_t i = 0; i < 2; i++) {
		struct run *r = RUN_DB(urls[i], "-v", "count", "alice");
		cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
		EXPECT_ERR_HAS(r, "using postgresql database '");
		cr_expect_null(strstr(r->err, "S3cret"), "%s: password on stderr: %s", r->what, r->err);
		r = RUN_DB(urls[i], "show", "999");
		EXPECT_WARNED_FAIL(r, 66);
		cr_expect_null(strstr(r->err, "S3cret"), "%s: password on stderr: %s", r->what, r->err);
	}
}

/* The password warning only for a string that holds one: not for one
 * masked from where libpq will fail, out of doubt. */
Test(postgres_only, a_string_libpq_cannot_parse_is_never_repeated)
{
	const char *const urls[] = {
		"postgresql://u:Se%zzcretC@127.0.0.1:1/db",
		"postgresql://u:S3cretH@[::1/db",
		"postgresql://u:S3%00cretZ@127.0.0.1:1/db",
		"host=127.0.0.1 port=1 S3cretM",
		"host=127.0.0.1 password='S3cretQ",
		"host=127.0.0.1 dbname='S3cretU",
		"postgresql://127.0.0.1:1/db?S3cretV",
		"host=127.0.0.1 password=S3cretW junk",
	};
	const char *const secrets[] = { "cretC", "S3cretH", "cretZ", "S3cretM", "S3cretQ", "S3cretU",
					"S3cretV", "S3cretW" };
	const bool warned[] = { true, true, true, false, true, false, false, true };

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct run *r = RUN_DB(urls[i], "-v", "count");
		if (warned[i])
			EXPECT_WARNED_FAIL(r, 64);
		else
			EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "sessctl: bad postgresql connection string: libpq cannot parse it (");
		cr_expect_null(strstr(r->err, secrets[i]), "%s: password on stderr: %s", r->what, r->err);
		cr_expect_null(strstr(r->err, "127.0.0.1"), "%s: the string is repeated: %s", r->what, r->err);
		cr_expect_null(strstr(r->err, "[::1/db"), "%s: the string is repeated: %s", r->what, r->err);
		EXPECT_NO_OUT(r);
	}
}

/* A password holding an unencoded '@': libpq ends the user part at the
 * first '@', and its message about the "host" it found repeated the rest
 * of the password. Refused before connecting, quoting nothing. */
Test(postgres_only, a_password_with_an_unencoded_at_sign_is_refused_without_being_repeated)
{
	const char *const urls[] = {
		"postgresql://app:Pa@ssWord1@nohost.invalid/app",
		"postgres://app:Pa@ss@Word2@127.0.0.1:1",
		"postgresql://app:Pa@ssWord3@127.0.0.1:1?sslmode=disable",
		"postgresql://app:Pa?ss@Word5@127.0.0.1:1/app", /* libpq's user part ends at '@', not '?' */
	};
	const char *const secrets[] = { "ssWord1", "Word2", "ssWord3", "Word5" };

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct run *r = RUN_DB(urls[i], "-v", "count");
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "more than one '@' before the host: write an '@' of the user name or password as %40");
		cr_expect_null(strstr(r->err, secrets[i]), "%s: password on stderr: %s", r->what, r->err);
		EXPECT_NO_OUT(r);
	}
	/* encoded, it is a password like any other (the server is not there) */
	struct run *r = RUN_DB("postgresql://app:Pa%40ssWord4@127.0.0.1:1/app", "count");
	cr_expect_eq(r->status, 69, "%s: %d: %s", r->what, r->status, r->err);
	cr_expect_null(strstr(r->err, "ssWord4"), "%s: password on stderr: %s", r->what, r->err);
	/* an '@' in the query is a value's */
	r = RUN_DB("postgresql://127.0.0.1:1/app?application_name=a@b", "count");
	cr_expect_eq(r->status, 69, "%s: %d: %s", r->what, r->status, r->err);
}

/* A password holding an unencoded '/' (base64 makes them): libpq ends the
 * user part at the first '/', took what came before it for the host and
 * port and the rest for the database name, and its message ("invalid
 * integer value \"Ab3\" for connection option \"port\"") and the
 * server's ("database \"xyzSECRET@/app\" does not exist") repeated the
 * password between them. Refused before connecting, quoting nothing. */
Test(postgres_only, a_password_with_an_unencoded_slash_is_refused_without_being_repeated)
{
	char local[600];
	snprintf(local, sizeof(local), "postgresql://postgres:5432/xyzSECRET6@/app?host=%s",
		 e2e_pghost());
	const char *const urls[] = {
		"postgresql://reader:Ab3/xyzSECRET1@/app?host=/nonexistent",
		"postgresql://reader:Ab3/xyzSECRET2@nohost.invalid/app",
		"postgres://reader:a/b/xyzSECRET3@127.0.0.1:1",
		"postgresql://reader:/xyzSECRET4@127.0.0.1:1/app?sslmode=disable",
		local,
	};
	const char *const secrets[] = { "xyzSECRET1", "xyzSECRET2", "xyzSECRET3", "xyzSECRET4", "xyzSECRET6" };

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct run *r = RUN_DB(urls[i], "-v", "count");
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "an '@' after the first '/': write a '/' of the user name or password as %2F");
		cr_expect_null(strstr(r->err, secrets[i]), "%s: password on stderr: %s", r->what, r->err);
		cr_expect_null(strstr(r->err, "Ab3"), "%s: password on stderr: %s", r->what, r->err);
		EXPECT_NO_OUT(r);
	}
	/* encoded, it is a password like any other (the server is not there) */
	struct run *r = RUN_DB("postgresql://reader:Ab3%2FxyzSECRET5@127.0.0.1:1/app", "count");
	cr_expect_eq(r->status, 69, "%s: %d: %s", r->what, r->status, r->err);
	cr_expect_null(strstr(r->err, "SECRET5"), "%s: password on stderr: %s", r->what, r->err);
}

/* A dbname that is a connection string or URL of its own: libpq takes
 * it for a database name, and the server's "database \"...\" does not
 * exist" repeated the password in it. The display masks it as a
 * connection string, and messages leave it out. */
Test(postgres_only, a_dbname_holding_a_connection_string_is_masked_and_not_repeated)
{
	char urls[4][600];
	/* in SESSCTL_DB, where a password is not in the process list (--db
	 * adds a warning line for it) */
	snprintf(urls[0], sizeof(urls[0]), "SESSCTL_DB=host=%s user=postgres dbname='x password=xyzSECRET1'",
		 e2e_pghost());
	snprintf(urls[1], sizeof(urls[1]),
		 "SESSCTL_DB=host=%s user=postgres dbname='host=/x password=xyzSECRET2'", e2e_pghost());
	snprintf(urls[2], sizeof(urls[2]),
		 "SESSCTL_DB=host=%s user=postgres dbname='postgresql://u:xyzSECRET3@/x'", e2e_pghost());
	/* a password the masked text shows by chance ("user"): the display
	 * is then rebuilt from what libpq parsed, the dbname masked there too */
	snprintf(urls[3], sizeof(urls[3]),
		 "SESSCTL_DB=host=%s user=postgres password=user dbname='x password=xyzSECRET4'", e2e_pghost());
	const char *const secrets[] = { "xyzSECRET1", "xyzSECRET2", "xyzSECRET3", "xyzSECRET4" };
	const char *const shown[] = { " dbname='***''", " dbname='host=/x password=***''",
				      " dbname='postgresql://u:***@/x''", " dbname=*** " };

	for (size_t i = 0; i < 4; i++) {
		struct run *r = e2e_run(&(struct call){ .no_db = true,
							.env = (const char *const[]){ urls[i], NULL } },
					ARGV("-v", "count"));
		EXPECT_FAIL(r, 69);
		EXPECT_ERR_HAS(r, shown[i]);
		EXPECT_ERR_HAS(r, "database \"***\" does not exist");
		cr_expect_null(strstr(r->err, secrets[i]), "%s: password on stderr: %s", r->what, r->err);
		cr_expect_null(strstr(r->err, "SECRET"), "%s: password on stderr: %s", r->what, r->err);
		EXPECT_NO_OUT(r);
	}
}

/* Issue 11 item 10: a typo in an option value is a usage error, which a
 * cron job does not retry for ever. */
Test(postgres_only, a_bad_connection_option_value_exits_64)
{
	char a[512], b[512], c[512], d[512], e[512];

	fx_standard();
	snprintf(a, sizeof(a), "%s sslmode=bogus", e2e_url());
	snprintf(b, sizeof(b), "%s port=99999999999", e2e_url());
	snprintf(c, sizeof(c), "postgresql://postgres@/%s?host=%s&target_session_attrs=primaryy",
		 e2e_db()->path, e2e_pghost());
	/* A setting the server refuses at startup: 69 "cannot connect"
	 * before, which sent the operator to look at the server. */
	snprintf(d, sizeof(d), "%s options=-cstatement_timeout=bogus", e2e_url());
	snprintf(e, sizeof(e), "%s options=-cno_such_setting=1", e2e_url());
	const char *const urls[] = { a, b, c, d, e };
	const char *const says[] = { "sslmode", "port", "target_session_attrs",
				     "invalid value for parameter \"statement_timeout\"",
				     "unrecognized configuration parameter \"no_such_setting\"" };
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		/* Through PgBouncer, options never reach the server. */
		if (i >= 3 && e2e_pgbouncer())
			continue;
		struct run *r = RUN_DB(urls[i], "count");
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "bad postgresql connection string");
		EXPECT_ERR_HAS(r, says[i]);
		EXPECT_NO_OUT(r);
	}
}

/* Issue 11 item 6: infinity, -infinity and years outside 0001-9999. For
 * the rules they keep PostgreSQL's order (infinity and year 10000 and
 * later: never idle; -infinity and years before 0001: idle at once); for
 * output they are null, named once on stderr, like an unreadable time. */
#define ODD_TIMES_SQL                                                                          \
	"INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"    \
	"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)" \
	" VALUES\n"                                                                            \
	" (91, 9, 'f91', '2025-01-01 00:00:00', 'infinity', TRUE),\n"                          \
	" (92, 9, 'f92', '-infinity', '-infinity', TRUE),\n"                                   \
	" (93, 9, 'f93', '294276-01-01 00:00:00', '294276-01-01 00:00:00', TRUE),\n"           \
	" (94, 9, 'f94', '2025-01-01 00:00:00', '0044-03-15 00:00:00 BC', TRUE),\n"            \
	" (95, 9, 'f95', '2025-01-01 00:00:00', '2025-02-01 00:00:00', TRUE)"

Test(postgres_only, infinity_and_years_beyond_9999_are_null_in_output_and_ordered_for_the_rules)
{
	db_migrate(NULL);
	db_exec(ODD_TIMES_SQL);
	struct run *r = RUN("list-user", "tess", "-o", "csv", "--columns", "id,created_at,last_activity");

	cr_expect_eq(r->status, 65, "%s: %d: %s", r->what, r->status, r->err);
	/* most recent first: infinity, year 294276, 2025, then the idle ones */
	EXPECT_OUT(r, "id,created_at,last_activity\r\n"
		      "91,2025-01-01T00:00:00Z,\r\n"
		      "93,,\r\n"
		      "95,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z\r\n"
		      "94,2025-01-01T00:00:00Z,\r\n"
		      "92,,\r\n");
	EXPECT_ERR_HAS(r, "row 91 of sessions has an unreadable last_activity 'infinity'");
	EXPECT_ERR_HAS(r, "row 93 of sessions has an unreadable created_at '294276-01-01");
	EXPECT_ERR_HAS(r, "row 94 of sessions has an unreadable last_activity '0044-03-15");
	cr_expect_null(strstr(r->err, "9999-12-31"), "%s: a time was clamped: %s", r->what, r->err);
	cr_expect_null(strstr(r->out, "9999-12-31"), "%s: a time was clamped: %s", r->what, r->out);

	/* find reads the times in binary: the same nulls, the same names */
	struct run *f = RUN("find", "--user", "tess", "-o", "csv", "--columns",
			    "id,created_at,last_activity");
	cr_expect_eq(f->status, 65, "%s: %d: %s", f->what, f->status, f->err);
	EXPECT_OUT(f, "id,created_at,last_activity\r\n"
		      "91,2025-01-01T00:00:00Z,\r\n"
		      "92,,\r\n"
		      "93,,\r\n"
		      "94,2025-01-01T00:00:00Z,\r\n"
		      "95,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z\r\n");
	EXPECT_ERR_HAS(f, "row 91 of sessions has an unreadable last_activity 'infinity'");
	EXPECT_ERR_HAS(f, "row 92 of sessions has an unreadable created_at '-infinity'");
	EXPECT_ERR_HAS(f, "row 93 of sessions has an unreadable created_at '294276-01-01");
	EXPECT_ERR_HAS(f, "row 94 of sessions has an unreadable last_activity '0044-03-15");

	r = RUN("show", "92", "-o", "json", "--columns", "id,created_at,last_activity");
	cr_expect_eq(r->status, 65, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "{\"id\":92,\"created_at\":null,\"last_activity\":null}\n");

	/* the dry run and the real run agree: 92 and 94 are idle, 95 too by
	 * 2030; infinity and year 294276 are not */
	struct run *d = RUN("enforce", "--dry-run", "--now", "2030-01-01 00:00:00", "-o", "csv",
			    "--columns", "change,id", "--no-header", "--actor", "ops");
	cr_expect_eq(d->status, 0, "%s: %d: %s", d->what, d->status, d->err);
	EXPECT_OUT(d, "expired,92\r\nexpired,94\r\nexpired,95\r\n");
	struct run *e = RUN("enforce", "--now", "2030-01-01 00:00:00", "-o", "csv", "--actor", "ops");
	EXPECT_OK(e);
	EXPECT_OUT(e, "expired,over_limit,purged,batches,interrupted,locked\r\n3,0,0,1,false,0\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "91\n93\n");

	r = RUN("logout-all", "tess", "--yes", "-o", "csv", "--columns", "change,id", "--no-header", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "closed,91\r\nclosed,93\r\n");
}

/* A bound after 9999 (a mistyped year, or one past a stored time that
 * far) is compared as given, up to the latest time PostgreSQL holds,
 * and after that as 'infinity': it was once cut to 9999-12-31 23:59:59,
 * so that rows between that second and the bound were on the wrong side. */
Test(postgres_only, bounds_after_9999_are_compared_as_given)
{
	db_migrate(NULL);
	db_exec(ODD_TIMES_SQL ";\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (96, 9, 'f96', '2025-01-01', '10000-06-01 00:00:00', TRUE),"
		" (97, 9, 'f97', '2025-01-01', '9999-12-31 23:59:59.5', TRUE)");
	static const struct {
		const char *opt, *when, *ids;
	} cases[] = {
		{ "--seen-since", "+020000-01-01", "91\r\n93\r\n" },
		{ "--seen-since", "+010000-01-01", "91\r\n93\r\n96\r\n" },
		{ "--seen-since", "+010000-06-01T00:00:00.5Z", "91\r\n93\r\n" },
		{ "--seen-until", "+010000-01-01", "92\r\n94\r\n95\r\n97\r\n" },
		{ "--seen-until", "+020000-01-01", "92\r\n94\r\n95\r\n96\r\n97\r\n" },
		{ "--seen-since", "+300000-01-01", "91\r\n" },
		{ "--seen-until", "+300000-01-01", "92\r\n93\r\n94\r\n95\r\n96\r\n97\r\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run *r = RUN("find", "--user", "tess", cases[i].opt, cases[i].when, "-o", "csv",
				    "--columns", "id", "--no-header");
		EXPECT_OK(r);
		EXPECT_OUT(r, cases[i].ids);
		/* a bulk logout selects the same sessions */
		r = RUN("logout", "--where", "--user", "tess", cases[i].opt, cases[i].when, "--dry-run",
			"-o", "csv", "--columns", "id", "--no-header", "--actor", "ops");
		cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
		EXPECT_OUT(r, cases[i].ids);
	}
}

/* A FETCH that fails inside find's pipeline (a view whose row 1500
 * divides by zero, in the second batch): the command exits with the
 * server's reason, after the first batch's rows; a reader that had
 * enough before it (a limit counted after the address filter) but whose
 * batch asked for ahead failed is told the same reason, not that its
 * transaction was aborted. */
Test(postgres_only, a_fetch_failing_inside_finds_pipeline_is_told_with_its_reason)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'one@example.com', 'one');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, device_name, ip_address,"
		" last_activity, is_active)"
		" SELECT g, 1, 'fp' || g, 'device ' || g, '10.0.0.1', '2025-02-01 00:00:00', TRUE"
		" FROM generate_series(1, 3000) AS g;\n"
		"ALTER TABLE sessions RENAME TO sessions_t;\n"
		"CREATE VIEW sessions AS SELECT id, user_id, device_fingerprint,"
		" CASE WHEN id = 1500 THEN (1 / (id - 1500))::text ELSE device_name END AS device_name,"
		" device_type, browser, ip_address, created_at, last_activity, is_active FROM sessions_t");

	struct run *r = RUN("find", "-o", "csv", "--no-header", "--columns", "id");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "division by zero");
	cr_expect(strncmp(r->out, "1\r\n2\r\n", 6) == 0, "%s: no first batch: %.40s", r->what, r->out);
	cr_expect_null(strstr(r->out, "\n1500\r"), "%s: printed the failing row", r->what);

	r = RUN("find", "--ip", "10.0.0.0/8", "--limit", "5", "-o", "csv", "--columns", "id");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "division by zero");

	/* the same limit without the address filter is the server's: the
	 * cursor stops at 5 rows and nothing fails */
	r = RUN("find", "--limit", "5", "-o", "csv", "--no-header", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\r\n2\r\n3\r\n4\r\n5\r\n");
}

/* find reads times in binary (microseconds since 2000), the other
 * commands as text seconds: both round down to the second, before 1970
 * and at the edges of the years sessctl shows, and a timestamp without
 * time zone column (an ORM's) reads as UTC in both. */
Test(postgres_only, find_reads_every_time_to_the_second_as_list_user_does)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES\n"
		" (81, 9, 'f81', '1969-12-31 23:59:59.5+00', '2025-01-01 00:00:00.999999+00', TRUE),\n"
		" (82, 9, 'f82', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00', TRUE),\n"
		" (83, 9, 'f83', '1900-06-30 12:00:00.000001+00', '2000-01-01 00:00:00+00', TRUE),\n"
		" (84, 9, 'f84', '1999-12-31 23:59:59.999999+00', '2000-01-01 00:00:00.000001+00', TRUE)");
	const char *want = "id,created_at,last_activity\r\n"
			   "81,1969-12-31T23:59:59Z,2025-01-01T00:00:00Z\r\n"
			   "82,0001-01-01T00:00:00Z,9999-12-31T23:59:59Z\r\n"
			   "83,1900-06-30T12:00:00Z,2000-01-01T00:00:00Z\r\n"
			   "84,1999-12-31T23:59:59Z,2000-01-01T00:00:00Z\r\n";
	const char *cols = "id,created_at,last_activity";
	struct run *f = RUN("find", "--user", "tess", "-o", "csv", "--columns", cols);
	EXPECT_OK(f);
	EXPECT_OUT(f, want);
	struct run *l = RUN("list-user", "tess", "-o", "csv", "--columns", cols);
	EXPECT_OK(l);
	cr_expect_eq(strlen(l->out), strlen(want), "%s: %s", l->what, l->out);
	for (const char *line = strchr(want, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
		char one[64];
		snprintf(one, sizeof(one), "%.*s", (int)(strchr(line, '\n') - line + 1), line);
		EXPECT_OUT_HAS(l, one);
	}

	db_exec("ALTER TABLE sessions ALTER COLUMN created_at TYPE timestamp without time zone\n"
		"USING created_at AT TIME ZONE 'UTC'");
	f = RUN("find", "--user", "tess", "-o", "csv", "--columns", cols);
	EXPECT_OK(f);
	EXPECT_OUT(f, want);
}

/* ---- URL forms and libpq's environment ---- */

Test(postgres_only, url_and_keyword_forms_and_pghost_reach_the_same_database)
{
	char url1[512], url2[512], kw[256], env[300];

	fx_standard();
	snprintf(url1, sizeof(url1), "postgresql://postgres@/%s?host=%s", e2e_db()->path, e2e_pghost());
	snprintf(url2, sizeof(url2), "postgres:///%s?host=%s&user=postgres", e2e_db()->path, e2e_pghost());
	snprintf(kw, sizeof(kw), "dbname=%s user=postgres", e2e_db()->path);
	snprintf(env, sizeof(env), "PGHOST=%s", e2e_pghost());
	const char *const urls[] = { e2e_url(), url1, url2 };

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct run *r = RUN_DB(urls[i], "count", "alice");
		EXPECT_OK(r);
		EXPECT_OUT(r, "4\n");
	}
	struct run *r = e2e_run(&(struct call){ .db = kw, .env = ARGV(env) }, ARGV("count", "alice"));
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
	char pgdb[128];
	snprintf(pgdb, sizeof(pgdb), "PGDATABASE=%s", e2e_db()->path);
	r = e2e_run(&(struct call){ .db = "postgresql://", .env = ARGV(env, pgdb, "PGUSER=postgres") },
		    ARGV("count", "alice"));
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
}

/* Issue 13 item 11: with neither --db nor SESSCTL_DB, libpq's own
 * variables select PostgreSQL as psql would, unless ./sessions.db
 * exists. */
Test(postgres_only, libpq_variables_select_postgresql_when_no_database_is_named)
{
	char host[300], dbname[128];

	fx_standard();
	snprintf(host, sizeof(host), "PGHOST=%s", e2e_pghost());
	snprintf(dbname, sizeof(dbname), "PGDATABASE=%s", e2e_db()->path);
	struct run *r = e2e_run(&(struct call){ .no_db = true,
						.env = ARGV(host, dbname, "PGUSER=postgres") },
				ARGV("count", "alice"));
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
	/* -v says where: the URL is only 'postgresql://' */
	r = e2e_run(&(struct call){ .no_db = true, .env = ARGV(host, dbname, "PGUSER=postgres") },
		    ARGV("-v", "count", "alice"));
	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	char want[600];
	snprintf(want, sizeof(want), " connected to database '%s' as user 'postgres' on socket directory %s port ",
		 e2e_db()->path, e2e_pghost());
	EXPECT_ERR_HAS(r, want);
	/* When that connection fails, the error says why it is PostgreSQL. */
	r = e2e_run(&(struct call){ .no_db = true, .env = ARGV("PGHOST=/nonexistent") },
		    ARGV("count", "alice"));
	EXPECT_FAIL(r, 69);
	EXPECT_ERR_HAS(r, "(PostgreSQL by default: no --db or $SESSCTL_DB, no sessions.db here, and "
			  "$PGHOST is set)\n");
	r = e2e_run(&(struct call){ .no_db = true, .env = ARGV(host, "PGDATABASE=no_such_db", "PGUSER=postgres") },
		    ARGV("count", "alice"));
	EXPECT_FAIL(r, 69);
	EXPECT_ERR_HAS(r, "database \"no_such_db\" does not exist (PostgreSQL by default: ");
	EXPECT_ERR_HAS(r, "and $PGDATABASE is set)\n");

	/* A sessions.db here still wins: it is the documented default. */
	EXPECT_OK(e2e_run(&(struct call){ .db = "sessions.db" }, ARGV("-q", "migrate")));
	r = e2e_run(&(struct call){ .no_db = true, .env = ARGV(host, dbname, "PGUSER=postgres") },
		    ARGV("count", "alice"));
	EXPECT_FAIL(r, 67);
	/* Without any of them, the missing sessions.db is reported as before. */
	r = e2e_run(&(struct call){ .no_db = true, .cwd = "/" }, ARGV("count", "alice"));
	EXPECT_FAIL(r, 66);
}

Test(postgres_only, the_clients_time_zone_and_date_style_do_not_change_the_output)
{
	fx_standard();
	struct run *plain = RUN("list-user", "alice", "--all", "-o", "json");
	struct run *tz = e2e_run(&(struct call){ .env = ARGV("PGTZ=Asia/Tokyo", "PGDATESTYLE=SQL, DMY") },
				 ARGV("list-user", "alice", "--all", "-o", "json"));
	struct run *opts = e2e_run(
		&(struct call){ .env = ARGV("PGOPTIONS=-c TimeZone=Pacific/Honolulu -c DateStyle=German") },
		ARGV("list-user", "alice", "--all", "-o", "json"));
	struct run *idle = e2e_run(&(struct call){ .env = ARGV("PGTZ=Asia/Tokyo") },
				   ARGV("list-user", "1", "--idle-for", "90m", "--now", "2025-02-08 12:00:00",
					"-o", "csv", "--no-header", "--columns", "id"));

	EXPECT_OK(plain);
	EXPECT_OUT_HAS(plain, "\"last_activity\":\"2025-02-08T10:30:00Z\"");
	EXPECT_OK(tz);
	EXPECT_OUT(tz, plain->out);
	EXPECT_OK(opts);
	EXPECT_OUT(opts, plain->out);
	EXPECT_OK(idle);
	cr_expect(strncmp(idle->out, "11\r\n10\r\n12\r\n", 12) == 0, "--idle-for under PGTZ: %s", idle->out);
}

/* ---- the application writing while enforce runs ---- */

static void pg_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
}

/* How many other connections to the test's database wait for a lock. */
static long long lock_waiters(void)
{
	return db_int("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
		      " AND wait_event_type = 'Lock'");
}

/* bob's session 50 was idle for 100 days; 51-53 are recent. The
 * application refreshes 50 in a transaction that commits only once
 * enforce (at the real time) is waiting for it: 50 must stay active and
 * never be expired, and the device limit, ranking the refreshed 50 as
 * the most recent, closes 51, the oldest of the others. */
Test(postgres_only, a_session_the_application_refreshes_while_enforce_runs_is_not_expired)
{
	fx_standard();
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (50, 2, 'r50', now() - interval '200 days', now() - interval '100 days', TRUE),"
		" (51, 2, 'r51', now() - interval '1 day', now() - interval '3 hours', TRUE),"
		" (52, 2, 'r52', now() - interval '1 day', now() - interval '2 hours', TRUE),"
		" (53, 2, 'r53', now() - interval '1 day', now() - interval '1 hour', TRUE);"
		"UPDATE sessions SET is_active = FALSE WHERE id = 20");
	PGconn *app = PQconnectdb(e2e_url());
	cr_assert_eq(PQstatus(app), CONNECTION_OK, "%s", PQerrorMessage(app));
	pg_ok(app, "BEGIN");
	pg_ok(app, "UPDATE sessions SET last_activity = now() WHERE id = 50");

	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--user", "bob", "--actor", "cron", "-o", "csv",
					    "--columns", "expired,over_limit,purged,interrupted"));
	bool waited = false;
	for (int i = 0; i < 250 && !waited; i++) { /* up to 5 s */
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		waited = lock_waiters() > 0;
	}
	nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
	pg_ok(app, "COMMIT");
	PQfinish(app);
	struct run *r = e2e_wait(p);

	cr_expect(waited, "enforce never waited for the application's transaction");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit,purged,interrupted\r\n0,1,0,false\r\n");
	EXPECT_ROWS("SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions WHERE user_id = 2 ORDER BY id",
		    "20|0\n21|0\n50|1\n51|0\n52|1\n53|1\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit ORDER BY id", "51|over-limit\n");
}

/* The application's open transaction, holding session id's row. */
static PGconn *app_locks_session(int64_t id)
{
	char sql[128];
	PGconn *app = PQconnectdb(e2e_url());

	cr_assert_eq(PQstatus(app), CONNECTION_OK, "%s", PQerrorMessage(app));
	pg_ok(app, "BEGIN");
	snprintf(sql, sizeof(sql), "UPDATE sessions SET last_activity = last_activity WHERE id = %lld",
		 (long long)id);
	pg_ok(app, sql);
	return app;
}

/* Whether another connection comes to wait for a lock within 3 s. */
static bool someone_waits_for_a_lock(void)
{
	for (int i = 0; i < 150; i++) {
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		if (lock_waiters() > 0)
			return true;
	}
	return false;
}

/* The connection's own timeouts end it as a terminated backend does:
 * idle_in_transaction_session_timeout (25P03) and idle_session_timeout
 * (57P05). A command that met one exited 70, an internal error; now it
 * connects again and runs the transaction again. The server's error is
 * played by a trigger that raises the code once per state, as a result
 * of a statement; the real timeouts, whose FATAL message comes unasked
 * and ends the connection, are tests/check-faults-postgres.sh's
 * section 13. */
Test(postgres_only, a_connection_ended_by_its_idle_timeouts_is_opened_again, .timeout = 60)
{
	static const char *const states[] = { "25P03", "57P05" };

	fx_standard();
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		/* a sequence's value stays when the transaction rolls back */
		char sql[1024];
		snprintf(sql, sizeof(sql),
			 "CREATE SEQUENCE t_raised_%zu;\n"
			 "CREATE OR REPLACE FUNCTION t_raise() RETURNS trigger LANGUAGE plpgsql AS $$\n"
			 "BEGIN\n"
			 "  IF nextval('t_raised_%zu') = 1 THEN\n"
			 "    RAISE EXCEPTION 'terminating connection (played)' USING ERRCODE = '%s';\n"
			 "  END IF;\n"
			 "  RETURN NEW;\n"
			 "END $$;\n"
			 "DROP TRIGGER IF EXISTS t_raise ON sessions;\n"
			 "CREATE TRIGGER t_raise BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION t_raise()",
			 i, i, states[i]);
		db_exec(sql);
		const char *user = i == 0 ? "alice" : "bob";
		struct run *r = RUN("-v", "logout-all", user, "--yes", "--actor", "ops", "-q");
		cr_expect_eq(r->status, 0, "%s: %s: exit %d: %s", states[i], r->what, r->status, r->err);
		EXPECT_ERR_HAS(r, "reconnected to '");
		snprintf(sql, sizeof(sql), "SELECT last_value FROM t_raised_%zu", i);
		cr_expect_gt(db_int(sql), 1, "%s: the trigger raised nothing", states[i]);
	}
	EXPECT_ROWS("SELECT user_id, count(*) FROM sessctl_audit GROUP BY 1 ORDER BY 1", "1|4\n2|1\n");
	EXPECT_ROWS("SELECT count(*) FROM sessions WHERE is_active AND user_id IN (1, 2)", "0\n");
}

/* The look-up of enforce --user is a read of its own before the run: a
 * connection lost there (a failover, the backend terminated) ended the
 * command at once (69), where every transaction of the run reconnects.
 * Here the application holds users locked, the look-up waits, and its
 * server process is terminated: it reconnects and the run completes. */
Test(postgres_only, a_connection_lost_while_enforce_looks_up_its_user_is_opened_again, .timeout = 60)
{
	fx_standard();
	PGconn *app = PQconnectdb(e2e_url());
	cr_assert_eq(PQstatus(app), CONNECTION_OK, "%s", PQerrorMessage(app));
	pg_ok(app, "BEGIN");
	pg_ok(app, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("-v", "enforce", "--user", "alice", "--actor", "ops"));
	bool waited = someone_waits_for_a_lock();
	cr_assert(waited, "enforce --user never waited for the lock on users");
	cr_expect_eq(db_int("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			    " WHERE datname = current_database() AND wait_event_type = 'Lock'"), 1);
	pg_ok(app, "COMMIT");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_ERR_HAS(r, "reconnected to '");
	EXPECT_ERR_HAS(r, "3 expired");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'expire'"), 3);
}

/* A write that needs a row the application holds locked waits at most
 * a second a try (lock_timeout), so that the application's writes to the
 * rows it has locked meanwhile wait no longer either. A bulk logout then
 * runs that batch again without the row, closes the others and ends with
 * 75 saying it left one: it used to stop there, six tries later, having
 * closed nothing, and so on every run while the transaction stayed open.
 * SIGTERM during the wait stops it as between two batches (143). */
Test(postgres_only, a_write_waits_for_a_row_lock_a_bounded_time, .timeout = 90)
{
	fx_standard();
	PGconn *app = app_locks_session(10);

	double t0 = e2e_ms();
	struct run *r = RUN("logout", "--all-users", "--yes", "--actor", "ops", "-o", "csv",
			    "--columns", "closed,batches,locked");
	double took = e2e_ms() - t0;
	EXPECT_FAIL(r, 75);
	EXPECT_OUT(r, "closed,batches,locked\r\n4,1,1\r\n");
	EXPECT_ERR_HAS(r, "logout left 1 session as it was: another transaction held it locked");
	EXPECT_ERR_HAS(r, "run the same command again to close it");
	cr_expect(e2e_one_error_line(r->err), "not one line: %s", r->err);
	cr_expect_lt(took, 10000.0, "took %.0f ms", took);
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "10\n");
	EXPECT_ROWS("SELECT session_id FROM sessctl_audit ORDER BY session_id", "11\n12\n14\n20\n");

	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("logout", "--all-users", "--yes", "--actor", "ops", "-o", "csv",
					    "--columns", "closed,interrupted"));
	bool waited = someone_waits_for_a_lock();
	e2e_signal(p, SIGTERM);
	r = e2e_wait(p);
	cr_expect(waited, "the bulk logout never waited for the application's lock");
	cr_expect_eq(r->status, 143, "exit %d: %s", r->status, r->err);
	EXPECT_ERR_HAS(r, "interrupted by SIGTERM");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 4);

	/* The dry run leaves it out too, and says so. */
	r = RUN("logout", "--all-users", "--dry-run", "--actor", "ops", "-o", "csv", "--columns", "id");
	cr_expect_eq(r->status, 75, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "id\r\n");
	EXPECT_ERR_HAS(r, "logout --dry-run left out 1 session: another transaction held it locked");

	pg_ok(app, "COMMIT");
	PQfinish(app);
	r = RUN("logout", "--all-users", "--yes", "--actor", "ops", "-o", "csv", "--columns", "closed,locked");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,locked\r\n1,0\r\n");
	EXPECT_ROWS("SELECT count(*) FROM sessions WHERE is_active", "0\n");
}

/* An application transaction left open (idle in transaction) holding
 * one idle session of bob's: enforce used to stop at the first batch that
 * needed it, 75 after six tries, on every run while it stayed open, and
 * every user after it went unenforced. It leaves that session and bob
 * (whose ranking needs all his sessions), does the rest, says how many
 * sessions it left (75), and records no steady state, so that the next
 * run, once the transaction ends, looks where this one did and does
 * them. */
/* bob (2): idle 100 and 110-114; carol (3): idle 101 and closed 102,
 * a year old; dave (4): 120-124; alice (1) is the admin. */
static void leaving_fixture(void)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin'),"
		" (2, 'b@x', 'bob', 'user'), (3, 'c@x', 'carol', 'user'), (4, 'd@x', 'dave', 'user');"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" SELECT id, u, 'f' || id, now() - interval '90 days', now() - age, TRUE FROM (VALUES"
		"  (100, 2, interval '60 days'), (101, 3, interval '60 days'),"
		"  (110, 2, interval '1 min'), (111, 2, interval '2 min'), (112, 2, interval '3 min'),"
		"  (113, 2, interval '4 min'), (114, 2, interval '5 min'),"
		"  (120, 4, interval '1 min'), (121, 4, interval '2 min'), (122, 4, interval '3 min'),"
		"  (123, 4, interval '4 min'), (124, 4, interval '5 min')) AS t (id, u, age);"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (102, 3, 'f102', now() - interval '500 days', now() - interval '400 days', FALSE)");
}

Test(postgres_only, enforce_leaves_rows_an_open_transaction_holds_and_does_the_rest, .timeout = 90)
{
	leaving_fixture();
	PGconn *app = app_locks_session(100);
	pg_ok(app, "UPDATE sessions SET last_activity = last_activity WHERE id = 102"); /* to purge */

	struct run *r = RUN("enforce", "--actor", "alice", "--purge-after", "300d", "--dry-run", "-o", "csv", "--columns", "id");
	cr_expect_eq(r->status, 75, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "id\r\n101\r\n123\r\n124\r\n");
	EXPECT_ERR_HAS(r, "enforce --dry-run left out 4 sessions: another transaction held them (or "
		       "their users) locked");
	EXPECT_ERR_HAS(r, "nothing was changed");

	r = RUN("enforce", "--actor", "alice", "--purge-after", "300d", "-o", "csv");
	EXPECT_FAIL(r, 75);
	/* Left: bob's idle 100, which expire would close, and of his
	 * sessions the two the limit would close (113, 114), each once;
	 * carol's closed 102, which purge would delete. */
	EXPECT_OUT(r, "expired,over_limit,purged,batches,interrupted,locked\r\n1,2,0,2,false,4\r\n");
	EXPECT_ERR_HAS(r, "enforce left 4 sessions as they were: another transaction held them (or "
		       "their users) locked");
	EXPECT_ERR_HAS(r, "'idle in transaction' in pg_stat_activity");
	EXPECT_ERR_HAS(r, "everything else is done");
	cr_expect(e2e_one_error_line(r->err), "not one line: %s", r->err);
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active ORDER BY id", "101\n102\n123\n124\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit ORDER BY session_id",
		    "101|expire\n123|over-limit\n124|over-limit\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_enforce_state"), 0,
		     "a run that left rows recorded a steady state");

	/* While the transaction stays open, every run does the same, and
	 * nothing else. */
	const char *prom = e2e_path("enforce.prom");
	r = RUN("enforce", "--actor", "alice", "--purge-after", "300d", "-o", "csv", "--columns",
		"expired,over_limit,purged,locked", "--metrics-file", prom);
	EXPECT_FAIL(r, 75);
	EXPECT_OUT(r, "expired,over_limit,purged,locked\r\n0,0,0,4\r\n");
	size_t len;
	char *metrics = e2e_read_file(prom, &len);
	cr_assert_not_null(metrics);
	cr_expect(strstr(metrics, "\nsessctl_enforce_locked_sessions 4\n"), "%s", metrics);
	cr_expect(strstr(metrics, "\nsessctl_enforce_success 0\n"), "%s", metrics);
	free(metrics);

	pg_ok(app, "COMMIT");
	PQfinish(app);
	r = RUN("enforce", "--actor", "alice", "--purge-after", "300d", "-o", "csv", "--columns",
		"expired,over_limit,purged,locked");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit,purged,locked\r\n1,2,1,0\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active ORDER BY id",
		    "100\n101\n113\n114\n123\n124\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_enforce_state"), 1);
}

/* A dry run that already had rows in its report when a lock wait gave
 * up (here in the device-limit step, after expire's rows) was not run
 * again: the rows had been passed on, though only to the report's
 * temporary file. The report starts over now, each row once, and the
 * dry run leaves out what the real run would leave. SIGTERM during the
 * wait ended such a dry run with 75, not 143. */
Test(postgres_only, a_dry_run_that_met_a_held_row_after_some_rows_starts_its_report_over, .timeout = 90)
{
	leaving_fixture();
	PGconn *app = app_locks_session(124); /* dave's, over the limit */

	struct run *r = RUN("enforce", "--actor", "alice", "--purge-after", "300d", "--dry-run", "-o",
			    "csv", "--columns", "id");
	cr_expect_eq(r->status, 75, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "id\r\n100\r\n101\r\n113\r\n114\r\n102\r\n");
	EXPECT_ERR_HAS(r, "enforce --dry-run left out 2 sessions");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0);

	/* Its connection lost while it waits, after expire's rows: it
	 * reconnects and runs again, and that too starts the report over
	 * (each row was shown twice, with exit 0). */
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--actor", "alice", "--dry-run", "-o", "csv",
					    "--columns", "id"));
	bool waited = someone_waits_for_a_lock();
	cr_expect_eq(db_int("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			    " WHERE datname = current_database() AND wait_event_type = 'Lock'"), 1);
	pg_ok(app, "COMMIT"); /* so that the run after the reconnect goes through */
	r = e2e_wait(p);
	cr_expect(waited, "the dry run never waited for the application's lock");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "id\r\n100\r\n101\r\n113\r\n114\r\n123\r\n124\r\n");

	pg_ok(app, "BEGIN");
	pg_ok(app, "UPDATE sessions SET last_activity = last_activity WHERE id = 124");
	p = e2e_start(&(struct call){ 0 }, ARGV("enforce", "--actor", "alice", "--dry-run", "-o", "csv"));
	waited = someone_waits_for_a_lock();
	e2e_signal(p, SIGTERM);
	r = e2e_wait(p);
	cr_expect(waited, "the dry run never waited for the application's lock");
	cr_expect_eq(r->status, 143, "exit %d: %s", r->status, r->err);
	EXPECT_ERR_HAS(r, "interrupted by SIGTERM");

	/* A real run stopped so, in the device limit's wait, after expire
	 * left bob's idle 100 (held too, by the same transaction: behind
	 * PgBouncer the pool has two server connections): what it left is
	 * still told. */
	pg_ok(app, "UPDATE sessions SET last_activity = last_activity WHERE id = 100");
	p = e2e_start(&(struct call){ 0 }, ARGV("enforce", "--actor", "alice", "-o", "csv", "--columns",
						"expired,interrupted,locked"));
	/* The device limit's wait: lock_users locking bob's sessions (not
	 * expire's, nor the wait at the end of the run). */
	bool limit_waits = false;
	for (int i = 0; i < 500 && !limit_waits; i++) { /* up to 10 s */
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		limit_waits = db_int("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
				     " AND wait_event_type = 'Lock'"
				     " AND query LIKE 'SELECT id FROM sessions WHERE user_id = ANY%'") > 0;
	}
	cr_expect(limit_waits, "the device limit never waited");
	e2e_signal(p, SIGTERM);
	r = e2e_wait(p);
	cr_expect_eq(r->status, 143, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "expired,interrupted,locked\r\n1,true,1\r\n");
	pg_ok(app, "COMMIT");
	PQfinish(app);
}

/* Two enforce runs at once, and no other transaction: a run whose lock
 * wait gave up on the other's batch (here one batch of every session,
 * which holds its rows longer than this database's lock wait, 200 ms)
 * ran again without those rows and reported them left, most likely by
 * a transaction left open (75, no steady state recorded). Left rows are
 * waited for once more at the end and only what is still due counts:
 * what the other run closed is not. Each run's count at the end locks
 * what it left while it waits and counts, so the other's retry left
 * those in turn, and 20,000 of the 30,000 sessions were done by neither
 * run (both 75; 4 in 40 runs with the two cores busy): free and still
 * due at the count, they are now done (the steps run again). */
Test(postgres_only, two_enforce_runs_at_once_report_nothing_left, .timeout = 120)
{
	db_migrate(NULL);
	db_exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = ''200ms''', "
		"current_database()); END $$");
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin');"
		"INSERT INTO users (id, email, username, role)"
		" SELECT g, 'u' || g || '@x', 'u' || g, 'user' FROM generate_series(2, 3001) AS g;"
		"INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity)"
		" SELECT u, 'f' || u || '-' || k, now() - interval '10 days',"
		"        now() - interval '2 hours' - k * interval '1 min'"
		" FROM generate_series(2, 3001) AS u, generate_series(0, 9) AS k");
	const char *const *run = ARGV("enforce", "--actor", "alice", "--idle-timeout", "1h",
				      "--max-sessions", "100", "--batch-size", "100000", "-o", "csv",
				      "--columns", "expired,locked");
	struct e2e_proc *first = e2e_start(&(struct call){ 0 }, run);
	nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	struct run *second = e2e_run(&(struct call){ 0 }, run);
	struct run *r = e2e_wait(first);

	cr_expect_eq(r->status, 0, "first: exit %d: %s", r->status, r->err);
	cr_expect_eq(second->status, 0, "second: exit %d: %s", second->status, second->err);
	EXPECT_OUT_HAS(second, ",0\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 30000, "closed or audited twice");
}

/* A database at version 3, so that migration 4 builds an index on
 * sessions, which needs a lock the application's open transaction holds. */
static void at_version_3(void)
{
	fx_standard();
	db_exec("DROP INDEX idx_sessions_active_activity");
	db_exec("DELETE FROM sessctl_migrations WHERE version > 3");
}

/* Waiting for that lock, migrate made every later write of the
 * application to sessions queue behind it, for as long as the open
 * transaction lasted; now it gives up after 5 s (75), nothing applied,
 * and the writes go on. */
Test(postgres_only, a_migration_waits_for_a_lock_at_most_5_s_and_the_writes_go_on, .timeout = 60)
{
	at_version_3();
	PGconn *app = app_locks_session(10);

	struct e2e_proc *p = e2e_start(&(struct call){ 0 }, ARGV("migrate"));
	bool waited = someone_waits_for_a_lock();
	/* Another write of the application's queues behind the waiting
	 * migration: it must get through once migrate gives up. */
	PGconn *other = PQconnectdb(e2e_url());
	cr_assert_eq(PQstatus(other), CONNECTION_OK, "%s", PQerrorMessage(other));
	pg_ok(other, "UPDATE sessions SET last_activity = last_activity WHERE id = 11");
	PQfinish(other);
	struct run *r = e2e_wait(p);
	pg_ok(app, "COMMIT");
	PQfinish(app);

	cr_expect(waited, "migrate never waited for the application's transaction");
	EXPECT_FAIL(r, 75);
	EXPECT_ERR_HAS(r, "try again later");
	cr_expect(e2e_one_error_line(r->err), "not one line: %s", r->err);
	cr_expect_eq(db_int("SELECT max(version) FROM sessctl_migrations"), 3);
	cr_expect_eq(db_int("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_sessions_active_activity'"), 0);
	r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "schema is at version 8");
}

/* A migrate killed while it waits (or builds) leaves no server process
 * behind holding the queue of the application's writes (PostgreSQL 14+:
 * the server checks every second that its client is still there). */
Test(postgres_only, a_killed_migration_leaves_no_server_process_waiting, .timeout = 60)
{
	if (e2e_pgbouncer())
		return; /* the pooler, not sessctl, is the server's client */
	at_version_3();
	PGconn *app = app_locks_session(10);

	struct e2e_proc *p = e2e_start(&(struct call){ 0 }, ARGV("migrate"));
	bool waited = someone_waits_for_a_lock();
	cr_assert(waited, "migrate never waited for the application's transaction");
	e2e_signal(p, SIGKILL);
	e2e_wait(p);
	long long left = 1;
	for (int i = 0; i < 150 && left; i++) { /* up to 3 s */
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		left = lock_waiters();
	}
	pg_ok(app, "COMMIT");
	PQfinish(app);
	cr_expect_eq(left, 0, "the killed migration's server process still waits for the lock");
	cr_expect_eq(db_int("SELECT max(version) FROM sessctl_migrations"), 3);
}

/* uuid ids, text times: columns sessctl cannot use are named by
 * migrate (78) before anything is applied; a domain over an integer and
 * an ORM's naive timestamps will do. */
Test(postgres_only, tables_with_columns_of_types_sessctl_cannot_use_are_not_adopted)
{
	db_exec("CREATE DOMAIN user_key AS bigint;"
		"CREATE TABLE users (id user_key PRIMARY KEY, email text UNIQUE, username text,"
		" role text NOT NULL DEFAULT 'user');"
		"CREATE TABLE sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
		" user_id bigint NOT NULL REFERENCES users (id), device_fingerprint varchar(255),"
		" device_name varchar(255), device_type varchar(20), browser varchar(100),"
		" ip_address varchar(45), created_at timestamp, last_activity text,"
		" is_active boolean NOT NULL DEFAULT true)");
	struct run *r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "column sessions.id is uuid");
	EXPECT_ERR_HAS(r, "integer");
	cr_expect_not(db_table_exists("sessctl_migrations"), "migrate recorded something");

	db_exec("ALTER TABLE sessions DROP COLUMN id; ALTER TABLE sessions ADD COLUMN id bigserial PRIMARY KEY");
	r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "column sessions.last_activity is text");

	db_exec("ALTER TABLE sessions ALTER COLUMN last_activity TYPE timestamp USING last_activity::timestamp");
	r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "schema is at version 8");
}

/* An ORM's enum of device types, inet addresses, uuid fingerprints:
 * migrate adopted them and exited 0, then every find and bulk logout
 * failed (70, "operator does not exist: devicetype = text"), create too.
 * Named by migrate now (78), each; an enum of roles, only read, will do. */
Test(postgres_only, text_columns_of_an_enum_inet_or_uuid_type_are_not_adopted)
{
	db_exec("CREATE TYPE devicetype AS ENUM ('web', 'mobile');"
		"CREATE TYPE userrole AS ENUM ('user', 'admin');"
		"CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) UNIQUE,"
		" username varchar(100), role userrole NOT NULL DEFAULT 'user');"
		"CREATE TABLE sessions (id serial PRIMARY KEY,"
		" user_id integer NOT NULL REFERENCES users (id), device_fingerprint uuid,"
		" device_name varchar(255), device_type devicetype, browser varchar(100),"
		" ip_address inet, created_at timestamp, last_activity timestamp,"
		" is_active boolean NOT NULL DEFAULT true, UNIQUE (user_id, device_fingerprint));"
		"INSERT INTO users (email, username, role) VALUES ('a@example.com', 'a', 'admin')");
	static const char *const fixes[][2] = {
		{ "sessions.device_fingerprint is uuid",
		  "ALTER TABLE sessions ALTER COLUMN device_fingerprint TYPE varchar(255)" },
		{ "sessions.device_type is devicetype",
		  "ALTER TABLE sessions ALTER COLUMN device_type TYPE varchar(20)" },
		{ "sessions.ip_address is inet",
		  "ALTER TABLE sessions ALTER COLUMN ip_address TYPE varchar(45) USING host(ip_address)" },
	};
	for (size_t i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++) {
		struct run *r = RUN("migrate");
		EXPECT_FAIL(r, 78);
		EXPECT_ERR_HAS(r, fixes[i][0]);
		EXPECT_ERR_HAS(r, "it needs a string type (text, varchar or char) there");
		r = RUN("migrate", "--dry-run");
		EXPECT_FAIL(r, 78);
		EXPECT_ERR_HAS(r, fixes[i][0]);
		cr_expect_not(db_table_exists("sessctl_migrations"), "migrate recorded something");
		db_exec(fixes[i][1]);
	}
	struct run *r = RUN("migrate", "-q");
	EXPECT_OK(r);
	r = RUN("create", "--user", "a", "--fingerprint", "f1", "--device-type", "web", "--ip",
		"198.51.100.7", "--actor", "a", "-q", "-o", "csv", "--columns", "change", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "created\r\n");
	r = RUN("find", "--device-type", "web", "--ip", "198.51.100.0/24", "-o", "csv", "--columns",
		"device_fingerprint", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "f1\r\n");
}

/* ---- an ORM's schema: timestamp without time zone, integer ids ---- */

static const char naive_schema[] =
	"CREATE TABLE users (\n"
	"    id SERIAL PRIMARY KEY,\n"
	"    email VARCHAR(255) NOT NULL UNIQUE,\n"
	"    username VARCHAR(100),\n"
	"    role VARCHAR(20) NOT NULL DEFAULT 'user',\n"
	"    hashed_password VARCHAR(255),\n"
	"    created_at TIMESTAMP WITHOUT TIME ZONE\n"
	");\n"
	"CREATE TABLE sessions (\n"
	"    id SERIAL PRIMARY KEY,\n"
	"    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
	"    device_fingerprint VARCHAR(255),\n"
	"    device_name VARCHAR(255),\n"
	"    device_type VARCHAR(20),\n"
	"    browser VARCHAR(100),\n"
	"    ip_address VARCHAR(45),\n"
	"    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(),\n"
	"    last_activity TIMESTAMP WITHOUT TIME ZONE DEFAULT now(),\n"
	"    is_active BOOLEAN DEFAULT true,\n"
	"    CONSTRAINT uq_user_device UNIQUE (user_id, device_fingerprint)\n"
	");\n"
	"CREATE INDEX idx_user_active ON sessions (user_id, is_active);\n"
	"CREATE INDEX idx_created_at ON sessions (created_at);\n"
	"INSERT INTO users (id, email, username, role) VALUES\n"
	" (1, 'admin@example.com', 'admin', 'admin'), (74, 'dana@example.com', 'dana', 'user');\n"
	"INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,\n"
	"                      ip_address, created_at, last_activity, is_active) VALUES\n"
	" (501, 74, 'a1b2', 'Chrome on Windows 10', 'web', 'Chrome', '198.51.100.4',\n"
	"  '2025-02-01 08:00:00.123456', '2025-02-08 10:30:00.654321', true),\n"
	" (502, 74, 'c3d4', 'Safari on iPhone', 'mobile', 'Safari', NULL,\n"
	"  '2025-02-02 09:15:00', '2025-02-07 22:00:00', true),\n"
	" (503, 74, 'e5f6', NULL, NULL, NULL, NULL, '2025-01-05 10:00:00', '2025-01-06 10:00:00', false);\n";

Test(postgres_only, adopts_naive_timestamps_and_integer_ids_and_treats_them_as_utc)
{
	db_exec(naive_schema);
	struct run *r = RUN("migrate");

	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 3, "sessions lost");
	cr_expect_eq(db_int("SELECT count(*) FROM information_schema.columns WHERE table_name = 'sessions'"
			    " AND column_name = 'last_activity' AND data_type = 'timestamp without time zone'"),
		     1, "migrate changed the application's column type");
	r = RUN("list-user", "74", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n"
		      "{\"id\":501,\"user_id\":74,\"device_name\":\"Chrome on Windows 10\",\"device_type\":\"web\","
		      "\"browser\":\"Chrome\",\"ip_address\":\"198.51.100.4\",\"created_at\":\"2025-02-01T08:00:00Z\","
		      "\"last_activity\":\"2025-02-08T10:30:00Z\",\"is_active\":true},\n"
		      "{\"id\":502,\"user_id\":74,\"device_name\":\"Safari on iPhone\",\"device_type\":\"mobile\","
		      "\"browser\":\"Safari\",\"ip_address\":null,\"created_at\":\"2025-02-02T09:15:00Z\","
		      "\"last_activity\":\"2025-02-07T22:00:00Z\",\"is_active\":true}\n"
		      "]\n");
	/* 502 was last active at 22:00 UTC: idle 11.5 h at 09:30 */
	r = RUN("list-user", "74", "--idle-for", "12h", "--now", "2025-02-08 09:30:00", "-o", "csv",
		"--no-header", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "");
	r = RUN("list-user", "74", "--idle-for", "11h", "--now", "2025-02-08 09:30:00", "-o", "csv",
		"--no-header", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "502\r\n");
	r = RUN("show", "503", "-o", "csv", "--no-header", "--columns", "created_at,last_activity,is_active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "2025-01-05T10:00:00Z,2025-01-06T10:00:00Z,false\r\n");
	r = RUN("count", "--by", "user", "-o", "csv", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "74,dana@example.com,dana,2\r\n");
}

Test(postgres_only, migrations_are_recorded_once_with_their_time)
{
	EXPECT_OK(RUN("migrate", "--now", "2025-03-01 12:00:00"));
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_migrations"), SC_SCHEMA_VERSION);
	/* at the real time, whatever --now says (as audit rows) */
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_migrations"
			    " WHERE applied_at BETWEEN now() - interval '1 minute' AND now()"),
		     SC_SCHEMA_VERSION);
	struct run *r = RUN("migrate", "status", "-o", "csv", "--no-header", "--columns", "version,state,applied_at");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "1,applied,2");
}

/* A transaction that loses its connection every time it runs (here a
 * trigger ends its own server process) is run again after each
 * reconnect, but not for ever: after SC_TX_LOST_MAX reconnects the
 * command gives up with 69, and nothing has changed. (It used to loop as
 * long as each reconnect succeeded.) */
Test(postgres_only, a_transaction_that_always_loses_its_connection_gives_up)
{
	fx_standard();
	e2e_pg_admin("CREATE FUNCTION end_me() RETURNS trigger LANGUAGE plpgsql AS $$\n"
		     "BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;\n"
		     "CREATE TRIGGER end_me BEFORE UPDATE ON sessions FOR EACH ROW\n"
		     "WHEN (OLD.id = 10) EXECUTE FUNCTION end_me()");
	char *before = db_dump();
	struct run *r = RUN("logout", "10", "--actor", "ops");
	EXPECT_FAIL(r, 69);
	EXPECT_ERR_HAS(r, "(the connection was lost 6 times in one transaction: gave up)");
	EXPECT_UNCHANGED(before);
	free(before);

	/* -v tells each reconnect */
	struct run *v = RUN("-v", "enforce", "--now", "2030-01-01 00:00:00", "--actor", "ops", "--batch-size", "1");
	cr_expect_eq(v->status, 69, "%s: %d: %s", v->what, v->status, v->err);
	EXPECT_ERR_HAS(v, "(attempt 1)");
	EXPECT_ERR_HAS(v, "gave up)");
}

/* Statistics over the same times: infinity and years outside 0001-9999
 * are counted on the nearest day of that range (-infinity on the day of
 * the earliest time, as an unreadable time on SQLite), the days after
 * today are rows of their own, and metrics' oldest idle session is at
 * the earliest 0001-01-01. (Both failed with "cannot convert infinity to
 * bigint", exit 70.) */
Test(postgres_only, statistics_count_infinity_on_the_ends_of_the_range)
{
	db_migrate(NULL);
	db_exec(ODD_TIMES_SQL);
	struct run *r = RUN("count", "--by", "day", "--now", "2025-02-01 00:00:00", "-o", "csv");
	EXPECT_OK(r);
	/* created: 92 at -infinity, 91, 94, 95 on 2025-01-01, 93 in 294276;
	 * last seen: 92 and 94 (44 BC) early, 95 on 2025-02-01, 91
	 * (infinity) and 93 late; zeros on the 30 days between */
	cr_expect(strncmp(r->out, "day,created,last_seen\r\n0001-01-01,1,2\r\n2025-01-01,3,0\r\n"
			  "2025-01-02,0,0\r\n", 65) == 0, "%s: %s", r->what, r->out);
	const char *tail = "2025-01-31,0,0\r\n2025-02-01,0,1\r\n9999-12-31,1,2\r\n";
	cr_expect(r->out_len > strlen(tail) && strcmp(r->out + r->out_len - strlen(tail), tail) == 0,
		  "%s: %s", r->what, r->out);
	size_t lines = 0;
	for (const char *p = r->out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 35, "%s: %zu lines", r->what, lines);

	/* A --since before the year 1 counts what lies after it, 44 BC
	 * included (it was sent as 0001-01-01), -infinity not (the earliest
	 * time there is), and charts from 0001-01-01, once. */
	r = RUN("count", "--by", "day", "--since", "1000000d", "--now", "2025-02-01 00:00:00", "-o", "csv");
	EXPECT_OK(r);
	const char *head = "day,created,last_seen\r\n0001-01-01,0,1\r\n0001-01-02,0,0\r\n";
	cr_expect(strncmp(r->out, head, strlen(head)) == 0, "%s: %.200s", r->what, r->out);

	/* idle at 720h on 2025-03-01: 92 and 94 (95, seen 2025-02-01, is not) */
	struct run *m = RUN("metrics", "--now", "2025-03-01 00:00:00");
	EXPECT_OK(m);
	EXPECT_OUT_HAS(m, "\nsessctl_idle_sessions 2\n");
	/* 2025-03-01 less 0001-01-01, in seconds */
	EXPECT_OUT_HAS(m, "\nsessctl_oldest_idle_session_age_seconds 63876384000\n");
}

/* A database in SQL_ASCII holds bytes in no encoding; the server refused
 * to send one that is not UTF-8 to sessctl's UTF8 connection, so one
 * such byte in a device name failed every listing (cut off, 65) and
 * every logout of that session. Now read as bytes, replaced on output. */
Test(postgres_only, a_sql_ascii_database_with_bytes_that_are_not_utf8_is_listed_and_logged_out)
{
	char name[64], create[256], drop[128];
	const struct e2e_db *home = e2e_db();

	snprintf(name, sizeof(name), "sqlascii_%ld", (long)getpid());
	snprintf(create, sizeof(create), "CREATE DATABASE %s ENCODING 'SQL_ASCII' LC_COLLATE 'C' "
		 "LC_CTYPE 'C' TEMPLATE template0", name);
	snprintf(drop, sizeof(drop), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name); /* PgBouncer pools */
	e2e_pg_admin(drop);
	e2e_pg_admin(create);
	const char *at = strstr(home->url, home->path);
	cr_assert_not_null(at, "the database name is not in '%s'", home->url);
	char url[512];
	snprintf(url, sizeof(url), "%.*s%s%s", (int)(at - home->url), home->url, name,
		 at + strlen(home->path));
	struct e2e_db db = { .driver = home->driver, .url = url, .path = name };

	EXPECT_OK(RUN_DB(url, "-q", "migrate"));
	db_exec_in(&db, "INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'alice');"
		   "INSERT INTO sessions (id, user_id, device_fingerprint, device_name, browser,"
		   " last_activity) VALUES (1, 1, 'fp1', E'Caf\\xe9 PC', E'\\xff', "
		   "'2025-01-02 00:00:00+00'), (2, 1, 'fp2', 'ok', 'Firefox', '2025-01-02 10:00:00+00')");
	struct run *r = RUN_DB(url, "list-user", "alice", "-o", "json", "--columns", "id,device_name");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n{\"id\":2,\"device_name\":\"ok\"},\n"
		      "{\"id\":1,\"device_name\":\"Caf\xef\xbf\xbd PC\"}\n]\n");
	r = RUN_DB(url, "count", "--by", "browser", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\xef\xbf\xbd,1");
	r = RUN_DB(url, "-q", "logout", "--user", "alice", "--device", "fp1", "--actor", "ops", "-o", "csv",
		   "--columns", "change,id,device_name");
	EXPECT_OK(r);
	EXPECT_OUT(r, "change,id,device_name\r\nclosed,1,Caf\xef\xbf\xbd PC\r\n");
	r = RUN_DB(url, "history", "-o", "csv", "--columns", "action,session_id,device_name");
	EXPECT_OK(r);
	EXPECT_OUT(r, "action,session_id,device_name\r\nlogout,1,Caf\xef\xbf\xbd PC\r\n");
	/* A client_encoding the connection string chooses is the user's
	 * (it was overridden, as README and the man page say it is not):
	 * UTF8 has the server check each value it sends, and it refuses the
	 * byte that is not UTF-8 (65). */
	char chosen[600];
	snprintf(chosen, sizeof(chosen), "%s client_encoding=UTF8", url);
	r = RUN_DB(chosen, "list-user", "alice", "--all", "-o", "csv", "--columns", "id,device_name");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "invalid byte sequence for encoding \"UTF8\"");
	e2e_pg_admin(drop);
}

/* A create whose text is not UTF-8, on a connection that speaks UTF-8:
 * the server refused it (65) in the real run, but the dry run, which
 * writes nothing, said "would create" (0). Both now refuse it before
 * anything, alike; so are the audit rows' --reason and --actor of every
 * change. */
Test(postgres_only, a_create_with_text_that_is_not_utf8_is_refused_dry_run_and_all)
{
	fx_standard();
	char *before = db_dump();
	static const char *const dry[] = { "--dry-run", NULL };
	for (int i = 0; i < 2; i++) {
		struct run *r = RUN("create", "--user", "carol", "--fingerprint", "fp-new", "--device-name",
				    "Caf\xe9 PC", "--actor", "ops", dry[i]);
		EXPECT_FAIL(r, 65);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, "--device-name is not valid UTF-8, which the database's encoding "
			       "needs: give it in UTF-8");
	}
	/* the audit rows' --reason and --actor, which a dry run of any
	 * change does not write, alike */
	const char *const *argvs[] = {
		ARGV("create", "--user", "carol", "--fingerprint", "fp-new", "--reason", "caf\xe9",
		     "--actor", "ops", "--dry-run"),
		ARGV("logout", "10", "--actor", "op\xe9", "--dry-run"),
		ARGV("logout-all", "alice", "--yes", "--reason", "caf\xe9", "--actor", "ops", "--dry-run"),
		ARGV("enforce", "--reason", "caf\xe9", "--actor", "ops", "--dry-run"),
		ARGV("logout", "--where", "--user", "bob", "--yes", "--reason", "caf\xe9", "--actor", "ops",
		     "--dry-run"),
		ARGV("logout", "10", "--actor", "ops", "--reason", "caf\xe9"),
	};
	for (size_t i = 0; i < sizeof(argvs) / sizeof(argvs[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, argvs[i]);
		EXPECT_FAIL(r, 65);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, "is not valid UTF-8, which the database's encoding needs: give it in UTF-8");
	}
	EXPECT_UNCHANGED(before);
	EXPECT_OK(RUN("create", "--user", "carol", "--fingerprint", "fp-new", "--device-name",
		      "Caf\xc3\xa9 PC", "--actor", "ops", "-q"));
}

/* Rows inserted with explicit ids leave the id sequence behind: a new
 * session's id is taken. That was read as two creators racing: six tries
 * (each burning a sequence value), then 75 "try again later". Now 65 at
 * once, saying how to move the sequence; nothing changed. */
Test(postgres_only, a_create_whose_new_id_is_taken_says_the_sequence_is_behind)
{
	fx_standard();
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, is_active) VALUES (1, 3, 'fp-c1', FALSE)");
	char *before = db_dump();
	struct run *r = RUN("create", "--user", "carol", "--fingerprint", "fp-new", "--actor", "ops");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "the id sequence of sessions is behind the ids already in it");
	EXPECT_ERR_HAS(r, "SELECT setval(pg_get_serial_sequence('sessions', 'id'), max(id)) FROM sessions");
	EXPECT_UNCHANGED(before);
	/* A primary key not named *_pkey: told by the detail's key
	 * "(id)=(1)", which a server in another language keeps as is. */
	db_exec("ALTER TABLE sessions RENAME CONSTRAINT sessions_pkey TO sessions_pk;"
		"SELECT setval(pg_get_serial_sequence('sessions', 'id'), 1, false)");
	r = RUN("create", "--user", "carol", "--fingerprint", "fp-new", "--actor", "ops");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "the id sequence of sessions is behind the ids already in it");
	EXPECT_UNCHANGED(before);
	free(before);
	db_exec("SELECT setval(pg_get_serial_sequence('sessions', 'id'), max(id)) FROM sessions");
	EXPECT_OK(RUN("-q", "create", "--user", "carol", "--fingerprint", "fp-new", "--actor", "ops"));
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE device_fingerprint = 'fp-new'"), 1);
}

/* Two creators of one new device: the second's insert waits for the
 * first's, then meets its row (23505 on the user and fingerprint), and
 * runs again to refresh it. A fingerprint holding "(id)=(" put the
 * detail's value in the way of the check for a sequence behind the ids
 * (65, "the id sequence ... is behind"), with a primary key not named
 * *_pkey. */
Test(postgres_only, a_racing_create_is_run_again_whatever_the_fingerprint_holds)
{
	fx_standard();
	db_exec("ALTER TABLE sessions RENAME CONSTRAINT sessions_pkey TO sessions_pk");
	PGconn *app = PQconnectdb(e2e_url());
	cr_assert_eq(PQstatus(app), CONNECTION_OK, "%s", PQerrorMessage(app));
	pg_ok(app, "BEGIN");
	pg_ok(app, "INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)"
		   " VALUES (3, 'zz(id)=(q', now(), now(), TRUE)");
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("create", "--user", "carol", "--fingerprint", "zz(id)=(q",
					    "--actor", "ops", "-q", "-o", "csv", "--columns", "change",
					    "--no-header"));
	cr_expect(someone_waits_for_a_lock(), "create never waited for the other insert");
	pg_ok(app, "COMMIT");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	EXPECT_OK(r);
	EXPECT_OUT(r, "refreshed\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE device_fingerprint = 'zz(id)=(q'"), 1);
}

/* A search_path naming no schema (a typo in the URL's options or the
 * database's setting) is the operator's to fix: migrate exited 70
 * ("internal error") with the server's "no schema has been selected to
 * create in", while every other command sent the operator to migrate.
 * Now 78 saying to check the search_path, and nothing is created. */
Test(postgres_only, a_search_path_naming_no_schema_is_a_configuration_error)
{
	char sql[300];
	snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" SET search_path = nosuchschema", e2e_db()->path);
	e2e_pg_admin(sql);
	struct run *r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "no schema has been selected to create in: check the search_path");
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE tablename = 'sessctl_migrations'"), 0);
}

/* PostgreSQL creates a table in the first schema of the search_path that
 * exists and finds one in any: with the application's tables in public
 * and another schema first (the default "$user", public and a schema
 * named after the role), migrate made a second, empty users and sessions
 * there, exited 0, and every command after it read those. */
Test(postgres_only, migrate_never_creates_tables_apart_from_the_applications)
{
	char sql[300];

	db_exec(naive_schema);
	db_exec("CREATE SCHEMA extra");
	snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" SET search_path = extra, public",
		 e2e_db()->path);
	e2e_pg_admin(sql);
	struct run *r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "table sessions is in schema public, but new tables go to schema extra "
		       "(the first one of the search_path), where migrate would create a second, "
		       "empty users and sessions: put public first in the search_path");
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE schemaname = 'extra'"), 0,
		     "migrate created tables in schema extra");
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE tablename = 'sessctl_migrations'"), 0);
	r = RUN("migrate", "--dry-run");
	EXPECT_FAIL(r, 78);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "table sessions is in schema public, but new tables go to schema extra");

	/* in a postgresql:// URL the hint is written as libpq takes it
	 * there (no '=' inside a query value) */
	char uri[700];
	snprintf(uri, sizeof(uri), "postgresql:///%s?host=%s&user=postgres", e2e_db()->path,
		 getenv("SESSCTL_TEST_PGHOST"));
	r = RUN_DB(uri, "migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "(options=-csearch_path%3Dpublic in --db, or ALTER ROLE ... SET "
		       "search_path)");
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE schemaname = 'extra'"), 0);

	/* as the message says: the application's schema first (to the
	 * server itself: PgBouncer passes no options) */
	char url[800];
	snprintf(url, sizeof(url), "%s&options=-csearch_path%%3Dpublic", uri);
	EXPECT_OK(RUN_DB(url, "migrate"));
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE schemaname = 'extra'"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename"
			    " IN ('users', 'sessions', 'sessctl_migrations', 'sessctl_audit',"
			    " 'sessctl_enforce_state')"), 5);
	/* and the commands find them through the database's search_path */
	r = RUN("list-user", "dana", "--all", "-o", "csv", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n501\r\n502\r\n503\r\n");
	EXPECT_OK(RUN("migrate", "status", "--check"));

	/* a later migration pending (one of sessctl's tables would go to
	 * schema extra) is refused the same way */
	db_exec("DELETE FROM public.sessctl_migrations WHERE version >= 7");
	r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "table sessions is in schema public, but new tables go to schema extra");
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE schemaname = 'extra'"), 0);
}

/* pg_temp first in the search_path: migrate created its tables as
 * temporary ones, said "applied migration 1" to 4, then failed (70) and
 * left nothing. Refused (78) before anything is made. */
Test(postgres_only, migrate_refuses_a_search_path_with_pg_temp_first)
{
	char url[700];
	snprintf(url, sizeof(url), "host=%s dbname=%s user=postgres "
		 "options=-csearch_path=pg_temp,public", getenv("SESSCTL_TEST_PGHOST"), e2e_db()->path);
	struct run *r = RUN_DB(url, "migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "the search_path puts pg_temp before any schema that exists, so migrate "
		       "would create temporary tables");
	EXPECT_FAIL(RUN_DB(url, "migrate", "--dry-run"), 78);
	/* after a schema that does not exist, pg_temp is where tables go too */
	snprintf(url, sizeof(url), "host=%s dbname=%s user=postgres "
		 "options=-csearch_path=nosuch,pg_temp,public", getenv("SESSCTL_TEST_PGHOST"),
		 e2e_db()->path);
	r = RUN_DB(url, "migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_NO_OUT(r);
	EXPECT_OK(RUN("migrate", "-q"));
	cr_expect_eq(db_int("SELECT count(*) FROM pg_tables WHERE tablename = 'sessctl_migrations'"), 1);
}

/* default_transaction_read_only on a primary: every write failed (69,
 * "connect to the primary"), while a migrate with nothing pending passed,
 * so a deploy step failed or not by whether a migration was pending. */
Test(postgres_only, a_connection_whose_transactions_are_read_only_is_refused_for_writes)
{
	/* a role of its own: a pooler's connections of another role, made
	 * before, would not have the setting */
	const char *role = e2e_pg_role("ro-pw");
	char sql[300], ro[700];

	fx_standard();
	snprintf(sql, sizeof(sql), "ALTER ROLE %s SUPERUSER", role);
	e2e_pg_admin(sql);
	snprintf(sql, sizeof(sql), "ALTER ROLE %s SET default_transaction_read_only = on", role);
	e2e_pg_admin(sql);
	snprintf(ro, sizeof(ro), "host=%s dbname=%s user=%s", e2e_pghost(), e2e_db()->path, role);
	const char *const *pw = ARGV("PGPASSWORD=ro-pw");
	long active = db_int("SELECT count(*) FROM sessions WHERE is_active");
	const char *const *writes[] = {
		ARGV("migrate"), ARGV("logout-all", "alice", "--yes"), ARGV("logout", "10"),
		ARGV("enforce"), ARGV("create", "--user", "alice", "--fingerprint", "new-one"),
	};
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = ro, .env = pw }, writes[i]);
		EXPECT_FAIL(r, 77);
		EXPECT_ERR_HAS(r, "takes no writes on this connection: default_transaction_read_only is on");
	}
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), active);
	EXPECT_OK(e2e_run(&(struct call){ .db = ro, .env = pw }, ARGV("count", "alice")));
	EXPECT_OK(e2e_run(&(struct call){ .db = ro, .env = pw }, ARGV("migrate", "status", "--check")));

	/* turned off for sessctl's connection, as the message says (to the
	 * server itself: PgBouncer passes no options) */
	char url[700];
	snprintf(url, sizeof(url), "host=%s dbname=%s user=%s "
		 "options=-cdefault_transaction_read_only=off", getenv("SESSCTL_TEST_PGHOST"),
		 e2e_db()->path, role);
	EXPECT_OK(e2e_run(&(struct call){ .db = url, .env = pw }, ARGV("logout", "10", "--actor", "ops")));
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), active - 1);
}

/* A server that takes connections and never answers (a listening socket
 * whose connections wait in its backlog, or are accepted and never
 * read), at the unix socket path sock: the descriptor to close. */
static int silent_server(const char *sock)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(sock), sizeof(sa.sun_path), "socket path too long: %s", sock);
	strcpy(sa.sun_path, sock);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	return fd;
}

/* SIGTERM while enforce connects (here to a server that takes the
 * connection and never answers) killed it,
 * with no line and no --metrics-file, so monitoring kept the previous
 * run's success. Now the run is interrupted: 143, one line, the file
 * written (interrupted 1, success 0), once libpq's connect gives up. */
Test(postgres_only, a_signal_while_enforce_connects_is_an_interrupted_run)
{
	char dir[600], sock[700], url[800], prom[700];
	snprintf(dir, sizeof(dir), "%s", e2e_dir());
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", dir);
	snprintf(prom, sizeof(prom), "%s/enforce.prom", dir);
	snprintf(url, sizeof(url), "host=%s dbname=nobody user=nobody", dir);
	int fd = silent_server(sock);

	struct e2e_proc *p = e2e_start(&(struct call){ .db = url, .env = ARGV("PGCONNECT_TIMEOUT=3") },
				       ARGV("enforce", "--actor", "cron", "--metrics-file", prom));
	/* the signal once sessctl is connecting (a fixed sleep raced a slow
	 * sanitized start): its connection arrives, and is never answered */
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0, "%s", strerror(errno));
	int conn = -1;
	for (int i = 0; i < 500 && conn < 0; i++) { /* up to 10 s */
		conn = accept(fd, NULL, NULL);
		if (conn < 0) {
			cr_assert(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "accept: %s",
				  strerror(errno));
			nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		}
	}
	cr_assert_geq(conn, 0, "sessctl never connected to the silent server");
	e2e_signal(p, SIGTERM);
	struct run *r = e2e_wait(p);
	close(conn);
	close(fd);
	unlink(sock);

	cr_expect_eq(r->status, 143, "enforce: exit %d: %s", r->status, r->err);
	EXPECT_ERR_HAS(r, "interrupted while waiting to open 'host=");
	EXPECT_ERR_HAS(r, "(SIGTERM): nothing was changed\n");
	char *metrics = e2e_read_file(prom, NULL);
	cr_assert(metrics, "no metrics file");
	cr_expect(strstr(metrics, "\nsessctl_enforce_interrupted 1\n"), "%s", metrics);
	cr_expect(strstr(metrics, "\nsessctl_enforce_success 0\n"), "%s", metrics);
	free(metrics);
}

/* A service file's connect_timeout was overridden by sessctl's default
 * of 10 s, passed as a keyword, which wins over a service file: a cron
 * job meant to fail fast waited 10 s on a silent server. It goes through
 * the environment now, which libpq reads after the service file (as in
 * psql, a service file's setting wins over PGCONNECT_TIMEOUT). The URL
 * still wins over the service file. */
Test(postgres_only, a_service_files_connect_timeout_stands)
{
	char dir[600], sock[700], services[700], env[800], body[900];
	snprintf(dir, sizeof(dir), "%s", e2e_dir());
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", dir);
	snprintf(services, sizeof(services), "%s/pg_service.conf", dir);
	snprintf(env, sizeof(env), "PGSERVICEFILE=%s", services);
	int n = snprintf(body, sizeof(body), "[silent]\nhost=%s\ndbname=nobody\nuser=nobody\n"
			 "connect_timeout=1\n", dir);
	e2e_write_file(services, body, (size_t)n);
	int fd = silent_server(sock);

	double t0 = e2e_ms();
	struct run *r = e2e_run(&(struct call){ .db = "service=silent", .env = ARGV(env) },
				ARGV("count"));
	double took = e2e_ms() - t0;
	EXPECT_FAIL(r, 69);
	EXPECT_ERR_HAS(r, "timeout expired");
	/* 1 s, not 10: far enough apart for a loaded machine */
	cr_expect_lt(took, 6000, "gave up after %.0f ms: the service file's connect_timeout=1 "
		     "was overridden", took);
	/* The URL's own setting wins over the service file's (3 s, not the 1
	 * that libpq takes as 2) */
	t0 = e2e_ms();
	r = e2e_run(&(struct call){ .db = "service=silent connect_timeout=3", .env = ARGV(env) },
		    ARGV("count"));
	took = e2e_ms() - t0;
	EXPECT_FAIL(r, 69);
	cr_expect_geq(took, 2500, "gave up after %.0f ms: the URL's connect_timeout=3 was overridden",
		      took);
	close(fd);
	unlink(sock);
}

/* PGDATABASE set to a URL (an application's DATABASE_URL, say): libpq
 * does not expand it, and the server's "database ... does not exist"
 * showed it, password and all. */
Test(postgres_only, a_pgdatabase_holding_a_url_never_shows_its_password)
{
	char url[600];
	snprintf(url, sizeof(url), "host=%s user=postgres", e2e_pghost());
	const char *const *env[] = {
		ARGV("PGDATABASE=postgresql://app:s3cret@db.example/app"),
		ARGV("PGDATABASE=host=db.example password=s3cret dbname=app"),
	};
	for (size_t i = 0; i < 2; i++) {
		struct run *r = e2e_run(&(struct call){ .db = url, .env = env[i] }, ARGV("-v", "count"));
		EXPECT_FAIL(r, 69);
		EXPECT_ERR_HAS(r, "database \"***\" does not exist");
		cr_expect_null(strstr(r->err, "s3cret"), "%s", r->err);
	}
}

/* With several hosts, every host's reason is in the one line: only the
 * first's was, so README's failover URL with db-a down and db-b still a
 * standby said "no such file" of db-a and nothing of db-b. */
Test(postgres_only, a_failed_connection_to_several_hosts_gives_each_hosts_reason)
{
	char url[700];
	snprintf(url, sizeof(url), "host=/nonexistent,%s dbname=%s user=postgres "
		 "target_session_attrs=standby", e2e_pghost(), e2e_db()->path);
	struct run *r = RUN_DB(url, "count");
	EXPECT_FAIL(r, 69);
	EXPECT_ERR_HAS(r, "\"/nonexistent/.s.PGSQL.5432\" failed: No such file or directory (is the server running there?); connection to server");
	EXPECT_ERR_HAS(r, "failed: server is not in hot standby mode\n");
	cr_expect(strchr(r->err, '\n') == r->err + r->err_len - 1, "not one line: %s", r->err);
}

/* README's "Privileges": the grants it lists for a role that runs every
 * command but migrate are enough, each command exits 0 with them; and a
 * missing one is named by what failed: without DELETE the purge said
 * "cannot count sessions". */
Test(postgres_only, the_grants_readme_lists_are_enough_for_every_command_but_migrate)
{
	const char *role = e2e_pg_role("right-one");
	char kw[512], sql[1024];

	fx_standard();
	const char *const grants[] = {
		"SELECT, UPDATE ON users", "SELECT, INSERT, UPDATE ON sessions",
		"SELECT, INSERT ON sessctl_audit", "SELECT ON sessctl_migrations",
		"SELECT, INSERT, UPDATE ON sessctl_enforce_state",
	};
	for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		snprintf(sql, sizeof(sql), "GRANT %s TO %s", grants[i], role);
		e2e_pg_admin(sql);
	}
	snprintf(kw, sizeof(kw), "host=%s dbname=%s user=%s password=right-one", e2e_pghost(),
		 e2e_db()->path, role);
	const char *const *cmds[] = {
		ARGV("count", "alice"), ARGV("list-user", "alice", "--all"), ARGV("show", "10"),
		ARGV("find", "--all"), ARGV("count", "--by", "user"), ARGV("history"),
		ARGV("metrics", "--now", "2025-03-01"), ARGV("migrate", "status", "--check"),
		ARGV("create", "--user", "bob", "--fingerprint", "new-fp"), ARGV("logout", "10"),
		ARGV("logout", "--user", "alice", "--latest"), ARGV("logout-all", "bob", "--yes"),
		ARGV("logout", "--where", "--device-type", "mobile", "--yes"),
		ARGV("enforce", "--now", "2030-01-01"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = kw }, cmds[i]);
		EXPECT_WARNED_OK(r);
	}
	/* the purge needs DELETE, and says it is the purge that failed */
	struct run *r = RUN_DB(kw, "enforce", "--purge-after", "1d", "--now", "2030-01-01");
	EXPECT_WARNED_FAIL(r, 77);
	EXPECT_ERR_HAS(r, "cannot purge sessions on '");
	EXPECT_ERR_HAS(r, "permission denied for table sessions");
	snprintf(sql, sizeof(sql), "GRANT DELETE ON sessions TO %s", role);
	e2e_pg_admin(sql);
	r = RUN_DB(kw, "enforce", "--dry-run", "--purge-after", "1d", "--now", "2030-01-01");
	EXPECT_WARNED_OK(r);
	const char *purgeable = "SELECT count(*) FROM sessions WHERE NOT is_active"
				" AND last_activity < '2029-12-31'";
	cr_expect_gt(db_int(purgeable), 5);
	r = RUN_DB(kw, "enforce", "--purge-after", "1d", "--now", "2030-01-01");
	EXPECT_WARNED_OK(r);
	cr_expect_eq(db_int(purgeable), 0, "%s", r->out);
}

/* ---- the steady state's count of a user's sessions ---- */

/* How many of user 7's entries in idx_user_active a read has marked
 * dead (pageinspect: a small index's leaves). */
static long long dead_entries_of_user_7(void)
{
	return db_int("SELECT count(*) FROM generate_series(1, pg_relation_size('idx_user_active') / 8192 - 1) b,\n"
		      "  bt_page_items('idx_user_active', b::int) i\n"
		      "WHERE i.dead AND i.data LIKE '07 00 00 00 00 00 00 00 01%'");
}

/* Migration 7 and steady.c: right after a catch-up, a recently active
 * user's entries in idx_user_active include those of the versions it
 * closed, dead until a vacuum. The next run counts the user's sessions
 * through the index itself, which marks those entries dead there, so
 * that the runs after it skip them instead of visiting each in the
 * table (a bitmap scan, which the planner rates alike then, never marks
 * them: 20 ms of a 30 ms run at 1 M sessions, README, Performance); and
 * the entries are never merged into posting lists, where they could be
 * marked only once every entry of the list was dead. Enough other rows
 * that the planner reads an index at all, with the statistics a catch-up
 * leaves: from before it. */
Test(postgres_only, a_steady_state_run_marks_the_versions_a_catch_up_closed_dead_in_the_index, .timeout = 150)
{
	db_migrate(NULL);
	EXPECT_ROWS("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'idx_user_active'",
		    "deduplicate_items=off\n");
	db_exec("CREATE EXTENSION IF NOT EXISTS pageinspect");
	db_exec("INSERT INTO users (id, email, username, role)\n"
		"SELECT g, 'u' || g || '@example.com', 'u' || g, CASE g WHEN 1 THEN 'admin' ELSE 'user' END\n"
		"FROM generate_series(1, 2000) g");
	/* Everyone else: thirty active sessions each, all idle (the catch-up
	 * expires them, and the statistics promise thirty per user after it).
	 * User 7: forty, none idle, one active a minute before the runs'
	 * --now. */
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)\n"
		"SELECT u, 'fp-' || u || '-' || k, '2025-01-01', '2025-01-02', true\n"
		"FROM generate_series(8, 2000) u, generate_series(1, 30) k");
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)\n"
		"SELECT 7, 'fp-7-' || k, timestamptz '2025-02-01 00:00:00+00',\n"
		"  timestamptz '2025-03-01 00:00:00+00' - k * interval '1 hour', true\n"
		"FROM generate_series(1, 39) k\n"
		"UNION ALL SELECT 7, 'fp-7-now', '2025-02-01 00:00:00+00', '2025-02-28 23:59:00+00', true");
	/* No vacuum (it would remove the entries) and no analyze (the
	 * statistics from before the catch-up are the point). Without the
	 * unique index on (user_id, device_fingerprint), which on a table
	 * this small the planner may read instead (the versions it holds
	 * are marked alike). */
	db_exec("ALTER TABLE sessions SET (autovacuum_enabled = off)");
	/* A read sets the hint bits that let it mark an entry dead only once
	 * the commit of the change is on disk as far as the commit log can
	 * tell: by groups of transactions, whose latest asynchronous commit
	 * (the test server's default; an ANALYZE of the audit trail the
	 * catch-up filled; another test's) must be flushed too. This
	 * database commits as a real server does, its audit trail is left
	 * alone, and below the catch-up's group is closed and flushed. */
	db_exec("ALTER TABLE sessctl_audit SET (autovacuum_enabled = off)");
	db_exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', "
		"current_database()); END $$");
	db_exec("DROP INDEX uq_sessions_user_device");
	db_exec("ANALYZE sessions");

	struct run *r = RUN("enforce", "--now", "2025-03-01 00:00:00", "--actor", "alice", "-o", "csv",
			    "--columns", "expired,over_limit");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit\r\n59790,37\r\n");
	cr_expect_eq(dead_entries_of_user_7(), 0, "the catch-up's own reads marked entries dead");
	/* A read takes a version for dead only once no transaction could
	 * still see it, on this server, whatever the database: other tests
	 * run beside this one, some holding a transaction open for seconds.
	 * And once the commit that closed it is on disk (the test server
	 * commits without waiting for the disk; a real one waits). */
	/* Forty transactions of this test's own: the commit log's group of
	 * 32 that holds the catch-up's last changes is then complete, so
	 * no later asynchronous commit of another test's can join it and
	 * keep its hint bits from being set (the flush below covers every
	 * commit before it). */
	db_exec("DO $$ BEGIN FOR i IN 1..40 LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$");

	/* The steady state: user 7 is recent, counted, within the limit.
	 * A read marks an entry only where it may set the tuple's hint
	 * bits, which the server can still refuse for a while under load
	 * (about one run in twenty of the sanitized suite beside other
	 * tests, after everything above; once in a CI run through PgBouncer
	 * even for a second run): before each run, no older transaction is
	 * left and the commit log is flushed again, and up to four runs may
	 * mark them. A plan that cannot mark (a bitmap scan, entries merged
	 * into posting lists) marks none in any run. */
	long long marked = 0;
	int runs = 0;
	while (runs < 4 && marked != 37) {
		long long xid = db_int("SELECT txid_current()");
		char older[320];
		snprintf(older, sizeof(older),
			 "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()\n"
			 "AND (backend_xid::text::bigint <= %lld OR backend_xmin::text::bigint <= %lld)",
			 xid, xid);
		int waited = 0;
		while (db_int(older) > 0 && waited++ < 600)
			nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
		cr_assert_leq(waited, 600, "other transactions on the server stayed open for a minute");
		db_exec("BEGIN; SET LOCAL synchronous_commit = on; SELECT txid_current(); COMMIT");
		r = RUN("enforce", "--now", "2025-03-01 00:00:00", "--actor", "alice", "-o", "csv",
			"--columns", "expired,over_limit");
		EXPECT_OK(r);
		EXPECT_OUT(r, "expired,over_limit\r\n0,0\r\n");
		marked = dead_entries_of_user_7();
		runs++;
	}
	cr_expect_eq(marked, 37, "%d steady-state runs marked %lld of the 37 closed versions dead in the index",
		     runs, marked);
	EXPECT_ROWS("SELECT count(*) FROM sessions WHERE user_id = 7 AND is_active", "3\n");
}

/* A statement_timeout on the role or database (common for a web
 * application's role) shorter than a batch's statement: the server
 * cancels the statement, and the same batch would be cancelled again on
 * every retry, so enforce and the bulk logout used to give up after six
 * (75) having done nothing, on every run. A batch whose size sessctl
 * chooses now runs again at once at a quarter of it, down to what fits,
 * for the real runs and the dry runs (whose batches are the largest);
 * with a --batch-size the user chose, the run still gives up, and says
 * that a smaller one helps. Each row updated costs 2 ms here (a trigger),
 * so that 250 rows, the first adaptive batch, always take longer than
 * the 200 ms allowed. Set before the first connection, so that
 * PgBouncer's server connections have it too. */
static void timeout_fixture_of(int ms)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET statement_timeout = "
		 "''%dms''', current_database()); END $$", ms);
	db_exec(sql);
	db_migrate(NULL);
	db_exec("SET statement_timeout = 0;"
		"INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin');"
		"INSERT INTO users (id, email, username, role)"
		" SELECT g, 'u' || g || '@x', 'u' || g, 'user' FROM generate_series(2, 101) AS g;"
		"INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity)"
		" SELECT 2 + k % 100, 'f' || k, now() - interval '10 days', now() - interval '2 days'"
		" FROM generate_series(1, 600) AS k;"
		"CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS"
		" $$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$;"
		"CREATE TRIGGER slow_row BEFORE UPDATE ON sessions FOR EACH ROW"
		" EXECUTE FUNCTION slow_row()");
}

static void timeout_fixture(void)
{
	timeout_fixture_of(200);
}

static size_t lines_of(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void timeout_reset(void)
{
	db_exec("SET statement_timeout = 0;"
		"ALTER TABLE sessions DISABLE TRIGGER slow_row;"
		"UPDATE sessions SET is_active = TRUE;"
		"ALTER TABLE sessions ENABLE TRIGGER slow_row;"
		"DELETE FROM sessctl_audit; DELETE FROM sessctl_enforce_state");
}

Test(postgres_only, a_batch_the_statement_timeout_cancels_runs_again_smaller, .timeout = 120)
{
	timeout_fixture();

	struct run *r = RUN("enforce", "--actor", "alice", "--idle-timeout", "1h", "--max-sessions", "100",
			    "-v", "-o", "csv", "--columns", "expired,locked");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "expired,locked\r\n600,0\r\n");
	EXPECT_ERR_HAS(r, "the server cancelled a statement of a batch of 250 (its statement_timeout, "
		       "most likely): running it again as a batch of 62");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'expire'"), 600,
		     "audited otherwise than once a session");

	/* The dry run's batches start at the largest size. */
	timeout_reset();
	r = RUN("enforce", "--actor", "alice", "--idle-timeout", "1h", "--max-sessions", "100",
		"--dry-run", "-v", "-o", "csv", "--columns", "id");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	cr_expect_eq(lines_of(r->out), 601, "not a header and 600 rows: %.300s", r->out);
	EXPECT_ERR_HAS(r, "the server cancelled a statement of a batch of 200000");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 600);

	r = RUN("logout", "--all-users", "--yes", "--actor", "alice", "-v", "-o", "csv",
		"--columns", "closed,locked");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "closed,locked\r\n600,0\r\n");
	EXPECT_ERR_HAS(r, "running it again as a batch of 62");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 600);

	/* The size the user chose is kept: the run gives up, changing
	 * nothing, and names both ways out. */
	timeout_reset();
	r = RUN("logout", "--all-users", "--yes", "--actor", "alice", "--batch-size", "250");
	EXPECT_FAIL(r, 75);
	EXPECT_ERR_HAS(r, "statement timeout");
	EXPECT_ERR_HAS(r, "(gave up after 6 attempts); or give a smaller --batch-size than 250");
	cr_expect(e2e_one_error_line(r->err), "not one line: %s", r->err);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 600);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0);
}

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* A statement_timeout of 40 ms, under the adaptive batches' slow line
 * (100 ms): batches cut by it used to grow back into it and be cut
 * again every third batch or so (about 30 cancels for these 600
 * sessions). They now grow to half the smallest size cancelled at most
 * (250 and 62, then 30 or so, then 15), and try more only after 16
 * quick batches: a cancel in 17 batches at most, of at most 85 here. */
Test(postgres_only, batches_a_short_statement_timeout_cut_do_not_grow_back_into_it, .timeout = 120)
{
	timeout_fixture_of(40);

	struct run *r = RUN("enforce", "--actor", "alice", "--idle-timeout", "1h", "--max-sessions", "100",
			    "-v", "-o", "csv", "--columns", "expired,locked");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "expired,locked\r\n600,0\r\n");
	size_t cut = count_of(r->err, "the server cancelled a statement of a batch of");
	cr_expect_geq(cut, 2, "%zu cancels: %s", cut, r->err);
	cr_expect_leq(cut, 12, "%zu cancels: the batches grew back into the timeout", cut);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'expire'"), 600);

	timeout_reset();
	r = RUN("logout", "--all-users", "--yes", "--actor", "alice", "-v", "-o", "csv",
		"--columns", "closed,locked");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "closed,locked\r\n600,0\r\n");
	cut = count_of(r->err, "the server cancelled a statement of a batch of");
	cr_expect_geq(cut, 2, "%zu cancels: %s", cut, r->err);
	cr_expect_leq(cut, 12, "%zu cancels: the batches grew back into the timeout", cut);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 600);
}

/* True once a statement LIKE like waits for a lock (within 10 s). */
static bool waits_in(const char *like)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
		 " AND wait_event_type = 'Lock' AND query LIKE '%s'", like);
	for (int i = 0; i < 500; i++) {
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		if (db_int(sql) > 0)
			return true;
	}
	return false;
}

/* Whether a run comes to its end-of-run wait for the rows it left
 * (count_left's) within 10 s. */
static bool waits_for_what_it_left(void)
{
	return waits_in("%AND id <> ALL($2::bigint[])%");
}

/* alice (1) the admin and bob (2), the sessions given as "(id, user_id,
 * device_fingerprint, created_at, last_activity), ...", and the
 * application's open transaction holding session held. */
static PGconn *bobs_sessions_one_held(const char *sessions, int64_t held)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin'),"
		" (2, 'b@x', 'bob', 'user')");
	char sql[1024];
	int n = snprintf(sql, sizeof(sql), "INSERT INTO sessions (id, user_id, device_fingerprint, "
			 "created_at, last_activity) VALUES %s", sessions);
	cr_assert(n > 0 && (size_t)n < sizeof(sql), "the fixture's sessions are too long");
	db_exec(sql);
	return app_locks_session(held);
}

/* alice (1) the admin; bob (2): 20 idle for 40 days, 21 seen a day ago
 * and 22 an hour ago. The application holds 20 and, while sessctl waits
 * for it at the end of its run, refreshes it and commits: what is still
 * to do is counted as it is then. */
static PGconn *held_then_refreshed_fixture(void)
{
	return bobs_sessions_one_held("(20, 2, 'f20', now() - interval '90 days', now() - interval '40 days'),"
				      " (21, 2, 'f21', now() - interval '90 days', now() - interval '1 day'),"
				      " (22, 2, 'f22', now() - interval '90 days', now() - interval '1 hour')",
				      20);
}

static void refresh_and_commit(PGconn *app)
{
	pg_ok(app, "UPDATE sessions SET last_activity = now() WHERE id = 20");
	pg_ok(app, "COMMIT");
	PQfinish(app);
}

/* The bulk logout of bob's sessions idle for 30 days, started. */
static struct e2e_proc *bobs_idle_logout(void)
{
	return e2e_start(&(struct call){ 0 },
			 ARGV("logout", "--where", "--user", "bob", "--idle-for", "30d", "--yes", "--actor",
			      "alice", "-o", "csv", "--columns", "closed,locked"));
}

/* A bulk logout of bob's sessions idle for 30 days left 20; refreshed
 * meanwhile, it is no longer one the filters select: nothing is left to
 * do (0), where it said 75, "run the same command again", which then
 * closed nothing. */
Test(postgres_only, a_left_session_the_filters_no_longer_select_is_not_counted, .timeout = 60)
{
	PGconn *app = held_then_refreshed_fixture();
	struct e2e_proc *p = bobs_idle_logout();
	bool waited = waits_for_what_it_left();
	refresh_and_commit(app);
	double t0 = e2e_ms();
	struct run *r = e2e_wait(p);
	double took = e2e_ms() - t0;
	cr_expect(waited, "the logout never waited for what it left");
	/* At once: nothing is left by the filters' test (it used to look
	 * again for the rest of its 5 s while the session stayed active). */
	cr_expect_lt(took, 3000.0, "it ended %.0f ms after the commit", took);
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,locked\r\n0,0\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "20\n21\n22\n");
}

/* The user of --user is renamed while the run waits for what it left,
 * and the application lets 20 go (rollback): the run still selects
 * bob's left session by his id, where it looked bob up again by name and
 * ended with 67 ("no user"), as a batch after the rename would have.
 * Free and still selected, 20 is closed in the same run (the batches run
 * again), where the run ended with 75 and left it to the command run
 * again (by the new name). */
Test(postgres_only, a_user_renamed_during_a_bulk_logout_is_still_its_user, .timeout = 60)
{
	PGconn *app = held_then_refreshed_fixture();
	struct e2e_proc *p = bobs_idle_logout();
	bool waited = waits_for_what_it_left();
	db_exec("UPDATE users SET username = 'robert' WHERE id = 2");
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	cr_expect(waited, "the logout never waited for what it left");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,locked\r\n1,0\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "21\n22\n");
	EXPECT_ROWS("SELECT session_id, action, actor FROM sessctl_audit", "20|logout|alice\n");
}

/* enforce --max-sessions 1 left bob (his 20, idle, held; ranking him
 * needs it). Refreshed meanwhile, 20 is no longer expire's, but bob is
 * still over the limit: his two older sessions are still to do, where
 * they were counted nowhere (0, and the steady state recorded over it).
 * Free by then, they are done in the same run (the steps run again),
 * where it ended with 75 and left them to the next run. */
Test(postgres_only, a_left_session_refreshed_still_counts_in_its_users_excess, .timeout = 60)
{
	PGconn *app = held_then_refreshed_fixture();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "-v", "--max-sessions", "1", "--idle-timeout", "720h",
					    "--actor", "alice", "-o", "csv",
					    "--columns", "expired,over_limit,locked"));
	bool waited = waits_for_what_it_left();
	refresh_and_commit(app);
	struct run *r = e2e_wait(p);
	cr_expect(waited, "enforce never waited for what it left");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "expired,over_limit,locked\r\n0,2,0\r\n");
	EXPECT_ERR_HAS(r, "enforce: 2 sessions left by a batch are free now but not done: running "
		       "the steps again");
	/* -v's line for the batch that closed them names its round: the
	 * batches of a round that runs the steps again do not read as the
	 * first round's. */
	EXPECT_ERR_HAS(r, " batch 1 (round 2): 0 expired, 2 over the limit, 0 purged (");
	cr_expect_null(strstr(r->err, " batch 1: "), "a batch of round 2 read as round 1's: %s", r->err);
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active", "20\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit ORDER BY session_id",
		    "21|over-limit\n22|over-limit\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_enforce_state"), 1,
		     "a run that left nothing recorded no steady state");
}

/* The application held an idle session past the batch's lock wait and
 * let it go (rolled back) while the run waited for it at its end: still
 * due and free, it is closed in the same run, where the run counted it
 * left for its 5 s and ended with 75. Two enforce runs at once left rows
 * so, each run's count holding the other's
 * (two_enforce_runs_at_once_report_nothing_left). */
Test(postgres_only, a_left_session_let_go_before_the_end_is_done_in_the_same_run, .timeout = 60)
{
	PGconn *app = held_then_refreshed_fixture();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--max-sessions", "5", "--idle-timeout", "720h",
					    "--actor", "alice", "-o", "csv",
					    "--columns", "expired,over_limit,batches,locked"));
	bool waited = waits_for_what_it_left();
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	double t0 = e2e_ms();
	struct run *r = e2e_wait(p);
	double took = e2e_ms() - t0;
	cr_expect(waited, "enforce never waited for what it left");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit,batches,locked\r\n1,0,1,0\r\n");
	cr_expect_lt(took, 3000.0, "it ended %.0f ms after the rollback", took);
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active", "20\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit", "20|expire\n");
}

/* bob's sessions idle for 40 days at both ends of the 64-bit range, the
 * smallest held by the application, and 21 seen a day ago: the round
 * that runs again walks from the smallest id it left. */
static PGconn *held_smallest_fixture(void)
{
	return bobs_sessions_one_held(
		"(-9223372036854775808, 2, 'fmin', now() - interval '90 days', now() - interval '40 days'),"
		" (21, 2, 'f21', now() - interval '90 days', now() - interval '1 day'),"
		" (9223372036854775807, 2, 'fmax', now() - interval '90 days', now() - interval '40 days')",
		INT64_MIN);
}

/* The held session with the smallest id, let go while the run waits at
 * its end, is closed by the round that runs again (which walked from
 * after it, and so never saw it: 75). */
Test(postgres_only, a_bulk_logouts_second_round_takes_a_left_session_with_the_smallest_id, .timeout = 60)
{
	PGconn *app = held_smallest_fixture();
	struct e2e_proc *p = bobs_idle_logout();
	bool waited = waits_for_what_it_left();
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	cr_expect(waited, "the logout never waited for what it left");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,locked\r\n2,0\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "21\n");
}

/* And so does enforce's (expire). */
Test(postgres_only, enforce_runs_again_over_a_left_session_with_the_smallest_id, .timeout = 60)
{
	PGconn *app = held_smallest_fixture();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "-v", "--max-sessions", "5", "--idle-timeout", "720h",
					    "--actor", "alice", "-o", "csv",
					    "--columns", "expired,batches,locked"));
	bool waited = waits_for_what_it_left();
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	cr_expect(waited, "enforce never waited for what it left");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "expired,batches,locked\r\n2,2,0\r\n");
	EXPECT_ERR_HAS(r, "enforce: 1 session left by a batch is free now but not done: running the "
		       "steps again");
	EXPECT_ERR_HAS(r, " batch 2 (round 2): 2 expired, 0 over the limit, 0 purged (");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "21\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit ORDER BY session_id",
		    "-9223372036854775808|expire\n9223372036854775807|expire\n");
}

/* SIGTERM while the run waits at its end for what it left: it stops
 * within a wait of a second (143, interrupted), where it waited out 5 s
 * and ended with 75 as if no signal had come. */
Test(postgres_only, a_signal_in_the_wait_for_what_was_left_stops_the_run, .timeout = 60)
{
	PGconn *app = held_then_refreshed_fixture();
	const char *metrics = e2e_path("enforce.prom");
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--max-sessions", "1", "--idle-timeout", "720h",
					    "--actor", "alice", "--metrics-file", metrics, "-o", "csv",
					    "--columns", "interrupted,locked"));
	bool waited = waits_for_what_it_left();
	double t0 = e2e_ms();
	e2e_signal(p, SIGTERM);
	struct run *r = e2e_wait(p);
	double took = e2e_ms() - t0;
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	cr_expect(waited, "enforce never waited for what it left");
	cr_expect_eq(r->status, 143, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "interrupted,locked\r\ntrue,2\r\n");
	EXPECT_ERR_HAS(r, "interrupted by SIGTERM");
	cr_expect_lt(took, 2500.0, "it stopped %.0f ms after the signal", took);
	size_t len;
	char *m = e2e_read_file(metrics, &len);
	cr_assert_not_null(m, "no metrics file");
	cr_expect(strstr(m, "\nsessctl_enforce_interrupted 1\n") != NULL, "metrics: %s", m);
	free(m);
}

/* A statement_timeout shorter than the lock wait (a second): a batch
 * blocked on a row the application holds was cancelled by the timeout
 * (57014) before its lock wait gave up (55P03), so the bulk logout took
 * it for a batch too large, shrank it to one row and gave up (75) having
 * closed nothing. The lock wait is now half the statement_timeout when
 * that is shorter: the held row is left and the rest closed. */
Test(postgres_only, a_statement_timeout_under_a_second_still_leaves_a_held_row, .timeout = 60)
{
	db_exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = ''400ms''', "
		"current_database()); END $$");
	fx_standard();
	PGconn *app = app_locks_session(10);

	struct run *r = RUN("logout", "--all-users", "--yes", "--actor", "ops", "-v", "-o", "csv",
			    "--columns", "closed,locked");
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	cr_expect_eq(r->status, 75, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "closed,locked\r\n4,1\r\n");
	EXPECT_ERR_HAS(r, "a row lock waited for in vain");
	EXPECT_ERR_HAS(r, "logout left 1 session as it was: another transaction held it locked");
	cr_expect_null(strstr(r->err, "statement_timeout"), "a lock wait taken for a timeout: %s", r->err);
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "10\n");
}

/* libpq brings GnuTLS (through libldap), whose constructor set it up in
 * every run though nothing uses it: 0.7 MiB of a run's peak RSS, which
 * put a long find over SPEC's 8 MiB. The module now loads with
 * GNUTLS_NO_IMPLICIT_INIT=1 unless the environment says otherwise: with
 * GnuTLS's debug log asked for, a run says nothing on stderr, where the
 * set-up logged "gnutls[2]: Enabled GnuTLS ... logging". A value the
 * user set stays theirs (and shows the log is the set-up's). */
Test(postgres_only, a_run_does_not_set_up_gnutls_which_nothing_uses)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin')");
	struct run *r = e2e_run(&(struct call){ .env = ARGV("GNUTLS_DEBUG_LEVEL=2") }, ARGV("count", "alice"));
	EXPECT_OK(r);
	r = e2e_run(&(struct call){ .env = ARGV("GNUTLS_DEBUG_LEVEL=2", "GNUTLS_NO_IMPLICIT_INIT=0") },
		    ARGV("count", "alice"));
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_ERR_HAS(r, "gnutls[2]: Enabled GnuTLS");
}

/* The application made its own idx_user_active, a hash index: migrate
 * adopts it as it is. Migration 7 asked it for deduplicate_items = off,
 * which only a B-tree has: migrate failed there, left the schema at 6,
 * and every command after refused with 78 ("run 'sessctl migrate'"). */
Test(postgres_only, migrate_adopts_an_idx_user_active_that_is_no_btree)
{
	db_exec("CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
		" email varchar(255) NOT NULL UNIQUE, username varchar(100),"
		" role varchar(20) NOT NULL DEFAULT 'user');"
		"CREATE TABLE sessions (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
		" user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
		" device_fingerprint varchar(255), device_name varchar(255), device_type varchar(20),"
		" browser varchar(100), ip_address varchar(45), created_at timestamptz DEFAULT now(),"
		" last_activity timestamptz DEFAULT now(), is_active boolean DEFAULT true,"
		" CONSTRAINT uq_user_device UNIQUE (user_id, device_fingerprint));"
		"CREATE INDEX idx_user_active ON sessions USING hash (user_id);"
		"INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin'),"
		" (2, 'b@x', 'bob', 'user');"
		"INSERT INTO sessions (user_id, device_fingerprint, last_activity)"
		" SELECT 2, 'f' || k, now() - k * interval '1 hour' FROM generate_series(1, 5) AS k");
	struct run *r = RUN("migrate", "-q");
	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT max(version) FROM sessctl_migrations"), SC_SCHEMA_VERSION);
	cr_expect_eq(db_int("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_user_active'"
			    " AND indexdef LIKE '%USING hash%'"), 1, "the application's index was replaced");
	r = RUN("enforce", "--max-sessions", "3", "--actor", "alice", "-o", "csv", "--columns", "over_limit");
	EXPECT_OK(r);
	EXPECT_OUT(r, "over_limit\r\n2\r\n");
	r = RUN("enforce", "--max-sessions", "3", "--actor", "alice", "-o", "csv", "--columns", "over_limit");
	EXPECT_OK(r);
	EXPECT_OUT(r, "over_limit\r\n0\r\n");
	EXPECT_ROWS("SELECT device_fingerprint FROM sessions WHERE is_active ORDER BY id", "f1\nf2\nf3\n");
}

/* Issue 10, a cron job between two runs: a few sessions went idle, a
 * user went over the limit, a few closed ones crossed the purge age.
 * Each step with something to do costs the run one transaction: a step
 * ends on its batch that finds fewer rows than it asked for, not on one
 * more batch that finds none (which cost a transaction per step, and on
 * SQLite a pause for the application after the batch before it). */
Test(postgres_only, a_cron_run_with_a_little_of_everything_costs_a_transaction_a_step, .timeout = 60)
{
	char url[256], app[64];

	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) SELECT g, 'u' || g || '@example.com', 'u' || g\n"
		"FROM generate_series(1, 3) g");
	/* at the first run (--now 2025-03-01 00:00, idle after 90 days,
	 * purged 60 days after): nothing to do */
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, last_activity, is_active) VALUES\n"
		" (1, 'idle-soon', '2024-12-01 00:30:00+00', true),\n"
		" (1, 'purge-soon', '2024-12-31 00:30:00+00', false),\n"
		" (2, 'a', '2025-02-20 00:00:00+00', true), (2, 'b', '2025-02-21 00:00:00+00', true),\n"
		" (2, 'c', '2025-02-22 00:00:00+00', true)");
	struct run *r = RUN("enforce", "--idle-timeout", "90d", "--purge-after", "60d", "--now",
			    "2025-03-01 00:00:00", "-o", "csv", "--columns", "expired,over_limit,purged");
	EXPECT_OUT(r, "expired,over_limit,purged\r\n0,0,0\r\n");
	/* then user 2 logs in on a fourth device */
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, last_activity, is_active) VALUES\n"
		" (2, 'd', '2025-03-01 00:30:00+00', true)");
	app_name(app, sizeof(app), "cron");
	snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
	r = RUN_DB(url, "enforce", "-v", "--idle-timeout", "90d", "--purge-after", "60d", "--now",
		   "2025-03-01 01:00:00", "-o", "csv", "--columns", "expired,over_limit,purged");
	cr_expect(strstr(r->err, "enforce: ranking the users active since"), "not incremental: %s", r->err);
	/* the session that went idle is also past the purge age */
	EXPECT_OUT(r, "expired,over_limit,purged\r\n1,1,2\r\n");
	EXPECT_ROWS("SELECT device_fingerprint, is_active FROM sessions ORDER BY 1",
		    "a|f\nb|t\nc|t\nd|t\n");
	/* the plan, -v's read of the ids' range (for its progress), a batch
	 * for each of the three steps, purge's look in its index, the
	 * record: 10 before (a batch more for each step) */
	int begins = logged_statements(app, "statement: BEGIN");
	fprintf(stderr, "statement count: a cron run with a little of everything: %d statements, %d "
			"transactions\n", statements_of(app), begins);
	cr_expect_eq(begins, 7, "the run made %d transactions, expected 7 (%s)", begins, r->err);
	cr_expect_eq(logged_statements(app, "statement: COMMIT"), 7, "the run committed %d times",
		     logged_statements(app, "statement: COMMIT"));
}

/* Three users; at 2025-03-01 00:00, with a 60-day purge age, nothing
 * to do: user 2's two sessions are recent, and user 1's closed one
 * comes due for purge at 00:30. */
static void quiet_cron_fixture(void)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) SELECT g, 'u' || g || '@example.com', 'u' || g\n"
		"FROM generate_series(1, 3) g");
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, last_activity, is_active) VALUES\n"
		" (1, 'purge-soon', '2024-12-31 00:30:00+00', false),\n"
		" (2, 'a', '2025-02-20 00:00:00+00', true), (2, 'b', '2025-02-21 00:00:00+00', true)");
}

/* A cron job's usual run, with nothing to do, is one transaction: its
 * plan looks ahead with each step's first look-up and records the run
 * there (src/enforce-steady.c, look_ahead). It made four (the plan, a batch of
 * expire and of the device limit, the record) and, with --purge-after, a
 * fifth, the purge's look through its index: 19 round trips. Its
 * BEGIN sets the lock wait without a statement of its own (tx.c,
 * BEGIN_LOCK_WAIT): the server took 1.3-1.5 ms to plan the expression
 * that computes it from a statement_timeout, which is only needed where
 * one is set, and then once a connection. A run that finds only a purge
 * due makes no transaction for expire or the device limit, and none for
 * the purge's look. */
Test(postgres_only, a_cron_run_with_nothing_to_do_is_one_transaction, .timeout = 60)
{
	static const char *const args[] = { "--idle-timeout", "90d", "--purge-after", "60d", "-o", "csv",
					     "--columns", "expired,over_limit,purged" };
	char url[256], app[64];

	quiet_cron_fixture();
	struct run *r = RUN("enforce", "--now", "2025-03-01 00:00:00", args[0], args[1], args[2], args[3],
			    args[4], args[5], args[6], args[7]);
	EXPECT_OUT(r, "expired,over_limit,purged\r\n0,0,0\r\n");

	/* ten minutes later: nothing to do */
	app_name(app, sizeof(app), "none");
	snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
	r = RUN_DB(url, "enforce", "--now", "2025-03-01 00:10:00", args[0], args[1], args[2], args[3],
		   args[4], args[5], args[6], args[7]);
	EXPECT_OUT(r, "expired,over_limit,purged\r\n0,0,0\r\n");
	fprintf(stderr, "statement count: a cron run with nothing to do: %d statements, %d transactions\n",
		statements_of(app), logged_statements(app, "statement: BEGIN"));
	cr_expect_eq(logged_statements(app, "statement: BEGIN"), 1, "the run made %d transactions, expected 1",
		     logged_statements(app, "statement: BEGIN"));
	/* BEGIN, the record read, the idle sessions, SET LOCAL, the users,
	 * purge's look, the actor, SET LOCAL, the record, COMMIT (19 when
	 * it made five transactions) */
	int own = statements_of(app) - logged_statements(app, "statement: SET application_name"); /* PgBouncer's */
	cr_expect_eq(own, 10, "the run made %d round trips, expected 10", own);
	cr_expect_eq(logged_statements(app, "statement: BEGIN ISOLATION LEVEL READ COMMITTED;"), 1,
		     "the run's transaction is no write transaction");
	cr_expect_eq(logged_statements(app, "statement: COMMIT"), 1, "the run committed %d times",
		     logged_statements(app, "statement: COMMIT"));
	cr_expect_eq(logged_statements(app, "FROM users WHERE"), 1, "the actor was looked up %d times",
		     logged_statements(app, "FROM users WHERE"));
	cr_expect_eq(logged_statements(app, "INSERT INTO sessctl_enforce_state"), 1, "the run was not recorded");
	cr_expect_eq(logged_statements(app, "statement: SELECT set_config('lock_timeout'"), 0,
		     "the lock wait took a statement of its own with no statement_timeout set");
	EXPECT_ROWS("SELECT since FROM sessctl_enforce_state", "1740787200\n"); /* 00:10 less the slack */

	/* an hour later: only the closed session is due (its last activity
	 * is now 60 days old); the run is the plan, the purge's batch and
	 * the record */
	app_name(app, sizeof(app), "purge");
	snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
	r = RUN_DB(url, "enforce", "--now", "2025-03-01 01:00:00", args[0], args[1], args[2], args[3],
		   args[4], args[5], args[6], args[7]);
	EXPECT_OUT(r, "expired,over_limit,purged\r\n0,0,1\r\n");
	EXPECT_ROWS("SELECT device_fingerprint FROM sessions ORDER BY 1", "a\nb\n");
	int begins = logged_statements(app, "statement: BEGIN");
	cr_expect_eq(begins, 3, "the run made %d transactions, expected 3", begins);
	cr_expect_eq(logged_statements(app, "READ ONLY"), 0, "the purge's look had a read transaction");
	cr_expect_eq(logged_statements(app, "SELECT count(*) FROM (SELECT 1 FROM sessions WHERE NOT is_active"),
		     1, "purge looked through its index %d times",
		     logged_statements(app, "SELECT count(*) FROM (SELECT 1 FROM sessions WHERE NOT is_active"));
	EXPECT_ROWS("SELECT since FROM sessctl_enforce_state", "1740790200\n");
}

/* Under a statement_timeout the lock wait is half of it, at most a
 * second (tx.c, BEGIN_LOCK_WAIT): computed by a statement of its own,
 * once a connection and transaction mode; the connection's later BEGINs
 * set what it computed ('1s', as the server shows the second it
 * computed here; the constant without a timeout is '1000ms') while the
 * timeout is the same. Set before the first connection, so that
 * PgBouncer's server connections have it too; long enough that no
 * statement of a loaded machine meets it. A lock_timeout of the URL's
 * stands, and no statement computes one. (That half of the timeout is
 * what is computed: check-faults-postgres.sh, section 10.) */
Test(postgres_only, under_a_statement_timeout_the_lock_wait_is_computed_once_a_connection, .timeout = 60)
{
	char url[256], app[64];

	db_exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = ''30s''', "
		"current_database()); END $$");
	quiet_cron_fixture();
	struct run *r = RUN("enforce", "--now", "2025-03-01 00:00:00", "--purge-after", "60d", "-q");
	EXPECT_OK(r);
	/* an hour later, a closed session is due: the plan, the purge's
	 * batch, the record */
	app_name(app, sizeof(app), "timeout");
	snprintf(url, sizeof(url), "%s application_name=%s", e2e_url(), app);
	r = RUN_DB(url, "enforce", "--now", "2025-03-01 01:00:00", "--purge-after", "60d", "-o", "csv",
		   "--columns", "expired,over_limit,purged");
	EXPECT_OUT(r, "expired,over_limit,purged\r\n0,0,1\r\n");
	cr_expect_eq(logged_statements(app, "statement: BEGIN"), 3, "the run made %d transactions, expected 3",
		     logged_statements(app, "statement: BEGIN"));
	cr_expect_eq(logged_statements(app, "statement: SELECT set_config('lock_timeout', (SELECT CASE"), 1,
		     "the lock wait was computed by %d statements, expected 1",
		     logged_statements(app, "statement: SELECT set_config('lock_timeout', (SELECT CASE"));
	cr_expect_eq(logged_statements(app, "SELECT set_config('lock_timeout', '1s', true) WHERE "
					    "current_setting('lock_timeout') = '0' AND "
					    "current_setting('statement_timeout') = '30s';"), 2,
		     "the later BEGINs did not set the lock wait computed");
	app_name(app, sizeof(app), "urlwait");
	snprintf(url, sizeof(url), "%s application_name=%s options='-c lock_timeout=300'", e2e_url(), app);
	r = RUN_DB(url, "count", "u2");
	EXPECT_OUT(r, "2\n");
	/* (PgBouncer drops the URL's options: there it is computed) */
	cr_expect_eq(logged_statements(app, "SELECT set_config('lock_timeout', (SELECT CASE"),
		     e2e_pgbouncer() ? 1 : 0, "a lock_timeout of the URL's was computed over");
}

/* logout --where --user bob closes 21 and 22 and leaves 20 (held by the
 * application). While it waits for 20 at its end, bob logs in again on
 * the device of 21 (the application's upsert, pg_upsert_session's own
 * statement: row 21 active again), then the application lets 20 go.
 * What was left is 20: the batches run again on 20 only. Running them
 * "from the first session" (66fe3b6) also closed bob's new login on 21:
 * a second logout audit row for 21, counted twice in `closed`. */
Test(postgres_only, a_bulk_logouts_second_round_closes_only_what_the_first_left, .timeout = 60)
{
	PGconn *app = held_then_refreshed_fixture();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("logout", "--where", "--user", "bob", "--yes", "--actor", "alice",
					    "-o", "csv", "--columns", "closed,users,locked"));
	bool waited = waits_for_what_it_left();
	db_exec("UPDATE sessions SET last_activity = now(), is_active = true"
		" WHERE user_id = 2 AND device_fingerprint = 'f21'");
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	cr_expect(waited, "the logout never waited for what it left");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,users,locked\r\n3,1,0\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "21\n");
	EXPECT_ROWS("SELECT session_id, count(*) FROM sessctl_audit WHERE action = 'logout'"
		    " GROUP BY session_id ORDER BY session_id", "20|1\n21|1\n22|1\n");
}

/* bob's closed session 30, due for purge, and an application table
 * referencing sessions; the application's connection, with `set` run
 * (or NULL), in a transaction whose insert referencing 30 holds the row
 * FOR KEY SHARE (its foreign key check). */
static PGconn *app_holds_30_for_key_share(const char *set)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin'),"
		" (2, 'b@x', 'bob', 'user');"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (30, 2, 'f30', now() - interval '200 days', now() - interval '100 days', false);"
		"CREATE TABLE app_tokens (session_id bigint REFERENCES sessions(id))");
	PGconn *app = PQconnectdb(e2e_url());
	cr_assert_eq(PQstatus(app), CONNECTION_OK, "%s", PQerrorMessage(app));
	if (set)
		pg_ok(app, set);
	pg_ok(app, "BEGIN");
	pg_ok(app, "INSERT INTO app_tokens VALUES (30)");
	return app;
}

/* A closed session due for purge that the application holds FOR KEY
 * SHARE (the foreign key check of an insert into a table referencing
 * sessions, in a transaction left open): the purge's DELETE (FOR UPDATE)
 * waits for it and leaves it; the count's wait takes FOR NO KEY UPDATE,
 * which KEY SHARE does not block, so it "got every lock" with the row
 * still due and calls it free: the steps run three times more, each
 * leaving it again, then 75 all the same. */
Test(postgres_only, a_purge_row_held_for_key_share_is_not_free_at_the_end, .timeout = 90)
{
	PGconn *app = app_holds_30_for_key_share(NULL);
	double t0 = e2e_ms();
	struct run *r = RUN("enforce", "-v", "--purge-after", "30d", "--actor", "alice", "-o", "csv",
			    "--columns", "purged,batches,locked");
	double took = e2e_ms() - t0;
	pg_ok(app, "ROLLBACK");
	PQfinish(app);
	cr_expect_eq(r->status, 75, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "purged,batches,locked\r\n0,0,1\r\n");
	cr_expect_null(strstr(r->err, "running the steps again"),
		       "a row held FOR KEY SHARE was called free (took %.0f ms): %s", took, r->err);
	EXPECT_ERR_HAS(r, "left 1 session");
	EXPECT_ROWS("SELECT id, is_active FROM sessions", "30|f\n");
}

/* The same held purge row 30; while sessctl waits for it at its end, the
 * application, in the transaction that holds it FOR KEY SHARE, logs in
 * again on 30's device (its UPDATE makes the row active). The wait locked
 * 30 FOR NO KEY UPDATE before waiting to take it FOR UPDATE: the UPDATE
 * waited for sessctl, which waited for it, a deadlock the application's
 * deadlock_timeout (100 ms here) ended by aborting the application's
 * transaction ("deadlock detected"; with the defaults, its UPDATE stood
 * still for sessctl's 1 s lock wait). The wait takes 30 FOR UPDATE only:
 * the UPDATE goes through at once. */
Test(postgres_only, the_end_wait_for_a_purge_row_does_not_deadlock_the_application, .timeout = 90)
{
	PGconn *app = app_holds_30_for_key_share("SET deadlock_timeout = '100ms'");
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--purge-after", "30d", "--actor", "alice", "-o", "csv",
					    "--columns", "purged,locked"));
	/* The end wait's FOR UPDATE of the purge's rows, behind the app. */
	bool waited = waits_in("%ORDER BY id FOR UPDATE");
	PGresult *res = PQexec(app, "UPDATE sessions SET is_active = true, last_activity = now()"
			       " WHERE user_id = 2 AND device_fingerprint = 'f30'");
	cr_expect(waited, "enforce never waited for 30 at its end");
	cr_expect_eq(PQresultStatus(res), PGRES_COMMAND_OK, "the application's login failed: %s",
		     PQresultErrorMessage(res));
	PQclear(res);
	pg_ok(app, "COMMIT");
	PQfinish(app);
	struct run *r = e2e_wait(p);
	/* Active again, 30 is no longer the purge's: nothing is left. */
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT(r, "purged,locked\r\n0,0\r\n");
	EXPECT_ROWS("SELECT id, is_active FROM sessions", "30|t\n");
}
