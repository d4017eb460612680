/* Records for the writer targets, decoded from the fuzzer's input:
 *   byte 0   options: bit 0-1 format choice, bit 2 no_header, bit 3 single,
 *            bits 4-5 number of columns minus 2 (2 to 5)
 *   byte 1   column types, two bits each (text, int, time, bool)
 *   then     values, one per column in turn, separated by NUL bytes: the
 *            single byte 0x01 is NULL; an int or time is the value of
 *            the first 8 bytes (zero-padded); a bool is the parity of
 *            the length; text is the bytes as they are.
 */
#ifndef SESSCTL_FUZZ_ROWS_H
#define SESSCTL_FUZZ_ROWS_H

#include "fuzz.h"

#include "../src/output.h"
#include "../src/timeutil.h"
#include "../src/utf8.h"

#define MAX_COLS 5
#define MAX_ROWS 64

struct rows {
	unsigned options;
	size_t ncols, nrows;
	struct sc_column cols[MAX_COLS];
	struct sc_value v[MAX_ROWS][MAX_COLS];
	char *text[MAX_ROWS][MAX_COLS]; /* owned copies of text values */
};

static const char *const col_names[MAX_COLS] = { "a", "b_2", "c", "d", "e" };

static inline bool rows_decode(const uint8_t *data, size_t size, struct rows *r)
{
	size_t i = 2, row = 0, col = 0;

	memset(r, 0, sizeof(*r));
	if (size < 2)
		return false;
	r->options = data[0];
	r->ncols = 2 + (data[0] >> 4 & 3);
	for (size_t c = 0; c < r->ncols; c++) {
		static const enum sc_ctype types[] = { SC_COL_TEXT, SC_COL_INT, SC_COL_TIME,
						      SC_COL_BOOL };
		r->cols[c].name = col_names[c];
		r->cols[c].type = types[(data[1] >> (2 * (c % 4))) & 3];
	}
	while (i < size && row < MAX_ROWS) {
		size_t n = strnlen((const char *)data + i, size - i);
		struct sc_value *v = &r->v[row][col];
		if (n == 1 && data[i] == 0x01) {
			v->null = true;
		} else if (r->cols[col].type == SC_COL_TEXT) {
			r->text[row][col] = strndup((const char *)data + i, n);
			if (!r->text[row][col])
				abort();
			v->s = r->text[row][col];
		} else if (r->cols[col].type == SC_COL_BOOL) {
			v->i = (int64_t)(n & 1);
		} else {
			uint64_t u = 0;
			memcpy(&u, data + i, n < 8 ? n : 8);
			v->i = (int64_t)u;
		}
		i += n + 1;
		if (++col == r->ncols) {
			col = 0;
			row++;
		}
	}
	r->nrows = row; /* a partial last row is dropped */
	return true;
}

static inline void rows_free(struct rows *r)
{
	for (size_t a = 0; a < MAX_ROWS; a++)
		for (size_t b = 0; b < MAX_COLS; b++)
			free(r->text[a][b]);
}

/* Writes the rows through a writer; returns the text (malloc'd). */
static inline char *rows_render(struct rows *r, const struct sc_output_opts *o, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct sc_writer *w;
	struct sc_error err = { 0 };

	CHECK(f, "open_memstream");
	CHECK(sc_writer_open(&w, f, o, r->cols, r->ncols, NULL, 0, &err) == 0, "open: %s", err.msg);
	for (size_t i = 0; i < r->nrows; i++)
		CHECK(sc_writer_row(w, r->v[i], 0, &err) == 0, "row: %s", err.msg);
	CHECK(sc_writer_close(w, &err) == 0, "close: %s", err.msg);
	CHECK(fclose(f) == 0, "fclose");
	return buf;
}

/* The text a value must read back as, malloc'd: text with invalid UTF-8
 * repaired (U+FFFD for each bad byte), integers in decimal, booleans as
 * true/false; NULL for a time, which is checked by reading it back. */
static inline char *expected_text(enum sc_ctype t, const struct sc_value *v)
{
	char buf[32], *fixed;

	switch (t) {
	case SC_COL_TEXT:
		CHECK(sc_utf8_repair(v->s, &fixed) == 0, "out of memory");
		return fixed ? fixed : strdup(v->s);
	case SC_COL_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
		return strdup(buf);
	case SC_COL_BOOL:
		return strdup(v->i ? "true" : "false");
	case SC_COL_TIME:
		break;
	}
	return NULL;
}

/* A time field: it reads back as t, and is RFC 3339 for years 0001-9999. */
static inline void check_time(const char *s, size_t len, int64_t t)
{
	int64_t back = 0;

	CHECK(strlen(s) == len, "NUL in a time");
	CHECK(sc_time_parse(s, &back) == 0 && back == t, "time '%s' reads as %lld, not %lld", s,
	      (long long)back, (long long)t);
	if (t >= INT64_C(-62135596800) && t <= INT64_C(253402300799))
		CHECK(len == 20 && s[10] == 'T' && s[19] == 'Z', "'%s' is not RFC 3339", s);
}

#endif
