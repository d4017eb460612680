/* Timestamps and durations.
 *
 * Times are whole seconds since the Unix epoch, UTC (fractions are
 * truncated toward the past). Nothing here reads the clock: callers pass
 * "now" explicitly, so --now and tests give reproducible answers.
 */
#ifndef SESSCTL_TIMEUTIL_H
#define SESSCTL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A buffer for any time sc_time_format_rfc3339 writes: the RFC 3339 form
 * "2025-02-08T10:30:00Z" (20 characters), or for a year outside 0001-9999
 * the expanded form, up to "-292277022657-01-27T08:29:52Z", plus NUL. */
#define SC_TIME_RFC3339_LEN 32
#define SC_TIME_SQL_LEN 20     /* "2025-02-08 10:30:00" plus NUL */

/* The first and last seconds of the years 0001 to 9999, the times every
 * output form shows (0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC). */
#define SC_TIME_FIRST INT64_C(-62135596800)
#define SC_TIME_LAST INT64_C(253402300799)

/* Parses the timestamp forms applications write into SQLite:
 *   YYYY-MM-DD HH:MM:SS[.f...]  and  YYYY-MM-DDTHH:MM:SS[.f...]
 * each optionally followed by Z, +HH, +HH:MM, +HHMM (or -), and a bare
 * date YYYY-MM-DD. A time without offset is UTC. A leap second (:60) is
 * read as the first second of the next minute. Leading spaces are skipped.
 * Also read:
 *   - Unix epoch seconds: an integer of 1 to 12 digits and nothing else
 *     ("1764700000"; not negative, no fraction), as applications that
 *     store integers write them;
 *   - the ISO 8601 expanded year that sc_time_format_rfc3339 writes for
 *     years outside 0001-9999: a sign and 6 to 12 digits
 *     ("+294276-12-31T23:59:59Z", "-000001-01-01T00:00:00Z").
 * Returns 0, or -1 when s is not such a timestamp or the time does not fit
 * (out is then unchanged). For every int64_t t,
 * sc_time_parse(sc_time_format_rfc3339(t)) gives t back. */
int sc_time_parse(const char *s, int64_t *out);

/* The same, to the microsecond (digits past the sixth are dropped); -1
 * also for a time whose microseconds do not fit in int64_t (beyond about
 * year 294000 either side). */
int sc_time_parse_us(const char *s, int64_t *out_us);

/* Writes t into buf (SC_TIME_RFC3339_LEN) and returns its length: years
 * 0001 to 9999 as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (20 characters);
 * years outside, which RFC 3339 cannot represent, in the ISO 8601
 * expanded form ECMAScript also uses: a sign, at least six digits of the
 * astronomical year (year 0 is 1 BC), "+294276-12-31T23:59:59Z",
 * "-000001-12-31T00:00:00Z". Never clamped: every int64_t has its text. */
size_t sc_time_format_rfc3339(int64_t t, char *buf);

/* Writes t as "YYYY-MM-DD HH:MM:SS" into buf (SC_TIME_SQL_LEN), the form
 * sessctl stores in SQLite and binds in PostgreSQL. Both databases take
 * only years 0001 to 9999 in it: for t outside, it writes the nearest
 * end of that range (0001-01-01 00:00:00 or 9999-12-31 23:59:59) and
 * returns -1, which a caller comparing against a cutoff may accept
 * (nothing storable lies beyond it) and a caller storing t must not.
 * Returns 0 otherwise. */
int sc_time_format_sql(int64_t t, char *buf);

/* Writes a short time relative to now for people: "just now", "42 s ago",
 * "5 min ago", "3 h ago", "2 d ago", or the date "2025-02-08" beyond a
 * week; "in 3 h" for times in the future. buf holds at least 32 bytes. */
void sc_time_format_relative(int64_t t, int64_t now, char *buf, unsigned len);

/* Durations are bounded at about 10,000 years: enough for any timeout,
 * and far from overflowing when subtracted from a time. */
#define SC_DURATION_MAX INT64_C(320000000000)

/* Parses a duration: one or more <digits><unit> groups with units
 * s, m, h, d, w ("90s", "15m", "720h", "30d", "2w", "1h30m"). Returns 0,
 * -1 for an empty, negative or unitless value (no duration), or -2 for
 * one longer than SC_DURATION_MAX. */
int sc_duration_parse(const char *s, int64_t *seconds);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
int64_t sc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
