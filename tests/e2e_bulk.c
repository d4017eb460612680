/* logout --where FILTERS and --all-users: it closes exactly what find
 * lists, with one audit row per session, refuses without a terminal
 * unless --yes, --dry-run lists what the real run closes, batches are
 * whole after an interrupt and a rerun finishes the job. (The prompts on
 * a terminal: tests/check-bulk-tty.sh.) */
#include "e2e.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

TestSuite(bulk, .init = e2e_setup, .fini = e2e_teardown, .timeout = 120);

#define NOW "2025-03-01 00:00:00"
#define W(...) RUN(__VA_ARGS__, "--now", NOW, "--actor", "ops")
#define SUMMARY "-o", "csv", "--no-header", "--columns", "closed,users,batches,interrupted"
/* Every column of find's rows but is_active (which a close changes). */
#define ROWCOLS "id,user_id,device_name,device_type,browser,ip_address,created_at,last_activity"

#define ACTIVE_IDS "SELECT id FROM sessions WHERE is_active ORDER BY id"
#define AUDIT_SQL \
	"SELECT session_id, user_id, action, actor, COALESCE(reason, '-') FROM sessctl_audit ORDER BY session_id"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The standard fixture plus sessions 100 to 159 of alice, bob and carol
 * (user 1 + i % 3), active but every fifth:
 *   i % 4 == 0  198.51.100.(i)         in 198.51.100.0/24
 *   i % 4 == 1  ::ffff:198.51.100.(i)  the same, IPv4-mapped
 *   i % 4 == 2  198.51.101.(i)         just outside it
 *   i % 4 == 3  2001:db8::(i)          IPv6
 * web on even i, mobile on odd. */
static void fx_fleet(void)
{
	char sql[16384];
	size_t n;

	fx_standard();
	n = (size_t)snprintf(sql, sizeof(sql),
			     "INSERT INTO sessions (id, user_id, device_fingerprint, device_name, "
			     "device_type, browser, ip_address, created_at, last_activity, is_active) VALUES ");
	for (int i = 100; i < 160; i++) {
		char ip[48];
		switch (i % 4) {
		case 0: snprintf(ip, sizeof(ip), "198.51.100.%d", i); break;
		case 1: snprintf(ip, sizeof(ip), "::ffff:198.51.100.%d", i); break;
		case 2: snprintf(ip, sizeof(ip), "198.51.101.%d", i); break;
		default: snprintf(ip, sizeof(ip), "2001:db8::%d", i); break;
		}
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
				      "%s(%d, %d, 'fleet-%d', 'Device %d', '%s', 'Firefox', '%s', "
				      "'2025-02-01 00:00:00', '2025-02-%02d 12:00:00', %s)",
				      i > 100 ? ", " : "", i, 1 + i % 3, i, i, i % 2 ? "mobile" : "web", ip,
				      1 + i % 28, i % 5 ? "TRUE" : "FALSE");
		cr_assert_lt(n, sizeof(sql) - 256);
	}
	db_exec(sql);
	db_fix_sequence_in(e2e_db());
}

/* ids as find prints them with the filters given (csv, one a line). */
static char *find_ids(const char *const *filters)
{
	const char *argv[32] = { "find" };
	size_t n = 1;

	for (; *filters; filters++)
		argv[n++] = *filters;
	argv[n++] = "-o";
	argv[n++] = "csv";
	argv[n++] = "--no-header";
	argv[n++] = "--columns";
	argv[n++] = "id";
	argv[n] = NULL;
	struct run *r = e2e_run(&(struct call){ 0 }, argv);
	EXPECT_OK(r);
	return strdup(r->out);
}

/* "id\r\n" lines into "id\n" lines, as db_rows prints them. */
static char *lf(const char *crlf)
{
	char *s = strdup(crlf), *w = s;

	cr_assert_not_null(s);
	for (const char *p = crlf; *p; p++)
		if (*p != '\r')
			*w++ = *p;
	*w = '\0';
	return s;
}

/* Every closed session has exactly one audit row, and every audit row is
 * a logout of a closed session. */
static void expect_closed_iff_audited(void)
{
	cr_expect_eq(db_int("SELECT count(*) FROM sessions s WHERE NOT s.is_active AND (SELECT count(*) "
			    "FROM sessctl_audit a WHERE a.session_id = s.id) > 1"), 0,
		     "a closed session with more than one audit row");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit a WHERE a.action <> 'logout' OR NOT EXISTS "
			    "(SELECT 1 FROM sessions s WHERE s.id = a.session_id AND NOT s.is_active)"), 0,
		     "an audit row that is not the logout of a closed session");
}

Test(bulk, where_ip_cidr_closes_exactly_what_find_lists_with_one_audit_row_each)
{
	fx_fleet();
	const char *const filter[] = { "--ip", "198.51.100.0/24", NULL };
	char *listed = find_ids(filter);
	char *want = lf(listed);
	long long n = db_int("SELECT count(*) FROM sessions WHERE is_active");
	long long audited_before = db_int("SELECT count(*) FROM sessctl_audit");

	cr_assert_eq(audited_before, 0);
	struct run *r = W("logout", "--where", "--ip", "198.51.100.0/24", "--yes", "--reason", "incident 7",
			  SUMMARY);
	EXPECT_OK(r);
	/* 30 sessions in the /24 (plain and IPv4-mapped), a fifth closed
	 * already: 24, of alice, bob and carol; one batch. */
	EXPECT_OUT(r, "24,3,1,false\r\n");
	char *closed = db_rows("SELECT s.id FROM sessions s JOIN sessctl_audit a ON a.session_id = s.id "
			       "WHERE NOT s.is_active ORDER BY s.id");
	cr_expect_str_eq(closed, want, "closed:\n%s\nfind listed:\n%s", closed, want);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), n - 24);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE action = 'logout' AND actor = 'ops' "
			    "AND reason = 'incident 7'"), 24);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit a JOIN sessions s ON s.id = a.session_id "
			    "WHERE a.user_id <> s.user_id"), 0, "an audit row with the wrong user");
	expect_closed_iff_audited();

	/* Idempotent: a rerun has nothing left, and find lists nothing. */
	struct run *again = W("logout", "--where", "--ip", "198.51.100.0/24", "--yes", SUMMARY);
	EXPECT_OK(again);
	EXPECT_OUT(again, "0,0,0,false\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 24);
	char *left = find_ids(filter);
	cr_expect_str_eq(left, "");
	free(left);
	free(closed);
	free(want);
	free(listed);
}

Test(bulk, filters_combine_as_in_find)
{
	fx_fleet();
	const char *const filter[] = { "--user", "bob", "--user", "carol@example.com", "--device-type",
				       "mobile", "--seen-since", "2025-02-10", "--browser", "Firefox",
				       NULL };
	char *listed = find_ids(filter);
	char *want = lf(listed);

	struct run *r = W("logout", "--where", "--user", "bob", "--user", "carol@example.com",
			  "--device-type", "mobile", "--seen-since", "2025-02-10", "--browser", "Firefox",
			  "--yes", "-q");
	EXPECT_OK(r);
	EXPECT_NO_OUT(r);
	cr_expect_neq(strlen(want), 0, "the filters select nothing: the test proves nothing");
	char *closed = db_rows("SELECT session_id FROM sessctl_audit ORDER BY session_id");
	cr_expect_str_eq(closed, want, "closed:\n%s\nfind listed:\n%s", closed, want);
	expect_closed_iff_audited();
	free(closed);
	free(want);
	free(listed);
}

/* The dry run prints what find prints (as rows of a change), in every
 * format, changes nothing, and the real run closes exactly those. */
Test(bulk, dry_run_lists_what_find_lists_and_what_the_real_run_closes)
{
	fx_fleet();
	char *before = db_dump();
	static const char *const formats[] = { "csv", "json", "ndjson", "table" };

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct run *f = RUN("find", "--ip", "198.51.100.0/24", "--now", NOW, "-o", formats[i],
				    "--columns", ROWCOLS);
		/* No --yes and no terminal: a dry run needs neither. */
		struct run *d = W("logout", "--where", "--ip", "198.51.100.0/24", "--dry-run", "-o",
				  formats[i], "--columns", ROWCOLS);
		EXPECT_OK(f);
		cr_expect_eq(d->status, 0, "%s: exit %d: %s", d->what, d->status, d->err);
		if (strcmp(formats[i], "table") == 0) {
			/* The rows, then the summary line. */
			size_t len = strlen(f->out);
			cr_expect(strncmp(d->out, f->out, len) == 0, "%s:\n%s\nfind:\n%s", d->what, d->out,
				  f->out);
			cr_expect_str_eq(d->out + (strlen(d->out) >= len ? len : 0),
					 "would close 24 sessions (dry run: nothing was changed)\n");
		} else {
			EXPECT_OUT(d, f->out);
			cr_expect_str_eq(d->err, "would close 24 sessions (dry run: nothing was changed)\n");
		}
	}
	struct run *ids = W("logout", "--where", "--ip", "198.51.100.0/24", "--dry-run", "-o", "csv",
			    "--columns", "change,id", "--no-header", "--batch-size", "5");
	EXPECT_UNCHANGED(before);

	struct run *real = W("logout", "--where", "--ip", "198.51.100.0/24", "--yes", "--batch-size", "5",
			     SUMMARY);
	EXPECT_OK(real);
	EXPECT_OUT(real, "24,3,5,false\r\n");
	char *closed = db_rows("SELECT 'closed,' || session_id FROM sessctl_audit ORDER BY session_id");
	char *dry = lf(ids->out);
	cr_expect_str_eq(closed, dry, "closed:\n%s\ndry run listed:\n%s", closed, dry);
	free(dry);
	free(closed);
	free(before);
}

/* Sessions whose ids are the ends of the 64-bit range are found and
 * closed, whether a batch starts or ends on one (batches of one) or holds
 * them all. */
#define EXTREME_IDS "-9223372036854775808\r\n-9223372036854775807\r\n0\r\n9223372036854775807\r\n"

Test(bulk, finds_and_closes_ids_down_to_the_smallest_and_up_to_the_largest)
{
	fx_standard();
	db_exec("INSERT INTO sessions (id, user_id, browser, created_at, last_activity, is_active) VALUES "
		"(-9223372036854775808, 1, 'Lynx', '2025-02-01 00:00:00', '2025-02-28 10:00:00', TRUE), "
		"(-9223372036854775807, 2, 'Lynx', '2025-02-01 00:00:00', '2025-02-28 10:00:00', TRUE), "
		"(0, 1, 'Lynx', '2025-02-01 00:00:00', '2025-02-28 10:00:00', TRUE), "
		"(9223372036854775807, 2, 'Lynx', '2025-02-01 00:00:00', '2025-02-28 10:00:00', TRUE)");
	char *before = db_dump();

	struct run *f = RUN("find", "--browser", "Lynx", "--now", NOW, "-o", "csv", "--columns", "id");
	EXPECT_OK(f);
	EXPECT_OUT(f, "id\r\n" EXTREME_IDS);
	struct run *d = W("logout", "--where", "--browser", "Lynx", "--dry-run", "-o", "csv", "--columns",
			  "id");
	cr_expect_eq(d->status, 0, "%s: exit %d: %s", d->what, d->status, d->err);
	EXPECT_OUT(d, "id\r\n" EXTREME_IDS);
	d = W("logout", "--where", "--browser", "Lynx", "--dry-run", "--batch-size", "1", "-o", "csv",
	      "--columns", "id");
	cr_expect_eq(d->status, 0, "%s: exit %d: %s", d->what, d->status, d->err);
	EXPECT_OUT(d, "id\r\n" EXTREME_IDS);
	EXPECT_UNCHANGED(before);

	struct run *r = W("logout", "--where", "--browser", "Lynx", "--batch-size", "1", "--yes", SUMMARY);
	EXPECT_OK(r);
	EXPECT_OUT(r, "4,2,4,false\r\n");
	EXPECT_ROWS("SELECT session_id, user_id FROM sessctl_audit ORDER BY session_id",
		    "-9223372036854775808|1\n-9223372036854775807|2\n0|1\n9223372036854775807|2\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE browser = 'Lynx' AND is_active"), 0);
	free(before);
}

Test(bulk, all_users_closes_every_active_session)
{
	fx_fleet();
	long long active = db_int("SELECT count(*) FROM sessions WHERE is_active");
	long long users = db_int("SELECT count(DISTINCT user_id) FROM sessions WHERE is_active");
	char want[64];

	snprintf(want, sizeof(want), "%lld,%lld,1,false\r\n", active, users);
	struct run *r = W("logout", "--all-users", "--yes", "--reason", "breach", SUMMARY);
	EXPECT_OK(r);
	EXPECT_OUT(r, want);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE reason = 'breach'"), active);
	expect_closed_iff_audited();

	/* --where --all-users is the same; nothing is left. */
	struct run *again = W("logout", "--where", "--all-users", "--yes", SUMMARY);
	EXPECT_OK(again);
	EXPECT_OUT(again, "0,0,0,false\r\n");
}

Test(bulk, the_table_summary_and_json)
{
	fx_fleet();
	struct run *r = W("logout", "--where", "--ip", "2001:db8::/32", "--yes");
	EXPECT_OK(r);
	EXPECT_OUT(r, "CLOSED       13\nUSERS        3\nBATCHES      1\nINTERRUPTED  false\nLOCKED       0\n");
	r = W("logout", "--where", "--ip", "198.51.101.0/24", "--yes", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"closed\":12,\"users\":3,\"batches\":1,\"interrupted\":false,\"locked\":0}\n");
}

Test(bulk, refuses_without_a_terminal_unless_yes)
{
	fx_fleet();
	char *before = db_dump();
	static const char *const answers[] = { "", "y\n", "yes\n" };

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .in = answers[i] },
					ARGV("logout", "--where", "--ip", "198.51.100.0/24", "--now", NOW,
					     "--actor", "ops"));
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "give --yes");
		EXPECT_NO_OUT(r);
		r = e2e_run(&(struct call){ .in = answers[i] },
			    ARGV("logout", "--all-users", "--now", NOW, "--actor", "ops"));
		EXPECT_FAIL(r, 64);
		/* A bad value is told first: the thing to mend before --yes. */
		r = e2e_run(&(struct call){ .in = answers[i] },
			    ARGV("logout", "--where", "--ip", "198.51.100.0/40", "--actor", "ops"));
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "bad prefix length in '198.51.100.0/40'");
		r = e2e_run(&(struct call){ .in = answers[i] },
			    ARGV("logout", "--where", "--ip", "198.51.100.0/24", "--columns", "nope"));
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "unknown column 'nope'");
		r = e2e_run(&(struct call){ .in = answers[i] },
			    ARGV("logout-all", "alice", "--columns", "nope"));
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "unknown column 'nope'");
		EXPECT_NO_OUT(r);
	}
	EXPECT_UNCHANGED(before);
	free(before);
	struct run *r = e2e_run(&(struct call){ .in = "n\n" },
				ARGV("logout", "--where", "--ip", "198.51.100.0/24", "-y", "--now", NOW,
				     "--actor", "ops", "-q"));
	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 24);
}

Test(bulk, usage_errors_change_nothing)
{
	fx_fleet();
	char *before = db_dump();
	struct run *r;

	r = W("logout", "--where", "--yes");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "--all-users");
	r = W("logout", "--where", "--ip", "10.0.0.0/8", "10", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--all-users", "--ip", "10.0.0.0/8", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--user", "alice", "--latest", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--ip", "10.0.0.0/8", "--device", "fp-a1", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--ip", "10.0.0.0/8", "--yes");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "--where");
	r = W("logout", "10", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--user", "alice", "--user", "bob", "--latest");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--ip", "10.0.0.300", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--device-type", "tablet", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--seen-since", "yesterday", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--ip", "10.0.0.0/8", "--batch-size", "0", "--yes");
	EXPECT_FAIL(r, 64);
	/* find's --all (the inactive too) is no abbreviation of --all-users,
	 * a forced logout of everyone */
	r = W("logout", "--where", "--all", "--yes");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "logout has no --all");
	r = W("logout", "--where", "--user", "alice", "--all", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--where", "--al", "--yes");
	EXPECT_FAIL(r, 64);
	/* nor is any shortening of --all-users (other options' may be) */
	static const char *const shortened[] = { "--all-u", "--all-user", "--all-" };
	for (size_t i = 0; i < sizeof(shortened) / sizeof(shortened[0]); i++) {
		r = W("logout", shortened[i], "--yes");
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "shortens --all-users: write it in full");
		r = W("logout", "--where", "--user", "alice", shortened[i], "--yes");
		EXPECT_FAIL(r, 64);
	}
	/* the guard is never offered */
	r = W("logout", "--where", "--alll", "--yes");
	EXPECT_FAIL(r, 64);
	cr_expect_null(strstr(r->err, "'--all'"), "%s: %s", r->what, r->err);
	r = W("logout", "--where", "--al", "--yes");
	cr_expect_null(strstr(r->err, "--all,"), "%s: %s", r->what, r->err);
	cr_expect_null(strstr(r->err, ", --all "), "%s: %s", r->what, r->err);
	/* Errors the database answers: an unknown user, a non-admin actor. */
	r = W("logout", "--where", "--user", "alice", "--user", "nobody", "--yes");
	EXPECT_FAIL(r, 67);
	r = RUN("logout", "--where", "--ip", "10.0.0.0/8", "--yes", "--now", NOW, "--actor", "bob");
	EXPECT_FAIL(r, 77);
	r = RUN("logout", "--where", "--ip", "10.0.0.0/8", "--dry-run", "--now", NOW, "--actor", "bob");
	EXPECT_FAIL(r, 77);
	/* A bad --columns of a dry run before the database: 64, not the
	 * missing file's 66 (enforce --dry-run and the real run did so). */
	r = RUN_DB("/nonexistent/sessions.db", "logout", "--where", "--ip", "10.0.0.0/8", "--dry-run",
		   "--columns", "bogus");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "unknown column 'bogus'");
	EXPECT_UNCHANGED(before);
	free(before);
}

/* ---- interrupts ---- */

#define MANY 5000

/* MANY sessions of 50 users: even ones from 10.x (what the test closes),
 * odd ones from 192.0.2.x. An SQLite file in WAL mode, as applications
 * run it: in rollback-journal mode, small batches that each commit with
 * fsyncs hold the file locked nearly all the time, and the test's own
 * reads (waiting for the first batch) would starve until the run ends. */
static void fx_many(void)
{
	size_t cap = 512 * 1024, n;
	char *sql = malloc(cap);

	cr_assert_not_null(sql);
	db_migrate(NULL);
	if (!e2e_pg()) {
		db_exec("PRAGMA journal_mode = WAL");
		char *mode = db_rows("PRAGMA journal_mode");
		cr_assert_str_eq(mode, "wal\n");
		free(mode);
	}
	n = (size_t)sprintf(sql, "INSERT INTO users (id, email, username, role) VALUES ");
	for (int u = 1; u <= 50; u++)
		n += (size_t)sprintf(sql + n, "%s(%d, 'u%d@example.com', 'u%d', 'user')", u > 1 ? ", " : "",
				     u, u, u);
	db_exec(sql);
	n = (size_t)sprintf(sql, "INSERT INTO sessions (user_id, device_fingerprint, ip_address, "
				 "last_activity, is_active) VALUES ");
	for (int i = 1; i <= MANY; i++) {
		char ip[32];
		if (i % 2)
			snprintf(ip, sizeof(ip), "192.0.2.%d", i % 250);
		else
			snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
		n += (size_t)snprintf(sql + n, cap - n, "%s(%d, 'fp%d', '%s', '2025-02-20 00:00:00', TRUE)",
				      i > 1 ? ", " : "", 1 + i % 50, i, ip);
		cr_assert_lt(n, cap - 256);
	}
	db_exec(sql);
	free(sql);
}

static void interrupt_bulk(int sig, int want_status, const char *signame)
{
	fx_many();
	struct e2e_proc *p = e2e_start(&(struct call){ 0 },
				       ARGV("logout", "--where", "--ip", "10.0.0.0/8", "--yes",
					    "--batch-size", "2", "--now", NOW, "--actor", "ops", SUMMARY));
	int waited = 0;

	/* Wait for the first committed batch: the handler is in place. */
	while (db_int("SELECT count(*) FROM sessctl_audit") == 0 && waited < 60000) {
		sleep_ms(5);
		waited += 5;
	}
	cr_assert_eq(e2e_signal(p, sig), 0);
	struct run *r = e2e_wait(p);

	cr_expect_eq(r->status, want_status, "%s: exit %d, expected %d: %s", r->what, r->status,
		     want_status, r->err);
	EXPECT_ERR_HAS(r, "interrupted");
	EXPECT_ERR_HAS(r, signame);
	/* It printed what it committed, and that is what the database holds. */
	long long closed = -1, users = -1, batches = -1;
	char flag[8] = "";
	cr_expect_eq(sscanf(r->out, "%lld,%lld,%lld,%7s", &closed, &users, &batches, flag), 4,
		     "%s: stdout [%s]", r->what, r->out);
	cr_expect_str_eq(flag, "true", "%s: stdout [%s]", r->what, r->out);
	long long audited = db_int("SELECT count(*) FROM sessctl_audit");
	cr_expect_eq(closed, audited, "%s: reported %lld, audit rows %lld", r->what, closed, audited);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE NOT is_active"), audited);
	cr_expect_eq(closed % 2, 0, "a batch of 2 was cut: %lld closed", closed);
	cr_expect_eq(batches, closed / 2);
	expect_closed_iff_audited();
	cr_expect_gt(db_int("SELECT count(*) FROM sessions WHERE is_active AND ip_address LIKE '10.%'"), 0,
		     "the interrupted run had finished everything");

	/* A rerun closes the rest, and only that. */
	struct run *rerun = W("logout", "--where", "--ip", "10.0.0.0/8", "--yes", SUMMARY);
	EXPECT_OK(rerun);
	long long closed2 = -1, users2 = -1, batches2 = -1;
	cr_expect_eq(sscanf(rerun->out, "%lld,%lld,%lld,false", &closed2, &users2, &batches2), 3,
		     "%s: stdout [%s]", rerun->what, rerun->out);
	cr_expect_eq(closed + closed2, MANY / 2);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), MANY / 2);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active AND ip_address LIKE '10.%'"), 0);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE is_active"), MANY / 2,
		     "a session outside the filter was closed");
	expect_closed_iff_audited();
	cr_expect_eq(db_int("SELECT count(*) FROM sessions s WHERE NOT s.is_active AND (SELECT count(*) "
			    "FROM sessctl_audit a WHERE a.session_id = s.id) <> 1"), 0);
}

Test(bulk, sigint_stops_between_batches_and_a_rerun_finishes)
{
	interrupt_bulk(SIGINT, 130, "SIGINT");
}

Test(bulk, sigterm_stops_between_batches_with_143)
{
	interrupt_bulk(SIGTERM, 143, "SIGTERM");
}

Test(bulk, sighup_stops_between_batches_with_129)
{
	interrupt_bulk(SIGHUP, 129, "SIGHUP");
}

/* Many batches: every closed session has one audit row, the batches
 * are counted, and the users are counted once each. */
Test(bulk, small_batches_close_everything_once)
{
	fx_many();
	struct run *r = W("logout", "--all-users", "--yes", "--batch-size", "7", SUMMARY);
	EXPECT_OK(r);
	char want[64];
	snprintf(want, sizeof(want), "%d,50,%d,false\r\n", MANY, (MANY + 6) / 7);
	EXPECT_OUT(r, want);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), MANY);
	cr_expect_eq(db_int("SELECT count(DISTINCT session_id) FROM sessctl_audit"), MANY);
	expect_closed_iff_audited();
}
