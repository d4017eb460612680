/* Shared by the output writers only. */
#ifndef SESSCTL_OUTPUT_INTERNAL_H
#define SESSCTL_OUTPUT_INTERNAL_H

#include <stdbool.h>

#include "output.h"

struct sc_writer_ops {
	int (*begin)(struct sc_writer *w);
	int (*row)(struct sc_writer *w, const struct sc_value *vals, unsigned flags);
	int (*end)(struct sc_writer *w);
	void (*free_state)(struct sc_writer *w);
};

struct sc_writer {
	const struct sc_writer_ops *ops;
	FILE *out;
	struct sc_output_opts opts;
	const struct sc_column *cols;
	size_t *sel;      /* indexes of the columns shown, in order */
	size_t nsel;
	size_t rows;      /* rows written so far */
	bool started;     /* begin() has run: it runs at the first row or at close */
	bool closed;      /* the reader went away (EPIPE): write nothing more */
	void *state;      /* the renderer's own */
};

extern const struct sc_writer_ops sc_json_ops;
extern const struct sc_writer_ops sc_ndjson_ops;
extern const struct sc_writer_ops sc_csv_ops;
extern const struct sc_writer_ops sc_table_ops;

/* Writes v in decimal into buf (at least 21 bytes); returns its length. */
size_t sc_format_int64(int64_t v, char *buf);

/* Formats a non-NULL value of column type t as plain text, as CSV and a
 * piped table show it (times RFC 3339, booleans true/false). Returns buf,
 * or v->s itself for text. */
const char *sc_value_text(enum sc_ctype t, const struct sc_value *v, char *buf, size_t len);

#endif
