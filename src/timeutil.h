/* Timestamps and durations.
 *
 * Times are whole seconds since the Unix epoch, UTC (fractions are
 * truncated toward the past). Nothing here reads the clock: callers pass
 * "now" explicitly, so --now and tests give reproducible answers.
 */
#ifndef SESSCTL_TIMEUTIL_H
#define SESSCTL_TIMEUTIL_H

#include <stdint.h>

#define SC_TIME_RFC3339_LEN 21 /* "2025-02-08T10:30:00Z" plus NUL */
#define SC_TIME_SQL_LEN 20     /* "2025-02-08 10:30:00" plus NUL */

/* Parses the timestamp forms applications write into SQLite:
 *   YYYY-MM-DD HH:MM:SS[.f...]  and  YYYY-MM-DDTHH:MM:SS[.f...]
 * each optionally followed by Z, +HH, +HH:MM, +HHMM (or -), and a bare
 * date YYYY-MM-DD. A time without offset is UTC. Returns 0, or -1 when s
 * is not such a timestamp (out is then unchanged). */
int sc_time_parse(const char *s, int64_t *out);

/* The same, to the microsecond (digits past the sixth are dropped). */
int sc_time_parse_us(const char *s, int64_t *out_us);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into buf (SC_TIME_RFC3339_LEN). */
void sc_time_format_rfc3339(int64_t t, char *buf);

/* Writes t as "YYYY-MM-DD HH:MM:SS" into buf (SC_TIME_SQL_LEN), the form
 * sessctl stores in SQLite. */
void sc_time_format_sql(int64_t t, char *buf);

/* Writes a short time relative to now for people: "just now", "42 s ago",
 * "5 min ago", "3 h ago", "2 d ago", or the date "2025-02-08" beyond a
 * week; "in 3 h" for times in the future. buf holds at least 32 bytes. */
void sc_time_format_relative(int64_t t, int64_t now, char *buf, unsigned len);

/* Parses a duration: one or more <digits><unit> groups with units
 * s, m, h, d, w ("90s", "15m", "720h", "30d", "2w", "1h30m"). Returns 0,
 * or -1 for an empty, negative, unitless or overflowing value. */
int sc_duration_parse(const char *s, int64_t *seconds);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
int64_t sc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
