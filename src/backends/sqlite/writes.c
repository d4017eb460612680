#include "sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writes ---- */

/* Ids travel as one JSON array bound to one parameter and are expanded
 * with json_each(): one statement whatever their number. */
char *sq_ids_json(const int64_t *ids, size_t n)
{
	size_t cap = n * 21 + 3, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
	s[len++] = ']';
	s[len] = '\0';
	return s;
}

int sq_bind_ids(struct sqlite_db *db, sqlite3_stmt *st, int i, const int64_t *ids, size_t n,
		    struct sc_error *err)
{
	char *json = sq_ids_json(ids, n);
	(void)db;
	if (!json)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	sqlite3_bind_text(st, i, json, -1, free);
	return 0;
}

int sq_step_done(struct sqlite_db *db, sqlite3_stmt *st, const char *what, struct sc_error *err)
{
	int rc = sqlite3_step(st);
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, what, err);
}

/* Steps st, appending its first column to out and, unless second is
 * NULL, its second to second; finalizes it. */
int sq_collect_pairs(struct sqlite_db *db, sqlite3_stmt *st, struct sc_ids *out,
		     struct sc_ids *second, struct sc_error *err)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sc_ids_push(out, sqlite3_column_int64(st, 0)) < 0 ||
		    (second && sc_ids_push(second, sqlite3_column_int64(st, 1)) < 0)) {
			sq_finalize(db, st);
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		}
	}
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, "cannot select sessions", err);
}

int sq_collect_ids(struct sqlite_db *db, sqlite3_stmt *st, struct sc_ids *out,
		   struct sc_error *err)
{
	return sq_collect_pairs(db, st, out, NULL, err);
}


int sqlite_sessions_by_ids(struct sc_db *base, const int64_t *ids, size_t n,
				  sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions\n"
			"WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id", &st, err) < 0)
		return -1;
	if (sq_bind_ids(db, st, 1, ids, n, err) < 0) {
		sq_finalize(db, st);
		return -1;
	}
	rc = sq_stream_sessions(db, st, cb, ctx, NULL, err);
	sq_finalize(db, st);
	return rc;
}

/* Writes the audit rows of the sessions a change is about to make (of):
 * the active (or inactive) sessions among ids, or the active sessions of
 * the users in ids but those in except. Before they change, each with
 * its snapshot: the user's email, the session's device and address as
 * they are now. Inside the write transaction (SQLite's lock is held), so
 * the close or purge that follows changes exactly these rows. */
int sq_audit_ids(struct sqlite_db *db, enum sq_audit_of of, const int64_t *ids, size_t n,
		 const int64_t *except, size_t nexcept, const struct sc_change *ch,
		 struct sc_error *err)
{
#define AUDIT_IDS(where) \
	"INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at,\n" \
	"    evaluated_at, email, device_name, ip_address, device_type)\n" \
	"SELECT s.id, s.user_id, ?2, ?3, ?4, ?5, ?7,\n" \
	"    (SELECT u.email FROM users u WHERE u.id = s.user_id),\n" \
	"    s.device_name, s.ip_address, s.device_type\n" \
	"FROM sessions s\n" \
	"WHERE " where " ORDER BY s.id"
	static const char *const sql[] = {
		[SQ_AUDIT_ACTIVE] = AUDIT_IDS("s.id IN (SELECT value FROM json_each(?1)) AND s.is_active\n"
					      "  AND (?6 IS NULL OR sessctl_time(s.last_activity) < ?6)"),
		[SQ_AUDIT_INACTIVE] = AUDIT_IDS("s.id IN (SELECT value FROM json_each(?1)) AND NOT s.is_active"),
		[SQ_AUDIT_USERS] = AUDIT_IDS("s.user_id IN (SELECT value FROM json_each(?1)) AND s.is_active\n"
					     "  AND s.id NOT IN (SELECT value FROM json_each(?8))"),
	};
#undef AUDIT_IDS
	sqlite3_stmt *st;

	if (!ch->audit)
		return 0;
	if (sq_prepare(db, sql[of], &st, err) < 0)
		return -1;
	if (sq_bind_ids(db, st, 1, ids, n, err) < 0 ||
	    (of == SQ_AUDIT_USERS && sq_bind_ids(db, st, 8, except, nexcept, err) < 0)) {
		sq_finalize(db, st);
		return -1;
	}
	sqlite3_bind_text(st, 2, ch->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ch->actor, -1, SQLITE_STATIC);
	sq_bind_text_or_null(st, 4, ch->reason);
	sq_bind_time(st, 5, ch->recorded_at);
	if (of == SQ_AUDIT_ACTIVE && ch->has_idle_before)
		sq_bind_time_us(st, 6, ch->idle_before);
	sq_bind_time(st, 7, ch->now);
	return sq_step_done(db, st, "cannot write the audit trail", err);
}

/* Runs a change of the sessions among ids (?1; ?2 the idle cutoff, where
 * the statement has it; with except_ids, ?3 the ids in except). With cb,
 * the statement returns the changed rows for cb; without, plain changes
 * only counts. */
int sq_change_ids(struct sqlite_db *db, const char *returning, const char *plain,
		  const int64_t *ids, size_t n, bool except_ids, const int64_t *except,
		  size_t nexcept, const struct sc_change *ch, sc_session_cb cb, void *ctx,
		  struct sc_error *err)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	int rc;

	if (sq_prepare(db, cb ? returning : plain, &st, err) < 0)
		return -1;
	if (sq_bind_ids(db, st, 1, ids, n, err) < 0 ||
	    (except_ids && sq_bind_ids(db, st, 3, except, nexcept, err) < 0)) {
		sq_finalize(db, st);
		return -1;
	}
	if (ch->has_idle_before && sqlite3_bind_parameter_count(st) >= 2)
		sq_bind_time_us(st, 2, ch->idle_before);
	if (cb) {
		rc = sq_stream_sessions_as(db, st, cb, ctx, &count, "cannot close sessions", err);
		sq_finalize(db, st);
		return rc ? -1 : (int)count;
	}
	rc = sqlite3_step(st);
	sq_finalize(db, st);
	if (rc != SQLITE_DONE)
		return sq_fail(db, rc, "cannot change sessions", err);
	return sqlite3_changes(db->conn);
}

#define CLOSE_SQL \
	"UPDATE sessions SET is_active = 0\n" \
	"WHERE id IN (SELECT value FROM json_each(?1)) AND is_active\n" \
	"  AND (?2 IS NULL OR sessctl_time(last_activity) < ?2)"
#define CLOSE_USERS_SQL \
	"UPDATE sessions SET is_active = 0\n" \
	"WHERE user_id IN (SELECT value FROM json_each(?1)) AND is_active\n" \
	"  AND id NOT IN (SELECT value FROM json_each(?3))"
#define PURGE_SQL \
	"DELETE FROM sessions\n" \
	"WHERE id IN (SELECT value FROM json_each(?1)) AND NOT is_active"

int sqlite_close_sessions(struct sc_db *base, const int64_t *ids, size_t n,
				 const struct sc_change *ch, sc_session_cb cb, void *ctx,
				 struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);

	if (sq_audit_ids(db, SQ_AUDIT_ACTIVE, ids, n, NULL, 0, ch, err) < 0)
		return -1;
	return sq_change_ids(db, CLOSE_SQL "\nRETURNING " SESSION_COLUMNS, CLOSE_SQL, ids, n, false, NULL,
			     0, ch, cb, ctx, err);
}

int sqlite_close_users_sessions(struct sc_db *base, const int64_t *except, size_t nexcept,
				const struct sc_change *ch, sc_session_cb cb, void *ctx,
				struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);

	if (!ch->users || !ch->nusers || ch->has_idle_before)
		return sc_error_set(err, SC_SOFTWARE, "closing the sessions of no user, or by idleness");
	if (sq_audit_ids(db, SQ_AUDIT_USERS, ch->users, ch->nusers, except, nexcept, ch, err) < 0)
		return -1;
	return sq_change_ids(db, CLOSE_USERS_SQL "\nRETURNING " SESSION_COLUMNS, CLOSE_USERS_SQL,
			     ch->users, ch->nusers, true, except, nexcept, ch, cb, ctx, err);
}

int sqlite_purge_sessions(struct sc_db *base, const int64_t *ids, size_t n,
				 const struct sc_change *ch, sc_session_cb cb, void *ctx,
				 struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);

	if (sq_audit_ids(db, SQ_AUDIT_INACTIVE, ids, n, NULL, 0, ch, err) < 0)
		return -1;
	return sq_change_ids(db, PURGE_SQL "\nRETURNING " SESSION_COLUMNS, PURGE_SQL, ids, n, false, NULL,
			     0, ch, cb, ctx, err);
}

/* Active (or inactive) sessions idle since before cutoff, walked in id
 * order from `from`: a rowid range scan (or the user's index), and
 * sessctl_time() compares exactly whatever form the time was written in. */
int sqlite_candidates(struct sc_db *base, bool active, int64_t cutoff, const int64_t *user_id,
		      int64_t from, int64_t limit, struct sc_ids *out, struct sc_error *err)
{
#define CANDIDATES(state, user) \
	"SELECT id FROM sessions\n" \
	"WHERE " state " AND id >= ?1 AND sessctl_time(last_activity) < ?2" user "\n" \
	"ORDER BY id LIMIT ?4"
	static const char *const sql[2][2] = {
		{ CANDIDATES("NOT is_active", ""), CANDIDATES("NOT is_active", " AND user_id = ?3") },
		{ CANDIDATES("is_active", ""), CANDIDATES("is_active", " AND user_id = ?3") },
	};
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;

	/* an incremental purge with few rows due: through the index */
	if (!active && !user_id) {
		int rc = sq_purge_candidates(db, cutoff, from, limit, out, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (sq_prepare(db, sql[active][user_id != NULL], &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sq_bind_time_us(st, 2, cutoff);
	if (user_id)
		sqlite3_bind_int64(st, 3, *user_id);
	sqlite3_bind_int64(st, 4, limit);
	return sq_collect_ids(db, st, out, err);
}



int sqlite_over_limit_candidates(struct sc_db *base, const int64_t *user_ids, size_t n,
					int64_t keep, struct sc_ids *out, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;

	if (sq_prepare(db,
		    "SELECT id FROM (\n"
		    "  SELECT id, row_number() OVER (PARTITION BY user_id\n"
		    "      ORDER BY sessctl_time(last_activity) DESC NULLS LAST, id DESC) AS rank\n"
		    "  FROM sessions\n"
		    "  WHERE is_active AND user_id IN (SELECT value FROM json_each(?1)))\n"
		    "WHERE rank > ?2 ORDER BY id", &st, err) < 0)
		return -1;
	if (sq_bind_ids(db, st, 1, user_ids, n, err) < 0) {
		sq_finalize(db, st);
		return -1;
	}
	sqlite3_bind_int64(st, 2, keep);
	return sq_collect_ids(db, st, out, err);
}


int sq_on_found_session(const struct sc_session *s, void *vctx)
{
	struct found_session *f = vctx;
	sc_session_release(&f->s); /* a caller reading several keeps the last */
	f->found = true;
	if (sc_session_copy(s, &f->s) < 0)
		f->oom = true;
	return 0;
}

void sq_found_free(struct found_session *f)
{
	sc_session_release(&f->s);
}

int sqlite_upsert_session(struct sc_db *base, const struct sc_new_session *ns,
				 const struct sc_change *ch, bool *created,
				 sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	struct found_session f = { 0 };
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions\n"
			"WHERE user_id = ?1 AND CAST(device_fingerprint AS TEXT) = ?2\n"
			/* Two rows when one holds the bytes as a blob (the
			 * unique index tells them apart): the text one, which
			 * the application's own lookup finds. */
			"ORDER BY typeof(device_fingerprint) <> 'text', id LIMIT 1", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, ns->user_id);
	sqlite3_bind_text(st, 2, ns->device_fingerprint, -1, SQLITE_STATIC);
	rc = sq_stream_sessions(db, st, sq_on_found_session, &f, NULL, err);
	sq_finalize(db, st);
	if (rc == 0 && f.oom)
		rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (rc != 0) {
		sq_found_free(&f);
		return rc;
	}
	*created = !f.found;

	if (f.found) {
		rc = sq_prepare(db,
			     "UPDATE sessions SET last_activity = ?2, is_active = 1,\n"
			     "    device_name = coalesce(?3, device_name),\n"
			     "    device_type = coalesce(?4, device_type),\n"
			     "    browser = coalesce(?5, browser),\n"
			     "    ip_address = coalesce(?6, ip_address)\n"
			     "WHERE id = ?1\n"
			     "RETURNING " SESSION_COLUMNS, &st, err);
		if (rc == 0)
			sqlite3_bind_int64(st, 1, f.s.id);
	} else {
		rc = sq_prepare(db,
			     "INSERT INTO sessions (user_id, created_at, last_activity, device_name,\n"
			     "    device_type, browser, ip_address, device_fingerprint, is_active)\n"
			     "VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, 1)\n"
			     "RETURNING " SESSION_COLUMNS, &st, err);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, ns->user_id);
			sqlite3_bind_text(st, 7, ns->device_fingerprint, -1, SQLITE_STATIC);
		}
	}
	sq_found_free(&f);
	if (rc < 0)
		return -1;
	sq_bind_time(st, 2, ch->now);
	sq_bind_text_or_null(st, 3, ns->device_name);
	sq_bind_text_or_null(st, 4, ns->device_type);
	sq_bind_text_or_null(st, 5, ns->browser);
	sq_bind_text_or_null(st, 6, ns->ip_address);

	struct found_session row = { 0 };
	rc = sq_stream_sessions_as(db, st, sq_on_found_session, &row, NULL, "cannot create the session",
				   err);
	sq_finalize(db, st);
	if (rc == 0 && row.oom)
		rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (rc == 0 && ch->audit) {
		/* The snapshot is the session as the change left it. */
		rc = sq_prepare(db,
			     "INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at,\n"
			     "    evaluated_at, email, device_name, ip_address, device_type)\n"
			     "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7,\n"
			     "    (SELECT email FROM users WHERE id = ?2), ?8, ?9, ?10", &st, err);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, row.s.id);
			sqlite3_bind_int64(st, 2, row.s.user_id);
			sqlite3_bind_text(st, 3, ch->action, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, ch->actor, -1, SQLITE_STATIC);
			sq_bind_text_or_null(st, 5, ch->reason);
			sq_bind_time(st, 6, ch->recorded_at);
			sq_bind_time(st, 7, ch->now);
			sq_bind_text_or_null(st, 8, row.s.device_name);
			sq_bind_text_or_null(st, 9, row.s.ip_address);
			sq_bind_text_or_null(st, 10, row.s.device_type);
			rc = sq_step_done(db, st, "cannot write the audit trail", err);
		}
	}
	if (rc == 0)
		rc = cb(&row.s, ctx);
	sq_found_free(&row);
	return rc;
}
