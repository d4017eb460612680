/* migrate, migrate status [--check], migrate --dry-run, schema checks of
 * the other commands, concurrent migrators. */
#include "e2e.h"

#include "../src/migrations.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* t as the RFC 3339 form status prints, which sorts as the time does. */
static void rfc3339(time_t t, char buf[32])
{
	struct tm tm;
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

TestSuite(migrate, .init = e2e_setup, .fini = e2e_teardown, .timeout = 120);

/* Makes the test's database exist without any table of sessctl's: an
 * empty PostgreSQL database is that already; an SQLite file gets a table
 * of some other application. */
static void existing_database_without_schema(void)
{
	if (!e2e_pg())
		db_exec("CREATE TABLE other_app (x INTEGER); INSERT INTO other_app VALUES (1);");
}

static void expect_full_schema(const struct e2e_db *db)
{
	cr_expect(db_table_exists_in(db, "users"), "no users table");
	cr_expect(db_table_exists_in(db, "sessions"), "no sessions table");
	cr_expect(db_table_exists_in(db, "sessctl_migrations"), "no sessctl_migrations table");
	cr_expect_eq(db_int_in(db, "SELECT count(*) FROM sessctl_migrations"), SC_SCHEMA_VERSION,
		     "migrations recorded: not one row per version");
	cr_expect_eq(db_int_in(db, "SELECT count(DISTINCT version) FROM sessctl_migrations"),
		     SC_SCHEMA_VERSION);
	cr_expect_eq(db_int_in(db, "SELECT max(version) FROM sessctl_migrations"), SC_SCHEMA_VERSION);
}

Test(migrate, creates_the_schema_and_says_what_it_applied)
{
	struct run *r = RUN("migrate");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "applied migration 1");
	EXPECT_OUT_HAS(r, "schema is at version");
	expect_full_schema(e2e_db());
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 0);
}

Test(migrate, twice_is_idempotent_and_keeps_every_row)
{
	fx_standard();
	struct run *r = RUN("migrate");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "up to date");
	cr_expect_null(strstr(r->out, "applied migration"), "applied again:\n%s", r->out);
	expect_full_schema(e2e_db());
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7);
	cr_expect_eq(db_int("SELECT count(*) FROM users"), 5);
	EXPECT_OK(RUN("migrate"));
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_migrations"), SC_SCHEMA_VERSION);
}

Test(migrate, quiet_prints_nothing)
{
	struct run *r = RUN("migrate", "-q");

	EXPECT_OK(r);
	EXPECT_NO_OUT(r);
	expect_full_schema(e2e_db());
}

Test(migrate, keeps_other_tables_of_the_database)
{
	existing_database_without_schema();
	db_exec("CREATE TABLE app_settings (k TEXT, v TEXT); INSERT INTO app_settings VALUES ('a', 'b');");
	EXPECT_OK(RUN("migrate"));
	cr_expect_eq(db_int("SELECT count(*) FROM app_settings"), 1);
	expect_full_schema(e2e_db());
}

Test(migrate, status_lists_pending_versions_before_and_applied_after)
{
	existing_database_without_schema();
	struct run *before = RUN("migrate", "status", "-o", "csv");

	EXPECT_OK(before);
	EXPECT_OUT(before, "version,name,state,applied_at\r\n"
			   "1,users and sessions,pending,\r\n"
			   "2,audit trail,pending,\r\n"
			   "3,audit snapshots,pending,\r\n"
			   "4,enforce steady state,pending,\r\n"
			   "5,schema version function,pending,\r\n"
			   "6,enforce idle cutoff,pending,\r\n"
			   "7,idx_user_active without deduplication,pending,\r\n"
			   "8,closed sessions by activity,pending,\r\n");

	/* applied_at is the real time of the migration, as the audit trail
	 * records changes: --now moves the rules only. */
	char lo[32], hi[32];
	rfc3339(time(NULL), lo);
	EXPECT_OK(RUN("migrate", "--now", "2025-03-01 12:00:00"));
	rfc3339(time(NULL), hi);
	struct run *after = RUN("migrate", "status", "-o", "ndjson");
	EXPECT_OK(after);
	static const char *const names[] = { "users and sessions", "audit trail", "audit snapshots",
					     "enforce steady state", "schema version function",
					     "enforce idle cutoff", "idx_user_active without deduplication",
					     "closed sessions by activity" };
	const char *line = after->out;
	for (int v = 1; v <= 8; v++) {
		char want[128], at[32] = "";
		snprintf(want, sizeof(want),
			 "{\"version\":%d,\"name\":\"%s\",\"state\":\"applied\",\"applied_at\":\"", v,
			 names[v - 1]);
		cr_assert(strncmp(line, want, strlen(want)) == 0, "line %d: %s", v, line);
		line += strlen(want);
		sscanf(line, "%31[^\"]", at);
		cr_expect(strcmp(at, lo) >= 0 && strcmp(at, hi) <= 0,
			  "version %d applied at %s, not between %s and %s", v, at, lo, hi);
		line = strchr(line, '\n');
		cr_assert_not_null(line);
		line++;
	}
	cr_expect_str_eq(line, "", "more lines: %s", line);
	cr_expect_null(strstr(after->out, "pending"), "pending after migrate:\n%s", after->out);
	struct run *table = RUN("migrate", "status");
	EXPECT_OK(table);
	EXPECT_OUT_HAS(table, "VERSION");
	EXPECT_OUT_HAS(table, "applied");
}

Test(migrate, status_check_exits_1_while_anything_is_pending_and_0_after)
{
	existing_database_without_schema();
	struct run *r = RUN("migrate", "status", "--check");

	EXPECT_FAIL(r, 1);
	EXPECT_ERR_HAS(r, "sessctl migrate");
	EXPECT_OK(RUN("migrate"));
	r = RUN("migrate", "status", "--check");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "applied");
	/* one release behind: the newest migration alone pending */
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM sessctl_migrations WHERE version = %d", SC_SCHEMA_VERSION);
	db_exec(sql);
	r = RUN("migrate", "status", "--check");
	EXPECT_FAIL(r, 1);
	EXPECT_ERR_HAS(r, "sessctl: 1 migration pending: run 'sessctl migrate'");
}

Test(migrate, dry_run_prints_the_sql_and_creates_nothing)
{
	existing_database_without_schema();
	struct run *r = RUN("migrate", "--dry-run");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "CREATE TABLE");
	EXPECT_OUT_HAS(r, "sessions");
	EXPECT_OUT_HAS(r, "BEGIN;");
	EXPECT_OUT_HAS(r, "COMMIT;");
	cr_expect_not(db_table_exists("sessions"), "--dry-run created the sessions table");
	cr_expect_not(db_table_exists("sessctl_migrations"), "--dry-run created the migrations table");
	EXPECT_FAIL(RUN("migrate", "status", "--check"), 1);
}

/* The plan run by hand (psql, sqlite3) leaves what migrate leaves,
 * versions recorded: migrate then has nothing to do. */
Test(migrate, the_dry_run_plan_applied_by_hand_is_what_migrate_makes)
{
	existing_database_without_schema();
	struct run *plan = RUN("migrate", "--dry-run");
	EXPECT_OK(plan);
	db_exec(plan->out);
	EXPECT_OK(RUN("migrate", "status", "--check"));
	struct run *r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "nothing to do");
	expect_full_schema(e2e_db());
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_migrations"), SC_SCHEMA_VERSION);

	/* and from an older version: only what is pending */
	db_exec("DROP TABLE sessctl_enforce_state");
	db_exec("DELETE FROM sessctl_migrations WHERE version > 3");
	plan = RUN("migrate", "--dry-run");
	EXPECT_OK(plan);
	cr_expect_null(strstr(plan->out, "migration 3:"), "plan repeats migration 3:\n%s", plan->out);
	db_exec(plan->out);
	EXPECT_OK(RUN("migrate", "status", "--check"));
	expect_full_schema(e2e_db());
}

Test(migrate, dry_run_after_migrate_prints_no_sql)
{
	db_migrate(NULL);
	struct run *r = RUN("migrate", "--dry-run");

	/* The same words as migrate itself, on stdout, not styled as an
	 * error (issue 13 item 7). */
	EXPECT_OK(r);
	cr_expect_null(strstr(r->out, "BEGIN"), "SQL printed:\n%s", r->out);
	cr_expect_null(strstr(r->err, "sessctl:"), "an error line: %s", r->err);
	struct run *again = RUN("migrate");
	EXPECT_OK(again);
	EXPECT_OUT(r, again->out);
	EXPECT_OUT_HAS(r, "schema is up to date (version");
	EXPECT_OUT_HAS(r, "nothing to do");
	EXPECT_NO_OUT(RUN("migrate", "--dry-run", "-q"));
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_migrations"), SC_SCHEMA_VERSION);
}

Test(migrate, bad_arguments_exit_64)
{
	struct run *r = RUN("migrate", "sideways");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(RUN("migrate", "--check"), 64);
	EXPECT_FAIL(RUN("migrate", "status", "--dry-run"), 64);
	EXPECT_FAIL(RUN("migrate", "status", "extra"), 64);
	EXPECT_FAIL(RUN("migrate", "--bogus"), 64);
	cr_expect_not(db_table_exists("sessions"), "a refused migrate created tables");
}

Test(migrate, read_commands_on_a_database_without_the_schema_exit_78_and_say_run_migrate)
{
	existing_database_without_schema();
	const char *const *cmds[] = {
		ARGV("list-user", "1"), ARGV("show", "1"), ARGV("count"), ARGV("count", "1"),
		ARGV("count", "--by", "user"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, cmds[i]);
		EXPECT_FAIL(r, 78);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, "run 'sessctl migrate'");
	}
	cr_expect_not(db_table_exists("sessions"), "a read command created tables");
}

Test(migrate, an_older_schema_exits_78_until_migrate_upgrades_it)
{
	fx_standard();
	/* A database at version 1: the audit table of version 2 (and the
	 * columns version 3 adds to it) does not exist yet. */
	db_exec("DROP TABLE sessctl_audit");
	db_exec("DROP TABLE sessctl_enforce_state"); /* migration 4 makes it */
	db_exec("DELETE FROM sessctl_migrations WHERE version > 1");
	struct run *r = RUN("list-user", "1");

	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "run 'sessctl migrate'");
	EXPECT_FAIL(RUN("migrate", "status", "--check"), 1);
	r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "applied migration 2");
	EXPECT_OUT_HAS(r, "applied migration 3");
	EXPECT_OUT_HAS(r, "applied migration 4");
	EXPECT_OUT_HAS(r, "applied migration 5");
	EXPECT_OUT_HAS(r, "applied migration 6");
	EXPECT_OUT_HAS(r, "applied migration 7");
	EXPECT_OUT_HAS(r, "schema is at version 8");
	EXPECT_OK(RUN("list-user", "1"));
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7);
	expect_full_schema(e2e_db());
}

Test(migrate, a_schema_newer_than_this_sessctl_exits_78)
{
	fx_standard();
	db_exec("INSERT INTO sessctl_migrations (version, name, applied_at) "
		"VALUES (99, 'from the future', '2030-01-01 00:00:00')");
	const char *const *cmds[] = {
		ARGV("list-user", "1"), ARGV("show", "10"), ARGV("count"), ARGV("migrate"),
		ARGV("migrate", "status"), ARGV("migrate", "--dry-run"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, cmds[i]);
		EXPECT_FAIL(r, 78);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, "99");
	}
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_migrations"), SC_SCHEMA_VERSION + 1);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7);
}

/* The version is the highest recorded: a row below it deleted by hand
 * leaves status and migrate agreeing (applied, time not known), not one
 * saying "pending" while the other has nothing to do. */
Test(migrate, a_version_row_deleted_by_hand_is_not_pending)
{
	fx_standard();
	db_exec("DELETE FROM sessctl_migrations WHERE version = 4");
	EXPECT_OK(RUN("migrate", "status", "--check"));
	struct run *r = RUN("migrate", "status", "-o", "csv", "--no-header", "--columns", "version,state,applied_at");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "4,applied,\r\n");
	r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "nothing to do");
	r = RUN("migrate", "--dry-run");
	EXPECT_OK(r);
	cr_expect_null(strstr(r->out, "INSERT"), "the plan applies something:\n%s", r->out);
}

/* -q status --check prints nothing at all, not even that an applied_at
 * could not be read; without -q that is named and shown null, and the
 * answer is still about what is pending. */
Test(migrate, quiet_status_check_is_silent_about_an_unreadable_applied_at)
{
	fx_standard();
	db_exec(e2e_pg() ? "UPDATE sessctl_migrations SET applied_at = 'infinity' WHERE version = 2"
			 : "UPDATE sessctl_migrations SET applied_at = 'garbage' WHERE version = 2");
	struct run *q = RUN("-q", "migrate", "status", "--check");
	cr_expect_eq(q->status, 0, "exit %d: %s", q->status, q->err);
	EXPECT_NO_OUT(q);
	cr_expect_eq(q->err_len, 0, "stderr: %s", q->err);
	struct run *r = RUN("migrate", "status", "--check", "-o", "csv", "--no-header", "--columns", "version,applied_at");
	cr_expect_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	EXPECT_OUT_HAS(r, "2,\r\n");
	EXPECT_ERR_HAS(r, "applied_at");
}

/* An application's tables that lack a column sessctl reads are not
 * adopted: migrate says which (78) and applies nothing, rather than a
 * deploy that looks fine and every command failing after it. The same
 * for a table that loses one later. */
Test(migrate, tables_without_a_column_sessctl_reads_are_not_adopted)
{
	db_exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT,"
		" role TEXT NOT NULL DEFAULT 'user');"
		"CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
		" device_fingerprint TEXT, device_name TEXT, device_type TEXT, ip_address TEXT,"
		" created_at TIMESTAMP, last_activity TIMESTAMP, is_active BOOLEAN NOT NULL DEFAULT TRUE);"
		"INSERT INTO users (id, email) VALUES (1, 'a@example.com');"
		"INSERT INTO sessions (id, user_id, device_fingerprint) VALUES (1, 1, 'f1');");
	struct run *r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "table sessions has no column browser");
	cr_expect_not(db_table_exists("sessctl_migrations"), "migrate recorded something");
	cr_expect_not(db_table_exists("sessctl_audit"), "migrate applied migration 2");
	EXPECT_FAIL(RUN("migrate", "status", "--check"), 1);

	db_exec("ALTER TABLE sessions ADD COLUMN browser VARCHAR(100)");
	r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "schema is at version 8");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 1);

	/* up to date, and a column gone since */
	db_exec("ALTER TABLE sessions DROP COLUMN device_name");
	r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "table sessions has no column device_name");
}

/* A column the first migration indexes (is_active, user_id, created_at,
 * device_fingerprint) missing from the application's sessions table made
 * its CREATE INDEX fail first, with the database's "no such column" and
 * a wrong hint (SQLite: "the schema does not match the version
 * sessctl_migrations records", with no such table; PostgreSQL: "run
 * 'sessctl migrate'"). It is named as any other column. */
Test(migrate, a_missing_column_the_first_migration_indexes_is_named_too)
{
	static const char *const columns[][2] = {
		{ "is_active", "a boolean" }, { "user_id", "an integer" },
		{ "created_at", "a timestamp" }, { "device_fingerprint", "text" },
	};

	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		const struct e2e_db *d = e2e_new_db();
		char sql[1024], want[200];
		snprintf(sql, sizeof(sql),
			 "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT,"
			 " role TEXT NOT NULL DEFAULT 'user');"
			 "CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
			 " device_fingerprint TEXT, device_name TEXT, device_type TEXT, browser TEXT,"
			 " ip_address TEXT, created_at TIMESTAMP, last_activity TIMESTAMP,"
			 " is_active BOOLEAN NOT NULL DEFAULT TRUE);"
			 "ALTER TABLE sessions DROP COLUMN %s", columns[i][0]);
		db_exec_in(d, sql);
		struct run *r = RUN_DB(d->url, "migrate");
		EXPECT_FAIL(r, 78);
		snprintf(want, sizeof(want), "the application's table sessions has no column %s, which "
			 "sessctl reads (%s): add it", columns[i][0], columns[i][1]);
		EXPECT_ERR_HAS(r, want);
		cr_expect_null(strstr(r->err, "run 'sessctl migrate'"), "%s", r->err);
		cr_expect_null(strstr(r->err, "does not match"), "%s", r->err);
		cr_expect_not(db_table_exists_in(d, "sessctl_migrations"), "migrate recorded something");
	}
}

/* migrate prints lines, not records: -o json or --columns given to it
 * were ignored without a word (exit 0, plain lines). Refused as metrics
 * refuses them, before anything is created; migrate status takes them. */
Test(migrate, output_options_go_with_migrate_status_only)
{
	const char *const *argvs[] = {
		ARGV("migrate", "-o", "json"), ARGV("migrate", "--columns", "version"),
		ARGV("migrate", "--dry-run", "-o", "csv"), ARGV("migrate", "--no-header"),
	};

	for (size_t i = 0; i < sizeof(argvs) / sizeof(argvs[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = NULL }, argvs[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "no -o, --columns or --no-header (those go with 'migrate status')");
		EXPECT_NO_OUT(r);
		cr_expect_not(db_table_exists("sessctl_migrations"), "%s: migrate applied something", r->what);
	}
	EXPECT_OK(RUN("-q", "migrate"));
	struct run *r = RUN("migrate", "status", "-o", "csv", "--no-header", "--columns", "version");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n8\r\n");
}

static long long index_on(const char *index, const char *table)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 e2e_pg() ? "SELECT count(*) FROM pg_indexes WHERE indexname = '%s' AND tablename = '%s'"
			  : "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = '%s' "
			    "AND tbl_name = '%s'", index, table);
	return db_int(sql);
}

/* CREATE INDEX IF NOT EXISTS skips, without a word, a name held by the
 * application's index on another table (or, on PostgreSQL, by any
 * relation): migrate must not record a schema that lacks its index. */
Test(migrate, an_index_name_held_on_another_table_is_not_taken_for_sessctls)
{
	db_exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, created_at TIMESTAMP);"
		"CREATE INDEX idx_created_at ON orders (created_at);");
	struct run *r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "migration 1 (users and sessions) creates index idx_created_at on table "
		       "sessions, but the name is taken by an index on table orders");
	cr_expect_not(db_table_exists("sessctl_migrations"), "migrate recorded something");
	cr_expect_not(db_table_exists("sessions"), "migration 1 was not rolled back");
	cr_expect_eq(index_on("idx_created_at", "orders"), 1, "the application's index is gone");

	/* a later migration's index: 4 names users' index by username */
	db_exec("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, username TEXT)");
	db_exec(e2e_pg() ? "ALTER INDEX idx_created_at RENAME TO idx_orders_created"
			 : "DROP INDEX idx_created_at");
	db_exec("CREATE INDEX idx_users_username ON audit_log (username)");
	r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_OUT_HAS(r, "applied migration 3");
	EXPECT_ERR_HAS(r, "migration 4 (enforce steady state) creates index idx_users_username on "
		       "table users, but the name is taken by an index on table audit_log");
	cr_expect_eq(db_int("SELECT max(version) FROM sessctl_migrations"), 3);
	cr_expect_eq(index_on("idx_created_at", "sessions"), 1, "migration 1 lacks its index");
	EXPECT_FAIL(RUN("migrate", "status", "--check"), 1);

	db_exec("DROP INDEX idx_users_username");
	r = RUN("migrate");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "schema is at version 8");
	cr_expect_eq(index_on("idx_users_username", "users"), 1);
	EXPECT_OK(RUN("migrate", "status", "--check"));
}

/* A table or view of the name: SQLite failed CREATE INDEX itself (70),
 * PostgreSQL skipped it (a notice). */
Test(migrate, an_index_name_held_by_a_view_is_refused_before_the_script)
{
	db_exec("CREATE VIEW idx_created_at AS SELECT 1 AS one");
	struct run *r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "creates index idx_created_at on table sessions, but the name is taken by "
		       "a view");
	cr_expect_not(db_table_exists("sessctl_migrations"), "migrate recorded something");
}

/* migrate --dry-run printed a plan and exited 0 where migrate refuses
 * (78): run by hand, that plan left a half-adopted schema (the index
 * skipped, the column missing) that migrate then called up to date. It
 * refuses alike now, read-only, and prints no plan. */
Test(migrate, dry_run_refuses_what_migrate_refuses)
{
	db_exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, created_at TIMESTAMP);"
		"CREATE INDEX idx_created_at ON orders (created_at);");
	struct run *r = RUN("migrate", "--dry-run");
	EXPECT_FAIL(r, 78);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "migration 1 (users and sessions) creates index idx_created_at on table "
		       "sessions, but the name is taken by an index on table orders");
	cr_expect_not(db_table_exists("sessions"), "the dry run created something");
	db_exec("DROP INDEX idx_created_at");

	/* a users table of the application's without role: the plan would
	 * create sessions and leave users as it is */
	db_exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT)");
	r = RUN("migrate", "--dry-run");
	EXPECT_FAIL(r, 78);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "the application's table users has no column role");
	EXPECT_FAIL(RUN("migrate"), 78);

	/* with it, the plan is printed, and sessions, still to be made, is
	 * not asked for */
	db_exec("ALTER TABLE users ADD COLUMN role TEXT");
	r = RUN("migrate", "--dry-run");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "CREATE TABLE IF NOT EXISTS sessions");
	cr_expect_not(db_table_exists("sessions"), "the dry run created something");

	/* up to date, and a column gone since: migrate says so, and so
	 * does the dry run */
	EXPECT_OK(RUN("migrate", "-q"));
	db_exec("ALTER TABLE sessions DROP COLUMN browser");
	EXPECT_FAIL(RUN("migrate"), 78);
	r = RUN("migrate", "--dry-run");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "table sessions has no column browser");
}

Test(migrate, two_concurrent_migrators_end_with_one_correct_schema)
{
	for (int round = 0; round < 4; round++) {
		const struct e2e_db *db = round == 0 ? e2e_db() : e2e_new_db();
		struct e2e_proc *a = e2e_start(&(struct call){ .db = db->url }, ARGV("migrate"));
		struct e2e_proc *b = e2e_start(&(struct call){ .db = db->url }, ARGV("migrate"));
		struct run *ra = e2e_wait(a), *rb = e2e_wait(b);

		cr_expect(ra->status == 0 || ra->status == 75, "round %d: first migrate exit %d: %s",
			  round, ra->status, ra->err);
		cr_expect(rb->status == 0 || rb->status == 75, "round %d: second migrate exit %d: %s",
			  round, rb->status, rb->err);
		cr_expect(ra->status == 0 || rb->status == 0, "round %d: neither migrate succeeded", round);
		if (ra->status == 75)
			EXPECT_FAIL(ra, 75);
		if (rb->status == 75)
			EXPECT_FAIL(rb, 75);
		expect_full_schema(db);
		struct run *check = RUN_DB(db->url, "migrate", "status", "--check");
		EXPECT_OK(check);
		db_exec_in(db, FX_STANDARD_SQL);
		EXPECT_OK(RUN_DB(db->url, "list-user", "alice"));
	}
}

Test(migrate, quiet_status_check_prints_nothing_and_answers_by_its_status)
{
	existing_database_without_schema();
	struct run *r = RUN("-q", "migrate", "status", "--check");

	cr_expect_eq(r->status, 1, "%s: exit %d, expected 1", r->what, r->status);
	cr_expect_eq(r->out_len, 0, "%s: stdout [%s]", r->what, r->out);
	cr_expect_eq(r->err_len, 0, "%s: stderr [%s]", r->what, r->err);
	db_migrate(NULL);
	r = RUN("migrate", "status", "--check", "-q");
	EXPECT_OK(r);
	cr_expect_eq(r->out_len, 0, "%s: stdout [%s]", r->what, r->out);
}
