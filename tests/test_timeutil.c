/* Unit tests of src/timeutil.c: timestamps in every form SQLite databases
 * hold, RFC 3339 and SQL formatting, relative times, durations. */
#include "unit.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../src/timeutil.h"

#define T_2025_02_08_103000 INT64_C(1739010600)

struct time_case {
	const char *in;
	int64_t t;
};

static struct time_case time_parse_reads_every_form_applications_write_cases[] = {
	{ "2025-02-08 10:30:00", T_2025_02_08_103000 },
	{ "2025-02-08 10:30:00.123456", T_2025_02_08_103000 },
	{ "2025-02-08 10:30:00.999999", T_2025_02_08_103000 },
	{ "2025-02-08 10:30:00.5", T_2025_02_08_103000 },
	{ "2025-02-08T10:30:00", T_2025_02_08_103000 },
	{ "2025-02-08T10:30:00Z", T_2025_02_08_103000 },
	{ "2025-02-08T10:30:00.123Z", T_2025_02_08_103000 },
	{ "2025-02-08T10:30:00.123456Z", T_2025_02_08_103000 },
	{ "2025-02-08 10:30:00Z", T_2025_02_08_103000 },
	{ "2025-02-08T11:30:00+01:00", T_2025_02_08_103000 },
	{ "2025-02-08T11:30:00+0100", T_2025_02_08_103000 },
	{ "2025-02-08T11:30:00+01", T_2025_02_08_103000 },
	{ "2025-02-08 11:30:00.250+01:00", T_2025_02_08_103000 },
	{ "2025-02-08T05:00:00-05:30", T_2025_02_08_103000 },
	{ "2025-02-08T10:30:00+00:00", T_2025_02_08_103000 },
	{ "2025-02-08T10:30:00-00:00", T_2025_02_08_103000 },
	{ "2025-02-09T00:30:00+14:00", T_2025_02_08_103000 },
	{ "2025-02-08", INT64_C(1738972800) },
	{ "1970-01-01 00:00:00", 0 },
	{ "1970-01-01", 0 },
	{ "1969-12-31 23:59:59", -1 },
	{ "1969-07-20 20:17:40", INT64_C(-14182940) },
	{ "1900-01-01 00:00:00", INT64_C(-2208988800) },
	{ "1600-03-01", INT64_C(-11670912000) },
	{ "2000-02-29 00:00:00", INT64_C(951782400) },
	{ "2024-02-29 12:00:00", INT64_C(1709208000) },
	{ "9999-12-31 23:59:59", INT64_C(253402300799) },
	{ "2016-12-31T23:59:60Z", INT64_C(1483228800) }, /* leap second: the next minute */
	/* Unix epoch seconds, as applications storing integers write them */
	{ "1739010600", T_2025_02_08_103000 },
	{ "1764700000", INT64_C(1764700000) },
	{ "0", 0 },
	{ "0000000001", 1 },
	{ "999999999999", INT64_C(999999999999) }, /* twelve digits: year 33658 */
	{ " 1739010600", T_2025_02_08_103000 },
	/* the ISO 8601 expanded year that the RFC 3339 writer uses outside 0001-9999 */
	{ "+010000-01-01T00:00:00Z", INT64_C(253402300800) },
	{ "+294276-12-31T23:59:59Z", INT64_C(9224318015999) },
	{ "+000000-01-01T00:00:00Z", INT64_C(-62167219200) },
	{ "-000001-12-31T23:59:59Z", INT64_C(-62167219201) },
	{ "+002025-02-08T10:30:00Z", T_2025_02_08_103000 },
	{ "+292277026596-12-04T15:30:07Z", INT64_MAX },
	{ "-292277022657-01-27T08:29:52Z", INT64_MIN },
	{ "+292277026596-12-05T05:30:07+14:00", INT64_MAX }, /* the offset brings it back in */
	{ "-292277022657-01-26T22:29:52-10:00", INT64_MIN },
};

ParameterizedTestParameters(time_parse, reads_every_form_applications_write)
{
	CASE_INDEXES(time_parse_reads_every_form_applications_write_cases);
}

ParameterizedTest(size_t *case_, time_parse, reads_every_form_applications_write)
{
	struct time_case *c = &time_parse_reads_every_form_applications_write_cases[*case_];
	int64_t t = 42;

	cr_assert_eq(sc_time_parse(c->in, &t), 0, "'%s' rejected", c->in);
	cr_expect_eq(t, c->t, "'%s' = %lld, expected %lld", c->in, (long long)t, (long long)c->t);
}

static const char *time_parse_rejects_garbage_and_impossible_dates_cases[] = {
	"",
	"garbage",
	"now",
	"-1739010600",      /* epochs: non-negative integers of 1 to 12 digits only */
	"+1739010600",
	"1739010600 ",
	"1739010600.5",
	"1e9",
	"1234567890123",
	"0x10",
	"+12345-01-01",     /* an expanded year has 6 to 12 digits and a sign */
	"12345-01-01",
	"+1234567890123-01-01",
	"-000000-01-01",    /* ISO 8601: year 0 is +000000 */
	"+292277026596-12-04T15:30:08Z", /* one second past INT64_MAX */
	"-292277022657-01-27T08:29:51Z",
	"+999999999999-12-31T23:59:59Z",
	"2025-02-08x",
	"2025-02-08 10:30:00 junk",
	"2025-02-08 10:30:00Zjunk",
	"2025-2-8 10:30:00",
	"25-02-08 10:30:00",
	"2025/02/08 10:30:00",
	"2025-13-01 00:00:00",
	"2025-00-10 00:00:00",
	"2025-02-00",
	"2025-02-30",
	"2025-02-29",
	"1900-02-29",
	"2025-04-31",
	"2025-02-08 24:00:00",
	"2025-02-08 10:60:00",
	"2025-02-08 10:30:61",
	"2025-02-08T10:30:00.",
	"2025-02-08T10:30:00.Z",
	"2025-02-08T10:30:00+25:00",
	"2025-02-08T10:30:00+01:60",
	"2025-02-08T10:30:00+1",
	"2025-02-08T10:30:00 +01:00:00",
	"2025-02-08T",
	"2025-02-08 10",
	"2025-02-08 10:3",
};

ParameterizedTestParameters(time_parse, rejects_garbage_and_impossible_dates)
{
	CASE_INDEXES(time_parse_rejects_garbage_and_impossible_dates_cases);
}

ParameterizedTest(size_t *case_, time_parse, rejects_garbage_and_impossible_dates)
{
	const char **in = &time_parse_rejects_garbage_and_impossible_dates_cases[*case_];
	int64_t t = 42;

	cr_expect_eq(sc_time_parse(*in, &t), -1, "'%s' accepted as %lld", *in, (long long)t);
	cr_expect_eq(t, 42, "'%s': out changed on failure", *in);
}

Test(time_parse, rejects_null)
{
	int64_t t = 42;

	cr_expect_eq(sc_time_parse(NULL, &t), -1);
	cr_expect_eq(t, 42);
}

/* To the microsecond: what SQLite's sessctl_time() compares and orders
 * by, so that two rows within one second still sort as PostgreSQL's. */
struct time_us_case {
	const char *in;
	int64_t us;
};

#define US(t) ((int64_t)(t) * INT64_C(1000000))

static struct time_us_case time_parse_us_keeps_fractions_and_offsets_cases[] = {
	{ "2025-02-08 10:30:00", US(T_2025_02_08_103000) },
	{ "2025-02-08 10:30:00.5", US(T_2025_02_08_103000) + 500000 },
	{ "2025-02-08 10:30:00,5", US(T_2025_02_08_103000) + 500000 },
	{ "2025-02-08 10:30:00.000001", US(T_2025_02_08_103000) + 1 },
	{ "2025-02-08 10:30:00.123456", US(T_2025_02_08_103000) + 123456 },
	{ "2025-02-08 10:30:00.1234567", US(T_2025_02_08_103000) + 123456 },
	{ "2025-02-08 10:30:00.999999999", US(T_2025_02_08_103000) + 999999 },
	{ "2025-02-08T10:30:00.250Z", US(T_2025_02_08_103000) + 250000 },
	{ "2025-02-08t10:30:00Z", US(T_2025_02_08_103000) },
	{ "2025-02-08 10:30:00+0000", US(T_2025_02_08_103000) },
	{ "2025-02-08 12:30:00+02", US(T_2025_02_08_103000) },
	{ "2025-02-08 12:30:00.75+02:00", US(T_2025_02_08_103000) + 750000 },
	{ "2025-02-08T11:30:00.250+0100", US(T_2025_02_08_103000) + 250000 },
	{ "2025-02-08T05:00:00.5-05:30", US(T_2025_02_08_103000) + 500000 },
	{ "2025-02-08", US(INT64_C(1738972800)) },
	{ "1970-01-01 00:00:00.000001", 1 },
	{ "1969-12-31 23:59:59.5", -500000 },
	{ "1969-12-31 23:59:59", -1000000 },
};

ParameterizedTestParameters(time_parse_us, keeps_fractions_and_offsets)
{
	CASE_INDEXES(time_parse_us_keeps_fractions_and_offsets_cases);
}

ParameterizedTest(size_t *case_, time_parse_us, keeps_fractions_and_offsets)
{
	struct time_us_case *c = &time_parse_us_keeps_fractions_and_offsets_cases[*case_];
	int64_t us = 42, t = 42;

	cr_assert_eq(sc_time_parse_us(c->in, &us), 0, "'%s' rejected", c->in);
	cr_expect_eq(us, c->us, "'%s' = %lld us, expected %lld", c->in, (long long)us, (long long)c->us);
	/* whole seconds: the same time, fractions toward the past */
	cr_assert_eq(sc_time_parse(c->in, &t), 0, "'%s' rejected by sc_time_parse", c->in);
	cr_expect_eq(t, c->us >= 0 ? c->us / 1000000 : -((-c->us + 999999) / 1000000),
		     "'%s' = %lld s", c->in, (long long)t);
}

ParameterizedTestParameters(time_parse_us, rejects_what_time_parse_rejects)
{
	CASE_INDEXES(time_parse_rejects_garbage_and_impossible_dates_cases);
}

ParameterizedTest(size_t *case_, time_parse_us, rejects_what_time_parse_rejects)
{
	const char **in = &time_parse_rejects_garbage_and_impossible_dates_cases[*case_];
	int64_t us = 42;

	cr_expect_eq(sc_time_parse_us(*in, &us), -1, "'%s' accepted as %lld", *in, (long long)us);
	cr_expect_eq(us, 42, "'%s': out changed on failure", *in);
}

Test(time_parse_us, rejects_null)
{
	int64_t us = 42;

	cr_expect_eq(sc_time_parse_us(NULL, &us), -1);
	cr_expect_eq(us, 42);
}

struct format_case {
	int64_t t;
	const char *rfc3339;
	const char *sql;
};

static struct format_case time_format_writes_rfc3339_and_sql_including_negative_epochs_and_leap_years_cases[] = {
	{ 0, "1970-01-01T00:00:00Z", "1970-01-01 00:00:00" },
	{ -1, "1969-12-31T23:59:59Z", "1969-12-31 23:59:59" },
	{ -86400, "1969-12-31T00:00:00Z", "1969-12-31 00:00:00" },
	{ -86401, "1969-12-30T23:59:59Z", "1969-12-30 23:59:59" },
	{ INT64_C(-14182940), "1969-07-20T20:17:40Z", "1969-07-20 20:17:40" },
	{ INT64_C(-2208988800), "1900-01-01T00:00:00Z", "1900-01-01 00:00:00" },
	{ INT64_C(-11670912000), "1600-03-01T00:00:00Z", "1600-03-01 00:00:00" },
	{ T_2025_02_08_103000, "2025-02-08T10:30:00Z", "2025-02-08 10:30:00" },
	{ INT64_C(951782400), "2000-02-29T00:00:00Z", "2000-02-29 00:00:00" },
	{ INT64_C(951868800), "2000-03-01T00:00:00Z", "2000-03-01 00:00:00" },
	{ INT64_C(1709208000), "2024-02-29T12:00:00Z", "2024-02-29 12:00:00" },
	{ INT64_C(1735689599), "2024-12-31T23:59:59Z", "2024-12-31 23:59:59" },
	{ INT64_C(253402300799), "9999-12-31T23:59:59Z", "9999-12-31 23:59:59" },
};

ParameterizedTestParameters(time_format, writes_rfc3339_and_sql_including_negative_epochs_and_leap_years)
{
	CASE_INDEXES(time_format_writes_rfc3339_and_sql_including_negative_epochs_and_leap_years_cases);
}

ParameterizedTest(size_t *case_, time_format, writes_rfc3339_and_sql_including_negative_epochs_and_leap_years)
{
	struct format_case *c = &time_format_writes_rfc3339_and_sql_including_negative_epochs_and_leap_years_cases[*case_];
	char rfc[SC_TIME_RFC3339_LEN], sql[SC_TIME_SQL_LEN];

	sc_time_format_rfc3339(c->t, rfc);
	sc_time_format_sql(c->t, sql);
	cr_expect_str_eq(rfc, c->rfc3339, "rfc3339(%lld)", (long long)c->t);
	cr_expect_str_eq(sql, c->sql, "sql(%lld)", (long long)c->t);
}

/* RFC 3339 has four-digit years only: outside 0001-9999 the writer uses
 * the ISO 8601 expanded form (as ECMAScript's toISOString does), never a
 * clamped, wrong time. The SQL form stays four digits for the databases:
 * it writes the nearest end of the range and says so. */
struct wide_case {
	int64_t t;
	const char *rfc3339;
	const char *sql;
};

static struct wide_case time_format_writes_expanded_years_and_says_when_the_sql_form_is_clamped_cases[] = {
	{ INT64_C(-62135596800), "0001-01-01T00:00:00Z", "0001-01-01 00:00:00" }, /* the first second */
	{ INT64_C(-62135596801), "+000000-12-31T23:59:59Z", "0001-01-01 00:00:00" }, /* year 0 */
	{ INT64_C(-62167219200), "+000000-01-01T00:00:00Z", "0001-01-01 00:00:00" },
	{ INT64_C(-62167219201), "-000001-12-31T23:59:59Z", "0001-01-01 00:00:00" },
	{ INT64_C(-99999999999), "-001199-02-15T14:13:21Z", "0001-01-01 00:00:00" },
	{ INT64_MIN, "-292277022657-01-27T08:29:52Z", "0001-01-01 00:00:00" },
	{ INT64_C(253402300799), "9999-12-31T23:59:59Z", "9999-12-31 23:59:59" }, /* the last second */
	{ INT64_C(253402300800), "+010000-01-01T00:00:00Z", "9999-12-31 23:59:59" },
	{ INT64_C(9224318015999), "+294276-12-31T23:59:59Z", "9999-12-31 23:59:59" }, /* PostgreSQL's last year */
	{ INT64_MAX, "+292277026596-12-04T15:30:07Z", "9999-12-31 23:59:59" },
};

ParameterizedTestParameters(time_format, writes_expanded_years_and_says_when_the_sql_form_is_clamped)
{
	CASE_INDEXES(time_format_writes_expanded_years_and_says_when_the_sql_form_is_clamped_cases);
}

ParameterizedTest(size_t *case_, time_format, writes_expanded_years_and_says_when_the_sql_form_is_clamped)
{
	struct wide_case *c = &time_format_writes_expanded_years_and_says_when_the_sql_form_is_clamped_cases[*case_];
	char rfc[SC_TIME_RFC3339_LEN], sql[SC_TIME_SQL_LEN];
	bool inside = c->t >= INT64_C(-62135596800) && c->t <= INT64_C(253402300799);
	int64_t back = 42;

	cr_expect_eq(sc_time_format_rfc3339(c->t, rfc), strlen(c->rfc3339));
	cr_expect_str_eq(rfc, c->rfc3339, "rfc3339(%lld) = '%s'", (long long)c->t, rfc);
	cr_expect_eq(sc_time_format_sql(c->t, sql), inside ? 0 : -1, "sql(%lld)", (long long)c->t);
	cr_expect_str_eq(sql, c->sql, "sql(%lld) = '%s'", (long long)c->t, sql);
	cr_assert_eq(sc_time_parse(rfc, &back), 0, "'%s' rejected", rfc);
	cr_expect_eq(back, c->t, "'%s' read back as %lld", rfc, (long long)back);
}

/* format -> parse is the identity on every int64_t: the edges, and a
 * spread of values across the whole range. */
Test(time_format, round_trips_through_parse_for_every_int64)
{
	char rfc[SC_TIME_RFC3339_LEN];
	uint64_t x = 88172645463325252u;

	for (int i = 0; i < 200000; i++) {
		int64_t t, back = 0;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* mix full-range values with ones near the epoch and the edges */
		t = i % 3 == 0 ? (int64_t)x : i % 3 == 1 ? (int64_t)(x % 40000000000u) - 20000000000
			: (i & 8 ? INT64_MAX - (int64_t)(x % 100000) : INT64_MIN + (int64_t)(x % 100000));
		sc_time_format_rfc3339(t, rfc);
		cr_assert_eq(sc_time_parse(rfc, &back), 0, "'%s' (%lld) rejected", rfc, (long long)t);
		cr_assert_eq(back, t, "'%s' = %lld, expected %lld", rfc, (long long)back, (long long)t);
	}
}

Test(time_parse_us, rejects_times_whose_microseconds_overflow)
{
	int64_t us = 42, t = 0;

	cr_expect_eq(sc_time_parse_us("+294276-12-31T23:59:59Z", &us), -1);
	cr_expect_eq(us, 42);
	cr_expect_eq(sc_time_parse("+294276-12-31T23:59:59Z", &t), 0);
	cr_expect_eq(sc_time_parse_us("+200000-01-01T00:00:00.5Z", &us), 0);
	cr_expect_eq(us, INT64_C(6249223180800) * 1000000 + 500000);
}

Test(time_format, round_trips_through_parse_for_every_day_from_1900_to_2100)
{
	char rfc[SC_TIME_RFC3339_LEN], sql[SC_TIME_SQL_LEN];

	for (int64_t t = INT64_C(-2208988800); t < INT64_C(4102444800); t += 86400 + 3661) {
		int64_t a = 0, b = 0;
		sc_time_format_rfc3339(t, rfc);
		sc_time_format_sql(t, sql);
		cr_assert_eq(sc_time_parse(rfc, &a), 0, "'%s'", rfc);
		cr_assert_eq(sc_time_parse(sql, &b), 0, "'%s'", sql);
		cr_assert_eq(a, t, "'%s' = %lld, expected %lld", rfc, (long long)a, (long long)t);
		cr_assert_eq(b, t, "'%s'", sql);
	}
}

Test(days_from_civil, counts_days_across_the_epoch_and_leap_days)
{
	cr_expect_eq(sc_days_from_civil(1970, 1, 1), 0);
	cr_expect_eq(sc_days_from_civil(1969, 12, 31), -1);
	cr_expect_eq(sc_days_from_civil(2000, 3, 1), 11017);
	cr_expect_eq(sc_days_from_civil(2000, 3, 1) - sc_days_from_civil(2000, 2, 28), 2);
	cr_expect_eq(sc_days_from_civil(1900, 3, 1) - sc_days_from_civil(1900, 2, 28), 1);
	cr_expect_eq(sc_days_from_civil(2025, 2, 8), 20127);
}

struct relative_case {
	int64_t ago; /* now - t */
	const char *out;
};

static struct relative_case time_relative_says_how_long_ago_for_people_cases[] = {
	{ 0, "just now" },
	{ 4, "just now" },
	{ -4, "just now" },
	{ 5, "5 s ago" },
	{ 42, "42 s ago" },
	{ 59, "59 s ago" },
	{ 60, "1 min ago" },
	{ 300, "5 min ago" },
	{ 3599, "59 min ago" },
	{ 3600, "1 h ago" },
	{ 3 * 3600 + 59, "3 h ago" },
	{ 86399, "23 h ago" },
	{ 86400, "1 d ago" },
	{ 2 * 86400, "2 d ago" },
	{ 7 * 86400 - 1, "6 d ago" },
	{ 7 * 86400, "2025-02-01" },
	{ 400 * 86400, "2024-01-05" },
	{ -42, "in 42 s" },
	{ -3 * 3600, "in 3 h" },
	{ -2 * 86400, "in 2 d" },
	{ -10 * 86400, "2025-02-18" },
	{ T_2025_02_08_103000 - INT64_C(253402300800), "+010000-01-01" }, /* the date, not clamped */
};

ParameterizedTestParameters(time_relative, says_how_long_ago_for_people)
{
	CASE_INDEXES(time_relative_says_how_long_ago_for_people_cases);
}

ParameterizedTest(size_t *case_, time_relative, says_how_long_ago_for_people)
{
	struct relative_case *c = &time_relative_says_how_long_ago_for_people_cases[*case_];
	char buf[32];
	int64_t now = T_2025_02_08_103000;

	sc_time_format_relative(now - c->ago, now, buf, sizeof(buf));
	cr_expect_str_eq(buf, c->out, "%lld s ago: '%s', expected '%s'", (long long)c->ago, buf, c->out);
}

Test(time_relative, shows_the_date_for_times_beyond_int64_apart)
{
	char buf[32];

	sc_time_format_relative(INT64_MAX, INT64_MIN, buf, sizeof(buf));
	cr_expect_str_eq(buf, "+292277026596-12-04");
	sc_time_format_relative(INT64_MIN, INT64_MAX, buf, sizeof(buf));
	cr_expect_str_eq(buf, "-292277022657-01-27");
}

struct duration_case {
	const char *in;
	int64_t seconds;
};

static struct duration_case duration_parses_units_and_combinations_cases[] = {
	{ "90s", 90 },
	{ "15m", 900 },
	{ "720h", 720 * 3600 },
	{ "30d", 30 * 86400 },
	{ "2w", 14 * 86400 },
	{ "1h30m", 5400 },
	{ "1w2d3h4m5s", 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
	{ "0s", 0 },
	{ "007m", 420 },
	{ "1s1s", 2 },
};

ParameterizedTestParameters(duration, parses_units_and_combinations)
{
	CASE_INDEXES(duration_parses_units_and_combinations_cases);
}

ParameterizedTest(size_t *case_, duration, parses_units_and_combinations)
{
	struct duration_case *c = &duration_parses_units_and_combinations_cases[*case_];
	int64_t s = -1;

	cr_assert_eq(sc_duration_parse(c->in, &s), 0, "'%s' rejected", c->in);
	cr_expect_eq(s, c->seconds, "'%s' = %lld, expected %lld", c->in, (long long)s,
		     (long long)c->seconds);
}

static const char *duration_rejects_empty_unitless_negative_unknown_and_overflowing_cases[] = {
	"",
	"5",
	"-5m",
	"+5m",
	"5x",
	"5M",
	"m",
	"h30",
	"1h30",
	"1.5h",
	" 5m",
	"5m ",
	"5 m",
	"99999999999999999999x",
	"99999999999999999999",
	"99999999999999999999s ",
};

ParameterizedTestParameters(duration, rejects_empty_unitless_negative_unknown_and_overflowing)
{
	CASE_INDEXES(duration_rejects_empty_unitless_negative_unknown_and_overflowing_cases);
}

ParameterizedTest(size_t *case_, duration, rejects_empty_unitless_negative_unknown_and_overflowing)
{
	const char **in = &duration_rejects_empty_unitless_negative_unknown_and_overflowing_cases[*case_];
	int64_t s = 42;

	cr_expect_eq(sc_duration_parse(*in, &s), -1, "'%s' accepted as %lld", *in, (long long)s);
}

Test(duration, rejects_null)
{
	int64_t s = 42;

	cr_expect_eq(sc_duration_parse(NULL, &s), -1);
}

/* Well formed but beyond the bound: -2, which says "too long", not "no
 * duration". */
Test(duration, too_long_is_told_apart)
{
	static const char *const too_long[] = {
		"99999999999999999999s", "9223372036854775807s", "9223372036854775807w",
		"15250284452w", "100000000000000000d", "9223372036854775807s9223372036854775807s",
		"320000000001s", "320000000000s1s",
	};
	int64_t s = 42;

	for (size_t i = 0; i < sizeof(too_long) / sizeof(too_long[0]); i++)
		cr_expect_eq(sc_duration_parse(too_long[i], &s), -2, "'%s'", too_long[i]);
	cr_expect_eq(s, 42);
	cr_expect_eq(sc_duration_parse("320000000000s", &s), 0);
	cr_expect_eq(s, SC_DURATION_MAX);
}

Test(duration, accepts_ten_years_which_any_timeout_fits_in)
{
	int64_t s = 0;

	cr_assert_eq(sc_duration_parse("3650d", &s), 0);
	cr_expect_eq(s, INT64_C(3650) * 86400);
	cr_assert_eq(sc_duration_parse("87600h", &s), 0);
	cr_expect_eq(s, INT64_C(87600) * 3600);
}
