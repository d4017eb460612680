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

int sc_time_parse(const char *s, int64_t *out)
{
	int64_t us;

	if (sc_time_parse_us(s, &us) < 0)
		return -1;
	*out = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	return 0;
}

int sc_time_parse_us(const char *s, int64_t *out)
{
	const char *p = s;
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	int64_t offset = 0, frac = 0;

	if (!s)
		return -1;
	while (*p == ' ')
		p++;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
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
	*out = (sc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset) * 1000000 +
	       frac;
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

/* Formats without printf: this runs twice for every row printed. */
static void format(int64_t t, char sep, const char *suffix, char *buf, size_t len)
{
	int64_t y;
	unsigned mo, d, h, mi, s;
	char tmp[32];
	size_t n;

	/* Keep to years 1 to 9999: the fixed width, and what both databases
	 * accept (PostgreSQL has no year 0). */
	const int64_t first = -62135596800LL, last = 253402300799LL;
	t = t < first ? first : t > last ? last : t;
	split(t, &y, &mo, &d, &h, &mi, &s);
	put2(tmp, (unsigned)(y / 100));
	put2(tmp + 2, (unsigned)(y % 100));
	tmp[4] = '-';
	put2(tmp + 5, mo);
	tmp[7] = '-';
	put2(tmp + 8, d);
	tmp[10] = sep;
	put2(tmp + 11, h);
	tmp[13] = ':';
	put2(tmp + 14, mi);
	tmp[16] = ':';
	put2(tmp + 17, s);
	n = 19;
	while (*suffix && n < sizeof(tmp) - 1)
		tmp[n++] = *suffix++;
	tmp[n] = '\0';
	n = n < len ? n : len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
}

void sc_time_format_rfc3339(int64_t t, char *buf)
{
	format(t, 'T', "Z", buf, SC_TIME_RFC3339_LEN);
}

void sc_time_format_sql(int64_t t, char *buf)
{
	format(t, ' ', "", buf, SC_TIME_SQL_LEN);
}

void sc_time_format_relative(int64_t t, int64_t now, char *buf, unsigned len)
{
	int64_t delta = now - t;
	bool future = delta < 0;
	int64_t a = future ? -delta : delta;
	const char *unit;
	int64_t n;

	if (a < 5) {
		snprintf(buf, len, "just now");
		return;
	}
	if (a >= 7 * 86400) {
		char full[SC_TIME_SQL_LEN];
		sc_time_format_sql(t, full);
		snprintf(buf, len, "%.10s", full);
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

	if (!s || !*s)
		return -1;
	while (*p) {
		int64_t n = 0, mult;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			if (n > (INT64_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*p++ - '0');
		}
		switch (*p++) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
		/* Bound durations at about 10000 years: enough for any timeout,
		 * and far from overflowing when subtracted from a time. */
		if (n > 320000000000LL / mult || total + n * mult > 320000000000LL)
			return -1;
		total += n * mult;
	}
	*seconds = total;
	return 0;
}
