/* UTF-8 decoding, width, prefixes, terminal-safe copies and repair.
 *
 * The decoder is checked against the well-formed byte sequences of the
 * Unicode Standard (Table 3-7), written out independently. Then: prefixes
 * never split a character, never pass the width and are the longest that
 * fit; the terminal-safe copy is valid UTF-8, holds no unsafe character
 * and takes exactly the columns of the original (so tables stay aligned);
 * the repaired copy is valid UTF-8 with U+FFFD where the bad bytes were.
 */
#include "fuzz.h"

#include "../src/utf8.h"

/* Length of the well-formed sequence at s (n bytes), or 0 (Table 3-7). */
static size_t well_formed(const unsigned char *s, size_t n)
{
	static const struct {
		unsigned char lo[4], hi[4];
		size_t len;
	} rows[] = {
		{ { 0x00 }, { 0x7F }, 1 },
		{ { 0xC2, 0x80 }, { 0xDF, 0xBF }, 2 },
		{ { 0xE0, 0xA0, 0x80 }, { 0xE0, 0xBF, 0xBF }, 3 },
		{ { 0xE1, 0x80, 0x80 }, { 0xEC, 0xBF, 0xBF }, 3 },
		{ { 0xED, 0x80, 0x80 }, { 0xED, 0x9F, 0xBF }, 3 },
		{ { 0xEE, 0x80, 0x80 }, { 0xEF, 0xBF, 0xBF }, 3 },
		{ { 0xF0, 0x90, 0x80, 0x80 }, { 0xF0, 0xBF, 0xBF, 0xBF }, 4 },
		{ { 0xF1, 0x80, 0x80, 0x80 }, { 0xF3, 0xBF, 0xBF, 0xBF }, 4 },
		{ { 0xF4, 0x80, 0x80, 0x80 }, { 0xF4, 0x8F, 0xBF, 0xBF }, 4 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		size_t i;
		if (n < rows[r].len)
			continue;
		for (i = 0; i < rows[r].len; i++)
			if (s[i] < rows[r].lo[i] || s[i] > rows[r].hi[i])
				break;
		if (i == rows[r].len)
			return rows[r].len;
	}
	return 0;
}

static uint32_t value(const unsigned char *s, size_t len)
{
	static const unsigned char first_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
	uint32_t c = s[0] & first_mask[len];
	for (size_t i = 1; i < len; i++)
		c = c << 6 | (s[i] & 0x3F);
	return c;
}

static bool valid(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = well_formed((const unsigned char *)s + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *safe, *fixed;
	size_t n = strlen(s), width, chars = 0, bad = 0;
	bool *boundary = calloc(n + 1, sizeof(*boundary));

	CHECK(boundary, "out of memory");
	/* the decoder against the standard's table, and the boundaries */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = sc_utf8_decode(s + i, n - i, &cp);
		size_t want = well_formed((const unsigned char *)s + i, n - i);
		boundary[i] = true;
		if (want) {
			CHECK(len == want && cp == value((const unsigned char *)s + i, want),
			      "at %zu: length %zu U+%04X, expected %zu U+%04X", i, len, (unsigned)cp,
			      want, (unsigned)value((const unsigned char *)s + i, want));
		} else {
			CHECK(len == 1 && cp == 0xFFFD, "at %zu: bad byte read as %zu U+%04X", i, len,
			      (unsigned)cp);
			bad++;
		}
		chars++;
		i += len;
	}
	boundary[n] = true;

	width = sc_utf8_width(s);
	CHECK(width <= 2 * chars, "width %zu for %zu characters", width, chars);
	CHECK(sc_utf8_prefix(s, width) == n, "the whole width does not hold the whole text");
	/* about 12 widths from 0 to past the end: each check is linear */
	size_t step = (width + 2) / 12 + 1;
	for (size_t w = 0, last = 0; w <= width + 1; w += step) {
		size_t p = sc_utf8_prefix(s, w);
		char *head = strndup(s, p);
		CHECK(head, "out of memory");
		CHECK(p <= n && boundary[p], "prefix(%zu) = %zu splits a character", w, p);
		CHECK(p >= last, "prefix(%zu) = %zu shorter than a narrower one, %zu", w, p, last);
		CHECK(sc_utf8_width(head) <= w, "prefix(%zu) is %zu wide", w, sc_utf8_width(head));
		if (p < n) {
			/* the longest: one more character would not fit */
			size_t q = p + 1;
			while (!boundary[q])
				q++;
			char *more = strndup(s, q);
			CHECK(more, "out of memory");
			CHECK(sc_utf8_width(more) > w, "prefix(%zu) = %zu is not the longest", w, p);
			free(more);
		}
		free(head);
		last = p;
	}

	safe = sc_printable_dup(s);
	CHECK(safe, "out of memory");
	CHECK(valid(safe), "printable copy is not UTF-8");
	CHECK(sc_utf8_width(safe) == width, "printable copy is %zu wide, the text %zu",
	      sc_utf8_width(safe), width);
	for (size_t i = 0, m = strlen(safe); i < m;) {
		uint32_t cp;
		i += sc_utf8_decode(safe + i, m - i, &cp);
		CHECK(!sc_utf8_unsafe(cp), "U+%04X left in the printable copy", (unsigned)cp);
	}
	if (valid(s)) {
		bool any = false;
		for (size_t i = 0; i < n;) {
			uint32_t cp;
			i += sc_utf8_decode(s + i, n - i, &cp);
			any |= sc_utf8_unsafe(cp);
		}
		if (!any)
			CHECK(strcmp(safe, s) == 0, "safe text changed");
	}
	free(safe);

	CHECK(sc_utf8_repair(s, &fixed) == 0, "out of memory");
	if (!bad) {
		CHECK(fixed == NULL && valid(s), "valid text copied");
	} else {
		size_t m = strlen(fixed), k = 0, i = 0;
		CHECK(valid(fixed), "repaired text is not UTF-8");
		CHECK(m == n + 2 * bad, "repaired length %zu, expected %zu", m, n + 2 * bad);
		/* character by character: the same, or U+FFFD for a bad byte */
		while (i < n) {
			uint32_t a, b;
			size_t la = sc_utf8_decode(s + i, n - i, &a);
			size_t lb = sc_utf8_decode(fixed + k, m - k, &b);
			CHECK(a == b, "U+%04X repaired as U+%04X", (unsigned)a, (unsigned)b);
			i += la;
			k += lb;
		}
		CHECK(k == m, "repaired text longer");
		free(fixed);
	}
	free(boundary);
	free(s);
	return 0;
}
