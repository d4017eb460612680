/* create: the application's same-device and device-limit rules, bad
 * values, --dry-run and the --actor rule. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>

TestSuite(create, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

#define NOW "2025-03-01 12:00:00"
#define NOW_RFC "2025-03-01T12:00:00Z"

/* create as an operator would run it: fixed time and actor. */
#define W(...) RUN("create", __VA_ARGS__, "--now", NOW, "--actor", "ops")
#define W_ENV(envv, ...) \
	e2e_run(&(struct call){ .env = (envv) }, ARGV("create", __VA_ARGS__, "--now", NOW, "--actor", "ops"))

/* ---- helpers ---- */

/* Which sessions are active: "id|1" or "id|0" lines. */
#define ACTIVE_SQL "SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions ORDER BY id"
#define AUDIT_SQL \
	"SELECT session_id, user_id, action, actor, COALESCE(reason, '-') FROM sessctl_audit ORDER BY id"

/* The standard fixture, with PostgreSQL's identity sequence moved past
 * the explicit ids it inserts. */
static void fix_seq(void)
{
	db_fix_sequence_in(e2e_db());
}

static void fx(void)
{
	fx_standard();
	fix_seq();
}

/* The standard fixture plus more sessions (for carol, user 3, who has
 * none there): values is "(id, user_id, 'fingerprint', 'last_activity',
 * TRUE|FALSE), ...", all created at 2025-01-01 00:00:00. */
static void fx_carol(const char *values)
{
	char *sql = malloc(strlen(values) + 128);

	cr_assert_not_null(sql);
	fx_standard();
	sprintf(sql, "INSERT INTO sessions (id, user_id, device_fingerprint, last_activity, is_active) "
		     "VALUES %s", values);
	db_exec(sql);
	db_exec("UPDATE sessions SET created_at = '2025-01-01 00:00:00' WHERE user_id = 3");
	free(sql);
	fix_seq();
}


#define CAROL_SQL \
	"SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions WHERE user_id = 3 ORDER BY id"

/* ---- a new device ---- */

Test(create, a_new_device_gets_an_active_session_created_and_last_active_now)
{
	fx();
	struct run *r = W("--user", "carol", "--fingerprint", "fp-c1", "-o", "json");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "[\n{\"change\":\"created\",\"id\":22,\"user_id\":3,\"device_name\":null,"
		      "\"device_type\":null,\"browser\":null,\"ip_address\":null,"
		      "\"created_at\":\"" NOW_RFC "\",\"last_activity\":\"" NOW_RFC "\","
		      "\"is_active\":true}\n]\n");
	cr_expect_str_eq(r->err, "created 1 session\n", "%s: stderr [%s]", r->what, r->err);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 22 AND user_id = 3 AND "
			    "device_fingerprint = 'fp-c1' AND is_active AND created_at = '" NOW "' AND "
			    "last_activity = '" NOW "' AND device_name IS NULL AND device_type IS NULL "
			    "AND browser IS NULL AND ip_address IS NULL"), 1,
		     "the row is not as created");
	EXPECT_ROWS(AUDIT_SQL, "22|3|create|ops|-\n");
	/* --now is the time the rules were evaluated at; the audit row's
	 * created_at is the real time of the change (e2e_audit.c). */
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE evaluated_at = '" NOW "'"), 1);
}

Test(create, stores_every_given_field)
{
	fx();
	struct run *r = W("--user", "bob@example.com", "--fingerprint", "fp-b9", "--device-name",
			  "Firefox on macOS", "--device-type", "web", "--browser", "Firefox", "--ip",
			  "2001:db8::42", "--reason", "support ticket 7", "-o", "csv", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "change,id,user_id,device_name,device_type,browser,ip_address,created_at,"
		      "last_activity,is_active\r\n"
		      "created,22,2,Firefox on macOS,web,Firefox,2001:db8::42," NOW_RFC "," NOW_RFC
		      ",true\r\n");
	struct run *show = RUN("show", "22", "-o", "csv", "--no-header", "--columns",
			       "device_fingerprint,device_type,ip_address");
	EXPECT_OK(show);
	EXPECT_OUT(show, "fp-b9,web,2001:db8::42\r\n");
	EXPECT_ROWS(AUDIT_SQL, "22|2|create|ops|support ticket 7\n");

	struct run *mobile = W("--user", "2", "--fingerprint", "fp-b10", "--device-type", "mobile",
			       "--ip", "198.51.100.4", "-o", "csv", "--no-header", "--columns",
			       "change,device_type,ip_address", "-q");
	EXPECT_OK(mobile);
	EXPECT_OUT(mobile, "created,mobile,198.51.100.4\r\n");
}

Test(create, table_output_ends_with_a_summary)
{
	fx();
	struct run *r = W("--user", "carol", "--fingerprint", "fp-c1");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "created 1 session\n");
	EXPECT_OUT_HAS(r, "CHANGE");
}

/* ---- the same device ---- */

Test(create, the_same_device_again_refreshes_the_row_instead_of_adding_one)
{
	fx();
	struct run *first = W("--user", "carol", "--fingerprint", "fp-c1", "-o", "csv", "--no-header",
			      "--columns", "change,id", "-q");
	EXPECT_OK(first);
	EXPECT_OUT(first, "created,22\r\n");

	struct run *again = RUN("create", "--user", "3", "--fingerprint", "fp-c1", "--now",
				"2025-03-02 08:00:00", "--actor", "ops", "-o", "csv", "--no-header",
				"--columns", "change,id,created_at,last_activity,is_active", "-q");
	EXPECT_OK(again);
	EXPECT_OUT(again, "refreshed,22," NOW_RFC ",2025-03-02T08:00:00Z,true\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 3"), 1, "a duplicate row");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 8);
	EXPECT_ROWS(AUDIT_SQL, "22|3|create|ops|-\n22|3|create|ops|-\n");
}

Test(create, a_closed_session_of_the_device_becomes_active_again)
{
	fx();
	/* bob's 21 is closed. */
	struct run *r = W("--user", "bob", "--fingerprint", "fp-b2", "--device-type", "mobile",
			  "--browser", "Firefox", "-o", "csv", "--no-header", "--columns",
			  "change,id,device_type,browser,created_at,last_activity,is_active", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "refreshed,21,mobile,Firefox,2025-01-10T10:00:00Z," NOW_RFC ",true\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 2"), 2, "a duplicate row");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 21 AND is_active AND "
			    "last_activity = '" NOW "' AND created_at = '2025-01-10 10:00:00'"), 1);
	/* Fields not given are kept. */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 21 AND device_name LIKE 'Caf%'"), 1);
	EXPECT_ROWS(AUDIT_SQL, "21|2|create|ops|-\n");
	/* The other device of bob is untouched. */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 20 AND is_active AND "
			    "last_activity = '2025-02-08 09:45:30'"), 1);
}

Test(create, the_same_fingerprint_of_another_user_is_another_device)
{
	fx();
	struct run *r = W("--user", "carol", "--fingerprint", "fp-a1", "-o", "csv", "--no-header",
			  "--columns", "change,id,user_id", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "created,22,3\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 10 AND is_active AND "
			    "last_activity = '2025-02-08 10:30:00'"), 1);
}

/* ---- the device limit ---- */

Test(create, exactly_at_the_limit_closes_nothing_and_inactive_sessions_do_not_count)
{
	fx_carol("(30, 3, 'c30', '2025-02-01 10:00:00', TRUE), (31, 3, 'c31', '2025-02-02 10:00:00', TRUE), "
		 "(32, 3, 'c32', '2025-02-03 10:00:00', FALSE), (33, 3, 'c33', '2025-01-01 00:00:00', FALSE)");
	struct run *r = W("--user", "carol", "--fingerprint", "c-new", "-o", "csv", "--no-header",
			  "--columns", "change,id", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "created,34\r\n");
	EXPECT_ROWS(CAROL_SQL, "30|1\n31|1\n32|0\n33|0\n34|1\n");
	EXPECT_ROWS(AUDIT_SQL, "34|3|create|ops|-\n");
}

Test(create, one_over_the_limit_closes_the_oldest)
{
	fx_carol("(30, 3, 'c30', '2025-02-05 10:00:00', TRUE), (31, 3, 'c31', '2025-02-01 10:00:00', TRUE), "
		 "(32, 3, 'c32', '2025-02-03 10:00:00', TRUE), (33, 3, 'c33', '2025-01-01 00:00:00', FALSE)");
	struct run *r = W("--user", "carol", "--fingerprint", "c-new", "-o", "csv", "--columns",
			  "change,id,is_active");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,is_active\r\ncreated,34,true\r\nover-limit,31,false\r\n");
	cr_expect_str_eq(r->err, "closed 1 session over the device limit; created 1 session\n",
			 "%s: stderr [%s]", r->what, r->err);
	EXPECT_ROWS(CAROL_SQL, "30|1\n31|0\n32|1\n33|0\n34|1\n");
	EXPECT_ROWS(AUDIT_SQL, "34|3|create|ops|-\n31|3|over-limit|ops|-\n");
}

Test(create, ties_in_last_activity_close_the_lower_id_first)
{
	fx_carol("(30, 3, 'c30', '2025-02-01 10:00:00', TRUE), (31, 3, 'c31', '2025-02-01 10:00:00', TRUE), "
		 "(32, 3, 'c32', '2025-02-03 10:00:00', TRUE)");
	struct run *a = W("--user", "carol", "--fingerprint", "c-new1", "-o", "csv", "--no-header",
			  "--columns", "change,id", "-q");
	struct run *b = W("--user", "carol", "--fingerprint", "c-new2", "-o", "csv", "--no-header",
			  "--columns", "change,id", "-q");

	EXPECT_OK(a);
	EXPECT_OUT(a, "created,33\r\nover-limit,30\r\n");
	EXPECT_OK(b);
	/* Now 31 (2025-02-01), 32 and 33 (now): 31 goes. */
	EXPECT_OUT(b, "created,34\r\nover-limit,31\r\n");
	EXPECT_ROWS(CAROL_SQL, "30|0\n31|0\n32|1\n33|1\n34|1\n");
}

Test(create, several_over_the_limit_close_all_the_oldest_and_keep_the_new_one)
{
	fx_carol("(30, 3, 'c30', '2025-02-05 10:00:00', TRUE), (31, 3, 'c31', '2025-02-01 10:00:00', TRUE), "
		 "(32, 3, 'c32', '2025-02-03 10:00:00', TRUE), (33, 3, 'c33', '2025-02-04 00:00:00', TRUE), "
		 "(34, 3, 'c34', '2025-02-02 00:00:00', TRUE)");
	/* Refreshing the oldest device keeps it: it is now the most recent. */
	struct run *r = W("--user", "carol", "--fingerprint", "c31", "-o", "csv", "--no-header",
			  "--columns", "change,id", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "refreshed,31\r\nover-limit,32\r\nover-limit,34\r\n");
	EXPECT_ROWS(CAROL_SQL, "30|1\n31|1\n32|0\n33|1\n34|0\n");
	EXPECT_ROWS(AUDIT_SQL, "31|3|create|ops|-\n32|3|over-limit|ops|-\n34|3|over-limit|ops|-\n");
}

Test(create, max_sessions_per_user_from_the_environment_and_the_option)
{
	fx_carol("(30, 3, 'c30', '2025-02-01 10:00:00', TRUE), (31, 3, 'c31', '2025-02-02 10:00:00', TRUE)");
	struct run *r;

	/* 2 active + 1 new, limit 2: the oldest goes. */
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=2"), "--user", "carol", "--fingerprint", "c-new1", "-o",
		  "csv", "--no-header", "--columns", "change,id", "-q");
	EXPECT_OK(r);
	EXPECT_OUT(r, "created,32\r\nover-limit,30\r\n");
	/* The option wins over the environment: 3 active under a limit of 4. */
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=2"), "--user", "carol", "--fingerprint", "c-new2",
		  "--max-sessions", "4", "-o", "csv", "--no-header", "--columns", "change,id", "-q");
	EXPECT_OK(r);
	EXPECT_OUT(r, "created,33\r\n");
	EXPECT_ROWS(CAROL_SQL, "30|0\n31|1\n32|1\n33|1\n");
	/* Default 3 without either: 31, 32, 33 active, one more closes 31. */
	r = W("--user", "carol", "--fingerprint", "c-new3", "-o", "csv", "--no-header", "--columns",
	      "change,id", "-q");
	EXPECT_OK(r);
	EXPECT_OUT(r, "created,34\r\nover-limit,31\r\n");
	/* --max-sessions 1 keeps only the new one. */
	r = W("--user", "carol", "--fingerprint", "c-new4", "--max-sessions", "1", "-o", "csv",
	      "--no-header", "--columns", "change,id", "-q");
	EXPECT_OK(r);
	EXPECT_OUT(r, "created,35\r\nover-limit,32\r\nover-limit,33\r\nover-limit,34\r\n");
	EXPECT_ROWS(CAROL_SQL, "30|0\n31|0\n32|0\n33|0\n34|0\n35|1\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'"), 5);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'create'"), 4);
}

Test(create, the_limit_only_closes_sessions_of_that_user)
{
	fx();
	/* alice is over the limit (4 active); creating for bob leaves her be. */
	struct run *r = W("--user", "bob", "--fingerprint", "fp-b3", "-q");

	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 1 AND is_active"), 4);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'"), 0);
}

/* ---- bad values ---- */

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(create, bad_values_are_usage_errors_and_write_nothing)
{
	fx();
	char *before = db_dump();
	char *fp256 = repeat('f', 256), *name256 = repeat('n', 256), *browser101 = repeat('b', 101);
	struct run *r;

	r = W("--user", "carol", "--fingerprint", "x", "--device-type", "tablet");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--device-type", "");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--ip", "300.1.1.1");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--ip", "not-an-address");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--ip", "10.0.0.0/8");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--ip", "2001:db8:::1");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", fp256);
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--device-name", name256);
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--browser", browser101);
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol");
	EXPECT_FAIL(r, 64);
	r = W("--fingerprint", "x");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--max-sessions", "0");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--max-sessions", "-1");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "--max-sessions", "three");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=abc"), "--user", "carol", "--fingerprint", "x");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=0"), "--user", "carol", "--fingerprint", "x");
	EXPECT_FAIL(r, 64);
	r = W("--user", "carol", "--fingerprint", "x", "extra");
	EXPECT_FAIL(r, 64);
	r = W("--user", "dupname", "--fingerprint", "x");
	EXPECT_FAIL(r, 64);
	r = W("--user", "nobody@example.com", "--fingerprint", "x");
	EXPECT_FAIL(r, 67);
	r = W("--user", "999", "--fingerprint", "x");
	EXPECT_FAIL(r, 67);
	EXPECT_UNCHANGED(before);
	free(before);
	free(fp256);
	free(name256);
	free(browser101);
}

Test(create, values_at_the_length_limits_are_accepted)
{
	fx();
	char *fp255 = repeat('f', 255), *name255 = repeat('n', 255), *browser100 = repeat('b', 100);
	struct run *r = W("--user", "carol", "--fingerprint", fp255, "--device-name", name255,
			  "--browser", browser100, "-q");

	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT length(device_fingerprint) + length(device_name) + length(browser) "
			    "FROM sessions WHERE user_id = 3"), 610);
	free(fp255);
	free(name255);
	free(browser100);
}

/* n copies of the two-byte "é". */
static char *repeat_e(size_t n)
{
	char *s = malloc(2 * n + 1);
	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[2 * n] = '\0';
	return s;
}

/* The limits are varchar's, in characters: a fingerprint the application
 * stored in 255 two-byte characters is one create accepts too (it said
 * "510 bytes long: at most 255"). */
Test(create, the_length_limits_count_characters_not_bytes)
{
	fx();
	char *fp255 = repeat_e(255), *name255 = repeat_e(255), *browser100 = repeat_e(100);
	char *fp256 = repeat_e(256);
	struct run *r = W("--user", "carol", "--fingerprint", fp255, "--device-name", name255,
			  "--browser", browser100, "-q");

	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT length(device_fingerprint) + length(device_name) + length(browser) "
			    "FROM sessions WHERE user_id = 3"), 610);
	char *before = db_dump();
	r = W("--user", "carol", "--fingerprint", fp256);
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "--fingerprint is 256 characters long: at most 255");
	EXPECT_UNCHANGED(before);
	free(before);
	free(fp255);
	free(name255);
	free(browser100);
	free(fp256);
}

/* ---- --dry-run ---- */

Test(create, dry_run_of_a_new_device_shows_id_0_and_changes_nothing)
{
	fx_carol("(30, 3, 'c30', '2025-02-01 10:00:00', TRUE), (31, 3, 'c31', '2025-02-02 10:00:00', TRUE), "
		 "(32, 3, 'c32', '2025-02-03 10:00:00', TRUE)");
	char *before = db_dump();
	struct run *r = W("--user", "carol", "--fingerprint", "c-new", "--device-type", "web", "--dry-run",
			  "-o", "csv", "--columns", "change,id,user_id,device_type,created_at,last_activity,is_active");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,user_id,device_type,created_at,last_activity,is_active\r\n"
		      "created,0,3,web," NOW_RFC "," NOW_RFC ",true\r\n"
		      "over-limit,30,3,,2025-01-01T00:00:00Z,2025-02-01T10:00:00Z,false\r\n");
	cr_expect_str_eq(r->err, "would close 1 session over the device limit; would create 1 session "
				 "(dry run: nothing was changed)\n", "%s: stderr [%s]", r->what, r->err);
	EXPECT_UNCHANGED(before);

	/* No id was used up: the real run gets the next one. */
	struct run *real = W("--user", "carol", "--fingerprint", "c-new", "--device-type", "web", "-o",
			     "csv", "--no-header", "--columns", "change,id", "-q");
	EXPECT_OK(real);
	EXPECT_OUT(real, "created,33\r\nover-limit,30\r\n");
	free(before);
}

/* A dry run's new session is not in the table (it shows id 0); a real
 * session whose id is 0 was left out of the ranking as if it were that
 * one, so the dry run did not list it closed while the real run closed it. */
Test(create, dry_run_of_a_new_device_ranks_a_session_whose_id_is_0)
{
	fx_carol("(0, 3, 'c0', '2025-02-01 10:00:00', TRUE), (31, 3, 'c31', '2025-02-02 10:00:00', TRUE), "
		 "(32, 3, 'c32', '2025-02-03 10:00:00', TRUE)");
	char *before = db_dump();
	struct run *r = W("--user", "carol", "--fingerprint", "c-new", "--dry-run", "-q", "-o", "csv",
			  "--no-header", "--columns", "change,id,device_fingerprint");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "created,0,c-new\r\nover-limit,0,c0\r\n");
	EXPECT_UNCHANGED(before);
	struct run *real = W("--user", "carol", "--fingerprint", "c-new", "-q", "-o", "csv", "--no-header",
			     "--columns", "change,id,device_fingerprint");
	EXPECT_OK(real);
	EXPECT_OUT(real, "created,33,c-new\r\nover-limit,0,c0\r\n");
	free(before);
}

Test(create, dry_run_of_a_refresh_shows_the_refreshed_row_and_changes_nothing)
{
	fx();
	char *before = db_dump();
	struct run *r = W("--user", "bob", "--fingerprint", "fp-b2", "--browser", "Firefox", "--dry-run",
			  "-o", "json", "--columns", "change,id,browser,created_at,last_activity,is_active");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "[\n{\"change\":\"refreshed\",\"id\":21,\"browser\":\"Firefox\","
		      "\"created_at\":\"2025-01-10T10:00:00Z\",\"last_activity\":\"" NOW_RFC "\","
		      "\"is_active\":true}\n]\n");
	cr_expect_str_eq(r->err, "would refresh 1 session (dry run: nothing was changed)\n",
			 "%s: stderr [%s]", r->what, r->err);
	EXPECT_UNCHANGED(before);

	/* A refresh that pushes alice (4 active) to the limit: would close the
	 * oldest two but keep the refreshed 12. */
	struct run *limit = W("--user", "alice", "--fingerprint", "fp-a3", "--dry-run", "-o", "ndjson",
			      "--columns", "change,id", "-q");
	EXPECT_OK(limit);
	EXPECT_OUT(limit, "{\"change\":\"refreshed\",\"id\":12}\n{\"change\":\"over-limit\",\"id\":14}\n");
	struct run *table = W("--user", "carol", "--fingerprint", "c", "--dry-run");
	EXPECT_OK(table);
	EXPECT_OUT_HAS(table, "would create 1 session (dry run: nothing was changed)\n");
	EXPECT_UNCHANGED(before);

	/* The real runs do what the dry runs said. */
	struct run *real = W("--user", "bob", "--fingerprint", "fp-b2", "--browser", "Firefox", "-o",
			     "json", "--columns", "change,id,browser,created_at,last_activity,is_active",
			     "-q");
	EXPECT_OK(real);
	EXPECT_OUT(real, r->out);
	struct run *real_limit = W("--user", "alice", "--fingerprint", "fp-a3", "-o", "ndjson",
				   "--columns", "change,id", "-q");
	EXPECT_OK(real_limit);
	EXPECT_OUT(real_limit, limit->out);
	free(before);
}

/* ---- the --actor rule ---- */

Test(create, an_actor_who_is_an_application_user_but_not_admin_is_refused)
{
	fx();
	char *before = db_dump();
	static const char *const actors[] = { "2", "bob", "bob@example.com", "dupname" };

	for (size_t i = 0; i < sizeof(actors) / sizeof(actors[0]); i++) {
		struct run *r = RUN("create", "--user", "carol", "--fingerprint", "x", "--now", NOW,
				    "--actor", actors[i]);
		EXPECT_FAIL(r, 77);
		EXPECT_NO_OUT(r);
		/* Not even for themselves, and not in a dry run. */
		r = RUN("create", "--user", "bob", "--fingerprint", "fp-b1", "--now", NOW, "--actor",
			actors[i], "--dry-run");
		EXPECT_FAIL(r, 77);
	}
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(create, an_admin_or_an_actor_who_is_no_application_user_is_allowed)
{
	fx();
	struct run *r;

	r = RUN("create", "--user", "carol", "--fingerprint", "c1", "--now", NOW, "--actor", "alice",
		"--reason", "manual login", "-q");
	EXPECT_OK(r);
	r = RUN("create", "--user", "carol", "--fingerprint", "c2", "--now", NOW, "--actor",
		"alice@example.com", "-q");
	EXPECT_OK(r);
	r = RUN("create", "--user", "carol", "--fingerprint", "c3", "--now", NOW, "--actor", "1", "-q");
	EXPECT_OK(r);
	r = RUN("create", "--user", "carol", "--fingerprint", "c4", "--now", NOW, "--actor", "deploy-bot",
		"--reason", "import", "-q");
	EXPECT_OK(r);
	EXPECT_ROWS(AUDIT_SQL, "22|3|create|alice|manual login\n23|3|create|alice@example.com|-\n"
			       "24|3|create|1|-\n25|3|create|deploy-bot|import\n"
			       "22|3|over-limit|deploy-bot|import\n");
}

/* A NOT NULL column of the application's without a default, which
 * sessctl does not fill: bad input (65) that says what to change, not an
 * internal error (70) or advice to remove rows; nothing is created. */
Test(create, a_not_null_column_sessctl_does_not_fill_exits_65_and_says_so)
{
	if (e2e_pg()) {
		fx_standard();
		db_exec("ALTER TABLE sessions ADD COLUMN refresh_hash text NOT NULL DEFAULT 'x';"
			"ALTER TABLE sessions ALTER COLUMN refresh_hash DROP DEFAULT");
	} else {
		db_exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT,"
			" role TEXT NOT NULL DEFAULT 'user');"
			"CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL,"
			" device_fingerprint TEXT, device_name TEXT, device_type TEXT, browser TEXT,"
			" ip_address TEXT, created_at TEXT, last_activity TEXT,"
			" is_active INTEGER NOT NULL DEFAULT 1, refresh_hash TEXT NOT NULL);"
			"INSERT INTO users (id, email, username) VALUES (1, 'alice@example.com', 'alice');");
		EXPECT_OK(RUN("migrate", "-q"));
	}
	long long before = db_int("SELECT count(*) FROM sessions");
	struct run *r = RUN("create", "--user", "alice", "--fingerprint", "fp-new");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "refresh_hash");
	EXPECT_ERR_HAS(r, "give it a default");
	EXPECT_NO_OUT(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), before);
}
