#include "utf8.h"

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

static bool is_combining(uint32_t c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	       (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
	       (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200B || c == 0x200D ||
	       (c >= 0xFE00 && c <= 0xFE0F);
}

static bool is_wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
	       (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
	       (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
	       (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
	       (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

static size_t char_width(uint32_t c)
{
	if (is_combining(c))
		return 0;
	return is_wide(c) ? 2 : 1;
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

int sc_utf8_repair(const char *s, char **fixed)
{
	size_t n = strlen(s), i = 0, bad = 0, o = 0;
	char *out;

	*fixed = NULL;
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
