/* Statistics: count --by device-type, browser and day, and the numbers
 * metrics reports. Times go through sessctl_time() (microseconds), so
 * every form an application writes is counted on its right day. */
#include "sqlite.h"

#define US_PER_DAY "86400000000"

/* Steps st to the end, handing each row to row(st, ctx): 0 to go on, or
 * its non-zero value. Finalizes st. */
static int each_row(struct sqlite_db *db, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx),
		    void *ctx, const char *what, struct sc_error *err)
{
	int rc, cbrc = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((cbrc = row(st, ctx)) != 0)
			break;
	sq_finalize(db, st);
	if (cbrc)
		return cbrc;
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, what, err);
}

/* The callback a statement's rows go to, and its context. */
struct rows {
	union {
		sc_group_count_cb group;
		sc_day_count_cb day;
		sc_action_count_cb action;
	} cb;
	void *ctx;
};

/* count --by: one statement per column (the column name cannot be a
 * parameter). Values compare byte by byte (SQLite's BINARY collation),
 * as text: a BLOB is counted with the text it shows as.
 * Active as WHERE is_active tests it, inactive everything else (NULL
 * and text too), as every other count and listing splits them. */
#define GROUP_SQL(col) \
	"SELECT CAST(" col " AS TEXT) AS v, sum(CASE WHEN is_active THEN 1 ELSE 0 END),\n" \
	"       sum(CASE WHEN is_active THEN 0 ELSE 1 END)\n" \
	"FROM sessions GROUP BY v\n" \
	"ORDER BY 2 DESC, 3 DESC, v IS NULL, v"

static int group_row(sqlite3_stmt *st, void *vctx)
{
	struct rows *r = vctx;
	struct sc_group_count g = {
		sq_col_text(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
	};
	return r->cb.group(&g, r->ctx);
}

int sqlite_count_by_group(struct sc_db *base, enum sc_group_key key, sc_group_count_cb cb,
			  void *ctx, struct sc_error *err)
{
	static const char *const sql[] = {
		[SC_GROUP_DEVICE_TYPE] = GROUP_SQL("device_type"),
		[SC_GROUP_BROWSER] = GROUP_SQL("browser"),
	};
	struct sqlite_db *db = sq_to_sqlite(base);
	struct rows r = { .cb.group = cb, .ctx = ctx };
	sqlite3_stmt *st;

	if (sq_prepare(db, sql[key], &st, err) < 0)
		return -1;
	return each_row(db, st, group_row, &r, "cannot count sessions", err);
}

/* A time in microseconds within 0001-01-01 00:00:00 to 9999-12-31
 * 23:59:59, the dates a day shows: a time outside (an unreadable one, the
 * earliest for the rules; a year beyond 9999) is counted on the nearest
 * day of that range, as PostgreSQL's infinity is, not on a day of its own
 * shown with the same date. NULL stays NULL. (SC_TIME_FIRST and
 * SC_TIME_LAST in microseconds, written out for the SQL text.) */
#define CLAMPED(t) "max(min(" t ", 253402300799000000), -62135596800000000)"

/* The day of a time t in microseconds, rounded toward the past. */
#define DAY_OF(t) "((" t ") / " US_PER_DAY " - ((" t ") % " US_PER_DAY " < 0))"

static int day_row(sqlite3_stmt *st, void *vctx)
{
	struct rows *r = vctx;
	struct sc_day_count d = {
		sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
	};
	return r->cb.day(&d, r->ctx);
}

int sqlite_count_by_day(struct sc_db *base, bool has_since, int64_t since,
			sc_day_count_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	struct rows r = { .cb.day = cb, .ctx = ctx };
	sqlite3_stmt *st;

	if (sq_prepare(db,
		    "SELECT day, sum(created), sum(seen) FROM (\n"
		    "  SELECT " DAY_OF(CLAMPED("t")) " AS day, 1 AS created, 0 AS seen\n"
		    "  FROM (SELECT sessctl_time(created_at) AS t FROM sessions)\n"
		    "  WHERE t IS NOT NULL AND (?1 IS NULL OR t >= ?1)\n"
		    "  UNION ALL\n"
		    "  SELECT " DAY_OF(CLAMPED("t")) ", 0, 1\n"
		    "  FROM (SELECT sessctl_time(last_activity) AS t FROM sessions)\n"
		    "  WHERE t IS NOT NULL AND (?1 IS NULL OR t >= ?1)\n"
		    ") GROUP BY day ORDER BY day", &st, err) < 0)
		return -1;
	if (has_since)
		sq_bind_time_us(st, 1, since);
	return each_row(db, st, day_row, &r, "cannot count sessions", err);
}

/* 0001-01-01 00:00:00 UTC in microseconds since 1970. */
#define SQ_TIME_0001_US (SC_TIME_FIRST * 1000000)

/* The idle test is enforce's (sqlite_candidates): last_activity before
 * the cutoff, to the microsecond. */
int sqlite_stats_snapshot(struct sc_db *base, int64_t max, int64_t idle_before,
			  struct sc_stats_snapshot *out, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int64_t v[3];

	if (sq_prepare(db,
		    "SELECT (SELECT count(*) FROM (SELECT 1 FROM sessions\n"
		    "                              WHERE is_active AND " SQ_IS_USER "\n"
		    "                              GROUP BY user_id HAVING count(*) > ?1)),\n"
		    "       count(*), coalesce(min(t), 0)\n"
		    "FROM (SELECT sessctl_time(last_activity) AS t FROM sessions WHERE is_active)\n"
		    "WHERE t < ?2", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, max);
	sq_bind_time_us(st, 2, idle_before);
	if (sq_single_int64(db, st, v, 3, err) < 0)
		return -1;
	out->users_over_limit = v[0];
	out->idle_sessions = v[1];
	/* Whole seconds, toward the past; an unreadable time (the earliest
	 * for the rules) at 0001-01-01, as -infinity on PostgreSQL. */
	if (v[2] < SQ_TIME_0001_US)
		v[2] = SQ_TIME_0001_US;
	out->oldest_idle_activity = v[2] / 1000000 - (v[2] % 1000000 < 0);
	return 0;
}

static int action_row(sqlite3_stmt *st, void *vctx)
{
	struct rows *r = vctx;
	const char *action = sq_col_text(st, 0);
	return r->cb.action(action ? action : "", sqlite3_column_int64(st, 1), r->ctx);
}

int sqlite_audit_counts(struct sc_db *base, int64_t since, int64_t until,
			sc_action_count_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	struct rows r = { .cb.action = cb, .ctx = ctx };
	sqlite3_stmt *st;

	if (sq_prepare(db,
		    "SELECT action, count(*) FROM sessctl_audit\n"
		    "WHERE sessctl_time(created_at) BETWEEN ?1 AND ?2\n"
		    "GROUP BY action ORDER BY action", &st, err) < 0)
		return -1;
	sq_bind_time_us(st, 1, since);
	sq_bind_time_us(st, 2, until);
	return each_row(db, st, action_row, &r, "cannot read the audit trail", err);
}
