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

/* A buffer for sc_people_time. */
#define SC_PEOPLE_TIME_LEN 96

/* Formats time t for a table as opts->time says (SC_TIME_AUTO resolved
 * by opts->tty): relative ("3 h ago", the full UTC time beyond a week),
 * UTC (RFC 3339) or local ("2025-02-08 11:30:00 CET", in $TZ, the zone
 * always labelled: its abbreviation, or its offset "+05:30" when it has
 * none). With full (show's one record), a relative time is given as the
 * full UTC time followed by "(3 h ago)": never a bare date. Returns buf. */
const char *sc_people_time(const struct sc_output_opts *opts, int64_t t, bool full, char *buf,
			   size_t len);

/* Whether column c is an identifier a table never shortens: flagged
 * SC_COL_KEY, a number, or named id, *_id, device_fingerprint,
 * ip_address, email or username. */
bool sc_column_is_key(const struct sc_column *c);

#endif
