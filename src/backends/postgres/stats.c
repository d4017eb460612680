/* Statistics: count --by device-type, browser and day, and the numbers
 * metrics reports. The transaction's time zone is UTC, so days are UTC
 * days for timestamptz and naive "timestamp" columns alike. */
#include "postgres.h"

/* count --by: one statement per column (the column name cannot be a
 * parameter). COLLATE "C": byte order, as on SQLite, whatever the
 * database's collation. */
#define GROUP_SQL(col) \
	"SELECT " col "::text, count(*) FILTER (WHERE is_active),\n" \
	"       count(*) FILTER (WHERE is_active IS NOT TRUE)\n" \
	"FROM sessions GROUP BY " col "::text\n" \
	"ORDER BY 2 DESC, 3 DESC, " col "::text COLLATE \"C\" NULLS LAST"

struct group_stream {
	sc_group_count_cb cb;
	void *ctx;
};

static int group_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err)
{
	struct group_stream *gs = vctx;
	struct sc_group_count g = {
		pgb_col_text(res, row, 0), pgb_col_int64(res, row, 1), pgb_col_int64(res, row, 2),
	};

	(void)db;
	(void)err;
	return gs->cb(&g, gs->ctx);
}

int pg_count_by_group(struct sc_db *base, enum sc_group_key key, sc_group_count_cb cb,
		      void *ctx, struct sc_error *err)
{
	static const char *const sql[] = {
		[SC_GROUP_DEVICE_TYPE] = GROUP_SQL("device_type"),
		[SC_GROUP_BROWSER] = GROUP_SQL("browser"),
	};
	struct group_stream gs = { cb, ctx };

	return pgb_stream(pgb_to_pg(base), sql[key], 0, NULL, "cannot count sessions", group_row,
			  &gs, err);
}

struct day_stream {
	sc_day_count_cb cb;
	void *ctx;
};

static int day_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		   struct sc_error *err)
{
	struct day_stream *ds = vctx;
	struct sc_day_count d = {
		pgb_col_int64(res, row, 0), pgb_col_int64(res, row, 1), pgb_col_int64(res, row, 2),
	};

	(void)db;
	(void)err;
	return ds->cb(&d, ds->ctx);
}

/* The day of c, a time outside 0001-9999 (infinity, -infinity) on the
 * nearest day of that range: the day of the earliest time for the rules
 * as on SQLite, where an unreadable time is the earliest there is (README,
 * "Unreadable times"), never an error. */
#define PG_DAY(c) \
	"floor(extract(epoch FROM least(greatest(" c ", '0001-01-01 00:00:00+00'),\n" \
	"                              '9999-12-31 23:59:59+00')) / 86400)::bigint"

/* Each half can use the index on its column when since is given (the
 * created_at one exists; the parameter folds away otherwise). */
int pg_count_by_day(struct sc_db *base, bool has_since, int64_t since,
		    sc_day_count_cb cb, void *ctx, struct sc_error *err)
{
	char tbuf[TIME_PARAM_LEN];
	const char *param = has_since ? pgb_time_param(since, tbuf) : NULL;
	struct day_stream ds = { cb, ctx };

	return pgb_stream(pgb_to_pg(base),
		"SELECT day, sum(created)::bigint, sum(seen)::bigint FROM (\n"
		"  SELECT " PG_DAY("created_at") " AS day,\n"
		"         1 AS created, 0 AS seen\n"
		"  FROM sessions WHERE created_at IS NOT NULL\n"
		"    AND ($1::timestamptz IS NULL OR created_at >= $1::timestamptz)\n"
		"  UNION ALL\n"
		"  SELECT " PG_DAY("last_activity") ", 0, 1\n"
		"  FROM sessions WHERE last_activity IS NOT NULL\n"
		"    AND ($1::timestamptz IS NULL OR last_activity >= $1::timestamptz)\n"
		") AS d GROUP BY day ORDER BY day", 1, &param, "cannot count sessions", day_row, &ds,
		err);
}

/* The idle test is enforce's (pg_candidates): last_activity before the
 * cutoff. The oldest idle time is at the earliest 0001-01-01 (-infinity,
 * years before 1: as an unreadable time on SQLite). */
int pg_stats_snapshot(struct sc_db *base, int64_t max, int64_t idle_before,
		      struct sc_stats_snapshot *out, struct sc_error *err)
{
	char mbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN];
	const char *params[2] = { pgb_int64_param(max, mbuf), pgb_time_param(idle_before, tbuf) };
	int64_t v[3];

	if (pgb_single_int64(pgb_to_pg(base),
		"SELECT (SELECT count(*) FROM (SELECT 1 FROM sessions\n"
		"                              WHERE is_active AND user_id IS NOT NULL\n"
		"                              GROUP BY user_id HAVING count(*) > $1::bigint) AS o),\n"
		"       count(*),\n"
		"       coalesce(floor(extract(epoch FROM\n"
		"                min(greatest(last_activity, '0001-01-01 00:00:00+00')))), 0)::bigint\n"
		"FROM sessions WHERE is_active AND last_activity < $2::timestamptz",
		2, params, v, 3, err) < 0)
		return -1;
	out->users_over_limit = v[0];
	out->idle_sessions = v[1];
	out->oldest_idle_activity = v[2];
	return 0;
}

struct action_stream {
	sc_action_count_cb cb;
	void *ctx;
};

static int action_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		      struct sc_error *err)
{
	struct action_stream *as = vctx;
	const char *action = pgb_col_text(res, row, 0);

	(void)db;
	(void)err;
	return as->cb(action ? action : "", pgb_col_int64(res, row, 1), as->ctx);
}

int pg_audit_counts(struct sc_db *base, int64_t since, int64_t until,
		    sc_action_count_cb cb, void *ctx, struct sc_error *err)
{
	char sbuf[TIME_PARAM_LEN], ubuf[TIME_PARAM_LEN];
	const char *params[2] = { pgb_time_param(since, sbuf), pgb_time_param(until, ubuf) };
	struct action_stream as = { cb, ctx };

	return pgb_stream(pgb_to_pg(base),
		"SELECT action, count(*) FROM sessctl_audit\n"
		"WHERE created_at BETWEEN $1::timestamptz AND $2::timestamptz\n"
		"GROUP BY action ORDER BY action COLLATE \"C\"", 2, params,
		"cannot read the audit trail", action_row, &as, err);
}
