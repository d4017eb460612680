/* Shell completion candidates (the complete slot): index range walks,
 * bounded by a LIMIT, so that a Tab answers at once on a large table.
 * "Starts with p" is `>= p AND < p || char(0x10FFFF)`: in SQLite's BINARY
 * collation (byte order, which is code point order for UTF-8) that is
 * every string with the prefix, and unlike LIKE 'p%' (case-insensitive,
 * so no index without PRAGMA case_sensitive_like) it walks the index. */
#include "sqlite.h"

#include <string.h>

#define RANGE(col) col " >= ?1 AND " col " < ?1 || char(0x10FFFF)"

/* emails (unique index), then usernames (no index: a scan that stops at
 * the limit), then ids as text when the prefix could start one. */
static const char users_sql[] =
	"SELECT * FROM (SELECT email, 'user ' || id FROM users\n"
	"  WHERE " RANGE("email") " ORDER BY email LIMIT ?2)\n"
	"UNION ALL SELECT * FROM (SELECT username, 'user ' || id FROM users\n"
	"  WHERE " RANGE("username") " ORDER BY username, id LIMIT ?2)\n"
	"UNION ALL SELECT * FROM (SELECT CAST(id AS TEXT), 'user ' || coalesce(email, username, '')\n"
	"  FROM users WHERE ?3 AND " RANGE("CAST(id AS TEXT)") " ORDER BY id LIMIT ?2)";

static const char sessions_sql[] =
	"SELECT CAST(id AS TEXT), 'user ' || user_id || ', ' || coalesce(device_name, 'unknown device')\n"
	"FROM sessions WHERE is_active ORDER BY id DESC LIMIT ?2";

/* idx_user_active (user_id, is_active) holds the rowid: newest first
 * without a sort. */
static const char user_sessions_sql[] =
	"SELECT CAST(id AS TEXT), 'user ' || user_id || ', ' || coalesce(device_name, 'unknown device')\n"
	"FROM sessions WHERE user_id = ?3 AND is_active ORDER BY id DESC LIMIT ?2";

static const char fingerprints_sql[] =
	"SELECT device_fingerprint, coalesce(max(device_name), 'unknown device')\n"
	"FROM sessions WHERE user_id = ?3 AND is_active AND " RANGE("device_fingerprint") "\n"
	"GROUP BY device_fingerprint ORDER BY device_fingerprint LIMIT ?2";

static bool all_digits(const char *s)
{
	return strspn(s, "0123456789") == strlen(s) && strlen(s) < 20;
}

int sqlite_complete(struct sc_db *base, enum sc_complete_kind kind, const int64_t *user_id,
		    const char *prefix, int64_t limit, sc_candidate_cb cb, void *ctx,
		    struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	const char *sql;
	sqlite3_stmt *st;
	int rc;

	switch (kind) {
	case SC_COMPLETE_USERS: sql = users_sql; break;
	case SC_COMPLETE_SESSIONS: sql = user_id ? user_sessions_sql : sessions_sql; break;
	case SC_COMPLETE_FINGERPRINTS: sql = fingerprints_sql; break;
	default: return sc_error_set(err, SC_SOFTWARE, "unknown completion kind");
	}
	if (sq_prepare(db, sql, &st, err) < 0)
		return -1;
	if (sql != sessions_sql && sql != user_sessions_sql)
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, limit);
	if (kind == SC_COMPLETE_USERS)
		sqlite3_bind_int(st, 3, all_digits(prefix));
	else if (user_id)
		sqlite3_bind_int64(st, 3, *user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *value = sq_col_text(st, 0), *desc = sq_col_text(st, 1);
		if (!value)
			continue;
		if ((rc = cb(value, desc ? desc : "", ctx)) != 0) {
			sq_finalize(db, st);
			return rc;
		}
	}
	if (rc != SQLITE_DONE)
		sq_fail(db, rc, "cannot read completions", err);
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? 0 : -1;
}
