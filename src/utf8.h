/* Just enough UTF-8 for aligned tables: no locale involved. */
#ifndef SESSCTL_UTF8_H
#define SESSCTL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one character at s (n bytes available). Stores it in *cp and
 * returns its length, or returns 1 with *cp = 0xFFFD for a bad sequence. */
size_t sc_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Columns s takes on a terminal, as glibc's wcwidth() counts them: one
 * per character, two for East Asian wide and fullwidth characters
 * (emoji among them), none for combining marks and format characters
 * (src/utf8-width.h, written by tools/gen-width.py). Bad bytes, and the
 * characters sc_utf8_unsafe() names (printed as '?'), count one each. */
size_t sc_utf8_width(const char *s);
/* The same for the first n bytes of s. */
size_t sc_utf8_width_n(const char *s, size_t n);

/* Length in bytes of the longest prefix of s that fits in width columns. */
size_t sc_utf8_prefix(const char *s, size_t width);

/* Length in bytes of the longest prefix of s of at most max bytes that
 * cuts no character (a bad byte counts as one), as an int for "%.*s". */
int sc_utf8_cut(const char *s, size_t max);

/* True for a character that must never reach a terminal raw: C0
 * controls, DEL, C1 controls (U+0080-U+009F: U+009B is CSI, U+009D OSC),
 * the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069), which reorder the text after them, and
 * the line and paragraph separators U+2028, U+2029, which break lines. */
bool sc_utf8_unsafe(uint32_t cp);

/* A malloc'd copy of s safe to print on a terminal: every character
 * sc_utf8_unsafe() names, and every byte that is not UTF-8, becomes one
 * '?', so data can never move the cursor, retitle the window, reverse
 * the text or break a line (and a table stays aligned: '?' is one
 * column). NULL when out of memory. */
char *sc_printable_dup(const char *s);

/* Whether s is valid UTF-8: no byte that sc_utf8_decode reads as bad. */
bool sc_utf8_valid(const char *s);

/* Invalid UTF-8 as every output writes it: each byte that does not start
 * a valid sequence (sc_utf8_decode returns 1 and U+FFFD) becomes U+FFFD.
 * Returns 0 with *fixed NULL when s is valid UTF-8 (use s as it is), 0
 * with *fixed a malloc'd repaired copy, or -1 when out of memory. */
int sc_utf8_repair(const char *s, char **fixed);

#endif
