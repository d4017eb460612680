#include "utf8.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

size_t sc_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t len, i;

	if (n == 0) {
		*cp = 0xFFFD;
		return 1;
	}
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if (n < len) {
		*cp = 0xFFFD;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = c;
	return len;
}

#include "utf8-width.h"

static bool in_ranges(uint32_t c, const struct sc_width_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	if (n == 0 || c < r[0].first || c > r[n - 1].last)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c > r[mid].last)
			lo = mid + 1;
		else if (c < r[mid].first)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* As glibc's wcwidth() counts (src/utf8-width.h), but for the characters
 * sc_utf8_unsafe() names; a bad byte (U+FFFD) and anything not in either
 * table take one column. */
static size_t char_width(uint32_t c)
{
	/* Latin, and what is never printed raw: controls, bidirectional
	 * formatting characters, U+2028/9 are shown as '?' (one column), so
	 * a text measures as its printable copy does */
	if (c < 0x300 || sc_utf8_unsafe(c))
		return 1;
	if (in_ranges(c, sc_width_zero, sizeof(sc_width_zero) / sizeof(sc_width_zero[0])))
		return 0;
	return in_ranges(c, sc_width_two, sizeof(sc_width_two) / sizeof(sc_width_two[0])) ? 2 : 1;
}

size_t sc_utf8_width(const char *s)
{
	return sc_utf8_width_n(s, strlen(s));
}

size_t sc_utf8_width_n(const char *s, size_t n)
{
	size_t w = 0, i = 0;
	while (i < n) {
		uint32_t c;
		i += sc_utf8_decode(s + i, n - i, &c);
		w += char_width(c);
	}
	return w;
}

size_t sc_utf8_prefix(const char *s, size_t width)
{
	size_t n = strlen(s), w = 0, i = 0;
	while (i < n) {
		uint32_t c;
		size_t len = sc_utf8_decode(s + i, n - i, &c);
		size_t cw = char_width(c);
		if (w + cw > width)
			break;
		w += cw;
		i += len;
	}
	return i;
}

int sc_utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		uint32_t c;
		size_t len = sc_utf8_decode(s + i, n - i, &c);
		if (i + len > max)
			break;
		i += len;
	}
	return i > INT_MAX ? INT_MAX : (int)i;
}

bool sc_utf8_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x061C || c == 0x200E ||
	       c == 0x200F || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* A bad byte: what sc_utf8_decode answers for anything but valid UTF-8. */
static bool bad_byte(uint32_t c, size_t len)
{
	return c == 0xFFFD && len == 1;
}

char *sc_printable_dup(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	while (i < n) {
		uint32_t c;
		size_t len = sc_utf8_decode(s + i, n - i, &c);
		if (bad_byte(c, len) || sc_utf8_unsafe(c)) {
			out[o++] = '?';
		} else {
			memcpy(out + o, s + i, len);
			o += len;
		}
		i += len;
	}
	out[o] = '\0';
	return out;
}

/* How many bytes of s[0..n) are not UTF-8. */
static size_t bad_bytes(const char *s, size_t n)
{
	size_t i = 0, bad = 0;

	/* ASCII runs are the common case: skip them without decoding. */
	while (i < n) {
		uint32_t c;
		size_t len;
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		len = sc_utf8_decode(s + i, n - i, &c);
		bad += bad_byte(c, len);
		i += len;
	}
	return bad;
}

bool sc_utf8_valid(const char *s)
{
	return bad_bytes(s, strlen(s)) == 0;
}

int sc_utf8_repair(const char *s, char **fixed)
{
	size_t n = strlen(s), i, bad = bad_bytes(s, n), o = 0;
	char *out;

	*fixed = NULL;
	if (!bad)
		return 0;
	out = malloc(n + 2 * bad + 1); /* each bad byte grows to three */
	if (!out)
		return -1;
	for (i = 0; i < n;) {
		uint32_t c;
		size_t len = sc_utf8_decode(s + i, n - i, &c);
		if (bad_byte(c, len)) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else {
			memcpy(out + o, s + i, len);
			o += len;
		}
		i += len;
	}
	out[o] = '\0';
	*fixed = out;
	return 0;
}
