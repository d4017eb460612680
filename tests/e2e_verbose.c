/* -v lines and the completion helper (issue 13, items 8 and 10), on every
 * backend: every -v line is stamped with the local time of day; a wait on
 * a locked SQLite database is told under -v (on an SQLite file in every
 * run: the wait is SQLite's); `__complete` finds users by prefix, and
 * sessions and fingerprints of one user. */
#include "e2e.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

TestSuite(verbose, .init = e2e_setup, .fini = e2e_teardown, .timeout = 120);
TestSuite(complete, .init = e2e_setup, .fini = e2e_teardown, .timeout = 120);

#define STAMP "^sessctl: ([0-9]{2}):([0-9]{2}):([0-9]{2})\\.[0-9]{3} "

/* The seconds since midnight the stamp of line says (-1: no stamp). */
static long stamp_of(const char *line)
{
	regex_t re;
	regmatch_t m[4];
	long s = -1;

	cr_assert_eq(regcomp(&re, STAMP, REG_EXTENDED), 0);
	if (regexec(&re, line, 4, m, 0) == 0)
		s = atol(line + m[1].rm_so) * 3600 + atol(line + m[2].rm_so) * 60 +
		    atol(line + m[3].rm_so);
	regfree(&re);
	return s;
}

/* The local time of day now, in the time zone sessctl runs with (the
 * harness gives every run TZ far from UTC: the stamp must follow it). */
static long local_now(void)
{
	time_t t = time(NULL);
	struct tm tm;
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	setenv("TZ", "NZST-12NZDT,M9.5.0,M4.1.0/3", 1);
	tzset();
	localtime_r(&t, &tm);
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	return tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
}

/* Every line of err is stamped, within a few seconds of now; returns the
 * number of lines. */
static int expect_stamped(const char *err)
{
	long now = local_now();
	int lines = 0;

	for (const char *p = err; *p;) {
		const char *nl = strchr(p, '\n');
		char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
		long s = stamp_of(line), d = labs(s - now) % 86400;
		cr_expect_geq(s, 0, "a -v line without a time stamp: '%s'", line);
		cr_expect(d <= 10 || d >= 86400 - 10, "the stamp of '%s' is not the local time "
			  "(%02ld:%02ld:%02ld)", line, now / 3600, now / 60 % 60, now % 60);
		free(line);
		lines++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return lines;
}

Test(verbose, every_line_carries_the_local_time_of_day)
{
	fx_standard();
	struct run *r = RUN("-v", "count", "alice");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "4\n");
	/* PostgreSQL: where libpq connected, then the URL */
	cr_expect_eq(expect_stamped(r->err), e2e_pg() ? 2 : 1, "lines: %s", r->err);
	char want[512];
	snprintf(want, sizeof(want), " using %s database '", e2e_pg() ? "postgresql" : "sqlite");
	EXPECT_ERR_HAS(r, want);
	if (e2e_pg()) {
		snprintf(want, sizeof(want), " connected to database '%s' as user 'postgres' on socket "
			 "directory %s port ", e2e_db()->path, e2e_pghost());
		EXPECT_ERR_HAS(r, want);
	}
}

Test(verbose, enforce_batch_lines_carry_the_time_too)
{
	fx_standard();
	struct run *r = RUN("-v", "enforce", "--batch-size", "1", "--idle-timeout", "720h",
			    "--now", "2025-03-01 00:00:00", "--actor", "cron", "-o", "csv");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	cr_expect_geq(expect_stamped(r->err), 2, "a using line and batch lines expected: %s", r->err);
	EXPECT_ERR_HAS(r, " batch 1: ");
	/* and how long the batch held its transaction */
	const char *b = strstr(r->err, " batch 1: ");
	unsigned ms = 0;
	char end = 0;
	b = b ? strstr(b, "; this batch ") : NULL;
	cr_expect(b && sscanf(b, "; this batch %u ms%c", &ms, &end) == 2 && end == ')' && ms < 60000,
		  "no batch time in: %s", r->err);
}

/* Holds the write lock of an SQLite file until release(). */
static sqlite3 *hold_write_lock(const char *path)
{
	sqlite3 *c = NULL;

	cr_assert_eq(sqlite3_open(path, &c), SQLITE_OK, "open %s", path);
	cr_assert_eq(sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK,
		     "BEGIN IMMEDIATE: %s", sqlite3_errmsg(c));
	return c;
}

static void release(sqlite3 *c)
{
	cr_assert_eq(sqlite3_exec(c, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

/* sessctl waits up to 5 s a try and tries a write again: held for 7 s,
 * -v says what it waits for after a second, again as the wait goes on
 * across the retry, and the change then goes through; without -v the
 * same wait says nothing. */
Test(verbose, a_wait_for_a_locked_sqlite_database_is_told)
{
	const struct e2e_db *db = e2e_sqlite_db("locked.db");
	fx_standard_in(db);
	sqlite3 *c = hold_write_lock(db->path);
	struct e2e_proc *loud = e2e_start(&(struct call){ .db = db->url },
					  ARGV("-v", "logout-all", "bob", "-y", "--actor", "t"));
	struct e2e_proc *quiet = e2e_start(&(struct call){ .db = db->url },
					   ARGV("logout", "10", "--actor", "t", "-o", "csv"));
	struct timespec hold = { 7, 0 };

	nanosleep(&hold, NULL);
	release(c);
	struct run *r = e2e_wait(loud), *q = e2e_wait(quiet);

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	expect_stamped(r->err);
	char want[1024];
	snprintf(want, sizeof(want), " waiting for the write lock on '%s': another process holds it "
		 "(each try gives up after 5 s)\n", db->path);
	EXPECT_ERR_HAS(r, want);
	snprintf(want, sizeof(want), " still waiting for the write lock on '%s' (6 s so far)\n",
		 db->path); /* told at 6 s: the retry after the first try's 5 s is the same wait */
	EXPECT_ERR_HAS(r, want);
	/* the first line says which database; the wait is told a second later */
	const char *line = strstr(r->err, " waiting for the write lock");
	cr_assert(strstr(r->err, " using sqlite database") && line, "%s", r->err);
	while (line > r->err && line[-1] != '\n')
		line--;
	long t0 = stamp_of(r->err), t1 = stamp_of(line);
	cr_expect(t1 - t0 >= 1 && t1 - t0 <= 2, "told after %ld s: %s", t1 - t0, r->err);
	cr_expect_eq(q->status, 0, "%s: exit %d: %s", q->what, q->status, q->err);
	cr_expect_null(strstr(q->err, "waiting"), "without -v a wait is silent: %s", q->err);
	cr_expect_eq(db_int_in(db, "SELECT count(*) FROM sessions WHERE is_active AND id IN (10, 20)"), 0);
}

/* ---- __complete ---- */

static struct run *complete(const char *a, const char *b, const char *c)
{
	if (!b)
		return RUN("__complete", a);
	if (!c)
		return RUN("__complete", a, b);
	return RUN("__complete", a, b, c);
}

#define EXPECT_COMPLETE(want, ...)                                              \
	do {                                                                    \
		struct run *c_ = complete(__VA_ARGS__);                         \
		EXPECT_OK(c_);                                                  \
		EXPECT_OUT(c_, want);                                           \
	} while (0)

Test(complete, users_by_prefix_of_email_username_or_id)
{
	fx_standard();
	EXPECT_COMPLETE("alice@example.com\tuser 1\nalice\tuser 1\n", "users", "al", NULL);
	EXPECT_COMPLETE("dup1@example.com\tuser 4\ndup2@example.com\tuser 5\n"
			"dupname\tuser 4\ndupname\tuser 5\n", "users", "dup", NULL);
	EXPECT_COMPLETE("3\tuser carol@example.com\n", "users", "3", NULL);
	EXPECT_COMPLETE("", "users", "zz", NULL);
	/* a prefix is text, never a pattern */
	EXPECT_COMPLETE("", "users", "%", NULL);
	EXPECT_COMPLETE("", "users", "_lice", NULL);
}

Test(complete, users_among_many_by_prefix_stop_at_200)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username)\n"
		" SELECT i, 'u' || i || '@example.com', 'user' || i FROM (\n"
		"  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)\n"
		"  SELECT i FROM n) t;");
	struct run *r = RUN("__complete", "users", "u599");
	EXPECT_OK(r);
	EXPECT_OUT(r, "u5990@example.com\tuser 5990\nu5991@example.com\tuser 5991\n"
		      "u5992@example.com\tuser 5992\nu5993@example.com\tuser 5993\n"
		      "u5994@example.com\tuser 5994\nu5995@example.com\tuser 5995\n"
		      "u5996@example.com\tuser 5996\nu5997@example.com\tuser 5997\n"
		      "u5998@example.com\tuser 5998\nu5999@example.com\tuser 5999\n"
		      "u599@example.com\tuser 599\n");
	r = RUN("__complete", "users", "u");
	EXPECT_OK(r);
	size_t lines = 0;
	for (const char *p = r->out; (p = strchr(p, '\n')); p++)
		lines++;
	cr_expect_eq(lines, 200, "at most 200 candidates, got %zu", lines);
	/* in byte order, as the index holds them: '0' sorts before '@' */
	cr_expect_eq(strncmp(r->out, "u1000@example.com\tuser 1000\n", 28), 0, "%.80s", r->out);
}

Test(complete, sessions_of_one_user_newest_first)
{
	fx_standard();
	EXPECT_COMPLETE("20\tuser 2, Pixel 8\n", "sessions", "bob", NULL);
	EXPECT_COMPLETE("14\tuser 1, unknown device\n12\tuser 1, Firefox on Linux\n"
			"11\tuser 1, Safari on iPhone\n10\tuser 1, Chrome on Windows 10\n",
			"sessions", "alice@example.com", NULL);
	EXPECT_COMPLETE("20\tuser 2, Pixel 8\n14\tuser 1, unknown device\n"
			"12\tuser 1, Firefox on Linux\n11\tuser 1, Safari on iPhone\n"
			"10\tuser 1, Chrome on Windows 10\n", "sessions", NULL, NULL);
	EXPECT_COMPLETE("", "sessions", "carol", NULL);
	EXPECT_COMPLETE("", "sessions", "nobody", NULL);
}

/* Ids are offered in the order of their numbers: PostgreSQL sorted the
 * ids it printed as text (99 after 1000), so past the 200 candidates the
 * newest sessions were the ones left out. */
Test(complete, ids_are_offered_in_numeric_order)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username)\n"
		" SELECT i, 'u' || i || '@example.com', 'user' || i FROM (\n"
		"  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)\n"
		"  SELECT i FROM n) t;\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, device_name)\n"
		" SELECT i, 7, 'fp' || i, 'd' || i FROM (\n"
		"  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)\n"
		"  SELECT i FROM n) t;");
	for (int per_user = 0; per_user < 2; per_user++) {
		struct run *r = per_user ? complete("sessions", "7", NULL) : complete("sessions", NULL, NULL);
		EXPECT_OK(r);
		const char *newest = "1000\tuser 7, d1000\n999\tuser 7, d999\n998\t";
		cr_expect_eq(strncmp(r->out, newest, strlen(newest)), 0, "%.80s", r->out);
		const char *last = r->out + r->out_len;
		while (last > r->out && last[-1] == '\n')
			last--;
		while (last > r->out && last[-1] != '\n')
			last--;
		cr_expect_eq(strcmp(last, "801\tuser 7, d801\n"), 0, "the 200th: %s", last);
	}
	struct run *r = complete("users", "1", NULL);
	EXPECT_OK(r);
	const char *first = "1\tuser u1@example.com\n10\tuser u10@example.com\n"
			    "11\tuser u11@example.com\n";
	cr_expect_eq(strncmp(r->out, first, strlen(first)), 0, "%.120s", r->out);
	cr_expect(strstr(r->out, "199\tuser u199@example.com\n1000\tuser u1000@example.com\n"),
		  "%s", r->out);
}

/* history --session: the sessions the newest audit entries name, closed
 * ones too, each once, newest first, described by its newest entry; of
 * one user when given. */
Test(complete, audited_sessions_newest_first_closed_ones_too)
{
	fx_standard();
	EXPECT_OK(RUN("logout", "10", "-q", "--actor", "ops"));
	EXPECT_OK(RUN("logout-all", "bob", "--yes", "-q", "--actor", "ops"));
	EXPECT_OK(RUN("create", "--user", "alice", "--fingerprint", "fp-a1", "-q", "--actor", "ops"));
	EXPECT_OK(RUN("logout", "11", "-q", "--actor", "ops"));
	/* 10: logout, then refreshed by create, which closed 14 over the
	 * limit; 20: logout-all; 11: logout */
	EXPECT_COMPLETE("11\tuser 1, logout\n14\tuser 1, over-limit\n10\tuser 1, create\n"
			"20\tuser 2, logout-all\n", "audited-sessions", NULL, NULL);
	EXPECT_COMPLETE("11\tuser 1, logout\n14\tuser 1, over-limit\n10\tuser 1, create\n",
			"audited-sessions", "alice", NULL);
	EXPECT_COMPLETE("20\tuser 2, logout-all\n", "audited-sessions", "2", NULL);
	EXPECT_COMPLETE("", "audited-sessions", "carol", NULL);
	EXPECT_COMPLETE("", "audited-sessions", "nobody", NULL);
}

Test(complete, fingerprints_of_a_users_active_sessions)
{
	fx_standard();
	EXPECT_COMPLETE("fp-a1\tChrome on Windows 10\nfp-a2\tSafari on iPhone\n"
			"fp-a3\tFirefox on Linux\nfp-a5\tunknown device\n", "fingerprints", "alice", NULL);
	EXPECT_COMPLETE("fp-a2\tSafari on iPhone\n", "fingerprints", "1", "fp-a2");
	EXPECT_COMPLETE("fp-b1\tPixel 8\n", "fingerprints", "bob", "fp");
	EXPECT_COMPLETE("", "fingerprints", "bob", "fp-b2"); /* closed */
	EXPECT_COMPLETE("", "fingerprints", "nobody", NULL);
	EXPECT_COMPLETE("", "fingerprints", NULL, NULL); /* needs a user */
}

/* The shells print candidates and descriptions as they are: a value with
 * a control character (or a byte that is not UTF-8) is not offered, and
 * a description shows '?' for each, so a device name cannot drive the
 * terminal while completing. */
Test(complete, data_that_could_drive_the_terminal_is_never_printed_raw)
{
	fx_standard();
	db_exec("UPDATE sessions SET device_fingerprint = 'fp-\x1b[2J' WHERE id = 11;"
		"UPDATE sessions SET device_fingerprint = 'fp-\xe2\x80\xae' WHERE id = 12;"
		"UPDATE sessions SET device_name = 'evil\x1b]0;title\x07\tx' WHERE id = 10");
	EXPECT_COMPLETE("fp-a1\tevil?]0;title??x\nfp-a5\tunknown device\n", "fingerprints", "alice",
			NULL);
	EXPECT_COMPLETE("14\tuser 1, unknown device\n12\tuser 1, Firefox on Linux\n"
			"11\tuser 1, Safari on iPhone\n10\tuser 1, evil?]0;title??x\n",
			"sessions", "alice", NULL);
}

Test(complete, silent_on_errors_and_unknown_requests)
{
	EXPECT_COMPLETE("", "users", "a", NULL); /* no schema */
	fx_standard();
	EXPECT_COMPLETE("", "groups", NULL, NULL);
	EXPECT_COMPLETE("", "users", "a", "b");
}
