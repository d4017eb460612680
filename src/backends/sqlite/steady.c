/* enforce in steady state (see src/enforce-steady.c): the idle sessions and the
 * recently active users found through idx_sessions_activity, the index on
 * every session's last_activity (migration 6; not partial, so that
 * closing a session does not touch it), and what the last run recorded
 * in sessctl_enforce_state.
 *
 * last_activity is text in whatever form the application wrote, so the
 * index orders it as text, not as time. The ranges below over-approximate
 * with that in mind, and sessctl_time() then tests the rows that may be
 * out of place exactly:
 *  - "YYYY-MM-DD..." forms (space, T or t, fractions, offsets of -12:00
 *    to +14:00, Z) sort by their digits: a time at or after t is
 *    written at or after t - 12 h, and only the rows written in those
 *    12 hours (and the minute before: "HH:MM" without seconds) need the
 *    exact test; one before cutoff is written on or before cutoff's date
 *    with 14 hours added;
 *  - epoch seconds written as 10 digits (2001 to 2286) sort by their
 *    digits, in a range of their own that stops before the next first
 *    digit (before "2" for today's "17..."), each tested exactly; so a
 *    run whose lower bound is before 2033-05-18 03:33:20 UTC (epoch
 *    2000000000) leaves times from then on to the next full pass;
 *  - numbers, text before "/" (leading spaces, signed years, the empty
 *    string) and from ":" on (words, blobs) are always read through the
 *    index: normally none. The bound is "/", not "0": in a column the
 *    application declared DATETIME or INTEGER (numeric affinity) SQLite
 *    takes a bound "0" for the number 0, and the epoch seconds it stores
 *    there as numbers, which sort before all text, would be left out;
 *    "/" stays text in any column (only text starting with "/" is left
 *    to the full pass). The idle search looks a row there up only when its time is
 *    unreadable (idle since ever, by the rules) or after the range's lower
 *    bound, and the users' search takes a row before "0" only when its
 *    time is after it, so that a column holding something else (integers
 *    in a column without a type sort before all text) costs the index, not
 *    every row, on each run.
 * A time in some other form that sorts elsewhere (epoch seconds of other
 * lengths, say) is only found by the full pass, at most a day later.
 */
#include "sqlite.h"

#include <stdio.h>
#include <string.h>

#define ACTIVITY_INDEX "sessions INDEXED BY idx_sessions_activity"
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

/* The text ranges in which a time at or after t may be written (see
 * above): UTC forms from utc on need no test; from early to utc, and
 * 10-digit epoch seconds from epoch_from to epoch_to, do. */
struct from_text {
	char utc[SC_TIME_SQL_LEN], early[SC_TIME_SQL_LEN], epoch_from[24], epoch_to[2];
};

static void from_text(int64_t t, struct from_text *r)
{
	time_text(add_sat(t, -60), false, r->utc);
	time_text(add_sat(t, -MAX_EARLIER_OFFSET - 60), false, r->early);
	r->epoch_to[0] = ':';
	r->epoch_to[1] = '\0';
	if (t >= INT64_C(1000000000) && t < INT64_C(10000000000)) {
		snprintf(r->epoch_from, sizeof(r->epoch_from), "%lld", (long long)t);
		r->epoch_to[0] = (char)(r->epoch_from[0] + 1);
	} else {
		strcpy(r->epoch_from, "0"); /* every digit */
	}
}

int sqlite_idle_sessions(struct sc_db *base, int64_t from, int64_t cutoff, int64_t limit,
			 struct sc_ids *out, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	char below[SC_TIME_SQL_LEN];
	struct from_text f;
	sqlite3_stmt *st;

	/* Every date on which a time before cutoff can be written: up to
	 * cutoff's own (with +14:00), so below the day after it. */
	time_text(add_sat(add_sat(cutoff, MAX_LATER_OFFSET), 86400), true, below);
	/* From `from`: the text ranges where a time at or after it may be
	 * written. Without it, every text below cutoff's date, the closed
	 * sessions' included. */
	from_text(from, &f);
	/* The arms read the index alone (the time test included); only the
	 * rows they find are looked up for is_active. */
	if (from == INT64_MIN) {
		if (sq_prepare(db,
			    "SELECT id FROM sessions WHERE is_active AND id IN (\n"
			    "  SELECT id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity < ?1 AND sessctl_time(last_activity) < ?2\n"
			    "  UNION ALL\n"
			    "  SELECT id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ':' AND sessctl_time(last_activity) < ?2)\n"
			    "ORDER BY id LIMIT ?3", &st, err) < 0)
			return -1;
	} else {
		/* In the ranges that may hold times from `from` on, only those
		 * (and unreadable ones, the earliest time there is, idle since
		 * ever): the sessions closed in the 12 hours of text before it
		 * would each cost a look-up of their row (BETWEEN evaluates
		 * sessctl_time once). */
		if (sq_prepare(db,
			    "SELECT id FROM sessions WHERE is_active AND id IN (\n"
			    "  SELECT id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ?4 AND last_activity < ?1\n"
			    "    AND sessctl_time(last_activity) < ?2\n"
			    "    AND sessctl_time(last_activity) NOT BETWEEN ?7 AND ?8\n"
			    "  UNION ALL\n"
			    "  SELECT id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ?5 AND last_activity < ?6\n"
			    "    AND sessctl_time(last_activity) < ?2\n"
			    "    AND sessctl_time(last_activity) NOT BETWEEN ?7 AND ?8\n"
			    "  UNION ALL\n"
			    "  SELECT id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity < '/' AND sessctl_time(last_activity) < ?2\n"
			    "    AND sessctl_time(last_activity) NOT BETWEEN ?7 AND ?8\n"
			    "  UNION ALL\n"
			    "  SELECT id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ':' AND sessctl_time(last_activity) < ?2\n"
			    "    AND sessctl_time(last_activity) NOT BETWEEN ?7 AND ?8)\n"
			    "ORDER BY id LIMIT ?3", &st, err) < 0)
			return -1;
		sqlite3_bind_text(st, 4, f.early, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, f.epoch_from, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, f.epoch_to, 1, SQLITE_TRANSIENT);
		int64_t from_us = sq_time_us(from);
		sqlite3_bind_int64(st, 7, SQ_UNREADABLE_TIME + 1);
		sqlite3_bind_int64(st, 8, from_us > INT64_MIN ? from_us - 1 : INT64_MIN);
	}
	sqlite3_bind_text(st, 1, below, -1, SQLITE_TRANSIENT);
	sq_bind_time_us(st, 2, cutoff);
	sqlite3_bind_int64(st, 3, limit < INT64_MAX ? limit + 1 : limit);
	return sq_collect_ids(db, st, out, err);
}

int sqlite_users_over_limit(struct sc_db *base, int64_t max, int64_t since, int64_t from,
			    int64_t limit, struct sc_ids *out, struct sc_ids *excess,
			    struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;

	if (since == INT64_MIN) {
		if (sq_prepare(db,
			    "SELECT user_id, count(*) - ?1 FROM sessions\n"
			    "WHERE is_active AND user_id >= ?2 AND " SQ_IS_USER "\n"
			    "GROUP BY user_id HAVING count(*) > ?1 ORDER BY user_id LIMIT ?3", &st, err) < 0)
			return -1;
	} else {
		struct from_text f;
		from_text(since, &f);
		if (sq_prepare(db,
			    "SELECT user_id, count(*) - ?1 FROM sessions\n"
			    "WHERE is_active AND user_id >= ?2 AND " SQ_IS_USER " AND user_id IN (\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ?4\n"
			    "  UNION ALL\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ?5 AND last_activity < ?4\n"
			    "    AND sessctl_time(last_activity) >= ?8\n"
			    "  UNION ALL\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity < '/' AND sessctl_time(last_activity) >= ?8\n"
			    "  UNION ALL\n"
			    "  SELECT user_id FROM " ACTIVITY_INDEX "\n"
			    "  WHERE last_activity >= ?6 AND last_activity < ?7\n"
			    "    AND sessctl_time(last_activity) >= ?8)\n"
			    "GROUP BY user_id HAVING count(*) > ?1 ORDER BY user_id LIMIT ?3", &st, err) < 0)
			return -1;
		sqlite3_bind_text(st, 4, f.utc, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, f.early, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, f.epoch_from, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, f.epoch_to, 1, SQLITE_TRANSIENT);
		sq_bind_time_us(st, 8, since);
	}
	sqlite3_bind_int64(st, 1, max);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, limit);
	return sq_collect_pairs(db, st, out, excess, err);
}

/* How many entries of the index in purge's text ranges (before_text)
 * the purge may read through it, batch after batch, rather than walk
 * the table: each batch reads the whole range again (the index is in
 * time order, the batches in id order), testing the time on the index
 * alone; 100,000 entries take 10-20 ms. More is a backlog, which the
 * walk serves better. */
#define PURGE_BY_INDEX_MAX 100000

/* The text ranges of the index that hold every time before t: a time
 * before t, in UTC or written with any offset up to +14:00, has a local
 * time before t + 14 h. Written "YYYY-MM-DD HH:MM:SS..." (or a date
 * alone, or a number, which sorts before all text), it sorts before
 * that local time in the same form (`below`); written with a 'T', it
 * sorts before that time with a 'T' and after every ' ' form of its
 * date (`t_from` to `t_to`); any other text of that date is taken
 * whole (`rest_from` to `rest_to`). So the ranges go 14 hours past t,
 * not up to the end of the day after it: a purge's cutoff moves into
 * the sessions closed by the device limit, and a day and a half of
 * them (35,000 entries at 1 M sessions) would cost its every batch. A
 * minute more, for forms without seconds. Offsets past +14:00, which the
 * parser reads (up to +23:59) but no time zone uses, are left to the
 * daily full pass (README). Outside years 0001-9999, `below` alone:
 * before or after all such text. */
static void before_text(int64_t t, struct sq_time_range *r)
{
	int64_t local = add_sat(t, MAX_LATER_OFFSET + 60);

	memset(r, 0, sizeof(*r)); /* the other ranges empty: "" to "" */
	if (sc_time_format_sql(local, r->below) < 0 ||
	    sc_time_format_sql(add_sat(local, 86400), r->rest_to) < 0) {
		/* before 0001: year 0 and expanded years sort below */
		strcpy(r->below, local < 0 ? "0001-01-01" : ":");
		r->rest_to[0] = '\0';
		return;
	}
	r->rest_to[10] = '\0'; /* the next date */
	memcpy(r->t_from, r->below, 10);
	strcpy(r->t_from + 10, "!"); /* after every ' ' form */
	strcpy(r->t_to, r->below);
	r->t_to[10] = 'T';
	memcpy(r->rest_from, r->below, 10);
	strcpy(r->rest_from + 10, "U"); /* after every 'T' form */
}

/* The three arms of before_text's ranges, on the index, with COND (a
 * condition) and the ranges bound from ?6 on. */
#define BEFORE_ARMS(cols, cond) \
	"SELECT " cols " FROM " ACTIVITY_INDEX " WHERE last_activity < ?6" cond "\n" \
	"UNION ALL\n" \
	"SELECT " cols " FROM " ACTIVITY_INDEX "\n" \
	"  WHERE last_activity >= ?7 AND last_activity < ?8" cond "\n" \
	"UNION ALL\n" \
	"SELECT " cols " FROM " ACTIVITY_INDEX "\n" \
	"  WHERE last_activity >= ?9 AND last_activity < ?10" cond "\n"

static void bind_before(sqlite3_stmt *st, const struct sq_time_range *r)
{
	sqlite3_bind_text(st, 6, r->below, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->t_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->t_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->rest_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->rest_to, -1, SQLITE_STATIC);
}

/* A closed session last active before cutoff, through the index, in
 * before_text's ranges; each row in them is tested exactly, as purge's
 * walk tests it. In steady state the ranges hold the 14 hours of
 * sessions not yet due, and the walk of every closed session (half a
 * second of the write lock at 1 M sessions, at every cron run) is
 * skipped. When some are due and the ranges are short enough (as they
 * are once a cron job runs every few minutes: a few sessions cross the
 * purge age between two runs), the purge takes its candidates from
 * them too (sq_purge_candidates) rather than walk every closed session
 * for them. */
int sqlite_purge_due(struct sc_db *base, int64_t cutoff, bool *due, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	struct sq_time_range *r = &db->purge_range;
	sqlite3_stmt *st;
	int rc;

	db->purge_by_index = false;
	before_text(cutoff, r);
	if (sq_prepare(db, BEFORE_ARMS("1", " AND NOT is_active AND sessctl_time(last_activity) < ?2")
			   "LIMIT 1", &st, err) < 0)
		return -1;
	sq_bind_time_us(st, 2, cutoff);
	bind_before(st, r);
	rc = sqlite3_step(st);
	*due = rc == SQLITE_ROW;
	sq_finalize(db, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(db, rc, "cannot look for sessions to purge", err);
	if (!*due)
		return 0;
	/* The ranges' length, on the index alone. */
	if (sq_prepare(db, "SELECT count(*) FROM (" BEFORE_ARMS("1", "") "LIMIT ?1)", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, PURGE_BY_INDEX_MAX + 1);
	bind_before(st, r);
	rc = sqlite3_step(st);
	int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sq_finalize(db, st);
	if (rc != SQLITE_ROW)
		return sq_fail(db, rc, "cannot look for sessions to purge", err);
	if (n <= PURGE_BY_INDEX_MAX) {
		db->purge_by_index = true;
		db->purge_cutoff = cutoff;
		sc_db_notice(base, "enforce: purging through the index (%lld sessions in its range)",
			     (long long)n);
	}
	return 0;
}

int sq_purge_candidates(struct sqlite_db *db, int64_t cutoff, int64_t from, int64_t limit,
			struct sc_ids *out, struct sc_error *err)
{
	sqlite3_stmt *st;

	if (!db->purge_by_index || cutoff != db->purge_cutoff)
		return 0;
	/* The walk's exact test, in its order, on the ranges purge_due read. */
	if (sq_prepare(db, BEFORE_ARMS("id", " AND sessctl_time(last_activity) < ?2\n"
					     "  AND NOT is_active AND id >= ?1")
			   "ORDER BY id LIMIT ?4", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sq_bind_time_us(st, 2, cutoff);
	sqlite3_bind_int64(st, 4, limit);
	bind_before(st, &db->purge_range);
	return sq_collect_ids(db, st, out, err) < 0 ? -1 : 1;
}

int sqlite_enforce_state_get(struct sc_db *base, struct sc_enforce_state *out, bool *found,
			     struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	/* With the record, whether idx_sessions_activity is still migration
	 * 6's (INDEXED BY fails without it, and the text ranges need its
	 * order): dropped by the application's own migrations, or one of its
	 * own by that name, the incremental pass failed with 70 at every run,
	 * or read the table through another order. */
	if (sq_prepare(db, "SELECT max_sessions, since, full_at, idle_cutoff,\n"
			   "  (SELECT group_concat(d, ',') FROM (SELECT name || ' ' || coll || ' ' || desc AS d\n"
			   "     FROM pragma_index_xinfo('idx_sessions_activity') WHERE key ORDER BY seqno)),\n"
			   "  (SELECT partial FROM pragma_index_list('sessions')\n"
			   "   WHERE name = 'idx_sessions_activity')\n"
			   "FROM sessctl_enforce_state WHERE id = 1", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (*found) {
		const unsigned char *cols = sqlite3_column_text(st, 4);
		out->max_sessions = sqlite3_column_int64(st, 0);
		out->since = sqlite3_column_int64(st, 1);
		out->full_at = sqlite3_column_int64(st, 2);
		out->idle_cutoff = sqlite3_column_type(st, 3) == SQLITE_NULL ? INT64_MIN
				 : sqlite3_column_int64(st, 3);
		out->full_why = NULL;
		if (!cols || strcmp((const char *)cols, "last_activity BINARY 0,user_id BINARY 0") != 0 ||
		    sqlite3_column_type(st, 5) == SQLITE_NULL || sqlite3_column_int(st, 5) != 0)
			out->full_why = "idx_sessions_activity is missing or not sessctl's: create it as "
					"'CREATE INDEX idx_sessions_activity ON sessions (last_activity, user_id)'";
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
		    "INSERT INTO sessctl_enforce_state (id, max_sessions, since, full_at, idle_cutoff)\n"
		    "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET\n"
		    "  max_sessions = excluded.max_sessions, since = excluded.since,\n"
		    "  full_at = excluded.full_at, idle_cutoff = excluded.idle_cutoff", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, s->max_sessions);
	sqlite3_bind_int64(st, 2, s->since);
	sqlite3_bind_int64(st, 3, s->full_at);
	if (s->idle_cutoff != INT64_MIN) /* else NULL, as bound by default */
		sqlite3_bind_int64(st, 4, s->idle_cutoff);
	return sq_step_done(db, st, "cannot record the enforce run", err);
}
