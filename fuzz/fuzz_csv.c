/* The CSV writer: the output, read back by libcsv in strict mode, gives
 * the header and the input: text as given (invalid UTF-8 as U+FFFD, as
 * JSON writes it), integers, times that read back to the same second,
 * booleans, NULL as an empty unquoted field (libcsv: a NULL pointer) and
 * the empty string as a quoted one. The output is valid UTF-8 and ends
 * every record with CRLF.
 *
 * Records have two columns or more: a one-column record holding NULL is
 * an empty line, which CSV cannot tell from no record (libcsv skips it).
 */
#include "rows.h"

#include <csv.h>

struct field {
	char *s; /* NULL for an empty unquoted field */
	size_t len;
};

struct reader {
	struct field f[MAX_ROWS + 1][MAX_COLS];
	size_t nf[MAX_ROWS + 1];
	size_t rows;
	bool overflow;
};

static void on_field(void *s, size_t len, void *data)
{
	struct reader *rd = data;

	if (rd->rows > MAX_ROWS || rd->nf[rd->rows] == MAX_COLS) {
		rd->overflow = true;
		return;
	}
	struct field *f = &rd->f[rd->rows][rd->nf[rd->rows]++];
	f->len = len;
	f->s = NULL;
	if (s) {
		f->s = malloc(len + 1);
		CHECK(f->s, "out of memory");
		memcpy(f->s, s, len);
		f->s[len] = '\0';
	}
}

static void on_record(int c, void *data)
{
	struct reader *rd = data;

	(void)c;
	if (rd->rows > MAX_ROWS)
		rd->overflow = true;
	else
		rd->rows++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reader rd;
	struct rows r;
	struct sc_output_opts o = { .format = SC_FORMAT_CSV };
	struct csv_parser p;
	size_t len, first;
	char *out;

	if (!rows_decode(data, size, &r))
		return 0;
	o.no_header = r.options & 4;
	out = rows_render(&r, &o, &len);
	CHECK(strlen(out) == len, "NUL in the output");
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = sc_utf8_decode(out + i, len - i, &cp);
		CHECK(!(cp == 0xFFFD && n == 1), "invalid UTF-8 at %zu", i);
		i += n;
	}
	CHECK(len == 0 || (len >= 2 && out[len - 2] == '\r' && out[len - 1] == '\n'),
	      "no final CRLF");

	memset(&rd, 0, sizeof(rd));
	CHECK(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) == 0, "csv_init");
	CHECK(csv_parse(&p, out, len, on_field, on_record, &rd) == len, "libcsv: %s",
	      csv_strerror(csv_error(&p)));
	CHECK(csv_fini(&p, on_field, on_record, &rd) == 0, "libcsv at the end: %s",
	      csv_strerror(csv_error(&p)));
	csv_free(&p);
	CHECK(!rd.overflow, "more records or fields than written");

	first = o.no_header ? 0 : 1;
	CHECK(rd.rows == r.nrows + first, "%zu records read, %zu written", rd.rows, r.nrows + first);
	for (size_t c = 0; c < r.ncols && first; c++)
		CHECK(rd.f[0][c].s && strcmp(rd.f[0][c].s, r.cols[c].name) == 0, "header %zu", c);
	for (size_t i = 0; i < r.nrows; i++) {
		CHECK(rd.nf[i + first] == r.ncols, "record %zu: %zu fields", i, rd.nf[i + first]);
		for (size_t c = 0; c < r.ncols; c++) {
			const struct sc_value *v = &r.v[i][c];
			const struct field *f = &rd.f[i + first][c];
			char *want;
			if (v->null) {
				CHECK(f->s == NULL, "record %zu field %zu: NULL read as '%s'", i, c, f->s);
				continue;
			}
			CHECK(f->s, "record %zu field %zu: read as NULL", i, c);
			if (r.cols[c].type == SC_COL_TIME) {
				check_time(f->s, f->len, v->i);
				continue;
			}
			want = expected_text(r.cols[c].type, v);
			CHECK(f->len == strlen(want) && memcmp(f->s, want, f->len) == 0,
			      "record %zu field %zu: '%s' read back as '%s'", i, c, want, f->s);
			free(want);
		}
	}
	for (size_t i = 0; i < rd.rows; i++)
		for (size_t c = 0; c < rd.nf[i]; c++)
			free(rd.f[i][c].s);
	free(out);
	rows_free(&r);
	return 0;
}
