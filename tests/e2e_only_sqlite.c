/* End-to-end cases that only make sense on SQLite: files, timestamp text
 * forms, file locks, read-only opening, a closed pipe. Run with
 * SESSCTL_TEST_BACKEND=sqlite (BUILD/tests/e2e-sqlite). */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static void setup(void)
{
	e2e_setup();
	cr_assert_not(e2e_pg(), "these cases are for SESSCTL_TEST_BACKEND=sqlite");
}

TestSuite(sqlite_only, .init = setup, .fini = e2e_teardown, .timeout = 120);

Test(sqlite_only, reads_timestamps_in_every_form_applications_write)
{
	fx_standard();
	db_exec("INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES\n"
		" (31, 9, 'f31', '2025-02-08 10:30:00.123456', '2025-02-08 10:30:00.123456', 1),\n"
		" (32, 9, 'f32', '2025-02-08T10:30:00Z', '2025-02-08T10:30:00Z', 1),\n"
		" (33, 9, 'f33', '2025-02-08T10:30:00.5Z', '2025-02-08T10:30:00.5Z', 1),\n"
		" (34, 9, 'f34', '2025-02-08T11:30:00+01:00', '2025-02-08T11:30:00+01:00', 1),\n"
		" (35, 9, 'f35', '2025-02-08T10:30:00', '2025-02-08T10:30:00', 1),\n"
		" (36, 9, 'f36', '2025-02-08', '2025-02-08', 1);");
	struct run *r = RUN("list-user", "tess", "-o", "csv", "--columns", "id,created_at,last_activity");

	EXPECT_OK(r);
	/* most recent first, fractions included; exact ties by higher id */
	EXPECT_OUT(r, "id,created_at,last_activity\r\n"
		      "33,2025-02-08T10:30:00Z,2025-02-08T10:30:00Z\r\n"
		      "31,2025-02-08T10:30:00Z,2025-02-08T10:30:00Z\r\n"
		      "35,2025-02-08T10:30:00Z,2025-02-08T10:30:00Z\r\n"
		      "34,2025-02-08T10:30:00Z,2025-02-08T10:30:00Z\r\n"
		      "32,2025-02-08T10:30:00Z,2025-02-08T10:30:00Z\r\n"
		      "36,2025-02-08T00:00:00Z,2025-02-08T00:00:00Z\r\n");
	r = RUN("list-user", "tess", "-o", "csv", "--no-header", "--columns", "id",
		"--idle-for", "2h", "--now", "2025-02-08 11:00:00");
	EXPECT_OK(r);
	EXPECT_OUT(r, "36\r\n");
	r = RUN("list-user", "tess", "-o", "csv", "--no-header", "--columns", "id",
		"--idle-for", "30m", "--now", "2025-02-08 11:00:01");
	EXPECT_OK(r);
	EXPECT_OUT(r, "33\r\n31\r\n35\r\n34\r\n32\r\n36\r\n");
	r = RUN("show", "34", "-o", "json", "--columns", "id,last_activity");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"id\":34,\"last_activity\":\"2025-02-08T10:30:00Z\"}\n");
}

/* Forms julianday() rejected (+HHMM and +HH offsets, a lowercase 't', a
 * comma before the fraction) are compared and ordered as the times they
 * show, to the microsecond: idle for enforce and --idle-for, and in their
 * place in list-user. tess's sessions, oldest first:
 *   51 10:00:00 (+0000)     58 10:00:00 (plain: ties 51, higher id first)
 *   52 10:00:01 (+02)       53 10:00:02 (+02:00)    54 10:00:03 (t, Z)
 *   56 10:00:04             55 10:00:04,5           57 10:00:04.500 (ties 55)
 *   59 2025-02-28 (recent) */
#define FORMS_SQL                                                                                  \
	"INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"         \
	"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)" \
	" VALUES\n"                                                                                 \
	" (51, 9, 'f51', '2024-01-01 00:00:00', '2024-01-01 10:00:00+0000', 1),\n"                  \
	" (52, 9, 'f52', '2024-01-01 00:00:00', '2024-01-01 12:00:01+02', 1),\n"                    \
	" (53, 9, 'f53', '2024-01-01 00:00:00', '2024-01-01 12:00:02+02:00', 1),\n"                 \
	" (54, 9, 'f54', '2024-01-01 00:00:00', '2024-01-01t10:00:03Z', 1),\n"                      \
	" (55, 9, 'f55', '2024-01-01 00:00:00', '2024-01-01 10:00:04,5', 1),\n"                     \
	" (56, 9, 'f56', '2024-01-01 00:00:00', '2024-01-01 10:00:04', 1),\n"                       \
	" (57, 9, 'f57', '2024-01-01 00:00:00', '2024-01-01 10:00:04.500', 1),\n"                   \
	" (58, 9, 'f58', '2024-01-01 00:00:00', '2024-01-01 10:00:00', 1),\n"                       \
	" (59, 9, 'f59', '2024-01-01 00:00:00', '2025-02-28 10:00:00', 1);"

#define IDS(...) RUN("list-user", "tess", "-o", "csv", "--no-header", "--columns", "id", __VA_ARGS__)

Test(sqlite_only, times_julianday_rejects_are_idle_and_ordered_as_the_times_they_show)
{
	fx_standard();
	db_exec(FORMS_SQL);
	struct run *r = IDS("--limit", "100");

	EXPECT_OK(r);
	EXPECT_OUT(r, "59\r\n57\r\n55\r\n56\r\n54\r\n53\r\n52\r\n58\r\n51\r\n");
	r = IDS("--idle-for", "30d", "--now", "2025-03-01 00:00:00");
	EXPECT_OK(r);
	EXPECT_OUT(r, "57\r\n55\r\n56\r\n54\r\n53\r\n52\r\n58\r\n51\r\n");
	/* idle 1 s at 10:00:05 means last active at 10:00:04 or before: not
	 * half a second later */
	r = IDS("--idle-for", "1s", "--now", "2024-01-01 10:00:05");
	EXPECT_OK(r);
	EXPECT_OUT(r, "56\r\n54\r\n53\r\n52\r\n58\r\n51\r\n");
	r = IDS("--idle-for", "3s", "--now", "2024-01-01 10:00:04");
	EXPECT_OK(r);
	EXPECT_OUT(r, "52\r\n58\r\n51\r\n");

	r = RUN("enforce", "--user", "tess", "--now", "2025-03-01 00:00:00", "--actor", "cron",
		"--max-sessions", "100", "-o", "csv", "--columns", "expired,over_limit,purged,interrupted");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit,purged,interrupted\r\n8,0,0,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE user_id = 9 AND is_active", "59\n");
	EXPECT_ROWS("SELECT session_id FROM sessctl_audit WHERE action = 'expire' ORDER BY session_id",
		    "51\n52\n53\n54\n55\n56\n57\n58\n");
}

/* The device limit ranks by the same times: 64 is the oldest though it
 * has the highest id, whatever form each row was written in. */
Test(sqlite_only, the_device_limit_ranks_times_julianday_rejects_by_the_times_they_show)
{
	fx_standard();
	db_exec("INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES\n"
		" (61, 9, 'f61', '2024-01-01 00:00:00', '2025-02-28 10:00:03,5', 1),\n"
		" (62, 9, 'f62', '2024-01-01 00:00:00', '2025-02-28t10:00:02Z', 1),\n"
		" (63, 9, 'f63', '2024-01-01 00:00:00', '2025-02-28 12:00:01+02', 1),\n"
		" (64, 9, 'f64', '2024-01-01 00:00:00', '2025-02-28 10:00:00+0000', 1);");
	struct run *r = RUN("enforce", "--user", "tess", "--now", "2025-03-01 00:00:00", "--actor", "cron",
			    "-o", "csv", "--columns", "expired,over_limit,purged,interrupted");

	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit,purged,interrupted\r\n0,1,0,false\r\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit", "64|over-limit\n");
}

Test(sqlite_only, an_unreadable_timestamp_is_bad_input_data)
{
	fx_standard();
	db_exec("UPDATE sessions SET last_activity = 'yesterday' WHERE id = 12");
	struct run *r = RUN("list-user", "alice", "-o", "json");

	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "yesterday");
	EXPECT_FAIL(RUN("show", "12"), 65);
	EXPECT_OK(RUN("show", "10"));
}

/* Text with a NUL byte (SQLite stores it; a C string ends there, and
 * PostgreSQL's text cannot hold one) is shown in full, each NUL as
 * U+FFFD as for a byte that is not UTF-8, in every format; a time is
 * read up to the NUL, as the rules compare it (sessctl_time()). */
Test(sqlite_only, text_with_a_nul_byte_is_shown_in_full)
{
	fx_standard();
	db_exec("UPDATE sessions SET device_name = CAST(x'41004200' AS TEXT) || 'tail',\n"
		"  browser = CAST(x'0058' AS TEXT),\n"
		"  last_activity = '2025-01-14 12:00:00' || CAST(x'0078' AS TEXT) WHERE id = 10");
	struct run *r = RUN("show", "10", "-o", "json", "--columns", "device_name,browser,last_activity");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"device_name\":\"A\xEF\xBF\xBD" "B\xEF\xBF\xBDtail\",\"browser\":\"\xEF\xBF\xBDX\","
		      "\"last_activity\":\"2025-01-14T12:00:00Z\"}\n");
	r = RUN("list-user", "alice", "-o", "csv", "--columns", "id,device_name,browser", "--no-header", "--all");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "10,A\xEF\xBF\xBD" "B\xEF\xBF\xBDtail,\xEF\xBF\xBDX\r\n");
	r = RUN("find", "--user", "alice", "--columns", "id,device_name", "--no-header", "--full");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "10  A\xEF\xBF\xBD" "B\xEF\xBF\xBDtail\n");
	/* the audit trail's copy of the name, too */
	EXPECT_OK(RUN("logout", "10", "--actor", "ops"));
	r = RUN("history", "--session", "10", "-o", "csv", "--columns", "device_name", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "A\xEF\xBF\xBD" "B\xEF\xBF\xBDtail\r\n");
}

/* Issue 11 items 2 and 7: every form of a time that is no time (empty,
 * words, a zero date, a REAL) is shown as null and named once per row
 * and column; the listing stays well-formed and exits 65 at the end. */
Test(sqlite_only, every_unreadable_time_form_is_null_and_named_once)
{
	fx_standard();
	db_exec("INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (71, 9, 'f71', '', 'garbage', 1), (72, 9, 'f72', '0000-00-00', 1.5, 1),\n"
		" (73, 9, 'f73', '2025-02-01 00:00:00', '2025-02-01 00:00:00', 1)");
	struct run *r = RUN("list-user", "tess", "-o", "json", "--columns", "id,created_at,last_activity");

	cr_expect_eq(r->status, 65, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "[\n"
		      "{\"id\":73,\"created_at\":\"2025-02-01T00:00:00Z\",\"last_activity\":\"2025-02-01T00:00:00Z\"},\n"
		      "{\"id\":72,\"created_at\":null,\"last_activity\":null},\n"
		      "{\"id\":71,\"created_at\":null,\"last_activity\":null}\n"
		      "]\n");
	EXPECT_ERR_HAS(r, "sessctl: row 71 of sessions has an unreadable created_at '' ");
	EXPECT_ERR_HAS(r, "sessctl: row 71 of sessions has an unreadable last_activity 'garbage' ");
	EXPECT_ERR_HAS(r, "sessctl: row 72 of sessions has an unreadable created_at '0000-00-00' ");
	EXPECT_ERR_HAS(r, "sessctl: row 72 of sessions has an unreadable last_activity '1.5' ");
	size_t lines = 0;
	for (const char *p = r->err; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 4, "%s: stderr: %s", r->what, r->err);
	/* a dry run of the real run's rules: both idle, expired first */
	r = RUN("enforce", "--user", "tess", "--dry-run", "--now", "2025-02-01 00:00:00",
		"--idle-timeout", "1h", "-o", "csv", "--columns", "change,id", "--no-header", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "expired,71\r\nexpired,72\r\n");
	/* the times were not shown: nothing to name, as in a listing */
	cr_expect_str_eq(r->err, "would expire 2 sessions (dry run: nothing was changed)\n", "%s: [%s]",
			 r->what, r->err);
	r = RUN("logout", "71", "72", "--dry-run", "-o", "csv", "--columns", "change,id,last_activity",
		"--no-header", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "closed,71,\r\nclosed,72,\r\n");
	EXPECT_ERR_HAS(r, "row 71 of sessions has an unreadable last_activity 'garbage'");
	cr_expect_null(strstr(r->err, "created_at"), "%s: [%s]", r->what, r->err);
}

/* Text in the expanded year form ("+010000-01-01", the form sessctl
 * writes for a year outside 0001-9999) is a time no RFC 3339 output
 * holds: null and named, as PostgreSQL's years after 9999 are, and
 * ranked as that year by the rules (never idle), while "-000001" is
 * idle at once. It was printed as "+010000-01-01T00:00:00Z" with exit 0. */
Test(sqlite_only, a_year_outside_0001_9999_is_null_and_named_and_ranked_as_that_year)
{
	fx_standard();
	db_exec("INSERT INTO users (id, email, username) VALUES (9, 'tess@example.com', 'tess');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (81, 9, 'f81', '+010000-01-01 00:00:00', '+012345-06-07T08:09:10Z', 1),"
		" (82, 9, 'f82', '2025-01-01 00:00:00', '-000001-01-01 00:00:00', 1),"
		" (83, 9, 'f83', '2025-01-01 00:00:00', '2025-01-31 00:00:00', 1)");
	struct run *listings[] = {
		RUN("find", "--user", "tess", "-o", "csv", "--columns", "id,created_at,last_activity"),
		RUN("list-user", "tess", "-o", "csv", "--columns", "id,created_at,last_activity"),
	};

	for (size_t i = 0; i < 2; i++) {
		struct run *r = listings[i];
		cr_expect_eq(r->status, 65, "%s: %d: %s", r->what, r->status, r->err);
		cr_expect_null(strstr(r->out, "+0"), "%s: an expanded year shown: %s", r->what, r->out);
		cr_expect_null(strstr(r->out, "-0000"), "%s: an expanded year shown: %s", r->what, r->out);
		EXPECT_ERR_HAS(r, "row 81 of sessions has an unreadable created_at '+010000-01-01 00:00:00'");
		EXPECT_ERR_HAS(r, "row 81 of sessions has an unreadable last_activity '+012345-06-07T08:09:10Z'");
		EXPECT_ERR_HAS(r, "row 82 of sessions has an unreadable last_activity '-000001-01-01 00:00:00'");
	}
	struct run *r = RUN("show", "81", "-o", "json", "--columns", "id,created_at,last_activity");
	cr_expect_eq(r->status, 65, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "{\"id\":81,\"created_at\":null,\"last_activity\":null}\n");
	/* the rules: year 12345 is never idle, year 0 (1 BC) at once */
	r = RUN("enforce", "--user", "tess", "--dry-run", "--now", "2025-02-01 00:00:00",
		"--idle-timeout", "1h", "-o", "csv", "--columns", "change,id", "--no-header", "--actor", "ops");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "expired,82\r\nexpired,83\r\n");
}

/* An audit row whose session_id is no integer (a hand-edited or adopted
 * trail): null, as such a user_id is, not the number SQLite makes of it
 * ('x' was shown as session 0, 2.5 as session 2, which --session 2 then
 * did not find). */
Test(sqlite_only, an_audit_session_id_that_is_no_integer_is_null)
{
	db_migrate(NULL);
	db_exec("INSERT INTO sessctl_audit (id, session_id, user_id, action, actor, created_at) VALUES"
		" (1, 2, 1, 'logout', 'a', '2025-03-01 10:00:00'),"
		" (2, 'x', 'y', 'logout', 'b', '2025-03-01 11:00:00'),"
		" (3, 2.5, 2.5, 'create', 'c', '2025-03-01 11:30:00')");
	struct run *r = RUN("history", "-o", "csv", "--columns", "id,session_id,user_id", "--no-header");

	EXPECT_OK(r);
	EXPECT_OUT(r, "3,,\r\n2,,\r\n1,2,1\r\n");
	r = RUN("history", "--session", "2", "-o", "csv", "--columns", "id", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\r\n");
	r = RUN("history", "-o", "json", "--columns", "id,session_id", "--limit", "1");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n{\"id\":3,\"session_id\":null}\n]\n");
}

/* An application that binds bytes stores a BLOB in a text column; sessctl
 * shows it as its text, and every filter, count and the same-device rule
 * take it as that text too. A BLOB never equals text in SQL: find --ip
 * with a /8 or longer prefix, --device-type, --fingerprint and --browser
 * skipped such a session (a bulk logout by address left it active), and
 * count --by device-type split 'web' in two rows. */
Test(sqlite_only, a_blob_in_a_text_column_matches_as_the_text_it_shows)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, device_type, browser, ip_address,"
		" created_at, last_activity, is_active) VALUES"
		" (1, 1, 'fp1', 'web', 'Firefox', '10.0.0.13', '2025-01-01', '2025-01-02', 1),"
		" (2, 1, CAST('fp2' AS BLOB), CAST('web' AS BLOB), CAST('Firefox' AS BLOB),"
		"  CAST('10.0.0.14' AS BLOB), '2025-01-01', '2025-01-03', 1),"
		" (3, 1, CAST('fp3' AS BLOB), 'mobile', 'Safari', CAST('2001:db8::1' AS BLOB),"
		"  '2025-01-01', '2025-01-04', 1)");
	static const char *const filters[][2] = {
		{ "--ip", "10.0.0.14" }, { "--ip", "10.0.0.0/8" }, { "--ip", "10.0.0.0/24" },
		{ "--fingerprint", "fp2" }, { "--device-type", "web" }, { "--browser", "Firefox" },
		{ "--ip", "2001:db8::/32" },
	};
	static const char *const want[] = { "2\r\n", "1\r\n2\r\n", "1\r\n2\r\n", "2\r\n",
					     "1\r\n2\r\n", "1\r\n2\r\n", "3\r\n" };

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct run *r = RUN("find", filters[i][0], filters[i][1], "-o", "csv", "--columns", "id",
				    "--no-header");
		EXPECT_OK(r);
		EXPECT_OUT(r, want[i]);
		r = RUN("logout", "--where", filters[i][0], filters[i][1], "--dry-run", "-q", "-o", "csv",
			"--columns", "id", "--no-header", "--actor", "ops");
		EXPECT_OK(r);
		EXPECT_OUT(r, want[i]);
	}
	struct run *r = RUN("list-user", "a", "--device-type", "web", "-o", "csv", "--columns", "id",
			    "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "2\r\n1\r\n");
	r = RUN("count", "--by", "device-type", "-o", "csv", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "web,2,0\r\nmobile,1,0\r\n");
	/* the same device: refreshed, not a second session */
	r = RUN("create", "--user", "a", "--fingerprint", "fp2", "--now", "2025-01-05 00:00:00", "-q",
		"-o", "csv", "--columns", "change,id", "--no-header", "--actor", "ops");
	EXPECT_OK(r);
	EXPECT_OUT(r, "refreshed,2\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 3);
}

/* Two rows of one user that spell one fingerprint, as text and as a
 * blob (the unique index tells them apart): find lists both, and logout
 * --device closed only one, leaving the device logged in; create copied
 * every match, leaking all but the last (a sanitized build's exit
 * status), and refreshed whichever the scan met last. */
Test(sqlite_only, a_fingerprint_held_as_text_and_as_a_blob_is_one_device)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity,"
		" is_active) VALUES"
		" (1, 1, CAST('dup' AS BLOB), '2025-01-01', '2025-01-03', 1),"
		" (2, 1, 'dup', '2025-01-01', '2025-01-02', 1),"
		" (3, 1, 'other', '2025-01-01', '2025-01-04', 1)");
	struct run *r = RUN("logout", "--user", "a", "--device", "dup", "--dry-run", "-q", "-o", "csv",
			    "--columns", "change,id", "--no-header", "--actor", "ops");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,1\r\nclosed,2\r\n");
	r = RUN("logout", "--user", "a", "--device", "dup", "-q", "-o", "csv", "--columns", "change,id",
		"--no-header", "--actor", "ops");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,1\r\nclosed,2\r\n");
	EXPECT_ROWS("SELECT id, is_active FROM sessions ORDER BY id", "1|0\n2|0\n3|1\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit ORDER BY session_id",
		    "1|logout\n2|logout\n");
	/* Again: the device's latest session, already closed. */
	r = RUN("logout", "--user", "a", "--device", "dup", "-q", "-o", "csv", "--columns", "change,id",
		"--no-header", "--actor", "ops");
	EXPECT_OK(r);
	EXPECT_OUT(r, "already-closed,1\r\n");
	/* create takes the text row, as the application's lookup does,
	 * whichever the other's id or activity. */
	for (int i = 0; i < 2; i++) {
		r = RUN("create", "--user", "a", "--fingerprint", "dup", "--now", "2025-01-05 00:00:00",
			"-q", "-o", "csv", "--columns", "change,id", "--no-header", "--actor", "ops");
		EXPECT_OK(r);
		EXPECT_OUT(r, "refreshed,2\r\n");
	}
	EXPECT_ROWS("SELECT id, is_active FROM sessions ORDER BY id", "1|0\n2|1\n3|1\n");
}

/* Issue 11 item 8: a full disk is 74 and says so (a tmpfs of 512 kB,
 * filled up), and leaves the database as it was. */
Test(sqlite_only, a_full_disk_exits_74_and_says_so)
{
	const char *dir = e2e_path("small");
	char mount_cmd[512], *db;

	if (geteuid() != 0)
		cr_skip_test("mounting a tmpfs needs root");
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(mount_cmd, sizeof(mount_cmd), "mount -t tmpfs -o size=512k sessctl-full '%s'", dir);
	cr_assert_eq(system(mount_cmd), 0, "%s failed", mount_cmd);
	db = malloc(strlen(dir) + 16);
	cr_assert_not_null(db);
	sprintf(db, "%s/full.db", dir);
	const struct e2e_db *small = &(struct e2e_db){ .driver = e2e_sqlite_db("unused.db")->driver,
						       .url = db, .path = db };
	fx_standard_in(small);

	/* fill what is left */
	char fill[600];
	snprintf(fill, sizeof(fill), "%s/fill", dir);
	FILE *f = fopen(fill, "w");
	cr_assert_not_null(f);
	static char block[4096];
	while (fwrite(block, 1, sizeof(block), f) == sizeof(block) && fflush(f) == 0)
		;
	fclose(f);
	char *before = db_dump_in(small);

	const char *const *cmds[] = {
		ARGV("logout-all", "alice", "--yes", "--actor", "ops"),
		ARGV("create", "--user", "bob", "--fingerprint", "fp-new", "--actor", "ops"),
		ARGV("enforce", "--now", "2030-01-01 00:00:00", "--actor", "ops"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .db = db }, cmds[i]);
		EXPECT_FAIL(r, 74);
		EXPECT_ERR_HAS(r, "the disk is full");
		cr_expect_null(strstr(r->err, "cannot read"), "%s: %s", r->what, r->err);
	}
	char *after = db_dump_in(small);
	cr_expect_str_eq(after, before, "the database changed on a full disk");
	free(after);
	free(before);
	snprintf(mount_cmd, sizeof(mount_cmd), "umount '%s'", dir);
	cr_expect_eq(system(mount_cmd), 0, "%s failed", mount_cmd);
	free(db);
}

/* A rollback journal, a WAL or a WAL index that another user's process
 * created with a mode that shuts this user out: SQLite says only "unable
 * to open database file" (69); sessctl names the file, its owner and
 * mode (77), and changes nothing. Runs sessctl as nobody. */
Test(sqlite_only, a_journal_or_wal_this_user_cannot_open_is_named_with_77)
{
	const char *shared = e2e_path("shared");
	char *path = strdup(e2e_path("shared/app.db"));
	const char *journal = e2e_path("shared/app.db-journal");
	const char *wal = e2e_path("shared/app.db-wal");
	const char *shm = e2e_path("shared/app.db-shm");
	const struct e2e_db *db = &(struct e2e_db){ .driver = e2e_sqlite_db("unused.db")->driver,
						    .url = path, .path = path };
	struct run *r;

	if (geteuid() != 0)
		cr_skip_test("running sessctl as another user needs root");
	cr_assert_eq(mkdir(shared, 0777), 0);
	cr_assert_eq(chmod(shared, 0777), 0); /* whatever the umask */
	fx_standard_in(db);
	cr_assert_eq(chmod(path, 0666), 0);
	char *before = db_dump_in(db);

	/* the user may read and write the database and its directory */
	r = e2e_run(&(struct call){ .db = path, .user = "nobody" }, ARGV("count", "alice"));
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);

	/* a journal of root's, 0600: a read does not need it, a write does */
	int fd = open(journal, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	r = e2e_run(&(struct call){ .db = path, .user = "nobody" }, ARGV("count", "alice"));
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	r = e2e_run(&(struct call){ .db = path, .user = "nobody" },
		    ARGV("logout-all", "alice", "--yes", "--actor", "ops"));
	EXPECT_FAIL(r, 77);
	EXPECT_ERR_HAS(r, "this user cannot open its rollback journal '");
	EXPECT_ERR_HAS(r, "app.db-journal' (owner root, mode 0600): run as root, or let this user "
		       "read and write it");
	cr_assert_eq(unlink(journal), 0);

	/* a WAL and its index, made 0600 by root's connection that holds
	 * them open */
	sqlite3 *holder = NULL;
	cr_assert_eq(sqlite3_open(path, &holder), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(holder, "PRAGMA journal_mode = WAL; SELECT count(*) FROM sessions",
				  NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(holder));
	char *in_wal = db_dump_in(db);
	cr_assert_eq(chmod(wal, 0600), 0);
	cr_assert_eq(chmod(shm, 0600), 0);
	const char *const *cmds[] = {
		ARGV("count", "alice"),
		ARGV("logout-all", "alice", "--yes", "--actor", "ops"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		r = e2e_run(&(struct call){ .db = path, .user = "nobody" }, cmds[i]);
		EXPECT_FAIL(r, 77);
		EXPECT_ERR_HAS(r, "this user cannot open its write-ahead log '");
		EXPECT_ERR_HAS(r, "app.db-wal' (owner root, mode 0600)");
	}
	cr_assert_eq(chmod(wal, 0666), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		r = e2e_run(&(struct call){ .db = path, .user = "nobody" }, cmds[i]);
		EXPECT_FAIL(r, 77);
		EXPECT_ERR_HAS(r, "this user cannot open its write-ahead log index '");
		EXPECT_ERR_HAS(r, "app.db-shm' (owner root, mode 0600)");
	}
	char *after = db_dump_in(db);
	cr_expect_str_eq(after, in_wal, "the database changed");
	sqlite3_close(holder);
	free(after);
	free(in_wal);
	/* the WAL mode aside, nothing changed: switch back and compare */
	db_exec_in(db, "PRAGMA journal_mode = DELETE");
	after = db_dump_in(db);
	cr_expect_str_eq(after, before, "the database changed");
	free(after);
	free(before);
	free(path);
}

struct snapshot {
	char *bytes;
	size_t len;
	struct timespec mtime;
	bool ok;
};

static struct snapshot snap(const char *path)
{
	struct snapshot s = { 0 };
	struct stat st;

	s.bytes = e2e_read_file(path, &s.len);
	if (s.bytes && stat(path, &st) == 0) {
		s.mtime = st.st_mtim;
		s.ok = true;
	}
	return s;
}

static void expect_same(const struct snapshot *a, const char *path, const char *after)
{
	struct snapshot b = snap(path);

	cr_assert(b.ok, "'%s' gone after %s", path, after);
	cr_expect(b.len == a->len && memcmp(a->bytes, b.bytes, a->len) == 0,
		  "'%s' changed after %s", path, after);
	cr_expect(b.mtime.tv_sec == a->mtime.tv_sec && b.mtime.tv_nsec == a->mtime.tv_nsec,
		  "'%s' modified (mtime) by %s", path, after);
	free(b.bytes);
}

Test(sqlite_only, read_commands_leave_the_file_byte_for_byte_unchanged)
{
	fx_standard();
	const char *path = e2e_db()->path;
	const char *const *cmds[] = {
		ARGV("list-user", "alice"), ARGV("list-user", "1", "--all", "-o", "json"),
		ARGV("list-user", "bob", "--ip", "192.0.2.0/24", "--idle-for", "1h", "-o", "csv"),
		ARGV("show", "10"), ARGV("show", "999"), ARGV("count"), ARGV("count", "alice"),
		ARGV("count", "--by", "user", "--over", "1"), ARGV("list-user", "nobody"),
		ARGV("migrate", "status"), ARGV("migrate", "status", "--check"),
		ARGV("migrate", "--dry-run"), ARGV("list-user", "--help"),
	};
	struct snapshot before;

	nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	before = snap(path);
	cr_assert(before.ok);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, cmds[i]);
		cr_expect(r->status == 0 || r->status == 66 || r->status == 67, "%s: exit %d: %s",
			  r->what, r->status, r->err);
		expect_same(&before, path, r->what);
	}
	cr_expect_not(e2e_exists(e2e_path("test.db-journal")), "a journal was left behind");
	cr_expect_not(e2e_exists(e2e_path("test.db-wal")), "a WAL file was created");
	cr_expect_not(e2e_exists(e2e_path("test.db-shm")), "a shared-memory file was created");
	free(before.bytes);
}

/* A writing connection keeps its rollback journal between commits
 * (PERSIST: enforce's batches do not create and delete a file each) and
 * deletes it when it closes; the application's own connections, in
 * DELETE mode, write between sessctl's commits as usual. */
Test(sqlite_only, writes_keep_their_journal_only_while_they_run)
{
	fx_standard();
	const char *path = e2e_db()->path;
	sqlite3 *app;
	sqlite3_stmt *st;

	struct run *r = RUN("enforce", "--batch-size", "1", "--max-sessions", "2",
			    "--now", "2025-03-01 00:00:00", "--actor", "cron");
	EXPECT_OK(r);
	cr_expect_not(e2e_exists(e2e_path("test.db-journal")), "enforce left its journal behind");
	EXPECT_OK(RUN("logout", "20", "--actor", "ops"));
	cr_expect_not(e2e_exists(e2e_path("test.db-journal")), "logout left its journal behind");

	/* A journal with a zeroed header, as a killed sessctl leaves it: the
	 * application's DELETE-mode connection is not misled, writes, and
	 * deletes it. */
	cr_assert_eq(sqlite3_open(path, &app), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(app, "PRAGMA journal_mode = PERSIST; "
				  "UPDATE sessions SET device_name = 'kept' WHERE id = 21", NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(app);
	cr_assert(e2e_exists(e2e_path("test.db-journal")), "the zeroed journal to test with");
	EXPECT_OK(RUN("logout", "10", "--actor", "ops"));
	cr_expect_not(e2e_exists(e2e_path("test.db-journal")), "the kept journal was not deleted");
	cr_assert_eq(sqlite3_open(path, &app), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(app, "SELECT (SELECT device_name FROM sessions WHERE id = 21), "
					"(SELECT is_active FROM sessions WHERE id = 10), "
					"(SELECT journal_mode FROM pragma_journal_mode)",
					-1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "kept");
	cr_expect_eq(sqlite3_column_int(st, 1), 0, "session 10 is still active");
	cr_expect_str_eq((const char *)sqlite3_column_text(st, 2), "delete",
			 "the database's journal mode changed");
	sqlite3_finalize(st);
	sqlite3_close(app);
}

Test(sqlite_only, a_missing_file_exits_66_for_read_commands_and_is_not_created)
{
	const char *path = e2e_db()->path;
	const char *const *cmds[] = {
		ARGV("list-user", "alice"), ARGV("show", "1"), ARGV("count"), ARGV("count", "1"),
		ARGV("migrate", "status"), ARGV("migrate", "status", "--check"),
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, cmds[i]);
		EXPECT_FAIL(r, 66);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, path);
		cr_expect_not(e2e_exists(path), "%s created '%s'", r->what, path);
	}
	struct run *r = RUN_DB(e2e_path("no/such/dir/x.db"), "list-user", "alice");
	EXPECT_FAIL(r, 66);
	cr_expect_not(e2e_exists(e2e_path("no")));
}

Test(sqlite_only, migrate_dry_run_on_a_missing_file_prints_the_sql_and_creates_nothing)
{
	const char *path = e2e_db()->path;
	struct run *r = RUN("migrate", "--dry-run");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "CREATE TABLE");
	EXPECT_OUT_HAS(r, "sessions");
	cr_expect_not(e2e_exists(path), "migrate --dry-run created '%s'", path);
	cr_expect_not(e2e_exists(e2e_path("test.db-journal")));
}

Test(sqlite_only, only_migrate_creates_the_file)
{
	const char *path = e2e_db()->path;

	EXPECT_FAIL(RUN("list-user", "alice"), 66);
	cr_expect_not(e2e_exists(path));
	EXPECT_OK(RUN("migrate"));
	cr_expect(e2e_exists(path), "migrate did not create '%s'", path);
}

/* migrate into a directory that is not there says so (66), where SQLite
 * only said "unable to open database file" (69); its --dry-run prints
 * the plan all the same. */
Test(sqlite_only, migrate_into_a_missing_directory_names_it)
{
	const char *path = e2e_path("no-such-dir/app.db");
	struct run *r = RUN_DB(path, "migrate");

	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "there is no directory");
	EXPECT_ERR_HAS(r, "no-such-dir");
	cr_expect_not(e2e_exists(path));
	EXPECT_OK(RUN_DB(path, "migrate", "--dry-run"));
}

/* The same for a relative path from a working directory that was
 * deleted (a shell left in it): SQLite said only "unable to open database
 * file", exit 69. */
Test(sqlite_only, migrate_in_a_deleted_working_directory_says_so)
{
	const char *dir = e2e_path("gone");

	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chdir(dir), 0);
	cr_assert_eq(rmdir(dir), 0);
	struct run *r = e2e_run(&(struct call){ .db = "app.db", .cwd = "." }, ARGV("migrate"));
	cr_assert_eq(chdir(e2e_dir()), 0);
	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "cannot create 'app.db': the working directory was deleted");
	r = e2e_run(&(struct call){ .db = "gone/app.db" }, ARGV("migrate"));
	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "there is no directory 'gone'");
}

/* The same through a symbolic link whose target's directory is missing
 * (SQLite follows the link, then said only "unable to open database
 * file", 69), and with a file where the directory should be (69, "not a
 * directory"). A link whose target's directory is there is followed. */
Test(sqlite_only, migrate_through_a_dangling_link_or_a_file_as_directory_says_so)
{
	const char *link = e2e_path("app.db");
	const char *notdir = e2e_path("plain-file");
	const char *under_file = e2e_path("plain-file/app.db");
	struct stat st;

	cr_assert_eq(symlink("no-such-dir/real.db", link), 0);
	struct run *r = RUN_DB(link, "migrate");
	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "(a symbolic link to '");
	EXPECT_ERR_HAS(r, "no-such-dir/real.db'): there is no directory '");
	cr_expect_eq(lstat(link, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "the link was replaced");
	cr_expect_not(e2e_exists(e2e_path("no-such-dir")));

	e2e_write_file(notdir, "x", 1);
	r = RUN_DB(under_file, "migrate");
	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "plain-file' is not a directory");
	r = RUN_DB(under_file, "count");
	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "plain-file' is a file, not a directory");
	/* a database named with a slash after it: the file exists, and
	 * is what stands in the way (not "create it with migrate") */
	EXPECT_OK(RUN("-q", "migrate"));
	char slashed[4096];
	snprintf(slashed, sizeof(slashed), "%s/", e2e_db()->path);
	r = RUN_DB(slashed, "count");
	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "is a file, not a directory");
	cr_expect_null(strstr(r->err, "migrate"), "%s: %s", r->what, r->err);

	cr_assert_eq(unlink(link), 0);
	cr_assert_eq(symlink("real.db", link), 0);
	EXPECT_OK(RUN_DB(link, "-q", "migrate"));
	cr_expect(e2e_exists(e2e_path("real.db")), "migrate did not create the link's target");
}

Test(sqlite_only, a_file_that_is_not_a_database_exits_65_and_stays_as_it_was)
{
	const char *path = e2e_db()->path;
	const char junk[] = "this is a text file, not an SQLite database; it is long enough to have "
			    "a header's worth of bytes and then some more, and more, and more.\n";
	const char *const *cmds[] = {
		ARGV("list-user", "alice"), ARGV("show", "1"), ARGV("count"), ARGV("migrate"),
		ARGV("migrate", "status"), ARGV("migrate", "--dry-run"),
	};

	e2e_write_file(path, junk, sizeof(junk) - 1);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, cmds[i]);
		size_t len;
		char *now;
		EXPECT_FAIL(r, 65);
		EXPECT_NO_OUT(r);
		now = e2e_read_file(path, &len);
		cr_expect(now && len == sizeof(junk) - 1 && memcmp(now, junk, len) == 0,
			  "%s changed the file", r->what);
		free(now);
	}
}

Test(sqlite_only, an_empty_file_has_no_schema_and_exits_78)
{
	e2e_write_file(e2e_db()->path, "", 0);
	struct run *r = RUN("list-user", "alice");

	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "run 'sessctl migrate'");
	EXPECT_OK(RUN("migrate"));
	EXPECT_OK(RUN("count"));
}

Test(sqlite_only, every_url_form_names_the_same_file)
{
	fx_standard();
	char abs3[512], local[512], rel[64];

	snprintf(abs3, sizeof(abs3), "sqlite://%s", e2e_db()->path);
	snprintf(local, sizeof(local), "sqlite://localhost%s", e2e_db()->path);
	snprintf(rel, sizeof(rel), "sqlite:test.db");
	const char *const urls[] = { e2e_db()->path, "test.db", "./test.db", rel, abs3, local };

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct run *r = RUN_DB(urls[i], "count", "alice");
		EXPECT_OK(r);
		EXPECT_OUT(r, "4\n");
	}
	struct run *created = RUN_DB("sqlite:made-by-url.db", "migrate");
	EXPECT_OK(created);
	cr_expect(e2e_exists(e2e_path("made-by-url.db")), "sqlite:PATH did not create PATH");
}

Test(sqlite_only, the_default_database_is_sessions_db_in_the_current_directory)
{
	struct run *r = RUN_NODB("count");

	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "sessions.db");
	EXPECT_OK(RUN_NODB("migrate"));
	cr_expect(e2e_exists(e2e_path("sessions.db")), "migrate did not create ./sessions.db");
	r = RUN_NODB("count", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "users,users_with_sessions,sessions,active,inactive\r\n0,0,0,0,0\r\n");
}

Test(sqlite_only, a_database_locked_by_another_process_exits_75)
{
	fx_standard();
	sqlite3 *conn;
	cr_assert_eq(sqlite3_open(e2e_db()->path, &conn), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(conn, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	struct e2e_proc *reader = e2e_start(&(struct call){ 0 }, ARGV("list-user", "alice"));
	struct e2e_proc *migrator = e2e_start(&(struct call){ 0 }, ARGV("migrate"));
	struct run *r = e2e_wait(reader), *m = e2e_wait(migrator);

	sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(conn);
	EXPECT_FAIL(r, 75);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(m, 75);
	EXPECT_OK(RUN("list-user", "alice"));
}

/* Runs sessctl with standard output into a pipe whose reader takes one
 * line and closes it. */
static void closed_pipe(const char *format)
{
	int fd[2];
	char err_path[256], line[4096];
	pid_t pid;
	int ws;
	size_t n = 0;

	snprintf(err_path, sizeof(err_path), "%s/pipe.err", e2e_dir());
	cr_assert_eq(pipe(fd), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);
		if (err < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd[1], 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		close(fd[0]);
		close(fd[1]);
		signal(SIGPIPE, SIG_DFL);
		const char *san = getenv("SESSCTL_TEST_SANLOG");
		if (san && *san) {
			char opt[512];
			snprintf(opt, sizeof(opt), "log_path=%s/sessctl:detect_leaks=1", san);
			setenv("ASAN_OPTIONS", opt, 1);
			snprintf(opt, sizeof(opt), "log_path=%s/sessctl:print_stacktrace=1", san);
			setenv("UBSAN_OPTIONS", opt, 1);
		}
		execl(getenv("SESSCTL_BIN"), "sessctl", "--db", e2e_url(), "list-user", "alice", "--all",
		      "-o", format, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (n < sizeof(line) - 1) {
		ssize_t got = read(fd[0], line + n, 1);
		if (got <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(fd[0]);
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_expect(n > 0, "-o %s: nothing read", format);
	cr_expect(WIFEXITED(ws), "-o %s: killed by signal %d", format, WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
	cr_expect(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "-o %s: exit status %d", format,
		  WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	char *err = e2e_read_file(err_path, NULL);
	cr_expect(err && !*err, "-o %s: stderr after a closed pipe: %s", format, err ? err : "(none)");
	free(err);
	char san_path[512];
	const char *san = getenv("SESSCTL_TEST_SANLOG");
	if (san && *san) {
		snprintf(san_path, sizeof(san_path), "%s/sessctl.%ld", san, (long)pid);
		cr_expect_not(e2e_exists(san_path), "-o %s: sanitizer report in %s", format, san_path);
	}
}

Test(sqlite_only, writing_into_a_closed_pipe_ends_quietly_with_status_0)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'alice@example.com', 'alice');\n"
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)\n"
		"INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type, browser,\n"
		"                      ip_address, created_at, last_activity, is_active)\n"
		"SELECT 1, 'fp' || i, 'Chrome on Windows 10 #' || i, 'web', 'Chrome', '10.0.0.1',\n"
		"       '2025-01-01 00:00:00', '2025-02-01 00:00:00', i % 3 <> 0 FROM n;");
	cr_assert_eq(db_int("SELECT count(*) FROM sessions"), 20000);
	closed_pipe("ndjson");
	closed_pipe("csv");
	closed_pipe("json");
	closed_pipe("table");
}

/* count --by day over a session whose created_at cannot be read (the
 * rules count it as the earliest time): that day is a row of its own,
 * not the first of some 740 000 zero rows up to the data (found by the
 * bad-input corpus, which saw output without end). */
Test(sqlite_only, count_by_day_over_an_unreadable_time_charts_only_the_data)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (1, 'f', 'garbage', '2025-01-01 00:00:00', 1),"
		" (1, 'g', '2025-01-03 00:00:00', '2025-01-03 00:00:00', 1);");
	struct run *r = RUN("count", "--by", "day", "--now", "2025-01-04 00:00:00", "-o", "csv");

	cr_expect_lt(r->out_len, 400, "%s: %zu bytes of output", r->what, r->out_len);
	EXPECT_OUT(r, "day,created,last_seen\r\n"
		      "0001-01-01,1,0\r\n"
		      "2025-01-01,0,1\r\n"
		      "2025-01-02,0,0\r\n"
		      "2025-01-03,1,1\r\n"
		      "2025-01-04,0,0\r\n");
}

/* metrics over an idle session whose last_activity cannot be read: it is
 * idle (the earliest time for the rules), and its age is counted from
 * 0001-01-01, as -infinity's on PostgreSQL (it was from the smallest
 * 64-bit microsecond, 292 000 years). */
Test(sqlite_only, metrics_counts_an_unreadable_idle_time_from_year_1)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (1, 'f', '2025-01-01 00:00:00', 'garbage', 1),"
		" (1, 'g', '2025-01-03 00:00:00', '2025-01-03 00:00:00', 1);");
	struct run *m = RUN("metrics", "--now", "2025-03-01 00:00:00");
	EXPECT_OK(m);
	EXPECT_OUT_HAS(m, "\nsessctl_idle_sessions 2\n");
	EXPECT_OUT_HAS(m, "\nsessctl_oldest_idle_session_age_seconds 63876384000\n");
}

/* is_active as the application may have written it: SQL takes any
 * number but 0 for true (WHERE is_active), and so must the rows read
 * back (sqlite3_column_int made 0.5 and 2^32 false: logout said
 * "already-closed", closed nothing and exited 0). */
Test(sqlite_only, an_is_active_of_any_nonzero_number_is_active)
{
	fx_standard();
	db_exec("UPDATE sessions SET is_active = 0.5 WHERE id = 10;\n"
		"UPDATE sessions SET is_active = 4294967296 WHERE id = 11;\n"
		"UPDATE sessions SET is_active = '1' WHERE id = 20;");
	struct run *f = RUN("find", "--user", "alice", "--user", "bob", "-o", "csv", "--columns", "id,is_active");
	EXPECT_OK(f);
	EXPECT_OUT(f, "id,is_active\r\n10,true\r\n11,true\r\n12,true\r\n14,true\r\n20,true\r\n");
	struct run *r = RUN("logout", "10", "11", "20", "--actor", "ops", "-q", "-o", "csv", "--no-header",
			    "--columns", "change,id,is_active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "closed,10,false\r\nclosed,11,false\r\nclosed,20,false\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id IN (10, 11, 20) AND is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE session_id IN (10, 11, 20)"), 3);
}

/* A schema version beyond 32 bits is newer than this sessctl, not
 * version 1 (its low bits): no "run 'sessctl migrate'", and migrate does
 * not call it up to date. */
Test(sqlite_only, a_schema_version_beyond_32_bits_is_newer)
{
	db_migrate(NULL);
	db_exec("INSERT INTO sessctl_migrations (version, name, applied_at) "
		"VALUES (4294967297, 'future', '2030-01-01 00:00:00')");
	struct run *r = RUN("count");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "newer than this sessctl");
	r = RUN("migrate");
	EXPECT_FAIL(r, 78);
	EXPECT_ERR_HAS(r, "newer than this sessctl");
}

/* An applied_at the application's tools mangled is shown as null, as any
 * unreadable time: it does not stop 'migrate status --check || migrate'. */
Test(sqlite_only, an_unreadable_applied_at_does_not_stop_migrate)
{
	db_migrate(NULL);
	db_exec("UPDATE sessctl_migrations SET applied_at = 'yesterday' WHERE version = 2");
	struct run *r = RUN("-q", "migrate", "status", "--check");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	r = RUN("migrate", "status", "-o", "csv", "--no-header", "--columns", "version,applied_at");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
	EXPECT_OUT_HAS(r, "\r\n2,\r\n");
	EXPECT_ERR_HAS(r, "row 2 of sessctl_migrations has an unreadable applied_at 'yesterday'");
	r = RUN("migrate");
	cr_expect_eq(r->status, 0, "%s: %d: %s", r->what, r->status, r->err);
}

/* Times beyond 9999 (readable with a sign) are counted on 9999-12-31,
 * once: not one row of that date per day, after millions of zeros. */
Test(sqlite_only, count_by_day_counts_times_beyond_9999_on_one_row)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (1, 'f', '+020000-01-01 00:00:00', '2025-01-03 00:00:00', 1),"
		" (1, 'g', '+030000-06-01 00:00:00', '2025-01-03 00:00:00', 1);");
	struct run *r = RUN("count", "--by", "day", "--now", "2025-01-04 00:00:00", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n"
		      "2025-01-03,0,2\r\n"
		      "2025-01-04,0,0\r\n"
		      "9999-12-31,2,0\r\n");
}

/* An application that writes epoch seconds into a column it declared
 * DATETIME: SQLite stores them as numbers there (numeric affinity), and
 * took the steady state's text bound "0" for the number 0, so the
 * incremental run neither expired such a session nor saw that it put
 * its user over the limit; only the daily full pass did. */
Test(sqlite_only, the_steady_state_sees_epoch_seconds_in_a_datetime_column)
{
	db_exec("DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS users;"
		"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE,"
		" username VARCHAR(100), role VARCHAR(20) NOT NULL DEFAULT 'user');"
		"CREATE TABLE sessions (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,"
		" user_id INTEGER NOT NULL REFERENCES users (id), device_fingerprint VARCHAR(255),"
		" device_name VARCHAR(255), device_type VARCHAR(20), browser VARCHAR(100),"
		" ip_address VARCHAR(45), created_at DATETIME, last_activity DATETIME,"
		" is_active BOOLEAN DEFAULT 1, CONSTRAINT uq_user_device UNIQUE (user_id, device_fingerprint));"
		"INSERT INTO users (id, email) VALUES (1, 'one@example.com'), (2, 'two@example.com');"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (1, 2, 'b1', '2025-03-01 11:50:00.000000', '2025-03-01 11:50:00.000000', 1);");
	EXPECT_OK(RUN("migrate", "-q"));
	/* a full pass, recorded */
	EXPECT_OK(RUN("enforce", "-q", "--now", "2025-03-01 12:00:00", "--idle-timeout", "1h",
		      "--max-sessions", "1"));
	/* 12:10 UTC as epoch seconds: one for user 1, a second device for user 2 */
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (2, 1, 'a1', 1740831000, 1740831000, 1), (3, 2, 'b2', 1740831000, 1740831000, 1)");
	cr_assert_eq(db_int("SELECT count(*) FROM sessions WHERE typeof(last_activity) = 'integer'"), 2,
		     "the column did not store the epoch seconds as numbers");
	struct run *r = RUN("enforce", "--now", "2025-03-01 12:30:00", "--idle-timeout", "1h",
			    "--max-sessions", "1", "-o", "csv", "--columns", "expired,over_limit");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit\r\n0,1\r\n");
	r = RUN("enforce", "--now", "2025-03-01 13:20:00", "--idle-timeout", "1h", "--max-sessions", "1",
		"-o", "csv", "--columns", "expired,over_limit");
	EXPECT_OK(r);
	EXPECT_OUT(r, "expired,over_limit\r\n2,0\r\n");
	EXPECT_ROWS("SELECT id, is_active FROM sessions ORDER BY id", "1|0\n2|0\n3|0\n");
}

/* 400,000 more active sessions (ids 1001 on) for the standard
 * fixture's four users: a bulk logout or its dry run takes seconds. */
static void fill_400k_active_sessions(void)
{
	db_exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active)\n"
		"SELECT 1000 + i, 1 + i % 4, 'bulk-' || i, '2025-01-01 00:00:00', '2025-02-01 00:00:00', 1 FROM n");
}

/* The application's writes get in between the batches of a bulk logout,
 * as between enforce's: without the pause after each batch, a writer
 * polling with SQLite's busy handler, as applications do, waited out the
 * whole run of a bulk logout of 400,000 sessions (1.9 s of 2.0 s here;
 * with the pause at most 99 ms, 98 writes in 3.3 s). */
Test(sqlite_only, the_application_writes_between_the_batches_of_a_bulk_logout)
{
	fx_standard();
	fill_400k_active_sessions();
	sqlite3 *app;
	cr_assert_eq(sqlite3_open(e2e_db()->path, &app), SQLITE_OK);
	sqlite3_busy_timeout(app, 60000);

	double started = e2e_ms();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("logout", "--all-users", "--yes", "--actor", "ops", "-q"));
	int writes = 0;
	double worst = 0;
	/* Only writes, as the application's refreshes: a read of ours in
	 * between would hold the lock a commit of sessctl's waits for. */
	for (int i = 0; i < 6000 && e2e_running(p); i++) { /* at most a minute */
		double t0 = e2e_ms();
		int rc = sqlite3_exec(app, "BEGIN IMMEDIATE; UPDATE sessions SET last_activity = "
				      "'2025-02-01 00:00:01' WHERE id = 1500; COMMIT", NULL, NULL, NULL);
		double waited = e2e_ms() - t0;
		cr_assert_eq(rc, SQLITE_OK, "the application's write failed: %s", sqlite3_errmsg(app));
		writes++;
		if (waited > worst)
			worst = waited;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	sqlite3_close(app);
	struct run *r = e2e_wait(p);
	double run_ms = e2e_ms() - started;

	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 0);
	cr_expect_gt(writes, 0, "no write of the application's got in during the run");
	/* Batches aim at 40-100 ms with pauses between: a write waits about
	 * a batch; 1 s is ten times that, and well under a run that locks
	 * the application out from start to end. */
	cr_expect_lt(worst, 1000.0, "the application waited %.0f ms for one write (the run took %.0f ms)",
		     worst, run_ms);
}

/* SIGTERM while enforce or a bulk logout waits for the write lock stops
 * it at once (143, as between batches), where it waited on through
 * every retry (30 s) and then exited 75. */
Test(sqlite_only, a_signal_while_waiting_for_the_lock_stops_at_once)
{
	fx_standard();
	sqlite3 *conn;
	cr_assert_eq(sqlite3_open(e2e_db()->path, &conn), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	struct e2e_proc *e = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--actor", "cron", "-o", "csv", "--columns", "batches,interrupted"));
	struct e2e_proc *b = e2e_start(&(struct call){ 0 },
				       ARGV("logout", "--all-users", "--yes", "--actor", "ops", "-o", "csv",
					    "--columns", "closed,interrupted"));
	nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
	double t0 = e2e_ms();
	e2e_signal(e, SIGTERM);
	e2e_signal(b, SIGTERM);
	struct run *re = e2e_wait(e), *rb = e2e_wait(b);
	double took = e2e_ms() - t0;
	sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(conn);

	cr_expect_eq(re->status, 143, "enforce: exit %d: %s", re->status, re->err);
	EXPECT_OUT(re, "batches,interrupted\r\n0,true\r\n");
	EXPECT_ERR_HAS(re, "interrupted by SIGTERM");
	cr_expect_eq(rb->status, 143, "bulk logout: exit %d: %s", rb->status, rb->err);
	EXPECT_OUT(rb, "closed,interrupted\r\n0,true\r\n");
	EXPECT_ERR_HAS(rb, "interrupted by SIGTERM");
	cr_expect_lt(took, 5000.0, "the signal took %.0f ms to stop them", took);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0);
}

/* A signal while enforce waits to open a file another process holds the
 * exclusive lock on (the first read is retried 6 times of 5 s) killed it:
 * no line, and no --metrics-file written, so monitoring went on reading
 * the previous run's success. Now it stops at once as any interrupted
 * run: 143, one line, the file written with interrupted 1, success 0. */
Test(sqlite_only, a_signal_while_enforce_waits_to_open_the_file_is_an_interrupted_run)
{
	fx_standard();
	char prom[600];
	snprintf(prom, sizeof(prom), "%s/enforce.prom", e2e_dir());
	sqlite3 *conn;
	cr_assert_eq(sqlite3_open(e2e_db()->path, &conn), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(conn, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	struct e2e_proc *e = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--actor", "cron", "--metrics-file", prom));
	nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
	double t0 = e2e_ms();
	e2e_signal(e, SIGTERM);
	struct run *r = e2e_wait(e);
	double took = e2e_ms() - t0;
	sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(conn);

	cr_expect_eq(r->status, 143, "enforce: exit %d: %s", r->status, r->err);
	EXPECT_ERR_HAS(r, "interrupted while waiting to open '");
	EXPECT_ERR_HAS(r, "(SIGTERM): nothing was changed\n");
	cr_expect_lt(took, 2000.0, "the signal took %.0f ms to stop it", took);
	char *metrics = e2e_read_file(prom, NULL);
	cr_assert(metrics, "no metrics file");
	cr_expect(strstr(metrics, "\nsessctl_enforce_interrupted 1\n"), "%s", metrics);
	cr_expect(strstr(metrics, "\nsessctl_enforce_success 0\n"), "%s", metrics);
	free(metrics);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0);
}

/* A process committing (here: holding the exclusive lock) blocks every
 * reader, so the read with which sessctl opens a file waits as any read
 * does. A change then tries again as its transactions do (6 tries of
 * 5 s), one wait for -v, where it gave up after the first 5 s; a read
 * gives up after 5 s;
 * -v says what each waits for from the start, where it said nothing
 * before the open ended. */
Test(sqlite_only, a_change_that_opens_a_file_being_committed_tries_again, .timeout = 60)
{
	fx_standard();
	sqlite3 *conn;
	cr_assert_eq(sqlite3_open(e2e_db()->path, &conn), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(conn, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	struct e2e_proc *w = e2e_start(&(struct call){ 0 },
				       ARGV("-v", "logout-all", "alice", "--yes", "--actor", "ops"));
	struct e2e_proc *r = e2e_start(&(struct call){ 0 }, ARGV("-v", "count", "alice"));
	/* the lock goes once the read has given up and the change waits
	 * in its second try (a fixed 7.5 s raced a slow start) */
	cr_expect(e2e_wait_output(r, true, "stayed locked"), "count did not give up");
	cr_expect(e2e_wait_output(w, true, "still waiting to read"), "logout-all did not try again");
	sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(conn);
	struct run *rw = e2e_wait(w), *rr = e2e_wait(r);

	/* -v: the notices, then the error's one line */
	cr_expect_eq(rr->status, 75, "count: exit %d: %s", rr->status, rr->err);
	EXPECT_ERR_HAS(rr, "waiting to read");
	EXPECT_ERR_HAS(rr, "(giving up after 5 s)");
	EXPECT_ERR_HAS(rr, "\nsessctl: '");
	EXPECT_ERR_HAS(rr, "' stayed locked by another process (cannot read database): try again later\n");
	cr_expect_eq(rw->status, 0, "logout-all: exit %d: %s", rw->status, rw->err);
	EXPECT_ERR_HAS(rw, "waiting to read");
	EXPECT_ERR_HAS(rw, "(each try gives up after 5 s)");
	EXPECT_ERR_HAS(rw, "still waiting to read"); /* the second try: one wait */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 1 AND is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE user_id = 1"), 4);
}

/* A bulk logout's dry run stops at a signal as enforce's does: the
 * listing ends well-formed, one line says nothing was changed, 143;
 * before, the signal killed it mid-row with nothing said. */
Test(sqlite_only, a_signal_ends_a_bulk_dry_run_listing_cleanly)
{
	fx_standard();
	fill_400k_active_sessions();
	long long active = db_int("SELECT count(*) FROM sessions WHERE is_active");
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("logout", "--all-users", "--dry-run", "-o", "json",
					    "--columns", "id"));
	nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);
	cr_assert(e2e_running(p), "the dry run ended before the signal: make the data larger");
	e2e_signal(p, SIGTERM);
	struct run *r = e2e_wait(p);

	cr_expect_eq(r->status, 143, "exit %d: %s", r->status, r->err);
	/* the listing's count so far, as enforce's dry run says it, then
	 * the interrupt */
	EXPECT_ERR_HAS(r, "(dry run: nothing was changed)\n"
			  "sessctl: interrupted by SIGTERM: the dry run stopped early; nothing was changed\n");
	cr_expect(r->out_len > 2 && r->out[0] == '[' && strcmp(r->out + r->out_len - 2, "]\n") == 0,
		  "not a whole JSON array: ...%s", r->out_len > 40 ? r->out + r->out_len - 40 : r->out);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), active);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0);
}

/* A writer that crashed mid-transaction leaves a hot journal, and until
 * it is rolled back every read-only connection fails: count, list-user
 * and metrics exited 77 "attempt to write a readonly database" (even for
 * root), just when the application is down and an admin looks. A read
 * rolls it back first, as any SQLite client that may write the file does,
 * and reads the database as it was before the crashed transaction. */
Test(sqlite_only, a_hot_journal_left_by_a_crashed_writer_is_rolled_back_before_a_read)
{
	const char *path = e2e_db()->path;
	char journal[4200];

	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');"
		"WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < 4999)"
		" INSERT INTO sessions (user_id, device_fingerprint) SELECT 1, 'fp' || k FROM s");
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		/* a small cache spills the changed pages into the file before
		 * the commit, which never comes */
		sqlite3 *app;
		if (sqlite3_open(path, &app) != SQLITE_OK ||
		    sqlite3_exec(app, "PRAGMA cache_size = 5; BEGIN; UPDATE sessions SET device_name = 'crashed'",
				 NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		raise(SIGKILL);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status), "the writer did not crash as planned");
	snprintf(journal, sizeof(journal), "%s-journal", path);
	cr_assert_eq(access(journal, F_OK), 0, "no journal left behind");

	struct run *r = RUN("-v", "count", "-o", "csv", "--columns", "sessions");
	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "sessions\r\n5000\r\n");
	EXPECT_ERR_HAS(r, "rolled back the hot journal of '");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE device_name = 'crashed'"), 0);
	r = RUN("count", "-o", "csv", "--columns", "sessions");
	EXPECT_OK(r);
}

/* "file:NAME" is a file of that name: SQLite (built to take URIs, as
 * Debian's is) opened the file the URI names, so migrate created
 * "new.db" and every other command said there was no "file:new.db". And
 * a FIFO blocked the open for ever. */
Test(sqlite_only, a_path_beginning_file_colon_is_that_file_and_a_fifo_is_no_database)
{
	struct run *r = RUN_DB("file:new.db", "-q", "migrate");
	EXPECT_OK(r);
	cr_expect_eq(access(e2e_path("file:new.db"), F_OK), 0, "file:new.db not created");
	cr_expect_eq(access(e2e_path("new.db"), F_OK), -1, "new.db created instead");
	r = RUN_DB("file:new.db", "count", "-o", "csv", "--columns", "sessions");
	EXPECT_OK(r);
	EXPECT_OUT(r, "sessions\r\n0\r\n");

	cr_assert_eq(mkfifo(e2e_path("fifo.db"), 0600), 0);
	double t0 = e2e_ms();
	r = RUN_DB(e2e_path("fifo.db"), "count");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "is not a regular file, not an sqlite database");
	cr_expect_lt(e2e_ms() - t0, 5000, "the FIFO blocked");
}

/* AUTOINCREMENT answers SQLITE_FULL when a table's sequence is at the
 * largest rowid (one row imported with that id is enough): that was
 * reported as a full disk (74, "free some space"), which no space
 * mends. 65 as PostgreSQL's exhausted sequence, naming the table, and
 * nothing written. */
Test(sqlite_only, a_table_whose_ids_are_used_up_is_named_not_taken_for_a_full_disk)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'a', 'admin');"
		"INSERT INTO sessions (id, user_id, device_fingerprint)"
		" VALUES (9223372036854775807, 1, 'f1');");
	struct run *r = RUN("create", "--user", "a", "--fingerprint", "f2", "--actor", "a");
	EXPECT_FAIL(r, 65);
	EXPECT_ERR_HAS(r, "cannot create the session on '");
	EXPECT_ERR_HAS(r, "table sessions has used up its ids (its AUTOINCREMENT sequence is at "
		       "9223372036854775807, the largest SQLite gives)");
	cr_expect(!strstr(r->err, "disk is full"), "%s", r->err);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 1);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0);
}

/* A file size limit (ulimit -f) killed sessctl with SIGXFSZ in the middle
 * of a run (153, no line); with the signal ignored SQLite's write error
 * said "disk I/O error" (69). Now a write error like a full disk: 74,
 * the limit named, the batch that met it rolled back, the committed ones
 * told and kept (each with its audit row); the next run completes. The
 * limit is met after some batches (the rollback journal then shrinks
 * the file back: nothing near the limit tells, the signal does). */
Test(sqlite_only, a_file_size_limit_is_a_write_error_named_as_such)
{
	fx_standard();
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, device_name, last_activity, is_active)\n"
		" SELECT 3, 'bulk' || i, 'a device with a longish name ' || i, '2025-01-01 00:00:00', 1\n"
		" FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)\n"
		"  SELECT i FROM n) t;");
	long long active = db_int("SELECT count(*) FROM sessions WHERE is_active");
	struct stat st;
	cr_assert_eq(stat(e2e_db()->path, &st), 0);
	struct rlimit old, rl;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = (rlim_t)st.st_size + 1024 * 1024;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	struct run *r = RUN("enforce", "--actor", "cron", "--now", "2030-01-01 00:00:00", "-q",
			    "--batch-size", "1000");
	setrlimit(RLIMIT_FSIZE, &old);

	EXPECT_FAIL(r, 74);
	EXPECT_ERR_HAS(r, "enforce stopped after ");
	EXPECT_ERR_HAS(r, "the file size limit (ulimit -f) is reached: nothing of this transaction "
		       "was written");
	long long closed = active - db_int("SELECT count(*) FROM sessions WHERE is_active");
	cr_expect_gt(closed, 0, "no batch was committed before the limit");
	cr_expect_lt(closed, 20000, "the limit was never met");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), closed);
	EXPECT_OK(RUN("enforce", "--actor", "cron", "--now", "2030-01-01 00:00:00", "-q"));
	long long left = db_int("SELECT count(*) FROM sessions WHERE is_active");
	cr_expect_lt(left, active - 20000, "the run after closed %lld", active - left);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), active - left);
}

/* -v lines are escaped as error lines are: a path holding an escape
 * sequence reached the terminal raw in "using sqlite database '...'". */
Test(sqlite_only, verbose_lines_show_control_characters_as_question_marks)
{
	fx_standard();
	char path[600];
	size_t n;
	snprintf(path, sizeof(path), "%s/x\033[31mred.db", e2e_dir());
	char *db = e2e_read_file(e2e_db()->path, &n);
	e2e_write_file(path, db, n);
	free(db);
	struct run *r = RUN_DB(path, "-v", "count");
	EXPECT_ERR_HAS(r, "using sqlite database '");
	EXPECT_ERR_HAS(r, "x?[31mred.db'");
	cr_expect_null(strchr(r->err, '\033'), "an escape reached stderr: %s", r->err);
}

/* The steady state reads idx_sessions_activity (INDEXED BY): dropped by
 * the application's own migration, every incremental run failed with 70
 * ("no such index"); an index of the application's by that name, partial
 * or on other columns, failed ("no query solution") or read through
 * another order. Each makes a full pass now, which says why under -v,
 * and the rules are enforced as by any full pass. */
static void steady_index_case(const char *sql, const char *what)
{
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin'),"
		" (2, 'b@x', 'bob', 'user');"
		"INSERT INTO sessions (id, user_id, device_fingerprint, last_activity) VALUES"
		" (10, 2, 'f10', '2025-02-20 10:00:00'), (11, 2, 'f11', '2025-02-21 10:00:00')");
	struct run *r = RUN("enforce", "--max-sessions", "2", "--now", "2025-03-01 00:00:00", "--actor", "cron",
			    "-q");
	EXPECT_OK(r);
	db_exec(sql);
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, last_activity) VALUES"
		" (12, 2, 'f12', '2025-03-01 00:30:00')");
	r = RUN("enforce", "--max-sessions", "2", "--now", "2025-03-01 01:00:00", "--actor", "cron", "-v",
		"-o", "csv", "--columns", "over_limit");
	cr_expect_eq(r->status, 0, "%s: exit %d: %s", what, r->status, r->err);
	EXPECT_OUT(r, "over_limit\r\n1\r\n");
	EXPECT_ERR_HAS(r, "enforce: full pass (idx_sessions_activity is missing or not sessctl's: create it as "
		       "'CREATE INDEX idx_sessions_activity ON sessions (last_activity, user_id)')");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "11\n12\n");
}

Test(sqlite_only, the_steady_state_without_its_index_makes_a_full_pass)
{
	db_migrate(NULL);
	steady_index_case("DROP INDEX idx_sessions_activity", "dropped");
}

Test(sqlite_only, the_steady_state_with_a_partial_index_of_its_name_makes_a_full_pass)
{
	db_migrate(NULL);
	steady_index_case("DROP INDEX idx_sessions_activity;"
			  "CREATE INDEX idx_sessions_activity ON sessions (last_activity) WHERE is_active",
			  "partial");
}

Test(sqlite_only, the_steady_state_with_an_index_of_its_name_on_other_columns_makes_a_full_pass)
{
	db_migrate(NULL);
	steady_index_case("DROP INDEX idx_sessions_activity;"
			  "CREATE INDEX idx_sessions_activity ON sessions (device_type, last_activity)",
			  "other columns");
	/* and once it is sessctl's again, the runs are incremental */
	db_exec("DROP INDEX idx_sessions_activity;"
		"CREATE INDEX idx_sessions_activity ON sessions (last_activity, user_id)");
	struct run *r = RUN("enforce", "--max-sessions", "2", "--now", "2025-03-01 01:00:00", "--actor", "cron",
			    "-v", "-q");
	EXPECT_ERR_HAS(r, "enforce: ranking the users active since");
}
