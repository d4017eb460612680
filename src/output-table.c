/* Aligned tables for people.
 *
 * Rows are buffered to measure the columns. Widths are counted in terminal
 * columns of UTF-8 text; NULL shows as "-"; numbers align right. On a
 * terminal (opts.tty) times are shown relative to opts.now, columns marked
 * SC_COL_SHRINK are shortened with "…" to fit opts.width, and with
 * opts.color rows marked SC_ROW_DIM are dimmed. Piped output is plain and
 * stable: full RFC 3339 times, nothing cut, no escape codes.
 * With opts.single the one record is shown as "FIELD  value" lines.
 */
#include "output-internal.h"

#include <ctype.h>
#include <stdbool.h>
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
	return strdup(sc_value_text(t, v, buf, sizeof(buf)));
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

/* Shrinks SC_COL_SHRINK columns, widest first, until the line fits. */
static void fit(struct sc_writer *w, size_t *width)
{
	size_t total = 0;

	for (size_t i = 0; i < w->nsel; i++)
		total += width[i] + (i ? GAP : 0);
	while (total > w->opts.width) {
		size_t best = w->nsel;
		for (size_t i = 0; i < w->nsel; i++)
			if ((w->cols[w->sel[i]].flags & SC_COL_SHRINK) && width[i] > 8 &&
			    (best == w->nsel || width[i] > width[best]))
				best = i;
		if (best == w->nsel)
			return; /* nothing left to shorten: let the terminal wrap */
		width[best]--;
		total--;
	}
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
	char name[64];
	int rc = -1;

	if (!t)
		t = &empty;
	if (w->opts.single)
		return print_vertical(w, t);
	width = calloc(w->nsel ? w->nsel : 1, sizeof(*width));
	if (!width)
		return -1;
	for (size_t i = 0; i < w->nsel; i++) {
		if (!w->opts.no_header)
			width[i] = strlen(w->cols[w->sel[i]].name);
		for (size_t r = 0; r < w->rows; r++) {
			const char *cell = t->cells[r * w->nsel + i];
			size_t cw = sc_utf8_width(cell ? cell : "-");
			width[i] = cw > width[i] ? cw : width[i];
		}
	}
	if (w->opts.tty && w->opts.width)
		fit(w, width);
	if (!w->opts.no_header) {
		for (size_t i = 0; i < w->nsel; i++) {
			const struct sc_column *c = &w->cols[w->sel[i]];
			header_name(c->name, name, sizeof(name));
			if ((i && fprintf(w->out, "%*s", GAP, "") < 0) ||
			    put_cell(w->out, name, width[i], c->type == SC_COL_INT, i + 1 == w->nsel) < 0)
				goto out;
		}
		if (putc('\n', w->out) == EOF)
			goto out;
	}
	for (size_t r = 0; r < w->rows; r++) {
		bool dim = w->opts.color && (t->flags[r] & SC_ROW_DIM);
		if (dim && fputs(DIM, w->out) == EOF)
			goto out;
		for (size_t i = 0; i < w->nsel; i++) {
			const char *cell = t->cells[r * w->nsel + i];
			if ((i && fprintf(w->out, "%*s", GAP, "") < 0) ||
			    put_cell(w->out, cell ? cell : "-", width[i],
				     w->cols[w->sel[i]].type == SC_COL_INT, i + 1 == w->nsel) < 0)
				goto out;
		}
		if ((dim && fputs(RESET, w->out) == EOF) || putc('\n', w->out) == EOF)
			goto out;
	}
	rc = 0;
out:
	free(width);
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
