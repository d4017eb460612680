/* enforce in steady state (see src/enforce.c): the idle sessions and the
 * recently active users found through idx_sessions_active_activity, the
 * partial index on the active sessions' last_activity (migration 4), and
 * what the last run recorded in sessctl_enforce_state.
 *
 * last_activity is text in whatever form the application wrote, so the
 * index orders it as text, not as time. The ranges below over-approximate
 * with that in mind, and sessctl_time() then tests the rows that may be
 * out of place exactly:
 *  - "YYYY-MM-DD..." forms (space, T or t, fractions, offsets of -12:00
 *    to +14:00, Z) sort by their digits: a time at or after since is
 *    written at or after since - 12 h, and only the rows written in those
 *    12 hours (and the minute before: "HH:MM" without seconds) need the
 *    exact test; one before cutoff is written on or before cutoff's date
 *    with 14 hours added;
 *  - epoch seconds written as 10 digits (2001 to 2286) sort by their
 *    digits, in a range of their own that stops before the next first
 *    digit (before "2" for today's "17..."), each tested exactly;
 *  - text before "0" (leading spaces, signed years, the empty string) and
 *    from ":" on (words, blobs) is always read: normally none, and such
 *    rows are unreadable times, which the rules treat as idle since ever.
 * A time in some other form that sorts elsewhere (epoch seconds of other
 * lengths, say) is only found by the full pass, at most a day later.
 */
#include "sqlite.h"

#include <stdio.h>
#include <string.h>

#define ACTIVITY_INDEX "sessions INDEXED BY idx_sessions_active_activity"
#define MAX_EARLIER_OFFSET (12 * 3600) /* -12:00: written before UTC */
#define MAX_LATER_OFFSET (14 * 3600)   /* +14:00: written after UTC */

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? (b < 0 ? INT64_MIN : INT64_MAX) : r;
}

/* t as "YYYY-MM-DD HH:MM:SS", or only its date with date_only; outside
 * years 0001-9999 a bound that sorts before ("", t before) or after
 * (":", t after) every such text. */
static void time_text(int64_t t, bool date_only, char buf[SC_TIME_SQL_LEN])
{
	if (sc_time_format_sql(t, buf) < 0)
		strcpy(buf, t < 0 ? "" : ":");
	else if (date_only)
		buf[10] = '\0';
}

int sqlite_idle_sessions(struct sc_db *base, int64_t cutoff, int64_t limit, struct sc_ids *out,
			 struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	char below[SC_TIME_SQL_LEN];
	sqlite3_stmt *st;

	/* Every date on which a time before cutoff can be written: up to
	 * cutoff's own (with +14:00), so below the day after it. */
	time_text(add_sat(add_sat(cutoff, MAX_LATER_OFFSET), 86400), true, below);
	if (sq_prepare(db,
		    "SELECT id FROM (\n"
		    "  SELECT id, last_activity FROM " ACTIVITY_INDEX "\n"
		    "  WHERE is_active AND last_activity < ?1\n"
		    "  UNION ALL\n"
		    "  SELECT id, last_activity FROM " ACTIVITY_INDEX "\n"
		    "  WHERE is_active AND last_activity >= ':')\n"
		    "WHERE sessctl_time(last_activity) < ?2\n"
		    "ORDER BY id LIMIT ?3", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, below, -1, SQLITE_TRANSIENT);
	sq_bind_time_us(st, 2, cutoff);
	sqlite3_bind_int64(st, 3, limit < INT64_MAX ? limit + 1 : limit);
	return sq_collect_ids(db, st, out, err);
}

int sqlite_users_over_limit(struct sc_db *base, int64_t max, int64_t since, int64_t after,
			    int64_t limit, struct sc_ids *out, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;

	if (since == INT64_MIN) {
		if (sq_prepare(db,
			    "SELECT user_id FROM sessions WHERE is_active AND user_id > ?2\n"
			    "GROUP BY user_id HAVING count(*) > ?1 ORDER BY user_id LIMIT ?3", &st, err) < 0)
			return -1;
	} else {
		char utc[SC_TIME_SQL_LEN], early[SC_TIME_SQL_LEN], epoch_from[24], epoch_to[2] = ":";
		/* From since (UTC forms): no test needed; the 12 hours and a
		 * minute before: tested (offsets); epoch seconds: tested. */
		time_text(add_sat(since, -60), false, utc);
		time_text(add_sat(since, -MAX_EARLIER_OFFSET - 60), false, early);
		if (since >= INT64_C(1000000000) && since < INT64_C(10000000000)) {
			snprintf(epoch_from, sizeof(epoch_from), "%lld", (long long)since);
			epoch_to[0] = (char)(epoch_from[0] + 1);
		} else {
			strcpy(epoch_from, "0"); /* every digit */
		}
		if (sq_prepare(db,
			    "SELECT user_id FROM sessions\n"
			    "WHERE is_active AND user_id > ?2 AND user_id IN (\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE is_active AND last_activity >= ?4\n"
			    "  UNION ALL\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE is_active AND last_activity >= ?5 AND last_activity < ?4\n"
			    "    AND sessctl_time(last_activity) >= ?8\n"
			    "  UNION ALL\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE is_active AND last_activity < '0'\n"
			    "  UNION ALL\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE is_active AND last_activity >= ?6 AND last_activity < ?7\n"
			    "    AND sessctl_time(last_activity) >= ?8)\n"
			    "GROUP BY user_id HAVING count(*) > ?1 ORDER BY user_id LIMIT ?3", &st, err) < 0)
			return -1;
		sqlite3_bind_text(st, 4, utc, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, early, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, epoch_from, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, epoch_to, 1, SQLITE_TRANSIENT);
		sq_bind_time_us(st, 8, since);
	}
	sqlite3_bind_int64(st, 1, max);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, limit);
	return sq_collect_ids(db, st, out, err);
}

int sqlite_enforce_state_get(struct sc_db *base, struct sc_enforce_state *out, bool *found,
			     struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT max_sessions, since, full_at FROM sessctl_enforce_state WHERE id = 1",
		       &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (*found) {
		out->max_sessions = sqlite3_column_int64(st, 0);
		out->since = sqlite3_column_int64(st, 1);
		out->full_at = sqlite3_column_int64(st, 2);
	}
	sq_finalize(db, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
		: sq_fail(db, rc, "cannot read the last enforce run", err);
}

int sqlite_enforce_state_put(struct sc_db *base, const struct sc_enforce_state *s,
			     struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;

	if (sq_prepare(db,
		    "INSERT INTO sessctl_enforce_state (id, max_sessions, since, full_at)\n"
		    "VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET\n"
		    "  max_sessions = excluded.max_sessions, since = excluded.since,\n"
		    "  full_at = excluded.full_at", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, s->max_sessions);
	sqlite3_bind_int64(st, 2, s->since);
	sqlite3_bind_int64(st, 3, s->full_at);
	return sq_step_done(db, st, "cannot record the enforce run", err);
}
