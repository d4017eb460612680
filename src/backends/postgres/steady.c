/* enforce in steady state (see src/enforce-steady.c): the idle sessions and the
 * recently active users found through idx_sessions_active_activity, the
 * partial index on the active sessions' last_activity (migration 4), and
 * what the last run recorded in sessctl_enforce_state (its idle cutoff
 * since migration 6); whether anything is due to be purged, through
 * idx_sessions_closed_activity (migration 8). last_activity is a typed
 * time here, so the ranges are exact. */
#include "postgres.h"

#include <stdlib.h>

int pg_idle_sessions(struct sc_db *base, int64_t from, int64_t cutoff, int64_t limit,
		     struct sc_ids *out, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char tbuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN], fbuf[TIME_PARAM_LEN];
	const char *params[3] = {
		pgb_time_param(cutoff, tbuf), pgb_int64_param(limit < INT64_MAX ? limit + 1 : limit, lbuf),
		from == INT64_MIN ? NULL : pgb_time_param(from, fbuf),
	};

	/* Ordered by last_activity under the LIMIT, so that the plan walks
	 * the partial index whatever the statistics say: right after a
	 * catch-up they still describe the table before it (the sessions
	 * then idle), and the planner would scan the table instead. From
	 * `from` on: until a vacuum, the entries of the sessions a catch-up
	 * expired stay in the index, dead, and walking them took most of a
	 * steady-state run (README, Performance). */
	if (from == INT64_MIN)
		return pgb_collect_ids(db,
			"SELECT id FROM (\n"
			"  SELECT id FROM sessions WHERE is_active AND last_activity < $1::timestamptz\n"
			"  ORDER BY last_activity LIMIT $2::bigint) AS idle\n"
			"ORDER BY id", 2, params, out, err);
	return pgb_collect_ids(db,
		"SELECT id FROM (\n"
		"  SELECT id FROM sessions WHERE is_active AND last_activity < $1::timestamptz\n"
		"    AND last_activity >= $3::timestamptz\n"
		"  ORDER BY last_activity LIMIT $2::bigint) AS idle\n"
		"ORDER BY id", 3, params, out, err);
}

int pg_users_over_limit(struct sc_db *base, int64_t max, int64_t since, int64_t from,
			int64_t limit, struct sc_ids *out, struct sc_ids *excess, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char mbuf[INT64_PARAM_LEN], abuf[INT64_PARAM_LEN], lbuf[INT64_PARAM_LEN],
		sbuf[TIME_PARAM_LEN];
	const char *params[4] = {
		pgb_int64_param(max, mbuf), pgb_int64_param(from, abuf), pgb_int64_param(limit, lbuf),
		since == INT64_MIN ? NULL : pgb_time_param(since, sbuf),
	};

	if (since == INT64_MIN)
		return pgb_collect_pairs(db,
			"SELECT user_id, count(*) - $1::bigint FROM sessions\n"
			"WHERE is_active AND user_id >= $2::bigint\n"
			"GROUP BY user_id HAVING count(*) > $1::bigint ORDER BY user_id LIMIT $3::bigint",
			3, params, out, excess, err);
	/* Each recent user's active sessions counted on their own (a
	 * subquery per user, through idx_user_active): as a join, stale
	 * statistics after a catch-up make the planner read every active
	 * session instead. And through the index itself, not a bitmap of it:
	 * right after a catch-up each recent user's entries include the
	 * versions it closed (dead until a vacuum), and an index scan marks
	 * those it finds dead in the index (migration 7 keeps them out of
	 * posting lists, where they could not be), so that the next run
	 * skips them; a bitmap scan visits them in the table on every run,
	 * 20 of a 30 ms steady-state run at 1 M sessions (README,
	 * Performance). The statistics rate the two alike (stale as they
	 * are then, they promise dozens of sessions per user), so the
	 * planner is told, for this statement only. */
	PGresult *res = pgb_run(db, "SET LOCAL enable_bitmapscan = off", 0, NULL, PGRES_COMMAND_OK,
				"cannot count sessions", err);
	size_t before = out->n;

	if (!res)
		return -1;
	PQclear(res);
	if (pgb_collect_pairs(db,
		"SELECT u.user_id, c.n - $1::bigint FROM (\n"
		"  SELECT DISTINCT user_id FROM sessions\n"
		"  WHERE is_active AND last_activity >= $4::timestamptz AND user_id >= $2::bigint) AS u\n"
		"CROSS JOIN LATERAL (\n"
		"  SELECT count(*) AS n FROM sessions s WHERE s.user_id = u.user_id AND s.is_active) AS c\n"
		"WHERE c.n > $1::bigint\n"
		"ORDER BY u.user_id LIMIT $3::bigint", 4, params, out, excess, err) < 0)
		return -1;
	/* Found none (the usual steady state): in a batch, the transaction
	 * ends next; in the plan's look-ahead (enforce-steady.c, look_ahead) what
	 * follows is at most purge's look-up through its index, the actor's
	 * by its key, and the run's record. Otherwise the statements that
	 * close sessions plan as configured. */
	return out->n == before ? 0
		: pgb_run_command(db, "SET LOCAL enable_bitmapscan TO DEFAULT", "cannot count sessions", err);
}

/* How many sessions due the purge may take through the index, batch
 * after batch (each batch reads them all again, in last_activity order,
 * and takes the next ids): more is a backlog, which the walk in id order
 * serves better. */
#define PURGE_BY_INDEX_MAX 20000

/* The closed sessions last active before cutoff, through
 * idx_sessions_closed_activity (migration 8), at most PURGE_BY_INDEX_MAX
 * + 1 of them. Ordered by last_activity under the LIMIT so that the
 * plan takes the index whatever the statistics say (right after a
 * catch-up they describe the rows it purged, and promise a match early
 * in a scan of the table). The exact condition of the walk's: the
 * answer never depends on the index. */
#define DUE_SESSIONS(cols) \
	"SELECT " cols " FROM sessions WHERE NOT is_active AND last_activity < $1::timestamptz\n" \
	"ORDER BY last_activity LIMIT $2::bigint"

/* In steady state, the walk of every closed session in id order (0.4-0.7
 * s at 1 M sessions) is skipped when none is due. When some are, a cron
 * job's few (a few crossed the purge age since the run before), the
 * purge takes them through the index too (pg_purge_candidates): the
 * walk's plan, its statistics stale after a catch-up, read 700,000 rows
 * of the primary key for 150 of them (0.5-0.75 s of a run at 1 M). */
int pg_purge_due(struct sc_db *base, int64_t cutoff, bool *due, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char tbuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN];
	const char *params[2] = { pgb_time_param(cutoff, tbuf),
				  pgb_int64_param(PURGE_BY_INDEX_MAX + 1, lbuf) };

	db->purge_by_index = false;
	PGresult *res = pgb_run(db, "SELECT count(*) FROM (" DUE_SESSIONS("1") ") AS due", 2, params,
				PGRES_TUPLES_OK, "cannot look for sessions to purge", err);
	if (!res)
		return -1;
	int64_t n = pgb_col_int64(res, 0, 0);
	PQclear(res);
	*due = n > 0;
	if (*due && n <= PURGE_BY_INDEX_MAX) {
		db->purge_by_index = true;
		db->purge_cutoff = cutoff;
		sc_db_notice(base, "enforce: purging through the index (%lld sessions due)", (long long)n);
	}
	return 0;
}

int pg_purge_candidates(struct pg_db *db, int64_t cutoff, int64_t from, int64_t limit,
			struct sc_ids *out, struct sc_error *err)
{
	char tbuf[TIME_PARAM_LEN], mbuf[INT64_PARAM_LEN], abuf[INT64_PARAM_LEN],
		lbuf[INT64_PARAM_LEN];
	const char *params[4] = {
		pgb_time_param(cutoff, tbuf), pgb_int64_param(PURGE_BY_INDEX_MAX + 1, mbuf),
		pgb_int64_param(from, abuf), pgb_int64_param(limit, lbuf),
	};

	if (!db->purge_by_index || cutoff != db->purge_cutoff)
		return 0;
	/* In the batch's own transaction, so the rows are as the delete
	 * finds them. More due than purge_due counted (the application
	 * closed old sessions meanwhile): the oldest, and the next run
	 * takes the rest. */
	return pgb_collect_ids(db,
		"SELECT id FROM (" DUE_SESSIONS("id") ") AS due\n"
		"WHERE id >= $3::bigint ORDER BY id LIMIT $4::bigint", 4, params, out, err) < 0 ? -1 : 1;
}

int pg_enforce_state_get(struct sc_db *base, struct sc_enforce_state *out, bool *found,
			 struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	PGresult *res = pgb_run(db,
		"SELECT max_sessions, since, full_at, idle_cutoff FROM sessctl_enforce_state WHERE id = 1",
		0, NULL, PGRES_TUPLES_OK, "cannot read the last enforce run", err);

	if (!res)
		return -1;
	*found = PQntuples(res) == 1;
	if (*found) {
		out->max_sessions = pgb_col_int64(res, 0, 0);
		out->since = pgb_col_int64(res, 0, 1);
		out->full_at = pgb_col_int64(res, 0, 2);
		out->idle_cutoff = PQgetisnull(res, 0, 3) ? INT64_MIN : pgb_col_int64(res, 0, 3);
		out->full_why = NULL; /* its indexes: looked up by the planner */
	}
	PQclear(res);
	return 0;
}

int pg_enforce_state_put(struct sc_db *base, const struct sc_enforce_state *s,
			 struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char mbuf[INT64_PARAM_LEN], sbuf[INT64_PARAM_LEN], fbuf[INT64_PARAM_LEN],
		ibuf[INT64_PARAM_LEN];
	const char *params[4] = {
		pgb_int64_param(s->max_sessions, mbuf), pgb_int64_param(s->since, sbuf),
		pgb_int64_param(s->full_at, fbuf),
		s->idle_cutoff == INT64_MIN ? NULL : pgb_int64_param(s->idle_cutoff, ibuf),
	};
	/* The record only narrows the next run; losing it to a crash makes
	 * that run read from the record before (or make a full pass), which
	 * is as correct. So its commit need not wait for the WAL to reach
	 * the disk (or a synchronous standby): about 1 ms of a steady-state
	 * run of 40. The batches' own commits stay durable. */
	PGresult *res = pgb_run(db, "SET LOCAL synchronous_commit = off", 0, NULL, PGRES_COMMAND_OK,
				"cannot record the enforce run", err);

	if (!res)
		return -1;
	PQclear(res);
	res = pgb_run(db,
		"INSERT INTO sessctl_enforce_state (id, max_sessions, since, full_at, idle_cutoff)\n"
		"VALUES (1, $1::bigint, $2::bigint, $3::bigint, $4::bigint) ON CONFLICT (id) DO UPDATE SET\n"
		"  max_sessions = excluded.max_sessions, since = excluded.since,\n"
		"  full_at = excluded.full_at, idle_cutoff = excluded.idle_cutoff", 4, params, PGRES_COMMAND_OK,
		"cannot record the enforce run", err);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}
