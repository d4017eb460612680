/* Timestamps.
 *
 * 1. Any text: when sc_time_parse reads it, sc_time_parse_us agrees to
 *    the second (fractions toward the past), and formatting the time and
 *    reading it back gives it again; the plain forms are checked against
 *    timegm(3), an independent calendar.
 * 2. The first 8 bytes as an int64_t time t: format -> parse gives t back
 *    for every t (RFC 3339 and the expanded year), the SQL form for years
 *    0001-9999 (and says -1 outside), the length stays in its buffer, and
 *    the relative form never overflows.
 */
#include "fuzz.h"

#include <time.h>

#include "../src/timeutil.h"

#define FIRST INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define LAST INT64_C(253402300799)  /* 9999-12-31T23:59:59Z */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void round_trip(int64_t t)
{
	char rfc[SC_TIME_RFC3339_LEN], sql[SC_TIME_SQL_LEN], rel[32];
	int64_t back = 0, us = 0;
	size_t n;

	memset(rfc, 'x', sizeof(rfc));
	n = sc_time_format_rfc3339(t, rfc);
	CHECK(n < sizeof(rfc) && strlen(rfc) == n, "length %zu for %lld", n, (long long)t);
	CHECK(sc_time_parse(rfc, &back) == 0, "'%s' (%lld) rejected", rfc, (long long)t);
	CHECK(back == t, "'%s' read as %lld, written from %lld", rfc, (long long)back, (long long)t);
	if (t >= FIRST && t <= LAST) {
		CHECK(n == 20 && rfc[4] == '-' && rfc[10] == 'T' && rfc[19] == 'Z', "'%s'", rfc);
		CHECK(sc_time_format_sql(t, sql) == 0, "sql(%lld) said clamped", (long long)t);
		CHECK(strlen(sql) == SC_TIME_SQL_LEN - 1, "'%s'", sql);
		CHECK(sc_time_parse(sql, &back) == 0 && back == t, "'%s' != %lld", sql, (long long)t);
	} else {
		CHECK(rfc[0] == '+' || rfc[0] == '-', "'%s' outside 0001-9999 not expanded", rfc);
		CHECK(sc_time_format_sql(t, sql) == -1, "sql(%lld) clamped silently", (long long)t);
		CHECK(strcmp(sql, t < FIRST ? "0001-01-01 00:00:00" : "9999-12-31 23:59:59") == 0,
		      "'%s'", sql);
	}
	if (t > INT64_MIN / 1000000 && t < INT64_MAX / 1000000) {
		CHECK(sc_time_parse_us(rfc, &us) == 0, "'%s' rejected to the us", rfc);
		CHECK(us == t * 1000000, "'%s' = %lld us", rfc, (long long)us);
	}
	sc_time_format_relative(t, 0, rel, sizeof(rel));
	sc_time_format_relative(0, t, rel, sizeof(rel));
	sc_time_format_relative(t, INT64_MIN, rel, sizeof(rel));
	sc_time_format_relative(INT64_MAX, t, rel, sizeof(rel));
	CHECK(strlen(rel) < sizeof(rel), "relative");
}

/* "YYYY-MM-DD HH:MM:SS" or with T, and nothing else: timegm's answer. */
static bool plain_form(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	time_t v;

	if (strlen(s) != 19 || (s[10] != ' ' && s[10] != 'T' && s[10] != 't'))
		return false;
	for (int i = 0; i < 19; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		bool sep = i == 4 || i == 7 || i == 10 || i == 13 || i == 16;
		if (!sep && !digit)
			return false;
	}
	if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
		return false;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	v = timegm(&tm);
	*t = v;
	return true;
}

static void parse_text(const char *s)
{
	int64_t t = 42, us = 42, t2 = 42, ref;
	char rfc[SC_TIME_RFC3339_LEN];
	int rc = sc_time_parse(s, &t), rcus = sc_time_parse_us(s, &us);

	if (rc < 0) {
		CHECK(rcus < 0, "'%s' read to the us only", s);
		CHECK(t == 42 && us == 42, "'%s': out changed on failure", s);
		return;
	}
	if (rcus == 0)
		CHECK(floor_div(us, 1000000) == t, "'%s': %lld s but %lld us", s, (long long)t,
		      (long long)us);
	else
		CHECK(t <= INT64_MIN / 1000000 + 1 || t >= INT64_MAX / 1000000 - 1,
		      "'%s' (%lld) not read to the us", s, (long long)t);
	sc_time_format_rfc3339(t, rfc);
	CHECK(sc_time_parse(rfc, &t2) == 0 && t2 == t, "'%s' -> %lld -> '%s' -> %lld", s,
	      (long long)t, rfc, (long long)t2);
	if (plain_form(s, &ref)) /* timegm also reads :60 as the next minute */
		CHECK(ref == t, "'%s' = %lld, timegm says %lld", s, (long long)t, (long long)ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	parse_text(s);
	free(s);
	if (size >= 8) {
		int64_t t;
		memcpy(&t, data, 8);
		round_trip(t);
		/* and its neighbours near the interesting edges */
		round_trip(t % (INT64_C(400) * 366 * 86400));
		round_trip(FIRST + t % 1000);
		round_trip(LAST + t % 1000);
	}
	return 0;
}
