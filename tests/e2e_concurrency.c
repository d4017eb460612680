/* Concurrency and interrupts, on both backends: two enforce runs beside
 * writers creating sessions, and enforce stopped by SIGINT or SIGTERM on a
 * large table. Afterwards the rules hold, every change has exactly one
 * audit row, nothing was closed or counted twice, and a rerun finishes
 * the job. */
#define _GNU_SOURCE /* timegm */
#include "e2e.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

TestSuite(concurrency, .init = e2e_setup, .fini = e2e_teardown, .timeout = 120);

#define NOW "2025-03-01 00:00:00"
#define SUMMARY "-o", "csv", "--no-header", "--columns", "expired,over_limit,purged,interrupted"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- two enforce runs and writers at the same time ---- */

#define USERS 20
#define SESSIONS 800

/* Users 1 (alice, admin) to 20; 800 sessions, ids by default, idle from 0
 * to 59 days; every 9th closed already (fingerprint "closed-N"). */
static void fx_crowd(void)
{
	size_t cap = 128 * 1024, n = 0;
	char *sql = malloc(cap);

	cr_assert_not_null(sql);
	db_migrate(NULL);
	n += (size_t)sprintf(sql, "INSERT INTO users (id, email, username, role) VALUES ");
	for (int u = 1; u <= USERS; u++)
		n += (size_t)sprintf(sql + n, "%s(%d, 'u%d@example.com', 'u%d', '%s')", u > 1 ? ", " : "", u,
				     u, u, u == 1 ? "admin" : "user");
	db_exec(sql);
	n = (size_t)sprintf(sql, "INSERT INTO sessions (user_id, device_fingerprint, created_at, "
				 "last_activity, is_active) VALUES ");
	for (int i = 1; i <= SESSIONS; i++) {
		int day = 28 - (i * 37) % 60; /* 2025-02-28 back to 2024-12-31 */
		char when[32];
		struct tm tm = { .tm_year = 125, .tm_mon = 1, .tm_mday = day, .tm_hour = (i * 7) % 24 };
		time_t t = timegm(&tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
		n += (size_t)snprintf(sql + n, cap - n, "%s(%d, '%s%d', '2024-01-01 00:00:00', '%s', %s)",
				      i > 1 ? ", " : "", 1 + i % USERS, i % 9 ? "fp" : "closed-", i, when,
				      i % 9 ? "TRUE" : "FALSE");
		cr_assert_lt(n, cap - 256);
	}
	db_exec(sql);
	free(sql);
}

/* What one process reported it changed (closing changes only). */
static long long closed_by_enforce(const struct run *r)
{
	long long e = 0, o = 0, p = 0;
	const char *stop;

	if (r->status == 0) {
		char flag[8];
		cr_expect_eq(sscanf(r->out, "%lld,%lld,%lld,%7s", &e, &o, &p, flag), 4, "%s: stdout [%s]",
			     r->what, r->out);
		return e + o;
	}
	/* 75 after some batches committed says what they did. */
	stop = strstr(r->err, "enforce stopped after ");
	if (stop)
		cr_expect_eq(sscanf(stop, "enforce stopped after %*d committed batches (%lld expired, "
				    "%lld over the limit, %lld purged)", &e, &o, &p), 3,
			     "%s: stderr [%s]", r->what, r->err);
	return e + o;
}

static long long closed_by_create(const struct run *r)
{
	long long n = 0;
	if (r->status != 0)
		return 0; /* 75: nothing was done */
	for (const char *p = r->out; (p = strstr(p, "over-limit,")); p++)
		n++;
	return n;
}

#define CLOSING "('expire', 'over-limit', 'logout', 'logout-all')"

static void expect_consistent_audit(void)
{
	cr_expect_eq(db_int("SELECT count(*) FROM sessions s WHERE NOT s.is_active AND "
			    "s.device_fingerprint NOT LIKE 'closed-%' AND (SELECT count(*) FROM "
			    "sessctl_audit a WHERE a.session_id = s.id AND a.action IN " CLOSING ") <> 1"),
		     0, "a session closed without exactly one closing audit row");
	cr_expect_eq(db_int("SELECT count(*) FROM (SELECT session_id FROM sessctl_audit WHERE action IN "
			    CLOSING " GROUP BY session_id HAVING count(*) > 1) t"), 0,
		     "a session closed twice");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit a WHERE a.action IN " CLOSING " AND "
			    "NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = a.session_id AND "
			    "NOT s.is_active AND s.device_fingerprint NOT LIKE 'closed-%')"), 0,
		     "a closing audit row for a session that sessctl did not close");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions s WHERE s.device_fingerprint LIKE 'new-%' AND "
			    "(SELECT count(*) FROM sessctl_audit a WHERE a.session_id = s.id AND "
			    "a.action = 'create') <> 1"), 0,
		     "a created session without exactly one create audit row");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit a WHERE a.action = 'create' AND NOT EXISTS "
			    "(SELECT 1 FROM sessions s WHERE s.id = a.session_id AND "
			    "s.device_fingerprint LIKE 'new-%')"), 0,
		     "a create audit row without its session");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE device_fingerprint LIKE 'closed-%' AND "
			    "is_active"), 0);
}

#define WRITERS 12

Test(concurrency, two_enforce_runs_and_writers_at_once_never_double_close_or_lose_audit_rows)
{
	fx_crowd();
	long long reported = 0;

	/* Two rounds: the second three weeks later, when more sessions are
	 * idle. */
	for (int round = 0; round < 2; round++) {
		const char *now = round ? "2025-03-22 00:00:00" : NOW;
		struct e2e_proc *enforce[2], *writer[WRITERS];
		struct run *re[2], *rw[WRITERS];
		char users[WRITERS][8], fps[WRITERS][32];
		int ok_enforce = 0;

		enforce[0] = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--batch-size", "5", "--now", now, "--actor", "cron-a",
					    SUMMARY));
		enforce[1] = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--batch-size", "5", "--now", now, "--actor", "cron-b",
					    SUMMARY));
		for (int i = 0; i < WRITERS; i++) {
			/* Four users, three new devices each, in turn. */
			snprintf(users[i], sizeof(users[i]), "u%d", 2 + i % 4);
			snprintf(fps[i], sizeof(fps[i]), "new-%d-%d", round, i);
			writer[i] = e2e_start(&(struct call){ 0 },
					      ARGV("create", "--user", users[i], "--fingerprint", fps[i],
						   "--now", now, "--actor", "writer", "-o", "csv", "--no-header",
						   "--columns", "change,id", "-q"));
		}
		for (int i = 0; i < 2; i++) {
			re[i] = e2e_wait(enforce[i]);
			cr_expect(re[i]->status == 0 || re[i]->status == 75, "%s: exit %d: %s", re[i]->what,
				  re[i]->status, re[i]->err);
			if (re[i]->status == 75)
				EXPECT_ERR_HAS(re[i], "sessctl: ");
			ok_enforce += re[i]->status == 0;
			reported += closed_by_enforce(re[i]);
		}
		for (int i = 0; i < WRITERS; i++) {
			rw[i] = e2e_wait(writer[i]);
			cr_expect(rw[i]->status == 0 || rw[i]->status == 75, "%s: exit %d: %s", rw[i]->what,
				  rw[i]->status, rw[i]->err);
			if (rw[i]->status == 0)
				cr_expect(strncmp(rw[i]->out, "created,", 8) == 0, "%s: stdout [%s]",
					  rw[i]->what, rw[i]->out);
			reported += closed_by_create(rw[i]);
		}
		if (!ok_enforce) {
			/* Both gave up (75, documented): one more run catches up. */
			cr_log_warn("round %d: both enforce runs exited 75", round);
			struct run *r = RUN("enforce", "--now", now, "--actor", "cron-c", SUMMARY);
			cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
			reported += closed_by_enforce(r);
		}

		/* The rules hold. */
		cr_expect_eq(db_int("SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active "
				    "GROUP BY user_id HAVING count(*) > 3) t"), 0,
			     "round %d: a user over the limit", round);
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sessions WHERE is_active AND "
			 "last_activity < '%s'", round ? "2025-02-20 00:00:00" : "2025-01-30 00:00:00");
		cr_expect_eq(db_int(sql), 0, "round %d: an idle session still active", round);
		/* Every change has exactly one audit row, none was made twice,
		 * and what the processes reported adds up to the audit rows. */
		expect_consistent_audit();
		cr_expect_eq(reported, db_int("SELECT count(*) FROM sessctl_audit WHERE action IN " CLOSING),
			     "round %d: the processes reported %lld closed sessions", round, reported);
		cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE device_fingerprint LIKE 'new-%'"),
			     db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'create'"));

		/* A final enforce changes nothing. */
		struct run *final = RUN("enforce", "--now", now, "--actor", "cron-final", SUMMARY);
		EXPECT_OK(final);
		EXPECT_OUT(final, "0,0,0,false\r\n");
	}
	cr_expect_gt(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'expire'"), 0);
	cr_expect_gt(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE actor = 'cron-final'"), 0);
}

Test(concurrency, creates_of_one_new_device_at_once_make_one_session)
{
	enum { N = 6 };
	struct e2e_proc *p[N];
	struct run *r[N];
	int created = 0, refreshed = 0;

	fx_crowd();
	for (int i = 0; i < N; i++)
		p[i] = e2e_start(&(struct call){ 0 },
				 ARGV("create", "--user", "u2", "--fingerprint", "same-device", "--now", NOW,
				      "--actor", "writer", "-o", "csv", "--no-header", "--columns", "change",
				      "-q"));
	for (int i = 0; i < N; i++) {
		r[i] = e2e_wait(p[i]);
		cr_expect(r[i]->status == 0 || r[i]->status == 75, "%s: exit %d: %s", r[i]->what,
			  r[i]->status, r[i]->err);
		if (r[i]->status == 0) {
			created += strncmp(r[i]->out, "created\r\n", 9) == 0;
			refreshed += strncmp(r[i]->out, "refreshed\r\n", 11) == 0;
		}
	}
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE device_fingerprint = 'same-device'"), 1);
	cr_expect_eq(created, 1, "%d runs reported the session created", created);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'create'"),
		     created + refreshed, "create audit rows against runs that reported a change");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 2 AND is_active"), 3);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions s WHERE s.user_id = 2 AND NOT s.is_active AND "
			    "s.device_fingerprint NOT LIKE 'closed-%' AND (SELECT count(*) FROM "
			    "sessctl_audit a WHERE a.session_id = s.id AND a.action = 'over-limit') <> 1"),
		     0, "a session closed without exactly one over-limit row");
}

/* ---- interrupts ---- */

#define BIG_USERS 20000
#define BIG_SESSIONS 200000

/* 20 000 users with 10 sessions each, all active, idle from 0 to 59
 * days: about half expire, and most users stay over the limit. */
static void fx_big(void)
{
	char sql[1024];

	db_migrate(NULL);
	if (e2e_pg()) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO users (id, email, username, role) SELECT i, 'u' || i || '@example.com', "
			 "'u' || i, CASE WHEN i = 1 THEN 'admin' ELSE 'user' END "
			 "FROM generate_series(1, %d) AS i", BIG_USERS);
		db_exec(sql);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active) "
			 "SELECT 1 + (i - 1) %% %d, 'fp' || i, '2024-01-01 00:00:00', "
			 "TIMESTAMPTZ '2025-03-01 00:00:00+00' - ((i * 7) %% 60) * INTERVAL '1 day' "
			 "- (i %% 24) * INTERVAL '1 hour', TRUE FROM generate_series(1, %d) AS i",
			 BIG_USERS, BIG_SESSIONS);
		db_exec(sql);
		db_exec("ANALYZE");
	} else {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO users (id, email, username, role) "
			 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
			 "SELECT i, 'u' || i || '@example.com', 'u' || i, "
			 "CASE WHEN i = 1 THEN 'admin' ELSE 'user' END FROM n", BIG_USERS);
		db_exec(sql);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active) "
			 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
			 "SELECT 1 + (i - 1) %% %d, 'fp' || i, '2024-01-01 00:00:00', "
			 "datetime('2025-03-01 00:00:00', '-' || ((i * 7) %% 60) || ' days', "
			 "'-' || (i %% 24) || ' hours'), 1 FROM n", BIG_SESSIONS, BIG_USERS);
		db_exec(sql);
	}
	cr_assert_eq(db_int("SELECT count(*) FROM sessions"), BIG_SESSIONS);
}

/* The sessctl process this test started (the only one running), by its
 * parent and name: the harness does not hand out pids. */
static pid_t running_sessctl(void)
{
	for (int tries = 0; tries < 2000; tries++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		pid_t found = 0;

		cr_assert_not_null(d);
		while (!found && (e = readdir(d))) {
			char path[300], buf[512], comm[64];
			int ppid;
			FILE *f;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			if (!(f = fopen(path, "r")))
				continue;
			if (fgets(buf, sizeof(buf), f)) {
				/* "pid (comm) state ppid ..." */
				char *open = strchr(buf, '('), *close = strrchr(buf, ')');
				if (open && close && close > open && (size_t)(close - open - 1) < sizeof(comm)) {
					memcpy(comm, open + 1, (size_t)(close - open - 1));
					comm[close - open - 1] = '\0';
					/* under make check-valgrind, memcheck runs sessctl */
					const char *vg = getenv("SESSCTL_TEST_VALGRIND");
					bool named = strcmp(comm, "sessctl") == 0 ||
						     (vg && *vg == '1' && strcmp(comm, "memcheck-amd64-") == 0);
					if (sscanf(close + 2, "%*c %d", &ppid) == 1 && ppid == getpid() && named)
						found = (pid_t)atoi(e->d_name);
				}
			}
			fclose(f);
		}
		closedir(d);
		if (found)
			return found;
		sleep_ms(5);
	}
	cr_assert_fail("the sessctl process did not show up");
	return 0;
}

static void expect_closed_iff_audited(void)
{
	cr_expect_eq(db_int("SELECT count(*) FROM sessions s WHERE NOT s.is_active AND (SELECT count(*) "
			    "FROM sessctl_audit a WHERE a.session_id = s.id) <> 1"), 0,
		     "a closed session without exactly one audit row");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit a WHERE NOT EXISTS (SELECT 1 FROM "
			    "sessions s WHERE s.id = a.session_id AND NOT s.is_active)"), 0,
		     "an audit row for a session that is not closed");
}

/* Starts enforce on the big table, sends sig once it has committed some
 * batches, and checks what the interrupted run left. */
static void interrupt_enforce(int sig, int want_status, const char *signame)
{
	fx_big();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("enforce", "--batch-size", "1000", "--now", NOW, "--actor",
					    "cron", SUMMARY));
	pid_t pid = running_sessctl();
	int waited = 0;

	/* Wait for the first committed batch: the handler is in place. */
	while (db_int("SELECT count(*) FROM sessctl_audit") == 0 && waited < 60000) {
		sleep_ms(10);
		waited += 10;
	}
	cr_assert_eq(kill(pid, sig), 0);
	struct run *r = e2e_wait(p);

	cr_expect_eq(r->status, want_status, "%s: exit %d, expected %d: %s", r->what, r->status,
		     want_status, r->err);
	EXPECT_ERR_HAS(r, "interrupted");
	EXPECT_ERR_HAS(r, signame);
	/* It printed what it did, and that is what the database holds. */
	long long e = -1, o = -1, pu = -1;
	char flag[8] = "";
	cr_expect_eq(sscanf(r->out, "%lld,%lld,%lld,%7s", &e, &o, &pu, flag), 4, "%s: stdout [%s]",
		     r->what, r->out);
	cr_expect_str_eq(flag, "true", "%s: stdout [%s]", r->what, r->out);
	long long audited = db_int("SELECT count(*) FROM sessctl_audit");
	cr_expect_eq(e + o, audited, "%s: reported %lld + %lld, audit rows %lld", r->what, e, o, audited);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE NOT is_active"), audited);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), BIG_SESSIONS);
	expect_closed_iff_audited();
	/* Stopped part-way: there is work left. */
	cr_expect_gt(db_int("SELECT count(*) FROM sessions WHERE is_active AND "
			    "last_activity < '2025-01-30 00:00:00'") +
			     db_int("SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active "
				    "GROUP BY user_id HAVING count(*) > 3) t"),
		     0, "the interrupted run had finished everything");

	/* A rerun finishes the job... */
	struct run *rerun = RUN("enforce", "--now", NOW, "--actor", "cron", SUMMARY);
	EXPECT_OK(rerun);
	long long e2 = 0, o2 = 0, p2 = 0;
	cr_expect_eq(sscanf(rerun->out, "%lld,%lld,%lld,false", &e2, &o2, &p2), 3, "%s: stdout [%s]",
		     rerun->what, rerun->out);
	cr_expect_gt(e2 + o2, 0);
	cr_expect_eq(e + o + e2 + o2, db_int("SELECT count(*) FROM sessctl_audit"));
	expect_closed_iff_audited();
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active AND "
			    "last_activity < '2025-01-30 00:00:00'"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active "
			    "GROUP BY user_id HAVING count(*) > 3) t"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active "
			    "GROUP BY user_id HAVING count(*) < 3) t"), 0,
		     "a user was closed below the limit");
	/* ... and a third run changes nothing. */
	struct run *third = RUN("enforce", "--now", NOW, "--actor", "cron", SUMMARY);
	EXPECT_OK(third);
	EXPECT_OUT(third, "0,0,0,false\r\n");
}

Test(concurrency, sigint_stops_enforce_between_batches_and_a_rerun_finishes)
{
	interrupt_enforce(SIGINT, 130, "SIGINT");
}

Test(concurrency, sigterm_stops_enforce_between_batches_with_143)
{
	interrupt_enforce(SIGTERM, 143, "SIGTERM");
}

/* The terminal of a run started by hand going away (an SSH session
 * dropped): it killed the run, with no summary. */
Test(concurrency, sighup_stops_enforce_between_batches_with_129)
{
	interrupt_enforce(SIGHUP, 129, "SIGHUP");
}
