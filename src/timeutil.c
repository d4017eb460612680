#include "timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int64_t sc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm, exact for every proleptic date. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n decimal digits. */
static bool digits(const char **p, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Reads 1 to max decimal digits (no more follow); returns how many. */
static int digit_run(const char **p, int max, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	while ((*p)[n] >= '0' && (*p)[n] <= '9') {
		if (n == max)
			return 0;
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	*p += n;
	*out = v;
	return n;
}

static bool parse_offset(const char *p, int64_t *offset)
{
	unsigned hh, mm = 0;
	int sign;

	if (*p == '\0') {
		*offset = 0;
		return true;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*offset = 0;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p && !digits(&p, 2, &mm))
		return false;
	if (*p || hh > 23 || mm > 59)
		return false;
	*offset = sign * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

/* The year: four digits, or the ISO 8601 expanded form with a sign and 6
 * to 12 digits that sc_time_format_rfc3339 writes outside 0001-9999. */
static bool parse_year(const char **p, int64_t *y)
{
	unsigned y4;

	if (**p == '+' || **p == '-') {
		bool neg = **p == '-';
		const char *q = *p + 1;
		int n = digit_run(&q, 12, y);
		if (n < 6 || (neg && *y == 0)) /* ISO 8601: no "-000000" */
			return false;
		if (neg)
			*y = -*y;
		*p = q;
		return true;
	}
	if (!digits(p, 4, &y4))
		return false;
	*y = y4;
	return true;
}

/* Parses s into whole seconds (toward the past) and the microseconds past
 * them (0 to 999999). -1 for anything else, or a time beyond int64_t. */
static int parse_time(const char *s, int64_t *sec, int64_t *us)
{
	const char *p = s;
	int64_t y, days, t, tod, offset = 0, frac = 0;
	unsigned mo, d, h = 0, mi = 0, se = 0;

	if (!s)
		return -1;
	while (*p == ' ')
		p++;
	/* Unix epoch seconds, as applications that store integers write
	 * them: 1 to 12 digits and nothing else (up to year 33658). */
	if (*p >= '0' && *p <= '9' && p[strspn(p, "0123456789")] == '\0') {
		if (!digit_run(&p, 12, &t))
			return -1;
		*sec = t;
		*us = 0;
		return 0;
	}
	if (!parse_year(&p, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return -1;
	if (*p == ' ' || *p == 'T' || *p == 't') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &se))
				return -1;
			if (*p == '.' || *p == ',') {
				int64_t scale = 100000;
				p++;
				if (*p < '0' || *p > '9')
					return -1;
				for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
					frac += (*p - '0') * scale;
			}
		}
		while (*p == ' ')
			p++;
	}
	if (!parse_offset(p, &offset))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	/* Fold the offset into the day (tod 0 to 86399), then count from a
	 * midnight one day nearer the epoch, so that the days at the ends of
	 * int64_t, whose own midnight is out of range, still fit when the
	 * time itself does. */
	days = sc_days_from_civil(y, mo, d);
	tod = (int64_t)(h * 3600 + mi * 60 + se) - offset;
	days += tod >= 0 ? tod / 86400 : -((86399 - tod) / 86400);
	tod -= (tod >= 0 ? tod / 86400 : -((86399 - tod) / 86400)) * 86400;
	if (days < 0) {
		days++;
		tod -= 86400;
	}
	if (__builtin_mul_overflow(days, 86400, &t) || __builtin_add_overflow(t, tod, &t))
		return -1;
	*sec = t;
	*us = frac;
	return 0;
}

int sc_time_parse(const char *s, int64_t *out)
{
	int64_t sec, us;

	if (parse_time(s, &sec, &us) < 0)
		return -1;
	*out = sec;
	return 0;
}

int sc_time_parse_us(const char *s, int64_t *out)
{
	int64_t sec, us, v;

	if (parse_time(s, &sec, &us) < 0 || __builtin_mul_overflow(sec, 1000000, &v) ||
	    __builtin_add_overflow(v, us, &v))
		return -1;
	*out = v;
	return 0;
}

static void split(int64_t t, int64_t *y, unsigned *mo, unsigned *d, unsigned *h,
		  unsigned *mi, unsigned *s)
{
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, y, mo, d);
	*h = (unsigned)(rem / 3600);
	*mi = (unsigned)(rem % 3600 / 60);
	*s = (unsigned)(rem % 60);
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* Formats without printf: this runs twice for every row printed. Years
 * 0001-9999 as four digits; others in the expanded form (sign, at least
 * six digits). Returns the length written. */
static size_t format(int64_t t, char sep, bool zulu, char *buf)
{
	int64_t y;
	unsigned mo, d, h, mi, s;
	size_t n = 0;

	split(t, &y, &mo, &d, &h, &mi, &s);
	if (t >= SC_TIME_FIRST && t <= SC_TIME_LAST) {
		put2(buf, (unsigned)(y / 100));
		put2(buf + 2, (unsigned)(y % 100));
		n = 4;
	} else {
		char tmp[24];
		uint64_t u = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
		size_t k = 0;
		do {
			tmp[k++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		while (k < 6)
			tmp[k++] = '0';
		buf[n++] = y < 0 ? '-' : '+';
		while (k)
			buf[n++] = tmp[--k];
	}
	buf[n] = '-';
	put2(buf + n + 1, mo);
	buf[n + 3] = '-';
	put2(buf + n + 4, d);
	buf[n + 6] = sep;
	put2(buf + n + 7, h);
	buf[n + 9] = ':';
	put2(buf + n + 10, mi);
	buf[n + 12] = ':';
	put2(buf + n + 13, s);
	n += 15;
	if (zulu)
		buf[n++] = 'Z';
	buf[n] = '\0';
	return n;
}

size_t sc_time_format_rfc3339(int64_t t, char *buf)
{
	return format(t, 'T', true, buf);
}

int sc_time_format_sql(int64_t t, char *buf)
{
	bool inside = t >= SC_TIME_FIRST && t <= SC_TIME_LAST;

	format(t < SC_TIME_FIRST ? SC_TIME_FIRST : t > SC_TIME_LAST ? SC_TIME_LAST : t, ' ', false, buf);
	return inside ? 0 : -1;
}

void sc_time_format_relative(int64_t t, int64_t now, char *buf, unsigned len)
{
	int64_t delta, a;
	bool future;

	/* Far apart (or beyond int64_t apart): the date. */
	if (__builtin_sub_overflow(now, t, &delta) || delta == INT64_MIN)
		delta = INT64_MAX;
	future = now < t;
	a = delta < 0 ? -delta : delta;
	const char *unit;
	int64_t n;

	if (a < 5) {
		snprintf(buf, len, "just now");
		return;
	}
	if (a >= 7 * 86400) {
		char full[SC_TIME_RFC3339_LEN];
		sc_time_format_rfc3339(t, full);
		snprintf(buf, len, "%.*s", (int)strcspn(full, "T"), full);
		return;
	}
	if (a < 60) {
		n = a;
		unit = "s";
	} else if (a < 3600) {
		n = a / 60;
		unit = "min";
	} else if (a < 86400) {
		n = a / 3600;
		unit = "h";
	} else {
		n = a / 86400;
		unit = "d";
	}
	if (future)
		snprintf(buf, len, "in %lld %s", (long long)n, unit);
	else
		snprintf(buf, len, "%lld %s ago", (long long)n, unit);
}

int sc_duration_parse(const char *s, int64_t *seconds)
{
	const char *p = s;
	int64_t total = 0;
	bool too_long = false;

	if (!s || !*s)
		return -1;
	while (*p) {
		int64_t n = 0, mult;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			if (n > (INT64_MAX - 9) / 10)
				too_long = true; /* read on: the rest may be no duration */
			else
				n = n * 10 + (*p - '0');
			p++;
		}
		switch (*p++) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
		if (too_long || n > SC_DURATION_MAX / mult || total + n * mult > SC_DURATION_MAX)
			too_long = true;
		else
			total += n * mult;
	}
	if (too_long)
		return -2;
	*seconds = total;
	return 0;
}
