#include "postgres.h"

#include "../../utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writes ---- */

/* Ids travel as one array parameter, '{1,2,3}', matched with
 * = ANY($n::bigint[]): one statement whatever their number. */
char *pgb_ids_array(const int64_t *ids, size_t n)
{
	size_t cap = n * 21 + 3, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
	s[len++] = '}';
	s[len] = '\0';
	return s;
}

/* Runs a query whose first column is an id and appends the ids to out,
 * and unless second is NULL, its second column to second. */
int pgb_collect_pairs(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		      struct sc_ids *out, struct sc_ids *second, struct sc_error *err)
{
	PGresult *res = pgb_run(db, sql, nparams, params, PGRES_TUPLES_OK, "cannot select sessions", err);

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		if (sc_ids_push(out, pgb_col_int64(res, i, 0)) < 0 ||
		    (second && sc_ids_push(second, pgb_col_int64(res, i, 1)) < 0)) {
			PQclear(res);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
	}
	PQclear(res);
	return 0;
}

int pgb_collect_ids(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		    struct sc_ids *out, struct sc_error *err)
{
	return pgb_collect_pairs(db, sql, nparams, params, out, NULL, err);
}

/* lock_users with db->skip_locked: locks what it can at once. A user is
 * kept when its row (if any) and every one of its active sessions were
 * locked; the others are dropped, into db->left_users. */
static int lock_users_skipping(struct pg_db *db, struct sc_ids *users, const char *param,
			       struct sc_error *err)
{
	PGresult *res = pgb_run(db,
		"WITH lu AS MATERIALIZED (\n"
		"  SELECT id FROM users WHERE id = ANY($1::bigint[]) ORDER BY id\n"
		"  FOR NO KEY UPDATE SKIP LOCKED),\n"
		"free AS MATERIALIZED (\n"
		"  SELECT u FROM unnest($1::bigint[]) AS u\n"
		"  WHERE u IN (SELECT id FROM lu)\n"
		"     OR NOT EXISTS (SELECT 1 FROM users WHERE id = u)),\n"
		"ls AS MATERIALIZED (\n"
		"  SELECT id, user_id FROM sessions\n"
		"  WHERE user_id IN (SELECT u FROM free) AND is_active ORDER BY id\n"
		"  FOR NO KEY UPDATE SKIP LOCKED),\n"
		"l AS (SELECT user_id, count(*) AS locked FROM ls GROUP BY user_id),\n"
		"n AS (\n"
		"  SELECT user_id, count(*) AS active FROM sessions\n"
		"  WHERE user_id = ANY($1::bigint[]) AND is_active GROUP BY user_id)\n"
		"SELECT u.u, u.u IN (SELECT u FROM free) AND coalesce(n.active, 0) <= coalesce(l.locked, 0)\n"
		"FROM unnest($1::bigint[]) AS u LEFT JOIN n ON n.user_id = u.u\n"
		"  LEFT JOIN l ON l.user_id = u.u ORDER BY u.u",
		1, &param, PGRES_TUPLES_OK, "cannot lock users", err);
	size_t kept = 0;
	int rc = 0;

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t id = pgb_col_int64(res, i, 0);
		if (strcmp(PQgetvalue(res, i, 1), "t") == 0)
			users->v[kept++] = id;
		else if (sc_ids_push(&db->base.left_users, id) < 0)
			rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	users->n = kept;
	PQclear(res);
	return rc;
}

int pg_lock_users(struct sc_db *base, struct sc_ids *users, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char *ids = pgb_ids_array(users->v, users->n);
	const char *param = ids;
	PGresult *res;

	if (!ids)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (base->skip_locked) {
		int rc = lock_users_skipping(db, users, param, err);
		free(ids);
		return rc;
	}
	/* In id order, so two lockers of overlapping sets cannot deadlock.
	 * NO KEY UPDATE makes sessctl's own lockers take turns without
	 * blocking the application's inserts of sessions for these users
	 * (their foreign key check takes KEY SHARE, which FOR UPDATE would
	 * block until this transaction ends). */
	res = pgb_run(db, "SELECT id FROM users WHERE id = ANY($1::bigint[]) ORDER BY id\n"
		      "FOR NO KEY UPDATE", 1, &param, PGRES_TUPLES_OK, "cannot lock users", err);
	if (res) {
		PQclear(res);
		/* And their active sessions: the ranking that follows must not
		 * close a session the application refreshes meanwhile. */
		res = pgb_run(db, "SELECT id FROM sessions WHERE user_id = ANY($1::bigint[]) AND is_active\n"
			      "ORDER BY id FOR NO KEY UPDATE", 1, &param, PGRES_TUPLES_OK,
			  "cannot lock sessions", err);
	}
	free(ids);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int pg_sessions_by_ids(struct sc_db *base, const int64_t *ids, size_t n,
			      sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	struct session_stream ss = { cb, ctx };
	char *array = pgb_ids_array(ids, n);
	const char *param = array;
	int rc;

	if (!array)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	rc = pgb_stream(db, "SELECT " SESSION_COLUMNS "\n"
			"FROM sessions WHERE id = ANY($1::bigint[]) ORDER BY id", 1, &param,
		    "cannot read sessions", pgb_session_row, &ss, err);
	free(array);
	return rc;
}

/* One statement changes the sessions among $1 and writes their audit
 * rows ($6: ch->audit) from what it changed, in id order as on SQLite,
 * each with its snapshot (the user's email, the session's device and
 * address): $5 is the real time of the change, $7 the time the rules
 * were evaluated at. Under READ COMMITTED a row another process changed
 * first is re-checked after its lock is released, so it is skipped,
 * never changed or audited twice. */
#define CHANGED_CTE(change) \
	"WITH changed AS (\n" \
	"  " change "\n" \
	"  RETURNING id, user_id, device_fingerprint, device_name, device_type, browser,\n" \
	"            ip_address, created_at, last_activity, is_active),\n" \
	"audit AS (\n" \
	"  INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at,\n" \
	"      evaluated_at, email, device_name, ip_address, device_type)\n" \
	"  SELECT c.id, c.user_id, $2::text, $3::text, $4::text, $5::timestamptz,\n" \
	"      $7::timestamptz, u.email, c.device_name, c.ip_address, c.device_type\n" \
	"  FROM changed c LEFT JOIN users u ON u.id = c.user_id\n" \
	"  WHERE $6::boolean ORDER BY c.id)\n"
/* The changed rows, for a callback; or only their number. */
#define CHANGE_SESSIONS(change) CHANGED_CTE(change) "SELECT " SESSION_COLUMNS "\nFROM changed ORDER BY id"
#define COUNT_CHANGED(change) CHANGED_CTE(change) "SELECT count(*) FROM changed"

struct counting_stream {
	struct session_stream ss;
	int64_t count;
};

int pgb_counting_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
			struct sc_error *err)
{
	struct counting_stream *cs = vctx;
	cs->count++;
	return pgb_session_row(db, res, row, &cs->ss, err);
}

/* One statement: the change, its audit rows, and the rows for cb (or, with
 * cb NULL, only their number). Returns the number changed, or -1. */
int pgb_change_sessions(struct pg_db *db, const char *rows_sql, const char *count_sql,
			   int nparams, const int64_t *ids, size_t n, const struct sc_change *ch,
			   const char *what, sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct counting_stream cs = { { cb, ctx }, 0 };
	char tbuf[TIME_PARAM_LEN], ebuf[TIME_PARAM_LEN], ibuf[TIME_PARAM_LEN];
	char *array = pgb_ids_array(ids, n);
	char *users = ch->users ? pgb_ids_array(ch->users, ch->nusers) : NULL;
	/* $8 is the idle cutoff of a close; the users come last. */
	const char *params[9] = {
		array, ch->action, ch->actor, ch->reason, pgb_time_param(ch->recorded_at, tbuf),
		ch->audit ? "t" : "f", pgb_time_param(ch->now, ebuf),
		ch->has_idle_before ? pgb_time_param(ch->idle_before, ibuf) : NULL,
	};
	int rc;

	params[nparams - 1] = users;
	if (!array || (ch->users && !users)) {
		free(array);
		free(users);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	if (cb) {
		rc = pgb_stream(db, rows_sql, nparams, params, what, pgb_counting_row, &cs, err);
	} else {
		rc = pgb_single_int64_as(db, count_sql, nparams, params, &cs.count, 1, what, err);
	}
	free(array);
	free(users);
	return rc ? -1 : (int)cs.count;
}

/* The users' ids ($9, $8), when known, key the statement by user_id. */
#define CLOSE_CHANGE "UPDATE sessions SET is_active = false\n  WHERE id = ANY($1::bigint[]) AND is_active\n" \
	"    AND ($8::timestamptz IS NULL OR last_activity < $8::timestamptz)\n" \
	"    AND ($9::bigint[] IS NULL OR user_id = ANY($9::bigint[]))"
#define PURGE_CHANGE "DELETE FROM sessions\n  WHERE id = ANY($1::bigint[]) AND NOT is_active\n" \
	"    AND ($8::bigint[] IS NULL OR user_id = ANY($8::bigint[]))"

/* With db->skip_locked: of the ids, those the change would still take
 * (cond: $2 the idle cutoff or NULL, $3 the users or NULL) and no other
 * transaction holds, locked now by this one (false), and those another
 * one holds (true). One statement, one snapshot. */
#define FREE_ROWS(cond, lock) \
	"WITH free AS MATERIALIZED (\n" \
	"  SELECT id FROM sessions WHERE id = ANY($1::bigint[]) AND " cond "\n" \
	"  ORDER BY id " lock " SKIP LOCKED)\n" \
	"SELECT id, false FROM free\n" \
	"UNION ALL\n" \
	"SELECT id, true FROM sessions WHERE id = ANY($1::bigint[]) AND " cond "\n" \
	"  AND id NOT IN (SELECT id FROM free)"
#define CLOSE_COND "is_active\n" \
	"    AND ($2::timestamptz IS NULL OR last_activity < $2::timestamptz)\n" \
	"    AND ($3::bigint[] IS NULL OR user_id = ANY($3::bigint[]))"
/* ($2, a purge's cutoff, is always NULL: named for its type.) */
#define PURGE_COND "NOT is_active AND $2::timestamptz IS NULL\n" \
	"    AND ($3::bigint[] IS NULL OR user_id = ANY($3::bigint[]))"

static int free_rows(struct pg_db *db, const char *sql, const int64_t *ids, size_t n,
		     const struct sc_change *ch, struct sc_ids *out, struct sc_ids *left,
		     struct sc_error *err)
{
	char tbuf[TIME_PARAM_LEN];
	char *array = pgb_ids_array(ids, n);
	char *users = ch->users ? pgb_ids_array(ch->users, ch->nusers) : NULL;
	const char *params[3] = {
		array, ch->has_idle_before ? pgb_time_param(ch->idle_before, tbuf) : NULL, users,
	};
	PGresult *res = NULL;

	if (array && (users || !ch->users))
		res = pgb_run(db, sql, 3, params, PGRES_TUPLES_OK, "cannot lock sessions", err);
	else
		sc_error_set(err, SC_SOFTWARE, "out of memory");
	free(array);
	free(users);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		bool held = strcmp(PQgetvalue(res, i, 1), "t") == 0;
		if (sc_ids_push(held ? left : out, pgb_col_int64(res, i, 0)) < 0) {
			PQclear(res);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
	}
	PQclear(res);
	return 0;
}

/* close_sessions and purge_sessions: the change, of the free rows only
 * with db->skip_locked. */
static int change_free(struct sc_db *base, const char *free_sql, struct sc_ids *left,
		       const char *rows_sql, const char *count_sql, int nparams, const int64_t *ids,
		       size_t n, const struct sc_change *ch, const char *what, sc_session_cb cb,
		       void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	struct sc_ids free_ids = { 0 };
	int rc;

	if (!base->skip_locked || !n)
		return pgb_change_sessions(db, rows_sql, count_sql, nparams, ids, n, ch, what, cb,
					   ctx, err);
	if (free_rows(db, free_sql, ids, n, ch, &free_ids, left, err) < 0) {
		sc_ids_free(&free_ids);
		return -1;
	}
	rc = free_ids.n ? pgb_change_sessions(db, rows_sql, count_sql, nparams, free_ids.v,
					      free_ids.n, ch, what, cb, ctx, err) : 0;
	sc_ids_free(&free_ids);
	return rc;
}

int pg_close_sessions(struct sc_db *base, const int64_t *ids, size_t n,
			     const struct sc_change *ch, sc_session_cb cb, void *ctx,
			     struct sc_error *err)
{
	return change_free(base, FREE_ROWS(CLOSE_COND, "FOR NO KEY UPDATE"), &base->left_closes,
			   CHANGE_SESSIONS(CLOSE_CHANGE), COUNT_CHANGED(CLOSE_CHANGE), 9, ids, n, ch,
			   "cannot close sessions", cb, ctx, err);
}

/* logout-all: every active session of the users ($9) but the ones in $1
 * ($8, the idle cutoff, is always NULL here: named for its type). */
#define CLOSE_USERS_CHANGE "UPDATE sessions SET is_active = false\n  WHERE user_id = ANY($9::bigint[]) AND is_active\n" \
	"    AND id <> ALL($1::bigint[]) AND $8::timestamptz IS NULL"

int pg_close_users_sessions(struct sc_db *base, const int64_t *except, size_t nexcept,
			    const struct sc_change *ch, sc_session_cb cb, void *ctx,
			    struct sc_error *err)
{
	if (!ch->users || !ch->nusers || ch->has_idle_before)
		return sc_error_set(err, SC_SOFTWARE, "closing the sessions of no user, or by idleness");
	return pgb_change_sessions(pgb_to_pg(base), CHANGE_SESSIONS(CLOSE_USERS_CHANGE),
				   COUNT_CHANGED(CLOSE_USERS_CHANGE), 9, except, nexcept, ch,
				   "cannot close sessions", cb, ctx, err);
}

int pg_purge_sessions(struct sc_db *base, const int64_t *ids, size_t n,
			     const struct sc_change *ch, sc_session_cb cb, void *ctx,
			     struct sc_error *err)
{
	/* A delete takes FOR UPDATE: locked so, it waits for no one later. */
	return change_free(base, FREE_ROWS(PURGE_COND, "FOR UPDATE"), &base->left_purges,
			   CHANGE_SESSIONS(PURGE_CHANGE),
			   COUNT_CHANGED(PURGE_CHANGE), 8, ids, n, ch, "cannot purge sessions", cb,
			   ctx, err);
}

/* Active (or inactive) sessions idle since before cutoff, walked in id
 * order from `from` (the primary key), or within one user's rows. */
int pg_candidates(struct sc_db *base, bool active, int64_t cutoff, const int64_t *user_id,
		      int64_t from, int64_t limit, struct sc_ids *out, struct sc_error *err)
{
	/* No lock here: the close re-checks the cutoff on any row the
	 * application changed meanwhile (sc_change.idle_before). */
#define CANDIDATES(state, user) \
	"SELECT id FROM sessions\n" \
	"WHERE " state " AND id >= $1::bigint AND last_activity < $2::timestamptz" user "\n" \
	"ORDER BY id LIMIT $3::bigint"
	static const char *const sql[2][2] = {
		{ CANDIDATES("NOT is_active", ""), CANDIDATES("NOT is_active", " AND user_id = $4::bigint") },
		{ CANDIDATES("is_active", ""), CANDIDATES("is_active", " AND user_id = $4::bigint") },
	};
#undef CANDIDATES
	char abuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN],
		ubuf[INT64_PARAM_LEN];
	struct pg_db *db = pgb_to_pg(base);
	const char *params[4] = {
		pgb_int64_param(from, abuf), pgb_time_param(cutoff, tbuf), pgb_int64_param(limit, lbuf),
		user_id ? pgb_int64_param(*user_id, ubuf) : NULL,
	};

	/* an incremental purge with few rows due: through the index */
	if (!active && !user_id) {
		int rc = pg_purge_candidates(db, cutoff, from, limit, out, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return pgb_collect_ids(db, sql[active][user_id != NULL], user_id ? 4 : 3, params, out, err);
}



int pg_over_limit_candidates(struct sc_db *base, const int64_t *user_ids, size_t n,
				    int64_t keep, struct sc_ids *out, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char kbuf[INT64_PARAM_LEN];
	char *array = pgb_ids_array(user_ids, n);
	const char *params[2] = { array, pgb_int64_param(keep, kbuf) };
	int rc;

	if (!array)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	rc = pgb_collect_ids(db,
		"SELECT id FROM (\n"
		"  SELECT id, row_number() OVER (PARTITION BY user_id\n"
		"      ORDER BY last_activity DESC NULLS LAST, id DESC) AS rank\n"
		"  FROM sessions\n"
		"  WHERE is_active AND user_id = ANY($1::bigint[])) AS ranked\n"
		"WHERE rank > $2::bigint ORDER BY id", 2, params, out, err);
	free(array);
	return rc;
}

/* create --dry-run: reads the (user, device) row and passes it as the
 * change would leave it; writes nothing and takes no sequence value. */

/* The row and its "create" audit row ($11: ch->audit) in one statement;
 * $12 is the real time of the change, $3 the time of the rules (the
 * session's times), and the snapshot is the row as the change left it. */
#define UPSERT(change) \
	"WITH upserted AS (\n" \
	"  " change "\n" \
	"  RETURNING id, user_id, device_fingerprint, device_name, device_type, browser,\n" \
	"            ip_address, created_at, last_activity, is_active),\n" \
	"audit AS (\n" \
	"  INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at,\n" \
	"      evaluated_at, email, device_name, ip_address, device_type)\n" \
	"  SELECT p.id, p.user_id, $8::text, $9::text, $10::text, $12::timestamptz,\n" \
	"      $3::timestamptz, u.email, p.device_name, p.ip_address, p.device_type\n" \
	"  FROM upserted p LEFT JOIN users u ON u.id = p.user_id\n" \
	"  WHERE $11::boolean)\n" \
	"SELECT " SESSION_COLUMNS "\n" \
	"FROM upserted"

/* Text to store, on a connection that speaks UTF-8 to the server: the
 * server refuses a value that is not UTF-8 ("invalid byte sequence",
 * 65), in the real run only. (Other client encodings, as SQL_ASCII's,
 * take any byte.) */
int pg_check_text(struct sc_db *base, const char *what, const char *value, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);

	if (!value || sc_utf8_valid(value) || PQclientEncoding(db->conn) != pg_char_to_encoding("UTF8"))
		return 0;
	return sc_error_set(err, SC_DATAERR, "cannot write to '%s': %s is not valid UTF-8, which "
			    "the database's encoding needs: give it in UTF-8", db->display, what);
}

int pg_upsert_session(struct sc_db *base, const struct sc_new_session *ns,
			     const struct sc_change *ch, bool *created,
			     sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char ubuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN], rbuf[TIME_PARAM_LEN];
	const char *params[12] = {
		pgb_int64_param(ns->user_id, ubuf), ns->device_fingerprint, pgb_time_param(ch->now, tbuf),
		ns->device_name, ns->device_type, ns->browser, ns->ip_address,
		ch->action, ch->actor, ch->reason, ch->audit ? "t" : "f",
		pgb_time_param(ch->recorded_at, rbuf),
	};
	struct sc_session s;
	PGresult *res;
	int rc;

	/* The refresh is the lookup: keyed by the unique (user_id,
	 * device_fingerprint), and no sequence value is taken for it. */
	res = pgb_run(db, UPSERT("UPDATE sessions SET last_activity = $3::timestamptz, is_active = true,\n"
			     "      device_name = coalesce($4::text, device_name),\n"
			     "      device_type = coalesce($5::text, device_type),\n"
			     "      browser = coalesce($6::text, browser),\n"
			     "      ip_address = coalesce($7::text, ip_address)\n"
			     "  WHERE user_id = $1::bigint AND device_fingerprint = $2::text"),
		  12, params, PGRES_TUPLES_OK, "cannot create or refresh the session", err);
	if (!res)
		return -1;
	*created = PQntuples(res) == 0;
	if (*created) {
		/* A creator racing on the same device makes this fail with a
		 * unique violation: SC_TEMPFAIL, and the retry refreshes. */
		PQclear(res);
		db->racing_insert = true;
		res = pgb_run(db, UPSERT("INSERT INTO sessions (user_id, device_fingerprint, device_name,\n"
				     "      device_type, browser, ip_address, created_at, last_activity,\n"
				     "      is_active)\n"
				     "  VALUES ($1::bigint, $2::text, $4::text, $5::text, $6::text, $7::text,\n"
				     "      $3::timestamptz, $3::timestamptz, true)"),
			  12, params, PGRES_TUPLES_OK, "cannot create the session", err);
		db->racing_insert = false;
		if (!res)
			return -1;
		if (PQntuples(res) != 1) {
			PQclear(res);
			return pg_error(db, err, SC_SOFTWARE,
					"cannot create the session on '%s': unexpected result", db->display);
		}
	}
	pgb_read_session(db, res, 0, &s);
	rc = cb(&s, ctx);
	PQclear(res);
	return rc;
}

/* count_left's wait: for the locks of what was left (sessions of closes
 * and purges, users and their active sessions), a try of at most a
 * second (PG_LOCK_WAIT_SQL). Each row in the lock the batch would take,
 * and only that one: users, then sessions FOR NO KEY UPDATE, then the
 * purge's rows FOR UPDATE (the order of two runs' waits is the same). */
static int wait_left(struct pg_db *db, const char *const locking[3], struct sc_error *err)
{
	PGresult *res = pgb_run(db, "SELECT set_config('lock_timeout', " PG_LOCK_WAIT_SQL ", true)", 0,
				NULL, PGRES_TUPLES_OK, "cannot set lock_timeout", err);

	if (res) {
		PQclear(res);
		res = pgb_run(db, "SELECT 1 FROM users WHERE id = ANY($1::bigint[])\n"
			      "ORDER BY id FOR NO KEY UPDATE", 1, &locking[2], PGRES_TUPLES_OK,
			      "cannot lock users", err);
	}
	if (res) {
		PQclear(res);
		res = pgb_run(db, "SELECT 1 FROM sessions WHERE (id = ANY($1::bigint[])\n"
			      "   OR (user_id = ANY($3::bigint[]) AND is_active)) AND id <> ALL($2::bigint[])\n"
			      "ORDER BY id FOR NO KEY UPDATE", 3, locking, PGRES_TUPLES_OK,
			      "cannot lock sessions", err);
	}
	if (res && strcmp(locking[1], "{}") != 0) {
		/* A purge's DELETE takes FOR UPDATE, which a KEY SHARE holder
		 * (the foreign key check of an insert referencing the row)
		 * blocks and NO KEY UPDATE does not: lock those rows as the
		 * purge does, or a row the purge cannot take counts as free.
		 * Not FOR NO KEY UPDATE first (above): holding that beside the
		 * application's KEY SHARE while waiting to upgrade, an UPDATE of
		 * the row in the application's transaction (a login on that
		 * device) would wait for sessctl, which waits for it. */
		PQclear(res);
		res = pgb_run(db, "SELECT 1 FROM sessions WHERE id = ANY($1::bigint[])\n"
			      "ORDER BY id FOR UPDATE", 1, &locking[1], PGRES_TUPLES_OK,
			      "cannot lock sessions", err);
	}
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int pg_count_left(struct sc_db *base, const struct sc_ids *closes, const int64_t *idle_before,
		  const struct sc_ids *purges, const struct sc_ids *users, int64_t keep, bool wait,
		  int64_t *count, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char tbuf[TIME_PARAM_LEN], kbuf[INT64_PARAM_LEN];
	char *c = pgb_ids_array(closes->v, closes->n), *p = pgb_ids_array(purges->v, purges->n),
	     *u = pgb_ids_array(users->v, users->n);
	const char *params[5] = { c, idle_before ? pgb_time_param(*idle_before, tbuf) : NULL, p, u,
				  pgb_int64_param(keep, kbuf) };
	const char *locking[3] = { c, p, u };
	int rc;

	if (!c || !p || !u)
		rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	else if (wait && wait_left(db, locking, err) < 0)
		rc = -1;
	else
		rc = pgb_single_int64_as(db,
			"SELECT (SELECT count(*) FROM sessions WHERE id = ANY($1::bigint[]) AND is_active\n"
			"          AND ($2::timestamptz IS NULL OR last_activity < $2::timestamptz))\n"
			"     + (SELECT count(*) FROM sessions WHERE id = ANY($3::bigint[]) AND NOT is_active)\n"
			"     + (SELECT coalesce(sum(greatest(n - $5::bigint, 0)), 0)::bigint FROM (\n"
			"          SELECT count(*) AS n FROM sessions\n"
			"          WHERE user_id = ANY($4::bigint[]) AND is_active\n"
			"            AND ($2::timestamptz IS NULL OR last_activity IS NULL\n"
			"                 OR last_activity >= $2::timestamptz)\n"
			"          GROUP BY user_id) AS over)",
			5, params, count, 1, "cannot count the sessions left", err) ? -1 : 0;
	free(c);
	free(p);
	free(u);
	return rc;
}
