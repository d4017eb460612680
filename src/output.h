/* Output writers: one set of typed rows, four renderers.
 *
 * A command describes its record once (an array of struct sc_column),
 * opens a writer for the chosen format, hands it rows of struct sc_value
 * in column order, and closes it. JSON, NDJSON and CSV stream each row as
 * it comes; the table measures the first SC_TABLE_MEASURE_ROWS rows to
 * align the columns, then streams the rest: memory stays bounded whatever
 * the number of rows.
 */
#ifndef SESSCTL_OUTPUT_H
#define SESSCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Not an exit status: a writer's error status when the reader of the
 * output went away (EPIPE). Callers end quietly. */
#define SC_BROKEN_PIPE 256

enum sc_format {
	SC_FORMAT_TABLE,
	SC_FORMAT_JSON,
	SC_FORMAT_NDJSON,
	SC_FORMAT_CSV,
};

/* Parses "table", "json", "ndjson" or "csv"; -1 with SC_USAGE otherwise. */
int sc_format_parse(const char *s, enum sc_format *out, struct sc_error *err);

enum sc_ctype {
	SC_COL_INT,   /* JSON number */
	SC_COL_TEXT,  /* JSON string */
	SC_COL_TIME,  /* seconds since the epoch; RFC 3339 UTC string */
	SC_COL_BOOL,  /* JSON true/false */
};

/* Column flags. */
#define SC_COL_SHRINK 0x1 /* free text: a table on a terminal may shorten it
			   * with "…" */
#define SC_COL_KEY 0x2    /* an identifier (id, fingerprint, address, email,
			   * user name): never shortened, whatever the width.
			   * Columns named id, *_id, device_fingerprint,
			   * ip_address, email and username are treated as
			   * keys even without the flag. */

/* Rows a table measures before it fixes its column widths and streams. */
#define SC_TABLE_MEASURE_ROWS 200

/* How a table shows times (--time). JSON, NDJSON and CSV always write
 * RFC 3339 UTC. */
enum sc_time_style {
	SC_TIME_AUTO,     /* relative on a terminal (opts.tty), else UTC */
	SC_TIME_RELATIVE, /* "3 h ago"; beyond a week the full UTC time */
	SC_TIME_UTC,      /* "2025-02-08T10:30:00Z" */
	SC_TIME_LOCAL,    /* "2025-02-08 11:30:00 CET" in $TZ, zone labelled */
};

/* Parses "relative", "utc" or "local"; -1 with SC_USAGE otherwise. */
int sc_time_style_parse(const char *s, enum sc_time_style *out, struct sc_error *err);

struct sc_column {
	const char *name; /* JSON key and CSV header; upper-cased in tables */
	enum sc_ctype type;
	unsigned flags;
	const char *label; /* a shorter header on a terminal; NULL: the name */
	unsigned drop;     /* on a terminal too narrow, columns with the highest
			    * drop are hidden first (unless --columns chose
			    * them); 0: never hidden */
};

struct sc_value {
	bool null;
	int64_t i;     /* SC_COL_INT, SC_COL_TIME; SC_COL_BOOL (0 or 1) */
	const char *s; /* SC_COL_TEXT (borrowed for the call) */
};

struct sc_output_opts {
	enum sc_format format;
	bool no_header;      /* no header row (table, CSV) */
	bool single;         /* JSON: one object instead of an array */
	bool terminal;       /* stdout is a terminal, any format: CSV shows
			      * sc_utf8_unsafe characters as '?' there */
	const char *columns; /* --columns "a,b,c", or NULL for the default */
	/* Tables for people (all off when output is not a terminal): */
	bool tty;            /* relative times, fit to width */
	bool color;          /* dim rows marked SC_ROW_DIM */
	unsigned width;      /* terminal width when tty */
	int64_t now;         /* reference time for relative times */
	enum sc_time_style time; /* --time */
	bool full;           /* --full: never shorten or hide a column */
};

/* Row flags. */
#define SC_ROW_DIM 0x1 /* e.g. a closed session: dimmed on a colour terminal */

struct sc_writer;

/* Opens a writer on out for records with ncols columns. defaults lists the
 * column indexes shown when opts->columns is NULL (ndefaults of them), or
 * NULL for all columns. Returns 0, or -1 with SC_USAGE for an unknown
 * column in opts->columns. */
int sc_writer_open(struct sc_writer **w, FILE *out, const struct sc_output_opts *opts,
		   const struct sc_column *cols, size_t ncols, const size_t *defaults,
		   size_t ndefaults, struct sc_error *err);

/* The names of the columns w prints, as ",a,b,c," (malloc'd; NULL when
 * out of memory): for sc_db_shown_columns. */
char *sc_writer_column_list(const struct sc_writer *w);

/* Writes one row (ncols values in column order). Returns 0, or -1 with
 * SC_IOERR, or SC_BROKEN_PIPE when the reader has gone. */
int sc_writer_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags,
		  struct sc_error *err);

/* Finishes the output (the table is printed here), flushes and frees w.
 * Returns 0 or -1 as sc_writer_row. Accepts NULL. */
int sc_writer_close(struct sc_writer *w, struct sc_error *err);

/* Frees w without finishing the output (after an error). Accepts NULL. */
void sc_writer_abort(struct sc_writer *w);

/* Escapes s as the inside of a JSON string into out: quote and backslash
 * as \" and \\, C0, DEL and C1 controls and U+2028, U+2029 as \uXXXX (or
 * \n, \t...), so a record is one line for every line splitter; invalid
 * UTF-8 as U+FFFD (sc_utf8_repair, as CSV does). Returns -1 on a write
 * error or when out of memory. */
int sc_json_write_string(FILE *out, const char *s);

#endif
