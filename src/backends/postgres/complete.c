/* Shell completion candidates (the complete slot), bounded by a LIMIT.
 *
 * "Starts with p" must walk an index on a large table, and LIKE 'p%'
 * only does so with a C collation or a text_pattern_ops index, which the
 * schema has not. So: when the database collates by byte (C, POSIX,
 * C.UTF-8 with libc, UTF8 encoding), a range `>= p AND < p || U+10FFFF`
 * on the column, which the plain btree index (users.email's unique
 * index, sessions (user_id, is_active)) serves. Under a linguistic
 * collation strings with a prefix are not one range ('a-c' sorts
 * between 'ab' and 'ad'), so there it is starts_with() on a scan that
 * stops at the limit: complete either way, fast on C-collated tables. */
#include "postgres.h"

#include <stdlib.h>
#include <string.h>

/* Whether text compares by byte here: one row, true or false. */
static const char bytewise_sql[] =
	"SELECT coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') = 'c'\n"
	"   AND (d.datcollate IN ('C', 'POSIX') OR d.datcollate LIKE 'C.%')\n"
	"   AND pg_encoding_to_char(d.encoding) = 'UTF8'\n"
	"FROM pg_database d WHERE d.datname = current_database()";

#define RANGE(col) col " >= $1 AND " col " < $1 || chr(1114111) AND starts_with(" col ", $1)"
#define SCAN(col) "starts_with(" col ", $1)"

/* An output column id::text is named id, and ORDER BY id would sort by
 * it, as text (99 after 1000), with the LIMIT cutting the wrong ones:
 * the table's column is named in full. */
#define USERS_SQL(EMAIL, NAME, ID) \
	"SELECT * FROM (SELECT email, 'user ' || id FROM users\n" \
	"  WHERE " EMAIL " ORDER BY email LIMIT $2::bigint) e\n" \
	"UNION ALL SELECT * FROM (SELECT username, 'user ' || id FROM users\n" \
	"  WHERE " NAME " ORDER BY username, id LIMIT $2::bigint) u\n" \
	"UNION ALL SELECT * FROM (SELECT id::text, 'user ' || coalesce(email, username, '') FROM users\n" \
	"  WHERE $3::boolean AND " ID " ORDER BY users.id LIMIT $2::bigint) i"

static const char *const users_sql[2] = {
	USERS_SQL(SCAN("email"), SCAN("username"), SCAN("id::text")),
	USERS_SQL(RANGE("email"), RANGE("username"), SCAN("id::text")),
};

static const char sessions_sql[] =
	"SELECT id::text, 'user ' || user_id || ', ' || coalesce(device_name, 'unknown device')\n"
	"FROM sessions WHERE is_active AND $1::text IS NOT NULL AND $3::bigint IS NULL\n"
	"ORDER BY sessions.id DESC LIMIT $2::bigint";

static const char user_sessions_sql[] =
	"SELECT id::text, 'user ' || user_id || ', ' || coalesce(device_name, 'unknown device')\n"
	"FROM sessions WHERE user_id = $3::bigint AND is_active AND $1::text IS NOT NULL\n"
	"ORDER BY sessions.id DESC LIMIT $2::bigint";

/* history --session: the sessions the newest audit entries name, closed
 * ones too. A backward walk of the primary key (or of
 * idx_sessctl_audit_user (user_id, id) for one user) over the newest
 * AUDIT_WALK entries, then DISTINCT ON: bounded on a trail of millions,
 * where a GROUP BY of the whole table is not. A session has a few
 * entries (create, logout), so that is about the 200 candidates; each
 * is described by its newest entry. */
#define AUDIT_WALK "2000"
#define AUDITED_SQL(WHERE) \
	"SELECT session_id::text, coalesce('user ' || user_id, 'no user') || ', ' || action\n" \
	"FROM (SELECT DISTINCT ON (session_id) session_id, user_id, action, id\n" \
	"  FROM (SELECT id, session_id, user_id, action FROM sessctl_audit\n" \
	"    WHERE " WHERE " AND $1::text IS NOT NULL\n" \
	"    ORDER BY id DESC LIMIT " AUDIT_WALK ") newest\n" \
	"  WHERE session_id IS NOT NULL ORDER BY session_id, id DESC) s\n" \
	"ORDER BY id DESC LIMIT $2::bigint"

static const char audited_sql[] = AUDITED_SQL("$3::bigint IS NULL");
static const char user_audited_sql[] = AUDITED_SQL("user_id = $3::bigint");

#define FINGERPRINTS_SQL(FP) \
	"SELECT device_fingerprint, coalesce(max(device_name), 'unknown device')\n" \
	"FROM sessions WHERE user_id = $3::bigint AND is_active AND " FP "\n" \
	"GROUP BY device_fingerprint ORDER BY device_fingerprint LIMIT $2::bigint"

static const char *const fingerprints_sql[2] = {
	FINGERPRINTS_SQL(SCAN("device_fingerprint::text")),
	FINGERPRINTS_SQL(RANGE("device_fingerprint::text")),
};

struct candidates {
	sc_candidate_cb cb;
	void *ctx;
};

static int candidate_row(struct pg_db *db, const PGresult *res, int row, void *vctx,
			 struct sc_error *err)
{
	struct candidates *c = vctx;
	const char *value = pgb_col_text(res, row, 0), *desc = pgb_col_text(res, row, 1);

	(void)db;
	(void)err;
	return value ? c->cb(value, desc ? desc : "", c->ctx) : 0;
}

static int bytewise(struct pg_db *db, bool *yes, struct sc_error *err)
{
	PGresult *res = pgb_run(db, bytewise_sql, 0, NULL, PGRES_TUPLES_OK,
				"cannot read the database's collation", err);
	if (!res)
		return -1;
	*yes = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

int pg_complete(struct sc_db *base, enum sc_complete_kind kind, const int64_t *user_id,
		const char *prefix, int64_t limit, sc_candidate_cb cb, void *ctx,
		struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	struct candidates c = { cb, ctx };
	char lbuf[INT64_PARAM_LEN], ubuf[INT64_PARAM_LEN];
	const char *params[3] = { prefix, pgb_int64_param(limit, lbuf), NULL };
	const char *sql;
	bool range = false;

	if ((kind == SC_COMPLETE_USERS || kind == SC_COMPLETE_FINGERPRINTS) &&
	    bytewise(db, &range, err) < 0)
		return -1;
	switch (kind) {
	case SC_COMPLETE_USERS:
		sql = users_sql[range];
		params[2] = strspn(prefix, "0123456789") == strlen(prefix) ? "true" : "false";
		break;
	case SC_COMPLETE_SESSIONS:
		sql = user_id ? user_sessions_sql : sessions_sql;
		break;
	case SC_COMPLETE_FINGERPRINTS:
		sql = fingerprints_sql[range];
		break;
	case SC_COMPLETE_AUDITED_SESSIONS:
		sql = user_id ? user_audited_sql : audited_sql;
		break;
	default:
		return sc_error_set(err, SC_SOFTWARE, "unknown completion kind");
	}
	if (kind != SC_COMPLETE_USERS && user_id)
		params[2] = pgb_int64_param(*user_id, ubuf);
	return pgb_stream(db, sql, 3, params, "cannot read completions", candidate_row, &c, err);
}
