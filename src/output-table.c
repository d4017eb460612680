/* Aligned tables for people, in bounded memory.
 *
 * The first SC_TABLE_MEASURE_ROWS rows are buffered to measure the
 * columns; the widths are then fixed, those rows printed, and every later
 * row printed as it comes. Widths are counted in terminal columns of UTF-8
 * text; NULL shows as "-"; numbers align right. A later value wider than
 * its column overflows it (the rest of the row moves right, and gets back
 * in line where the padding allows), except free text on a terminal,
 * which is shortened with "…" as the measured rows were.
 *
 * On a terminal (opts.tty), unless opts.full, the line is made to fit
 * opts.width in this order:
 *   1. free text (columns marked SC_COL_SHRINK: device name, browser,
 *      actor, reason) is shortened with "…", widest first, down to 12
 *      columns each;
 *   2. columns are hidden, the highest .drop first (each command orders
 *      its lower-value columns so), one at a time, each time starting
 *      again from step 1; never a column chosen with --columns;
 *   3. free text is shortened down to 4 columns;
 *   4. what still does not fit is printed whole: the terminal wraps it.
 * Identifiers (sc_column_is_key: ids, fingerprints, IP addresses, emails,
 * user names) are never shortened. With opts.full nothing is shortened or
 * hidden. Times follow opts.time (sc_people_time); headers use the
 * columns' short labels; with opts.color rows marked SC_ROW_DIM are
 * dimmed. Control characters (C0, DEL, C1), bidirectional formatting
 * characters, U+2028, U+2029 and bytes that are not UTF-8 in the data
 * always show as "?" (sc_printable_dup), one column each. Piped output is
 * plain and stable: full RFC 3339 times (unless --time says otherwise),
 * nothing cut, no escape codes.
 * With opts.single each record is shown as "FIELD  value" lines, times in
 * full (never a bare date), as it comes.
 */
#include "output-internal.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

#define DIM "\033[2m"
#define RESET "\033[0m"
#define GAP 2

struct table {
	char **cells;    /* the measured rows: nbuf * nsel strings, NULL for SQL NULL */
	unsigned *flags; /* per measured row */
	size_t nbuf;     /* rows buffered */
	size_t cap;      /* rows allocated */
	size_t *width;   /* per selected column, once laid out */
	bool *hidden;
	size_t last;     /* the last column shown */
	bool laid_out;   /* widths fixed, header and buffered rows printed */
};

static char *cell_text(struct sc_writer *w, enum sc_ctype t, const struct sc_value *v)
{
	char buf[SC_PEOPLE_TIME_LEN];

	if (v->null)
		return NULL;
	if (t == SC_COL_TIME)
		return strdup(sc_people_time(&w->opts, v->i, w->opts.single, buf, sizeof(buf)));
	/* Text comes from the database: nothing in it may drive the terminal. */
	return sc_printable_dup(sc_value_text(t, v, buf, sizeof(buf)));
}

/* Fills cells[0..nsel) with the row's texts; -1 when out of memory. */
static int row_cells(struct sc_writer *w, const struct sc_value *vals, char **cells)
{
	for (size_t i = 0; i < w->nsel; i++) {
		const struct sc_value *v = &vals[w->sel[i]];
		cells[i] = cell_text(w, w->cols[w->sel[i]].type, v);
		if (!cells[i] && !v->null) {
			for (size_t j = 0; j < i; j++)
				free(cells[j]);
			return -1;
		}
	}
	return 0;
}

static void free_cells(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
}

static void header_name(const char *name, char *buf, size_t len)
{
	size_t i;
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)name[i]);
	buf[i] = '\0';
}

/* The header of column i: on a terminal its short label, if any. */
static void header_of(const struct sc_writer *w, size_t i, char *buf, size_t len)
{
	const struct sc_column *c = &w->cols[w->sel[i]];
	if (w->opts.tty && c->label)
		snprintf(buf, len, "%s", c->label);
	else
		header_name(c->name, buf, len);
}

static bool shrinkable(const struct sc_writer *w, size_t i)
{
	const struct sc_column *c = &w->cols[w->sel[i]];
	return (c->flags & SC_COL_SHRINK) && !sc_column_is_key(c);
}

static size_t line_width(const struct sc_writer *w, const size_t *width, const bool *hidden)
{
	size_t total = 0, shown = 0;

	for (size_t i = 0; i < w->nsel; i++)
		if (!hidden[i])
			total += width[i] + (shown++ ? GAP : 0);
	return total;
}

/* Shortens free text columns, widest first, down to floor each, until the
 * line fits; returns whether it does. */
static bool shrink(const struct sc_writer *w, size_t *width, const bool *hidden, size_t floor)
{
	while (line_width(w, width, hidden) > w->opts.width) {
		size_t best = w->nsel;
		for (size_t i = 0; i < w->nsel; i++)
			if (!hidden[i] && shrinkable(w, i) && width[i] > floor &&
			    (best == w->nsel || width[i] > width[best]))
				best = i;
		if (best == w->nsel)
			return false;
		width[best]--;
	}
	return true;
}

/* Makes the line fit the terminal, in the order the head comment gives. */
static int fit(struct sc_writer *w, size_t *width, bool *hidden)
{
	size_t *full = malloc(w->nsel * sizeof(*full));

	if (!full)
		return -1;
	memcpy(full, width, w->nsel * sizeof(*full));
	for (;;) {
		memcpy(width, full, w->nsel * sizeof(*full));
		if (shrink(w, width, hidden, 12))
			break;
		size_t drop = w->nsel;
		for (size_t i = 0; i < w->nsel && !w->opts.columns; i++)
			if (!hidden[i] && w->cols[w->sel[i]].drop &&
			    (drop == w->nsel || w->cols[w->sel[i]].drop > w->cols[w->sel[drop]].drop))
				drop = i;
		if (drop == w->nsel) {
			shrink(w, width, hidden, 4);
			break;
		}
		hidden[drop] = true;
	}
	free(full);
	return 0;
}

/* Prints one line: the header (cells NULL) or a row. Each cell starts
 * where its column does, or one space after a wider cell before it. */
static int print_line(struct sc_writer *w, char *const *cells, bool dim)
{
	struct table *t = w->state;
	size_t pos = 0, start = 0;
	bool first = true;
	char name[64];

	if (dim && fputs(DIM, w->out) == EOF)
		return -1;
	for (size_t i = 0; i < w->nsel; i++) {
		const char *s = name;
		size_t width = t->width[i], cw, keep, target;
		bool cut = false, right = w->cols[w->sel[i]].type == SC_COL_INT;

		if (t->hidden[i])
			continue;
		if (cells)
			s = cells[i] ? cells[i] : "-";
		else
			header_of(w, i, name, sizeof(name));
		cw = sc_utf8_width(s);
		keep = strlen(s);
		if (cw > width && w->opts.tty && !w->opts.full && shrinkable(w, i)) {
			keep = sc_utf8_prefix(s, width ? width - 1 : 0);
			/* Not "word …" nor a joiner left dangling before the
			 * "…" (half an emoji sequence). */
			while (keep && (s[keep - 1] == ' ' ||
					(keep >= 3 && memcmp(s + keep - 3, "\xe2\x80\x8d", 3) == 0)))
				keep -= s[keep - 1] == ' ' ? 1 : 3;
			/* A wide character that does not fit leaves the prefix a
			 * column short: the cell is that much narrower. */
			cw = width ? sc_utf8_width_n(s, keep) + 1 : 0;
			cut = width > 0;
		}
		target = right && cw < width ? start + width - cw : start;
		if (!first && target < pos + 1)
			target = pos + 1;
		if ((target > pos && fprintf(w->out, "%*s", (int)(target - pos), "") < 0) ||
		    fwrite(s, 1, keep, w->out) != keep || (cut && fputs("…", w->out) == EOF))
			return -1;
		pos = target + cw;
		start += width + GAP;
		first = false;
	}
	if ((dim && fputs(RESET, w->out) == EOF) || putc('\n', w->out) == EOF)
		return -1;
	return 0;
}

/* Fixes the widths from the header and the buffered rows, fits them to
 * the terminal, prints the header and those rows and frees them. With
 * more rows to come (the measured ones are only the first), a time
 * shown relative is given the width of the full time it turns into
 * beyond a week: a list-user sorted newest first measured "1 h ago"
 * and every older row after the 200th pushed the columns after it out
 * of line. */
static int layout(struct sc_writer *w, bool more)
{
	struct table *t = w->state;
	char name[64];
	bool relative = w->opts.time == SC_TIME_RELATIVE || (w->opts.time == SC_TIME_AUTO && w->opts.tty);
	size_t full = sc_utf8_width("2006-01-02T15:04:05Z");

	t->laid_out = true;
	for (size_t i = 0; i < w->nsel; i++) {
		if (!w->opts.no_header) {
			header_of(w, i, name, sizeof(name));
			t->width[i] = sc_utf8_width(name);
		}
		for (size_t r = 0; r < t->nbuf; r++) {
			const char *cell = t->cells[r * w->nsel + i];
			size_t cw = sc_utf8_width(cell ? cell : "-");
			t->width[i] = cw > t->width[i] ? cw : t->width[i];
		}
		if (more && relative && w->cols[w->sel[i]].type == SC_COL_TIME && t->width[i] < full)
			t->width[i] = full;
	}
	int rc = 0;
	if (w->opts.tty && w->opts.width && !w->opts.full && fit(w, t->width, t->hidden) < 0)
		rc = -1;
	if (rc == 0 && !w->opts.no_header && print_line(w, NULL, false) < 0)
		rc = -1;
	for (size_t r = 0; rc == 0 && r < t->nbuf; r++)
		if (print_line(w, &t->cells[r * w->nsel], w->opts.color && (t->flags[r] & SC_ROW_DIM)) < 0)
			rc = -1;
	/* Freed whatever happened: laid_out tells table_free they are gone. */
	free_cells(t->cells, t->nbuf * w->nsel);
	t->nbuf = 0;
	return rc;
}

/* One record as "FIELD  value" lines; dimmed (each line, so that a pager
 * that shows lines one at a time keeps it) as print_line dims a row. */
static int print_vertical(struct sc_writer *w, char *const *cells, bool dim)
{
	size_t keyw = 0;
	char name[64];

	for (size_t i = 0; i < w->nsel; i++) {
		size_t n = strlen(w->cols[w->sel[i]].name);
		keyw = n > keyw ? n : keyw;
	}
	if (w->rows && putc('\n', w->out) == EOF)
		return -1;
	for (size_t i = 0; i < w->nsel; i++) {
		header_name(w->cols[w->sel[i]].name, name, sizeof(name));
		if (fprintf(w->out, "%s%-*s  %s%s\n", dim ? DIM : "", (int)keyw, name,
			    cells[i] ? cells[i] : "-", dim ? RESET : "") < 0)
			return -1;
	}
	return 0;
}

static int table_begin(struct sc_writer *w)
{
	size_t n = w->nsel ? w->nsel : 1;
	struct table *t = w->state = calloc(1, sizeof(*t));

	if (!t || !(t->width = calloc(n, sizeof(*t->width))) ||
	    !(t->hidden = calloc(n, sizeof(*t->hidden))))
		return -1;
	return 0;
}

static int table_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags)
{
	struct table *t = w->state;

	if (t->laid_out || w->opts.single) {
		/* Streaming: the widths are fixed; one row's cells at a time. */
		char **cells = t->cells;
		int rc;
		if (!cells && !(cells = t->cells = calloc(w->nsel ? w->nsel : 1, sizeof(*cells))))
			return -1;
		if (row_cells(w, vals, cells) < 0)
			return -1;
		bool dim = w->opts.color && (flags & SC_ROW_DIM);
		rc = w->opts.single ? print_vertical(w, cells, dim) : print_line(w, cells, dim);
		free_cells(cells, w->nsel);
		return rc;
	}
	if (t->nbuf == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **cells = realloc(t->cells, cap * (w->nsel ? w->nsel : 1) * sizeof(*cells));
		if (!cells)
			return -1;
		t->cells = cells;
		unsigned *fl = realloc(t->flags, cap * sizeof(*fl));
		if (!fl)
			return -1;
		t->flags = fl;
		t->cap = cap;
	}
	if (row_cells(w, vals, &t->cells[t->nbuf * w->nsel]) < 0)
		return -1;
	t->flags[t->nbuf++] = flags;
	if (t->nbuf == SC_TABLE_MEASURE_ROWS)
		return layout(w, true);
	return 0;
}

static int table_end(struct sc_writer *w)
{
	struct table *t = w->state;

	if (w->opts.single || t->laid_out)
		return 0;
	return layout(w, false);
}

static void table_free(struct sc_writer *w)
{
	struct table *t = w->state;

	if (!t)
		return;
	if (!t->laid_out && !w->opts.single)
		free_cells(t->cells, t->nbuf * w->nsel);
	free(t->cells);
	free(t->flags);
	free(t->width);
	free(t->hidden);
	free(t);
	w->state = NULL;
}

const struct sc_writer_ops sc_table_ops = {
	.begin = table_begin,
	.row = table_row,
	.end = table_end,
	.free_state = table_free,
};
