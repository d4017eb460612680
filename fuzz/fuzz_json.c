/* The JSON and NDJSON writers: the output parses back, by a strict
 * RFC 8259 parser written here, to the input: the same keys in column
 * order, text as given (invalid UTF-8 as U+FFFD), integers exact, times
 * that read back to the same second, booleans, null for NULL. Also: no
 * raw control character, C1, U+2028 or U+2029 anywhere in the output, and
 * NDJSON has exactly one line per record.
 */
#include "rows.h"

struct parser {
	const char *p, *end;
};

static bool fail_at(struct parser *ps)
{
	ps->p = ps->end + 1; /* poison */
	return false;
}

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

static bool lit(struct parser *ps, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, s, n) != 0)
		return fail_at(ps);
	ps->p += n;
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool hex4(struct parser *ps, uint32_t *v)
{
	*v = 0;
	if (ps->end - ps->p < 4)
		return fail_at(ps);
	for (int i = 0; i < 4; i++) {
		int h = hexval(ps->p[i]);
		if (h < 0)
			return fail_at(ps);
		*v = *v << 4 | (uint32_t)h;
	}
	ps->p += 4;
	return true;
}

static void put_utf8(char *out, size_t *o, uint32_t c)
{
	if (c < 0x80) {
		out[(*o)++] = (char)c;
	} else if (c < 0x800) {
		out[(*o)++] = (char)(0xC0 | c >> 6);
		out[(*o)++] = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		out[(*o)++] = (char)(0xE0 | c >> 12);
		out[(*o)++] = (char)(0x80 | (c >> 6 & 0x3F));
		out[(*o)++] = (char)(0x80 | (c & 0x3F));
	} else {
		out[(*o)++] = (char)(0xF0 | c >> 18);
		out[(*o)++] = (char)(0x80 | (c >> 12 & 0x3F));
		out[(*o)++] = (char)(0x80 | (c >> 6 & 0x3F));
		out[(*o)++] = (char)(0x80 | (c & 0x3F));
	}
}

/* A string: raw characters must be valid UTF-8 and not controls; the
 * escapes of RFC 8259 with surrogate pairs. Returns it malloc'd. */
static char *string(struct parser *ps, size_t *len)
{
	char *out;
	size_t o = 0;

	const char *q;

	if (!lit(ps, "\""))
		return NULL;
	/* room for the text up to the closing quote (escapes only shrink) */
	for (q = ps->p; q < ps->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < ps->end)
			q++;
	out = malloc((size_t)(q - ps->p) + 1);
	CHECK(out, "out of memory");
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20)
			goto bad;
		if (c == '\\') {
			uint32_t u, lo;
			ps->p++;
			if (ps->p >= ps->end)
				goto bad;
			switch (*ps->p++) {
			case '"': out[o++] = '"'; break;
			case '\\': out[o++] = '\\'; break;
			case '/': out[o++] = '/'; break;
			case 'b': out[o++] = '\b'; break;
			case 'f': out[o++] = '\f'; break;
			case 'n': out[o++] = '\n'; break;
			case 'r': out[o++] = '\r'; break;
			case 't': out[o++] = '\t'; break;
			case 'u':
				if (!hex4(ps, &u))
					goto bad;
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (!lit(ps, "\\u") || !hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF)
						goto bad;
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				} else if (u >= 0xDC00 && u <= 0xDFFF) {
					goto bad;
				}
				CHECK(u != 0, "\\u0000 written");
				put_utf8(out, &o, u);
				break;
			default:
				goto bad;
			}
			continue;
		}
		{
			uint32_t cp;
			size_t n = sc_utf8_decode(ps->p, (size_t)(ps->end - ps->p), &cp);
			/* the decoder is checked against the standard by fuzz_utf8 */
			CHECK(!(cp == 0xFFFD && n == 1), "invalid UTF-8 in the output");
			memcpy(out + o, ps->p, n);
			o += n;
			ps->p += n;
		}
	}
	if (!lit(ps, "\""))
		goto bad;
	out[o] = '\0';
	*len = o;
	return out;
bad:
	free(out);
	fail_at(ps);
	return NULL;
}

/* Reads one object and compares it with row r. */
static bool object(struct parser *ps, const struct rows *r, size_t row)
{
	if (!lit(ps, "{"))
		return false;
	for (size_t c = 0; c < r->ncols; c++) {
		const struct sc_value *v = &r->v[row][c];
		enum sc_ctype t = r->cols[c].type;
		size_t klen, len;
		char *key, *want;

		if (c && !lit(ps, ","))
			return false;
		ws(ps);
		key = string(ps, &klen);
		CHECK(key && strcmp(key, r->cols[c].name) == 0, "key %zu is '%s'", c, key ? key : "?");
		free(key);
		ws(ps);
		if (!lit(ps, ":"))
			return false;
		ws(ps);
		if (v->null) {
			CHECK(lit(ps, "null"), "NULL not written as null");
			continue;
		}
		want = expected_text(t, v);
		if (t == SC_COL_TEXT || t == SC_COL_TIME) {
			char *got = string(ps, &len);
			CHECK(got, "row %zu column %zu: not a string", row, c);
			if (t == SC_COL_TIME)
				check_time(got, len, v->i);
			else
				CHECK(len == strlen(want) && memcmp(got, want, len) == 0,
				      "row %zu column %zu: '%s' read back as '%s'", row, c, want, got);
			free(got);
		} else {
			/* a number or literal: exactly the expected token */
			CHECK(lit(ps, want), "row %zu column %zu: expected %s", row, c, want);
			if (t == SC_COL_INT)
				CHECK(ps->p == ps->end || !(*ps->p >= '0' && *ps->p <= '9'),
				      "longer number");
		}
		free(want);
		ws(ps);
	}
	return lit(ps, "}");
}

static void check_raw(const char *out, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = sc_utf8_decode(out + i, len - i, &cp);
		CHECK(!(cp == 0xFFFD && n == 1), "invalid UTF-8 at %zu", i);
		CHECK(cp == '\n' || !(cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 ||
					cp == 0x2029),
		      "raw U+%04X at %zu", (unsigned)cp, i);
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rows r;
	struct sc_output_opts o = { 0 };
	struct parser ps;
	size_t len;
	char *out;

	if (!rows_decode(data, size, &r))
		return 0;
	o.format = r.options & 1 ? SC_FORMAT_NDJSON : SC_FORMAT_JSON;
	o.single = o.format == SC_FORMAT_JSON && (r.options & 8) && r.nrows <= 1;
	out = rows_render(&r, &o, &len);
	CHECK(strlen(out) == len, "NUL in the output");
	check_raw(out, len);
	ps.p = out;
	ps.end = out + len;
	if (o.format == SC_FORMAT_NDJSON) {
		for (size_t i = 0; i < r.nrows; i++) {
			const char *nl = memchr(ps.p, '\n', (size_t)(ps.end - ps.p));
			CHECK(nl, "record %zu has no newline", i);
			struct parser line = { ps.p, nl };
			CHECK(object(&line, &r, i) && line.p == nl, "record %zu does not parse", i);
			ps.p = nl + 1;
		}
	} else if (o.single) {
		if (r.nrows)
			CHECK(object(&ps, &r, 0), "object does not parse");
		else
			CHECK(lit(&ps, "null"), "no row: not null");
		CHECK(lit(&ps, "\n"), "no final newline");
	} else {
		CHECK(lit(&ps, "["), "no [");
		for (size_t i = 0; i < r.nrows; i++) {
			ws(&ps);
			if (i)
				CHECK(lit(&ps, ","), "no , before record %zu", i);
			ws(&ps);
			CHECK(object(&ps, &r, i), "record %zu does not parse", i);
		}
		ws(&ps);
		CHECK(lit(&ps, "]"), "no ]");
		CHECK(lit(&ps, "\n"), "no final newline");
	}
	CHECK(ps.p == ps.end, "%zu bytes after the records", (size_t)(ps.end - ps.p));
	free(out);
	rows_free(&r);
	return 0;
}
