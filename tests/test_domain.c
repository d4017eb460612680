/* Unit tests of src/domain.c and src/records.c: user references, IP and
 * CIDR filters, environment defaults, device types, session records. */
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../src/domain.h"
#include "../src/records.h"

struct userref_case {
	const char *in;
	int kind;
	int64_t id;
};

static struct userref_case userref_tells_ids_emails_and_usernames_apart_cases[] = {
	{ "42", SC_USER_BY_ID, 42 },
	{ "0", SC_USER_BY_ID, 0 },
	{ "007", SC_USER_BY_ID, 7 },
	{ "74", SC_USER_BY_ID, 74 },
	{ "9223372036854775807", SC_USER_BY_ID, INT64_MAX },
	{ "9223372036854775808", SC_USER_BY_ID, -1 },
	{ "99999999999999999999", SC_USER_BY_ID, -1 },
	{ "alice@example.com", SC_USER_BY_EMAIL, -1 },
	{ "@", SC_USER_BY_EMAIL, -1 },
	{ "42@example.com", SC_USER_BY_EMAIL, -1 },
	{ "alice", SC_USER_BY_NAME, -1 },
	{ "-5", SC_USER_BY_NAME, -1 },
	{ "+5", SC_USER_BY_NAME, -1 },
	{ " 42", SC_USER_BY_NAME, -1 },
	{ "42 ", SC_USER_BY_NAME, -1 },
	{ "12a", SC_USER_BY_NAME, -1 },
	{ "x' OR '1'='1", SC_USER_BY_NAME, -1 },
	{ "Zoë", SC_USER_BY_NAME, -1 },
};

ParameterizedTestParameters(userref, tells_ids_emails_and_usernames_apart)
{
	CASE_INDEXES(userref_tells_ids_emails_and_usernames_apart_cases);
}

ParameterizedTest(size_t *case_, userref, tells_ids_emails_and_usernames_apart)
{
	struct userref_case *c = &userref_tells_ids_emails_and_usernames_apart_cases[*case_];
	struct sc_userref ref;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_userref_parse(c->in, &ref, &err), 0, "'%s' rejected: %s", c->in, err.msg);
	cr_expect_eq(ref.kind, c->kind, "'%s': kind %d, expected %d", c->in, ref.kind, c->kind);
	cr_expect_eq(ref.text, c->in, "'%s': text is not the reference given", c->in);
	if (c->kind == SC_USER_BY_ID)
		cr_expect_eq(ref.id, c->id, "'%s': id %lld, expected %lld", c->in, (long long)ref.id,
			     (long long)c->id);
}

Test(userref, rejects_empty_and_null_with_usage)
{
	struct sc_userref ref;
	struct sc_error err = { 0 };

	cr_expect_eq(sc_userref_parse("", &ref, &err), -1);
	cr_expect_eq(err.status, SC_USAGE);
	cr_expect_neq(err.msg[0], '\0');
	sc_error_clear(&err);
	cr_expect_eq(sc_userref_parse(NULL, &ref, &err), -1);
	cr_expect_eq(err.status, SC_USAGE);
}

Test(user, free_accepts_null_and_clears)
{
	struct sc_user u = { 5, strdup("a@b"), strdup("a"), NULL };

	sc_user_free(NULL);
	sc_user_free(&u);
	cr_expect_null(u.email);
	cr_expect_null(u.username);
	sc_user_free(&u);
}

struct ipnet_case {
	const char *in;
	int family;
	unsigned prefix;
};

static struct ipnet_case ipnet_parses_addresses_and_cidr_blocks_cases[] = {
	{ "10.0.0.1", AF_INET, 32 },
	{ "10.0.0.0/8", AF_INET, 8 },
	{ "0.0.0.0/0", AF_INET, 0 },
	{ "203.0.113.5/32", AF_INET, 32 },
	{ "192.168.0.0/23", AF_INET, 23 },
	{ "::1", AF_INET6, 128 },
	{ "2001:db8::/32", AF_INET6, 32 },
	{ "2001:db8::1/128", AF_INET6, 128 },
	{ "::/0", AF_INET6, 0 },
	{ "fe80::/10", AF_INET6, 10 },
};

ParameterizedTestParameters(ipnet, parses_addresses_and_cidr_blocks)
{
	CASE_INDEXES(ipnet_parses_addresses_and_cidr_blocks_cases);
}

ParameterizedTest(size_t *case_, ipnet, parses_addresses_and_cidr_blocks)
{
	struct ipnet_case *c = &ipnet_parses_addresses_and_cidr_blocks_cases[*case_];
	struct sc_ipnet net;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_ipnet_parse(c->in, &net, &err), 0, "'%s' rejected: %s", c->in, err.msg);
	cr_expect_eq(net.family, c->family, "'%s': family", c->in);
	cr_expect_eq(net.prefix, c->prefix, "'%s': prefix %u, expected %u", c->in, net.prefix, c->prefix);
}

static const char *ipnet_rejects_bad_addresses_and_prefixes_with_usage_cases[] = {
	"",
	"abc",
	"300.1.1.1",
	"10.0.0",
	"10.0.0.0/33",
	"10.0.0.0/",
	"10.0.0.0/-1",
	"10.0.0.0/+8",
	"10.0.0.0/8x",
	"10.0.0.0/ 8",
	"10.0.0.0/8/8",
	"/8",
	"::1/129",
	"2001:db8::/999999999999999999999",
	"2001:db8:::1",
	"10.0.0.1 ",
	"0123456789012345678901234567890123456789012345678901234567890123456789",
};

ParameterizedTestParameters(ipnet, rejects_bad_addresses_and_prefixes_with_usage)
{
	CASE_INDEXES(ipnet_rejects_bad_addresses_and_prefixes_with_usage_cases);
}

ParameterizedTest(size_t *case_, ipnet, rejects_bad_addresses_and_prefixes_with_usage)
{
	const char **in = &ipnet_rejects_bad_addresses_and_prefixes_with_usage_cases[*case_];
	struct sc_ipnet net;
	struct sc_error err = { 0 };

	cr_expect_eq(sc_ipnet_parse(*in, &net, &err), -1, "'%s' accepted", *in);
	cr_expect_eq(err.status, SC_USAGE, "'%s': status %d", *in, err.status);
}

Test(ipnet, parses_an_ipv4_mapped_ipv6_network_with_an_ipv6_prefix_length)
{
	/* ::ffff:192.0.2.0/120 is the IPv6 spelling of 192.0.2.0/24. */
	struct sc_ipnet net;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_ipnet_parse("::ffff:192.0.2.0/120", &net, &err), 0,
		     "rejected: %s", err.msg);
	cr_expect(sc_ipnet_contains(&net, "192.0.2.7"));
	cr_expect(sc_ipnet_contains(&net, "::ffff:192.0.2.7"));
	cr_expect_not(sc_ipnet_contains(&net, "192.0.3.7"));
}

struct contains_case {
	const char *net;
	const char *ip;
	bool in;
};

static struct contains_case ipnet_matches_addresses_inside_the_block_only_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0", true },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "10.0.0.0/8", "9.255.255.255", false },
	{ "10.1.2.3/8", "10.9.9.9", true },
	{ "10.0.0.0/8", "::ffff:10.1.2.3", true },
	{ "10.0.0.0/8", "::ffff:11.1.2.3", false },
	{ "10.0.0.0/8", "2001:db8::1", false },
	{ "10.0.0.0/8", "", false },
	{ "10.0.0.0/8", "garbage", false },
	{ "10.0.0.0/8", "10.0.0.0/8", false },
	{ "192.168.0.0/23", "192.168.1.255", true },
	{ "192.168.0.0/23", "192.168.2.0", false },
	{ "203.0.113.5", "203.0.113.5", true },
	{ "203.0.113.5", "203.0.113.6", false },
	{ "203.0.113.5/32", "203.0.113.5", true },
	{ "203.0.113.5/32", "203.0.113.4", false },
	{ "0.0.0.0/0", "1.2.3.4", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::1", false },
	{ "2001:db8::/32", "2001:db8::1", true },
	{ "2001:db8::/32", "2001:db8:ffff:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::/32", "10.0.0.1", false },
	{ "2001:db8::1", "2001:0db8:0000::0001", true },
	{ "2001:db8::1", "2001:db8::2", false },
	{ "2001:db8::/127", "2001:db8::1", true },
	{ "2001:db8::/127", "2001:db8::2", false },
	{ "::/0", "::1", true },
	{ "::/0", "fe80::1", true },
	{ "::ffff:192.0.2.7", "192.0.2.7", true },
	/* stored forms: blanks, port, brackets, zone, prefix, leading zeros, lists */
	{ "192.0.2.0/24", " 192.0.2.7\t\r\n", true },
	{ "192.0.2.0/24", "\r\n192.0.2.7", true },
	{ "192.0.2.0/24", "192.0.2.7:8080", true },
	{ "192.0.2.0/24", "192.0.3.7:8080", false },
	{ "192.0.2.0/24", "[192.0.2.7]", true },
	{ "192.0.2.0/24", "[192.0.2.7]:80", true },
	{ "192.0.2.0/24", "[192.0.2.7]x", false },
	{ "192.0.2.0/24", "[192.0.2.7", false },
	{ "192.0.2.0/24", "192.000.002.007", true },
	{ "192.0.2.0/24", "192.0.2.0007", false },
	{ "192.0.2.0/24", "192.0.2.256", false },
	{ "192.0.2.0/24", "192.0.2", false },
	{ "192.0.2.0/24", "192.0.2.7/32", true },
	{ "192.0.2.0/24", "192.0.2.7/31", false },
	{ "192.0.2.0/24", "192.0.2.7/", false },
	{ "192.0.2.0/24", "::ffff:192.0.2.7/128", true },
	{ "192.0.2.0/24", "10.0.0.1, 192.0.2.7", true },
	{ "192.0.2.0/24", "192.0.2.7,10.0.0.1", true },
	{ "192.0.2.0/24", "10.0.0.1, 10.0.0.2", false },
	{ "192.0.2.0/24", ",,", false },
	{ "192.0.2.0/24", "", false },
	{ "192.0.2.0/24", "unknown", false },
	{ "2001:db8::/32", "[2001:db8::1]:443", true },
	{ "2001:db8::/32", "[2001:db8::1]", true },
	{ "fe80::/10", "fe80::1%eth0", true },
	{ "2001:db8::/32", "2001:db8::1/128", true },
	{ "2001:db8::/32", "2001:db8::/32", false },
	{ "2001:db8::/32", "::ffff:192.0.2.7:80", false },
};

ParameterizedTestParameters(ipnet, matches_addresses_inside_the_block_only)
{
	CASE_INDEXES(ipnet_matches_addresses_inside_the_block_only_cases);
}

ParameterizedTest(size_t *case_, ipnet, matches_addresses_inside_the_block_only)
{
	struct contains_case *c = &ipnet_matches_addresses_inside_the_block_only_cases[*case_];
	struct sc_ipnet net;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_ipnet_parse(c->net, &net, &err), 0, "'%s': %s", c->net, err.msg);
	cr_expect_eq(sc_ipnet_contains(&net, c->ip), c->in, "'%s' in '%s': expected %s", c->ip,
		     c->net, c->in ? "true" : "false");
}

Test(ipnet, null_address_matches_nothing)
{
	struct sc_ipnet net;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_ipnet_parse("0.0.0.0/0", &net, &err), 0);
	cr_expect_not(sc_ipnet_contains(&net, NULL));
	cr_assert_eq(sc_ipnet_parse("::/0", &net, &err), 0);
	cr_expect_not(sc_ipnet_contains(&net, NULL));
}

Test(ip_valid, accepts_ipv4_and_ipv6_text_only)
{
	cr_expect(sc_ip_valid("192.0.2.1"));
	cr_expect(sc_ip_valid("::1"));
	cr_expect(sc_ip_valid("2001:db8::1"));
	cr_expect(sc_ip_valid("::ffff:192.0.2.7"));
	cr_expect(sc_ip_valid("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"));
	cr_expect_not(sc_ip_valid(NULL));
	cr_expect_not(sc_ip_valid(""));
	cr_expect_not(sc_ip_valid("1.2.3"));
	cr_expect_not(sc_ip_valid("1.2.3.4/8"));
	cr_expect_not(sc_ip_valid("host.example.com"));
	cr_expect_not(sc_ip_valid("0000:0000:0000:0000:0000:0000:0000:0000:0000:0000"));
}

struct env_case {
	const char *value; /* NULL: unset */
	int rc;
	int64_t out;
};

static struct env_case env_positive_reads_positive_integers_or_the_default_cases[] = {
	{ NULL, 0, 3 },
	{ "", 0, 3 },
	{ "5", 0, 5 },
	{ "1", 0, 1 },
	{ "720", 0, 720 },
	{ "0", -1, 0 },
	{ "-1", -1, 0 },
	{ "abc", -1, 0 },
	{ "5x", -1, 0 },
	{ " 5", -1, 0 },
	{ "+5", -1, 0 },
	{ "99999999999999999999", -1, 0 },
};

ParameterizedTestParameters(env_positive, reads_positive_integers_or_the_default)
{
	CASE_INDEXES(env_positive_reads_positive_integers_or_the_default_cases);
}

ParameterizedTest(size_t *case_, env_positive, reads_positive_integers_or_the_default)
{
	struct env_case *c = &env_positive_reads_positive_integers_or_the_default_cases[*case_];
	struct sc_error err = { 0 };
	int64_t out = -42;

	if (c->value)
		setenv("SESSCTL_TEST_LIMIT", c->value, 1);
	else
		unsetenv("SESSCTL_TEST_LIMIT");
	cr_assert_eq(sc_env_positive("SESSCTL_TEST_LIMIT", 3, &out, &err), c->rc, "'%s'",
		     c->value ? c->value : "(unset)");
	if (c->rc == 0) {
		cr_expect_eq(out, c->out, "'%s'", c->value ? c->value : "(unset)");
	} else {
		cr_expect_eq(err.status, SC_USAGE);
		cr_expect_not_null(strstr(err.msg, "SESSCTL_TEST_LIMIT"), "message: %s", err.msg);
	}
}

Test(device_type, accepts_web_and_mobile_only)
{
	struct sc_error err = { 0 };

	cr_expect_eq(sc_device_type_check("web", &err), 0);
	cr_expect_eq(sc_device_type_check("mobile", &err), 0);
	cr_expect_eq(sc_device_type_check("tablet", &err), -1);
	cr_expect_eq(err.status, SC_USAGE);
	cr_expect_eq(sc_device_type_check("Web", &err), -1);
	cr_expect_eq(sc_device_type_check("", &err), -1);
}

Test(records, session_response_columns_are_the_applications_keys_in_order)
{
	static const char *const keys[] = { "id", "user_id", "device_name", "device_type", "browser",
					     "ip_address", "created_at", "last_activity", "is_active" };

	cr_assert_eq(sc_session_response_ncols, sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sc_session_response_ncols; i++)
		cr_expect_str_eq(sc_session_columns[sc_session_response_cols[i]].name, keys[i]);
	cr_expect_eq(sc_session_columns[SC_SESS_IS_ACTIVE].type, SC_COL_BOOL);
	cr_expect_eq(sc_session_columns[SC_SESS_CREATED_AT].type, SC_COL_TIME);
	cr_expect_eq(sc_session_columns[SC_SESS_ID].type, SC_COL_INT);
	cr_expect_str_eq(sc_session_columns[SC_SESS_DEVICE_FINGERPRINT].name, "device_fingerprint");
}

Test(records, session_values_map_nulls_and_times)
{
	struct sc_session s = {
		.id = 7, .user_id = 74, .device_fingerprint = "fp", .device_name = NULL,
		.device_type = "web", .browser = NULL, .ip_address = "::1", .created_at = 100,
		.created_at_null = false, .last_activity_null = true, .is_active = true,
	};
	struct sc_value v[SC_SESS_NCOLS];

	sc_session_values(&s, v);
	cr_expect_eq(v[SC_SESS_ID].i, 7);
	cr_expect_eq(v[SC_SESS_USER_ID].i, 74);
	cr_expect_str_eq(v[SC_SESS_DEVICE_FINGERPRINT].s, "fp");
	cr_expect(v[SC_SESS_DEVICE_NAME].null);
	cr_expect_not(v[SC_SESS_DEVICE_TYPE].null);
	cr_expect(v[SC_SESS_BROWSER].null);
	cr_expect_eq(v[SC_SESS_CREATED_AT].i, 100);
	cr_expect_not(v[SC_SESS_CREATED_AT].null);
	cr_expect(v[SC_SESS_LAST_ACTIVITY].null);
	cr_expect_eq(v[SC_SESS_IS_ACTIVE].i, 1);
	cr_expect_not(v[SC_SESS_IS_ACTIVE].null);
}

/* The backends' prefilter never drops text the core would match: every
 * stored form sc_ipnet_contains reads passes it; only plain dotted
 * decimal outside the prefix (and, for an IPv6 network, text without
 * ':') is left out. */
Test(ipnet, the_prefilter_passes_every_form_the_core_reads)
{
	static const char *const pass[] = {
		"10.1.2.3", "10.1.", " 10.2.0.1", "10.2.0.1:80", "[10.2.0.1]", "10.2.0.1/32",
		"010.001.2.3", "10.01.2.3", "9.9.9.9, 10.1.0.1", "::ffff:10.1.0.1", "unknown",
	};
	static const char *const drop[] = { "10.2.0.1", "10.0.0.1", "1.0.1.0", "", "10.1" };

	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		cr_expect(sc_ip_text_may_match(pass[i], strlen(pass[i]), "10.1."), "'%s' dropped", pass[i]);
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		cr_expect_not(sc_ip_text_may_match(drop[i], strlen(drop[i]), "10.1."), "'%s' kept", drop[i]);
	cr_expect(sc_ip_text_may_match("[2001:db8::1]:443", 17, NULL));
	cr_expect_not(sc_ip_text_may_match("10.1.2.3", 8, NULL));
	/* And none of the forms the core matches is dropped. */
	static const char *const stored[] = { "10.1.0.7:80", "[10.1.0.7]", " 10.1.0.7", "10.001.0.7",
					      "10.1.0.7/32", "8.8.8.8,10.1.0.7" };
	struct sc_ipnet net;
	struct sc_error err = { 0 };
	cr_assert_eq(sc_ipnet_parse("10.1.0.0/16", &net, &err), 0);
	for (size_t i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
		cr_expect(sc_ipnet_contains(&net, stored[i]), "'%s' not matched", stored[i]);
		cr_expect(sc_ip_text_may_match(stored[i], strlen(stored[i]), "10.1."), "'%s' dropped",
			  stored[i]);
	}
}
