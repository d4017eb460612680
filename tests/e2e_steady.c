/* enforce in steady state (src/enforce-steady.c, "steady state"): what a run
 * records in sessctl_enforce_state, when the next run is incremental
 * (ranks only the users active since the recorded time, finds idle
 * sessions through idx_sessions_active_activity) and when it is a full
 * pass, that an incremental run changes exactly what a full pass would,
 * the documented limitation that proves it skips the scan (a session
 * made active again without a new last_activity waits for the next full
 * pass), --dry-run and --user leaving the record alone, and on SQLite the
 * text forms of last_activity that the index ranges must still find.
 *
 * The runs use a fixed --now in the past, so a run's "since" is that
 * --now less the slack (the real time is later), and its full_at is the
 * real time the run started. Times in fixtures that must not look recent
 * to an incremental run are dated days before since: SQLite may rank
 * users with a session written up to 12 h before since (offsets), an
 * over-approximation that must not be what finds the user. */
#include "e2e.h"

#include "../src/migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

TestSuite(steady, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

/* What a run takes off the earlier of its start and its --now to get
 * the since it records (SC_ENFORCE_SLACK in src/enforce-steady.c: ten minutes,
 * man page "enforce"). */
#define SLACK 600
/* The first run's --now and the since it records. */
#define NOW "2025-03-01 00:00:00"
#define NOW_T 1740787200LL
#define SINCE_T (NOW_T - SLACK)
/* A later run's --now, and its since. */
#define LATER "2025-03-01 01:00:00"
#define LATER_T (NOW_T + 3600)
#define LATER_SINCE_T (LATER_T - SLACK)

#define SUMMARY "-o", "csv", "--columns", "expired,over_limit,purged,interrupted"
#define CSV_HEAD "expired,over_limit,purged,interrupted\r\n"

/* enforce as cron runs it, at a fixed time, on db. */
#define ENFORCE_IN(db, when, ...) \
	RUN_DB((db)->url, "enforce", __VA_ARGS__, "--now", (when), "--actor", "cron")
#define W(...) ENFORCE_IN(e2e_db(), NOW, __VA_ARGS__)
#define W2(...) ENFORCE_IN(e2e_db(), LATER, __VA_ARGS__)

/* What -v says about the plan (after "sessctl: HH:MM:SS.mmm "). */
#define PLAN_NONE "enforce: full pass (no earlier run recorded)"
#define PLAN_FULL "enforce: full pass (--full-pass)"
#define PLAN_LOWER "enforce: full pass (the limit is lower than the last run's)"
#define PLAN_DAY "enforce: full pass (the last full pass is a day old)"
#define PLAN_CLOCK "enforce: full pass (the record is later than this clock)"
#define PLAN_INCR plan_incr(SINCE_T)
#define PLAN_INCR_LATER plan_incr(LATER_SINCE_T)

#define ACTIVE_IDS_SQL "SELECT id FROM sessions WHERE is_active ORDER BY id"
#define AUDIT_SQL \
	"SELECT session_id, user_id, action, actor, COALESCE(reason, '-') FROM sessctl_audit " \
	"ORDER BY session_id, action"
#define STATE_SQL "SELECT id, max_sessions, since, full_at FROM sessctl_enforce_state ORDER BY id"
#define STATE_COUNT_SQL "SELECT count(*) FROM sessctl_enforce_state"

/* ---- times ---- */

/* t + offset seconds as "YYYY-MM-DD", sep, "HH:MM:SS", suffix (the
 * local time at that offset, which suffix may name), in one of a few
 * buffers that later calls reuse. */
static const char *text_at(long long t, long offset, const char *sep, const char *suffix)
{
	static char bufs[8][96];
	static unsigned next;
	char *b = bufs[next++ % 8], date[32], tod[32];
	time_t tt = (time_t)(t + offset);
	struct tm tm;

	cr_assert_not_null(gmtime_r(&tt, &tm));
	cr_assert_gt(strftime(date, sizeof(date), "%Y-%m-%d", &tm), 0);
	cr_assert_gt(strftime(tod, sizeof(tod), "%H:%M:%S", &tm), 0);
	snprintf(b, sizeof(bufs[0]), "%s%s%s%s", date, sep, tod, suffix);
	return b;
}

#define SQL_TIME " ", "" /* text_at(): "YYYY-MM-DD HH:MM:SS" */

/* What -v says of an incremental run that ranks from since. */
static const char *plan_incr(long long since)
{
	static char bufs[4][128];
	static unsigned next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "enforce: ranking the users active since %s UTC (--full-pass ranks all)",
		 text_at(since, 0, SQL_TIME));
	return b;
}

/* ---- fixtures ---- */

/* Adds sessions given as "(id, user_id, last_activity, TRUE|FALSE), ..."
 * to db, each with fingerprint fp<id> and created at 2024-01-01, as the
 * application would write them between two enforce runs. */
static void add_in(const struct e2e_db *db, const char *values)
{
	char *sql = malloc(strlen(values) + 256);

	cr_assert_not_null(sql);
	sprintf(sql, "INSERT INTO sessions (id, user_id, last_activity, is_active) VALUES %s", values);
	db_exec_in(db, sql);
	db_exec_in(db, "UPDATE sessions SET device_fingerprint = 'fp' || id, "
		       "created_at = '2024-01-01 00:00:00' WHERE device_fingerprint IS NULL");
	free(sql);
	db_fix_sequence_in(db);
}

static void add(const char *values)
{
	add_in(e2e_db(), values);
}

/* Users, then sessions as add_in() takes them. */
static void fx_in(const struct e2e_db *db, const char *values)
{
	fx_ten_users_in(db);
	add_in(db, values);
}

static void fx(const char *values)
{
	fx_in(e2e_db(), values);
}

/* ---- checks ---- */

/* The plan line of a -v run: the text after "sessctl: HH:MM:SS.mmm " of
 * the one line that tells the pass; else what is wrong, in brackets.
 * Freed by the caller. */
static char *plan_of(const char *err)
{
	char *copy = strdup(err), *save = NULL, *found = NULL;
	int n = 0;

	cr_assert_not_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned h, m, s, ms;
		int len = 0;
		if (!strstr(line, "enforce: full pass") && !strstr(line, "enforce: ranking"))
			continue;
		n++;
		free(found);
		if (sscanf(line, "sessctl: %2u:%2u:%2u.%3u %n", &h, &m, &s, &ms, &len) == 4 && len == 22)
			found = strdup(line + len);
		else if ((found = malloc(strlen(line) + 32)))
			sprintf(found, "[bad prefix: %s]", line);
		cr_assert_not_null(found);
	}
	free(copy);
	if (n == 1)
		return found;
	free(found);
	found = malloc(32);
	cr_assert_not_null(found);
	snprintf(found, 32, "[%d plan lines]", n);
	return found;
}

/* A -v run exited 0 and told exactly this plan. */
#define EXPECT_PLAN(r, want)                                                                  \
	do {                                                                                  \
		const struct run *rp_ = (r);                                                  \
		char *plan_ = plan_of(rp_->err);                                              \
		cr_expect_eq(rp_->status, 0, "%s: exit status %d; stderr: %s", rp_->what,     \
			     rp_->status, rp_->err);                                          \
		cr_expect_str_eq(plan_, (want), "%s: plan [%s], expected [%s]; stderr:\n%s", \
				 rp_->what, plan_, (want), rp_->err);                         \
		free(plan_);                                                                  \
	} while (0)

/* Exit 0, nothing on stderr, and this summary. */
#define EXPECT_SUMMARY(r, want)      \
	do {                         \
		EXPECT_OK(r);        \
		EXPECT_OUT(r, want); \
	} while (0)

/* The record on db is (max, since) with full_at in [lo, hi]. */
#define EXPECT_STATE_IN(db, max, since, lo, hi)                                                   \
	do {                                                                                      \
		const struct e2e_db *db_ = (db);                                                  \
		cr_expect_eq(db_int_in(db_, STATE_COUNT_SQL), 1, "not one enforce state row");   \
		long long m_ = db_int_in(db_, "SELECT max_sessions FROM sessctl_enforce_state");  \
		long long s_ = db_int_in(db_, "SELECT since FROM sessctl_enforce_state");         \
		long long f_ = db_int_in(db_, "SELECT full_at FROM sessctl_enforce_state");       \
		cr_expect_eq(m_, (long long)(max), "max_sessions %lld, expected %lld", m_,       \
			     (long long)(max));                                                   \
		cr_expect_eq(s_, (long long)(since), "since %lld, expected %lld", s_,            \
			     (long long)(since));                                                 \
		cr_expect(f_ >= (long long)(lo) && f_ <= (long long)(hi),                        \
			  "full_at %lld, expected %lld to %lld", f_, (long long)(lo), (long long)(hi)); \
	} while (0)
#define EXPECT_STATE(max, since, lo, hi) EXPECT_STATE_IN(e2e_db(), max, since, lo, hi)

static long long full_at(void)
{
	return db_int("SELECT full_at FROM sessctl_enforce_state WHERE id = 1");
}

/* Moves the recorded full pass an hour back (still under a day old) and
 * returns it: a run in the same second cannot then keep or renew it by
 * chance. */
static long long age_full_at(void)
{
	db_exec("UPDATE sessctl_enforce_state SET full_at = full_at - 3600");
	return full_at();
}

static long long real_now(void)
{
	return (long long)time(NULL);
}

/* The reference full pass on a twin database: with the record removed,
 * the run cannot be anything else (independent of --full-pass). */
static struct run *reference_full_pass(const struct e2e_db *twin, const char *when, const char *max)
{
	db_exec_in(twin, "DELETE FROM sessctl_enforce_state");
	struct run *r = ENFORCE_IN(twin, when, "-v", "--max-sessions", max, SUMMARY);
	EXPECT_PLAN(r, PLAN_NONE);
	return r;
}

/* The sessions and audit rows of two databases agree. */
static void expect_same_outcome(const struct e2e_db *a, const struct e2e_db *b, const char *what)
{
	char *sa = db_rows_in(a, ACTIVE_IDS_SQL), *sb = db_rows_in(b, ACTIVE_IDS_SQL);
	cr_expect_str_eq(sa, sb, "active sessions after %s:\n%s\nafter a full pass:\n%s", what, sa, sb);
	free(sa);
	free(sb);
	sa = db_rows_in(a, AUDIT_SQL);
	sb = db_rows_in(b, AUDIT_SQL);
	cr_expect_str_eq(sa, sb, "audit rows after %s:\n%s\nafter a full pass:\n%s", what, sa, sb);
	free(sa);
	free(sb);
}

/* ---- the record ---- */

Test(steady, migrate_creates_an_empty_state_table_and_the_activity_index)
{
	fx_ten_users_in(e2e_db());
	cr_expect(db_table_exists("sessctl_enforce_state"), "no sessctl_enforce_state table");
	cr_expect_eq(db_int(STATE_COUNT_SQL), 0);
	if (e2e_pg()) {
		/* partial: PostgreSQL writes new index entries for a closed
		 * session's new row version anyway */
		cr_expect_eq(db_int("SELECT count(*) FROM pg_indexes WHERE tablename = 'sessions' AND "
				    "indexname = 'idx_sessions_active_activity' AND "
				    "indexdef LIKE '%WHERE is_active'"), 1);
	} else {
		/* not partial, is_active not in it: closing does not touch it */
		cr_expect_eq(db_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
				    "tbl_name = 'sessions' AND name = 'idx_sessions_activity' AND "
				    "sql NOT LIKE '%WHERE%'"), 1);
		cr_expect_eq(db_int("SELECT count(*) FROM pragma_index_info('idx_sessions_activity') "
				    "WHERE name = 'is_active'"), 0);
		cr_expect_eq(db_int("SELECT count(*) FROM sqlite_schema WHERE "
				    "name = 'idx_sessions_active_activity'"), 0);
	}
}

Test(steady, the_first_run_is_a_full_pass_and_records_the_limit_since_and_full_at)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (51, 2, '2025-02-26 10:00:00', TRUE), "
	   "(52, 2, '2025-02-27 10:00:00', TRUE), (53, 2, '2025-02-27 11:00:00', TRUE), "
	   "(60, 3, '2025-01-01 00:00:00', TRUE)");
	long long t0 = real_now();
	struct run *r = W("-v", "--max-sessions", "3", SUMMARY);
	long long t1 = real_now();

	EXPECT_PLAN(r, PLAN_NONE);
	EXPECT_OUT(r, CSV_HEAD "1,1,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "51\n52\n53\n");
	EXPECT_ROWS(AUDIT_SQL, "50|2|over-limit|cron|-\n60|3|expire|cron|-\n");
	/* since: the earlier of the real start and --now (--now), less the
	 * slack; full_at: the real start. */
	EXPECT_STATE(3, SINCE_T, t0, t1);
	EXPECT_ROWS("SELECT id FROM sessctl_enforce_state", "1\n");
	/* idle_cutoff: the earlier of the real start and --now, less the
	 * idle timeout (720 h) */
	cr_expect_eq(db_int("SELECT idle_cutoff FROM sessctl_enforce_state"), NOW_T - 720 * 3600);
}

Test(steady, the_record_keeps_the_limit_the_run_used)
{
	fx_ten_users_in(e2e_db());
	long long t0 = real_now();
	struct run *r = W("--max-sessions", "7", SUMMARY);
	long long t1 = real_now();

	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_STATE(7, SINCE_T, t0, t1);
	/* From the environment too. */
	r = e2e_run(&(struct call){ .env = ARGV("MAX_SESSIONS_PER_USER=9") },
		    ARGV("enforce", "--now", NOW, "--actor", "cron", "-q"));
	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT max_sessions FROM sessctl_enforce_state"), 9);
}

Test(steady, since_is_the_real_start_less_the_slack_when_now_is_later)
{
	fx_ten_users_in(e2e_db());
	long long t0 = real_now();
	struct run *r = RUN("enforce", "--now", "2099-01-01 00:00:00", "--actor", "cron", "-q");
	long long t1 = real_now();

	EXPECT_OK(r);
	long long since = db_int("SELECT since FROM sessctl_enforce_state");
	cr_expect(since >= t0 - SLACK && since <= t1 - SLACK, "since %lld, expected %lld to %lld", since,
		  t0 - SLACK, t1 - SLACK);
	long long f = full_at();
	cr_expect(f >= t0 && f <= t1, "full_at %lld, expected %lld to %lld", f, t0, t1);
}

Test(steady, migrate_on_a_migrated_database_keeps_the_record_and_the_next_run_is_incremental)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE)");
	EXPECT_OK(W("-q"));
	char *before = db_rows(STATE_SQL);
	struct run *m = RUN("migrate");

	char want[96];
	snprintf(want, sizeof(want), "schema is up to date (version %d): nothing to do\n", SC_SCHEMA_VERSION);
	EXPECT_OK(m);
	EXPECT_OUT(m, want);
	EXPECT_ROWS(STATE_SQL, before);
	struct run *r = W("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	free(before);
}

/* ---- the incremental run ---- */

/* All dated 2025-02-27 or before, none idle at NOW or LATER:
 *   bob (2): 3 active, 50 the oldest;
 *   u3: 2 active;
 *   u4: 3 active, 70 and 71 tied oldest;
 *   u6: 3 active (80 the oldest) and 83 closed;
 *   u7: 3 active. */
#define FX_STEADY                                                                         \
	"(50, 2, '2025-02-25 10:00:00', TRUE), (51, 2, '2025-02-26 10:00:00', TRUE), "    \
	"(52, 2, '2025-02-27 10:00:00', TRUE), "                                          \
	"(60, 3, '2025-02-25 10:00:00', TRUE), (61, 3, '2025-02-26 10:00:00', TRUE), "    \
	"(70, 4, '2025-02-25 09:00:00', TRUE), (71, 4, '2025-02-25 09:00:00', TRUE), "    \
	"(72, 4, '2025-02-26 11:00:00', TRUE), "                                          \
	"(80, 6, '2025-02-20 10:00:00', TRUE), (81, 6, '2025-02-26 11:00:00', TRUE), "    \
	"(82, 6, '2025-02-27 12:00:00', TRUE), (83, 6, '2025-02-19 09:00:00', FALSE), "   \
	"(90, 7, '2025-02-21 10:00:00', TRUE), (91, 7, '2025-02-22 10:00:00', TRUE), "    \
	"(92, 7, '2025-02-23 10:00:00', TRUE)"

/* New sessions after the first run: bob's 100 after NOW, u4's 102
 * between since and NOW, u6's 103 exactly at since (all push their user
 * over 3); u3's 101 brings u3 to 3, no more. Then more, when given. */
static const char *steady_new(const char *more)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "(100, 2, '2025-03-01 00:30:00', TRUE), (101, 3, '2025-03-01 00:30:00', TRUE), "
		 "(102, 4, '2025-02-28 23:59:00', TRUE), (103, 6, '%s', TRUE)%s%s",
		 text_at(SINCE_T, 0, SQL_TIME), more ? ", " : "", more ? more : "");
	return buf;
}
#define FX_STEADY_NEW steady_new(NULL)

/* A cron job's usual run: nothing went idle, nobody went over the limit,
 * nothing is due to purge. It looks ahead in its plan's transaction and
 * records itself there (src/enforce-steady.c, look_ahead), but as a batch would
 * it still refuses an actor who is no admin (77), recording nothing. */
Test(steady, an_incremental_run_with_nothing_to_do_records_itself_and_still_checks_its_actor)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (51, 3, '2025-02-01 00:00:00', FALSE)");
	EXPECT_OK(W("-q", "--purge-after", "60d"));
	char *before = db_rows(STATE_SQL);

	struct run *r = RUN("enforce", "--now", LATER, "--actor", "bob", "--purge-after", "60d", "-q");
	EXPECT_FAIL(r, 77);
	EXPECT_ERR_HAS(r, "actor 'bob' is user 2 with role 'user', not admin");
	EXPECT_ROWS(STATE_SQL, before);
	free(before);

	r = W2("-v", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_ERR_HAS(r, "enforce: nothing to purge (found through the index)");
	EXPECT_ERR_HAS(r, "enforce: nothing to do (found through the indexes)\n");
	cr_expect_eq(db_int("SELECT since FROM sessctl_enforce_state"), LATER_SINCE_T);
	EXPECT_ROWS("SELECT id, is_active FROM sessions ORDER BY id",
		    e2e_pg() ? "50|t\n51|f\n" : "50|1\n51|0\n");
}

/* Each step looks ahead in turn and stops at the first with rows: here
 * the device limit's, with no idle session before it (the expire step
 * then makes no transaction), and a purge due after it. */
Test(steady, an_incremental_run_that_finds_users_over_the_limit_first_still_purges_what_is_due)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (51, 2, '2025-02-26 10:00:00', TRUE), "
	   "(52, 2, '2025-02-27 10:00:00', TRUE), (53, 3, '2024-12-31 00:30:00', FALSE)");
	EXPECT_OK(W("-q", "--purge-after", "60d"));
	add("(54, 2, '2025-03-01 00:30:00', TRUE)");
	struct run *r = W2("-v", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,1,1,false\r\n");
	cr_expect_null(strstr(r->err, "nothing to do"), "%s", r->err);
	EXPECT_ROWS(ACTIVE_IDS_SQL, "51\n52\n54\n");
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n51\n52\n54\n");
	EXPECT_ROWS(AUDIT_SQL, "50|2|over-limit|cron|-\n53|3|purge|cron|-\n");
	cr_expect_eq(db_int("SELECT since FROM sessctl_enforce_state"), LATER_SINCE_T);
}

Test(steady, an_incremental_run_closes_the_oldest_of_users_who_went_over_the_limit_as_a_full_pass_would)
{
	const struct e2e_db *twin = e2e_new_db();
	fx(FX_STEADY);
	fx_in(twin, FX_STEADY);
	long long t0 = real_now();
	struct run *r = W("-v", SUMMARY);
	long long t1 = real_now();

	EXPECT_PLAN(r, PLAN_NONE);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_STATE(3, SINCE_T, t0, t1);
	long long first_full = age_full_at();
	EXPECT_OK(ENFORCE_IN(twin, NOW, "-q"));

	add(FX_STEADY_NEW);
	add_in(twin, FX_STEADY_NEW);
	r = W2("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,3,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "51\n52\n60\n61\n71\n72\n81\n82\n90\n91\n92\n100\n101\n102\n103\n");
	EXPECT_ROWS(AUDIT_SQL, "50|2|over-limit|cron|-\n70|4|over-limit|cron|-\n80|6|over-limit|cron|-\n");
	/* since moves on to LATER's; full_at stays the first run's. */
	EXPECT_STATE(3, LATER_SINCE_T, first_full, first_full);

	/* The same data, a full pass: the same result. */
	struct run *full = reference_full_pass(twin, LATER, "3");
	EXPECT_OUT(full, r->out);
	expect_same_outcome(e2e_db(), twin, "an incremental run");

	/* Nothing left for the next run. */
	r = W2("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR_LATER);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_STATE(3, LATER_SINCE_T, first_full, first_full);
}

Test(steady, an_incremental_run_expires_idle_sessions_written_after_the_last_run)
{
	const struct e2e_db *twin = e2e_new_db();
	fx("(50, 2, '2025-02-25 10:00:00', TRUE)");
	fx_in(twin, "(50, 2, '2025-02-25 10:00:00', TRUE)");
	EXPECT_OK(W("-q"));
	EXPECT_OK(ENFORCE_IN(twin, NOW, "-q"));
	long long first_full = age_full_at();

	/* The cutoff at NOW is 2025-01-30 00:00:00, as it was at the first
	 * run: 110 is one second past it (written late, within the slack),
	 * 111 exactly at it, 112 nine minutes before it (the slack's edge),
	 * 113 closed, 114 recent, 115 without a time (never idle, as in a
	 * full pass). */
#define IDLE_NEW                                                                              \
	"(110, 3, '2025-01-29 23:59:59', TRUE), (111, 3, '2025-01-30 00:00:00', TRUE), "      \
	"(112, 4, '2025-01-29 23:50:00', TRUE), (113, 4, '2024-06-01 00:00:00', FALSE), "     \
	"(114, 5, '2025-02-28 23:59:00', TRUE), (115, 5, NULL, TRUE)"
	add(IDLE_NEW);
	add_in(twin, IDLE_NEW);
	struct run *r = W("-v", SUMMARY);

	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_ERR_HAS(r, "enforce: looking for idle sessions last active since 2025-01-29 23:50:00 UTC\n");
	EXPECT_OUT(r, CSV_HEAD "2,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n111\n114\n115\n");
	EXPECT_ROWS(AUDIT_SQL, "110|3|expire|cron|-\n112|4|expire|cron|-\n");
	EXPECT_STATE(3, SINCE_T, first_full, first_full);

	struct run *full = reference_full_pass(twin, NOW, "3");
	EXPECT_OUT(full, r->out);
	expect_same_outcome(e2e_db(), twin, "an incremental run");

	/* One second later 111 is idle too; then nothing is. */
	r = RUN("enforce", "--now", "2025-03-01 00:00:01", "--actor", "cron", "-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n114\n115\n");
	r = W("-v", SUMMARY);
	EXPECT_PLAN(r, plan_incr(SINCE_T + 1));
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
#undef IDLE_NEW
}

Test(steady, an_incremental_run_purges_as_a_full_pass_would)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (51, 2, '2024-12-01 00:00:00', FALSE)");
	EXPECT_OK(W("-q", "--idle-timeout", "90d"));
	/* 52 crossed the idle cutoff (2024-12-01) within the slack */
	add("(52, 3, '2024-11-30 23:55:00', TRUE), (53, 3, '2025-02-01 00:00:00', FALSE)");
	struct run *r = W("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);

	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "1,0,2,false\r\n");
	EXPECT_ROWS("SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions ORDER BY id",
		    "50|1\n53|0\n");
	EXPECT_ROWS(AUDIT_SQL, "51|2|purge|cron|-\n52|3|expire|cron|-\n52|3|purge|cron|-\n");
}

/* In steady state purge looks through the index of last activity before
 * it walks every closed session (SQLite: that walk held the write lock
 * half a second to a second at 800 k rows, at every cron run; PostgreSQL:
 * 0.4-0.7 s of every run at 1 M sessions, through migration 8's index): nothing
 * due, no walk; a closed session due, in whatever form its time is
 * written (on SQLite: with an offset, as epoch seconds stored as a
 * number), is purged as a full pass purges it. */
Test(steady, an_incremental_run_with_nothing_to_purge_does_not_walk_the_closed_sessions)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (51, 2, '2025-02-01 00:00:00', FALSE)");
	EXPECT_OK(W("-q", "--idle-timeout", "90d", "--purge-after", "60d"));
	struct run *r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_ERR_HAS(r, "enforce: nothing to purge (found through the index)");
	if (e2e_pg())
		add("(52, 3, '2024-11-01 10:00:00', FALSE)");
	else
		db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, last_activity, is_active) VALUES"
			" (52, 3, 'f52', '2024-11-01T10:00:00+05:00', 0), (53, 3, 'f53', 1730455200, 0),"
			" (54, 3, 'f54', '2025-01-05 00:00:00', 0)");
	r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, plan_incr(LATER_SINCE_T));
	EXPECT_OUT(r, e2e_pg() ? CSV_HEAD "0,0,1,false\r\n" : CSV_HEAD "0,0,2,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", e2e_pg() ? "50\n51\n" : "50\n51\n54\n");
}

/* A cron job every few minutes: a few closed sessions cross the purge
 * age between two runs. The run purges exactly those, found through the
 * index (it walked every closed session for them: on SQLite 0.3-0.4 s
 * a run at 100 k sessions, batches of 145-219 ms holding the write lock;
 * on PostgreSQL 0.5-0.75 s at 1 M, the walk's plan reading the primary
 * key). Times in the application's forms (SQLite), an active
 * session as old as the due ones (not purged: closed ones only), and
 * closed ones just short of the age are checked. */
Test(steady, an_incremental_run_purges_the_sessions_that_became_due_and_no_other)
{
	/* purge after 60d: due before 2024-12-31 00:00 at NOW, 01:00 at LATER */
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (51, 2, '2024-12-31 00:30:00', FALSE),"
	   " (52, 2, '2024-12-31 00:59:00', FALSE), (53, 2, '2024-12-31 01:30:00', FALSE),"
	   " (54, 3, '2024-12-31 00:20:00', TRUE)");
	if (!e2e_pg())
		db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, last_activity, is_active) VALUES"
			" (55, 3, 'f55', '2024-12-31T00:40:00Z', 0), (56, 3, 'f56', 1735605900, 0),"
			" (57, 4, 'f57', '2024-12-31T02:50:00+02:00', 0),"
			" (58, 4, 'f58', '2024-12-30T23:10:00-02:00', 0)");
	struct run *r = W("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_NONE);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");

	r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	if (e2e_pg()) {
		EXPECT_ERR_HAS(r, "enforce: purging through the index (2 sessions due)");
		EXPECT_OUT(r, CSV_HEAD "0,0,2,false\r\n");
		EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n53\n54\n");
	} else {
		EXPECT_ERR_HAS(r, "enforce: purging through the index (");
		EXPECT_OUT(r, CSV_HEAD "0,0,5,false\r\n");
		EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n53\n54\n58\n");
	}
	EXPECT_ROWS("SELECT count(*) FROM sessctl_audit WHERE action = 'purge'", e2e_pg() ? "2\n" : "5\n");
	/* and a run with nothing due after it says so */
	r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_ERR_HAS(r, "enforce: nothing to purge (found through the index)");
}

/* On SQLite the range of the index a purge reads ends 14 hours (and a
 * minute) past its cutoff, in each form a time before the cutoff may be
 * written in: "YYYY-MM-DD HH:MM:SS" with or without an offset, with a
 * 'T', or any other text of that date, whole. It ended at the end of the
 * day after that: at 1 M sessions, with the device limit's closed
 * sessions ahead of the cutoff, 35,000 entries, over the 20,000 of the
 * route through the index, and every cron run walked every closed
 * session (0.4-0.5 s of the write lock). At LATER the cutoff is
 * 2024-12-31 01:00 UTC. */
Test(steady, the_purge_reads_the_index_up_to_14_hours_past_its_cutoff_in_every_form)
{
	/* 60-62, 65, 68 due (UTC 00:30-00:59:59); 63 and 64 at or after the
	 * cutoff (01:00 and 01:00:30 UTC), in the range; 66 and 67 past it */
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (60, 2, '2024-12-31 14:59:30+14:00', FALSE),"
	   " (61, 2, '2024-12-31T14:59:59+14:00', FALSE), (63, 3, '2024-12-31 15:00:00+14:00', FALSE),"
	   " (64, 3, '2024-12-31T15:00:30+14:00', FALSE), (65, 3, '2024-12-31 00:59:59', FALSE),"
	   " (66, 4, '2024-12-31 16:00:00', FALSE), (67, 4, '2024-12-31T16:00:00Z', FALSE),"
	   " (68, 4, '2024-12-31 00:30', FALSE)");
	if (!e2e_pg()) /* a lowercase 't', which sessctl reads */
		add("(62, 5, '2024-12-31t14:59:00+14:00', FALSE)");
	else
		add("(62, 5, '2024-12-31 00:59:00', FALSE)");
	/* nothing due at NOW (cutoff 2024-12-31 00:00) */
	EXPECT_OUT(W("--idle-timeout", "90d", "--purge-after", "60d", SUMMARY), CSV_HEAD "0,0,0,false\r\n");
	struct run *r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,5,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n63\n64\n66\n67\n");
	if (!e2e_pg()) /* 60-65 and 68, not 66 and 67 (nor 50) */
		EXPECT_ERR_HAS(r, "enforce: purging through the index (7 sessions in its range)");
	else
		EXPECT_ERR_HAS(r, "enforce: purging through the index (5 sessions due)");
}

/* The purge through the index pages as the walk does, from each batch's
 * last id on: batches of one take every row due, consecutive ids and
 * both ends of the 64-bit range included. */
Test(steady, the_purge_through_the_index_takes_every_id_in_batches_of_one)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE)");
	EXPECT_OUT(W("--idle-timeout", "90d", "--purge-after", "60d", SUMMARY), CSV_HEAD "0,0,0,false\r\n");
	add("(-9223372036854775808, 2, '2024-12-30 00:00:00', FALSE), (70, 3, '2024-12-30 00:00:00', FALSE),"
	    " (71, 3, '2024-12-30 00:00:00', FALSE), (9223372036854775807, 4, '2024-12-30 00:00:00', FALSE)");
	struct run *r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", "--batch-size", "1", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_ERR_HAS(r, "enforce: purging through the index (");
	EXPECT_OUT(r, CSV_HEAD "0,0,4,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n");
}

/* Offsets past +14:00, which sessctl reads (up to +23:59) but no time
 * zone uses, lie past those ranges: an incremental run leaves such a
 * session for the daily full pass, which purges it (README, "enforce in
 * steady state"). Both are due at LATER (00:45 and 00:00 UTC). */
Test(steady, an_offset_past_14_hours_waits_for_the_full_pass_to_be_purged)
{
	if (e2e_pg())
		cr_skip_test("text forms of last_activity are SQLite's");
	fx("(50, 2, '2025-02-25 10:00:00', TRUE), (60, 2, '2024-12-31 15:30:00+14:45', FALSE),"
	   " (61, 2, '2024-12-31T20:00:00+20:00', FALSE)");
	EXPECT_OUT(W("--idle-timeout", "90d", "--purge-after", "60d", SUMMARY), CSV_HEAD "0,0,0,false\r\n");
	struct run *r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	r = W2("--full-pass", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_OUT(r, CSV_HEAD "0,0,2,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n");
}

/* A cutoff so early that 14 hours past it is still before year 0001:
 * the range is every text before 0001-01-01 (year 0, expanded years),
 * not no text at all (the commit review). At 08:00 on 0001-01-01 with
 * --purge-after 1d, the cutoff is 0000-12-31 08:00 UTC. */
Test(steady, a_purge_cutoff_before_year_0001_still_reads_the_texts_before_it)
{
	if (e2e_pg())
		cr_skip_test("text forms of last_activity are SQLite's");
	fx("(50, 2, '0001-01-01 06:00:00', TRUE)");
	struct run *r = ENFORCE_IN(e2e_db(), "0001-01-01 07:00:00", "--idle-timeout", "90d", "--purge-after",
				   "1d", SUMMARY);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	add("(60, 3, '0000-12-30 10:00:00', FALSE), (61, 3, '0001-01-01 05:00:00+14:00', FALSE)");
	r = ENFORCE_IN(e2e_db(), "0001-01-01 08:00:00", "-v", "--idle-timeout", "90d", "--purge-after", "1d",
		       SUMMARY);
	EXPECT_ERR_HAS(r, "enforce: ranking the users active since 0001-01-01 06:50:00 UTC");
	EXPECT_OUT(r, CSV_HEAD "0,0,1,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n61\n");
}

/* More closed sessions in the index's range than a purge reads batch
 * after batch through it (SQLite: 100,000 in the range; PostgreSQL:
 * 20,000 due): the run walks the table, as the catch-up does, and purges
 * every due one all the same. */
Test(steady, an_incremental_run_with_a_purge_backlog_walks_and_purges_it_all, .timeout = 120)
{
	fx("(50, 2, '2025-02-25 10:00:00', TRUE)");
	EXPECT_OK(W("-q", "--idle-timeout", "90d", "--purge-after", "60d"));
	db_exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100001)\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, last_activity, is_active)\n"
		"SELECT 1000 + i, 3, 'b' || i, '2024-12-31 00:30:00', FALSE FROM n");
	struct run *r = W2("-v", "--idle-timeout", "90d", "--purge-after", "60d", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,100001,false\r\n");
	cr_expect_null(strstr(r->err, "purging through the index"), "%s: %s", r->what, r->err);
	EXPECT_ROWS("SELECT id FROM sessions ORDER BY id", "50\n");
}

/* ---- the documented limitation, and the full passes that bound it ---- */

/* bob: 3 active, 53 closed and older than them all. */
#define FX_REACTIVATE                                                                     \
	"(50, 2, '2025-02-20 10:00:00', TRUE), (51, 2, '2025-02-21 10:00:00', TRUE), "    \
	"(52, 2, '2025-02-22 10:00:00', TRUE), (53, 2, '2025-02-19 10:00:00', FALSE), "   \
	"(60, 3, '2025-02-25 10:00:00', TRUE)"

/* The first run, then the application makes 53 active again without
 * touching its last_activity: bob has 4 active sessions, none recent. */
static void reactivate(void)
{
	fx(FX_REACTIVATE);
	struct run *r = W(SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
	db_exec("UPDATE sessions SET is_active = TRUE WHERE id = 53");
}

Test(steady, a_session_made_active_again_is_left_by_an_incremental_run_and_closed_by_full)
{
	reactivate();
	long long first_full = age_full_at();
	char *before = db_dump();

	/* A dry run takes the same path: nothing to do; with --full-pass, 53. */
	struct run *d = W("-v", "--dry-run", "-o", "csv", "--columns", "change,id");
	EXPECT_PLAN(d, PLAN_INCR);
	EXPECT_OUT(d, "change,id\r\n");
	d = W("-v", "--dry-run", "--full-pass", "-o", "csv", "--columns", "change,id");
	EXPECT_PLAN(d, PLAN_FULL);
	EXPECT_OUT(d, "change,id\r\nover-limit,53\r\n");
	EXPECT_UNCHANGED(before);

	struct run *r = W("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_UNCHANGED(before);
	EXPECT_STATE(3, SINCE_T, first_full, first_full);

	long long t0 = real_now();
	r = W("-v", "--full-pass", SUMMARY);
	long long t1 = real_now();
	EXPECT_PLAN(r, PLAN_FULL);
	EXPECT_OUT(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n51\n52\n60\n");
	EXPECT_ROWS(AUDIT_SQL, "53|2|over-limit|cron|-\n");
	/* --full-pass is a full pass: full_at moves on. */
	EXPECT_STATE(3, SINCE_T, t0, t1);
	free(before);
}

Test(steady, a_session_written_with_an_old_time_is_left_by_an_incremental_run_and_closed_by_full)
{
	fx(FX_REACTIVATE);
	EXPECT_OK(W("-q"));
	/* Written behind the application's back, with a time days before
	 * since: bob has 4 active sessions, 54 the oldest; and u3's 61, idle
	 * since long before the last run's idle cutoff (2025-01-30). */
	add("(54, 2, '2025-02-18 10:00:00', TRUE), (61, 3, '2024-06-01 00:00:00', TRUE)");
	struct run *r = W("-v", SUMMARY);

	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n51\n52\n54\n60\n61\n");
	r = W("-v", "--full-pass", SUMMARY);
	EXPECT_PLAN(r, PLAN_FULL);
	EXPECT_OUT(r, CSV_HEAD "1,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "54|2|over-limit|cron|-\n61|3|expire|cron|-\n");
}

Test(steady, a_record_without_an_idle_cutoff_makes_a_full_pass_that_records_one)
{
	fx(FX_REACTIVATE);
	EXPECT_OK(W("-q"));
	/* as a run before migration 6 left it, with a session it would
	 * have expired: idle since long before the cutoff */
	db_exec("UPDATE sessctl_enforce_state SET idle_cutoff = NULL");
	add("(61, 3, '2024-06-01 00:00:00', TRUE)");
	struct run *r = W("-v", SUMMARY);

	EXPECT_PLAN(r, "enforce: full pass (no idle cutoff recorded)");
	EXPECT_OUT(r, CSV_HEAD "1,0,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "61|3|expire|cron|-\n");
	cr_expect_eq(db_int("SELECT idle_cutoff FROM sessctl_enforce_state"), NOW_T - 720 * 3600);
	EXPECT_PLAN(W("-v", SUMMARY), PLAN_INCR);
}

Test(steady, a_full_pass_a_day_old_makes_the_next_run_a_full_pass)
{
	reactivate();
	long long first_full = full_at();

	/* 23 h old: still incremental, and full_at is kept as it is. */
	db_exec("UPDATE sessctl_enforce_state SET full_at = full_at - 82800");
	struct run *r = W("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n51\n52\n53\n60\n");
	EXPECT_STATE(3, SINCE_T, first_full - 82800, first_full - 82800);

	/* 25 h old: a full pass, which closes 53 and records a new full_at. */
	db_exec("UPDATE sessctl_enforce_state SET full_at = full_at - 7200");
	long long t0 = real_now();
	r = W("-v", SUMMARY);
	long long t1 = real_now();
	EXPECT_PLAN(r, PLAN_DAY);
	EXPECT_OUT(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n51\n52\n60\n");
	EXPECT_ROWS(AUDIT_SQL, "53|2|over-limit|cron|-\n");
	EXPECT_STATE(3, SINCE_T, t0, t1);

	/* And the run after it is incremental again. */
	r = W("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
}

Test(steady, the_documented_90000_seconds_older_full_at_closes_the_reactivated_session)
{
	reactivate();
	db_exec("UPDATE sessctl_enforce_state SET full_at = full_at - 90000");
	struct run *r = W("-v", SUMMARY);

	EXPECT_PLAN(r, PLAN_DAY);
	EXPECT_OUT(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "53|2|over-limit|cron|-\n");
}

Test(steady, a_full_at_in_the_future_makes_a_full_pass)
{
	/* A clock that went back since the last full pass. */
	reactivate();
	db_exec("UPDATE sessctl_enforce_state SET full_at = full_at + 90000");
	long long t0 = real_now();
	struct run *r = W("-v", SUMMARY);
	long long t1 = real_now();

	EXPECT_PLAN(r, PLAN_CLOCK);
	EXPECT_OUT(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "53|2|over-limit|cron|-\n");
	EXPECT_STATE(3, SINCE_T, t0, t1);
}

Test(steady, a_since_later_than_the_clock_or_a_full_at_out_of_range_makes_a_full_pass)
{
	reactivate();
	db_exec("UPDATE sessctl_enforce_state SET since = 9000000000");
	struct run *r = W("-v", "--dry-run", "-q");
	EXPECT_PLAN(r, PLAN_CLOCK);
	db_exec("UPDATE sessctl_enforce_state SET since = 1740786600, full_at = -9223372036854775807");
	r = W("-v", "--dry-run", "-q");
	EXPECT_PLAN(r, PLAN_DAY);
}

/* A run whose --now is earlier than the last run's record (a cron line
 * replaying a day, a script's fixed --now) is as a clock set back: a
 * full pass. It made an incremental one, ranking the users active since
 * the record, after its own time: bob, over the limit with a session of
 * before that time, was left (0, exit 0). */
Test(steady, a_now_earlier_than_the_record_makes_a_full_pass)
{
	fx(FX_STEADY);
	EXPECT_OK(W2("-q"));
	add("(100, 2, '2025-02-28 23:55:00', TRUE)");
	struct run *r = W("-v", SUMMARY);
	EXPECT_PLAN(r, "enforce: full pass (the record is later than --now)");
	EXPECT_OUT(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE user_id = 2 AND is_active ORDER BY id", "51\n52\n100\n");
}

/* ---- the limit against the recorded one ---- */

/* Dated 2025-02-27 or before, none idle:
 *   bob (2): 3 active;
 *   u3: 4 active, 61 the oldest;
 *   u4: 4 active, 70 and 71 tied oldest;
 *   u7: 6 active, oldest first 94, 91 and 93 (tied), 90. */
#define FX_LIMITS                                                                                  \
	"(50, 2, '2025-02-27 10:00:00', TRUE), (51, 2, '2025-02-27 11:00:00', TRUE), "             \
	"(52, 2, '2025-02-27 12:00:00', TRUE), "                                                   \
	"(60, 3, '2025-02-27 10:00:00', TRUE), (61, 3, '2025-02-27 09:00:00', TRUE), "             \
	"(62, 3, '2025-02-27 11:00:00', TRUE), (63, 3, '2025-02-27 12:00:00', TRUE), "             \
	"(70, 4, '2025-02-27 09:00:00', TRUE), (71, 4, '2025-02-27 09:00:00', TRUE), "             \
	"(72, 4, '2025-02-27 11:00:00', TRUE), (73, 4, '2025-02-27 12:00:00', TRUE), "             \
	"(90, 7, '2025-02-27 10:00:00', TRUE), (91, 7, '2025-02-27 08:00:00', TRUE), "             \
	"(92, 7, '2025-02-27 12:00:00', TRUE), (93, 7, '2025-02-27 08:00:00', TRUE), "             \
	"(94, 7, '2025-02-27 07:00:00', TRUE), (95, 7, '2025-02-27 11:00:00', TRUE)"

Test(steady, a_limit_lower_than_the_recorded_one_makes_a_full_pass)
{
	fx(FX_LIMITS);
	struct run *r = W("-v", "--max-sessions", "4", SUMMARY);

	EXPECT_PLAN(r, PLAN_NONE);
	EXPECT_OUT(r, CSV_HEAD "0,2,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "91|7|over-limit|cron|-\n94|7|over-limit|cron|-\n");
	cr_expect_eq(db_int("SELECT max_sessions FROM sessctl_enforce_state"), 4);
	age_full_at();

	/* 3 < 4: every user is ranked again, though none was active since. */
	long long t0 = real_now();
	r = W("-v", "--max-sessions", "3", SUMMARY);
	long long t1 = real_now();
	EXPECT_PLAN(r, PLAN_LOWER);
	EXPECT_OUT(r, CSV_HEAD "0,3,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "50\n51\n52\n60\n62\n63\n71\n72\n73\n90\n92\n95\n");
	EXPECT_ROWS(AUDIT_SQL, "61|3|over-limit|cron|-\n70|4|over-limit|cron|-\n"
			       "91|7|over-limit|cron|-\n93|7|over-limit|cron|-\n94|7|over-limit|cron|-\n");
	EXPECT_STATE(3, SINCE_T, t0, t1);
	long long full3 = age_full_at();

	/* The same limit, and a higher one: incremental; the record takes the
	 * limit of the run, full_at stays. */
	r = W("-v", "--max-sessions", "3", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	r = W("-v", "--max-sessions", "5", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_STATE(5, SINCE_T, full3, full3);

	/* Then 4 < 5 again: a full pass, nothing left over 4. */
	t0 = real_now();
	r = W("-v", "--max-sessions", "4", SUMMARY);
	t1 = real_now();
	EXPECT_PLAN(r, PLAN_LOWER);
	EXPECT_OUT(r, CSV_HEAD "0,0,0,false\r\n");
	EXPECT_STATE(4, SINCE_T, t0, t1);
	/* And 2 from the environment. */
	r = e2e_run(&(struct call){ .env = ARGV("MAX_SESSIONS_PER_USER=2") },
		    ARGV("enforce", "--now", NOW, "--actor", "cron", "-v", SUMMARY));
	EXPECT_PLAN(r, PLAN_LOWER);
	EXPECT_OUT(r, CSV_HEAD "0,4,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "51\n52\n62\n63\n72\n73\n92\n95\n");
}

/* ---- what does not write the record ---- */

Test(steady, dry_run_and_user_never_create_the_record)
{
	fx(FX_STEADY);
	char *before = db_dump();
	struct run *r = W("-v", "--dry-run", "-o", "csv", "--columns", "change,id");

	EXPECT_PLAN(r, PLAN_NONE);
	EXPECT_OUT(r, "change,id\r\n");
	EXPECT_UNCHANGED(before);
	cr_expect_eq(db_int(STATE_COUNT_SQL), 0, "a dry run recorded a state");

	r = W("--user", "bob", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,0,0,false\r\n");
	r = W("--user", "u4", "--max-sessions", "2", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,1,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "70|4|over-limit|cron|-\n");
	cr_expect_eq(db_int(STATE_COUNT_SQL), 0, "a --user run recorded a state");
	/* So the next run over everyone is the first full pass. */
	r = W("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_NONE);
	free(before);
}

Test(steady, dry_run_and_user_leave_the_record_as_it_was)
{
	fx(FX_STEADY);
	EXPECT_OK(W("-q"));
	char *state = db_rows(STATE_SQL);
	add(FX_STEADY_NEW);
	char *before = db_dump();

	/* A dry run reads the record and takes the incremental path... */
	struct run *r = ENFORCE_IN(e2e_db(), LATER, "-v", "--dry-run", "-o", "csv", "--columns", "change,id");
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, "change,id\r\nover-limit,50\r\nover-limit,70\r\nover-limit,80\r\n");
	EXPECT_UNCHANGED(before);
	EXPECT_ROWS(STATE_SQL, state);
	/* ... with --full-pass and a lower limit too, writing nothing. */
	r = ENFORCE_IN(e2e_db(), LATER, "-v", "--dry-run", "--full-pass", "-q");
	EXPECT_PLAN(r, PLAN_FULL);
	r = ENFORCE_IN(e2e_db(), LATER, "-v", "--dry-run", "--max-sessions", "2", "-q");
	EXPECT_PLAN(r, PLAN_LOWER);
	EXPECT_UNCHANGED(before);
	EXPECT_ROWS(STATE_SQL, state);

	/* --user changes that user's sessions and leaves the record. */
	r = ENFORCE_IN(e2e_db(), LATER, "-v", "--user", "bob", SUMMARY);
	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	cr_expect_null(strstr(r->err, "enforce: ranking"), "%s: a --user run ranked by the record: %s",
		       r->what, r->err);
	EXPECT_OUT(r, CSV_HEAD "0,1,0,false\r\n");
	r = ENFORCE_IN(e2e_db(), LATER, "--user", "u7", "--max-sessions", "1", "--full-pass", SUMMARY);
	EXPECT_SUMMARY(r, CSV_HEAD "0,2,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "50|2|over-limit|cron|-\n90|7|over-limit|cron|-\n91|7|over-limit|cron|-\n");
	EXPECT_ROWS(STATE_SQL, state);

	/* The next run still ranks from the first run's since. */
	r = W2("-v", SUMMARY);
	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "0,2,0,false\r\n");
	EXPECT_ROWS(AUDIT_SQL, "50|2|over-limit|cron|-\n70|4|over-limit|cron|-\n80|6|over-limit|cron|-\n"
			       "90|7|over-limit|cron|-\n91|7|over-limit|cron|-\n");
	free(state);
	free(before);
}

Test(steady, batches_of_one_give_the_same_incremental_result)
{
	const struct e2e_db *twin = e2e_new_db();
	/* After the first run: FX_STEADY_NEW, and sessions that crossed the
	 * idle cutoff between the runs (2025-01-30 00:00 at NOW, 01:00 at
	 * LATER), which expire before the limit counts: 110 would put u3
	 * over it, 112 u4 further over. */
#define BATCH_NEW steady_new("(110, 3, '2025-01-29 23:59:59', TRUE), "                       \
	"(112, 4, '2025-01-30 00:10:00', TRUE), (116, 8, '2025-01-30 00:20:00', TRUE), "      \
	"(117, 8, '2025-01-30 00:30:00', TRUE), (118, 9, '2025-01-30 00:59:59', TRUE)")
	fx(FX_STEADY);
	fx_in(twin, FX_STEADY);
	EXPECT_OK(W("-q"));
	EXPECT_OK(ENFORCE_IN(twin, NOW, "-q"));
	add(BATCH_NEW);
	add_in(twin, BATCH_NEW);
	struct run *r = W2("-v", "--batch-size", "1", SUMMARY);
	struct run *t = ENFORCE_IN(twin, LATER, "-v", SUMMARY);

	EXPECT_PLAN(r, PLAN_INCR);
	EXPECT_PLAN(t, PLAN_INCR);
	EXPECT_OUT(r, CSV_HEAD "5,3,0,false\r\n");
	EXPECT_OUT(t, r->out);
	EXPECT_ROWS(AUDIT_SQL, "50|2|over-limit|cron|-\n70|4|over-limit|cron|-\n80|6|over-limit|cron|-\n"
			       "110|3|expire|cron|-\n112|4|expire|cron|-\n116|8|expire|cron|-\n"
			       "117|8|expire|cron|-\n118|9|expire|cron|-\n");
	expect_same_outcome(e2e_db(), twin, "an incremental run in batches of one");
#undef BATCH_NEW
}

/* ---- SQLite: last_activity as the application wrote it ---- */

/* Every user 1 to 16 has 3 active sessions dated 2025-02-25 to 27 (ids
 * u*10, u*10+1, u*10+2, the first the oldest). */
#define FX_TEXT_BASE                                                                               \
	"(10, 1, '2025-02-25 10:00:00', TRUE), (11, 1, '2025-02-26 10:00:00', TRUE), "             \
	"(12, 1, '2025-02-27 10:00:00', TRUE), (20, 2, '2025-02-25 10:00:00', TRUE), "             \
	"(21, 2, '2025-02-26 10:00:00', TRUE), (22, 2, '2025-02-27 10:00:00', TRUE), "             \
	"(30, 3, '2025-02-25 10:00:00', TRUE), (31, 3, '2025-02-26 10:00:00', TRUE), "             \
	"(32, 3, '2025-02-27 10:00:00', TRUE), (40, 4, '2025-02-25 10:00:00', TRUE), "             \
	"(41, 4, '2025-02-26 10:00:00', TRUE), (42, 4, '2025-02-27 10:00:00', TRUE), "             \
	"(50, 5, '2025-02-25 10:00:00', TRUE), (51, 5, '2025-02-26 10:00:00', TRUE), "             \
	"(52, 5, '2025-02-27 10:00:00', TRUE), (60, 6, '2025-02-25 10:00:00', TRUE), "             \
	"(61, 6, '2025-02-26 10:00:00', TRUE), (62, 6, '2025-02-27 10:00:00', TRUE), "             \
	"(70, 7, '2025-02-25 10:00:00', TRUE), (71, 7, '2025-02-26 10:00:00', TRUE), "             \
	"(72, 7, '2025-02-27 10:00:00', TRUE), (80, 8, '2025-02-25 10:00:00', TRUE), "             \
	"(81, 8, '2025-02-26 10:00:00', TRUE), (82, 8, '2025-02-27 10:00:00', TRUE), "             \
	"(90, 9, '2025-02-25 10:00:00', TRUE), (91, 9, '2025-02-26 10:00:00', TRUE), "             \
	"(92, 9, '2025-02-27 10:00:00', TRUE), (100, 10, '2025-02-25 10:00:00', TRUE), "           \
	"(101, 10, '2025-02-26 10:00:00', TRUE), (102, 10, '2025-02-27 10:00:00', TRUE), "         \
	"(110, 11, '2025-02-25 10:00:00', TRUE), (111, 11, '2025-02-26 10:00:00', TRUE), "         \
	"(112, 11, '2025-02-27 10:00:00', TRUE), (120, 12, '2025-02-25 10:00:00', TRUE), "         \
	"(121, 12, '2025-02-26 10:00:00', TRUE), (122, 12, '2025-02-27 10:00:00', TRUE), "         \
	"(130, 13, '2025-02-25 10:00:00', TRUE), (131, 13, '2025-02-26 10:00:00', TRUE), "         \
	"(132, 13, '2025-02-27 10:00:00', TRUE), (140, 14, '2025-02-25 10:00:00', TRUE), "         \
	"(141, 14, '2025-02-26 10:00:00', TRUE), (142, 14, '2025-02-27 10:00:00', TRUE), "         \
	"(150, 15, '2025-02-25 10:00:00', TRUE), (151, 15, '2025-02-26 10:00:00', TRUE), "         \
	"(152, 15, '2025-02-27 10:00:00', TRUE), (160, 16, '2025-02-25 10:00:00', TRUE), "         \
	"(161, 16, '2025-02-26 10:00:00', TRUE), (162, 16, '2025-02-27 10:00:00', TRUE)"

/* Users 11 to 16 besides fx_ten_users_in()'s. */
#define MORE_USERS_SQL                                                                             \
	"INSERT INTO users (id, email, username, role) VALUES "                                    \
	"(11, 'u11@example.com', 'u11', 'user'), (12, 'u12@example.com', 'u12', 'user'), "         \
	"(13, 'u13@example.com', 'u13', 'user'), (14, 'u14@example.com', 'u14', 'user'), "         \
	"(15, 'u15@example.com', 'u15', 'user'), (16, 'u16@example.com', 'u16', 'user')"

/* Runs the first (full) run at first on db and twin, adds values to
 * both, then a run at when on db, which must be incremental and tell
 * plan, and a full pass on twin, and checks that both changed the same.
 * Returns the incremental run. */
static struct run *incremental_against_full(const struct e2e_db *twin, const char *base,
					    const char *values, const char *first, const char *when,
					    const char *max, const char *plan)
{
	fx_ten_users_in(e2e_db());
	fx_ten_users_in(twin);
	db_exec(MORE_USERS_SQL);
	db_exec_in(twin, MORE_USERS_SQL);
	add(base);
	add_in(twin, base);
	EXPECT_OK(ENFORCE_IN(e2e_db(), first, "--max-sessions", max, "-q"));
	EXPECT_OK(ENFORCE_IN(twin, first, "--max-sessions", max, "-q"));
	add(values);
	add_in(twin, values);
	struct run *r = ENFORCE_IN(e2e_db(), when, "-v", "--max-sessions", max, SUMMARY);
	EXPECT_PLAN(r, plan);
	struct run *full = reference_full_pass(twin, when, max);
	EXPECT_OUT(r, full->out);
	expect_same_outcome(e2e_db(), twin, "an incremental run");
	return r;
}

/* The text forms need times near a day's start or end, where a date
 * prefix and the time it stands for fall on different days: after a
 * first run at 06:00, a session at 06:30 UTC written at -11:00 is dated
 * the day before; a cutoff at 12:00 has sessions just before it written
 * at +14:00 dated the day after. */
#define EARLY "2025-03-01 06:00:00"
#define EARLY_T (NOW_T + 6 * 3600)
#define EARLY_LATER "2025-03-01 07:00:00"
#define NOON "2025-03-01 12:00:00"

Test(steady, sqlite_recent_times_in_every_form_put_their_user_over_the_limit)
{
	if (e2e_pg())
		cr_skip_test("text forms of last_activity are SQLite's");
	const struct e2e_db *twin = e2e_new_db();
	/* Each user's fourth session, at 2025-03-01 06:30:00 UTC (after the
	 * first run's since) as some application wrote it; u12's and u13's
	 * at since itself, u16's half a second after it. Alice's, u4's and
	 * u13's are dated the day before by their offsets. On SQLite a user
	 * is ranked for its own rows only, so each form stands alone. */
	const long long since = EARLY_T - SLACK;
	char values[2048];
	snprintf(values, sizeof(values),
		 "(15, 1, '2025-02-28T18:30:00-12:00', TRUE), "
		 "(25, 2, '2025-03-01T06:30:00Z', TRUE), "
		 "(35, 3, '2025-03-01T08:30:00+02:00', TRUE), "
		 "(45, 4, '2025-02-28T19:30:00-11:00', TRUE), "
		 "(55, 5, '2025-03-01 06:30:00.123456', TRUE), "
		 "(65, 6, '2025-03-01T06:30:00.5Z', TRUE), "
		 "(75, 7, '%lld', TRUE), "
		 "(85, 8, ' 2025-03-01 06:30:00', TRUE), "
		 "(95, 9, '2025-03-01t06:30:00z', TRUE), "
		 "(105, 10, '2025-03-01T08:30:00+0200', TRUE), "
		 "(115, 11, '2025-03-01T20:30:00+14:00', TRUE), "
		 "(125, 12, '%s', TRUE), "
		 "(135, 13, '%s', TRUE), "
		 "(145, 14, '2025-03-01 06:30', TRUE), "
		 "(155, 15, '2025-03-01T08:30:00+02', TRUE), "
		 "(165, 16, '%s', TRUE)",
		 EARLY_T + 1800, text_at(since, 0, SQL_TIME),
		 text_at(since, -36000, "T", "-10:00"),
		 text_at(since, 0, "T", ",5Z"));
	struct run *r = incremental_against_full(twin, FX_TEXT_BASE, values, EARLY, EARLY_LATER, "3",
						 plan_incr(since));

	EXPECT_OUT(r, CSV_HEAD "0,16,0,false\r\n");
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active ORDER BY id",
		    "10\n20\n30\n40\n50\n60\n70\n80\n90\n100\n110\n120\n130\n140\n150\n160\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id",
		    "10|1|over-limit\n20|2|over-limit\n30|3|over-limit\n40|4|over-limit\n"
		    "50|5|over-limit\n60|6|over-limit\n70|7|over-limit\n80|8|over-limit\n"
		    "90|9|over-limit\n100|10|over-limit\n110|11|over-limit\n120|12|over-limit\n"
		    "130|13|over-limit\n140|14|over-limit\n150|15|over-limit\n160|16|over-limit\n");
}

Test(steady, sqlite_idle_times_in_every_form_are_expired_by_an_incremental_run)
{
	if (e2e_pg())
		cr_skip_test("text forms of last_activity are SQLite's");
	const struct e2e_db *twin = e2e_new_db();
	/* The cutoff at NOON is 2025-01-30 12:00:00 UTC (1738238400), the
	 * first run's (at NOW) twelve hours earlier. 200 to 214 crossed it
	 * since (by a second or less before it, by ten minutes, or by 12
	 * hours: a date alone), or are unreadable;
	 * 220 to 228 are at it or after; 230 has no time at all. 203 and 223
	 * are dated the day after by their +14:00. */
	struct run *r = incremental_against_full(twin, "(20, 2, '2025-02-25 10:00:00', TRUE)",
		"(200, 2, '2025-01-30T11:59:59Z', TRUE), "
		"(201, 2, '2025-01-30T13:59:59+02:00', TRUE), "
		"(202, 2, '2025-01-30T00:59:59-11:00', TRUE), "
		"(203, 2, '2025-01-31T01:59:59+14:00', TRUE), "
		"(204, 2, '2025-01-30 11:59:59.999999', TRUE), "
		"(205, 2, '1738238399', TRUE), "
		"(206, 2, 'garbage', TRUE), "
		"(207, 2, '', TRUE), "
		"(208, 2, ' 2025-01-30 11:59:59', TRUE), "
		"(209, 2, '2025-01-30t11:59:59z', TRUE), "
		"(210, 2, '2025-01-30 11:50:00', TRUE), "
		"(211, 2, '2025-01-29T23:59:59-12:00', TRUE), "
		"(212, 2, '2025-01-30T13:59:59+0200', TRUE), "
		"(213, 2, '2025-01-30', TRUE), "
		"(214, 2, '2025-01-30 11:59', TRUE), "
		"(220, 2, '2025-01-30T12:00:00Z', TRUE), "
		"(221, 2, '2025-01-30T14:00:00+02:00', TRUE), "
		"(222, 2, '2025-01-30T01:00:00-11:00', TRUE), "
		"(223, 2, '2025-01-31T02:00:00+14:00', TRUE), "
		"(224, 2, '2025-01-30 12:00:00.000001', TRUE), "
		"(225, 2, '1738238400', TRUE), "
		"(226, 2, '2025-02-28 12:00:00', TRUE), "
		"(227, 2, '2025-01-31', TRUE), "
		"(228, 2, '2025-01-30 12:00', TRUE), "
		"(230, 2, NULL, TRUE)", NOW, NOON, "50", PLAN_INCR);

	EXPECT_OUT(r, CSV_HEAD "15,0,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "20\n220\n221\n222\n223\n224\n225\n226\n227\n228\n230\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id",
		    "200|2|expire\n201|2|expire\n202|2|expire\n203|2|expire\n204|2|expire\n"
		    "205|2|expire\n206|2|expire\n207|2|expire\n208|2|expire\n209|2|expire\n"
		    "210|2|expire\n211|2|expire\n212|2|expire\n213|2|expire\n214|2|expire\n");
}

Test(steady, sqlite_unreadable_times_are_expired_and_do_not_count_toward_the_limit)
{
	if (e2e_pg())
		cr_skip_test("text forms of last_activity are SQLite's");
	const struct e2e_db *twin = e2e_new_db();
	/* bob at the limit gets two unreadable sessions and one recent: the
	 * unreadable ones expire (idle since ever), then bob has 4 and his
	 * oldest readable one is closed. */
	struct run *r = incremental_against_full(twin,
		"(20, 2, '2025-02-25 10:00:00', TRUE), (21, 2, '2025-02-26 10:00:00', TRUE), "
		"(22, 2, '2025-02-27 10:00:00', TRUE)",
		"(23, 2, 'garbage', TRUE), (24, 2, '', TRUE), (25, 2, '2025-03-01T00:30:00Z', TRUE)",
		NOW, LATER, "3", PLAN_INCR);

	EXPECT_OUT(r, CSV_HEAD "2,1,0,false\r\n");
	EXPECT_ROWS(ACTIVE_IDS_SQL, "21\n22\n25\n");
	EXPECT_ROWS("SELECT session_id, user_id, action FROM sessctl_audit ORDER BY session_id",
		    "20|2|over-limit\n23|2|expire\n24|2|expire\n");
}
