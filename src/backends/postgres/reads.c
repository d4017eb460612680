#include "postgres.h"

#include "../../utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a row selected with SESSION_COLUMNS, or with SESSION_COLUMNS_BIN_OF
 * in a binary result. */
void pgb_read_session(struct pg_db *db, const PGresult *res, int row, struct sc_session *s)
{
	bool bin = PQfformat(res, 0) == 1;
	const char *active = PQgetvalue(res, row, 9);

	s->id = bin ? pgb_bin_int64(res, row, 0) : pgb_col_int64(res, row, 0);
	s->user_id_null = PQgetisnull(res, row, 1) != 0;
	s->user_id = bin ? pgb_bin_int64(res, row, 1) : pgb_col_int64(res, row, 1);
	s->device_fingerprint = pgb_col_text(res, row, 2);
	s->device_name = pgb_col_text(res, row, 3);
	s->device_type = pgb_col_text(res, row, 4);
	s->browser = pgb_col_text(res, row, 5);
	s->ip_address = pgb_col_text(res, row, 6);
	s->is_active = bin ? PQgetlength(res, row, 9) == 1 && active[0] == 1 : strcmp(active, "t") == 0;
	pgb_col_time_shown(db, res, row, 7, 10, "sessions", "created_at", s->id, &s->created_at,
			   &s->created_at_null);
	pgb_col_time_shown(db, res, row, 8, 11, "sessions", "last_activity", s->id,
			   &s->last_activity, &s->last_activity_null);
}

/* ---- reads ---- */


int pgb_session_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		       struct sc_error *err)
{
	struct session_stream *ss = vctx;
	struct sc_session s;

	(void)err;
	pgb_read_session(db, res, row, &s);
	return ss->cb(&s, ss->ctx);
}

int pg_find_user(struct sc_db *base, const struct sc_userref *ref, struct sc_user *user,
			struct sc_error *err)
{
	static const char *const sql[] = {
		/* the users row, or the id alone when only sessions name it */
		[SC_USER_BY_ID] = ("SELECT id, email, username, role, false FROM users WHERE id = $1::bigint\n"
				   "UNION ALL SELECT $1::bigint, NULL, NULL, NULL, true\n"
				   "WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = $1::bigint)\n"
				   "  AND EXISTS (SELECT 1 FROM sessions WHERE user_id = $1::bigint)"),
		[SC_USER_BY_EMAIL] = "SELECT id, email, username, role, false FROM users WHERE email = $1",
		[SC_USER_BY_NAME] = ("SELECT id, email, username, role, false FROM users WHERE username = $1\n"
				     "ORDER BY id LIMIT 2"),
	};
	struct pg_db *db = pgb_to_pg(base);
	char idbuf[INT64_PARAM_LEN];
	const char *param = ref->kind == SC_USER_BY_ID ? pgb_int64_param(ref->id, idbuf) : ref->text;
	PGresult *res;
	const char *email, *name, *role;
	int rows;

	/* A name that is not UTF-8 cannot be in a database the connection
	 * speaks UTF-8 to, and the server would refuse the parameter
	 * ("invalid byte sequence", 65) instead of finding no one, as SQLite
	 * does (67). */
	if (ref->kind != SC_USER_BY_ID && PQclientEncoding(db->conn) == pg_char_to_encoding("UTF8") &&
	    !sc_utf8_valid(ref->text))
		return 1;
	res = pgb_run(db, sql[ref->kind], 1, &param, PGRES_TUPLES_OK, "cannot read users", err);
	if (!res)
		return -1;
	rows = PQntuples(res);
	if (rows != 1) {
		PQclear(res);
		return rows == 0 ? 1 : 2;
	}
	email = pgb_col_text(res, 0, 1);
	name = pgb_col_text(res, 0, 2);
	role = pgb_col_text(res, 0, 3);
	memset(user, 0, sizeof(*user));
	user->id = pgb_col_int64(res, 0, 0);
	if ((email && !(user->email = strdup(email))) ||
	    (name && !(user->username = strdup(name))) ||
	    (role && !(user->role = strdup(role)))) {
		sc_user_free(user);
		PQclear(res);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	rows = *PQgetvalue(res, 0, 4) == 't' ? 3 : 0;
	PQclear(res);
	return rows;
}

int pg_list_sessions(struct sc_db *base, const struct sc_list_request *req,
			    sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char idbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN];
	struct session_stream ss = { cb, ctx };
	const char *params[5] = {
		pgb_int64_param(req->user_id, idbuf),
		req->all ? "t" : "f",
		req->device_type,
		req->has_idle_before ? pgb_time_param(req->idle_before, tbuf) : NULL,
		req->limit > 0 ? pgb_int64_param(req->limit, lbuf) : NULL,
	};

	return pgb_stream(db,
		"SELECT " SESSION_COLUMNS "\n"
		"FROM sessions\n"
		"WHERE user_id = $1::bigint AND ($2::boolean OR is_active)\n"
		"  AND ($3::text IS NULL OR device_type = $3::text)\n"
		"  AND ($4::timestamptz IS NULL OR last_activity <= $4::timestamptz)\n"
		"ORDER BY last_activity DESC NULLS LAST, id DESC\n"
		"LIMIT $5::bigint", 5, params, "cannot read sessions", pgb_session_row, &ss, err);
}

int pg_get_session(struct sc_db *base, int64_t id, sc_session_cb cb, void *ctx,
			  struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char idbuf[INT64_PARAM_LEN];
	const char *param = pgb_int64_param(id, idbuf);
	PGresult *res = pgb_run(db, "SELECT " SESSION_COLUMNS "\nFROM sessions WHERE id = $1::bigint",
			    1, &param, PGRES_TUPLES_OK, "cannot read sessions", err);
	struct sc_session s;
	int rc;

	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return sc_error_set(err, SC_NOINPUT, "no such session %lld", (long long)id);
	}
	pgb_read_session(db, res, 0, &s);
	rc = cb(&s, ctx);
	PQclear(res);
	return rc;
}

/* Runs a query that returns one row of ncols integers into out; what
 * names a failure ("cannot purge sessions"). */
int pgb_single_int64_as(struct pg_db *db, const char *sql, int nparams, const char *const *params,
			int64_t *out, int ncols, const char *what, struct sc_error *err)
{
	PGresult *res = pgb_run(db, sql, nparams, params, PGRES_TUPLES_OK, what, err);

	if (!res)
		return -1;
	if (PQntuples(res) != 1 || PQnfields(res) != ncols) {
		PQclear(res);
		return pg_error(db, err, SC_SOFTWARE, "%s on '%s': unexpected result", what, db->display);
	}
	for (int i = 0; i < ncols; i++)
		out[i] = pgb_col_int64(res, 0, i);
	PQclear(res);
	return 0;
}

int pgb_single_int64(struct pg_db *db, const char *sql, int nparams,
			const char *const *params, int64_t *out, int ncols, struct sc_error *err)
{
	return pgb_single_int64_as(db, sql, nparams, params, out, ncols, "cannot count sessions", err);
}

int pg_count_active(struct sc_db *base, int64_t user_id, int64_t *n, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char idbuf[INT64_PARAM_LEN];
	const char *param = pgb_int64_param(user_id, idbuf);

	return pgb_single_int64(db, "SELECT count(*) FROM sessions WHERE user_id = $1::bigint AND is_active",
			    1, &param, n, 1, err);
}

int pg_totals(struct sc_db *base, struct sc_totals *t, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	int64_t v[4];

	if (pgb_single_int64(db,
			 "SELECT (SELECT count(*) FROM users),\n"
			 "       count(DISTINCT user_id) FILTER (WHERE is_active),\n"
			 "       count(*),\n"
			 "       count(*) FILTER (WHERE is_active)\n"
			 "FROM sessions", 0, NULL, v, 4, err) < 0)
		return -1;
	t->users = v[0];
	t->users_active = v[1];
	t->sessions = v[2];
	t->active = v[3];
	t->inactive = v[2] - v[3];
	return 0;
}

struct count_stream {
	sc_user_count_cb cb;
	void *ctx;
};

int pgb_count_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err)
{
	struct count_stream *cs = vctx;
	struct sc_user_count c = {
		pgb_col_int64(res, row, 0), pgb_col_text(res, row, 1), pgb_col_text(res, row, 2),
		pgb_col_int64(res, row, 3),
	};

	(void)db;
	(void)err;
	return cs->cb(&c, cs->ctx);
}

int pg_count_by_user(struct sc_db *base, int64_t over, sc_user_count_cb cb, void *ctx,
			    struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char obuf[INT64_PARAM_LEN];
	const char *param = pgb_int64_param(over, obuf);
	struct count_stream cs = { cb, ctx };

	return pgb_stream(db,
		"SELECT s.user_id, u.email, u.username, s.n\n"
		"FROM (SELECT user_id, count(*) AS n FROM sessions\n"
		"      WHERE is_active AND user_id IS NOT NULL\n"
		"      GROUP BY user_id HAVING count(*) > $1::bigint) AS s\n"
		"LEFT JOIN users AS u ON u.id = s.user_id\n"
		"ORDER BY s.n DESC, s.user_id", 1, &param, "cannot count sessions", pgb_count_row, &cs,
		err);
}

int pg_id_bounds(struct sc_db *base, int64_t *max_session_id, int64_t *max_user_id,
			struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	int64_t v[2];

	if (pgb_single_int64(db, "SELECT coalesce((SELECT max(id) FROM sessions), 0)::bigint,\n"
			     "       coalesce((SELECT max(user_id) FROM sessions), 0)::bigint",
			 0, NULL, v, 2, err) < 0)
		return -1;
	*max_session_id = v[0];
	*max_user_id = v[1];
	return 0;
}

int pg_recent_sessions(struct sc_db *base, int64_t limit, sc_session_cb cb, void *ctx,
			      struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char lbuf[INT64_PARAM_LEN];
	const char *param = pgb_int64_param(limit, lbuf);
	struct session_stream ss = { cb, ctx };

	return pgb_stream(db,
		"SELECT " SESSION_COLUMNS "\n"
		"FROM sessions WHERE is_active\n"
		"ORDER BY id DESC LIMIT $1::bigint", 1, &param,
		"cannot read sessions", pgb_session_row, &ss, err);
}

/* ---- history ---- */

struct audit_stream {
	sc_audit_cb cb;
	void *ctx;
	int64_t shown;
};

int pgb_audit_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
		     struct sc_error *err)
{
	struct audit_stream *as = vctx;
	struct sc_audit a = {
		.id = pgb_col_int64(res, row, 0),
		.action = pgb_col_text(res, row, 2),
		.session_id_null = PQgetisnull(res, row, 3) != 0,
		.session_id = pgb_col_int64(res, row, 3),
		.user_id_null = PQgetisnull(res, row, 4) != 0,
		.user_id = pgb_col_int64(res, row, 4),
		.actor = pgb_col_text(res, row, 5),
		.reason = pgb_col_text(res, row, 6),
		.email = pgb_col_text(res, row, 8),
		.device_name = pgb_col_text(res, row, 9),
		.ip_address = pgb_col_text(res, row, 10),
		.device_type = pgb_col_text(res, row, 11),
	};
	(void)db;
	(void)err;
	pgb_col_time(res, row, 1, &a.created_at, &a.created_at_null);
	pgb_col_time(res, row, 7, &a.evaluated_at, &a.evaluated_at_null);
	as->shown++;
	return as->cb(&a, as->ctx);
}

/* Every filter in one statement: a condition whose parameter is NULL
 * holds for every row. An unnamed statement is planned with its
 * parameters' values, so the NULL tests fold away and the user's index
 * serves. */
#define HISTORY_WHERE \
	"WHERE ($1::bigint IS NULL OR user_id = $1::bigint)\n" \
	"  AND ($2::bigint IS NULL OR session_id = $2::bigint)\n" \
	"  AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz)\n" \
	"  AND ($4::timestamptz IS NULL OR created_at < $4::timestamptz)\n" \
	"  AND ($5::text IS NULL OR actor = $5::text)\n" \
	"  AND ($6::text IS NULL OR action = $6::text)\n" \
	"  AND ($7::text IS NULL OR email = $7::text)\n"

int pg_history(struct sc_db *base, const struct sc_history_request *req,
		      sc_audit_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char ubuf[INT64_PARAM_LEN], sbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN],
		tubuf[TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN];
	struct audit_stream as = { cb, ctx, 0 };
	const char *params[8] = {
		req->has_user ? pgb_int64_param(req->user_id, ubuf) : NULL,
		req->has_session ? pgb_int64_param(req->session_id, sbuf) : NULL,
		req->has_since ? pgb_time_us_param(req->since_us, tbuf) : NULL,
		req->has_until ? pgb_time_us_param(req->until_us, tubuf) : NULL,
		req->actor,
		req->action,
		req->email,
		req->limit > 0 ? pgb_int64_param(req->limit, lbuf) : NULL,
	};
	PGresult *res;
	int rc;

	rc = pgb_stream(db,
		"SELECT id, floor(extract(epoch FROM created_at))::bigint, action, session_id,\n"
		"       user_id, actor, reason, floor(extract(epoch FROM evaluated_at))::bigint,\n"
		"       email, device_name, ip_address, device_type\n"
		"FROM sessctl_audit\n" HISTORY_WHERE
		"ORDER BY created_at DESC, id DESC\n"
		"LIMIT $8::bigint", 8, params, "cannot read the audit trail", pgb_audit_row, &as, err);
	if (rc != 0 || !req->more)
		return rc;
	*req->more = 0;
	if (req->limit <= 0 || as.shown < req->limit)
		return 0;
	/* The limit cut the list: how many more are there? */
	res = pgb_run(db, "SELECT count(*) FROM sessctl_audit\n" HISTORY_WHERE, 7, params,
		      PGRES_TUPLES_OK, "cannot read the audit trail", err);
	if (!res)
		return -1;
	if (PQntuples(res) == 1 && pgb_col_int64(res, 0, 0) > as.shown)
		*req->more = pgb_col_int64(res, 0, 0) - as.shown;
	PQclear(res);
	return 0;
}

/* ---- find ---- */

/* Rows come through a cursor in batches, so memory stays flat and a
 * reader that stops early (a limit after the address filter, a closed
 * pipe) costs at most the one batch asked for ahead: the cursor is
 * closed, or the transaction rolled back, without reading the rest. A
 * condition whose parameter is NULL holds for every row; the unnamed
 * statement is planned with the parameters' values, so those conditions
 * fold away. The rows come in binary (the FETCHes ask for it; BINARY in
 * the DECLARE says the same to a reader of the log): the server sends
 * ids, times and flags as stored instead of printing them for sessctl
 * to parse back (13 % of a large export's time: README, Performance);
 * the join to users is there only when the output shows a user's email
 * or name. */
#define FIND_CURSOR "sessctl_find"
#define FIND_BATCH 1000
#define FIND_STR_(x) #x
#define FIND_STR(x) FIND_STR_(x)

#define FIND_SQL(user_columns, user_join)                                              \
	"DECLARE " FIND_CURSOR " BINARY NO SCROLL CURSOR FOR\n"                          \
	"SELECT " SESSION_COLUMNS_BIN_OF("s.") user_columns "\n"                          \
	"FROM sessions AS s\n"                                                           \
	user_join                                                                        \
	"WHERE ($1::boolean OR true)\n"                                                  \
	"  AND ($2::bigint[] IS NULL OR s.user_id = ANY($2::bigint[]))\n"                \
	"  AND CASE $3::integer WHEN 0 THEN s.is_active\n"                               \
	"      WHEN 1 THEN s.is_active IS NOT TRUE ELSE true END\n"                      \
	"  AND ($4::text IS NULL OR s.device_fingerprint = $4::text)\n"                  \
	"  AND ($5::text IS NULL OR s.device_type = $5::text)\n"                         \
	"  AND ($6::text IS NULL OR s.browser = $6::text)\n"                             \
	"  AND (NOT $7::boolean OR strpos(s.ip_address, ':') > 0\n"                      \
	"       OR left(s.ip_address, length($8::text)) = $8::text\n"                    \
	"       OR ($8::text IS NOT NULL AND s.ip_address ~ '[^0-9.]|(^|[.])0[0-9]'))\n"   \
	"  AND ($9::timestamptz IS NULL OR s.last_activity >= $9::timestamptz)\n"        \
	"  AND ($10::timestamptz IS NULL OR s.last_activity < $10::timestamptz)\n"       \
	"  AND ($11::timestamptz IS NULL OR s.created_at >= $11::timestamptz)\n"         \
	"  AND ($12::timestamptz IS NULL OR s.created_at < $12::timestamptz)\n"          \
	"  AND ($13::timestamptz IS NULL OR s.last_activity <= $13::timestamptz)\n"      \
	"  AND s.id >= $15::bigint\n"                                                    \
	"ORDER BY s.id\n"                                                                \
	"LIMIT $14::bigint"

/* Both forms take the same parameters; without the join, $1 is only
 * named (every parameter needs a type), in a condition the planner folds. */
static const char find_sql[] = FIND_SQL("", "");
static const char find_user_sql[] = FIND_SQL(",\n       u.email::text, u.username::text",
	"LEFT JOIN LATERAL (SELECT email, username FROM users\n"
	"                   WHERE $1::boolean AND id = s.user_id) AS u ON true\n");

/* Hands the rows of one FETCH to cb: 0 to go on, or cb's value. */
static int find_batch(struct pg_db *db, const PGresult *res, sc_find_cb cb, void *ctx)
{
	bool user = PQnfields(res) > SESSION_NCOLUMNS + 1; /* find_user_sql's columns */

	for (int i = 0; i < PQntuples(res); i++) {
		struct sc_find_row r;
		int rc;
		pgb_read_session(db, res, i, &r.s);
		r.email = user ? pgb_col_text(res, i, SESSION_NCOLUMNS) : NULL;
		r.username = user ? pgb_col_text(res, i, SESSION_NCOLUMNS + 1) : NULL;
		if ((rc = cb(&r, ctx)) != 0)
			return rc;
	}
	return 0;
}

static const char fetch_sql[] = "FETCH FORWARD " FIND_STR(FIND_BATCH) " FROM " FIND_CURSOR;

/* The FETCHes run pipelined, one queued ahead of the batch being written
 * out, so the server reads the next batch while sessctl formats this
 * one: a FETCH at a time, each waited for, left both sides idle half
 * the time (README, Performance). Each is followed by a flush request,
 * so its rows come at once; one sync point ends the pipeline. Pipeline
 * mode needs libpq 14 or later. A FETCH is counted in *queued as soon
 * as it is sent, so that end_pipeline reads its result whatever fails
 * after. */
static int queue_fetch(struct pg_db *db, int *queued, struct sc_error *err)
{
	if (!PQsendQueryParams(db->conn, fetch_sql, 0, NULL, NULL, NULL, NULL, 1))
		return pgb_fail_result(db, NULL, "cannot read sessions", err);
	(*queued)++;
	if (!PQsendFlushRequest(db->conn) || PQflush(db->conn) != 0)
		return pgb_fail_result(db, NULL, "cannot read sessions", err);
	return 0;
}

/* The result of the oldest queued FETCH, and the NULL that ends it. */
static PGresult *queued_result(struct pg_db *db)
{
	PGresult *res = PQgetResult(db->conn), *end;

	while ((end = PQgetResult(db->conn)))
		PQclear(end);
	return res;
}

/* Reads the FETCHes still queued and the sync point, and leaves pipeline
 * mode, so the connection is ready for the next statement (the CLOSE, or
 * the rollback after a failure). A queued FETCH that failed (the reader
 * had had enough, but the transaction is now aborted) is the error told,
 * unless err is NULL (an error is set already). */
static int end_pipeline(struct pg_db *db, int queued, struct sc_error *err)
{
	int rc = 0, nulls = 0;
	bool synced = false;

	if (!PQpipelineSync(db->conn))
		rc = pgb_fail_result(db, NULL, "cannot read sessions", err);
	while (queued-- > 0 && PQstatus(db->conn) == CONNECTION_OK) {
		PGresult *res = queued_result(db);
		ExecStatusType st = PQresultStatus(res);
		if (rc == 0 && err && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED)
			rc = pgb_fail_result(db, res, "cannot read sessions", err);
		PQclear(res);
	}
	/* The sync point's result (a NULL or two before it at most: more
	 * would mean nothing is coming). */
	while (rc == 0 && !synced && nulls < 3 && PQstatus(db->conn) == CONNECTION_OK) {
		PGresult *res = PQgetResult(db->conn);
		if (!res) {
			nulls++;
			continue;
		}
		synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
		PQclear(res);
	}
	if (rc == 0 && !synced)
		rc = pgb_fail_result(db, NULL, "cannot read sessions", err);
	if (!PQexitPipelineMode(db->conn) && rc == 0)
		rc = pgb_fail_result(db, NULL, "cannot read sessions", err);
	return rc;
}

static int fetch_all(struct pg_db *db, sc_find_cb cb, void *ctx, struct sc_error *err)
{
	int queued = 0, rc;

	if (!PQenterPipelineMode(db->conn))
		return pgb_fail_result(db, NULL, "cannot read sessions", err);
	rc = queue_fetch(db, &queued, err);
	while (rc == 0 && queued > 0) {
		PGresult *res = queued_result(db);
		queued--;
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = pgb_fail_result(db, res, "cannot read sessions", err);
			PQclear(res);
			break;
		}
		/* The next batch is asked for before this one is written out;
		 * a short batch was the last. */
		if (PQntuples(res) == FIND_BATCH)
			rc = queue_fetch(db, &queued, err);
		if (rc == 0)
			rc = find_batch(db, res, cb, ctx);
		PQclear(res);
	}
	if (end_pipeline(db, queued, rc < 0 ? NULL : err) < 0 && rc >= 0)
		rc = -1;
	return rc;
}

int pg_find_sessions(struct sc_db *base, const struct sc_find_plan *plan, sc_find_cb cb,
		     void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	const struct sc_find_request *req = plan->req;
	char t[5][TIME_PARAM_LEN], lbuf[INT64_PARAM_LEN], abuf[INT64_PARAM_LEN];
	char *ids = NULL;
	PGresult *res;
	int rc;

	if (plan->nusers && !(ids = pgb_ids_array(plan->user_ids, plan->nusers)))
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	const char *params[15] = {
		req->with_user ? "t" : "f",
		ids,
		req->state == SC_FIND_ACTIVE ? "0" : req->state == SC_FIND_INACTIVE ? "1" : "2",
		req->fingerprint,
		req->device_type,
		req->browser,
		plan->ip_prefilter ? "t" : "f",
		plan->ip_v4_prefix,
		req->has_seen_since ? pgb_time_us_param(req->seen_since_us, t[0]) : NULL,
		req->has_seen_until ? pgb_time_us_param(req->seen_until_us, t[1]) : NULL,
		req->has_created_since ? pgb_time_us_param(req->created_since_us, t[2]) : NULL,
		req->has_created_until ? pgb_time_us_param(req->created_until_us, t[3]) : NULL,
		req->has_idle_before ? pgb_time_param(req->idle_before, t[4]) : NULL,
		plan->limit > 0 ? pgb_int64_param(plan->limit, lbuf) : NULL,
		pgb_int64_param(plan->from, abuf),
	};
	res = pgb_run(db, req->with_user ? find_user_sql : find_sql, 15, params, PGRES_COMMAND_OK,
		     "cannot read sessions", err);
	free(ids);
	if (!res)
		return -1;
	PQclear(res);
	rc = fetch_all(db, cb, ctx, err);
	/* A failure rolls the transaction (and the cursor) back; a reader
	 * that had enough leaves the transaction to commit. */
	if (rc >= 0 && pgb_run_command(db, "CLOSE " FIND_CURSOR, "cannot read sessions", err) < 0)
		return -1;
	return rc;
}
