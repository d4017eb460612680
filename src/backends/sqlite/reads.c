#include "sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reads ---- */

/* A user_id (or an audit row's session_id) column: only an integer names
 * a user or session (WHERE user_id = ?1 finds no other, SQ_IS_USER);
 * NULL, text or a real is read as NULL. */
static void col_id(sqlite3_stmt *st, int col, int64_t *id, bool *null)
{
	*null = sqlite3_column_type(st, col) != SQLITE_INTEGER;
	*id = *null ? 0 : sqlite3_column_int64(st, col);
}

/* Reads a row selected with SESSION_COLUMNS. A time that is no time is
 * read as NULL (sq_col_time_soft): never fails. */
int sq_read_session(struct sqlite_db *db, sqlite3_stmt *st, struct sc_session *s,
			struct sc_error *err)
{
	(void)err;
	s->id = sqlite3_column_int64(st, 0);
	col_id(st, 1, &s->user_id, &s->user_id_null);
	s->device_fingerprint = sq_col_text(st, 2);
	s->device_name = sq_col_text(st, 3);
	s->device_type = sq_col_text(st, 4);
	s->browser = sq_col_text(st, 5);
	s->ip_address = sq_col_text(st, 6);
	/* As SQL tests it (WHERE is_active): a number other than 0, also
	 * 0.5 or 2^32, which sqlite3_column_int would make 0 (the low 32
	 * bits); text by its numeric prefix; NULL is false. */
	s->is_active = sqlite3_column_double(st, 9) != 0.0;
	sq_col_time_soft(db, st, 7, "sessions", s->id, &s->created_at, &s->created_at_null);
	sq_col_time_soft(db, st, 8, "sessions", s->id, &s->last_activity, &s->last_activity_null);
	return 0;
}

/* Steps st to the end, handing each session to cb; what names a failure
 * (a write's RETURNING fails as a write). */
int sq_stream_sessions_as(struct sqlite_db *db, sqlite3_stmt *st, sc_session_cb cb, void *ctx,
			  int64_t *count, const char *what, struct sc_error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_session s;
		int cbrc;
		if (sq_read_session(db, st, &s, err) < 0)
			return -1;
		if ((cbrc = cb(&s, ctx)) != 0)
			return cbrc;
		if (count)
			(*count)++;
	}
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, what, err);
}

int sq_stream_sessions(struct sqlite_db *db, sqlite3_stmt *st, sc_session_cb cb, void *ctx,
			   int64_t *count, struct sc_error *err)
{
	return sq_stream_sessions_as(db, st, cb, ctx, count, "cannot read sessions", err);
}

int sqlite_find_user(struct sc_db *base, const struct sc_userref *ref,
			    struct sc_user *user, struct sc_error *err)
{
	static const char *const sql[] = {
		/* the users row, or the id alone when only sessions name it */
		[SC_USER_BY_ID] = "SELECT id, email, username, role, 0 FROM users WHERE id = ?1\n"
				  "UNION ALL SELECT ?1, NULL, NULL, NULL, 1\n"
				  "WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?1)\n"
				  "  AND EXISTS (SELECT 1 FROM sessions WHERE user_id = ?1)",
		[SC_USER_BY_EMAIL] = "SELECT id, email, username, role, 0 FROM users WHERE email = ?1",
		[SC_USER_BY_NAME] = "SELECT id, email, username, role, 0 FROM users WHERE username = ?1 "
				    "ORDER BY id LIMIT 2",
	};
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc, result = 1;

	if (sq_prepare(db, sql[ref->kind], &st, err) < 0)
		return -1;
	if (ref->kind == SC_USER_BY_ID)
		sqlite3_bind_int64(st, 1, ref->id);
	else
		sqlite3_bind_text(st, 1, ref->text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *email = sq_col_text(st, 1), *name = sq_col_text(st, 2), *role = sq_col_text(st, 3);
		memset(user, 0, sizeof(*user));
		user->id = sqlite3_column_int64(st, 0);
		if ((email && !(user->email = strdup(email))) ||
		    (name && !(user->username = strdup(name))) ||
		    (role && !(user->role = strdup(role)))) {
			sc_user_free(user);
			sq_finalize(db, st);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
		result = sqlite3_column_int(st, 4) ? 3 : 0;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			sc_user_free(user);
			result = 2;
			rc = SQLITE_DONE;
		}
	}
	sq_finalize(db, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_fail(db, rc, "cannot read users", err);
	return result;
}

int sqlite_list_sessions(struct sc_db *base, const struct sc_list_request *req,
				sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db,
		    "SELECT " SESSION_COLUMNS " FROM sessions\n"
		    "WHERE user_id = ?1 AND (?2 OR is_active)\n"
		    "  AND (?3 IS NULL OR CAST(device_type AS TEXT) = ?3)\n"
		    "  AND (?4 IS NULL OR sessctl_time(last_activity) <= ?4)\n"
		    "ORDER BY sessctl_time(last_activity) DESC NULLS LAST, id DESC\n"
		    "LIMIT ?5", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, req->user_id);
	sqlite3_bind_int(st, 2, req->all);
	sq_bind_text_or_null(st, 3, req->device_type);
	if (req->has_idle_before)
		sq_bind_time_us(st, 4, req->idle_before);
	sqlite3_bind_int64(st, 5, req->limit > 0 ? req->limit : -1);
	rc = sq_stream_sessions(db, st, cb, ctx, NULL, err);
	sq_finalize(db, st);
	return rc;
}

int sqlite_get_session(struct sc_db *base, int64_t id, sc_session_cb cb, void *ctx,
			      struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	if (sq_prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_stream_sessions(db, st, cb, ctx, &n, err);
	sq_finalize(db, st);
	if (rc == 0 && n == 0)
		return sc_error_set(err, SC_NOINPUT, "no such session %lld", (long long)id);
	return rc;
}

int sq_single_int64(struct sqlite_db *db, sqlite3_stmt *st, int64_t *out, int ncols,
			struct sc_error *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		for (int i = 0; i < ncols; i++)
			out[i] = sqlite3_column_int64(st, i);
	sq_finalize(db, st);
	return rc == SQLITE_ROW ? 0 : sq_fail(db, rc, "cannot count sessions", err);
}

int sqlite_count_active(struct sc_db *base, int64_t user_id, int64_t *n,
			       struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;

	if (sq_prepare(db, "SELECT count(*) FROM sessions WHERE user_id = ?1 AND is_active", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	return sq_single_int64(db, st, n, 1, err);
}

int sqlite_totals(struct sc_db *base, struct sc_totals *t, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int64_t v[4];

	if (sq_prepare(db,
		    "SELECT (SELECT count(*) FROM users),\n"
		    "       count(DISTINCT CASE WHEN is_active AND " SQ_IS_USER " THEN user_id END),\n"
		    "       count(*),\n"
		    "       coalesce(sum(CASE WHEN is_active THEN 1 ELSE 0 END), 0)\n"
		    "FROM sessions", &st, err) < 0 ||
	    sq_single_int64(db, st, v, 4, err) < 0)
		return -1;
	t->users = v[0];
	t->users_active = v[1];
	t->sessions = v[2];
	t->active = v[3];
	t->inactive = v[2] - v[3];
	return 0;
}

int sqlite_count_by_user(struct sc_db *base, int64_t over, sc_user_count_cb cb, void *ctx,
				struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db,
		    "SELECT s.user_id, u.email, u.username, s.n\n"
		    "FROM (SELECT user_id, count(*) AS n FROM sessions\n"
		    "      WHERE is_active AND " SQ_IS_USER "\n"
		    "      GROUP BY user_id HAVING count(*) > ?1) AS s\n"
		    "LEFT JOIN users AS u ON u.id = s.user_id\n"
		    "ORDER BY s.n DESC, s.user_id", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, over);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_user_count c = {
			sqlite3_column_int64(st, 0), sq_col_text(st, 1), sq_col_text(st, 2),
			sqlite3_column_int64(st, 3),
		};
		int cbrc = cb(&c, ctx);
		if (cbrc) {
			sq_finalize(db, st);
			return cbrc;
		}
	}
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, "cannot count sessions", err);
}

int sqlite_id_bounds(struct sc_db *base, int64_t *max_session_id, int64_t *max_user_id,
			    struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int64_t v[2] = { 0, 0 };

	if (sq_prepare(db, "SELECT coalesce((SELECT max(id) FROM sessions), 0),\n"
			"       coalesce((SELECT max(user_id) FROM sessions), 0)", &st, err) < 0 ||
	    sq_single_int64(db, st, v, 2, err) < 0)
		return -1;
	*max_session_id = v[0];
	*max_user_id = v[1];
	return 0;
}

int sqlite_recent_sessions(struct sc_db *base, int64_t limit, sc_session_cb cb, void *ctx,
				  struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE is_active\n"
			"ORDER BY id DESC LIMIT ?1", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, limit);
	rc = sq_stream_sessions(db, st, cb, ctx, NULL, err);
	sq_finalize(db, st);
	return rc;
}

/* ---- history ---- */

/* Every filter in one statement: a condition whose parameter is NULL
 * holds for every row. */
#define HISTORY_WHERE \
	"WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR session_id = ?2)\n" \
	"  AND (?3 IS NULL OR sessctl_time(created_at) >= ?3)\n" \
	"  AND (?4 IS NULL OR sessctl_time(created_at) < ?4)\n" \
	"  AND (?5 IS NULL OR actor = ?5) AND (?6 IS NULL OR action = ?6)\n" \
	"  AND (?8 IS NULL OR email = ?8)\n"

static void bind_history(sqlite3_stmt *st, const struct sc_history_request *req)
{
	if (req->has_user)
		sqlite3_bind_int64(st, 1, req->user_id);
	if (req->has_session)
		sqlite3_bind_int64(st, 2, req->session_id);
	if (req->has_since)
		sqlite3_bind_int64(st, 3, req->since_us);
	if (req->has_until)
		sqlite3_bind_int64(st, 4, req->until_us);
	if (req->actor)
		sqlite3_bind_text(st, 5, req->actor, -1, SQLITE_STATIC);
	if (req->action)
		sqlite3_bind_text(st, 6, req->action, -1, SQLITE_STATIC);
	if (req->email) /* ?7 is the listing's limit */
		sqlite3_bind_text(st, 8, req->email, -1, SQLITE_STATIC);
}

/* How many rows req selects past the `shown` the limit let through. */
static int history_more(struct sqlite_db *db, const struct sc_history_request *req, int64_t shown,
			int64_t *more, struct sc_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT count(*) FROM sessctl_audit\n" HISTORY_WHERE, &st, err) < 0)
		return -1;
	bind_history(st, req);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*more = sqlite3_column_int64(st, 0) - shown;
	sq_finalize(db, st);
	if (rc != SQLITE_ROW)
		return sq_fail(db, rc, "cannot read the audit trail", err);
	if (*more < 0)
		*more = 0;
	return 0;
}

/* An audit row's times are shown, not relied on: one that is no time is
 * null and named once (as for sessions), and the listing stays whole. */
static int audit_times(struct sqlite_db *db, sqlite3_stmt *st, struct sc_audit *a,
		       struct sc_error *err)
{
	(void)err;
	sq_col_time_soft(db, st, 1, "sessctl_audit", a->id, &a->created_at, &a->created_at_null);
	sq_col_time_soft(db, st, 7, "sessctl_audit", a->id, &a->evaluated_at, &a->evaluated_at_null);
	return 0;
}

int sqlite_history(struct sc_db *base, const struct sc_history_request *req,
			  sc_audit_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int64_t shown = 0;
	int rc;

	if (sq_prepare(db,
		    "SELECT id, created_at, action, session_id, user_id, actor, reason,\n"
		    "       evaluated_at, email, device_name, ip_address, device_type\n"
		    "FROM sessctl_audit\n" HISTORY_WHERE
		    "ORDER BY sessctl_time(created_at) DESC, id DESC\n"
		    "LIMIT ?7", &st, err) < 0)
		return -1;
	bind_history(st, req);
	sqlite3_bind_int64(st, 7, req->limit > 0 ? req->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_audit a = {
			.id = sqlite3_column_int64(st, 0),
			.action = sq_col_text(st, 2),
			.actor = sq_col_text(st, 5),
			.reason = sq_col_text(st, 6),
			.email = sq_col_text(st, 8),
			.device_name = sq_col_text(st, 9),
			.ip_address = sq_col_text(st, 10),
			.device_type = sq_col_text(st, 11),
		};
		int cbrc;
		/* A session id that is not an integer (text, a real) is no
		 * session's, as a user id is no user's: null, not the number
		 * SQLite would make of it. */
		col_id(st, 3, &a.session_id, &a.session_id_null);
		col_id(st, 4, &a.user_id, &a.user_id_null);
		if (audit_times(db, st, &a, err) < 0) {
			sq_finalize(db, st);
			return -1;
		}
		shown++;
		if ((cbrc = cb(&a, ctx)) != 0) {
			sq_finalize(db, st);
			return cbrc;
		}
	}
	sq_finalize(db, st);
	if (rc != SQLITE_DONE)
		return sq_fail(db, rc, "cannot read the audit trail", err);
	if (req->more) {
		*req->more = 0;
		if (req->limit > 0 && shown == req->limit)
			return history_more(db, req, shown, req->more, err);
	}
	return 0;
}

/* ---- find ---- */

/* One statement for every filter: a condition whose parameter is NULL
 * holds for every row, and SQLite evaluates the rest only when it is
 * given. The rowid walk gives id order without a sort. A text column is
 * compared as text: a BLOB there (an application that bound bytes) is
 * shown as its text and must match as it shows, which a BLOB never
 * equals. */
#define FIND_SQL \
	"SELECT s.id, s.user_id, s.device_fingerprint, s.device_name, s.device_type,\n" \
	"       s.browser, s.ip_address, s.created_at, s.last_activity, s.is_active,\n" \
	"       CASE WHEN ?1 THEN (SELECT email FROM users WHERE id = s.user_id) END,\n" \
	"       CASE WHEN ?1 THEN (SELECT username FROM users WHERE id = s.user_id) END\n" \
	"FROM sessions AS s\n" \
	"WHERE (?2 IS NULL OR s.user_id IN (SELECT value FROM json_each(?2)))\n" \
	"  AND CASE ?3 WHEN 0 THEN s.is_active WHEN 1 THEN NOT coalesce(s.is_active, 0) ELSE 1 END\n" \
	"  AND (?4 IS NULL OR CAST(s.device_fingerprint AS TEXT) = ?4)\n" \
	"  AND (?5 IS NULL OR CAST(s.device_type AS TEXT) = ?5)\n" \
	"  AND (?6 IS NULL OR CAST(s.browser AS TEXT) = ?6)\n" \
	"  AND (NOT ?7 OR sessctl_ip_maybe(s.ip_address, ?8))\n" \
	"  AND (?9 IS NULL OR sessctl_time(s.last_activity) >= ?9)\n" \
	"  AND (?10 IS NULL OR sessctl_time(s.last_activity) < ?10)\n" \
	"  AND (?11 IS NULL OR sessctl_time(s.created_at) >= ?11)\n" \
	"  AND (?12 IS NULL OR sessctl_time(s.created_at) < ?12)\n" \
	"  AND (?13 IS NULL OR sessctl_time(s.last_activity) <= ?13)\n" \
	"  AND s.id >= ?15\n" \
	"ORDER BY s.id\n" \
	"LIMIT ?14"

/* A bound of the request, already in microseconds. */
static void bind_us_if(sqlite3_stmt *st, int i, bool has, int64_t us)
{
	if (has)
		sqlite3_bind_int64(st, i, us);
}

static int bind_find(struct sqlite_db *db, sqlite3_stmt *st, const struct sc_find_plan *plan,
		     struct sc_error *err)
{
	const struct sc_find_request *req = plan->req;

	sqlite3_bind_int(st, 1, req->with_user);
	if (plan->nusers && sq_bind_ids(db, st, 2, plan->user_ids, plan->nusers, err) < 0)
		return -1;
	sqlite3_bind_int(st, 3, req->state == SC_FIND_ACTIVE ? 0 : req->state == SC_FIND_INACTIVE ? 1 : 2);
	sq_bind_text_or_null(st, 4, req->fingerprint);
	sq_bind_text_or_null(st, 5, req->device_type);
	sq_bind_text_or_null(st, 6, req->browser);
	sqlite3_bind_int(st, 7, plan->ip_prefilter);
	sq_bind_text_or_null(st, 8, plan->ip_v4_prefix);
	bind_us_if(st, 9, req->has_seen_since, req->seen_since_us);
	bind_us_if(st, 10, req->has_seen_until, req->seen_until_us);
	bind_us_if(st, 11, req->has_created_since, req->created_since_us);
	bind_us_if(st, 12, req->has_created_until, req->created_until_us);
	if (req->has_idle_before)
		sq_bind_time_us(st, 13, req->idle_before);
	sqlite3_bind_int64(st, 14, plan->limit > 0 ? plan->limit : -1);
	sqlite3_bind_int64(st, 15, plan->from);
	return 0;
}

int sqlite_find_sessions(struct sc_db *base, const struct sc_find_plan *plan, sc_find_cb cb,
			 void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc, cbrc = 0;

	if (sq_prepare(db, FIND_SQL, &st, err) < 0)
		return -1;
	if (bind_find(db, st, plan, err) < 0) {
		sq_finalize(db, st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_find_row r;
		if (sq_read_session(db, st, &r.s, err) < 0) {
			sq_finalize(db, st);
			return -1;
		}
		r.email = sq_col_text(st, 10);
		r.username = sq_col_text(st, 11);
		if ((cbrc = cb(&r, ctx)) != 0)
			break;
	}
	sq_finalize(db, st);
	if (cbrc)
		return cbrc;
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, "cannot read sessions", err);
}
