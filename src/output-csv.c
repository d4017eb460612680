/* CSV (RFC 4180) through libcsv.
 *
 * A field is quoted by libcsv only when it must be (it holds a comma, a
 * quote, CR or LF, or starts or ends with a space or tab), so ordinary output
 * stays readable; an empty string is written as "" and NULL as nothing,
 * so the two stay distinct. Records end with CRLF as RFC 4180 says.
 * Invalid UTF-8 becomes U+FFFD, byte for byte as in JSON (sc_utf8_repair).
 * On a terminal (paged or not), where CSV is read, not parsed, a
 * character that could drive it (an escape sequence in a device name)
 * is shown as '?', as in a table; piped or redirected, every byte is kept.
 */
#include "output-internal.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

/* Readers such as libcsv trim spaces and tabs around an unquoted field,
 * so a field that starts or ends with either is quoted too. */
static bool needs_quotes(const char *s)
{
	size_t n = strlen(s);
	return n == 0 || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[n - 1] == ' ' ||
	       s[0] == '\t' || s[n - 1] == '\t';
}

static int write_field(FILE *out, const char *s, bool terminal)
{
	char *fixed = NULL;
	int rc;

	if (terminal ? !(fixed = sc_printable_dup(s)) : sc_utf8_repair(s, &fixed) < 0)
		return -1;
	if (fixed)
		s = fixed;
	if (!needs_quotes(s))
		rc = fputs(s, out) == EOF ? -1 : 0;
	else
		rc = csv_fwrite(out, s, strlen(s)) == 0 ? 0 : -1;
	free(fixed);
	return rc;
}

static int csv_begin(struct sc_writer *w)
{
	if (w->opts.no_header)
		return 0;
	for (size_t i = 0; i < w->nsel; i++) {
		if ((i && putc(',', w->out) == EOF) || write_field(w->out, w->cols[w->sel[i]].name, w->opts.terminal) < 0)
			return -1;
	}
	return fputs("\r\n", w->out) == EOF ? -1 : 0;
}

static int csv_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags)
{
	char buf[32];

	(void)flags;
	for (size_t i = 0; i < w->nsel; i++) {
		const struct sc_value *v = &vals[w->sel[i]];
		if (i && putc(',', w->out) == EOF)
			return -1;
		if (v->null)
			continue;
		if (write_field(w->out, sc_value_text(w->cols[w->sel[i]].type, v, buf, sizeof(buf)),
				w->opts.terminal) < 0)
			return -1;
	}
	return fputs("\r\n", w->out) == EOF ? -1 : 0;
}

const struct sc_writer_ops sc_csv_ops = {
	.begin = csv_begin,
	.row = csv_row,
};
