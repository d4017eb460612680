/* Aligned tables for people.
 *
 * Rows are buffered to measure the columns. Widths are counted in terminal
 * columns of UTF-8 text; NULL shows as "-"; numbers align right. On a
 * terminal (opts.tty) times are shown relative to opts.now, columns marked
 * SC_COL_SHRINK are shortened with "…" and, if need be, droppable columns
 * hidden to fit opts.width, headers use the columns' short labels, and with
 * opts.color rows marked SC_ROW_DIM are dimmed. Control characters (C0,
 * DEL, C1), bidirectional formatting characters, U+2028, U+2029 and bytes
 * that are not UTF-8 in the data always show as "?" (sc_printable_dup),
 * one column each. Piped output is plain and
 * stable: full RFC 3339 times, nothing cut, no escape codes.
 * With opts.single the one record is shown as "FIELD  value" lines.
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
	char **cells;    /* rows * nsel strings, NULL for SQL NULL */
	unsigned *flags; /* per row */
	size_t cap;      /* rows allocated */
};

static char *cell_text(struct sc_writer *w, enum sc_ctype t, const struct sc_value *v)
{
	char buf[64];

	if (v->null)
		return NULL;
	if (t == SC_COL_TIME && w->opts.tty) {
		sc_time_format_relative(v->i, w->opts.now, buf, sizeof(buf));
		return strdup(buf);
	}
	/* Text comes from the database: nothing in it may drive the terminal. */
	return sc_printable_dup(sc_value_text(t, v, buf, sizeof(buf)));
}

static int table_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags)
{
	struct table *t = w->state;

	if (!t) {
		t = w->state = calloc(1, sizeof(*t));
		if (!t)
			return -1;
	}
	if (w->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **cells = realloc(t->cells, cap * w->nsel * sizeof(*cells));
		if (!cells)
			return -1;
		t->cells = cells;
		unsigned *fl = realloc(t->flags, cap * sizeof(*fl));
		if (!fl)
			return -1;
		t->flags = fl;
		t->cap = cap;
	}
	for (size_t i = 0; i < w->nsel; i++) {
		const struct sc_value *v = &vals[w->sel[i]];
		char **cell = &t->cells[w->rows * w->nsel + i];
		*cell = cell_text(w, w->cols[w->sel[i]].type, v);
		if (!*cell && !v->null) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[w->rows * w->nsel + j]);
			return -1;
		}
	}
	t->flags[w->rows] = flags;
	return 0;
}

static void header_name(const char *name, char *buf, size_t len)
{
	size_t i;
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)name[i]);
	buf[i] = '\0';
}

/* Prints s padded or cut to width columns. */
static int put_cell(FILE *out, const char *s, size_t width, bool right, bool last)
{
	size_t w = sc_utf8_width(s);

	if (w > width) {
		size_t keep = sc_utf8_prefix(s, width ? width - 1 : 0);
		if (fwrite(s, 1, keep, out) != keep || (width && fputs("…", out) == EOF))
			return -1;
		return 0;
	}
	if (right && fprintf(out, "%*s", (int)(width - w), "") < 0)
		return -1;
	if (fputs(s, out) == EOF)
		return -1;
	if (!right && !last && fprintf(out, "%*s", (int)(width - w), "") < 0)
		return -1;
	return 0;
}

static size_t line_width(const struct sc_writer *w, const size_t *width, const bool *hidden)
{
	size_t total = 0, shown = 0;

	for (size_t i = 0; i < w->nsel; i++)
		if (!hidden[i])
			total += width[i] + (shown++ ? GAP : 0);
	return total;
}

/* Shortens SC_COL_SHRINK columns, widest first, down to floor each,
 * until the line fits; returns whether it does. */
static bool shrink(const struct sc_writer *w, size_t *width, const bool *hidden, size_t floor)
{
	while (line_width(w, width, hidden) > w->opts.width) {
		size_t best = w->nsel;
		for (size_t i = 0; i < w->nsel; i++)
			if (!hidden[i] && (w->cols[w->sel[i]].flags & SC_COL_SHRINK) &&
			    width[i] > floor && (best == w->nsel || width[i] > width[best]))
				best = i;
		if (best == w->nsel)
			return false;
		width[best]--;
	}
	return true;
}

/* Makes the line fit the terminal: shortens SC_COL_SHRINK columns down to
 * 12 columns; if that is not enough, hides droppable columns one by one
 * (unless the user chose the columns) and tries again from the full
 * widths; at last shortens down to 4. The id is never cut: it is not
 * shrinkable. */
static void fit(struct sc_writer *w, size_t *width, bool *hidden)
{
	size_t *full = malloc(w->nsel * sizeof(*full));

	if (!full)
		return;
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

static int print_vertical(struct sc_writer *w, struct table *t)
{
	size_t keyw = 0;
	char name[64];

	for (size_t i = 0; i < w->nsel; i++) {
		size_t n = strlen(w->cols[w->sel[i]].name);
		keyw = n > keyw ? n : keyw;
	}
	for (size_t r = 0; r < w->rows; r++) {
		if (r && putc('\n', w->out) == EOF)
			return -1;
		for (size_t i = 0; i < w->nsel; i++) {
			const char *cell = t->cells[r * w->nsel + i];
			header_name(w->cols[w->sel[i]].name, name, sizeof(name));
			if (fprintf(w->out, "%-*s  %s\n", (int)keyw, name, cell ? cell : "-") < 0)
				return -1;
		}
	}
	return 0;
}

static int table_end(struct sc_writer *w)
{
	struct table *t = w->state;
	struct table empty = { 0 };
	size_t *width;
	bool *hidden;
	char name[64];
	bool first;
	int rc = -1;

	if (!t)
		t = &empty;
	if (w->opts.single)
		return print_vertical(w, t);
	width = calloc(w->nsel ? w->nsel : 1, sizeof(*width));
	hidden = calloc(w->nsel ? w->nsel : 1, sizeof(*hidden));
	if (!width || !hidden) {
		free(width);
		free(hidden);
		return -1;
	}
	for (size_t i = 0; i < w->nsel; i++) {
		if (!w->opts.no_header) {
			header_of(w, i, name, sizeof(name));
			width[i] = sc_utf8_width(name);
		}
		for (size_t r = 0; r < w->rows; r++) {
			const char *cell = t->cells[r * w->nsel + i];
			size_t cw = sc_utf8_width(cell ? cell : "-");
			width[i] = cw > width[i] ? cw : width[i];
		}
	}
	if (w->opts.tty && w->opts.width)
		fit(w, width, hidden);
	size_t last = 0;
	for (size_t i = 0; i < w->nsel; i++)
		if (!hidden[i])
			last = i;
	if (!w->opts.no_header) {
		first = true;
		for (size_t i = 0; i < w->nsel; i++) {
			const struct sc_column *c = &w->cols[w->sel[i]];
			if (hidden[i])
				continue;
			header_of(w, i, name, sizeof(name));
			if ((!first && fprintf(w->out, "%*s", GAP, "") < 0) ||
			    put_cell(w->out, name, width[i], c->type == SC_COL_INT, i == last) < 0)
				goto out;
			first = false;
		}
		if (putc('\n', w->out) == EOF)
			goto out;
	}
	for (size_t r = 0; r < w->rows; r++) {
		bool dim = w->opts.color && (t->flags[r] & SC_ROW_DIM);
		if (dim && fputs(DIM, w->out) == EOF)
			goto out;
		first = true;
		for (size_t i = 0; i < w->nsel; i++) {
			const char *cell = t->cells[r * w->nsel + i];
			if (hidden[i])
				continue;
			if ((!first && fprintf(w->out, "%*s", GAP, "") < 0) ||
			    put_cell(w->out, cell ? cell : "-", width[i],
				     w->cols[w->sel[i]].type == SC_COL_INT, i == last) < 0)
				goto out;
			first = false;
		}
		if ((dim && fputs(RESET, w->out) == EOF) || putc('\n', w->out) == EOF)
			goto out;
	}
	rc = 0;
out:
	free(width);
	free(hidden);
	return rc;
}

static void table_free(struct sc_writer *w)
{
	struct table *t = w->state;

	if (!t)
		return;
	for (size_t i = 0; i < w->rows * w->nsel; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->flags);
	free(t);
	w->state = NULL;
}

const struct sc_writer_ops sc_table_ops = {
	.row = table_row,
	.end = table_end,
	.free_state = table_free,
};
