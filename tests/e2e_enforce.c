/* enforce: the idle timeout and the device limit at their edges, purge,
 * --user, batches, idempotence, --dry-run against the real run, the audit
 * rows, bad values and the --actor rule. */
#define _GNU_SOURCE /* timegm */
#include "e2e.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

TestSuite(enforce, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

#define NOW "2025-03-01 00:00:00"

/* enforce as cron would run it: fixed time, actor and reason; the
 * summary as CSV without the batch count. */
#define SUMMARY "--columns", "expired,over_limit,purged,interrupted"
#define W(...) RUN("enforce", __VA_ARGS__, "--now", NOW, "--actor", "cron")
#define W_ENV(envv, ...) \
	e2e_run(&(struct call){ .env = (envv) }, ARGV("enforce", __VA_ARGS__, "--now", NOW, "--actor", "cron"))
#define CSV_HEAD "expired,over_limit,purged,interrupted\r\n"

/* ---- helpers ---- */

/* Which sessions are active: "id|1" or "id|0" lines. */
#define ACTIVE_SQL "SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions ORDER BY id"
#define AUDIT_SQL \
	"SELECT session_id, user_id, action, actor, COALESCE(reason, '-') FROM sessctl_audit ORDER BY id"

#define AUDIT3_SQL "SELECT session_id, action, actor FROM sessctl_audit ORDER BY id"

/* The run exited 0 and printed exactly want (and nothing on stderr). */
#define EXPECT_SUMMARY(r, want)     \
	do {                        \
		EXPECT_OK(r);       \
		EXPECT_OUT(r, want); \
	} while (0)

/* Users, then sessions given as "(id, user_id, 'last_activity',
 * TRUE|FALSE), ...", each with fingerprint fp<id> and created at
 * 2024-01-01. */
static void fx(const char *values)
{
	char *sql = malloc(strlen(values) + 256);

	cr_assert_not_null(sql);
	fx_ten_users_in(e2e_db());
	sprintf(sql, "INSERT INTO sessions (id, user_id, last_activity, is_active) VALUES %s", values);
	db_exec(sql);
	db_exec("UPDATE sessions SET device_fingerprint = 'fp' || id, created_at = '2024-01-01 00:00:00'");
	free(sql);
	db_fix_sequence_in(e2e_db());
}

/* ---- the idle timeout ---- */

Test(enforce, idle_exactly_at_the_default_720h_is_kept_one_second_past_is_expired)
{
	/* 720 h before 2025-03-01 00:00:00 is 2025-01-30 00:00:00. */
	fx("(40, 2, '2025-01-30 00:00:00', TRUE), (41, 2, '2025-01-29 23:59:59', TRUE), "
	   "(42, 2, '2024-06-01 00:00:00', FALSE), (43, 3, '2025-02-28 00:00:00', TRUE)");
	struct run *r = W("-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "40|1\n41|0\n42|0\n43|1\n");
	EXPECT_ROWS(AUDIT_SQL, "41|2|expire|cron|-\n");
	/* One second later 40 is past the timeout too. */
	r = RUN("enforce", "--now", "2025-03-01 00:00:01", "--actor", "cron", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "40|0\n41|0\n42|0\n43|1\n");
	EXPECT_ROWS(AUDIT_SQL, "41|2|expire|cron|-\n40|2|expire|cron|-\n");
	/* Expiring leaves last_activity alone. */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 40 AND "
			    "last_activity = '2025-01-30 00:00:00'"), 1);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE id = 1 AND evaluated_at = '" NOW "'"), 1);
}

Test(enforce, idle_timeout_option_at_its_edge)
{
	fx("(40, 2, '2025-02-28 23:00:00', TRUE), (41, 2, '2025-02-28 22:59:59', TRUE)");
	struct run *r = W("--idle-timeout", "1h", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "40|1\n41|0\n");
	/* One second shorter: 40 is now one second past it. */
	r = W("--idle-timeout", "3599s", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "40|0\n41|0\n");
}

Test(enforce, session_timeout_hours_from_the_environment_and_the_option_wins)
{
	/* 24 h before NOW is 2025-02-28 00:00:00. */
	fx("(40, 2, '2025-02-28 00:00:00', TRUE), (41, 2, '2025-02-27 23:59:59', TRUE), "
	   "(42, 2, '2025-02-20 00:00:00', TRUE)");
	struct run *r;

	/* The option wins: nothing is 30 days idle. */
	r = W_ENV(ARGV("SESSION_TIMEOUT_HOURS=24"), "--idle-timeout", "30d", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
	r = W_ENV(ARGV("SESSION_TIMEOUT_HOURS=24"), "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "2,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "40|1\n41|0\n42|0\n");
	EXPECT_ROWS(AUDIT_SQL, "41|2|expire|cron|-\n42|2|expire|cron|-\n");
}

Test(enforce, default_timeout_is_720h_without_the_environment)
{
	fx("(40, 2, '2025-01-30 00:00:00', TRUE), (41, 2, '2025-01-29 23:59:59', TRUE)");
	char *before = db_dump();
	struct run *d = W("--dry-run", "-o", "csv", "--columns", "change,id", "-q");
	struct run *h = W("--dry-run", "--idle-timeout", "720h", "-o", "csv", "--columns", "change,id", "-q");
	struct run *days = W("--dry-run", "--idle-timeout", "30d", "-o", "csv", "--columns", "change,id", "-q");

	EXPECT_OK(d);
	EXPECT_OUT(d, "change,id\r\nexpired,41\r\n");
	EXPECT_OK(h);
	EXPECT_OUT(h, d->out);
	EXPECT_OK(days);
	EXPECT_OUT(days, d->out);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(enforce, times_in_the_forms_applications_write_are_compared_as_times)
{
	/* SQLite stores what the application wrote; PostgreSQL parses it. */
	fx("(40, 2, '2025-01-30T00:00:00Z', TRUE), (41, 2, '2025-01-29T23:59:59.5Z', TRUE), "
	   "(42, 2, '2025-01-29 23:59:59.500000', TRUE), (43, 2, '2025-01-30T01:00:00+01:00', TRUE), "
	   "(44, 2, '2025-01-30T00:59:59+01:00', TRUE), "
	   /* u3, all recent: 54 (07:30Z) and 50 (08:00Z) are the oldest. */
	   "(50, 3, '2025-02-28T08:00:00Z', TRUE), (51, 3, '2025-02-28 09:30:00', TRUE), "
	   "(52, 3, '2025-02-28T11:00:00.250Z', TRUE), (53, 3, '2025-02-28 10:30:00', TRUE), "
	   "(54, 3, '2025-02-28T12:30:00+05:00', TRUE)");
	struct run *r = W("-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "3,2,0,false\r\n");
	EXPECT_ROWS("SELECT session_id, action FROM sessctl_audit ORDER BY session_id",
		    "41|expire\n42|expire\n44|expire\n50|over-limit\n54|over-limit\n");
}

/* ---- the device limit ---- */

/* All recent (no idle timeout applies):
 *   bob (2): exactly 3 active;
 *   u3: 4 active, 61 the oldest;
 *   u4: 4 active, 70 and 71 tied oldest;
 *   u5: no sessions;
 *   u6: 3 active and 3 closed;
 *   u7: 6 active, 94, 91, 93 the oldest three (93 and 91 tied). */
#define FX_LIMIT                                                                                   \
	"(50, 2, '2025-02-28 10:00:00', TRUE), (51, 2, '2025-02-28 11:00:00', TRUE), "             \
	"(52, 2, '2025-02-28 12:00:00', TRUE), "                                                   \
	"(60, 3, '2025-02-28 10:00:00', TRUE), (61, 3, '2025-02-28 09:00:00', TRUE), "             \
	"(62, 3, '2025-02-28 11:00:00', TRUE), (63, 3, '2025-02-28 12:00:00', TRUE), "             \
	"(70, 4, '2025-02-28 09:00:00', TRUE), (71, 4, '2025-02-28 09:00:00', TRUE), "             \
	"(72, 4, '2025-02-28 11:00:00', TRUE), (73, 4, '2025-02-28 12:00:00', TRUE), "             \
	"(80, 6, '2025-02-28 10:00:00', TRUE), (81, 6, '2025-02-28 11:00:00', TRUE), "             \
	"(82, 6, '2025-02-28 12:00:00', TRUE), (83, 6, '2025-02-28 13:00:00', FALSE), "            \
	"(84, 6, '2025-02-28 14:00:00', FALSE), (85, 6, '2025-02-28 15:00:00', FALSE), "           \
	"(90, 7, '2025-02-28 10:00:00', TRUE), (91, 7, '2025-02-28 08:00:00', TRUE), "             \
	"(92, 7, '2025-02-28 12:00:00', TRUE), (93, 7, '2025-02-28 08:00:00', TRUE), "             \
	"(94, 7, '2025-02-28 07:00:00', TRUE), (95, 7, '2025-02-28 11:00:00', TRUE)"

#define ACTIVE_BY_USER_SQL                                                               \
	"SELECT u.id, (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.is_active) " \
	"FROM users u ORDER BY u.id"

Test(enforce, limit_closes_the_oldest_beyond_3_ties_by_lower_id_inactive_not_counted)
{
	fx(FX_LIMIT);
	struct run *r = W("-o", "csv", SUMMARY, "--reason", "nightly");

	EXPECT_SUMMARY(r, CSV_HEAD "0,5,0,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active AND id NOT IN (83, 84, 85) ORDER BY id",
		    "61\n70\n91\n93\n94\n");
	EXPECT_ROWS(ACTIVE_BY_USER_SQL, "1|0\n2|3\n3|3\n4|3\n5|0\n6|3\n7|3\n8|0\n9|0\n10|0\n");
	EXPECT_ROWS("SELECT session_id, user_id, action, actor, reason FROM sessctl_audit "
		    "ORDER BY session_id",
		    "61|3|over-limit|cron|nightly\n70|4|over-limit|cron|nightly\n"
		    "91|7|over-limit|cron|nightly\n93|7|over-limit|cron|nightly\n"
		    "94|7|over-limit|cron|nightly\n");
}

Test(enforce, max_sessions_option_and_environment)
{
	fx(FX_LIMIT);
	char *before = db_dump();
	struct run *r;

	/* The option wins over the environment. */
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=1"), "--max-sessions", "6", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_UNCHANGED(before);
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=2"), "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,10,0,false\r\n");
	EXPECT_ROWS(ACTIVE_BY_USER_SQL, "1|0\n2|2\n3|2\n4|2\n5|0\n6|2\n7|2\n8|0\n9|0\n10|0\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active AND id NOT IN (83, 84, 85) ORDER BY id",
		    "50\n60\n61\n70\n71\n80\n90\n91\n93\n94\n");
	r = W("--max-sessions", "1", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,5,0,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", "52\n63\n73\n82\n92\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'"), 15);
	free(before);
}

Test(enforce, expires_first_then_counts_only_what_is_left_toward_the_limit)
{
	/* bob: 4 active, but one of them idle past the timeout: expiring it
	 * brings him to the limit, nothing is closed over it. */
	fx("(50, 2, '2025-01-01 00:00:00', TRUE), (51, 2, '2025-02-28 11:00:00', TRUE), "
	   "(52, 2, '2025-02-28 12:00:00', TRUE), (53, 2, '2025-02-28 13:00:00', TRUE)");
	struct run *r = W("-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(AUDIT3_SQL, "50|expire|cron\n");
}

/* ---- purge ---- */

Test(enforce, purge_after_deletes_only_inactive_rows_older_than_that_including_ones_just_expired)
{
	/* 60 days before NOW is 2024-12-31 00:00:00. */
	fx("(100, 2, '2024-12-01 00:00:00', TRUE), (101, 2, '2024-12-01 00:00:00', FALSE), "
	   "(102, 2, '2025-01-15 00:00:00', FALSE), (103, 3, '2025-01-15 00:00:00', TRUE), "
	   "(104, 3, '2025-02-28 00:00:00', TRUE), (105, 3, '2024-12-31 00:00:00', FALSE), "
	   "(106, 3, '2024-12-30 23:59:59', FALSE)");
	struct run *r = W("--purge-after", "60d", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "2,0,3,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "102|0\n103|0\n104|1\n105|0\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id, action",
		    "100|2|expire\n100|2|purge\n101|2|purge\n103|3|expire\n106|3|purge\n");
	/* Again: nothing left. */
	r = W("--purge-after", "60d", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
}

Test(enforce, purge_never_deletes_an_active_session)
{
	fx("(100, 2, '2024-12-01 00:00:00', TRUE), (101, 2, '2024-12-01 00:00:00', FALSE)");
	/* Not idle long enough to expire (100 d), though older than 60 d. */
	struct run *r = W("--idle-timeout", "100d", "--purge-after", "60d", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "0,0,1,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "100|1\n");
	EXPECT_ROWS(AUDIT3_SQL, "101|purge|cron\n");
}

Test(enforce, without_purge_after_nothing_is_deleted)
{
	fx("(100, 2, '2020-12-01 00:00:00', TRUE), (101, 2, '2020-12-01 00:00:00', FALSE)");
	struct run *r = W("-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "100|0\n101|0\n");
}

/* ---- --user ---- */

Test(enforce, user_restricts_every_step_to_that_user)
{
	fx(FX_LIMIT ", (110, 3, '2024-10-01 00:00:00', TRUE), (111, 4, '2024-10-01 00:00:00', TRUE), "
		    "(112, 3, '2024-10-01 00:00:00', FALSE), (113, 4, '2024-10-01 00:00:00', FALSE)");
	struct run *r = W("--user", "u3@example.com", "--purge-after", "60d", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "1,1,2,false\r\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id, action",
		    "61|3|over-limit\n110|3|expire\n110|3|purge\n112|3|purge\n");
	EXPECT_ROWS(ACTIVE_BY_USER_SQL, "1|0\n2|3\n3|3\n4|5\n5|0\n6|3\n7|6\n8|0\n9|0\n10|0\n");

	r = W("--user", "u4", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "1,1,0,false\r\n");
	r = W("--user", "5", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");

	char *before = db_dump();
	r = W("--user", "nobody@example.com");
	EXPECT_FAIL(r, 67);
	r = W("--user", "999");
	EXPECT_FAIL(r, 67);
	EXPECT_UNCHANGED(before);
	free(before);
}

/* ---- ids 0 and below ---- */

/* Users 1-10 and users given as "(id, email, username, role), ...",
 * then sessions as fx() takes them. */
static void fx_users_and_sessions(const char *users, const char *values)
{
	char *sql = malloc(strlen(users) + strlen(values) + 256);

	cr_assert_not_null(sql);
	fx_ten_users_in(e2e_db());
	sprintf(sql, "INSERT INTO users (id, email, username, role) VALUES %s", users);
	db_exec(sql);
	sprintf(sql, "INSERT INTO sessions (id, user_id, last_activity, is_active) VALUES %s", values);
	db_exec(sql);
	db_exec("UPDATE sessions SET device_fingerprint = 'fp' || id, created_at = '2024-01-01 00:00:00'");
	free(sql);
	db_fix_sequence_in(e2e_db());
}

/* Users 1-10, 0 (zero) and -5 (neg), then sessions as fx() takes them. */
static void fx_low_ids(const char *values)
{
	fx_users_and_sessions("(0, 'zero@example.com', 'zero', 'user'), (-5, 'neg@example.com', 'neg', 'user')",
			      values);
}

/* zero (0) and neg (-5): 4 recent active sessions each, -1 and -11 the
 * oldest; bob: -20 idle past the timeout, -21 closed long ago. */
#define FX_LOW_IDS                                                                       \
	"(0, 0, '2025-02-28 10:00:00', TRUE), (-1, 0, '2025-02-28 09:00:00', TRUE), "      \
	"(1, 0, '2025-02-28 11:00:00', TRUE), (2, 0, '2025-02-28 12:00:00', TRUE), "       \
	"(-10, -5, '2025-02-28 10:00:00', TRUE), (-11, -5, '2025-02-28 08:00:00', TRUE), " \
	"(-12, -5, '2025-02-28 11:00:00', TRUE), (-13, -5, '2025-02-28 12:00:00', TRUE), " \
	"(-20, 2, '2024-06-01 00:00:00', TRUE), (-21, 2, '2024-06-01 00:00:00', FALSE)"

Test(enforce, user_id_0_over_the_limit_loses_its_oldest_session)
{
	fx_low_ids(FX_LOW_IDS);
	struct run *r = W("--user", "zero", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "-1|0|over-limit|cron|-\n");
	r = W("--user", "0", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
}

Test(enforce, every_step_walks_user_and_session_ids_0_and_below)
{
	fx_low_ids(FX_LOW_IDS);
	char *before = db_dump();
	struct run *dry = W("--purge-after", "30d", "--dry-run", "-o", "csv", "--columns", "change,id", "-q");

	EXPECT_OK(dry);
	EXPECT_OUT(dry, "change,id\r\nexpired,-20\r\nover-limit,-11\r\nover-limit,-1\r\n"
			"purged,-21\r\npurged,-20\r\n");
	EXPECT_UNCHANGED(before);
	struct run *r = W("--purge-after", "30d", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "1,2,2,false\r\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id, action",
		    "-21|2|purge\n-20|2|expire\n-20|2|purge\n-11|-5|over-limit\n-1|0|over-limit\n");
	EXPECT_ROWS(ACTIVE_SQL, "-13|1\n-12|1\n-11|0\n-10|1\n-1|0\n0|1\n1|1\n2|1\n");
	free(before);
}

/* --user of a user whose id is negative still means only that user. */
Test(enforce, user_with_a_negative_id_restricts_every_step_to_that_user)
{
	fx_low_ids(FX_LOW_IDS);
	struct run *r = W("--user", "neg", "--purge-after", "30d", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "-11|-5|over-limit|cron|-\n");
	EXPECT_ROWS("SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions WHERE user_id = 2 ORDER BY id",
		    "-21|0\n-20|1\n");
}

/* The ends of the 64-bit range. Users min (the smallest id) and max (the
 * largest): 4 recent active sessions each, the oldest closed by the
 * device limit; bob: the session with the smallest id idle past the
 * timeout (expired, then purged), the one with the largest closed long
 * ago (purged). */
#define I64_MIN "-9223372036854775808"
#define I64_MAX "9223372036854775807"

static void fx_extreme_ids(void)
{
	fx_users_and_sessions("(" I64_MIN ", 'min@example.com', 'min', 'user'), "
			      "(" I64_MAX ", 'max@example.com', 'max', 'user')",
		"(" I64_MIN ", 2, '2024-06-01 00:00:00', TRUE), "
		"(-9223372036854775807, " I64_MIN ", '2025-02-28 08:00:00', TRUE), "
		"(-9223372036854775806, " I64_MIN ", '2025-02-28 09:00:00', TRUE), "
		"(-9223372036854775805, " I64_MIN ", '2025-02-28 10:00:00', TRUE), "
		"(-9223372036854775804, " I64_MIN ", '2025-02-28 11:00:00', TRUE), "
		"(9223372036854775803, " I64_MAX ", '2025-02-28 08:00:00', TRUE), "
		"(9223372036854775804, " I64_MAX ", '2025-02-28 09:00:00', TRUE), "
		"(9223372036854775805, " I64_MAX ", '2025-02-28 10:00:00', TRUE), "
		"(9223372036854775806, " I64_MAX ", '2025-02-28 11:00:00', TRUE), "
		"(" I64_MAX ", 2, '2024-06-01 00:00:00', FALSE)");
}

#define EXTREME_CHANGES                                                            \
	"change,id\r\nexpired," I64_MIN "\r\nover-limit,-9223372036854775807\r\n"   \
	"over-limit,9223372036854775803\r\npurged," I64_MIN "\r\npurged," I64_MAX "\r\n"

/* Every step walks to both ends, whether a batch starts or ends on one
 * (batches of one) or holds them all. */
Test(enforce, every_step_walks_ids_down_to_the_smallest_and_up_to_the_largest)
{
	fx_extreme_ids();
	char *before = db_dump();
	struct run *dry = W("--purge-after", "30d", "--dry-run", "-o", "csv", "--columns", "change,id", "-q");

	EXPECT_OK(dry);
	EXPECT_OUT(dry, EXTREME_CHANGES);
	EXPECT_UNCHANGED(before);
	dry = W("--purge-after", "30d", "--dry-run", "--batch-size", "1", "-o", "csv", "--columns",
		"change,id", "-q");
	EXPECT_OK(dry);
	EXPECT_OUT(dry, EXTREME_CHANGES);
	EXPECT_UNCHANGED(before);

	struct run *r = W("--purge-after", "30d", "--batch-size", "1", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "1,2,2,false\r\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id, action",
		    I64_MIN "|2|expire\n" I64_MIN "|2|purge\n-9223372036854775807|" I64_MIN "|over-limit\n"
		    "9223372036854775803|" I64_MAX "|over-limit\n" I64_MAX "|2|purge\n");
	EXPECT_ROWS(ACTIVE_SQL, "-9223372036854775807|0\n-9223372036854775806|1\n-9223372036854775805|1\n"
				"-9223372036854775804|1\n9223372036854775803|0\n9223372036854775804|1\n"
				"9223372036854775805|1\n9223372036854775806|1\n");
	r = W("--purge-after", "30d", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
	free(before);
}

/* --user of the user with the smallest id, and of the one with the largest. */
Test(enforce, user_with_the_smallest_or_the_largest_id)
{
	fx_extreme_ids();
	struct run *r = W("--user", "min", "-o", "csv", SUMMARY);

	EXPECT_SUMMARY(r, CSV_HEAD "0,1,0,false\r\n");
	r = W("--user", "max", "-o", "csv", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "-9223372036854775807|" I64_MIN "|over-limit|cron|-\n"
			       "9223372036854775803|" I64_MAX "|over-limit|cron|-\n");
}

/* ---- a larger fixture: batches, idempotence, dry run ---- */

/* 300 sessions over users 1-10, active or not, idle from 0 to 74 days
 * with many ties in last_activity; closed ones have fingerprints
 * "closed-<id>". */
static void fx_mixed_in(const struct e2e_db *db)
{
	size_t cap = 64 * 1024, n = 0;
	char *sql = malloc(cap);
	struct tm tm = { .tm_year = 125, .tm_mon = 2, .tm_mday = 1 };
	time_t now = timegm(&tm);

	cr_assert_not_null(sql);
	fx_ten_users_in(db);
	n += (size_t)sprintf(sql, "INSERT INTO sessions (id, user_id, device_fingerprint, created_at, "
				  "last_activity, is_active) VALUES ");
	for (int i = 1; i <= 300; i++) {
		time_t la = now - (time_t)((i * 37) % 75) * 86400 - (time_t)((i * 13) % 3) * 3600;
		char when[32];
		bool active = i % 7 != 0;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&la));
		n += (size_t)snprintf(sql + n, cap - n, "%s(%d, %d, '%s%d', '2024-01-01 00:00:00', '%s', %s)",
				      i > 1 ? ", " : "", i, 1 + i % 10, active ? "fp" : "closed-", i, when,
				      active ? "TRUE" : "FALSE");
		cr_assert_lt(n, cap - 256);
	}
	db_exec_in(db, sql);
	free(sql);
	db_fix_sequence_in(db);
}

/* Every inactive session that was active has exactly one closing audit
 * row, no other session has one, purge rows name deleted sessions, and
 * every audit row carries the actor. */
static void expect_audit_matches(const struct e2e_db *db, const char *actor)
{
	char sql[512];

	cr_expect_eq(db_int_in(db, "SELECT count(*) FROM sessions s WHERE NOT s.is_active AND "
				   "s.device_fingerprint NOT LIKE 'closed-%' AND (SELECT count(*) FROM "
				   "sessctl_audit a WHERE a.session_id = s.id AND a.action IN "
				   "('expire', 'over-limit')) <> 1"), 0,
		     "a closed session without exactly one closing audit row");
	cr_expect_eq(db_int_in(db, "SELECT count(*) FROM sessctl_audit a WHERE a.action IN "
				   "('expire', 'over-limit') AND NOT EXISTS (SELECT 1 FROM sessions s "
				   "WHERE s.id = a.session_id AND NOT s.is_active AND "
				   "s.device_fingerprint NOT LIKE 'closed-%') AND NOT EXISTS (SELECT 1 "
				   "FROM sessctl_audit p WHERE p.session_id = a.session_id AND "
				   "p.action = 'purge')"), 0,
		     "a closing audit row for a session that was not closed by sessctl");
	cr_expect_eq(db_int_in(db, "SELECT count(*) FROM sessctl_audit a WHERE a.action = 'purge' AND "
				   "EXISTS (SELECT 1 FROM sessions s WHERE s.id = a.session_id)"), 0,
		     "a purge audit row for a session still there");
	cr_expect_eq(db_int_in(db, "SELECT count(*) FROM (SELECT session_id, action FROM sessctl_audit "
				   "GROUP BY session_id, action HAVING count(*) > 1) t"), 0,
		     "a session changed twice the same way");
	cr_expect_eq(db_int_in(db, "SELECT 300 - count(*) FROM sessions"),
		     db_int_in(db, "SELECT count(*) FROM sessctl_audit WHERE action = 'purge'"),
		     "deleted rows and purge audit rows differ");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sessctl_audit WHERE actor <> '%s'", actor);
	cr_expect_eq(db_int_in(db, sql), 0, "audit rows with another actor");
}

/* The summary's counts against the audit rows. */
static void expect_summary_matches_audit(const struct e2e_db *db, const struct run *r)
{
	long long e = -1, o = -1, p = -1;

	cr_expect_eq(sscanf(r->out, CSV_HEAD "%lld,%lld,%lld,false", &e, &o, &p), 3, "%s: stdout %s",
		     r->what, r->out);
	cr_expect_eq(e, db_int_in(db, "SELECT count(*) FROM sessctl_audit WHERE action = 'expire'"));
	cr_expect_eq(o, db_int_in(db, "SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'"));
	cr_expect_eq(p, db_int_in(db, "SELECT count(*) FROM sessctl_audit WHERE action = 'purge'"));
}

Test(enforce, the_result_obeys_every_rule_and_the_audit_rows_match_what_changed)
{
	fx_mixed_in(e2e_db());
	struct run *r = W("--purge-after", "60d", "-o", "csv", SUMMARY);

	EXPECT_OK(r);
	expect_summary_matches_audit(e2e_db(), r);
	expect_audit_matches(e2e_db(), "cron");
	/* Nothing active idle longer than 720 h, nobody over 3, nothing
	 * inactive older than 60 d. */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active AND "
			    "last_activity < '2025-01-30 00:00:00'"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active "
			    "GROUP BY user_id HAVING count(*) > 3) t"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE NOT is_active AND "
			    "last_activity < '2024-12-31 00:00:00'"), 0);
	/* ... and no more than needed: every user with at least 3 sessions
	 * that were active and not idle keeps 3. */
	EXPECT_ROWS(ACTIVE_BY_USER_SQL, "1|3\n2|3\n3|3\n4|3\n5|3\n6|3\n7|3\n8|3\n9|3\n10|3\n");
	cr_expect_gt(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'expire'"), 0);
	cr_expect_gt(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'"), 0);
	cr_expect_gt(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'purge'"), 0);
}

Test(enforce, the_kept_sessions_are_the_most_recent_ones_of_each_user)
{
	fx_mixed_in(e2e_db());
	/* What the rule keeps, computed independently: per user, the 3 most
	 * recently active (ties: higher id) of the sessions active and not
	 * idle past 720 h. */
	char *want = db_rows("SELECT s.id FROM sessions s WHERE s.is_active AND "
			  "s.last_activity >= '2025-01-30 00:00:00' AND (SELECT count(*) FROM sessions t "
			  "WHERE t.user_id = s.user_id AND t.is_active AND "
			  "t.last_activity >= '2025-01-30 00:00:00' AND (t.last_activity > s.last_activity "
			  "OR (t.last_activity = s.last_activity AND t.id > s.id))) < 3 ORDER BY s.id");
	struct run *r = W("-q");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_ROWS("SELECT id FROM sessions WHERE is_active ORDER BY id", want);
	free(want);
}

Test(enforce, batch_size_1_gives_the_same_result_as_the_default)
{
	const struct e2e_db *other = e2e_new_db();
	fx_mixed_in(e2e_db());
	fx_mixed_in(other);
	struct run *a = W("--purge-after", "60d", "-o", "csv", SUMMARY);
	struct run *b = RUN_DB(other->url, "enforce", "--purge-after", "60d", "--batch-size", "1", "--now",
			       NOW, "--actor", "cron", "-o", "csv", SUMMARY);

	EXPECT_OK(a);
	EXPECT_OK(b);
	EXPECT_OUT(b, a->out);
	expect_audit_matches(other, "cron");
	char *sa = db_rows_in(e2e_db(), ACTIVE_SQL), *sb = db_rows_in(other, ACTIVE_SQL);
	cr_expect_str_eq(sb, sa, "sessions after --batch-size 1:\n%s\nafter the default:\n%s", sb, sa);
	free(sa);
	free(sb);
#define BY_SESSION "SELECT session_id, user_id, action, actor FROM sessctl_audit ORDER BY session_id, action"
	sa = db_rows_in(e2e_db(), BY_SESSION);
	sb = db_rows_in(other, BY_SESSION);
	cr_expect_str_eq(sb, sa, "audit after --batch-size 1:\n%s\nafter the default:\n%s", sb, sa);
	free(sa);
	free(sb);
#undef BY_SESSION
	cr_expect_gt(db_int_in(other, "SELECT count(*) FROM sessctl_audit"), 50);
	/* And a second run with batches of one finds nothing left. */
	struct run *again = RUN_DB(other->url, "enforce", "--purge-after", "60d", "--batch-size", "1",
				   "--now", NOW, "--actor", "cron", "-o", "json");
	EXPECT_OK(again);
	EXPECT_OUT(again, "{\"expired\":0,\"over_limit\":0,\"purged\":0,\"batches\":0,\"interrupted\":false,\"locked\":0}\n");
}

Test(enforce, batch_size_counts_batches_that_changed_something)
{
	fx("(40, 2, '2024-01-01 00:00:00', TRUE), (41, 2, '2024-01-01 00:00:00', TRUE), "
	   "(42, 2, '2024-01-01 00:00:00', TRUE), (43, 2, '2024-01-01 00:00:00', TRUE), "
	   "(44, 2, '2024-01-01 00:00:00', TRUE)");
	struct run *r = W("--batch-size", "2", "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"expired\":5,\"over_limit\":0,\"purged\":0,\"batches\":3,\"interrupted\":false,\"locked\":0}\n");
}

Test(enforce, a_second_run_changes_nothing)
{
	fx_mixed_in(e2e_db());
	struct run *first = W("--purge-after", "60d", "-o", "csv", SUMMARY);
	EXPECT_OK(first);
	char *before = db_dump();
	struct run *second = W("--purge-after", "60d", "-o", "json");

	EXPECT_OK(second);
	EXPECT_OUT(second, "{\"expired\":0,\"over_limit\":0,\"purged\":0,\"batches\":0,\"interrupted\":false,\"locked\":0}\n");
	EXPECT_UNCHANGED(before);
	struct run *third = W("--purge-after", "60d", "--batch-size", "3", "--dry-run", "-o", "csv");
	cr_expect_eq(third->status, 0, "%s: exit %d: %s", third->what, third->status, third->err);
	EXPECT_OUT(third, "change,id,user_id,device_name,device_type,browser,ip_address,created_at,"
			  "last_activity,is_active\r\n");
	cr_expect_str_eq(third->err, "nothing would change (dry run: nothing was changed)\n",
			 "%s: stderr [%s]", third->what, third->err);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(enforce, table_output_prints_the_summary_as_a_record)
{
	fx("(40, 2, '2024-01-01 00:00:00', TRUE)");
	struct run *r = W("-o", "table");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "EXPIRED");
	EXPECT_OUT_HAS(r, "OVER_LIMIT");
	EXPECT_OUT_HAS(r, "INTERRUPTED");
	struct run *nd = W("-o", "ndjson");
	EXPECT_OK(nd);
	EXPECT_OUT(nd, "{\"expired\":0,\"over_limit\":0,\"purged\":0,\"batches\":0,\"interrupted\":false,\"locked\":0}\n");
}

/* ---- --dry-run against the real run ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "change,id" pairs a dry run printed in format fmt (csv, json or
 * ndjson, with --columns change,id), sorted, one per line. */
static char *pairs(const char *out, const char *fmt)
{
	char *copy = strdup(out), *save = NULL, **v = NULL, *res;
	size_t n = 0, len = 1;

	cr_assert_not_null(copy);
	for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char change[32], buf[64];
		long long id;
		if (strcmp(fmt, "csv") == 0) {
			if (strcmp(line, "change,id") == 0)
				continue;
			cr_assert_eq(sscanf(line, "%31[^,],%lld", change, &id), 2, "bad csv line [%s]", line);
		} else {
			if (strcmp(line, "[") == 0 || strcmp(line, "]") == 0)
				continue;
			cr_assert_eq(sscanf(line, "{\"change\":\"%31[^\"]\",\"id\":%lld}", change, &id), 2,
				     "bad %s line [%s]", fmt, line);
			size_t l = strlen(line);
			cr_expect(strcmp(fmt, "json") == 0 || line[l - 1] == '}', "ndjson line [%s]", line);
		}
		snprintf(buf, sizeof(buf), "%s,%lld", change, id);
		v = realloc(v, (n + 1) * sizeof(*v));
		cr_assert_not_null(v);
		v[n] = strdup(buf);
		len += strlen(buf) + 1;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	res = calloc(1, len);
	cr_assert_not_null(res);
	for (size_t i = 0; i < n; i++) {
		strcat(res, v[i]);
		strcat(res, "\n");
		free(v[i]);
	}
	free(v);
	free(copy);
	return res;
}

Test(enforce, dry_run_lists_exactly_what_the_real_run_then_changes_in_every_format)
{
	fx_mixed_in(e2e_db());
	char *before = db_dump();
	struct run *csv = W("--purge-after", "60d", "--dry-run", "-o", "csv", "--columns", "change,id");
	struct run *json = W("--purge-after", "60d", "--dry-run", "-o", "json", "--columns", "change,id");
	struct run *ndjson = W("--purge-after", "60d", "--dry-run", "-o", "ndjson", "--columns", "change,id");
	struct run *sum = W("--purge-after", "60d", "--dry-run", "-o", "json", "--columns", "change,id", "-q");

	cr_expect_eq(csv->status, 0, "%s: exit %d: %s", csv->what, csv->status, csv->err);
	cr_expect_eq(json->status, 0, "%s: exit %d: %s", json->what, json->status, json->err);
	cr_expect_eq(ndjson->status, 0, "%s: exit %d: %s", ndjson->what, ndjson->status, ndjson->err);
	EXPECT_OK(sum);
	EXPECT_ERR_HAS(csv, "(dry run: nothing was changed)");
	EXPECT_UNCHANGED(before);

	struct run *real = W("--purge-after", "60d", "-o", "csv", SUMMARY);
	EXPECT_OK(real);
	expect_summary_matches_audit(e2e_db(), real);
	/* What changed, from the audit trail, as change kinds. */
	char *want = db_rows("SELECT CASE action WHEN 'expire' THEN 'expired' WHEN 'purge' THEN 'purged' "
			  "ELSE action END, session_id FROM sessctl_audit");
	for (char *p = want; *p; p++)
		if (*p == '|')
			*p = ',';
	char *want_sorted = pairs(want, "csv");
	char *got_csv = pairs(csv->out, "csv");
	char *got_json = pairs(json->out, "json");
	char *got_ndjson = pairs(ndjson->out, "ndjson");

	cr_expect_gt(strlen(want_sorted), 100, "the fixture changes too little: %s", want_sorted);
	cr_expect_str_eq(got_csv, want_sorted, "dry run (csv):\n%s\nreal run:\n%s", got_csv, want_sorted);
	cr_expect_str_eq(got_json, want_sorted, "dry run (json):\n%s\nreal run:\n%s", got_json, want_sorted);
	cr_expect_str_eq(got_ndjson, want_sorted, "dry run (ndjson):\n%s\nreal run:\n%s", got_ndjson,
			 want_sorted);
	/* The dry run's summary line counts the same. */
	long long e = db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'expire'");
	long long o = db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'");
	long long p = db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'purge'");
	char line[256];
	snprintf(line, sizeof(line), "would expire %lld sessions; would close %lld sessions over the "
		 "device limit; would purge %lld sessions (dry run: nothing was changed)\n", e, o, p);
	cr_expect_str_eq(csv->err, line, "%s: stderr [%s]", csv->what, csv->err);
	free(want);
	free(want_sorted);
	free(got_csv);
	free(got_json);
	free(got_ndjson);
	free(before);
}

Test(enforce, dry_run_shows_full_rows_as_they_would_be)
{
	fx("(40, 2, '2024-01-01 00:00:00', TRUE), (41, 3, '2025-02-28 01:00:00', TRUE), "
	   "(42, 3, '2025-02-28 02:00:00', TRUE), (43, 3, '2025-02-28 03:00:00', TRUE), "
	   "(44, 3, '2025-02-28 04:00:00', TRUE), (45, 4, '2024-01-01 00:00:00', FALSE)");
	char *before = db_dump();
	struct run *r = W("--dry-run", "--purge-after", "90d", "-o", "csv", "--columns",
			  "change,id,user_id,last_activity,is_active");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,user_id,last_activity,is_active\r\n"
		      "expired,40,2,2024-01-01T00:00:00Z,false\r\n"
		      "over-limit,41,3,2025-02-28T01:00:00Z,false\r\n"
		      "purged,40,2,2024-01-01T00:00:00Z,false\r\n"
		      "purged,45,4,2024-01-01T00:00:00Z,false\r\n");
	cr_expect_str_eq(r->err, "would expire 1 session; would close 1 session over the device limit; "
				 "would purge 2 sessions (dry run: nothing was changed)\n",
			 "%s: stderr [%s]", r->what, r->err);
	struct run *t = W("--dry-run");
	EXPECT_OK(t);
	EXPECT_OUT_HAS(t, "would expire 1 session; would close 1 session over the device limit "
			  "(dry run: nothing was changed)\n");
	EXPECT_UNCHANGED(before);
	free(before);
}

/* ---- bad values ---- */

Test(enforce, bad_values_are_usage_errors_and_change_nothing)
{
	fx("(40, 2, '2024-01-01 00:00:00', TRUE), (41, 3, '2024-01-01 00:00:00', FALSE)");
	char *before = db_dump();
	struct run *r;

	r = W("--max-sessions", "0");
	EXPECT_FAIL(r, 64);
	r = W("--max-sessions", "-2");
	EXPECT_FAIL(r, 64);
	r = W("--max-sessions", "many");
	EXPECT_FAIL(r, 64);
	r = W("--idle-timeout", "5x");
	EXPECT_FAIL(r, 64);
	r = W("--idle-timeout", "");
	EXPECT_FAIL(r, 64);
	r = W("--idle-timeout", "0s");
	EXPECT_FAIL(r, 64);
	r = W("--idle-timeout", "-5h");
	EXPECT_FAIL(r, 64);
	r = W("--purge-after", "soon");
	EXPECT_FAIL(r, 64);
	r = W("--batch-size", "-1");
	EXPECT_FAIL(r, 64);
	r = W("--batch-size", "0");
	EXPECT_FAIL(r, 64);
	r = W("--batch-size", "1k");
	EXPECT_FAIL(r, 64);
	r = W("extra");
	EXPECT_FAIL(r, 64);
	r = W("--user", "");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("SESSION_TIMEOUT_HOURS=abc"), "-q");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("SESSION_TIMEOUT_HOURS=0"), "-q");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("SESSION_TIMEOUT_HOURS=-1"), "-q");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=abc"), "-q");
	EXPECT_FAIL(r, 64);
	r = W_ENV(ARGV("MAX_SESSIONS_PER_USER=0"), "-q");
	EXPECT_FAIL(r, 64);
	/* Too long: said so, and the variable's bound is the option's. */
	r = W("--idle-timeout", "320000000001s");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "--idle-timeout: duration '320000000001s' is too long: at most 320000000000s");
	r = W_ENV(ARGV("SESSION_TIMEOUT_HOURS=88888889"), "-q");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "SESSION_TIMEOUT_HOURS=88888889 is out of range: at most 88888888");
	r = RUN("enforce", "--now", "yesterday", "--actor", "cron");
	EXPECT_FAIL(r, 64);
	EXPECT_UNCHANGED(before);
	free(before);
}

/* ---- the --actor rule ---- */

Test(enforce, an_actor_who_is_an_application_user_but_not_admin_is_refused)
{
	fx(FX_LIMIT ", (110, 3, '2024-10-01 00:00:00', TRUE)");
	char *before = db_dump();
	static const char *const actors[] = { "2", "bob", "bob@example.com", "u7" };

	for (size_t i = 0; i < sizeof(actors) / sizeof(actors[0]); i++) {
		struct run *r = RUN("enforce", "--now", NOW, "--actor", actors[i]);
		EXPECT_FAIL(r, 77);
		EXPECT_NO_OUT(r);
		r = RUN("enforce", "--now", NOW, "--actor", actors[i], "--dry-run");
		EXPECT_FAIL(r, 77);
		r = RUN("enforce", "--now", NOW, "--actor", actors[i], "--user", "u3");
		EXPECT_FAIL(r, 77);
	}
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(enforce, an_admin_or_an_actor_who_is_no_application_user_is_allowed)
{
	fx(FX_LIMIT ", (110, 3, '2024-10-01 00:00:00', TRUE)");
	struct run *r = RUN("enforce", "--now", NOW, "--actor", "alice@example.com", "--reason", "audit",
			    "--user", "u3", "-q");

	EXPECT_OK(r);
	r = RUN("enforce", "--now", NOW, "--actor", "1", "--user", "u4", "-q");
	EXPECT_OK(r);
	r = e2e_run(&(struct call){ .env = ARGV("SUDO_USER=cronjob") },
		    ARGV("enforce", "--now", NOW, "--reason", "nightly", "-q"));
	EXPECT_OK(r);
	EXPECT_ROWS(AUDIT_SQL, "110|3|expire|alice@example.com|audit\n61|3|over-limit|alice@example.com|audit\n"
			       "70|4|over-limit|1|-\n91|7|over-limit|cronjob|nightly\n"
			       "93|7|over-limit|cronjob|nightly\n94|7|over-limit|cronjob|nightly\n");
}

Test(enforce, quiet_prints_nothing_on_success_for_cron)
{
	fx_ten_users_in(e2e_db());
	db_exec("INSERT INTO sessions (user_id, device_fingerprint, last_activity, is_active) VALUES "
		"(2, 'old', '2024-01-01 00:00:00', TRUE)");
	struct run *r = W("-q");

	EXPECT_OK(r);
	cr_expect_eq(r->out_len, 0, "%s: stdout [%s]", r->what, r->out);
	EXPECT_ROWS("SELECT action FROM sessctl_audit", "expire\n");
}

/* A dry run's report waits in a temporary file of TMPDIR until its
 * transaction is over (so a slow reader holds no lock): the file is gone
 * after, and a TMPDIR it cannot write is said before anything is read. */
Test(enforce, a_dry_runs_report_waits_in_tmpdir_and_leaves_nothing_there)
{
	fx(FX_LIMIT);
	const char *dir = e2e_path("tmp");
	char env[600], bad[600];
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(env, sizeof(env), "TMPDIR=%s", dir);
	struct run *r = W_ENV(ARGV(env), "--dry-run", "-q", "-o", "csv", "--columns", "change,id");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "over-limit,");
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	struct dirent *e;
	int left = 0;
	while ((e = readdir(d)))
		left += e->d_name[0] != '.';
	closedir(d);
	cr_expect_eq(left, 0, "%d files left in TMPDIR", left);
	snprintf(bad, sizeof(bad), "TMPDIR=%s/none", dir);
	r = W_ENV(ARGV(bad), "--dry-run");
	EXPECT_FAIL(r, 74);
	EXPECT_ERR_HAS(r, "cannot create a temporary file in '");
	EXPECT_ERR_HAS(r, "(set TMPDIR to a writable directory)");
	EXPECT_NO_OUT(r);
}

/* The report's temporary file meets a full TMPDIR (a 64 kB tmpfs): that
 * was told as "cannot write output", the standard output a healthy pipe;
 * it names the temporary file's directory now, and nothing changed. */
Test(enforce, a_full_tmpdir_is_named_as_the_dry_runs_report_file)
{
	if (geteuid() != 0)
		cr_skip_test("mounting a tmpfs needs root");
	fx(FX_LIMIT);
	db_exec("INSERT INTO users (id, email, username) VALUES (70, 'many@example.com', 'many')");
	char *sql = malloc(2000 * 120 + 200);
	cr_assert_not_null(sql);
	size_t n = (size_t)sprintf(sql, "INSERT INTO sessions (user_id, device_fingerprint, device_name,"
				   " created_at, last_activity, is_active) VALUES ");
	for (int i = 0; i < 2000; i++)
		n += (size_t)sprintf(sql + n, "%s(70, 'many-%d', 'a device of a long name %d',"
				     " '2025-02-01 00:00:00', '2025-02-27 00:00:00', TRUE)", i ? ", " : "", i, i);
	db_exec(sql);
	free(sql);
	const char *dir = e2e_path("smalltmp");
	char cmd[600], env[600];
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=64k sessctl-tmp '%s'", dir);
	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
	char *before = db_dump();
	snprintf(env, sizeof(env), "TMPDIR=%s", dir);
	struct run *r = W_ENV(ARGV(env), "--dry-run", "-o", "csv");
	snprintf(cmd, sizeof(cmd), "umount '%s'", dir);
	cr_expect_eq(system(cmd), 0, "%s failed", cmd);
	EXPECT_FAIL(r, 74);
	EXPECT_ERR_HAS(r, "cannot write the dry run's report to its temporary file in '");
	EXPECT_ERR_HAS(r, "': no space left on device (set TMPDIR to a directory with room)\n");
	EXPECT_NO_OUT(r);
	EXPECT_UNCHANGED(before);
	free(before);
}
