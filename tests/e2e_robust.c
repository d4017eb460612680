/* End-to-end cases of issue 11 on both backends: a row whose time cannot
 * be read (SQLite: text that is no time; PostgreSQL: -infinity, the one
 * value a timestamptz column holds that sessctl cannot show), enforce's
 * failure output, and the warning about a password on the command line.
 *
 * What an unreadable time means (README, "Unreadable times"): it is
 * shown as null, its row and column are named once on stderr, a command
 * that shows data then exits 65 with its output whole; a change works on
 * the row as on any other (exit 0); for the rules it is the earliest time
 * there is, so the session counts as idle. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>

TestSuite(robust, .init = e2e_setup, .fini = e2e_teardown, .timeout = 90);

/* ---- a minimal JSON checker: is the text one well-formed value? ---- */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_list(const char *p, char close, bool members)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (members) {
			if (!(p = json_string(json_ws(p))))
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = json_value(p)))
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_list(p, '}', true);
	if (*p == '[')
		return json_list(p, ']', false);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	const char *q = p + (*p == '-');
	if (*q < '0' || *q > '9')
		return NULL;
	while (*q >= '0' && *q <= '9')
		q++;
	return q;
}

static bool json_ok(const char *text)
{
	const char *end = json_value(text);
	return end && *json_ws(end) == '\0';
}

/* How many times needle occurs in s. */
static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- the fixture: alice's session 12 with unreadable times ---- */

/* The value for "a time sessctl cannot read" on this backend, and one
 * more SQLite form. PostgreSQL's -infinity is idle for the rules, as
 * SQLite's unreadable text is. */
static const char *bad_time(void)
{
	return e2e_pg() ? "-infinity" : "garbage";
}

static void fx_unreadable(void)
{
	char sql[256];

	fx_standard();
	snprintf(sql, sizeof(sql), "UPDATE sessions SET created_at = '%s', last_activity = '%s' WHERE id = 12",
		 e2e_pg() ? "-infinity" : "0000-00-00", bad_time());
	db_exec(sql);
}

/* stderr names row 12's columns that were printed, each on one line,
 * once: created_at and last_activity, or one of them. */
static void expect_named(const struct run *r, bool created, bool last)
{
	cr_expect_eq(count_of(r->err, "row 12 of sessions has an unreadable created_at"), created,
		     "%s: stderr: %s", r->what, r->err);
	cr_expect_eq(count_of(r->err, "row 12 of sessions has an unreadable last_activity"), last,
		     "%s: stderr: %s", r->what, r->err);
	cr_expect_eq(count_of(r->err, "sessctl: row "), created + last, "%s: stderr: %s", r->what,
		     r->err);
}

static void expect_named_once(const struct run *r)
{
	expect_named(r, true, true);
}

Test(robust, an_unreadable_time_leaves_a_json_listing_whole_and_exits_65)
{
	fx_unreadable();
	struct run *r = RUN("list-user", "alice", "-o", "json", "--columns", "id,created_at,last_activity");

	cr_expect_eq(r->status, 65, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	cr_expect(json_ok(r->out), "%s: not JSON:\n%s", r->what, r->out);
	EXPECT_OUT(r, "[\n"
		      "{\"id\":11,\"created_at\":\"2025-02-02T09:00:00Z\",\"last_activity\":\"2025-02-08T10:30:00Z\"},\n"
		      "{\"id\":10,\"created_at\":\"2025-02-01T09:00:00Z\",\"last_activity\":\"2025-02-08T10:30:00Z\"},\n"
		      "{\"id\":12,\"created_at\":null,\"last_activity\":null},\n"
		      "{\"id\":14,\"created_at\":null,\"last_activity\":null}\n"
		      "]\n");
	expect_named_once(r);
	EXPECT_ERR_HAS(r, bad_time());
}

Test(robust, an_unreadable_time_leaves_csv_ndjson_and_the_table_whole)
{
	fx_unreadable();
	struct run *r = RUN("list-user", "alice", "-o", "csv", "--columns", "id,last_activity");

	cr_expect_eq(r->status, 65, "%s: status %d", r->what, r->status);
	EXPECT_OUT(r, "id,last_activity\r\n11,2025-02-08T10:30:00Z\r\n10,2025-02-08T10:30:00Z\r\n12,\r\n14,\r\n");
	expect_named(r, false, true); /* created_at was not printed */

	r = RUN("find", "--user", "alice", "-o", "ndjson", "--columns", "id,created_at");
	cr_expect_eq(r->status, 65, "%s: status %d", r->what, r->status);
	EXPECT_OUT(r, "{\"id\":10,\"created_at\":\"2025-02-01T09:00:00Z\"}\n"
		      "{\"id\":11,\"created_at\":\"2025-02-02T09:00:00Z\"}\n"
		      "{\"id\":12,\"created_at\":null}\n"
		      "{\"id\":14,\"created_at\":null}\n");
	expect_named(r, true, false);

	r = RUN("list-user", "alice", "--columns", "id,last_activity");
	cr_expect_eq(r->status, 65, "%s: status %d", r->what, r->status);
	EXPECT_OUT(r, "ID  LAST_ACTIVITY\n"
		      "11  2025-02-08T10:30:00Z\n"
		      "10  2025-02-08T10:30:00Z\n"
		      "12  -\n"
		      "14  -\n");
	expect_named(r, false, true);

	r = RUN("show", "12", "-o", "json", "--columns", "id,created_at,last_activity,is_active");
	cr_expect_eq(r->status, 65, "%s: status %d", r->what, r->status);
	EXPECT_OUT(r, "{\"id\":12,\"created_at\":null,\"last_activity\":null,\"is_active\":true}\n");
	expect_named_once(r);
	/* A listing that prints no unreadable column shows nothing as null:
	 * exit 0, nothing said (a script picking ids failed with 65). */
	const char *const *none[] = {
		ARGV("find", "--user", "alice", "-o", "csv", "--columns", "id,ip_address"),
		ARGV("list-user", "alice", "-o", "csv", "--columns", "id,device_name"),
		ARGV("show", "12", "-o", "csv", "--columns", "id,is_active"),
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		r = e2e_run(&(struct call){ 0 }, none[i]);
		EXPECT_OK(r);
	}
	/* the other rows read as before */
	EXPECT_OK(RUN("show", "10"));
	EXPECT_OK(RUN("list-user", "bob"));
}

/* Closing a session does not depend on reading its times. */
Test(robust, a_session_with_unreadable_times_can_be_closed_and_replaced)
{
	fx_unreadable();
	struct run *r = RUN("logout", "12", "-q", "--actor", "ops");

	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 12 AND NOT is_active"), 1);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE session_id = 12 AND action = 'logout'"), 1);

	db_exec("UPDATE sessions SET is_active = TRUE WHERE id = 12");
	db_exec("UPDATE sessions SET is_active = FALSE WHERE id IN (10, 11, 14)");
	/* --latest: 12 is alice's only active session */
	r = RUN("logout", "--user", "alice", "--latest", "-o", "csv", "--columns", "change,id,last_activity",
		"--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,last_activity\r\nclosed,12,\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 12 AND NOT is_active"), 1);

	db_exec("UPDATE sessions SET is_active = TRUE WHERE id IN (10, 11, 12, 14)");
	r = RUN("logout-all", "alice", "--yes", "-o", "json", "--columns", "change,id", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	cr_expect(json_ok(r->out), "%s: not JSON:\n%s", r->what, r->out);
	EXPECT_OUT_HAS(r, "{\"change\":\"closed\",\"id\":12}");
	/* neither time was shown: nothing to name, as in a listing */
	expect_named(r, false, false);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 1 AND is_active"), 0);
	db_exec("UPDATE sessions SET is_active = TRUE WHERE id IN (10, 11, 12, 14)");
	r = RUN("logout-all", "alice", "--yes", "-o", "json", "--columns", "change,id,last_activity",
		"--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT_HAS(r, "{\"change\":\"closed\",\"id\":12,\"last_activity\":null}");
	expect_named(r, false, true);
	/* the default columns show both */
	db_exec("UPDATE sessions SET is_active = TRUE WHERE id IN (10, 11, 12, 14)");
	r = RUN("logout-all", "alice", "--yes", "-o", "json", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	expect_named_once(r);

	/* create at the device limit: 12 (idle since ever) goes first */
	db_exec("UPDATE sessions SET is_active = TRUE WHERE id IN (10, 11, 12)");
	r = RUN("create", "--user", "alice", "--fingerprint", "fp-new", "-o", "csv", "--columns", "change,id",
		"--actor", "ops", "--now", "2025-03-01 00:00:00");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT_HAS(r, "over-limit,12\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 12 AND NOT is_active"), 1);
}

/* A change reads the user's other sessions for its own use (the device
 * limit, the session --latest picks, --except): an unreadable time in
 * one it does not show was named all the same ("shown as null", of a
 * row not shown). Only the rows a change prints are named. */
Test(robust, a_change_names_an_unreadable_time_only_in_a_row_it_shows)
{
	fx_unreadable();
	struct run *r = RUN("create", "--user", "alice", "--fingerprint", "fp-a1", "--max-sessions", "10",
			    "-o", "csv", "--columns", "change,id", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id\r\nrefreshed,10\r\n");
	expect_named(r, false, false);
	r = RUN("create", "--user", "alice", "--fingerprint", "fp-new", "--max-sessions", "10", "--dry-run",
		"-o", "csv", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT_HAS(r, "created,0,1,");
	expect_named(r, false, false);
	r = RUN("logout", "--user", "alice", "--device", "fp-a2", "-o", "csv", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT_HAS(r, "closed,11,");
	expect_named(r, false, false);
	r = RUN("logout-all", "alice", "--except", "10", "--yes", "-o", "csv", "--columns", "change,id",
		"--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id\r\nclosed,12\r\nclosed,14\r\n");
	expect_named(r, false, false);
}

/* enforce: an unreadable last_activity is idle; it is expired, then
 * purged, and a dry run ends as the real run does. */
Test(robust, enforce_expires_and_purges_a_session_whose_last_activity_is_unreadable)
{
	fx_unreadable();
	db_exec("UPDATE sessions SET is_active = FALSE WHERE id <> 12");
	char *before = db_dump();
	struct run *d = RUN("enforce", "--dry-run", "--now", "2030-01-01 00:00:00", "--purge-after", "1d",
			    "-o", "csv", "--columns", "change,id", "--actor", "ops");

	cr_expect_eq(d->status, 0, "%s: status %d; stderr: %s", d->what, d->status, d->err);
	cr_expect_null(strstr(d->err, "committed"), "%s: a dry run commits nothing: %s", d->what, d->err);
	EXPECT_OUT_HAS(d, "expired,12\r\n");
	EXPECT_OUT_HAS(d, "purged,12\r\n");
	EXPECT_UNCHANGED(before);
	free(before);

	struct run *r = RUN("enforce", "--now", "2030-01-01 00:00:00", "--purge-after", "1d", "-o", "csv",
			    "--actor", "ops");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "expired,over_limit,purged,batches,interrupted,locked\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 12"), 0, "session 12 was not purged");
	EXPECT_ROWS("SELECT action FROM sessctl_audit WHERE session_id = 12 ORDER BY id", "expire\npurge\n");
}

/* ---- enforce's failure output ---- */

/* Makes any change of session 20 fail: on PostgreSQL with SQLSTATE 53100
 * (disk_full), as a server whose disk filled up does; on SQLite with a
 * trigger's abort. */
static void fail_on_session_20(void)
{
	if (e2e_pg())
		e2e_pg_admin("CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$\n"
			     "BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$;\n"
			     "CREATE TRIGGER full_disk BEFORE UPDATE ON sessions FOR EACH ROW\n"
			     "WHEN (OLD.id = 20) EXECUTE FUNCTION full_disk()");
	else
		db_exec("CREATE TRIGGER boom BEFORE UPDATE ON sessions WHEN OLD.id = 20\n"
			"BEGIN SELECT RAISE(ABORT, 'session 20 refused'); END");
}

Test(robust, a_failing_enforce_prints_one_line_and_the_summary_of_what_it_committed)
{
	fx_standard();
	fail_on_session_20();
	/* batches of one: 10, 11 and 12 expire in 3 batches (14, with no
	 * last_activity, is not idle), then 20 fails */
	const char *const *formats[] = { ARGV("-o", "json"), ARGV("-o", "csv"), ARGV("-o", "table") };
	const char *want[] = {
		"{\"expired\":3,\"over_limit\":0,\"purged\":0,\"batches\":3,\"interrupted\":false,\"locked\":0}\n",
		"expired,over_limit,purged,batches,interrupted,locked\r\n3,0,0,3,false,0\r\n",
		NULL,
	};
	int status = e2e_pg() ? 74 : 65;

	for (size_t i = 0; i < 3; i++) {
		if (i > 0)
			db_exec("UPDATE sessions SET is_active = TRUE WHERE id IN (10, 11, 12)");
		struct run *r = RUN("enforce", "--now", "2030-01-01 00:00:00", "--batch-size", "1",
				    "--actor", "ops", formats[i][0], formats[i][1]);
		EXPECT_FAIL(r, status);
		EXPECT_ERR_HAS(r, "enforce stopped after 3 committed batches (3 expired, 0 over the limit, 0 purged): ");
		if (e2e_pg())
			EXPECT_ERR_HAS(r, "disk is full");
		if (i < 2)
			EXPECT_OUT(r, want[i]);
		else
			EXPECT_OUT_HAS(r, "EXPIRED");
		cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id IN (10, 11, 12) AND NOT is_active"), 3);
	}
	/* what it said it committed is what the database holds */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 20 AND is_active"), 1);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE session_id = 20"), 0);

	/* -q: the line only */
	db_exec("UPDATE sessions SET is_active = TRUE WHERE id IN (10, 11, 12)");
	struct run *q = RUN("enforce", "--now", "2030-01-01 00:00:00", "--batch-size", "1", "--actor", "ops",
			    "-q");
	EXPECT_FAIL(q, status);
	EXPECT_NO_OUT(q);

	/* a dry run commits nothing and says so */
	struct run *d = RUN("enforce", "--dry-run", "--now", "2030-01-01 00:00:00", "--actor", "ops", "-o",
			    "json");
	EXPECT_FAIL(d, status);
	cr_expect_null(strstr(d->err, "committed"), "%s: %s", d->what, d->err);
	EXPECT_ERR_HAS(d, "nothing was changed");
}

/* The application's own rules refuse a change: a trigger that raises
 * (RAISE(ABORT, ...) on SQLite, RAISE EXCEPTION on PostgreSQL), and on
 * PostgreSQL another table's foreign key to a session the purge would
 * delete. 65, one line that says so (it was 70, "internal error", on
 * PostgreSQL, and on SQLite "remove the duplicate or invalid rows"). */
Test(robust, a_change_the_databases_own_rules_refuse_exits_65_and_says_so)
{
	fx_standard();
	if (e2e_pg())
		e2e_pg_admin("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$\n"
			     "BEGIN RAISE EXCEPTION 'sessions are kept'; END $$;\n"
			     "CREATE TRIGGER nodel BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse();\n"
			     "CREATE TRIGGER noclose BEFORE UPDATE ON sessions FOR EACH ROW\n"
			     "WHEN (OLD.id = 10) EXECUTE FUNCTION refuse()");
	else
		db_exec("CREATE TRIGGER nodel BEFORE DELETE ON sessions\n"
			"BEGIN SELECT RAISE(ABORT, 'sessions are kept'); END;\n"
			"CREATE TRIGGER noclose BEFORE UPDATE ON sessions WHEN OLD.id = 10\n"
			"BEGIN SELECT RAISE(ABORT, 'sessions are kept'); END");
	char *before = db_dump();
	struct run *r = RUN("logout", "10", "--actor", "ops");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "sessions are kept: a trigger of the database refused the change");
	EXPECT_UNCHANGED(before);
	free(before);
	/* the device limit's batch (14) commits before the purge fails */
	r = RUN("enforce", "--now", "2025-02-09 00:00:00", "--idle-timeout", "100d", "--purge-after", "1d",
		"--actor", "ops", "-q");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "enforce stopped after 1 committed batches (0 expired, 1 over the limit, 0 purged): ");
	EXPECT_ERR_HAS(r, "sessions are kept: a trigger of the database refused the change");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7);
	if (!e2e_pg())
		return; /* SQLite enforces foreign keys only where the application turns them on */
	e2e_pg_admin("DROP TRIGGER nodel ON sessions;\n"
		     "CREATE TABLE session_events (session_id bigint REFERENCES sessions (id));\n"
		     "INSERT INTO session_events VALUES (21)");
	r = RUN("enforce", "--now", "2025-02-09 00:00:00", "--idle-timeout", "100d", "--purge-after", "1d",
		"--actor", "ops", "-q");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "another table's foreign key refers to these rows");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 21"), 1);
}

/* A bulk logout that fails part-way says so as enforce does: one line
 * naming what its committed batches closed (they stay), and unless -q
 * their summary on stdout. */
Test(robust, a_failing_bulk_logout_prints_one_line_and_the_summary_of_what_it_committed)
{
	fx_standard();
	fail_on_session_20();
	int status = e2e_pg() ? 74 : 65;
	/* batches of one in id order: alice's 10, 11, 12 and 14, then bob's 20 fails */
	struct run *r = RUN("logout", "--all-users", "--yes", "--batch-size", "1", "--actor", "ops", "-o", "csv");
	EXPECT_FAIL(r, status);
	EXPECT_ERR_HAS(r, "logout stopped after 4 committed batches (4 sessions of 1 user closed): ");
	EXPECT_OUT(r, "closed,users,batches,interrupted,locked\r\n4,1,4,false,0\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 1 AND is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE user_id = 1"), 4);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 20 AND is_active"), 1);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE session_id = 20"), 0);

	/* one committed batch; -q: the line only */
	db_exec("UPDATE sessions SET is_active = TRUE WHERE id = 10");
	struct run *q = RUN("logout", "--all-users", "--yes", "--batch-size", "1", "--actor", "ops", "-q");
	EXPECT_FAIL(q, status);
	EXPECT_ERR_HAS(q, "logout stopped after 1 committed batch (1 session of 1 user closed): ");
	EXPECT_NO_OUT(q);

	/* nothing committed: the error alone */
	struct run *n = RUN("logout", "--where", "--user", "bob", "--yes", "--actor", "ops");
	EXPECT_FAIL(n, status);
	cr_expect_null(strstr(n->err, "committed"), "%s: %s", n->what, n->err);
	EXPECT_NO_OUT(n);
}

/* A summary's --columns is checked before anything changes: a typo is a
 * usage error, not a failure after the work is done. */
Test(robust, a_bad_summary_column_changes_nothing)
{
	fx_standard();
	char *before = db_dump();
	const char *const *runs[] = {
		ARGV("enforce", "--now", "2030-01-01 00:00:00", "--actor", "ops", "--columns", "expired,bogus"),
		ARGV("enforce", "--now", "2030-01-01 00:00:00", "--actor", "ops", "-q", "--columns", "bogus"),
		ARGV("logout", "--all-users", "--yes", "--actor", "ops", "--columns", "closed,closed"),
		ARGV("logout", "--where", "--user", "alice", "--yes", "--actor", "ops", "-q", "--columns", "bogus"),
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, runs[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "--columns");
		EXPECT_NO_OUT(r);
	}
	EXPECT_UNCHANGED(before);
	free(before);
}

/* ---- a password on the command line ---- */

Test(robust, a_password_in_db_is_warned_about_once_and_not_from_the_environment)
{
	const char *url = "postgresql://u:S3cretW@127.0.0.1:1/x?connect_timeout=1";
	struct run *r = RUN_DB(url, "count");

	cr_expect_eq(r->status, 69, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	cr_expect_eq(count_of(r->err, "sessctl: warning: --db holds a password"), 1, "%s: %s", r->what, r->err);
	EXPECT_ERR_HAS(r, "PGPASSFILE");
	EXPECT_ERR_HAS(r, "SESSCTL_DB");
	cr_expect_eq(count_of(r->err, "\n"), 2, "%s: %s", r->what, r->err);
	cr_expect_null(strstr(r->err, "S3cretW"), "%s: %s", r->what, r->err);

	/* -q, before or after --db: nothing but the error (a cron job that
	 * keeps the password there has chosen to) */
	r = RUN_DB(url, "-q", "count");
	EXPECT_FAIL(r, 69);
	cr_expect_eq(count_of(r->err, "holds a password"), 0, "%s: %s", r->what, r->err);
	r = e2e_run(&(struct call){ .no_db = true }, ARGV("-q", "--db", url, "count"));
	EXPECT_FAIL(r, 69);
	cr_expect_eq(count_of(r->err, "holds a password"), 0, "%s: %s", r->what, r->err);

	/* --db twice: the first's password is in the process list still */
	r = e2e_run(&(struct call){ .no_db = true }, ARGV("--db", url, "--db", "postgresql://u@127.0.0.1:1/x?connect_timeout=1", "count"));
	cr_expect_eq(r->status, 69, "%s: status %d; stderr: %s", r->what, r->status, r->err);
	cr_expect_eq(count_of(r->err, "sessctl: warning: --db holds a password"), 1, "%s: %s", r->what, r->err);

	/* from the environment: no warning, the one error line */
	r = e2e_run(&(struct call){ .no_db = true, .env = ARGV("SESSCTL_DB=postgresql://u:S3cretW@127.0.0.1:1/x") },
		    ARGV("count"));
	EXPECT_FAIL(r, 69);
	cr_expect_null(strstr(r->err, "S3cretW"), "%s: %s", r->what, r->err);

	/* none without a password */
	r = RUN_DB("postgresql://u@127.0.0.1:1/x", "count");
	EXPECT_FAIL(r, 69);
	/* and none for the test's own database */
	fx_standard();
	EXPECT_OK(RUN("count"));
}
