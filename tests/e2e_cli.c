/* Global behaviour: help, --version, unknown commands and options,
 * --db and SESSCTL_DB. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(cli, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

static const char *const commands[] = { "count", "help", "list-user", "migrate", "show" };
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

Test(cli, help_lists_every_command_and_the_global_options)
{
	struct run *help = RUN_NODB("help");
	struct run *dash = RUN_NODB("--help");
	struct run *h = RUN_NODB("-h");
	struct run *bare = RUN_NODB(NULL);

	EXPECT_OK(help);
	EXPECT_OUT_HAS(help, "usage: sessctl");
	for (size_t i = 0; i < NCOMMANDS; i++)
		EXPECT_OUT_HAS(help, commands[i]);
	EXPECT_OUT_HAS(help, "--db");
	EXPECT_OUT_HAS(help, "--output");
	EXPECT_OK(dash);
	EXPECT_OUT(dash, help->out);
	EXPECT_OK(h);
	EXPECT_OUT(h, help->out);
	/* A command word from an empty variable in a cron line fails. */
	EXPECT_FAIL(bare, 64);
	cr_expect_str_eq(bare->err, "sessctl: no command given: see 'sessctl --help'\n");
	EXPECT_NO_OUT(bare);
	struct run *opts = RUN_NODB("-q", "-o", "json");
	EXPECT_FAIL(opts, 64);
	cr_expect_str_eq(opts->err, bare->err);
	cr_expect_not(e2e_exists(e2e_path("sessions.db")), "help created sessions.db");
}

Test(cli, help_command_and_command_help_print_the_same_page)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i], "help") == 0)
			continue;
		struct run *a = RUN_NODB("help", commands[i]);
		struct run *b = RUN_NODB(commands[i], "--help");
		struct run *c = RUN(commands[i], "-h");
		EXPECT_OK(a);
		EXPECT_OK(b);
		EXPECT_OK(c);
		EXPECT_OUT_HAS(a, "usage: sessctl ");
		EXPECT_OUT_HAS(a, commands[i]);
		EXPECT_OUT(b, a->out);
		EXPECT_OUT(c, a->out);
	}
	struct run *lu = RUN_NODB("help", "list-user");
	const char *const opts[] = { "--all", "--device-type", "--ip", "--idle-for", "--limit" };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		EXPECT_OUT_HAS(lu, opts[i]);
	EXPECT_OUT_HAS(RUN_NODB("help", "migrate"), "--dry-run");
	EXPECT_OUT_HAS(RUN_NODB("help", "migrate"), "--check");
	EXPECT_OUT_HAS(RUN_NODB("help", "count"), "--over");
	/* 'migrate status' reads as a command of its own: its page is
	 * migrate's; nothing else takes a second word */
	struct run *ms = RUN_NODB("help", "migrate", "status");
	EXPECT_OK(ms);
	EXPECT_OUT(ms, RUN_NODB("help", "migrate")->out);
	EXPECT_FAIL(RUN_NODB("help", "count", "status"), 64);
	EXPECT_FAIL(RUN_NODB("help", "migrate", "statuss"), 64);
}

Test(cli, command_help_needs_no_database)
{
	struct run *r = RUN_DB(e2e_path("missing.db"), "list-user", "--help");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "list-user");
	cr_expect_not(e2e_exists(e2e_path("missing.db")));
}

Test(cli, help_for_an_unknown_command_exits_64)
{
	struct run *r = RUN_NODB("help", "frobnicate");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(RUN_NODB("help", "count", "show"), 64);
}

Test(cli, version_prints_the_version)
{
	struct run *r = RUN_NODB("--version");
	unsigned a, b, c;
	char nl;

	EXPECT_OK(r);
	cr_expect_eq(sscanf(r->out, "sessctl %u.%u.%u%c", &a, &b, &c, &nl), 4, "version: %s", r->out);
	cr_expect_eq(nl, '\n');
	/* The second and last line: the backends this sessctl can load. */
	const char *second = strchr(r->out, '\n') + 1;
	cr_expect(strncmp(second, "backends: sqlite (/", 19) == 0, "backends line: %s", r->out);
	cr_expect_not_null(strstr(second, "/sessctl-sqlite.so), postgresql (/"),
			   "module path: %s", r->out);
	cr_expect_not_null(strstr(second, "/sessctl-postgres.so)\n"), "module path: %s", r->out);
	cr_expect_eq(strchr(second, '\n')[1], '\0', "more than two lines: %s", r->out);
	struct run *after = RUN("count", "--version");
	EXPECT_OK(after);
	EXPECT_OUT(after, r->out);
}

Test(cli, an_unknown_command_exits_64_and_suggests_the_nearest)
{
	struct run *r = RUN("lst-user", "alice");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "lst-user");
	EXPECT_ERR_HAS(r, "did you mean 'list-user'");
	r = RUN("cuont");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "did you mean 'count'");
	r = RUN("migrat");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "did you mean 'migrate'");
	r = RUN("xyzzyplugh");
	EXPECT_FAIL(r, 64);
	cr_expect_null(strstr(r->err, "did you mean"), "a far-fetched suggestion: %s", r->err);
	if (!e2e_pg())
		cr_expect_not(e2e_exists(e2e_db()->path), "an unknown command created the database");
}

Test(cli, unknown_global_options_exit_64)
{
	struct run *r = RUN_NODB("--bogus");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "--bogus");
	EXPECT_FAIL(RUN_NODB("-Z", "count"), 64);
	EXPECT_FAIL(RUN_NODB("--db"), 64);
	EXPECT_FAIL(RUN_NODB("--color", "sometimes", "count"), 64);
	EXPECT_FAIL(RUN_NODB("--now", "garbage", "count"), 64);
}

Test(cli, a_bad_db_url_exits_64)
{
	struct run *r = RUN_DB("mysql://root:s3cret@localhost/app", "count");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	cr_expect_null(strstr(r->err, "s3cret"), "password in message: %s", r->err);
	EXPECT_FAIL(RUN_DB("", "count"), 64);
}

Test(cli, a_bad_sessctl_now_exits_64)
{
	fx_standard();
	struct run *r = e2e_run(&(struct call){ .env = ARGV("SESSCTL_NOW=tomorrow") },
				ARGV("list-user", "alice"));

	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "SESSCTL_NOW");
}

/* --now within the years every output shows: the rules subtract up to
 * 10,000 years from it (an overflow at the far end of int64), and the
 * smallest time there is stood for "not given" (the clock). */
Test(cli, a_now_outside_the_years_1_to_9999_exits_64)
{
	fx_standard();
	char *before = db_dump();
	const char *const bad[] = { "-292277022657-01-27T08:29:52Z", "-292277022657-01-27T08:29:53Z",
				    "+010000-01-01T00:00:00Z", "-000001-12-31T23:59:59Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = RUN("--now", bad[i], "enforce", "--dry-run", "--actor", "ops");
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "outside the years 0001 to 9999");
		EXPECT_NO_OUT(r);
	}
	struct run *r = RUN("--now", "9999-12-31 23:59:59", "history", "--since", "1d", "-q");
	EXPECT_OK(r);
	r = RUN("--now", "0001-01-01 00:00:00", "enforce", "--dry-run", "--actor", "ops", "-q");
	EXPECT_OK(r);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(cli, sessctl_db_names_the_database_and_db_overrides_it)
{
	fx_standard();
	char *env = NULL;
	size_t n = strlen("SESSCTL_DB=") + strlen(e2e_url()) + 1;

	env = malloc(n);
	cr_assert_not_null(env);
	snprintf(env, n, "SESSCTL_DB=%s", e2e_url());
	struct run *from_env = e2e_run(&(struct call){ .no_db = true, .env = ARGV(env) },
				       ARGV("count", "alice"));
	EXPECT_OK(from_env);
	EXPECT_OUT(from_env, "4\n");

	struct run *overridden = e2e_run(
		&(struct call){ .env = ARGV("SESSCTL_DB=/nonexistent/dir/nothing.db") },
		ARGV("count", "alice"));
	EXPECT_OK(overridden);
	EXPECT_OUT(overridden, "4\n");
	free(env);
}

Test(cli, global_options_go_before_or_after_the_command)
{
	fx_standard();
	struct run *before = e2e_run(&(struct call){ .no_db = true },
				     ARGV("--db", e2e_url(), "-o", "csv", "--no-header", "count", "bob"));
	struct run *after = e2e_run(&(struct call){ .no_db = true },
				    ARGV("count", "bob", "--db", e2e_url(), "--no-header", "-o", "csv"));

	EXPECT_OK(before);
	EXPECT_OK(after);
	EXPECT_OUT(before, "2,1\r\n");
	EXPECT_OUT(after, "2,1\r\n");
}

Test(cli, verbose_and_quiet_are_accepted_everywhere)
{
	fx_standard();
	struct run *v = RUN("-v", "count", "alice");
	struct run *q = RUN("count", "alice", "-q");

	cr_expect_eq(v->status, 0, "%s: exit %d: %s", v->what, v->status, v->err);
	EXPECT_OUT(v, "4\n");
	EXPECT_OK(q);
	EXPECT_OUT(q, "4\n");
}

Test(cli, output_that_cannot_be_written_exits_74)
{
	fx_standard();
	const char *const *cmds[] = {
		ARGV("list-user", "alice", "--all", "-o", "json"), ARGV("list-user", "alice", "-o", "csv"),
		ARGV("list-user", "alice"), ARGV("show", "10"), ARGV("count", "alice"), ARGV("count"),
		ARGV("count", "--by", "user", "-o", "ndjson"), ARGV("help"), ARGV("--version"),
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .out_to = "/dev/full" }, cmds[i]);
		EXPECT_FAIL(r, 74);
	}
}

Test(cli, a_long_option_given_a_value_says_it_takes_none_and_changes_nothing)
{
	fx_standard();
	char *before = db_dump();
	struct run *r = RUN("logout", "--dry-run=yes", "10");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "option '--dry-run' takes no value");
	r = RUN("logout", "10", "--dry-run=");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "option '--dry-run' takes no value");
	r = RUN("list-user", "alice", "--all=1");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "option '--all' takes no value");
	r = RUN("count", "--no-header=yes");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "option '--no-header' takes no value");
	EXPECT_UNCHANGED(before);
	free(before);
}

/* A command's option with a value given twice was taken as the last one
 * without a word: create for bob when alice came first, a logout of
 * another device. Now a usage error naming both values; the filters'
 * --user stays a list, global options keep the last. */
Test(cli, a_command_option_given_twice_is_refused_and_changes_nothing)
{
	fx_standard();
	char *before = db_dump();
	const char *const *twice[] = {
		ARGV("create", "--user", "alice", "--user", "bob", "--fingerprint", "fp-new", "--actor", "ops"),
		ARGV("create", "--user", "bob", "--fingerprint", "a", "--fingerprint", "b", "--actor", "ops"),
		ARGV("create", "--user", "bob", "--fingerprint", "a", "--max-sessions", "3",
		     "--max-sessions=1", "--actor", "ops"),
		ARGV("logout", "--user", "alice", "--device", "fp-a1", "--device", "fp-a2", "--actor", "ops"),
		ARGV("enforce", "--user", "alice", "--user", "bob", "--actor", "ops"),
		ARGV("find", "-n", "3", "--limit", "4"),
	};
	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, twice[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, " given twice (");
		EXPECT_ERR_HAS(r, "): give it once");
	}
	struct run *r = RUN("create", "--user", "alice", "--user", "bob", "--fingerprint", "x");
	EXPECT_ERR_HAS(r, "--user given twice ('alice', then 'bob')");
	EXPECT_UNCHANGED(before);
	free(before);
	r = RUN("find", "--user", "alice", "--user", "bob", "-o", "csv", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n10\r\n11\r\n12\r\n14\r\n20\r\n");
	r = RUN("list-user", "bob", "-o", "json", "-o", "csv", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n20\r\n");
}

/* A text option whose value was left out took the next word, even
 * --dry-run: "logout 10 --reason --dry-run" closed session 10 for real
 * (its reason "--dry-run"), create added a session fingerprinted
 * "--dry-run", enforce ran and wrote a file named --dry-run. A value that
 * is one of the options is refused (64), nothing changed; written
 * --reason=--dry-run it is a value. And a number with leading white
 * space other than a blank ("\t2", "\n1"), which strtoll skips, was
 * taken. */
Test(cli, an_options_missing_value_is_never_the_next_option)
{
	fx_standard();
	char *before = db_dump();
	const char *const *cmds[] = {
		ARGV("logout", "10", "--reason", "--dry-run", "--actor", "ops"),
		ARGV("logout", "10", "--actor", "--dry-run"),
		ARGV("create", "--user", "bob", "--fingerprint", "--dry-run", "--actor", "ops"),
		ARGV("create", "--user", "bob", "--fingerprint", "f", "--browser", "--dry-run=x"),
		ARGV("logout-all", "bob", "--yes", "--reason", "--dry-run"),
		ARGV("enforce", "--metrics-file", "--dry-run", "--actor", "ops"),
		ARGV("list-user", "alice", "--limit", "\t2"),
		ARGV("enforce", "--max-sessions", "\n1", "--actor", "ops"),
		ARGV("enforce", "--batch-size", "\t5", "--actor", "ops"),
		/* a time with a leading blank, as one with a trailing blank */
		ARGV("find", "--seen-since", " 2025-02-01"),
		ARGV("logout", "--where", "--seen-until", " 2025-02-01", "--yes", "--actor", "ops"),
		ARGV("--now", " 2025-02-01 00:00:00", "enforce", "--actor", "ops"),
		/* a short option, a shortened long one, "--": as getopt takes them */
		ARGV("logout", "10", "--reason", "-q", "--actor", "ops"),
		ARGV("logout-all", "bob", "--yes", "--reason", "-y"),
		ARGV("logout-all", "bob", "--actor", "-y", "--yes"),
		ARGV("logout-all", "bob", "--yes", "--reason", "-qv"),
		ARGV("logout", "10", "--reason", "--dry", "--actor", "ops"),
		ARGV("create", "--user", "bob", "--fingerprint", "--", "--actor", "ops"),
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, cmds[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
	}
	EXPECT_UNCHANGED(before);
	free(before);
	cr_expect_eq(access(e2e_path("--dry-run"), F_OK), -1, "enforce wrote a file named --dry-run");
	struct run *r = RUN("logout", "10", "--reason", "--yes");
	EXPECT_ERR_HAS(r, "option '--reason' needs a value, and '--yes' is an option: give the value "
		       "(write --reason=--yes if that is the value meant)");
	/* with '=' it is the value */
	r = RUN("-q", "logout", "10", "--reason=--dry-run", "--actor", "ops", "-o", "csv", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n10\r\n");
	r = RUN("history", "--session", "10", "-o", "csv", "--columns", "reason");
	EXPECT_OK(r);
	EXPECT_OUT(r, "reason\r\n--dry-run\r\n");
	/* a value that only starts with '-' is a value */
	r = RUN("-q", "logout", "11", "--reason", "-5", "--actor", "ops");
	EXPECT_OK(r);
	r = RUN("history", "--session", "11", "-o", "csv", "--columns", "reason", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "-5\r\n");
}

/* The check for a long option given a value must not catch an unknown
 * short option that merely follows a long one. */
Test(cli, an_unknown_short_option_after_a_long_flag_is_named_as_unknown)
{
	fx_standard();
	struct run *r = RUN("count", "--no-header", "-Zq");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "'-Z'");
	cr_expect_null(strstr(r->err, "takes no value"), "%s: misreported: %s", r->what, r->err);
	r = RUN("list-user", "alice", "--all", "-Zq");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "'-Z'");
	cr_expect_null(strstr(r->err, "takes no value"), "%s: misreported: %s", r->what, r->err);
}

/* ---- option errors that say what is wrong (issue 13 item 6) ---- */

Test(cli, an_unknown_option_before_the_command_is_named_not_blamed_on_placement)
{
	struct run *r = RUN_NODB("--frobnicate", "history");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "unknown option '--frobnicate'");
	cr_expect_null(strstr(r->err, "go after"), "blamed on its place: %s", r->err);
	r = RUN_NODB("--yes", "logout-all", "bob");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "'--yes' belongs after the command name");
}

Test(cli, capital_v_is_the_version)
{
	struct run *a = RUN_NODB("-V"), *b = RUN_NODB("--version");
	EXPECT_OK(a);
	EXPECT_OUT(a, b->out);
}

Test(cli, an_ambiguous_option_lists_its_candidates)
{
	struct run *r = RUN("list-user", "--d", "web", "alice");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "option '--d' is ambiguous: --db, --device-type");
}

Test(cli, an_unknown_option_gets_the_nearest_one)
{
	struct run *r = RUN("count", "--ovre", "3");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "unknown option '--ovre': did you mean '--over'?");
	r = RUN_NODB("--dbb", "x.db", "count");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "did you mean '--db'?");
	r = RUN("count", "--zzzzzz");
	EXPECT_FAIL(r, 64);
	cr_expect_null(strstr(r->err, "did you mean"), "a far-fetched suggestion: %s", r->err);
	/* another command's word: history's --since is find's --seen-since
	 * or --created-since, list-user's --type its --device-type */
	r = RUN("find", "--since", "7d");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "unknown option '--since': did you mean '--seen-since' or '--created-since'?");
	r = RUN("list-user", "alice", "--type", "web");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "unknown option '--type': did you mean '--device-type'?");
}

Test(cli, help_with_a_misspelt_command_suggests_the_nearest)
{
	struct run *r = RUN_NODB("help", "lsit-user");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "unknown command 'lsit-user': did you mean 'list-user'?");
}

/* Each backend is a module: a run maps its own database library and not
 * the other's (libpq costs an SQLite run 20 ms of start-up; libsqlite3
 * and libm cost a PostgreSQL run 0.5 MiB of peak RSS). */
Test(cli, a_run_maps_the_client_library_of_its_backend_only)
{
	static const char *const env[] = { "LD_DEBUG=libs", NULL };
	bool postgres = e2e_pg();
	const char *own = postgres ? "libpq.so" : "libsqlite3.so";
	const char *other = postgres ? "libsqlite3.so" : "libpq.so";

	fx_standard();
	struct run *r = e2e_run(&(struct call){ .env = env }, ARGV("count", "1"));
	cr_expect_eq(r->status, 0, "exit status %d: %s", r->status, r->err);
	cr_expect_not_null(strstr(r->err, own), "%s is not mapped: %s", own, r->err);
	cr_expect_null(strstr(r->err, other), "%s is mapped", other);
	r = e2e_run(&(struct call){ .env = env, .no_db = true }, ARGV("--version"));
	EXPECT_OUT_HAS(r, "backends: sqlite (");
	cr_expect_null(strstr(r->err, "libsqlite3.so"), "--version maps libsqlite3");
	cr_expect_null(strstr(r->err, "libpq.so"), "--version maps libpq");
}
