/* metrics and enforce --metrics-file: exact values on a fixture, label
 * escaping, the Prometheus parser of python3-prometheus-client accepting
 * real output, and the metrics file replaced atomically (no temporary
 * file left, rename semantics, a failed run keeping the last success). */
#include "e2e.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the parser printed, freed after each test. */
static char *parsed_outputs[16];
static size_t nparsed;

static void metrics_teardown(void)
{
	while (nparsed)
		free(parsed_outputs[--nparsed]);
	e2e_teardown();
}

TestSuite(metrics, .init = e2e_setup, .fini = metrics_teardown, .timeout = 60);

#define NOW "2025-02-08 12:00:00"
#define NEXT_DAY "2025-02-09 12:00:00"

/* ---- the parser ----
 *
 * Parses a file with prometheus_client's parser (Debian's python3, where
 * python3-prometheus-client installs it), checks every family is a
 * documented sessctl_ gauge, and prints one line per sample:
 * "name {labels as sorted JSON} value" (an integer when it is one;
 * durations as "D" after checking 0 <= value < 600; a timestamp within
 * 10 minutes of the real time as "T"). */
static const char parser_py[] =
	"import json, sys, time\n"
	"from prometheus_client.parser import text_string_to_metric_families\n"
	"text = open(sys.argv[1], encoding='utf-8').read()\n"
	"assert text.endswith('\\n'), 'no final line feed'\n"
	"for f in text_string_to_metric_families(text):\n"
	"    assert f.name.startswith('sessctl_'), f.name\n"
	"    assert f.type == 'gauge', (f.name, f.type)\n"
	"    assert f.documentation, ('no HELP', f.name)\n"
	"    assert f.samples, ('no sample', f.name)\n"
	"    for s in f.samples:\n"
	"        v = s.value\n"
	"        if s.name.endswith('_duration_seconds'):\n"
	"            assert 0 <= v < 600, v\n"
	"            v = 'D'\n"
	"        elif s.name.endswith('_timestamp_seconds') and abs(v - time.time()) < 600:\n"
	"            v = 'T'\n"
	"        elif v == int(v):\n"
	"            v = int(v)\n"
	"        print(s.name, json.dumps(s.labels, sort_keys=True), v)\n";

/* What the parser makes of the file at path (the test fails when it
 * rejects it). Freed at teardown. */
static char *parse_prom(const char *path)
{
	const char *script = e2e_path("check_prom.py");
	char cmd[4096], *out = NULL;
	size_t len = 0;
	FILE *p;
	int st;

	e2e_write_file(script, parser_py, strlen(parser_py));
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' 2>&1", script, path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	FILE *mem = open_memstream(&out, &len);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(mem);
	cr_assert_lt(nparsed, sizeof(parsed_outputs) / sizeof(*parsed_outputs));
	parsed_outputs[nparsed++] = out;
	st = pclose(p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the Prometheus parser rejected %s (install python3-prometheus-client):\n%s", path, out);
	return out;
}

/* Parses what a run printed. */
static char *parse_output(const struct run *r)
{
	const char *path = e2e_path("metrics.prom");

	e2e_write_file(path, r->out, r->out_len);
	return parse_prom(path);
}

/* ---- sessctl metrics ---- */

/* Audit rows around the window [NOW - 24h, NOW]: both ends are in. */
static const char audit_sql[] =
	"INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at) VALUES\n"
	" (12, 1, 'expire', 'cron', NULL, '2025-02-08 12:00:00'),\n"
	" (13, 1, 'expire', 'cron', NULL, '2025-02-07 12:00:00'),\n"
	" (10, 1, 'logout', 'alice', NULL, '2025-02-07 11:59:59'),\n"
	" (11, 1, 'logout', 'alice', NULL, '2025-02-08 12:00:01'),\n"
	" (21, 2, 'purge', 'cron', NULL, '2025-02-08 00:00:00'),\n"
	" (NULL, NULL, 'custom-kind', 'x', NULL, '2025-02-08 01:00:00')";

/* The standard fixture at NOW: web 10, 12 and mobile 11, 20 active, 14
 * without a type; alice has 4 active sessions (over 3); 12 is idle since
 * 2025-01-01 00:00:00, 38.5 days (3326400 s) before NOW, past 720h. */
static const char fx_metrics[] =
	"# HELP sessctl_active_sessions Active sessions by device type.\n"
	"# TYPE sessctl_active_sessions gauge\n"
	"sessctl_active_sessions{device_type=\"\"} 1\n"
	"sessctl_active_sessions{device_type=\"mobile\"} 2\n"
	"sessctl_active_sessions{device_type=\"web\"} 2\n"
	"# HELP sessctl_users_over_limit Users with more active sessions than sessctl_max_sessions_per_user.\n"
	"# TYPE sessctl_users_over_limit gauge\n"
	"sessctl_users_over_limit 1\n"
	"# HELP sessctl_idle_sessions Active sessions idle longer than sessctl_idle_timeout_seconds: what enforce would expire.\n"
	"# TYPE sessctl_idle_sessions gauge\n"
	"sessctl_idle_sessions 1\n"
	"# HELP sessctl_oldest_idle_session_age_seconds Seconds since the last activity of the oldest active session past the idle timeout; 0 when none.\n"
	"# TYPE sessctl_oldest_idle_session_age_seconds gauge\n"
	"sessctl_oldest_idle_session_age_seconds 3326400\n"
	"# HELP sessctl_audit_actions_last_24h Audit rows written in the last 24 hours, by action.\n"
	"# TYPE sessctl_audit_actions_last_24h gauge\n"
	"sessctl_audit_actions_last_24h{action=\"create\"} 0\n"
	"sessctl_audit_actions_last_24h{action=\"custom-kind\"} 1\n"
	"sessctl_audit_actions_last_24h{action=\"expire\"} 2\n"
	"sessctl_audit_actions_last_24h{action=\"logout\"} 0\n"
	"sessctl_audit_actions_last_24h{action=\"logout-all\"} 0\n"
	"sessctl_audit_actions_last_24h{action=\"over-limit\"} 0\n"
	"sessctl_audit_actions_last_24h{action=\"purge\"} 1\n"
	"# HELP sessctl_max_sessions_per_user The device limit these metrics applied.\n"
	"# TYPE sessctl_max_sessions_per_user gauge\n"
	"sessctl_max_sessions_per_user 3\n"
	"# HELP sessctl_idle_timeout_seconds The idle timeout these metrics applied.\n"
	"# TYPE sessctl_idle_timeout_seconds gauge\n"
	"sessctl_idle_timeout_seconds 2592000\n";

Test(metrics, exact_values_on_a_fixture)
{
	fx_standard();
	db_exec(audit_sql);
	char *before = db_dump();
	struct run *r = RUN("metrics", "--now", NOW);

	EXPECT_OK(r);
	EXPECT_OUT(r, fx_metrics);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(metrics, the_prometheus_parser_reads_the_same_values)
{
	fx_standard();
	db_exec(audit_sql);
	struct run *r = RUN("metrics", "--now", NOW);

	EXPECT_OK(r);
	cr_expect_str_eq(parse_output(r),
		"sessctl_active_sessions {\"device_type\": \"\"} 1\n"
		"sessctl_active_sessions {\"device_type\": \"mobile\"} 2\n"
		"sessctl_active_sessions {\"device_type\": \"web\"} 2\n"
		"sessctl_users_over_limit {} 1\n"
		"sessctl_idle_sessions {} 1\n"
		"sessctl_oldest_idle_session_age_seconds {} 3326400\n"
		"sessctl_audit_actions_last_24h {\"action\": \"create\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"custom-kind\"} 1\n"
		"sessctl_audit_actions_last_24h {\"action\": \"expire\"} 2\n"
		"sessctl_audit_actions_last_24h {\"action\": \"logout\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"logout-all\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"over-limit\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"purge\"} 1\n"
		"sessctl_max_sessions_per_user {} 3\n"
		"sessctl_idle_timeout_seconds {} 2592000\n");
}

/* The rules come from the options, else the application's variables. */
Test(metrics, the_rules_follow_options_and_environment)
{
	fx_standard();
	struct run *r;

	r = RUN("metrics", "--now", NOW, "--max-sessions", "4", "--idle-timeout", "1h");
	EXPECT_OK(r);
	/* 10, 11 (10:30), 20 (09:45:30) and 12 are idle for more than 1h. */
	EXPECT_OUT_HAS(r, "\nsessctl_users_over_limit 0\n");
	EXPECT_OUT_HAS(r, "\nsessctl_idle_sessions 4\n");
	EXPECT_OUT_HAS(r, "\nsessctl_oldest_idle_session_age_seconds 3326400\n");
	EXPECT_OUT_HAS(r, "\nsessctl_max_sessions_per_user 4\n");
	EXPECT_OUT_HAS(r, "\nsessctl_idle_timeout_seconds 3600\n");
	/* 1000 h before NOW is 2024-12-28 08:00:00: nothing is that idle. */
	r = e2e_run(&(struct call){ .env = ARGV("MAX_SESSIONS_PER_USER=4", "SESSION_TIMEOUT_HOURS=1000") },
		    ARGV("metrics", "--now", NOW));
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_users_over_limit 0\n");
	EXPECT_OUT_HAS(r, "\nsessctl_max_sessions_per_user 4\n");
	EXPECT_OUT_HAS(r, "\nsessctl_idle_sessions 0\n");
	EXPECT_OUT_HAS(r, "\nsessctl_oldest_idle_session_age_seconds 0\n");
	EXPECT_OUT_HAS(r, "\nsessctl_idle_timeout_seconds 3600000\n");
	/* Idle exactly as long as the timeout is not past it (enforce's rule):
	 * 2025-01-01 00:00:00 is 924 h before NOW. */
	r = RUN("metrics", "--now", NOW, "--idle-timeout", "924h");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_idle_sessions 0\n");
	r = RUN("metrics", "--now", NOW, "--idle-timeout", "923h59m59s");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_idle_sessions 1\n");
	EXPECT_OUT_HAS(r, "\nsessctl_oldest_idle_session_age_seconds 3326400\n");
}

/* Label values with a quote, a backslash and a line feed are escaped,
 * and the parser reads them back as they are. */
Test(metrics, label_values_are_escaped)
{
	fx_standard();
	db_exec("UPDATE sessions SET device_type = 'we\"b\\x\ny' WHERE id = 10;\n"
		"INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at) VALUES\n"
		" (NULL, NULL, 'a\\\"b', 'x', NULL, '2025-02-08 11:00:00')");
	struct run *r = RUN("metrics", "--now", NOW);

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_active_sessions{device_type=\"we\\\"b\\\\x\\ny\"} 1\n");
	EXPECT_OUT_HAS(r, "\nsessctl_active_sessions{device_type=\"web\"} 1\n");
	EXPECT_OUT_HAS(r, "\nsessctl_audit_actions_last_24h{action=\"a\\\\\\\"b\"} 1\n");
	char *parsed = parse_output(r);
	cr_expect_not_null(strstr(parsed, "sessctl_active_sessions {\"device_type\": \"we\\\"b\\\\x\\ny\"} 1\n"),
			   "%s", parsed);
	cr_expect_not_null(strstr(parsed, "sessctl_audit_actions_last_24h {\"action\": \"a\\\\\\\"b\"} 1\n"),
			   "%s", parsed);
}

/* Values printed alike are one sample: a scraper rejects (node_exporter's
 * textfile collector) or drops the second sample of a label set. NULL
 * and '' are both "", and on SQLite bytes that are not UTF-8 all print
 * as U+FFFD. */
Test(metrics, values_printed_alike_are_one_sample)
{
	fx_standard();
	db_exec("UPDATE sessions SET device_type = '' WHERE id = 12");
	if (!e2e_pg())
		db_exec("UPDATE sessions SET device_type = CAST(x'ff' AS TEXT) WHERE id = 10;"
			"UPDATE sessions SET device_type = CAST(x'fe' AS TEXT) WHERE id = 20;"
			"INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at)"
			" VALUES (NULL, NULL, CAST(x'c0' AS TEXT), 'x', NULL, '2025-02-08 11:00:00'),"
			" (NULL, NULL, CAST(x'c1' AS TEXT), 'x', NULL, '2025-02-08 11:00:00')");
	struct run *r = RUN("metrics", "--now", NOW);

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_active_sessions{device_type=\"\"} 2\n");
	if (!e2e_pg()) {
		EXPECT_OUT_HAS(r, "\nsessctl_active_sessions{device_type=\"\xef\xbf\xbd\"} 2\n");
		EXPECT_OUT_HAS(r, "\nsessctl_audit_actions_last_24h{action=\"\xef\xbf\xbd\"} 2\n");
	}
	char *parsed = parse_output(r);
	/* every label set once */
	for (char *line = parsed; line && *line;) {
		char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *brace = memchr(line, '}', len);
		size_t key = brace ? (size_t)(brace - line) + 1 : len;
		char *again = end;
		while (again && *++again) {
			cr_expect_neq(strncmp(again, line, key), 0, "two samples of %.*s:\n%s", (int)key,
				      line, parsed);
			again = strchr(again, '\n');
		}
		line = end ? end + 1 : NULL;
	}
}

Test(metrics, an_empty_database_has_every_family_at_zero)
{
	db_migrate(NULL);
	struct run *r = RUN("metrics", "--now", NOW);

	EXPECT_OK(r);
	cr_expect_str_eq(parse_output(r),
		"sessctl_active_sessions {\"device_type\": \"mobile\"} 0\n"
		"sessctl_active_sessions {\"device_type\": \"web\"} 0\n"
		"sessctl_users_over_limit {} 0\n"
		"sessctl_idle_sessions {} 0\n"
		"sessctl_oldest_idle_session_age_seconds {} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"create\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"expire\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"logout\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"logout-all\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"over-limit\"} 0\n"
		"sessctl_audit_actions_last_24h {\"action\": \"purge\"} 0\n"
		"sessctl_max_sessions_per_user {} 3\n"
		"sessctl_idle_timeout_seconds {} 2592000\n");
}

Test(metrics, bad_arguments_exit_64)
{
	fx_standard();
	const char *const *bad[] = {
		ARGV("metrics", "-o", "json"),
		ARGV("metrics", "-o", "csv"),
		ARGV("metrics", "--columns", "x"),
		ARGV("metrics", "extra"),
		ARGV("metrics", "--max-sessions", "0"),
		ARGV("metrics", "--idle-timeout", "0s"),
		ARGV("metrics", "--idle-timeout", "soon"),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct run *r = e2e_run(&(struct call){ .db = NULL }, bad[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
	}
	struct run *r = e2e_run(&(struct call){ .env = ARGV("MAX_SESSIONS_PER_USER=many") },
				ARGV("metrics"));
	EXPECT_FAIL(r, 64);
}

/* ---- enforce --metrics-file ---- */

/* The names in the test's directory that begin with prefix. */
static int count_entries(const char *prefix)
{
	DIR *d = opendir(e2e_dir());
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* The run's "batches" from its JSON summary. */
static long long batches_of(const struct run *r)
{
	const char *p = strstr(r->out, "\"batches\":");

	cr_assert_not_null(p, "%s", r->out);
	return atoll(p + strlen("\"batches\":"));
}

#define ENFORCE(now, file, ...) \
	RUN("enforce", "--now", now, "--actor", "cron", "--metrics-file", file, "-o", "json", __VA_ARGS__)

/* At NOW with a limit of 2 and purge after 1 day: 12 expires (idle since
 * 2025-01-01), 14 goes over alice's limit (no activity: oldest), then 12,
 * 13 and 21 are purged (14 has no time to be idle by). */
Test(metrics, enforce_writes_the_runs_results)
{
	fx_standard();
	const char *path = e2e_path("sessctl.prom");
	struct run *r = ENFORCE(NOW, path, "--max-sessions", "2", "--purge-after", "1d");
	char want[2048];
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\"expired\":1,\"over_limit\":1,\"purged\":3,");
	cr_expect_gt(batches_of(r), 0);
	snprintf(want, sizeof(want),
		 "sessctl_enforce_expired_sessions {} 1\n"
		 "sessctl_enforce_over_limit_sessions {} 1\n"
		 "sessctl_enforce_purged_sessions {} 3\n"
		 "sessctl_enforce_batches {} %lld\n"
		 "sessctl_enforce_duration_seconds {} D\n"
		 "sessctl_enforce_interrupted {} 0\n"
		 "sessctl_enforce_locked_sessions {} 0\n"
		 "sessctl_enforce_success {} 1\n"
		 "sessctl_enforce_last_run_timestamp_seconds {} T\n"
		 "sessctl_enforce_last_success_timestamp_seconds {} T\n",
		 batches_of(r));
	cr_expect_str_eq(parse_prom(path), want);
	cr_expect_eq(count_entries("sessctl.prom"), 1, "a temporary file was left behind");
	/* Readable by the collector's user, as a file sessctl creates. */
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0666 & ~mask, "mode %o", (unsigned)(st.st_mode & 0777));
}

/* A second run replaces the file by a rename: a reader that opened the
 * first one still reads all of it, the name now gives the second. */
Test(metrics, a_second_run_replaces_the_file_whole)
{
	fx_standard();
	const char *path = e2e_path("sessctl.prom");
	struct run *r = ENFORCE(NOW, path, "--max-sessions", "2");
	struct stat st1, st2;
	size_t len1;

	EXPECT_OK(r);
	char *first = e2e_read_file(path, &len1);
	cr_assert_not_null(first);
	cr_assert_eq(stat(path, &st1), 0);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);

	r = ENFORCE(NEXT_DAY, path, "--max-sessions", "2");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\"expired\":0,\"over_limit\":0,\"purged\":0,");
	cr_assert_eq(stat(path, &st2), 0);
	cr_expect_neq(st1.st_ino, st2.st_ino, "the file was rewritten in place, not renamed over");
	char old[4096];
	ssize_t n = read(fd, old, sizeof(old));
	close(fd);
	cr_expect_eq(n, (ssize_t)len1, "the old file, read after the second run, is not whole");
	cr_expect(n > 0 && memcmp(old, first, (size_t)n) == 0);
	char *parsed = parse_prom(path);
	cr_expect_not_null(strstr(parsed, "sessctl_enforce_expired_sessions {} 0\n"
					  "sessctl_enforce_over_limit_sessions {} 0\n"
					  "sessctl_enforce_purged_sessions {} 0\n"), "%s", parsed);
	cr_expect_not_null(strstr(parsed, "sessctl_enforce_success {} 1\n"
					  "sessctl_enforce_last_run_timestamp_seconds {} T\n"
					  "sessctl_enforce_last_success_timestamp_seconds {} T\n"),
			   "%s", parsed);
	cr_expect_eq(count_entries("sessctl.prom"), 1, "a temporary file was left behind");
	free(first);
}

/* A failed run records the failure and keeps the last success the file
 * had; with no such value, it has none. */
Test(metrics, a_failed_run_keeps_the_last_success)
{
	fx_standard();
	const char *path = e2e_path("sessctl.prom");
	/* A database without the schema: enforce fails with 78. */
	const struct e2e_db *bare = e2e_new_db();
	if (!e2e_pg())
		e2e_write_file(bare->path, "", 0); /* an empty SQLite database */
	struct run *r = ENFORCE(NOW, path, "-q");

	EXPECT_OK(r);
	r = RUN_DB(bare->url, "enforce", "--now", NEXT_DAY, "--metrics-file", path);
	EXPECT_FAIL(r, 78);
	char *parsed = parse_prom(path);
	cr_expect_str_eq(parsed,
		"sessctl_enforce_expired_sessions {} 0\n"
		"sessctl_enforce_over_limit_sessions {} 0\n"
		"sessctl_enforce_purged_sessions {} 0\n"
		"sessctl_enforce_batches {} 0\n"
		"sessctl_enforce_duration_seconds {} D\n"
		"sessctl_enforce_interrupted {} 0\n"
		"sessctl_enforce_locked_sessions {} 0\n"
		"sessctl_enforce_success {} 0\n"
		"sessctl_enforce_last_run_timestamp_seconds {} T\n"
		"sessctl_enforce_last_success_timestamp_seconds {} T\n");
	/* Twice: the kept value survives another failure. */
	r = RUN_DB(bare->url, "enforce", "--now", NEXT_DAY, "--metrics-file", path);
	EXPECT_FAIL(r, 78);
	cr_expect_str_eq(parse_prom(path), parsed);
	cr_expect_eq(count_entries("sessctl.prom"), 1, "a temporary file was left behind");

	const char *fresh = e2e_path("fresh.prom");
	r = RUN_DB(bare->url, "enforce", "--now", NEXT_DAY, "--metrics-file", fresh);
	EXPECT_FAIL(r, 78);
	parsed = parse_prom(fresh);
	cr_expect_not_null(strstr(parsed, "sessctl_enforce_success {} 0\n"), "%s", parsed);
	cr_expect_null(strstr(parsed, "last_success"), "%s", parsed);

	const char *garbage = e2e_path("garbage.prom");
	e2e_write_file(garbage, "sessctl_enforce_last_success_timestamp_seconds soon\n", 52);
	r = RUN_DB(bare->url, "enforce", "--now", NEXT_DAY, "--metrics-file", garbage);
	EXPECT_FAIL(r, 78);
	parsed = parse_prom(garbage);
	cr_expect_null(strstr(parsed, "last_success"), "%s", parsed);
}

/* The enforcement succeeded but its summary could not be written: the
 * run exits 74, and the file records a success (it said 0, and an alert
 * on staleness fired after a run that did its work). */
Test(metrics, a_summary_that_cannot_be_written_is_no_failed_enforcement)
{
	fx_standard();
	const char *path = e2e_path("sessctl.prom");
	struct run *r = e2e_run(&(struct call){ .out_to = "/dev/full" },
				ARGV("enforce", "--now", NOW, "--actor", "cron", "--max-sessions", "2",
				     "--metrics-file", path));
	EXPECT_FAIL(r, 74);
	char *parsed = parse_prom(path);
	cr_expect_not_null(strstr(parsed, "sessctl_enforce_expired_sessions {} 1\n"), "%s", parsed);
	cr_expect_not_null(strstr(parsed, "sessctl_enforce_success {} 1\n"
					  "sessctl_enforce_last_run_timestamp_seconds {} T\n"
					  "sessctl_enforce_last_success_timestamp_seconds {} T\n"), "%s", parsed);
}

/* The file cannot be written after the run (here a name with no room
 * for its temporary's suffix: PATH.tmp.XXXXXX is longer than a file
 * name may be): enforce's work stays, the run exits 74 and leaves
 * nothing behind. */
Test(metrics, an_unwritable_metrics_file_exits_74)
{
	fx_standard();
	char name[251];
	memset(name, 'm', 245);
	strcpy(name + 245, ".prom");
	const char *path = e2e_path(name);
	struct run *r = RUN("enforce", "--now", NOW, "--actor", "cron", "-q", "--metrics-file", path);

	EXPECT_FAIL(r, 74);
	EXPECT_ERR_HAS(r, "cannot write metrics file");
	EXPECT_ROWS("SELECT id FROM sessions WHERE NOT is_active ORDER BY id", "12\n13\n21\n");
	cr_expect(!e2e_exists(path));
}

/* A directory that is not there is found before the run (64, nothing
 * changed), not after its work: a cron line with a mistyped path. */
Test(metrics, a_metrics_file_in_no_directory_is_refused_before_the_run)
{
	fx_standard();
	char *before = db_dump();
	const char *path = e2e_path("nodir/sessctl.prom");
	struct run *r = RUN("enforce", "--now", NOW, "--actor", "cron", "-q", "--metrics-file", path);

	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "there is no directory '");
	EXPECT_ERR_HAS(r, "nodir' to write it in");
	EXPECT_UNCHANGED(before);
	free(before);
	cr_expect(!e2e_exists(e2e_path("nodir")));
}

Test(metrics, metrics_file_refuses_dry_run_and_an_empty_name)
{
	fx_standard();
	char *before = db_dump();
	const char *path = e2e_path("sessctl.prom");
	struct run *r = RUN("enforce", "--now", NOW, "--dry-run", "--metrics-file", path);

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	cr_expect(!e2e_exists(path));
	r = RUN("enforce", "--now", NOW, "--metrics-file", "");
	EXPECT_FAIL(r, 64);
	EXPECT_UNCHANGED(before);
	free(before);
}

/* A path that is no regular file is refused before the run (64, nothing
 * changed): the rename would replace it rather than write to it (as
 * root, --metrics-file /dev/full made /dev/full a plain file). A link to
 * a regular file is followed: its target is replaced, the link stays. */
Test(metrics, a_metrics_path_that_is_no_regular_file_is_refused_before_the_run)
{
	fx_standard();
	char *before = db_dump();
	const char *target = e2e_path("target.prom"), *link = e2e_path("link.prom");
	const char *dangling = e2e_path("dangling.prom"), *fifo = e2e_path("fifo.prom");
	const char *dir = e2e_path("dir.prom");
	e2e_write_file(target, "# kept\n", 7);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(symlink(e2e_path("nowhere.prom"), dangling), 0);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	const char *const paths[] = { dangling, fifo, dir };
	const char *const kinds[] = { "is a symbolic link to no regular file", "is not a regular file",
				      "is a directory" };

	for (size_t i = 0; i < 3; i++) {
		struct run *r = RUN("enforce", "--now", NOW, "--actor", "cron", "-q", "--metrics-file", paths[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, kinds[i]);
	}
	EXPECT_UNCHANGED(before);
	free(before);
	struct stat st;
	cr_expect(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
	cr_expect(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
	cr_expect(!e2e_exists(e2e_path("nowhere.prom")), "the dangling link's target was made");

	/* through the link: the target replaced, the link kept */
	struct run *r = RUN("enforce", "--now", NOW, "--actor", "cron", "-q", "--metrics-file", link);
	EXPECT_OK(r);
	cr_expect(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
	size_t n;
	char *written = e2e_read_file(target, &n);
	cr_expect_not_null(strstr(written, "\nsessctl_enforce_success 1\n"), "%s", written);
	free(written);
	cr_expect_eq(count_entries("target.prom"), 1, "a temporary file was left behind");
	cr_expect_eq(count_entries("link.prom"), 1, "a temporary file was left beside the link");
}

/* A link another user owns is not followed: made in a directory that
 * user can write (a collector's textfile directory), it made a cron job
 * running as root replace any file it named, and leave it world-readable.
 * Links of this user's or root's are followed, through a chain too. */
Test(metrics, a_link_another_user_owns_is_not_followed)
{
	fx_standard();
	char *before = db_dump();
	const char *secret = e2e_path("secret.conf"), *planted = e2e_path("planted.prom");
	const char *target = e2e_path("own-target.prom"), *own = e2e_path("own.prom");
	const char *chain = e2e_path("chain.prom");
	e2e_write_file(secret, "secret\n", 7);
	cr_assert_eq(chmod(secret, 0600), 0);
	cr_assert_eq(symlink(secret, planted), 0);
	cr_assert_eq(lchown(planted, 65534, 65534), 0, "lchown: %s (the suite runs as root)",
		     strerror(errno));

	struct run *r = RUN("enforce", "--now", NOW, "--actor", "cron", "-q", "--metrics-file", planted);
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "which user 65534 owns: sessctl follows only links of its own user or root's");
	EXPECT_UNCHANGED(before);
	free(before);
	size_t n;
	char *kept = e2e_read_file(secret, &n);
	cr_expect_str_eq(kept, "secret\n");
	free(kept);
	struct stat st;
	cr_expect(stat(secret, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);

	/* this user's links, one through the other (relative), are followed */
	e2e_write_file(target, "# old\n", 6);
	cr_assert_eq(symlink(target, own), 0);
	cr_assert_eq(symlink("own.prom", chain), 0);
	r = RUN("enforce", "--now", NOW, "--actor", "cron", "-q", "--metrics-file", chain);
	EXPECT_OK(r);
	char *written = e2e_read_file(target, &n);
	cr_expect_not_null(strstr(written, "\nsessctl_enforce_success 1\n"), "%s", written);
	free(written);
	cr_expect(lstat(chain, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
}
