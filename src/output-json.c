/* JSON (an array of objects, or one object) and NDJSON (an object a line). */
#include "output-internal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

static bool plain_json_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Escapes the inside of a JSON string. Besides what JSON requires (quote,
 * backslash, C0), every character sc_utf8_unsafe() names is escaped:
 * DEL and the C1 controls, so that output shown on a terminal cannot
 * drive it; the bidirectional formatting characters, so that it cannot
 * reorder what a terminal or a log viewer shows after them (a parser
 * reads the same string); and U+2028 and U+2029: with U+0085 (a C1
 * control) they are line breaks to splitters that follow Unicode, and an
 * NDJSON record must stay one line for them too. */
static int escape_string(FILE *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t run = i;
		while (run < n && plain_json_byte((unsigned char)s[run]))
			run++;
		if (run > i && fwrite(s + i, 1, run - i, out) != run - i)
			return -1;
		i = run;
		if (i == n)
			break;
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c;
		size_t len = 1;
		if (c >= 0x80)
			len = sc_utf8_decode(s + i, n - i, &cp);
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			if (fwrite(esc, 1, 2, out) != 2)
				return -1;
		} else if (sc_utf8_unsafe(cp)) {
			const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r"
					  : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
			char u[7] = { '\\', 'u', hex[cp >> 12 & 0xf], hex[cp >> 8 & 0xf],
				      hex[cp >> 4 & 0xf], hex[cp & 0xf], 0 };
			if (fputs(named ? named : u, out) == EOF)
				return -1;
		} else if (fwrite(s + i, 1, len, out) != len) {
			return -1;
		}
		i += len;
	}
	return 0;
}

int sc_json_write_string(FILE *out, const char *s)
{
	char *fixed;
	int rc;

	/* Invalid UTF-8 becomes U+FFFD by the rule every writer shares. */
	if (sc_utf8_repair(s, &fixed) < 0)
		return -1;
	rc = escape_string(out, fixed ? fixed : s);
	free(fixed);
	return rc;
}

static int write_value(FILE *out, enum sc_ctype t, const struct sc_value *v)
{
	char buf[SC_TIME_RFC3339_LEN + 2];
	size_t n;

	if (v->null)
		return fputs("null", out) == EOF ? -1 : 0;
	switch (t) {
	case SC_COL_INT:
		n = sc_format_int64(v->i, buf);
		return fwrite(buf, 1, n, out) == n ? 0 : -1;
	case SC_COL_BOOL:
		return fputs(v->i ? "true" : "false", out) == EOF ? -1 : 0;
	case SC_COL_TIME:
		/* RFC 3339, or the expanded year outside 0001-9999. */
		buf[0] = '"';
		n = sc_time_format_rfc3339(v->i, buf + 1) + 1;
		buf[n++] = '"';
		return fwrite(buf, 1, n, out) == n ? 0 : -1;
	case SC_COL_TEXT:
		if (putc('"', out) == EOF || sc_json_write_string(out, v->s ? v->s : "") < 0 ||
		    putc('"', out) == EOF)
			return -1;
		return 0;
	}
	return 0;
}

static int write_object(struct sc_writer *w, const struct sc_value *vals)
{
	if (putc('{', w->out) == EOF)
		return -1;
	for (size_t i = 0; i < w->nsel; i++) {
		const struct sc_column *c = &w->cols[w->sel[i]];
		if ((i && putc(',', w->out) == EOF) || putc('"', w->out) == EOF ||
		    fputs(c->name, w->out) == EOF || fputs("\":", w->out) == EOF ||
		    write_value(w->out, c->type, &vals[w->sel[i]]) < 0)
			return -1;
	}
	return putc('}', w->out) == EOF ? -1 : 0;
}

static int json_begin(struct sc_writer *w)
{
	return w->opts.single ? 0 : (fputs("[", w->out) == EOF ? -1 : 0);
}

static int json_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags)
{
	(void)flags;
	if (!w->opts.single && fputs(w->rows ? ",\n" : "\n", w->out) == EOF)
		return -1;
	return write_object(w, vals);
}

static int json_end(struct sc_writer *w)
{
	if (w->opts.single)
		return w->rows ? (putc('\n', w->out) == EOF ? -1 : 0)
			       : (fputs("null\n", w->out) == EOF ? -1 : 0);
	return fputs(w->rows ? "\n]\n" : "]\n", w->out) == EOF ? -1 : 0;
}

static int ndjson_row(struct sc_writer *w, const struct sc_value *vals, unsigned flags)
{
	(void)flags;
	if (write_object(w, vals) < 0 || putc('\n', w->out) == EOF)
		return -1;
	return 0;
}

const struct sc_writer_ops sc_json_ops = {
	.begin = json_begin,
	.row = json_row,
	.end = json_end,
};

const struct sc_writer_ops sc_ndjson_ops = {
	.row = ndjson_row,
};
