/* Just enough UTF-8 for aligned tables: no locale involved. */
#ifndef SESSCTL_UTF8_H
#define SESSCTL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one character at s (n bytes available). Stores it in *cp and
 * returns its length, or returns 1 with *cp = 0xFFFD for a bad sequence. */
size_t sc_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Columns s takes on a terminal: one per character, two for East Asian
 * wide and fullwidth characters, none for combining marks. Bad bytes
 * count one each. */
size_t sc_utf8_width(const char *s);

/* Length in bytes of the longest prefix of s that fits in width columns. */
size_t sc_utf8_prefix(const char *s, size_t width);

/* A malloc'd copy of s safe to print on a terminal: control characters
 * (C0, DEL and C1) and bytes that are not UTF-8 become '?', so data can
 * never move the cursor, retitle the window or start an escape sequence.
 * NULL when out of memory. */
char *sc_printable_dup(const char *s);

#endif
