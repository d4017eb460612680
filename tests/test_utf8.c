/* Unit tests of src/utf8.c: decoding, terminal width, prefixes, text made
 * safe to print. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "unit.h"

#include <locale.h>
#include <stdint.h>
#include <wchar.h>
#include <stdlib.h>
#include <string.h>

#include "../src/utf8.h"

struct width_case {
	const char *s;
	size_t width;
};

static struct width_case utf8_width_counts_terminal_columns_cases[] = {
	{ "", 0 },
	{ "abc", 3 },
	{ "Chrome on Windows 10", 20 },
	{ "caf\xc3\xa9", 4 },                       /* café, precomposed */
	{ "cafe\xcc\x81", 4 },                      /* café, e + combining acute */
	{ "\xc3\x9cn\xc3\xaf" "code", 7 },             /* Ünïcode */
	{ "\xe6\x9d\xb1\xe4\xba\xac", 4 },          /* 東京: wide */
	{ "\xed\x95\x9c\xea\xb5\xad", 4 },          /* 한국 */
	{ "\xef\xbc\xa1", 2 },                      /* fullwidth A */
	{ "\xf0\x9f\x98\x80", 2 },                  /* emoji, wide */
	{ "\xe2\x82\xac" "5", 2 },                  /* €5 */
	{ "\xe2\x80\xa6", 1 },                      /* … */
	{ "\xff", 1 },                              /* bad byte */
	{ "a\xc3", 2 },                             /* truncated sequence */
	{ "\xc0\xaf", 2 },                          /* overlong: two bad bytes */
	{ "\xed\xa0\x80", 3 },                      /* surrogate: three bad bytes */
	{ "\xf4\x90\x80\x80", 4 },                  /* past U+10FFFF */
	{ "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80", 4 },  /* two rockets: wide */
	{ "\xe2\x8c\x9a", 2 },                      /* watch: wide */
	{ "a\xef\xbb\xbf\xe2\x81\xa0" "b", 2 },       /* BOM, word joiner: none */
	{ "\xe0\xb8\x81\xe0\xb8\xb4", 1 },          /* Thai ka + sara i */
	{ "\xd8\x80", 1 },                          /* Arabic number sign: shown */
	{ "\xc2\xad", 1 },                          /* soft hyphen: shown */
	{ "\xe1\x84\x80\xe1\x85\xa1", 2 },          /* Hangul jamo L + V */
	/* unassigned: one column, as terminals draw it (it was two: CPython
	 * calls every unassigned code point fullwidth), but in planes 2 and
	 * 3, reserved for ideographs, two */
	{ "\xcd\xb8", 1 },                          /* U+0378 */
	{ "\xf0\x9f\xaf\xbf", 1 },                  /* U+1FBFF */
	{ "\xf0\xaa\x9b\xa0", 2 },                  /* U+2A6E0 */
};

ParameterizedTestParameters(utf8, width_counts_terminal_columns)
{
	CASE_INDEXES(utf8_width_counts_terminal_columns_cases);
}

ParameterizedTest(size_t *case_, utf8, width_counts_terminal_columns)
{
	struct width_case *c = &utf8_width_counts_terminal_columns_cases[*case_];
	cr_expect_eq(sc_utf8_width(c->s), c->width, "width of '%s' = %zu, expected %zu", c->s,
		     sc_utf8_width(c->s), c->width);
}

struct prefix_case {
	const char *s;
	size_t width;
	size_t bytes;
};

static struct prefix_case utf8_prefix_never_splits_a_character_or_passes_the_width_cases[] = {
	{ "abc", 0, 0 },
	{ "abc", 2, 2 },
	{ "abc", 10, 3 },
	{ "", 5, 0 },
	{ "caf\xc3\xa9!", 4, 5 },
	{ "caf\xc3\xa9!", 3, 3 },
	{ "\xe6\x9d\xb1\xe4\xba\xac" "abc", 3, 3 },   /* 東 fits, 京 would not */
	{ "\xe6\x9d\xb1\xe4\xba\xac" "abc", 4, 6 },
	{ "\xe6\x9d\xb1\xe4\xba\xac" "abc", 1, 0 },
	{ "e\xcc\x81x", 1, 3 },                       /* e and its combining accent */
	{ "\xf0\x9f\x98\x80x", 2, 4 },
	{ "\xffx", 1, 1 },
};

ParameterizedTestParameters(utf8, prefix_never_splits_a_character_or_passes_the_width)
{
	CASE_INDEXES(utf8_prefix_never_splits_a_character_or_passes_the_width_cases);
}

ParameterizedTest(size_t *case_, utf8, prefix_never_splits_a_character_or_passes_the_width)
{
	struct prefix_case *c = &utf8_prefix_never_splits_a_character_or_passes_the_width_cases[*case_];
	size_t n = sc_utf8_prefix(c->s, c->width);

	cr_expect_eq(n, c->bytes, "prefix('%s', %zu) = %zu bytes, expected %zu", c->s, c->width, n,
		     c->bytes);
}

struct decode_case {
	const char *s;
	size_t n;
	uint32_t cp;
	size_t len;
};

static struct decode_case utf8_decode_reads_one_character_or_replaces_a_bad_byte_cases[] = {
	{ "A", 1, 'A', 1 },
	{ "\xc3\xa9", 2, 0xE9, 2 },
	{ "\xe2\x82\xac", 3, 0x20AC, 3 },
	{ "\xf0\x9f\x98\x80", 4, 0x1F600, 4 },
	{ "\xf4\x8f\xbf\xbf", 4, 0x10FFFF, 4 },
	{ "\xef\xbf\xbd", 3, 0xFFFD, 3 },
	{ "", 0, 0xFFFD, 1 },
	{ "\x80", 1, 0xFFFD, 1 },
	{ "\xc3", 1, 0xFFFD, 1 },
	{ "\xc3\xa9", 1, 0xFFFD, 1 },
	{ "\xc3(", 2, 0xFFFD, 1 },
	{ "\xc0\x80", 2, 0xFFFD, 1 },
	{ "\xe0\x80\xaf", 3, 0xFFFD, 1 },
	{ "\xed\xa0\x80", 3, 0xFFFD, 1 },
	{ "\xf4\x90\x80\x80", 4, 0xFFFD, 1 },
	{ "\xf5\x80\x80\x80", 4, 0xFFFD, 1 },
	{ "\xfe", 1, 0xFFFD, 1 },
};

ParameterizedTestParameters(utf8, decode_reads_one_character_or_replaces_a_bad_byte)
{
	CASE_INDEXES(utf8_decode_reads_one_character_or_replaces_a_bad_byte_cases);
}

ParameterizedTest(size_t *case_, utf8, decode_reads_one_character_or_replaces_a_bad_byte)
{
	struct decode_case *c = &utf8_decode_reads_one_character_or_replaces_a_bad_byte_cases[*case_];
	uint32_t cp = 0;
	size_t len = sc_utf8_decode(c->s, c->n, &cp);

	cr_expect_eq(len, c->len, "length %zu, expected %zu", len, c->len);
	cr_expect_eq(cp, c->cp, "U+%04X, expected U+%04X", (unsigned)cp, (unsigned)c->cp);
}

struct printable_case {
	const char *in;
	const char *out;
};

static struct printable_case utf8_printable_dup_replaces_control_characters_and_bad_bytes_cases[] = {
	{ "", "" },
	{ "Chrome on Windows 10", "Chrome on Windows 10" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },                        /* café */
	{ "\xe6\x9d\xb1\xe4\xba\xac \xed\x95\x9c", "\xe6\x9d\xb1\xe4\xba\xac \xed\x95\x9c" }, /* CJK, Hangul */
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },                /* emoji */
	{ "a\xc2\xa0" "b", "a\xc2\xa0" "b" },                  /* U+00A0, just past C1 */
	{ "\x1b[31mred\x1b[0m", "?[31mred?[0m" },              /* ESC: colours */
	{ "\x1b]0;title\x07x", "?]0;title?x" },                /* OSC retitling, BEL-ended */
	{ "ding\x07", "ding?" },                               /* BEL */
	{ "a\x7f" "b", "a?b" },                                 /* DEL */
	{ "\xc2\x9b" "31m", "?31m" },                           /* U+009B CSI, one '?' */
	{ "\xc2\x80\xc2\x9f", "??" },                           /* C1 from first to last */
	{ "a\tb\nc\rd", "a?b?c?d" },
	{ "\xff", "?" },                                       /* not UTF-8 */
	{ "x\xc3", "x?" },                                     /* truncated sequence */
	{ "\xc0\xaf", "??" },                                   /* overlong: two bad bytes */
	{ "\xe6\x9d\x1b", "???" },                               /* broken sequence, then ESC */
	{ "ok\xef\xbf\xbd", "ok\xef\xbf\xbd" },                    /* a real U+FFFD stays */
	/* bidirectional formatting characters reorder what follows */
	{ "a\xe2\x80\xaa" "b\xe2\x80\xab" "c\xe2\x80\xac" "d\xe2\x80\xad" "e\xe2\x80\xae" "f",
	  "a?b?c?d?e?f" },                                     /* U+202A-U+202E */
	{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "????" }, /* U+2066-U+2069 */
	{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "???" },             /* LRM, RLM, ALM */
	{ "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a?b?c" },           /* line, paragraph separators */
	{ "\xc2\x85", "?" },                                  /* NEL */
	/* their neighbours stay */
	{ "\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
	  "\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa" },
	{ "\xd8\x9b\xd8\x9d", "\xd8\x9b\xd8\x9d" },
};

ParameterizedTestParameters(utf8, printable_dup_replaces_control_characters_and_bad_bytes)
{
	CASE_INDEXES(utf8_printable_dup_replaces_control_characters_and_bad_bytes_cases);
}

ParameterizedTest(size_t *case_, utf8, printable_dup_replaces_control_characters_and_bad_bytes)
{
	struct printable_case *c = &utf8_printable_dup_replaces_control_characters_and_bad_bytes_cases[*case_];
	char *out = sc_printable_dup(c->in);

	cr_assert_not_null(out);
	cr_expect_str_eq(out, c->out, "case %zu: got '%s', expected '%s'", *case_, out, c->out);
	cr_expect_neq(out, c->in, "not a copy");
	free(out);
}

Test(utf8, unsafe_names_controls_bidi_and_separators_only)
{
	static const uint32_t unsafe[] = { 0x00, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f, 0x061c,
					   0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202e, 0x2066,
					   0x2069 };
	static const uint32_t safe[] = { 0x20, 0x7e, 0xa0, 0xe9, 0x061b, 0x200d, 0x2027, 0x202f,
					 0x2065, 0x206a, 0xfffd, 0x1f600 };

	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		cr_expect(sc_utf8_unsafe(unsafe[i]), "U+%04X", (unsigned)unsafe[i]);
	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		cr_expect(!sc_utf8_unsafe(safe[i]), "U+%04X", (unsigned)safe[i]);
}

struct repair_case {
	const char *in;
	const char *out; /* NULL: valid, no copy */
};

static struct repair_case utf8_repair_replaces_each_bad_byte_with_u_fffd_cases[] = {
	{ "", NULL },
	{ "plain", NULL },
	{ "caf\xc3\xa9 \xe6\x9d\xb1 \xf0\x9f\x98\x80 \xef\xbf\xbd", NULL },
	{ "\xff", "\xef\xbf\xbd" },
	{ "a\xc3", "a\xef\xbf\xbd" },
	{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
	{ "\xe6\x9d\xb1\xe6\x9d", "\xe6\x9d\xb1\xef\xbf\xbd\xef\xbf\xbd" },
};

ParameterizedTestParameters(utf8, repair_replaces_each_bad_byte_with_u_fffd)
{
	CASE_INDEXES(utf8_repair_replaces_each_bad_byte_with_u_fffd_cases);
}

ParameterizedTest(size_t *case_, utf8, repair_replaces_each_bad_byte_with_u_fffd)
{
	struct repair_case *c = &utf8_repair_replaces_each_bad_byte_with_u_fffd_cases[*case_];
	char *fixed = (char *)1;

	cr_assert_eq(sc_utf8_repair(c->in, &fixed), 0);
	if (!c->out) {
		cr_expect_null(fixed, "case %zu: copied a valid string", *case_);
		return;
	}
	cr_assert_not_null(fixed);
	cr_expect_str_eq(fixed, c->out, "case %zu", *case_);
	free(fixed);
}

static size_t encode(uint32_t c, char *b)
{
	if (c < 0x80)
		return b[0] = (char)c, b[1] = 0, 1;
	if (c < 0x800)
		return b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), b[2] = 0, 2;
	if (c < 0x10000)
		return b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | (c >> 6 & 0x3F)),
		       b[2] = (char)(0x80 | (c & 0x3F)), b[3] = 0, 3;
	return b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | (c >> 12 & 0x3F)),
	       b[2] = (char)(0x80 | (c >> 6 & 0x3F)), b[3] = (char)(0x80 | (c & 0x3F)), b[4] = 0, 4;
}

/* Tables are aligned as the terminal draws them: for every character the
 * C library knows (wcwidth() >= 0), the same width as glibc's, from the
 * table tools/gen-width.py writes. (Before it, 10,512 code points
 * differed: emoji counted one column, format characters one, ...) */
Test(utf8, width_agrees_with_the_c_library_for_every_character)
{
	size_t checked = 0, differ = 0;

	cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"), "no C.UTF-8 locale");
	for (uint32_t c = 0xA0; c <= 0x10FFFF; c++) {
		char b[5];
		int libc;

		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		if ((libc = wcwidth((wchar_t)c)) < 0)
			continue;
		/* shown as '?' wherever printed (sc_printable_dup): one column */
		if (sc_utf8_unsafe(c)) {
			encode(c, b);
			cr_expect_eq(sc_utf8_width(b), 1, "U+%04X: never printed raw, one column", c);
			continue;
		}
		encode(c, b);
		checked++;
		if (sc_utf8_width(b) != (size_t)libc && differ++ < 10)
			cr_log_error("U+%04X: %zu columns, the C library says %d", c, sc_utf8_width(b),
				     libc);
	}
	cr_expect_gt(checked, 100000, "only %zu characters checked", checked);
	cr_expect_eq(differ, 0, "%zu of %zu characters differ from wcwidth()", differ, checked);
}

Test(utf8, cut_never_splits_a_character_or_passes_the_bytes)
{
	/* "é" is 2 bytes, "€" 3, "😀" 4 */
	cr_expect_eq(sc_utf8_cut("abc", 10), 3);
	cr_expect_eq(sc_utf8_cut("abc", 2), 2);
	cr_expect_eq(sc_utf8_cut("abc", 0), 0);
	cr_expect_eq(sc_utf8_cut("a\xc3\xa9", 2), 1, "half of the é is left out");
	cr_expect_eq(sc_utf8_cut("a\xc3\xa9", 3), 3);
	cr_expect_eq(sc_utf8_cut("\xe2\x82\xac\xe2\x82\xac", 5), 3);
	cr_expect_eq(sc_utf8_cut("x\xf0\x9f\x98\x80", 4), 1);
	cr_expect_eq(sc_utf8_cut("x\xf0\x9f\x98\x80", 5), 5);
	cr_expect_eq(sc_utf8_cut("\xff\xfe", 1), 1, "a bad byte is one");
}
