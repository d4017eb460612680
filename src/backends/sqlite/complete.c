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

/* history --session: the sessions the newest audit entries name, closed
 * ones too. A walk down the primary key (or idx_sessctl_audit_user
 * (user_id, id) for one user) of the newest AUDIT_WALK entries, then
 * deduped: bounded on a trail of millions, where a GROUP BY of the whole
 * table is not. A session has a few entries (create, logout), so that
 * is about the 200 candidates. max(id) makes the bare user_id and action
 * those of the session's newest entry (SQLite's rule for a bare column
 * with max()). A session_id or user_id that is no integer is none, as
 * history shows it. */
#define AUDIT_WALK "2000"
#define AUDITED_SQL(WHERE) \
	"SELECT CAST(session_id AS TEXT),\n" \
	"  CASE typeof(user_id) WHEN 'integer' THEN 'user ' || user_id ELSE 'no user' END\n" \
	"  || ', ' || action, max(id)\n" \
	"FROM (SELECT id, session_id, user_id, action FROM sessctl_audit\n" \
	"  " WHERE " ORDER BY id DESC LIMIT " AUDIT_WALK ")\n" \
	"WHERE typeof(session_id) = 'integer'\n" \
	"GROUP BY session_id ORDER BY max(id) DESC LIMIT ?2"

static const char audited_sql[] = AUDITED_SQL("");
static const char user_audited_sql[] = AUDITED_SQL("WHERE user_id = ?3");

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
	case SC_COMPLETE_AUDITED_SESSIONS: sql = user_id ? user_audited_sql : audited_sql; break;
	default: return sc_error_set(err, SC_SOFTWARE, "unknown completion kind");
	}
	if (sq_prepare(db, sql, &st, err) < 0)
		return -1;
	if (kind == SC_COMPLETE_USERS || kind == SC_COMPLETE_FINGERPRINTS)
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
