/* Unit tests of the table writer for people (issue 13 items 1, 2 and 9):
 * identifiers never shortened, free text shortened first, lower-value
 * columns hidden next, --full, the bounded-memory streaming after the
 * measured rows, and the --time styles (relative, utc, local with the
 * zone labelled, never a bare date). tests/test_output.c has the rest. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/output.h"
#include "../src/utf8.h"

#define T_2025_02_08_103000 INT64_C(1739010600) /* a Saturday, CET */
#define T_2025_07_08_103000 INT64_C(1751970600) /* summer: CEST */

enum { ID, USER_ID, FP, NAME, BROWSER, IP, SEEN, NC };

/* As records.c describes a session today: fingerprint and address are
 * marked SC_COL_SHRINK there, which the table must not obey for them. */
static const struct sc_column scols[NC] = {
	[ID] = { "id", SC_COL_INT, 0, NULL, 0 },
	[USER_ID] = { "user_id", SC_COL_INT, 0, "USER", 1 },
	[FP] = { "device_fingerprint", SC_COL_TEXT, SC_COL_SHRINK, "FINGERPRINT", 0 },
	[NAME] = { "device_name", SC_COL_TEXT, SC_COL_SHRINK, "DEVICE", 0 },
	[BROWSER] = { "browser", SC_COL_TEXT, SC_COL_SHRINK, NULL, 2 },
	[IP] = { "ip_address", SC_COL_TEXT, SC_COL_SHRINK, "IP", 0 },
	[SEEN] = { "last_activity", SC_COL_TIME, 0, "LAST SEEN", 3 },
};

#define FP_LONG "0123456789abcdef0123456789abcdef"
#define IPV6 "2001:db8:85a3::8a2e:370:7334"
#define NAME_LONG "Chrome 121 on Windows 11 Enterprise, laptop of the finance department"

static void session(struct sc_value *v, int64_t id, const char *fp, const char *name,
		    const char *ip, int64_t seen)
{
	v[ID] = (struct sc_value){ .i = id };
	v[USER_ID] = (struct sc_value){ .i = 74 };
	v[FP] = (struct sc_value){ .s = fp };
	v[NAME] = (struct sc_value){ .s = name };
	v[BROWSER] = (struct sc_value){ .s = "Firefox 122.0 (64-bit)" };
	v[IP] = (struct sc_value){ .s = ip };
	v[SEEN] = (struct sc_value){ .i = seen };
}

/* Opens a table writer on a memory stream. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
	struct sc_writer *w;
};

static void mem_open(struct mem *m, const struct sc_output_opts *o)
{
	struct sc_error err = { 0 };

	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	cr_assert_not_null(m->f);
	cr_assert_eq(sc_writer_open(&m->w, m->f, o, scols, NC, NULL, 0, &err), 0, "open: %s", err.msg);
}

static void mem_row(struct mem *m, const struct sc_value *v)
{
	struct sc_error err = { 0 };
	cr_assert_eq(sc_writer_row(m->w, v, 0, &err), 0, "row: %s", err.msg);
}

static char *mem_close(struct mem *m)
{
	struct sc_error err = { 0 };
	cr_assert_eq(sc_writer_close(m->w, &err), 0, "close: %s", err.msg);
	fclose(m->f);
	return m->buf;
}

static char *render_sessions(const struct sc_output_opts *o, size_t n)
{
	struct mem m;
	struct sc_value v[NC];

	mem_open(&m, o);
	for (size_t i = 0; i < n; i++) {
		session(v, 123456 + (int64_t)i, FP_LONG, NAME_LONG, i % 2 ? "203.0.113.5" : IPV6,
			T_2025_02_08_103000 - 3 * 3600);
		mem_row(&m, v);
	}
	return mem_close(&m);
}

static size_t widest_line(const char *s)
{
	size_t max = 0;
	char *copy = strdup(s), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t w = sc_utf8_width(line);
		max = w > max ? w : max;
	}
	free(copy);
	return max;
}

static struct sc_output_opts tty_opts(unsigned width)
{
	return (struct sc_output_opts){ .format = SC_FORMAT_TABLE, .tty = true, .width = width,
					.now = T_2025_02_08_103000 };
}

/* ---- item 1: identifiers are never shortened ---- */

Test(table_fit, an_ipv6_address_at_80_columns_keeps_its_width_and_the_device_name_gives_way)
{
	struct sc_output_opts o = tty_opts(80);
	o.columns = "id,device_name,browser,ip_address,last_activity";
	char *out = render_sessions(&o, 2);

	cr_expect_not_null(strstr(out, IPV6 " "), "IPv6 address cut:\n%s", out);
	cr_expect_not_null(strstr(out, "…"), "device name not shortened:\n%s", out);
	cr_expect_leq(widest_line(out), 80, "wider than 80:\n%s", out);
	free(out);
}

Test(table_fit, fingerprints_and_addresses_are_not_cut_at_60_columns_with_columns)
{
	struct sc_output_opts o = tty_opts(60);
	o.columns = "id,device_name,device_fingerprint,ip_address";
	char *out = render_sessions(&o, 2);

	cr_expect_not_null(strstr(out, FP_LONG), "fingerprint cut:\n%s", out);
	cr_expect_not_null(strstr(out, IPV6), "address cut:\n%s", out);
	cr_expect_not_null(strstr(out, "203.0.113.5"), "address cut:\n%s", out);
	cr_expect_not_null(strstr(out, "Chr…"), "free text not shortened to its floor:\n%s", out);
	cr_expect_null(strstr(out, "FINGERPRI…"), "a key's header cut:\n%s", out);
	free(out);
}

Test(table_fit, email_and_username_columns_are_keys_by_name)
{
	static const struct sc_column c[] = {
		{ "email", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
		{ "username", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
		{ "reason", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	};
	struct sc_output_opts o = tty_opts(30);
	struct sc_value v[] = { { .s = "someone.long@example.com" }, { .s = "someone_long_name" },
				{ .s = "a reason long enough to be cut" } };
	struct sc_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sc_writer *w;

	cr_assert_eq(sc_writer_open(&w, f, &o, c, 3, NULL, 0, &err), 0);
	cr_assert_eq(sc_writer_row(w, v, 0, &err), 0);
	cr_assert_eq(sc_writer_close(w, &err), 0);
	fclose(f);
	cr_expect_not_null(strstr(buf, "someone.long@example.com"), "email cut:\n%s", buf);
	cr_expect_not_null(strstr(buf, "someone_long_name"), "user name cut:\n%s", buf);
	cr_expect_not_null(strstr(buf, "a r…"), "free text not shortened:\n%s", buf);
	free(buf);
}

Test(table_fit, hides_lower_value_columns_highest_drop_first_after_shortening_free_text)
{
	/* 100 columns: free text down to 12 is not enough with every
	 * column; LAST SEEN (drop 3) goes first, then BROWSER (2); USER
	 * (1) stays, as do the fingerprint and address. */
	struct sc_output_opts o = tty_opts(100);
	char *out = render_sessions(&o, 2);

	cr_expect_null(strstr(out, "LAST SEEN"), "drop 3 kept:\n%s", out);
	cr_expect_null(strstr(out, "BROWSER"), "drop 2 kept:\n%s", out);
	cr_expect_not_null(strstr(out, "USER"), "drop 1 hidden too early:\n%s", out);
	cr_expect_not_null(strstr(out, FP_LONG), "fingerprint cut:\n%s", out);
	cr_expect_not_null(strstr(out, IPV6), "address cut:\n%s", out);
	cr_expect_leq(widest_line(out), 100, "wider than 100:\n%s", out);
	free(out);
}

Test(table_fit, columns_chosen_with_columns_are_never_hidden)
{
	struct sc_output_opts o = tty_opts(40);
	o.columns = "id,browser,last_activity";
	char *out = render_sessions(&o, 1);

	cr_expect_not_null(strstr(out, "BROWSER"), "chosen column hidden:\n%s", out);
	cr_expect_not_null(strstr(out, "LAST SEEN"), "chosen column hidden:\n%s", out);
	free(out);
}

Test(table_fit, full_shortens_and_hides_nothing_on_a_narrow_terminal)
{
	struct sc_output_opts o = tty_opts(40);
	o.full = true;
	char *out = render_sessions(&o, 2);

	cr_expect_not_null(strstr(out, NAME_LONG), "--full shortened the device name:\n%s", out);
	cr_expect_not_null(strstr(out, "Firefox 122.0 (64-bit)"), "--full hid the browser:\n%s", out);
	cr_expect_not_null(strstr(out, "LAST SEEN"), "--full hid a column:\n%s", out);
	cr_expect_null(strstr(out, "…"), "--full shortened something:\n%s", out);
	free(out);
}

/* ---- item 9: measure the first rows, then stream ---- */

Test(table_stream, prints_the_measured_rows_before_the_table_ends)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE };
	struct sc_value v[NC];
	struct mem m;

	mem_open(&m, &o);
	session(v, 1, "fp", "name", "10.0.0.1", T_2025_02_08_103000);
	for (int i = 0; i < SC_TABLE_MEASURE_ROWS - 1; i++)
		mem_row(&m, v);
	fflush(m.f);
	cr_expect_eq(m.len, 0, "printed before %d rows were measured", SC_TABLE_MEASURE_ROWS);
	mem_row(&m, v);
	fflush(m.f);
	cr_expect_gt(m.len, 0, "nothing printed after %d rows: the table is not streaming",
		     SC_TABLE_MEASURE_ROWS);
	size_t before = m.len;
	mem_row(&m, v);
	fflush(m.f);
	cr_expect_gt(m.len, before, "a row after the measured ones was held back");
	free(mem_close(&m));
}

/* The last line of s (without its newline), copied. */
static char *last_line(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	cr_assert(n > 0 && s[n - 1] == '\n');
	for (p = s + n - 1; p > s && p[-1] != '\n'; p--)
		;
	return strndup(p, (size_t)(s + n - 1 - p));
}

static char *render_with_late_long_row(const struct sc_output_opts *o)
{
	struct sc_value v[NC];
	struct mem m;

	mem_open(&m, o);
	session(v, 1, "fp1", "short", "10.0.0.1", T_2025_02_08_103000);
	for (int i = 0; i < SC_TABLE_MEASURE_ROWS; i++)
		mem_row(&m, v);
	session(v, 2, FP_LONG, NAME_LONG, IPV6, T_2025_02_08_103000);
	mem_row(&m, v);
	session(v, 3, "fp3", "short", "10.0.0.3", T_2025_02_08_103000);
	mem_row(&m, v);
	return mem_close(&m);
}

Test(table_stream, piped_a_later_wider_value_overflows_whole_and_the_row_after_is_aligned)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE };
	o.columns = "id,device_fingerprint,device_name,ip_address";
	char *out = render_with_late_long_row(&o);
	char *first = strndup(out + strcspn(out, "\n") + 1, strcspn(out + strcspn(out, "\n") + 1, "\n"));
	char *last = last_line(out);

	cr_expect_not_null(strstr(out, "2  " FP_LONG " " NAME_LONG " " IPV6 "\n"),
			   "the wider row is not whole, one space apart:\n%s", strstr(out, "\n2 "));
	/* DEVICE_FINGERPRINT and DEVICE_NAME: the headers set the widths. */
	cr_expect_str_eq(last, " 3  fp3                 short        10.0.0.3");
	cr_expect_str_eq(first, " 1  fp1                 short        10.0.0.1");
	free(first);
	free(last);
	free(out);
}

Test(table_stream, on_a_terminal_later_free_text_is_shortened_and_identifiers_overflow)
{
	struct sc_output_opts o = tty_opts(200);
	o.columns = "id,device_name,ip_address";
	char *out = render_with_late_long_row(&o);
	const char *row2 = strstr(out, "\n 2  ");

	cr_assert_not_null(row2, "%s", out);
	/* DEVICE (6 columns wide): "Chrom…"; the address whole. */
	cr_expect_eq(strncmp(row2, "\n 2  Chrom…  " IPV6 "\n", strlen("\n 2  Chrom…  " IPV6 "\n")), 0,
		     "row 2: %.*s", (int)strcspn(row2 + 1, "\n"), row2 + 1);
	free(out);

	o.full = true;
	out = render_with_late_long_row(&o);
	cr_expect_not_null(strstr(out, NAME_LONG), "--full shortened a later value:\n%s", out);
	free(out);
}

/* A relative time after the measured rows may be a full time (older
 * than a week): list-user, newest first, measured "3 h ago" and every
 * older row after the 200th pushed the columns after it out of line.
 * With more rows than it measures, the column is as wide as a full
 * time; a table of only the measured rows is as wide as they are. */
Test(table_stream, on_a_terminal_a_later_relative_time_beyond_a_week_keeps_the_columns_aligned)
{
	struct sc_output_opts o = tty_opts(200);
	struct sc_value v[NC];
	struct mem m;

	o.columns = "id,last_activity,ip_address";
	mem_open(&m, &o);
	session(v, 1, "fp1", "short", "10.0.0.1", T_2025_02_08_103000 - 3 * 3600);
	for (int i = 0; i < SC_TABLE_MEASURE_ROWS; i++)
		mem_row(&m, v);
	session(v, 2, "fp2", "short", "10.0.0.2", T_2025_02_08_103000 - 30 * 86400);
	mem_row(&m, v);
	char *out = mem_close(&m);
	char *last = last_line(out);
	const char *first = strchr(out, '\n') + 1;

	cr_expect_str_eq(last, " 2  2025-01-09T10:30:00Z  10.0.0.2");
	char *row1 = strndup(first, strcspn(first, "\n"));
	cr_expect_str_eq(row1, " 1  3 h ago               10.0.0.1");
	free(row1);
	free(last);
	free(out);

	/* all rows measured: no room kept */
	mem_open(&m, &o);
	session(v, 1, "fp1", "short", "10.0.0.1", T_2025_02_08_103000 - 3 * 3600);
	mem_row(&m, v);
	out = mem_close(&m);
	cr_expect_str_eq(out, "ID  LAST SEEN  IP\n 1  3 h ago    10.0.0.1\n");
	free(out);
}

/* A cell shortened where a double-width character does not fit: the
 * prefix is a column short of the others, and the next column must still
 * start where it does on every row (it started a column early). */
Test(table_fit, a_cell_cut_before_a_wide_character_keeps_the_next_column_aligned)
{
	struct sc_output_opts o = tty_opts(27);
	struct sc_value v[NC];
	struct mem m;

	o.columns = "id,device_name,ip_address";
	mem_open(&m, &o);
	session(v, 1, "f1", "abcdefghijklmnop", "1.1.1.1", T_2025_02_08_103000);
	mem_row(&m, v);
	session(v, 2, "f2", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe7\xab\xaf"
		"\xe6\x9c\xab\xe5\x90\x8d\xe5\x89\x8d\xe3\x81\xa7\xe3\x81\x99", /* 日本語の端末名前です */
		"1.1.1.1", T_2025_02_08_103000);
	mem_row(&m, v);
	char *out = mem_close(&m);
	const char *r1 = strstr(out, "\n 1  "), *r2 = strstr(out, "\n 2  ");
	cr_assert(r1 && r2, "%s", out);
	const char *ip1 = strstr(r1, "1.1.1.1"), *ip2 = strstr(r2, "1.1.1.1");
	cr_assert(ip1 && ip2, "%s", out);
	/* display columns before the address on each row */
	char *pre1 = strndup(r1 + 1, (size_t)(ip1 - r1 - 1)), *pre2 = strndup(r2 + 1, (size_t)(ip2 - r2 - 1));
	cr_expect_eq(sc_utf8_width(pre1), sc_utf8_width(pre2), "the address moved:\n%s", out);
	cr_expect_not_null(strstr(pre2, "\xe2\x80\xa6"), "row 2 was not shortened:\n%s", out);
	free(pre1);
	free(pre2);
	free(out);
}

/* A shortened cell never ends in a space before its "…" ("word …"), nor
 * in a zero-width joiner (half an emoji sequence), whatever the width. */
Test(table_fit, a_shortened_cell_ends_in_no_space_and_no_dangling_joiner)
{
	static const char *const names[] = {
		"a b c d e f g h i j k l m n o p q r s t u v w x y z",
		"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"
		"\xe2\x80\x8d\xf0\x9f\x91\xa6 family phone of the house",
	};
	for (unsigned width = 20; width <= 44; width++) {
		for (size_t n = 0; n < 2; n++) {
			struct sc_output_opts o = tty_opts(width);
			struct sc_value v[NC];
			struct mem m;

			o.columns = "id,device_name,ip_address";
			mem_open(&m, &o);
			session(v, 1, "f1", names[n], "10.0.0.1", T_2025_02_08_103000);
			mem_row(&m, v);
			char *out = mem_close(&m);
			cr_expect_null(strstr(out, " \xe2\x80\xa6"), "%u columns: a space before the cut:\n%s",
				       width, out);
			cr_expect_null(strstr(out, "\xe2\x80\x8d\xe2\x80\xa6"),
				       "%u columns: a joiner before the cut:\n%s", width, out);
			free(out);
		}
	}
}

/* ---- item 2: times ---- */

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static char *one_time(enum sc_time_style style, bool tty, bool single, int64_t t, int64_t now)
{
	static const struct sc_column c[] = { { "at", SC_COL_TIME, 0, NULL, 0 } };
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .tty = tty, .width = 200, .now = now,
				    .time = style, .no_header = true, .single = single };
	struct sc_value v = { .i = t };
	struct sc_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sc_writer *w;

	cr_assert_eq(sc_writer_open(&w, f, &o, c, 1, NULL, 0, &err), 0);
	cr_assert_eq(sc_writer_row(w, &v, 0, &err), 0);
	cr_assert_eq(sc_writer_close(w, &err), 0);
	fclose(f);
	return buf;
}

#define expect_time(got, want)                                                    \
	do {                                                                      \
		char *g_ = (got);                                                 \
		cr_expect_str_eq(g_, want);                                       \
		free(g_);                                                         \
	} while (0)

Test(table_time, auto_is_relative_on_a_terminal_and_utc_otherwise)
{
	int64_t t = T_2025_02_08_103000;
	expect_time(one_time(SC_TIME_AUTO, true, false, t, t + 3 * 3600), "3 h ago\n");
	expect_time(one_time(SC_TIME_AUTO, false, false, t, t + 3 * 3600), "2025-02-08T10:30:00Z\n");
}

Test(table_time, relative_beyond_a_week_is_the_full_time_never_a_bare_date)
{
	int64_t t = T_2025_02_08_103000;
	expect_time(one_time(SC_TIME_RELATIVE, true, false, t, t + 8 * 86400), "2025-02-08T10:30:00Z\n");
	expect_time(one_time(SC_TIME_RELATIVE, true, false, t, t - 8 * 86400), "2025-02-08T10:30:00Z\n");
	expect_time(one_time(SC_TIME_RELATIVE, false, false, t, t + 60), "1 min ago\n");
}

Test(table_time, utc_on_a_terminal_is_rfc3339)
{
	int64_t t = T_2025_02_08_103000;
	expect_time(one_time(SC_TIME_UTC, true, false, t, t + 60), "2025-02-08T10:30:00Z\n");
}

Test(table_time, local_follows_tz_and_labels_the_zone)
{
	int64_t t = T_2025_02_08_103000;
	use_tz("Europe/Berlin");
	expect_time(one_time(SC_TIME_LOCAL, true, false, t, t), "2025-02-08 11:30:00 CET\n");
	expect_time(one_time(SC_TIME_LOCAL, false, false, T_2025_07_08_103000, t),
		    "2025-07-08 12:30:00 CEST\n");
	use_tz("UTC");
	expect_time(one_time(SC_TIME_LOCAL, true, false, t, t), "2025-02-08 10:30:00 UTC\n");
}

Test(table_time, local_labels_a_zone_without_an_abbreviation_with_its_offset)
{
	int64_t t = T_2025_02_08_103000;
	use_tz("America/Sao_Paulo"); /* tzdata calls it "-03" */
	expect_time(one_time(SC_TIME_LOCAL, true, false, t, t), "2025-02-08 07:30:00 -03:00\n");
	use_tz("<+0530>-5:30");
	expect_time(one_time(SC_TIME_LOCAL, true, false, t, t), "2025-02-08 16:00:00 +05:30\n");
}

Test(table_time, local_outside_years_1_to_9999_falls_back_to_utc)
{
	use_tz("Europe/Berlin");
	expect_time(one_time(SC_TIME_LOCAL, true, false, INT64_MAX, 0), "+292277026596-12-04T15:30:07Z\n");
}

Test(table_time, one_record_shows_the_full_time_and_how_long_ago)
{
	int64_t t = T_2025_02_08_103000;
	expect_time(one_time(SC_TIME_AUTO, true, true, t, t + 3 * 3600),
		    "AT  2025-02-08T10:30:00Z (3 h ago)\n");
	expect_time(one_time(SC_TIME_AUTO, true, true, t, t + 38 * 86400),
		    "AT  2025-02-08T10:30:00Z (38 d ago)\n");
	/* elapsed days rounded down, as within a week: 7 d 23 h 30 min is
	 * 7 d (it was 8, counting calendar days), and before 1970 alike */
	expect_time(one_time(SC_TIME_AUTO, true, true, t, t + 8 * 86400 - 1800),
		    "AT  2025-02-08T10:30:00Z (7 d ago)\n");
	expect_time(one_time(SC_TIME_AUTO, true, true, t + 8 * 86400 - 1800, t),
		    "AT  2025-02-16T10:00:00Z (in 7 d)\n");
	expect_time(one_time(SC_TIME_AUTO, true, true, -62135596800, 0),
		    "AT  0001-01-01T00:00:00Z (719162 d ago)\n");
	expect_time(one_time(SC_TIME_AUTO, true, true, -62135596800, -43200),
		    "AT  0001-01-01T00:00:00Z (719161 d ago)\n");
	expect_time(one_time(SC_TIME_AUTO, true, true, -62135596800 + 43200, -43200),
		    "AT  0001-01-01T12:00:00Z (719161 d ago)\n");
	expect_time(one_time(SC_TIME_AUTO, true, true, -62135596800 + 43201, -43200),
		    "AT  0001-01-01T12:00:01Z (719160 d ago)\n");
	expect_time(one_time(SC_TIME_AUTO, false, true, t, t + 60), "AT  2025-02-08T10:30:00Z\n");
	use_tz("Europe/Berlin");
	expect_time(one_time(SC_TIME_LOCAL, true, true, t, t), "AT  2025-02-08 11:30:00 CET\n");
}

Test(table_time, json_and_csv_keep_rfc3339_utc_whatever_the_style)
{
	static const struct sc_column c[] = { { "at", SC_COL_TIME, 0, NULL, 0 } };
	struct sc_value v = { .i = T_2025_02_08_103000 };
	enum sc_format formats[] = { SC_FORMAT_JSON, SC_FORMAT_CSV };

	use_tz("Europe/Berlin");
	for (size_t i = 0; i < 2; i++) {
		struct sc_output_opts o = { .format = formats[i], .tty = true, .time = SC_TIME_LOCAL,
					    .no_header = true };
		struct sc_error err = { 0 };
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct sc_writer *w;
		cr_assert_eq(sc_writer_open(&w, f, &o, c, 1, NULL, 0, &err), 0);
		cr_assert_eq(sc_writer_row(w, &v, 0, &err), 0);
		cr_assert_eq(sc_writer_close(w, &err), 0);
		fclose(f);
		cr_expect_not_null(strstr(buf, "2025-02-08T10:30:00Z"), "format %zu: %s", i, buf);
		free(buf);
	}
}

Test(table_time, parses_the_three_styles_only)
{
	enum sc_time_style s;
	struct sc_error err = { 0 };

	cr_expect_eq(sc_time_style_parse("relative", &s, &err), 0);
	cr_expect_eq(s, SC_TIME_RELATIVE);
	cr_expect_eq(sc_time_style_parse("utc", &s, &err), 0);
	cr_expect_eq(s, SC_TIME_UTC);
	cr_expect_eq(sc_time_style_parse("local", &s, &err), 0);
	cr_expect_eq(s, SC_TIME_LOCAL);
	cr_expect_eq(sc_time_style_parse("UTC+1", &s, &err), -1);
	cr_expect_eq(err.status, SC_USAGE);
	cr_expect_not_null(strstr(err.msg, "relative, utc or local"), "%s", err.msg);
}
