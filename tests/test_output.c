/* Unit tests of the output writers (src/output*.c): JSON string escaping,
 * JSON, NDJSON, CSV and table rendering through sc_writer_open/row/close,
 * column selection, write errors. */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/output.h"
#include "../src/utf8.h"

#define T_2025_02_08_103000 INT64_C(1739010600)

/* ---- helpers ---- */

static const struct sc_column cols[] = {
	{ "id", SC_COL_INT, 0, NULL, 0 },
	{ "name", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "seen_at", SC_COL_TIME, 0, NULL, 0 },
	{ "active", SC_COL_BOOL, 0, NULL, 0 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

#define TEXT(x) { .null = false, .s = (x) }
#define INT(x) { .null = false, .i = (x) }
#define NUL { .null = true }

/* Two rows: one full, one with every nullable value NULL. */
static const struct sc_value two_rows[][NCOLS] = {
	{ INT(1), TEXT("alice"), INT(T_2025_02_08_103000), INT(1) },
	{ INT(12), NUL, NUL, INT(0) },
};

/* Renders nrows rows through a writer on a memory stream; returns the
 * text (malloc'd). Fails the test on any writer error. */
static char *render(const struct sc_output_opts *opts, const struct sc_column *c, size_t ncols,
		    const size_t *defaults, size_t ndefaults, const struct sc_value (*rows)[NCOLS],
		    size_t nrows, const unsigned *flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sc_writer *w;
	struct sc_error err = { 0 };

	cr_assert_not_null(f);
	cr_assert_eq(sc_writer_open(&w, f, opts, c, ncols, defaults, ndefaults, &err), 0,
		     "open: %s", err.msg);
	for (size_t r = 0; r < nrows; r++)
		cr_assert_eq(sc_writer_row(w, rows[r], flags ? flags[r] : 0, &err), 0, "row: %s", err.msg);
	cr_assert_eq(sc_writer_close(w, &err), 0, "close: %s", err.msg);
	fclose(f);
	return buf;
}

static char *render_rows(enum sc_format format, const struct sc_value (*rows)[NCOLS], size_t nrows)
{
	struct sc_output_opts o = { .format = format };
	return render(&o, cols, NCOLS, NULL, 0, rows, nrows, NULL);
}

/* The CSV or JSON text of one TEXT value in a one-column record. */
static char *render_one_text(enum sc_format format, const char *s)
{
	static const struct sc_column one[] = { { "v", SC_COL_TEXT, 0, NULL, 0 } };
	struct sc_output_opts o = { .format = format, .no_header = true, .single = true };
	struct sc_value v[NCOLS] = { { .null = s == NULL, .s = s } };
	return render(&o, one, 1, NULL, 0, (const struct sc_value (*)[NCOLS])v, 1, NULL);
}

static void expect_text(char *got, const char *want)
{
	cr_expect_str_eq(got, want, "got:\n%s\nexpected:\n%s", got, want);
	free(got);
}

/* ---- JSON string escaping ---- */

struct escape_case {
	const char *in;
	const char *out;
};

static struct escape_case json_escape_escapes_quotes_backslashes_and_control_characters_cases[] = {
	{ "", "" },
	{ "plain text", "plain text" },
	{ "say \"hi\"", "say \\\"hi\\\"" },
	{ "C:\\path\\x", "C:\\\\path\\\\x" },
	{ "a\nb", "a\\nb" },
	{ "a\tb", "a\\tb" },
	{ "a\rb", "a\\rb" },
	{ "a\bb", "a\\bb" },
	{ "a\fb", "a\\fb" },
	{ "\x01", "\\u0001" },
	{ "\x1b[2m", "\\u001b[2m" },
	{ "\x1f", "\\u001f" },
	{ "\x7f", "\\u007f" },
	{ "a/b", "a/b" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac" },
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	{ "\xef\xbf\xbd", "\xef\xbf\xbd" },
	/* line breaks to Unicode line splitters, and C1 controls: escaped */
	{ "a\xe2\x80\xa8" "b", "a\\u2028b" },             /* LINE SEPARATOR */
	{ "\xe2\x80\xa9", "\\u2029" },                     /* PARAGRAPH SEPARATOR */
	{ "a\xc2\x85" "b", "a\\u0085b" },                  /* NEXT LINE (C1) */
	{ "\xc2\x80\xc2\x9b" "31m\xc2\x9f", "\\u0080\\u009b31m\\u009f" },
	{ "\xc2\xa0", "\xc2\xa0" },                         /* U+00A0: just past C1 */
	{ "\xe2\x80\xa7\xe2\x80\xaf", "\xe2\x80\xa7\xe2\x80\xaf" }, /* neighbours stay */
	/* bidirectional formatting characters: escaped, so that the JSON
	 * shown on a terminal or in a log keeps its order */
	{ "evil\xe2\x80\xaegpj.exe", "evil\\u202egpj.exe" },       /* U+202E RLO */
	{ "\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
	  "\\u202a\\u2066\\u2069\\u200e\\u200f\\u061c" },
	{ "\xc2\x85\xff", "\\u0085\xef\xbf\xbd" },
	{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
	{ "a\xc3", "a\xef\xbf\xbd" },
	{ "\xc3(", "\xef\xbf\xbd(" },
	{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
};

ParameterizedTestParameters(json_escape, escapes_quotes_backslashes_and_control_characters)
{
	CASE_INDEXES(json_escape_escapes_quotes_backslashes_and_control_characters_cases);
}

ParameterizedTest(size_t *case_, json_escape, escapes_quotes_backslashes_and_control_characters)
{
	struct escape_case *c = &json_escape_escapes_quotes_backslashes_and_control_characters_cases[*case_];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(sc_json_write_string(f, c->in), 0);
	fclose(f);
	cr_expect_str_eq(buf, c->out, "escape('%s') = '%s', expected '%s'", c->in, buf, c->out);
	free(buf);
}

Test(json_escape, reports_a_write_error)
{
	FILE *f = fopen("/dev/null", "r");

	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	cr_expect_eq(sc_json_write_string(f, "x"), -1);
	fclose(f);
}

/* ---- JSON and NDJSON ---- */

Test(json, writes_an_array_of_objects_with_typed_values_and_nulls)
{
	expect_text(render_rows(SC_FORMAT_JSON, two_rows, 2),
		    "[\n"
		    "{\"id\":1,\"name\":\"alice\",\"seen_at\":\"2025-02-08T10:30:00Z\",\"active\":true},\n"
		    "{\"id\":12,\"name\":null,\"seen_at\":null,\"active\":false}\n"
		    "]\n");
}

Test(json, writes_an_empty_array_for_no_rows)
{
	expect_text(render_rows(SC_FORMAT_JSON, two_rows, 0), "[]\n");
}

Test(json, single_writes_one_object_or_null)
{
	struct sc_output_opts o = { .format = SC_FORMAT_JSON, .single = true };

	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows, 1, NULL),
		    "{\"id\":1,\"name\":\"alice\",\"seen_at\":\"2025-02-08T10:30:00Z\",\"active\":true}\n");
	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows, 0, NULL), "null\n");
}

Test(json, escapes_text_values)
{
	struct sc_output_opts o = { .format = SC_FORMAT_JSON, .single = true };
	static const struct sc_column one[] = { { "v", SC_COL_TEXT, 0, NULL, 0 } };
	struct sc_value v[NCOLS] = { TEXT("\"Caf\xc3\xa9\"\n\\\x01") };

	expect_text(render(&o, one, 1, NULL, 0, (const struct sc_value (*)[NCOLS])v, 1, NULL),
		    "{\"v\":\"\\\"Caf\xc3\xa9\\\"\\n\\\\\\u0001\"}\n");
}

Test(json, integers_keep_every_digit)
{
	struct sc_value rows[][NCOLS] = {
		{ INT(INT64_MAX), TEXT("x"), INT(0), INT(1) },
		{ INT(INT64_MIN), TEXT("y"), INT(-1), INT(0) },
	};

	expect_text(render_rows(SC_FORMAT_NDJSON, (const struct sc_value (*)[NCOLS])rows, 2),
		    "{\"id\":9223372036854775807,\"name\":\"x\",\"seen_at\":\"1970-01-01T00:00:00Z\",\"active\":true}\n"
		    "{\"id\":-9223372036854775808,\"name\":\"y\",\"seen_at\":\"1969-12-31T23:59:59Z\",\"active\":false}\n");
}

Test(ndjson, writes_one_object_per_line)
{
	expect_text(render_rows(SC_FORMAT_NDJSON, two_rows, 2),
		    "{\"id\":1,\"name\":\"alice\",\"seen_at\":\"2025-02-08T10:30:00Z\",\"active\":true}\n"
		    "{\"id\":12,\"name\":null,\"seen_at\":null,\"active\":false}\n");
}

Test(ndjson, writes_nothing_for_no_rows)
{
	expect_text(render_rows(SC_FORMAT_NDJSON, two_rows, 0), "");
}

Test(ndjson, keeps_embedded_newlines_escaped_so_each_record_is_one_line)
{
	struct sc_output_opts o = { .format = SC_FORMAT_NDJSON };
	static const struct sc_column one[] = { { "v", SC_COL_TEXT, 0, NULL, 0 } };
	struct sc_value rows[][NCOLS] = { { TEXT("a\nb\r\nc") }, { TEXT("d") } };

	expect_text(render(&o, one, 1, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 2, NULL),
		    "{\"v\":\"a\\nb\\r\\nc\"}\n{\"v\":\"d\"}\n");
}

Test(ndjson, escapes_unicode_line_breaks_so_each_record_is_one_line_for_every_splitter)
{
	struct sc_output_opts o = { .format = SC_FORMAT_NDJSON };
	static const struct sc_column one[] = { { "v", SC_COL_TEXT, 0, NULL, 0 } };
	struct sc_value rows[][NCOLS] = { { TEXT("a\xe2\x80\xa8" "b\xc2\x85" "c\xe2\x80\xa9") },
					  { TEXT("d") } };

	expect_text(render(&o, one, 1, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 2, NULL),
		    "{\"v\":\"a\\u2028b\\u0085c\\u2029\"}\n{\"v\":\"d\"}\n");
}

/* RFC 3339 has four-digit years: outside 0001-9999 JSON keeps the value
 * in the ISO 8601 expanded form rather than a clamped, wrong time. */
Test(json, writes_times_outside_years_1_to_9999_in_the_expanded_form)
{
	static const struct sc_column one[] = { { "t", SC_COL_TIME, 0, NULL, 0 } };
	struct sc_output_opts o = { .format = SC_FORMAT_NDJSON };
	struct sc_value rows[][NCOLS] = { { INT(INT64_C(9224318015999)) },
					  { INT(INT64_C(253402300799)) },
					  { INT(INT64_MIN) } };

	expect_text(render(&o, one, 1, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 3, NULL),
		    "{\"t\":\"+294276-12-31T23:59:59Z\"}\n"
		    "{\"t\":\"9999-12-31T23:59:59Z\"}\n"
		    "{\"t\":\"-292277022657-01-27T08:29:52Z\"}\n");
}

/* ---- CSV ---- */

Test(csv, writes_a_header_row_and_crlf_records)
{
	expect_text(render_rows(SC_FORMAT_CSV, two_rows, 2),
		    "id,name,seen_at,active\r\n"
		    "1,alice,2025-02-08T10:30:00Z,true\r\n"
		    "12,,,false\r\n");
}

Test(csv, writes_only_the_header_for_no_rows)
{
	expect_text(render_rows(SC_FORMAT_CSV, two_rows, 0), "id,name,seen_at,active\r\n");
}

Test(csv, no_header_drops_the_header_row)
{
	struct sc_output_opts o = { .format = SC_FORMAT_CSV, .no_header = true };

	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows, 2, NULL),
		    "1,alice,2025-02-08T10:30:00Z,true\r\n12,,,false\r\n");
}

static struct escape_case csv_quotes_fields_as_rfc4180_says_cases[] = {
	{ "plain", "plain\r\n" },
	{ "Chrome on Windows 10", "Chrome on Windows 10\r\n" },
	{ "a,b", "\"a,b\"\r\n" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"\r\n" },
	{ "\"", "\"\"\"\"\r\n" },
	{ "line1\nline2", "\"line1\nline2\"\r\n" },
	{ "line1\r\nline2", "\"line1\r\nline2\"\r\n" },
	{ "", "\"\"\r\n" },
	{ " lead", "\" lead\"\r\n" },
	{ "trail ", "\"trail \"\r\n" },
	/* tabs too: readers such as libcsv trim them around unquoted fields */
	{ "trail\t", "\"trail\t\"\r\n" },
	{ "\tlead", "\"\tlead\"\r\n" },
	{ "in\tside", "in\tside\r\n" },
	{ "Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac", "Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac\r\n" },
	{ "Caf\xc3\xa9 \"\xc3\x9cn\xc3\xaf" "code\", \xe6\x9d\xb1\xe4\xba\xac",
	  "\"Caf\xc3\xa9 \"\"\xc3\x9cn\xc3\xaf" "code\"\", \xe6\x9d\xb1\xe4\xba\xac\"\r\n" },
	/* invalid UTF-8: U+FFFD for each bad byte, as JSON writes it */
	{ "a\xff" "b", "a\xef\xbf\xbd" "b\r\n" },
	{ "\xc0\xaf,x", "\"\xef\xbf\xbd\xef\xbf\xbd,x\"\r\n" },
	{ "x\xe6\x9d", "x\xef\xbf\xbd\xef\xbf\xbd\r\n" },
	{ "\xef\xbf\xbd", "\xef\xbf\xbd\r\n" },
};

ParameterizedTestParameters(csv, quotes_fields_as_rfc4180_says)
{
	CASE_INDEXES(csv_quotes_fields_as_rfc4180_says_cases);
}

ParameterizedTest(size_t *case_, csv, quotes_fields_as_rfc4180_says)
{
	struct escape_case *c = &csv_quotes_fields_as_rfc4180_says_cases[*case_];
	char *got = render_one_text(SC_FORMAT_CSV, c->in);

	cr_expect_str_eq(got, c->out, "csv('%s') = '%s', expected '%s'", c->in, got, c->out);
	free(got);
}

Test(csv, null_is_an_empty_field_and_the_empty_string_is_quoted)
{
	static const struct sc_column two[] = { { "a", SC_COL_TEXT, 0, NULL, 0 }, { "b", SC_COL_TEXT, 0, NULL, 0 } };
	struct sc_output_opts o = { .format = SC_FORMAT_CSV };
	struct sc_value rows[][NCOLS] = { { NUL, TEXT("") }, { TEXT(""), NUL } };

	expect_text(render(&o, two, 2, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 2, NULL),
		    "a,b\r\n,\"\"\r\n\"\",\r\n");
}

/* CSV and JSON replace the same bytes with the same characters. */
static const char *invalid_utf8_cases[] = {
	"\xff", "a\xc3", "\xc3(", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\xe6\x9d\x1b", "\xf0\x9f\x98", "ok\xef\xbf\xbd\xfe\xfe",
};

ParameterizedTestParameters(csv, replaces_invalid_utf8_exactly_as_json_does)
{
	CASE_INDEXES(invalid_utf8_cases);
}

ParameterizedTest(size_t *case_, csv, replaces_invalid_utf8_exactly_as_json_does)
{
	const char *in = invalid_utf8_cases[*case_];
	char *csv = render_one_text(SC_FORMAT_CSV, in);
	char *json = render_one_text(SC_FORMAT_JSON, in);
	char *fixed = NULL;

	cr_assert_eq(sc_utf8_repair(in, &fixed), 0);
	cr_assert_not_null(fixed, "case %zu: not seen as invalid", *case_);
	/* CSV: the repaired text, then CRLF (none of these need quotes) */
	cr_expect_eq(strncmp(csv, fixed, strlen(fixed)), 0, "csv '%s', repaired '%s'", csv, fixed);
	cr_expect_str_eq(csv + strlen(fixed), "\r\n");
	/* JSON: the same characters (ESC escaped) between the quotes */
	cr_assert_eq(strncmp(json, "{\"v\":\"", 6), 0, "json '%s'", json);
	if (!strchr(in, 0x1b))
		cr_expect_eq(strncmp(json + 6, fixed, strlen(fixed)), 0, "json '%s'", json);
	free(fixed);
	free(csv);
	free(json);
}

/* ---- tables ---- */

static const struct sc_column table_cols[] = {
	{ "id", SC_COL_INT, 0, NULL, 0 },
	{ "name", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "active", SC_COL_BOOL, 0, NULL, 0 },
};

static const struct sc_value table_rows[][NCOLS] = {
	{ INT(1), TEXT("Zo\xc3\xab"), INT(1) },
	{ INT(12), TEXT("\xe6\x9d\xb1\xe4\xba\xac office"), INT(0) },
	{ INT(3), NUL, INT(1) },
};

Test(table, aligns_utf8_text_by_width_and_shows_null_as_dash)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE };

	expect_text(render(&o, table_cols, 3, NULL, 0, table_rows, 3, NULL),
		    "ID  NAME         ACTIVE\n"
		    " 1  Zo\xc3\xab          true\n"
		    "12  \xe6\x9d\xb1\xe4\xba\xac office  false\n"
		    " 3  -            true\n");
}

/* Bidi overrides and isolates, directional marks, line and paragraph
 * separators and C1 controls from the database would reorder, break or
 * drive the terminal: each shows as one '?', so columns stay aligned. */
Test(table, shows_bidi_separator_and_c1_characters_as_question_marks_and_stays_aligned)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE };
	struct sc_value rows[][NCOLS] = {
		{ INT(1), TEXT("evil\xe2\x80\xaegpj.exe"), INT(1) },        /* U+202E */
		{ INT(2), TEXT("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c"), INT(1) }, /* U+2028, U+2029 */
		{ INT(3), TEXT("\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8e"), INT(0) }, /* U+2066, U+2069, U+200E */
		{ INT(4), TEXT("\xc2\x9b" "2J\xc2\x85"), INT(0) },           /* CSI, NEL */
		{ INT(5), TEXT("plain"), INT(1) },
	};

	expect_text(render(&o, table_cols, 3, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 5, NULL),
		    "ID  NAME          ACTIVE\n"
		    " 1  evil?gpj.exe  true\n"
		    " 2  a?b?c         true\n"
		    " 3  ?x??          false\n"
		    " 4  ?2J?          false\n"
		    " 5  plain         true\n");
}

Test(table, aligns_accented_text_in_decomposed_form)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE };
	struct sc_value rows[][NCOLS] = {
		{ INT(1), TEXT("cafe\xcc\x81"), INT(1) },
		{ INT(2), TEXT("bar"), INT(0) },
	};

	expect_text(render(&o, table_cols, 3, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 2, NULL),
		    "ID  NAME  ACTIVE\n"
		    " 1  cafe\xcc\x81  true\n"
		    " 2  bar   false\n");
}

Test(table, no_header_sizes_columns_by_the_data)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .no_header = true };

	expect_text(render(&o, table_cols, 3, NULL, 0, table_rows, 3, NULL),
		    " 1  Zo\xc3\xab          true\n"
		    "12  \xe6\x9d\xb1\xe4\xba\xac office  false\n"
		    " 3  -            true\n");
}

Test(table, shows_times_in_rfc3339_when_not_on_a_terminal)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .now = T_2025_02_08_103000 + 7200 };

	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows, 2, NULL),
		    "ID  NAME   SEEN_AT               ACTIVE\n"
		    " 1  alice  2025-02-08T10:30:00Z  true\n"
		    "12  -      -                     false\n");
}

Test(table, single_prints_one_field_per_line)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .single = true };

	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows + 1, 1, NULL),
		    "ID       12\n"
		    "NAME     -\n"
		    "SEEN_AT  -\n"
		    "ACTIVE   false\n");
}

Test(table, on_a_terminal_shows_relative_times_and_shortens_long_text_to_fit)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .tty = true, .width = 30,
				    .now = T_2025_02_08_103000 + 7200 };
	struct sc_value rows[][NCOLS] = {
		{ INT(1), TEXT("Chrome on Windows 10 Enterprise"), INT(T_2025_02_08_103000), INT(1) },
	};
	char *out = render(&o, cols, NCOLS, NULL, 0, (const struct sc_value (*)[NCOLS])rows, 1, NULL);
	char *line2 = strchr(out, '\n');

	cr_assert_not_null(line2);
	cr_expect_not_null(strstr(out, "2 h ago"), "no relative time in:\n%s", out);
	cr_expect_not_null(strstr(out, "\xe2\x80\xa6"), "long name not shortened with an ellipsis:\n%s", out);
	cr_expect_null(strstr(out, "Enterprise"), "long name not shortened:\n%s", out);
	*line2 = '\0';
	cr_expect_leq(sc_utf8_width(out), 30, "header wider than 30 columns: '%s'", out);
	cr_expect_leq(sc_utf8_width(line2 + 1), 31, "row wider than the terminal: '%s'", line2 + 1);
	free(out);
}

Test(table, colour_dims_rows_marked_dim_only)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .color = true, .no_header = true };
	unsigned flags[] = { 0, SC_ROW_DIM };
	char *out = render(&o, table_cols, 3, NULL, 0, table_rows, 2, flags);

	cr_expect_str_eq(out,
			 " 1  Zo\xc3\xab          true\n"
			 "\033[2m12  \xe6\x9d\xb1\xe4\xba\xac office  false\033[0m\n",
			 "got:\n%s", out);
	free(out);
}

Test(table, without_colour_prints_no_escape_codes)
{
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE };
	unsigned flags[] = { SC_ROW_DIM, SC_ROW_DIM, SC_ROW_DIM };
	char *out = render(&o, table_cols, 3, NULL, 0, table_rows, 3, flags);

	cr_expect_null(strchr(out, '\033'), "escape code in:\n%s", out);
	free(out);
}

/* ---- column selection ---- */

Test(columns, selects_and_orders_the_columns_named)
{
	struct sc_output_opts o = { .format = SC_FORMAT_CSV, .columns = "active,id" };

	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows, 2, NULL),
		    "active,id\r\ntrue,1\r\nfalse,12\r\n");
}

Test(columns, selection_applies_to_tables_and_json)
{
	struct sc_output_opts t = { .format = SC_FORMAT_TABLE, .columns = "name,id" };
	struct sc_output_opts j = { .format = SC_FORMAT_NDJSON, .columns = "name" };

	expect_text(render(&t, table_cols, 3, NULL, 0, table_rows, 3, NULL),
		    "NAME         ID\n"
		    "Zo\xc3\xab           1\n"
		    "\xe6\x9d\xb1\xe4\xba\xac office  12\n"
		    "-             3\n");
	expect_text(render(&j, cols, NCOLS, NULL, 0, two_rows, 2, NULL),
		    "{\"name\":\"alice\"}\n{\"name\":null}\n");
}

Test(columns, tolerates_spaces_around_names)
{
	struct sc_output_opts o = { .format = SC_FORMAT_CSV, .columns = " id , name", .no_header = true };

	expect_text(render(&o, cols, NCOLS, NULL, 0, two_rows, 1, NULL), "1,alice\r\n");
}

Test(columns, defaults_pick_the_default_columns)
{
	static const size_t defaults[] = { 3, 0 };
	struct sc_output_opts o = { .format = SC_FORMAT_CSV };

	expect_text(render(&o, cols, NCOLS, defaults, 2, two_rows, 1, NULL), "active,id\r\ntrue,1\r\n");
	o.columns = "seen_at";
	expect_text(render(&o, cols, NCOLS, defaults, 2, two_rows, 1, NULL),
		    "seen_at\r\n2025-02-08T10:30:00Z\r\n");
}

static const char *columns_rejects_unknown_duplicate_and_empty_names_with_usage_cases[] = {
	"bogus", "id,bogus", "id,id", "name,id,name", "", "id,", ",id", "id,,name", "ID",
};

ParameterizedTestParameters(columns, rejects_unknown_duplicate_and_empty_names_with_usage)
{
	CASE_INDEXES(columns_rejects_unknown_duplicate_and_empty_names_with_usage_cases);
}

ParameterizedTest(size_t *case_, columns, rejects_unknown_duplicate_and_empty_names_with_usage)
{
	const char **spec = &columns_rejects_unknown_duplicate_and_empty_names_with_usage_cases[*case_];
	struct sc_output_opts o = { .format = SC_FORMAT_TABLE, .columns = *spec };
	struct sc_writer *w = (struct sc_writer *)1;
	struct sc_error err = { 0 };

	cr_expect_eq(sc_writer_open(&w, stdout, &o, cols, NCOLS, NULL, 0, &err), -1,
		     "--columns '%s' accepted", *spec);
	cr_expect_eq(err.status, SC_USAGE, "'%s': status %d", *spec, err.status);
	cr_expect_null(w, "'%s': writer left set", *spec);
}

Test(columns, unknown_column_message_lists_the_choices)
{
	struct sc_output_opts o = { .format = SC_FORMAT_JSON, .columns = "id,bogus" };
	struct sc_writer *w;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_writer_open(&w, stdout, &o, cols, NCOLS, NULL, 0, &err), -1);
	cr_expect_not_null(strstr(err.msg, "'bogus'"), "message: %s", err.msg);
	cr_expect_not_null(strstr(err.msg, "seen_at"), "message: %s", err.msg);
}

Test(columns, duplicate_column_message_names_it)
{
	struct sc_output_opts o = { .format = SC_FORMAT_JSON, .columns = "id,name,id" };
	struct sc_writer *w;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_writer_open(&w, stdout, &o, cols, NCOLS, NULL, 0, &err), -1);
	cr_expect_not_null(strstr(err.msg, "'id'"), "message: %s", err.msg);
}

/* ---- formats and errors ---- */

Test(format, parses_the_four_formats_only)
{
	enum sc_format f;
	struct sc_error err = { 0 };

	cr_expect_eq(sc_format_parse("table", &f, &err), 0);
	cr_expect_eq(f, SC_FORMAT_TABLE);
	cr_expect_eq(sc_format_parse("json", &f, &err), 0);
	cr_expect_eq(f, SC_FORMAT_JSON);
	cr_expect_eq(sc_format_parse("ndjson", &f, &err), 0);
	cr_expect_eq(f, SC_FORMAT_NDJSON);
	cr_expect_eq(sc_format_parse("csv", &f, &err), 0);
	cr_expect_eq(f, SC_FORMAT_CSV);
	cr_expect_eq(sc_format_parse("xml", &f, &err), -1);
	cr_expect_eq(err.status, SC_USAGE);
	cr_expect_eq(sc_format_parse("JSON", &f, &err), -1);
	cr_expect_eq(sc_format_parse("", &f, &err), -1);
}

Test(writer, close_and_abort_accept_null)
{
	struct sc_error err = { 0 };

	cr_expect_eq(sc_writer_close(NULL, &err), 0);
	sc_writer_abort(NULL);
}

Test(writer, reports_a_full_device_as_an_output_error)
{
	FILE *f = fopen("/dev/full", "w");
	struct sc_output_opts o = { .format = SC_FORMAT_NDJSON };
	struct sc_writer *w;
	struct sc_error err = { 0 };
	int rc = 0;

	cr_assert_not_null(f);
	cr_assert_eq(sc_writer_open(&w, f, &o, cols, NCOLS, NULL, 0, &err), 0);
	for (int i = 0; i < 10000 && rc == 0; i++)
		rc = sc_writer_row(w, two_rows[0], 0, &err);
	if (rc == 0)
		rc = sc_writer_close(w, &err);
	else
		sc_writer_abort(w);
	cr_expect_eq(rc, -1);
	cr_expect_eq(err.status, SC_IOERR, "status %d: %s", err.status, err.msg);
	fclose(f);
}

Test(writer, reports_a_closed_pipe_as_broken_pipe)
{
	int fd[2];
	FILE *f;
	struct sc_output_opts o = { .format = SC_FORMAT_CSV };
	struct sc_writer *w;
	struct sc_error err = { 0 };
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(fd), 0);
	close(fd[0]);
	f = fdopen(fd[1], "w");
	cr_assert_not_null(f);
	cr_assert_eq(sc_writer_open(&w, f, &o, cols, NCOLS, NULL, 0, &err), 0);
	for (int i = 0; i < 10000 && rc == 0; i++)
		rc = sc_writer_row(w, two_rows[0], 0, &err);
	if (rc == 0)
		rc = sc_writer_close(w, &err);
	else
		sc_writer_abort(w);
	cr_expect_eq(rc, -1);
	cr_expect_eq(err.status, SC_BROKEN_PIPE, "status %d: %s", err.status, err.msg);
	fclose(f);
}
