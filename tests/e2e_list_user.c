/* list-user: selection by id, email or username, every filter, ordering. */
#include "e2e.h"
#include "unit.h"

TestSuite(list_user, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

/* The ids list-user prints with extra options, as "a,b,c". */
static char *ids(const char *user, const char *const *extra)
{
	const char *argv[24] = { "list-user", user, "-o", "csv", "--no-header", "--columns", "id" };
	size_t n = 7;
	struct run *r;
	char *s;

	for (; extra && *extra; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	r = e2e_run(&(struct call){ 0 }, argv);
	cr_assert_eq(r->status, 0, "%s: exit status %d: %s", r->what, r->status, r->err);
	s = strdup(r->out);
	cr_assert_not_null(s);
	/* "11\r\n10\r\n" -> "11,10" */
	size_t j = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\r')
			continue;
		s[j++] = s[i] == '\n' ? ',' : s[i];
	}
	if (j && s[j - 1] == ',')
		j--;
	s[j] = '\0';
	return s;
}

#define EXPECT_IDS(user, want, ...)                                                         \
	do {                                                                                \
		char *got_ = ids((user), ARGV(__VA_ARGS__));                                \
		cr_expect_str_eq(got_, (want), "list-user %s %s: ids %s, expected %s", (user), \
				 #__VA_ARGS__, got_, (want));                               \
		free(got_);                                                                 \
	} while (0)
#define NOARGS NULL

Test(list_user, lists_active_sessions_most_recent_first_ties_by_higher_id_nulls_last)
{
	fx_standard();
	EXPECT_IDS("1", "11,10,12,14", NOARGS);
}

Test(list_user, finds_the_user_by_id_email_or_username_alike)
{
	fx_standard();
	struct run *by_id = RUN("list-user", "1", "-o", "json");
	struct run *by_email = RUN("list-user", "alice@example.com", "-o", "json");
	struct run *by_name = RUN("list-user", "alice", "-o", "json");

	EXPECT_OK(by_id);
	EXPECT_OK(by_email);
	EXPECT_OK(by_name);
	EXPECT_OUT(by_email, by_id->out);
	EXPECT_OUT(by_name, by_id->out);
	EXPECT_OUT_HAS(by_id, "\"id\":11");
}

Test(list_user, all_adds_closed_sessions_in_the_same_order)
{
	fx_standard();
	EXPECT_IDS("1", "11,10,13,12,14", "--all");
	EXPECT_IDS("1", "11,10,13,12,14", "-a");
	EXPECT_IDS("bob", "20,21", "--all");
	EXPECT_IDS("bob", "20", NOARGS);
}

Test(list_user, device_type_filters_web_or_mobile)
{
	fx_standard();
	EXPECT_IDS("1", "11", "--device-type", "mobile");
	EXPECT_IDS("1", "10,12", "--device-type", "web");
	EXPECT_IDS("1", "10,13,12", "--device-type", "web", "--all");
	EXPECT_IDS("bob", "", "--device-type", "web");
}

Test(list_user, ip_filter_takes_an_exact_address)
{
	fx_standard();
	EXPECT_IDS("1", "10", "--ip", "203.0.113.5");
	EXPECT_IDS("1", "11", "--ip", "2001:db8::1");
	EXPECT_IDS("1", "11", "--ip", "2001:0db8:0:0::1");
	EXPECT_IDS("1", "", "--ip", "203.0.113.6");
}

Test(list_user, ip_filter_takes_an_ipv4_cidr_block)
{
	fx_standard();
	EXPECT_IDS("1", "12", "--ip", "10.0.0.0/8");
	EXPECT_IDS("1", "13,12", "--ip", "10.0.0.0/8", "--all");
	EXPECT_IDS("1", "12", "--ip", "10.1.2.0/24");
	EXPECT_IDS("1", "10,12", "--ip", "0.0.0.0/0");
	EXPECT_IDS("1", "", "--ip", "192.168.0.0/16");
}

Test(list_user, ip_filter_takes_an_ipv6_cidr_block)
{
	fx_standard();
	EXPECT_IDS("1", "11", "--ip", "2001:db8::/32");
	EXPECT_IDS("1", "11", "--ip", "::/0");
	EXPECT_IDS("1", "", "--ip", "2001:db9::/32");
}

Test(list_user, ip_filter_matches_ipv4_mapped_addresses_as_ipv4)
{
	fx_standard();
	EXPECT_IDS("bob", "20", "--ip", "192.0.2.0/24");
	EXPECT_IDS("bob", "20", "--ip", "192.0.2.7");
}

Test(list_user, limit_applies_after_the_ip_filter)
{
	fx_standard();
	EXPECT_IDS("1", "13", "--ip", "10.0.0.0/8", "--all", "--limit", "1");
	EXPECT_IDS("1", "13,12", "--ip", "10.0.0.0/8", "--all", "--limit", "5");
}

Test(list_user, idle_for_selects_sessions_idle_at_least_that_long_as_of_now)
{
	fx_standard();
	/* 12 has been idle since 2025-01-01; 10 and 11 since 2025-02-08 10:30. */
	char *got = ids("1", ARGV("--idle-for", "30d", "--now", "2025-02-08 12:00:00"));
	cr_expect(strncmp(got, "12", 2) == 0 && !strstr(got, "10") && !strstr(got, "11"),
		  "--idle-for 30d: ids %s, expected 12 (and perhaps 14, which has no activity time)", got);
	free(got);
	got = ids("1", ARGV("--idle-for", "90m", "--now", "2025-02-08 12:00:00"));
	cr_expect(strncmp(got, "11,10,12", 8) == 0,
		  "--idle-for 90m (exactly 10:30's idle time): ids %s, expected 11,10,12 first", got);
	free(got);
	got = ids("1", ARGV("--idle-for", "91m", "--now", "2025-02-08 12:00:00"));
	cr_expect(strncmp(got, "12", 2) == 0, "--idle-for 91m: ids %s, expected 12 first", got);
	free(got);
	got = ids("1", ARGV("--idle-for", "2w", "--now", "2025-01-02 00:00:00"));
	cr_expect(strncmp(got, "12", 2) != 0, "--idle-for 2w on 2025-01-02: ids %s, 12 is idle 1 d", got);
	free(got);
}

Test(list_user, now_accepts_rfc3339_and_sessctl_now_sets_it_too)
{
	fx_standard();
	struct run *opt = RUN("list-user", "1", "--idle-for", "1d", "--now", "2025-02-09T12:00:00Z",
			      "-o", "csv");
	struct run *env = e2e_run(&(struct call){ .env = ARGV("SESSCTL_NOW=2025-02-09 12:00:00") },
				  ARGV("list-user", "1", "--idle-for", "1d", "-o", "csv"));

	EXPECT_OK(opt);
	EXPECT_OK(env);
	EXPECT_OUT(env, opt->out);
	EXPECT_OUT_HAS(opt, "\r\n11,");
	EXPECT_OUT_HAS(opt, "\r\n12,");
}

Test(list_user, limit_keeps_the_most_recent_sessions)
{
	fx_standard();
	EXPECT_IDS("1", "11,10", "--limit", "2");
	EXPECT_IDS("1", "11", "-n", "1");
	EXPECT_IDS("1", "11,10,12,14", "--limit", "100");
	EXPECT_IDS("1", "10,13", "--all", "--device-type", "web", "--limit", "2");
}

Test(list_user, options_may_come_before_or_after_the_user)
{
	fx_standard();
	struct run *a = RUN("list-user", "--all", "-o", "csv", "alice");
	struct run *b = RUN("-o", "csv", "list-user", "alice", "--all");

	EXPECT_OK(a);
	EXPECT_OK(b);
	EXPECT_OUT(a, b->out);
}

Test(list_user, a_user_without_sessions_gets_an_empty_list)
{
	fx_standard();
	struct run *json = RUN("list-user", "carol", "-o", "json");
	struct run *ndjson = RUN("list-user", "carol", "-o", "ndjson");
	struct run *csv = RUN("list-user", "3", "-o", "csv");

	EXPECT_OK(json);
	EXPECT_OUT(json, "[]\n");
	EXPECT_OK(ndjson);
	EXPECT_OUT(ndjson, "");
	EXPECT_OK(csv);
	EXPECT_OUT(csv, "id,user_id,device_name,device_type,browser,ip_address,created_at,last_activity,is_active\r\n");
}

/* The application deleted bob and left his sessions (no foreign key:
 * SQLite's are off unless the application turns them on; an adopted
 * PostgreSQL table may have none). count --by user and enforce see them;
 * every command by user reaches them by his id, as history does, and a
 * new session still needs a users row. */
Test(list_user, a_deleted_users_sessions_are_reached_by_the_user_id)
{
	fx_standard();
	if (e2e_pg())
		db_exec("ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey");
	db_exec("DELETE FROM users WHERE id = 2");
	cr_assert_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 2"), 2);

	EXPECT_IDS("2", "20,21", "--all");
	struct run *r = RUN("count", "2");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\n");
	r = RUN("find", "--user", "2", "-o", "csv", "--no-header", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "20\r\n");
	r = RUN("create", "--user", "2", "--fingerprint", "new-device");
	EXPECT_FAIL(r, 67);
	EXPECT_ERR_HAS(r, "no such user '2': the users table has no row 2, though sessions still "
		       "name it (add the user first)");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7, "create inserted a session");
	/* an --actor that is such an id stays an operator's name */
	r = RUN("logout-all", "2", "--yes", "--actor", "2", "-q");
	EXPECT_OK(r);
	EXPECT_ROWS("SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions WHERE user_id = 2 "
		    "ORDER BY id", "20|0\n21|0\n");
	EXPECT_ROWS("SELECT session_id, user_id, action, actor FROM sessctl_audit ORDER BY id",
		    "20|2|logout-all|2\n");
	/* an id no session names either is no user */
	r = RUN("list-user", "3000");
	EXPECT_FAIL(r, 67);
	cr_expect_str_eq(r->err, "sessctl: no such user '3000'\n");
}

Test(list_user, an_ambiguous_username_is_a_usage_error_that_asks_for_the_id_or_email)
{
	fx_standard();
	struct run *r = RUN("list-user", "dupname");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_OK(RUN("list-user", "dup1@example.com"));
	EXPECT_OK(RUN("list-user", "5"));
}

struct nouser_case {
	const char *user;
};

static struct nouser_case list_user_unknown_users_exit_67_cases[] = {
	{ "nobody" },
	{ "nobody@example.com" },
	{ "999" },
	{ "0" },
	{ "99999999999999999999" },
	{ "9223372036854775808" },
	{ "x' OR '1'='1" },
	{ "1 OR 1=1" },
	{ "1; DROP TABLE sessions; --" },
	{ "alice'--" },
	{ "%" },
	{ "_" },
	{ "ALICE" },
	{ "-1" },
	/* Bytes that are not UTF-8 (PostgreSQL refused the parameter: 65). */
	{ "\xff\xfe" },
	{ "al\xe9" "ce" },
	{ "bob\xc3" },
	{ "b\xffob@example.com" },
};

ParameterizedTestParameters(list_user, unknown_users_exit_67)
{
	CASE_INDEXES(list_user_unknown_users_exit_67_cases);
}

ParameterizedTest(size_t *case_, list_user, unknown_users_exit_67)
{
	const char *user = list_user_unknown_users_exit_67_cases[*case_].user;
	struct run *r;

	fx_standard();
	/* "--" so that "-1" is an operand, not an option */
	r = RUN("list-user", "--", user);
	EXPECT_FAIL(r, 67);
	EXPECT_NO_OUT(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7, "sessions changed");
	cr_expect_eq(db_int("SELECT count(*) FROM users"), 5, "users changed");
	EXPECT_FAIL(RUN("count", "--", user), 67);
}

struct usage_case {
	const char *argv[8];
	const char *err_has;
};

static struct usage_case list_user_bad_arguments_exit_64_cases[] = {
	{ { "list-user" }, "" },
	{ { "list-user", "alice", "bob" }, "" },
	{ { "list-user", "" }, "" },
	{ { "list-user", "alice", "--bogus" }, "--bogus" },
	{ { "list-user", "alice", "-Z" }, "-Z" },
	{ { "list-user", "alice", "--limit" }, "--limit" },
	{ { "list-user", "alice", "--limit", "0" }, "--limit" },
	{ { "list-user", "alice", "--limit", "-1" }, "--limit" },
	{ { "list-user", "alice", "--limit", "abc" }, "--limit" },
	{ { "list-user", "alice", "--limit", "2x" }, "--limit" },
	{ { "list-user", "alice", "--limit", "99999999999999999999" }, "--limit" },
	{ { "list-user", "alice", "--idle-for", "5x" }, "5x" },
	{ { "list-user", "alice", "--idle-for", "5" }, "duration" },
	{ { "list-user", "alice", "--idle-for", "" }, "duration" },
	{ { "list-user", "alice", "--idle-for", "-5m" }, "duration" },
	{ { "list-user", "alice", "--idle-for", "m" }, "duration" },
	{ { "list-user", "alice", "--device-type", "tablet" }, "tablet" },
	{ { "list-user", "alice", "--device-type", "" }, "" },
	{ { "list-user", "alice", "--ip", "300.1.1.1" }, "300.1.1.1" },
	{ { "list-user", "alice", "--ip", "10.0.0.0/33" }, "10.0.0.0/33" },
	{ { "list-user", "alice", "--ip", "::1/129" }, "::1/129" },
	{ { "list-user", "alice", "--ip", "not-an-ip" }, "not-an-ip" },
	{ { "list-user", "alice", "--ip", "" }, "" },
	{ { "list-user", "alice", "--now", "yesterday" }, "yesterday" },
	{ { "list-user", "alice", "--now", "2025-02-30 00:00:00" }, "" },
	{ { "list-user", "alice", "-o", "xml" }, "xml" },
	{ { "list-user", "alice", "--columns", "bogus" }, "bogus" },
	{ { "list-user", "alice", "--columns", "id,id" }, "id" },
	{ { "list-user", "alice", "--color", "sometimes" }, "sometimes" },
};

ParameterizedTestParameters(list_user, bad_arguments_exit_64)
{
	CASE_INDEXES(list_user_bad_arguments_exit_64_cases);
}

ParameterizedTest(size_t *case_, list_user, bad_arguments_exit_64)
{
	const struct usage_case *c = &list_user_bad_arguments_exit_64_cases[*case_];
	struct run *r;

	fx_standard();
	r = e2e_run(&(struct call){ 0 }, c->argv);
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, c->err_has);
}
