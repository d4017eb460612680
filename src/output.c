#include "output-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

static const struct {
	const char *name;
	enum sc_format format;
	const struct sc_writer_ops *ops;
} formats[] = {
	{ "table", SC_FORMAT_TABLE, &sc_table_ops },
	{ "json", SC_FORMAT_JSON, &sc_json_ops },
	{ "ndjson", SC_FORMAT_NDJSON, &sc_ndjson_ops },
	{ "csv", SC_FORMAT_CSV, &sc_csv_ops },
};

int sc_format_parse(const char *s, enum sc_format *out, struct sc_error *err)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(s, formats[i].name) == 0) {
			*out = formats[i].format;
			return 0;
		}
	}
	return sc_error_set(err, SC_USAGE,
			    "unknown output format '%s': use table, json, ndjson or csv", s);
}

int sc_time_style_parse(const char *s, enum sc_time_style *out, struct sc_error *err)
{
	static const struct {
		const char *name;
		enum sc_time_style style;
	} styles[] = {
		{ "relative", SC_TIME_RELATIVE },
		{ "utc", SC_TIME_UTC },
		{ "local", SC_TIME_LOCAL },
	};

	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		if (strcmp(s, styles[i].name) == 0) {
			*out = styles[i].style;
			return 0;
		}
	}
	return sc_error_set(err, SC_USAGE, "bad --time '%s': use relative, utc or local", s);
}

/* t in $TZ: "2025-02-08 11:30:00 CET", or with an offset "+05:30" for a
 * zone without a name (tzdata writes those as "+0530" or "-03"). -1 when
 * the year is outside 1-9999 (the caller shows UTC). */
static int local_time(int64_t t, char *buf, size_t len)
{
	static bool tz_read;
	struct tm tm;
	time_t tt = (time_t)t;
	char zone[16];

	if (!tz_read) {
		tzset();
		tz_read = true;
	}
	if ((int64_t)tt != t || !localtime_r(&tt, &tm) || tm.tm_year < 1 - 1900 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	/* %Z: the zone's abbreviation, or tzdata's "+0530" / "-03" for a zone
	 * without one, which becomes "+05:30" / "-03:00" (as %z says). */
	if (strftime(zone, sizeof(zone), "%Z", &tm) == 0 ||
	    !((zone[0] >= 'A' && zone[0] <= 'Z') || (zone[0] >= 'a' && zone[0] <= 'z'))) {
		char off[8];
		if (strftime(off, sizeof(off), "%z", &tm) != 5)
			return -1;
		snprintf(zone, sizeof(zone), "%.3s:%.2s", off, off + 3);
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	return 0;
}

#define WEEK (7 * 86400)

/* Whole days from a to b (a <= b), as within a week: elapsed time
 * rounded down, not calendar days (23:30 to 00:00 is none), computed
 * without overflowing however far apart; floor division, so that times
 * before 1970 count alike. */
static int64_t days_between(int64_t a, int64_t b)
{
	int64_t ad = a / 86400 - (a % 86400 < 0), bd = b / 86400 - (b % 86400 < 0);
	int64_t ar = a - ad * 86400, br = b - bd * 86400;

	return bd - ad - (br < ar);
}

/* "3 h ago" within a week; beyond, in days ("19 d ago"). */
static void relative_days(int64_t t, int64_t now, char *buf, size_t len)
{
	int64_t d;

	if (__builtin_sub_overflow(now, t, &d) || d == INT64_MIN || d >= WEEK || d <= -WEEK) {
		bool future = t > now;
		int64_t days = future ? days_between(now, t) : days_between(t, now);
		snprintf(buf, len, future ? "in %lld d" : "%lld d ago", (long long)days);
		return;
	}
	sc_time_format_relative(t, now, buf, (unsigned)len);
}

const char *sc_people_time(const struct sc_output_opts *opts, int64_t t, bool full, char *buf,
			   size_t len)
{
	enum sc_time_style style = opts->time;
	char rfc[SC_TIME_RFC3339_LEN], rel[48];
	int64_t d;

	if (style == SC_TIME_AUTO)
		style = opts->tty ? SC_TIME_RELATIVE : SC_TIME_UTC;
	if (style == SC_TIME_LOCAL && local_time(t, buf, len) == 0)
		return buf;
	sc_time_format_rfc3339(t, rfc);
	if (style != SC_TIME_RELATIVE) {
		snprintf(buf, len, "%s", rfc);
	} else if (full) {
		relative_days(t, opts->now, rel, sizeof(rel));
		snprintf(buf, len, "%s (%s)", rfc, rel);
	} else if (__builtin_sub_overflow(opts->now, t, &d) || d >= WEEK || d <= -WEEK) {
		snprintf(buf, len, "%s", rfc); /* never a bare date */
	} else {
		sc_time_format_relative(t, opts->now, buf, (unsigned)len);
	}
	return buf;
}

bool sc_column_is_key(const struct sc_column *c)
{
	static const char *const keys[] = { "id", "device_fingerprint", "ip_address", "email",
					    "username" };
	size_t n = strlen(c->name);

	if ((c->flags & SC_COL_KEY) || c->type == SC_COL_INT ||
	    (n > 3 && strcmp(c->name + n - 3, "_id") == 0))
		return true;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(c->name, keys[i]) == 0)
			return true;
	return false;
}

size_t sc_format_int64(int64_t v, char *buf)
{
	char tmp[24];
	size_t n = 0, len;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[n++] = '-';
	for (len = 0; len < n; len++)
		buf[len] = tmp[n - 1 - len];
	buf[len] = '\0';
	return len;
}

const char *sc_value_text(enum sc_ctype t, const struct sc_value *v, char *buf, size_t len)
{
	switch (t) {
	case SC_COL_TEXT:
		return v->s ? v->s : "";
	case SC_COL_INT:
		if (len >= 21)
			sc_format_int64(v->i, buf);
		return buf;
	case SC_COL_BOOL:
		return v->i ? "true" : "false";
	case SC_COL_TIME:
		if (len >= SC_TIME_RFC3339_LEN)
			sc_time_format_rfc3339(v->i, buf);
		return buf;
	}
	return "";
}

static int find_column(const struct sc_column *cols, size_t ncols, const char *name, size_t len)
{
	for (size_t i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len && strncmp(cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int select_columns(struct sc_writer *w, size_t ncols, const size_t *defaults,
			  size_t ndefaults, struct sc_error *err)
{
	const char *spec = w->opts.columns;

	w->sel = calloc(ncols > 0 ? ncols : 1, sizeof(*w->sel));
	if (!w->sel)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (!spec) {
		if (defaults) {
			memcpy(w->sel, defaults, ndefaults * sizeof(*defaults));
			w->nsel = ndefaults;
		} else {
			for (size_t i = 0; i < ncols; i++)
				w->sel[i] = i;
			w->nsel = ncols;
		}
		return 0;
	}
	for (const char *p = spec;;) {
		size_t len = strcspn(p, ",");
		while (len && p[0] == ' ') {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		int idx = len ? find_column(w->cols, ncols, p, len) : -1;
		if (idx < 0) {
			char names[512] = "";
			for (size_t i = 0; i < ncols; i++) {
				if (i)
					strncat(names, ", ", sizeof(names) - strlen(names) - 1);
				strncat(names, w->cols[i].name, sizeof(names) - strlen(names) - 1);
			}
			return sc_error_set(err, SC_USAGE, "unknown column '%.*s' in --columns: choose from %s",
					    (int)len, p, names);
		}
		for (size_t i = 0; i < w->nsel; i++)
			if (w->sel[i] == (size_t)idx)
				return sc_error_set(err, SC_USAGE, "column '%.*s' given twice in --columns",
						    (int)len, p);
		w->sel[w->nsel++] = (size_t)idx;
		p += strcspn(p, ",");
		if (!*p)
			break;
		p++;
	}
	return 0;
}

char *sc_writer_column_list(const struct sc_writer *w)
{
	size_t len = 2;

	for (size_t i = 0; i < w->nsel; i++)
		len += strlen(w->cols[w->sel[i]].name) + 1;
	char *list = malloc(len), *p = list;
	if (!list)
		return NULL;
	*p++ = ',';
	for (size_t i = 0; i < w->nsel; i++) {
		size_t n = strlen(w->cols[w->sel[i]].name);
		memcpy(p, w->cols[w->sel[i]].name, n);
		p += n;
		*p++ = ',';
	}
	*p = '\0';
	return list;
}

static int start(struct sc_writer *w)
{
	if (w->started)
		return 0;
	w->started = true;
	return w->ops->begin ? w->ops->begin(w) : 0;
}

static int io_error(struct sc_writer *w, struct sc_error *err)
{
	if (errno == EPIPE || w->closed) {
		w->closed = true;
		return sc_error_set(err, SC_BROKEN_PIPE, "output closed");
	}
	return sc_error_set(err, SC_IOERR, "cannot write output: %s", sc_strerror(errno ? errno : EIO));
}

int sc_writer_open(struct sc_writer **wp, FILE *out, const struct sc_output_opts *opts,
		   const struct sc_column *cols, size_t ncols, const size_t *defaults,
		   size_t ndefaults, struct sc_error *err)
{
	struct sc_writer *w = calloc(1, sizeof(*w));

	*wp = NULL;
	if (!w)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	w->out = out;
	w->opts = *opts;
	w->cols = cols;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == opts->format)
			w->ops = formats[i].ops;
	if (select_columns(w, ncols, defaults, ndefaults, err) < 0) {
		sc_writer_abort(w);
		return -1;
	}
	*wp = w;
	return 0;
}

int sc_writer_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags,
		  struct sc_error *err)
{
	errno = 0;
	if (w->closed || start(w) < 0 || w->ops->row(w, vals, flags) < 0)
		return io_error(w, err);
	w->rows++;
	return 0;
}

int sc_writer_close(struct sc_writer *w, struct sc_error *err)
{
	int rc = 0;

	if (!w)
		return 0;
	errno = 0;
	if (w->closed || start(w) < 0 || (w->ops->end && w->ops->end(w) < 0) || fflush(w->out) == EOF || ferror(w->out))
		rc = io_error(w, err);
	sc_writer_abort(w);
	return rc;
}

void sc_writer_abort(struct sc_writer *w)
{
	if (!w)
		return;
	if (w->ops && w->ops->free_state)
		w->ops->free_state(w);
	free(w->sel);
	free(w);
}
