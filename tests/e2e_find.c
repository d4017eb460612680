/* find: every filter alone and combined, at its edges (CIDR boundaries,
 * IPv6, IPv4-mapped forms, times exactly at a bound), absolute and
 * relative times alike, id order, --limit, the output formats, the extra
 * columns, usage errors and a reader that goes away. */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(find, .init = e2e_setup, .fini = e2e_teardown, .timeout = 120);

/* The standard fixture (alice 10-14, bob 20-21; see e2e.h) and carol's
 * sessions at the edges of 203.0.113.0/24 and 2001:db8:0:1::/64, all
 * created 2025-02-05 and last seen 2025-02-06; 37 is inactive. Session 5
 * comes last, so that a table read in physical order would show it last. */
static const char FX_FIND_SQL[] =
	"INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,\n"
	"                      ip_address, created_at, last_activity, is_active) VALUES\n"
	" (30, 3, 'fp-c0', 'c0', 'web', 'Chrome', '203.0.113.0', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (31, 3, 'fp-c1', 'c1', 'web', 'Chrome', '203.0.113.255', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (32, 3, 'fp-c2', 'c2', 'web', 'Chrome', '203.0.112.255', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (33, 3, 'fp-c3', 'c3', 'web', 'Chrome', '203.0.114.0', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (34, 3, 'fp-c4', 'c4', 'mobile', 'Safari', '2001:db8:0:1::5', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (35, 3, 'fp-c5', 'c5', 'mobile', 'Safari', '2001:db8:0:2::5', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (36, 3, 'fp-c6', 'c6', 'web', 'Firefox', '::ffff:203.0.113.9', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (37, 3, 'fp-c7', 'c7', 'web', 'Firefox', '::FFFF:203.0.113.10', '2025-02-05 00:00:00', '2025-02-06 00:00:00', FALSE),\n"
	" (38, 3, 'fp-c8', 'c8', 'mobile', 'Safari', '2001:db8:0:1:ffff:ffff:ffff:ffff', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE),\n"
	" (39, 3, 'fp-c9', 'c9', 'web', 'Chrome', '2001:db8:0:0:ffff:ffff:ffff:ffff', '2025-02-05 00:00:00', '2025-02-06 00:00:00', TRUE);\n"
	"INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,\n"
	"                      ip_address, created_at, last_activity, is_active) VALUES\n"
	" (5, 3, 'fp-c-early', 'early', 'web', 'Chrome', '198.51.100.1', '2025-01-05 00:00:00', '2025-01-06 00:00:00', TRUE);\n";

static void fx_find(void)
{
	fx_standard();
	db_exec(FX_FIND_SQL);
	db_fix_sequence_in(e2e_db());
}

/* The ids find prints with these options, as "a,b,c". */
static char *ids(const char *const *extra)
{
	const char *argv[40] = { "find", "-o", "csv", "--no-header", "--columns", "id" };
	size_t n = 6;
	struct run *r;
	char *s;

	for (; extra && *extra; extra++) {
		cr_assert_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
		argv[n++] = *extra;
	}
	argv[n] = NULL;
	r = e2e_run(&(struct call){ 0 }, argv);
	cr_assert_eq(r->status, 0, "%s: exit status %d: %s", r->what, r->status, r->err);
	cr_assert_eq(r->err_len, 0, "%s: stderr: %s", r->what, r->err);
	s = strdup(r->out);
	cr_assert_not_null(s);
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

#define EXPECT_IDS(want, ...)                                                               \
	do {                                                                                \
		char *got_ = ids(ARGV(__VA_ARGS__));                                        \
		cr_expect_str_eq(got_, (want), "find %s: ids %s, expected %s", #__VA_ARGS__, \
				 got_, (want));                                             \
		free(got_);                                                                 \
	} while (0)
#define NOARGS NULL

#define ACTIVE_ALL "5,10,11,12,14,20,30,31,32,33,34,35,36,38,39"

Test(find, lists_the_active_sessions_of_every_user_in_id_order)
{
	fx_find();
	EXPECT_IDS(ACTIVE_ALL, NOARGS);
	EXPECT_IDS(ACTIVE_ALL, "--active");
	EXPECT_IDS("13,21,37", "--inactive");
	EXPECT_IDS("5,10,11,12,13,14,20,21,30,31,32,33,34,35,36,37,38,39", "--all");
	EXPECT_IDS("5,10,11,12,13,14,20,21,30,31,32,33,34,35,36,37,38,39", "-a");
	EXPECT_IDS("13,21,37", "--inactive", "--inactive");
}

Test(find, active_inactive_and_all_exclude_each_other)
{
	fx_find();
	const char *const *bad[] = {
		ARGV("find", "--active", "--all"),
		ARGV("find", "--inactive", "--active"),
		ARGV("find", "-a", "--inactive"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, bad[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
		EXPECT_ERR_HAS(r, "exclude each other");
	}
}

Test(find, ip_takes_an_exact_address_in_any_text_form)
{
	fx_find();
	EXPECT_IDS("10", "--ip", "203.0.113.5");
	EXPECT_IDS("11", "--ip", "2001:db8::1");
	EXPECT_IDS("11", "--ip", "2001:0db8:0:0::1");
	EXPECT_IDS("20", "--ip", "192.0.2.7");
	EXPECT_IDS("20", "--ip", "::ffff:192.0.2.7");
	EXPECT_IDS("", "--ip", "203.0.113.6");
}

/* Addresses as applications and proxies store them: find --ip skipped
 * every form inet_pton refuses, and a bulk logout of the range after a
 * breach left those sessions logged in, saying nothing. */
Test(find, ip_reads_the_forms_applications_and_proxies_store)
{
	fx_standard();
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, ip_address, created_at,\n"
		"                      last_activity, is_active) VALUES\n"
		" (40, 3, 'f40', '203.0.113.8:51234', '2025-02-05', '2025-02-06', TRUE),\n"
		" (41, 3, 'f41', '10.9.9.9, 203.0.113.9', '2025-02-05', '2025-02-06', TRUE),\n"
		" (42, 3, 'f42', ' 203.0.113.10 ', '2025-02-05', '2025-02-06', TRUE),\n"
		" (43, 3, 'f43', '203.0.113.11\n', '2025-02-05', '2025-02-06', TRUE),\n"
		" (44, 3, 'f44', '203.000.113.012', '2025-02-05', '2025-02-06', TRUE),\n"
		" (45, 3, 'f45', '203.0.113.13/32', '2025-02-05', '2025-02-06', TRUE),\n"
		" (53, 3, 'f53', '203.0.113.0/24', '2025-02-05', '2025-02-06', TRUE),\n"
		" (46, 3, 'f46', '[203.0.113.14]', '2025-02-05', '2025-02-06', TRUE),\n"
		" (47, 3, 'f47', '[2001:db8:7::1]:443', '2025-02-05', '2025-02-06', TRUE),\n"
		" (48, 3, 'f48', 'fe80::1%eth0', '2025-02-05', '2025-02-06', TRUE),\n"
		" (49, 3, 'f49', '0203.0.113.1', '2025-02-05', '2025-02-06', TRUE),\n"
		" (50, 3, 'f50', '203.0.113.256', '2025-02-05', '2025-02-06', TRUE),\n"
		" (51, 3, 'f51', 'unknown', '2025-02-05', '2025-02-06', TRUE),\n"
		" (52, 3, 'f52', '203.0.114.1:80', '2025-02-05', '2025-02-06', TRUE)");
	db_fix_sequence_in(e2e_db());
	EXPECT_IDS("10,40,41,42,43,44,45,46", "--ip", "203.0.113.0/24");
	EXPECT_IDS("12,41", "--ip", "10.0.0.0/8");
	EXPECT_IDS("44", "--ip", "203.0.113.12");
	EXPECT_IDS("47", "--ip", "2001:db8:7::/48");
	EXPECT_IDS("48", "--ip", "fe80::/10");
	EXPECT_IDS("10,40,41,42,43,44,45,46,52", "--ip", "203.0.112.0/22");
	/* The bulk logout closes the same sessions, and only those. */
	struct run *r = RUN("logout", "--where", "--ip", "203.0.113.0/24", "--yes", "-q");
	EXPECT_OK(r);
	EXPECT_ROWS("SELECT id FROM sessions WHERE id >= 40 AND is_active ORDER BY id",
		    "47\n48\n49\n50\n51\n52\n53\n");
}

Test(find, ipv4_cidr_includes_both_edges_of_the_block_and_nothing_beside)
{
	fx_find();
	/* 203.0.112.255 (32) and 203.0.114.0 (33) lie just outside. */
	EXPECT_IDS("10,30,31,36", "--ip", "203.0.113.0/24");
	EXPECT_IDS("10,30,31,36,37", "--ip", "203.0.113.0/24", "--all");
	EXPECT_IDS("10,30,36", "--ip", "203.0.113.0/25");
	EXPECT_IDS("31", "--ip", "203.0.113.128/25");
	EXPECT_IDS("32", "--ip", "203.0.112.255/32");
	EXPECT_IDS("10,30,31,32,33,36", "--ip", "203.0.112.0/22");
	/* a prefix that is not a whole number of octets */
	EXPECT_IDS("12,13", "--ip", "10.0.0.0/12", "--all");
	EXPECT_IDS("", "--ip", "10.16.0.0/12", "--all");
	EXPECT_IDS("12,13", "--ip", "10.0.0.0/8", "--all");
	EXPECT_IDS("5,10,12,20,30,31,32,33,36", "--ip", "0.0.0.0/0");
}

Test(find, ipv6_cidr_includes_both_edges_of_a_64)
{
	fx_find();
	/* 39 is the last address before 2001:db8:0:1::/64, 35 is after it. */
	EXPECT_IDS("34,38", "--ip", "2001:db8:0:1::/64");
	EXPECT_IDS("11,39", "--ip", "2001:db8::/64");
	EXPECT_IDS("11,34,35,38,39", "--ip", "2001:db8::/32");
	EXPECT_IDS("11,34,35,38,39", "--ip", "::/0");
	EXPECT_IDS("", "--ip", "2001:db9::/32");
}

Test(find, ipv4_mapped_addresses_match_as_ipv4_in_either_direction)
{
	fx_find();
	/* stored ::ffff:203.0.113.9 and ::FFFF:203.0.113.10 match an IPv4 block */
	EXPECT_IDS("36,37", "--ip", "203.0.113.8/29", "--all");
	/* and a mapped block matches stored IPv4 text */
	EXPECT_IDS("10,30,31,36,37", "--ip", "::ffff:203.0.113.0/120", "--all");
	EXPECT_IDS("20", "--ip", "::ffff:192.0.2.0/120");
}

Test(find, fingerprint_device_type_and_browser_match_exactly)
{
	fx_find();
	EXPECT_IDS("11", "--fingerprint", "fp-a2");
	EXPECT_IDS("", "--fingerprint", "fp-a4");
	EXPECT_IDS("13", "--fingerprint", "fp-a4", "--all");
	EXPECT_IDS("", "--fingerprint", "fp-a");
	EXPECT_IDS("11,20,34,35,38", "--device-type", "mobile");
	EXPECT_IDS("5,10,12,30,31,32,33,36,39", "--device-type", "web");
	EXPECT_IDS("5,10,30,31,32,33,39", "--browser", "Chrome");
	EXPECT_IDS("20", "--browser", "Chrome Mobile");
	EXPECT_IDS("", "--browser", "chrome");
}

Test(find, user_is_repeatable_and_takes_ids_emails_and_usernames)
{
	fx_find();
	EXPECT_IDS("10,11,12,14", "--user", "alice");
	EXPECT_IDS("10,11,12,14,20", "--user", "bob", "--user", "alice@example.com");
	EXPECT_IDS("10,11,12,14,20", "--user", "2", "--user", "1", "--user", "bob");
	EXPECT_IDS("5,30,31,32,33,34,35,36,38,39", "--user", "carol");
	EXPECT_IDS("13,21", "--user", "alice", "--user", "bob", "--inactive");
	EXPECT_IDS("", "--user", "dup1@example.com");
}

Test(find, an_unknown_user_is_exit_67_and_an_ambiguous_one_64)
{
	fx_find();
	struct run *r = RUN("find", "--user", "alice", "--user", "nobody");
	EXPECT_FAIL(r, 67);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "nobody");
	r = RUN("find", "--user", "999", "-o", "json");
	EXPECT_FAIL(r, 67);
	EXPECT_NO_OUT(r);
	r = RUN("find", "--user", "dupname");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
}

Test(find, since_bounds_include_a_time_exactly_at_them_and_until_bounds_exclude_it)
{
	fx_find();
	/* 10 and 11 were last seen exactly 2025-02-08 10:30:00; 14 never. */
	EXPECT_IDS("10,11", "--seen-since", "2025-02-08 10:30:00");
	EXPECT_IDS("", "--seen-since", "2025-02-08 10:30:01");
	EXPECT_IDS("5,12,20,30,31,32,33,34,35,36,38,39", "--seen-until", "2025-02-08 10:30:00");
	EXPECT_IDS("5,10,11,12,20,30,31,32,33,34,35,36,38,39", "--seen-until", "2025-02-08 10:30:01");
	/* 11 was created exactly 2025-02-02 09:00:00 */
	EXPECT_IDS("11,20,30,31,32,33,34,35,36,38,39", "--created-since", "2025-02-02 09:00:00");
	EXPECT_IDS("5,10,12", "--created-until", "2025-02-02 09:00:00");
	EXPECT_IDS("11", "--created-since", "2025-02-02 09:00:00", "--created-until",
		   "2025-02-02 09:00:01");
	EXPECT_IDS("", "--created-since", "2025-02-02 09:00:00", "--created-until",
		   "2025-02-02 09:00:00");
	EXPECT_IDS("20", "--seen-since", "2025-02-08", "--seen-until", "2025-02-08 10:30:00");
}

Test(find, a_bound_with_a_fraction_of_a_second_is_kept_to_the_microsecond)
{
	fx_find();
	/* Applications write fractions; a bound may give one too, and the
	 * half-open ranges hold at the microsecond, not the second. */
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type,\n"
		"                      browser, ip_address, created_at, last_activity, is_active)\n"
		" VALUES (40, 3, 'fp-frac', 'frac', 'web', 'Chrome', '192.0.2.40',\n"
		"         '2025-02-07 11:00:00.25', '2025-02-07 12:00:00.5', TRUE)");
	EXPECT_IDS("40", "--seen-since", "2025-02-07 12:00:00.5", "--seen-until", "2025-02-07 12:00:00.500001");
	EXPECT_IDS("", "--seen-since", "2025-02-07 12:00:00.500001", "--seen-until", "2025-02-07 12:00:01");
	EXPECT_IDS("40", "--seen-since", "2025-02-07 12:00:00", "--seen-until", "2025-02-07 12:00:00.6");
	EXPECT_IDS("", "--seen-since", "2025-02-07 12:00:00", "--seen-until", "2025-02-07 12:00:00.5");
	EXPECT_IDS("40", "--seen-since", "2025-02-07T13:00:00.4+01:00", "--seen-until", "2025-02-07 12:00:01");
	EXPECT_IDS("40", "--created-since", "2025-02-07 11:00:00.25", "--created-until", "2025-02-07 11:00:00.250001");
	EXPECT_IDS("", "--created-since", "2025-02-07 11:00:00.2501", "--created-until", "2025-02-07 11:00:01");
	EXPECT_IDS("", "--created-since", "2025-02-07 11:00:00", "--created-until", "2025-02-07 11:00:00.25");
}

Test(find, a_duration_ago_and_the_same_absolute_time_give_the_same_rows)
{
	fx_find();
	const char *now = "2025-02-09 10:30:00";
	char *rel = ids(ARGV("--now", now, "--seen-since", "1d"));
	char *abs = ids(ARGV("--now", now, "--seen-since", "2025-02-08 10:30:00"));
	char *rfc = ids(ARGV("--now", now, "--seen-since", "2025-02-08T11:30:00+01:00"));
	char *rel_until = ids(ARGV("--now", now, "--created-until", "7d", "--all"));
	char *abs_until = ids(ARGV("--now", now, "--created-until", "2025-02-02T10:30:00Z", "--all"));

	cr_expect_str_eq(rel, "10,11", "--seen-since 1d: %s", rel);
	cr_expect_str_eq(abs, rel, "--seen-since absolute: %s, relative: %s", abs, rel);
	cr_expect_str_eq(rfc, rel, "--seen-since RFC 3339 with offset: %s, relative: %s", rfc, rel);
	cr_expect_str_eq(rel_until, "5,10,11,12,13,21", "--created-until 7d: %s", rel_until);
	cr_expect_str_eq(abs_until, rel_until, "absolute %s, relative %s", abs_until, rel_until);
	free(rel);
	free(abs);
	free(rfc);
	free(rel_until);
	free(abs_until);

	/* SESSCTL_NOW works as --now */
	struct run *env = e2e_run(&(struct call){ .env = ARGV("SESSCTL_NOW=2025-02-09 10:30:00") },
				  ARGV("find", "--seen-since", "1d", "-o", "csv", "--columns", "id"));
	EXPECT_OK(env);
	EXPECT_OUT(env, "id\r\n10\r\n11\r\n");
}

Test(find, idle_for_selects_sessions_idle_at_least_that_long)
{
	fx_find();
	/* at 12:00, 10 and 11 have been idle exactly 90 minutes */
	EXPECT_IDS("5,10,11,12,20,30,31,32,33,34,35,36,38,39", "--now", "2025-02-08 12:00:00",
		   "--idle-for", "90m");
	EXPECT_IDS("5,12,20,30,31,32,33,34,35,36,38,39", "--now", "2025-02-08 12:00:00",
		   "--idle-for", "91m");
	EXPECT_IDS("5,12", "--now", "2025-02-08 12:00:00", "--idle-for", "30d");
}

Test(find, filters_combine)
{
	fx_find();
	EXPECT_IDS("10", "--ip", "203.0.113.0/24", "--user", "alice", "--device-type", "web",
		   "--browser", "Chrome", "--seen-since", "2025-02-08");
	EXPECT_IDS("30,31", "--ip", "203.0.113.0/24", "--user", "carol", "--browser", "Chrome");
	EXPECT_IDS("36,37", "--ip", "203.0.113.0/24", "--user", "carol", "--browser", "Firefox",
		   "--all", "--created-since", "2025-02-05", "--created-until", "2025-02-06");
	EXPECT_IDS("37", "--ip", "203.0.113.0/24", "--inactive");
	EXPECT_IDS("13", "--ip", "10.0.0.0/8", "--inactive", "--fingerprint", "fp-a4");
	EXPECT_IDS("34,38", "--ip", "2001:db8:0:1::/64", "--user", "carol", "--device-type",
		   "mobile", "--browser", "Safari", "--idle-for", "1d", "--now", "2025-02-08 00:00:00");
	EXPECT_IDS("", "--ip", "2001:db8:0:1::/64", "--user", "carol", "--idle-for", "3d",
		   "--now", "2025-02-08 00:00:00");
}

Test(find, limit_keeps_the_lowest_ids_and_applies_after_the_address_filter)
{
	fx_find();
	EXPECT_IDS("5,10", "--limit", "2");
	EXPECT_IDS("5", "-n", "1");
	EXPECT_IDS("10,30", "--ip", "203.0.113.0/24", "--limit", "2");
	EXPECT_IDS("34", "--ip", "2001:db8:0:1::/64", "--limit", "1");
	EXPECT_IDS("10,30,31,36,37", "--ip", "203.0.113.0/24", "--all", "--limit", "100");
	EXPECT_IDS("13,21", "--inactive", "--limit", "2");
}

Test(find, json_has_the_application_session_shape)
{
	fx_find();
	struct run *r = RUN("find", "--user", "alice", "--ip", "2001:db8::1", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n{\"id\":11,\"user_id\":1,\"device_name\":\"Safari on iPhone\","
		      "\"device_type\":\"mobile\",\"browser\":\"Safari\",\"ip_address\":\"2001:db8::1\","
		      "\"created_at\":\"2025-02-02T09:00:00Z\",\"last_activity\":\"2025-02-08T10:30:00Z\","
		      "\"is_active\":true}\n]\n");

	r = RUN("find", "--user", "alice", "--user", "bob", "--all", "-o", "json", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n{\"id\":10},\n{\"id\":11},\n{\"id\":12},\n{\"id\":13},\n{\"id\":14},\n"
		      "{\"id\":20},\n{\"id\":21}\n]\n");

	r = RUN("find", "--user", "carol", "--ip", "10.0.0.0/8", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[]\n");

	r = RUN("find", "--fingerprint", "fp-a5", "-o", "ndjson");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"id\":14,\"user_id\":1,\"device_name\":null,\"device_type\":null,"
		      "\"browser\":null,\"ip_address\":null,\"created_at\":null,"
		      "\"last_activity\":null,\"is_active\":true}\n");
}

Test(find, same_rows_as_list_user_in_every_format)
{
	fx_find();
	const char *formats[] = { "json", "ndjson", "csv" };
	for (size_t i = 0; i < 3; i++) {
		struct run *f = RUN("find", "--user", "bob", "--all", "-o", formats[i]);
		struct run *l = RUN("list-user", "bob", "--all", "-o", formats[i]);
		EXPECT_OK(f);
		EXPECT_OK(l);
		EXPECT_OUT(f, l->out);
	}
}

Test(find, columns_may_add_email_username_and_the_fingerprint)
{
	fx_find();
	struct run *r = RUN("find", "--user", "bob", "--user", "alice", "--device-type", "mobile",
			    "-o", "csv", "--columns", "id,email,username,device_fingerprint");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id,email,username,device_fingerprint\r\n"
		      "11,alice@example.com,alice,fp-a2\r\n"
		      "20,bob@example.com,bob,fp-b1\r\n");

	r = RUN("find", "--fingerprint", "fp-b2", "--all", "-o", "ndjson", "--columns",
		" username , id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"username\":\"bob\",\"id\":21}\n");

	r = RUN("find", "--columns", "id,nope");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "email");
}

Test(find, bad_values_are_usage_errors)
{
	fx_find();
	const char *const *bad[] = {
		ARGV("find", "--ip", "203.0.113"),
		ARGV("find", "--ip", "10.0.0.0/33"),
		ARGV("find", "--ip", "::ffff:10.0.0.0/64"),
		ARGV("find", "--device-type", "tablet"),
		ARGV("find", "--limit", "0"),
		ARGV("find", "--limit", "x"),
		ARGV("find", "--seen-since", "yesterday"),
		ARGV("find", "--seen-until", "2025-13-01"),
		ARGV("find", "--created-since", "-1d"),
		ARGV("find", "--created-until", ""),
		ARGV("find", "--idle-for", "2025-01-01"),
		ARGV("find", "--user", ""),
		ARGV("find", "alice"),
		ARGV("find", "--user"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = e2e_run(&(struct call){ 0 }, bad[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
	}
}

/* ---- a reader that goes away ---- */

/* Alice's closed sessions 1000 to 4999, so that the output is many times
 * a pipe's buffer. */
static void many_sessions(void)
{
	fx_standard();
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type,\n"
		"                      ip_address, created_at, last_activity, is_active)\n"
		"WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)\n"
		"SELECT i, 1, 'many' || i, 'a device with a long enough name', 'web', '10.0.0.1',\n"
		"       '2025-01-01 00:00:00', '2025-01-02 00:00:00', FALSE FROM n");
	db_fix_sequence_in(e2e_db());
}

/* Runs sessctl --db URL argv with standard output into a pipe whose
 * reading end is closed; returns its exit status, *err its stderr. */
static int into_closed_pipe(const char *const *argv, char **err)
{
	const char *args[32] = { "sessctl", "--db", e2e_url() };
	size_t n = 3;
	char err_path[512];
	int fd[2], ws;
	pid_t pid;

	for (size_t i = 0; argv[i]; i++) {
		cr_assert_lt(n, sizeof(args) / sizeof(args[0]) - 1);
		args[n++] = argv[i];
	}
	args[n] = NULL;
	snprintf(err_path, sizeof(err_path), "%s/find-pipe.err", e2e_dir());
	cr_assert_eq(pipe(fd), 0);
	close(fd[0]);
	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);
		if (efd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd[1], 1) < 0 || dup2(efd, 2) < 0)
			_exit(126);
		close(fd[1]);
		if (chdir(e2e_dir()) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		unsetenv("SESSCTL_DB");
		unsetenv("SESSCTL_NOW");
		const char *san = getenv("SESSCTL_TEST_SANLOG");
		if (san && *san) {
			char opt[512];
			snprintf(opt, sizeof(opt), "log_path=%s/sessctl:detect_leaks=1", san);
			setenv("ASAN_OPTIONS", opt, 1);
			snprintf(opt, sizeof(opt), "log_path=%s/sessctl:print_stacktrace=1", san);
			setenv("UBSAN_OPTIONS", opt, 1);
		}
		execv(getenv("SESSCTL_BIN"), (char *const *)(uintptr_t)args);
		_exit(127);
	}
	close(fd[1]);
	while (waitpid(pid, &ws, 0) < 0)
		cr_assert_eq(errno, EINTR);
	*err = e2e_read_file(err_path, NULL);
	cr_assert_not_null(*err);
	const char *san = getenv("SESSCTL_TEST_SANLOG");
	if (san && *san) {
		char san_path[512];
		snprintf(san_path, sizeof(san_path), "%s/sessctl.%ld", san, (long)pid);
		cr_expect_not(e2e_exists(san_path), "sanitizer report in %s", san_path);
	}
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* "a,b,...", the ids from..to after the given prefix. */
static char *id_range(const char *prefix, int from, int to)
{
	size_t cap = strlen(prefix) + (size_t)(to - from + 1) * 6 + 1, len;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	len = (size_t)snprintf(s, cap, "%s", prefix);
	for (int i = from; i <= to; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%d", len ? "," : "", i);
	return s;
}

/* PostgreSQL reads a listing in batches of 1,000 rows, the next one
 * asked for while this one is written out: every row comes once and in
 * order, and a listing stopped in the middle (a limit counted after the
 * address filter) leaves the connection ready for the commit and the
 * next command. */
Test(find, a_long_listing_is_whole_and_in_order_and_stops_anywhere)
{
	many_sessions();
	char *want = id_range("10,11,12,13,14,20,21", 1000, 4999);
	EXPECT_IDS(want, "--all");
	free(want);

	const int limits[] = { 1, 998, 1000, 2500, 4001 };
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		char limit[16];
		snprintf(limit, sizeof(limit), "%d", limits[i]);
		/* 12 and 13 are in 10.0.0.0/8 too */
		want = limits[i] == 1 ? strdup("12") : id_range("12,13", 1000, 1000 + limits[i] - 3);
		EXPECT_IDS(want, "--all", "--ip", "10.0.0.0/8", "--limit", limit);
		free(want);
	}
	want = id_range("", 1000, 4999);
	EXPECT_IDS(want, "--inactive", "--ip", "10.0.0.1");
	free(want);
	struct run *r = RUN("count", "alice");
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
}

Test(find, a_closed_pipe_ends_it_quietly_and_a_full_disk_is_74)
{
	many_sessions();
	struct run *all = RUN("find", "--all", "-o", "ndjson");
	EXPECT_OK(all);
	size_t lines = 0;
	for (const char *p = all->out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 4007, "find --all printed %zu lines", lines);

	const char *const *cases[] = {
		ARGV("find", "--all", "-o", "ndjson"),
		ARGV("find", "--all", "-o", "json"),
		ARGV("find", "--all", "-o", "csv"),
		ARGV("find", "--all", "--ip", "10.0.0.0/8", "-o", "csv"),
		ARGV("find", "--all"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err;
		int st = into_closed_pipe(cases[i], &err);
		cr_expect_eq(st, 0, "case %zu into a closed pipe: exit status %d; stderr: %s", i, st, err);
		cr_expect_str_empty(err, "case %zu into a closed pipe: stderr: %s", i, err);
		free(err);

		struct run *full = e2e_run(&(struct call){ .out_to = "/dev/full" }, cases[i]);
		EXPECT_FAIL(full, 74);
		EXPECT_ERR_HAS(full, "cannot write output: no space left on device\n");
	}
}
