/* The harness's SQLite driver: a database is a file in the test's
 * directory, which teardown removes with the directory. */
#include "e2e-driver.h"

#include <stdlib.h>

#include <sqlite3.h>

static void sqlite_create(struct e2e_db *db, const char *name)
{
	db->path = e2e_xprintf("%s/%s", e2e_dir(), name);
	db->url = e2e_xstrdup(db->path);
}

static void sqlite_exec(const struct e2e_db *db, const char *sql, long long *out)
{
	sqlite3 *conn = NULL;
	int rc = sqlite3_open_v2(db->path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "cannot open '%s': %s", db->path, sqlite3_errstr(rc));
	sqlite3_busy_timeout(conn, 10000);
	if (out) {
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);
		cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(conn));
		rc = sqlite3_step(st);
		cr_assert_eq(rc, SQLITE_ROW, "%s: no row: %s", sql, sqlite3_errmsg(conn));
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	} else {
		char *msg = NULL;
		rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
		cr_assert_eq(rc, SQLITE_OK, "fixture SQL failed on '%s': %s\n%s", db->path,
			     msg ? msg : sqlite3_errstr(rc), sql);
		sqlite3_free(msg);
	}
	sqlite3_close(conn);
}

static void sqlite_rows(const struct e2e_db *db, const char *sql, struct e2e_buf *b)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	cr_assert_eq(sqlite3_open_v2(db->path, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(c, 10000);
	cr_assert_eq(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(c));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int j = 0; j < sqlite3_column_count(st); j++) {
			const unsigned char *v = sqlite3_column_text(st, j);
			if (j)
				e2e_buf_add(b, "|");
			e2e_buf_add(b, v ? (const char *)v : "NULL");
		}
		e2e_buf_add(b, "\n");
	}
	cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(c));
	sqlite3_finalize(st);
	sqlite3_close(c);
}

static bool sqlite_has_table(const struct e2e_db *db, const char *table)
{
	long long n = 0;
	char *sql;

	if (!e2e_exists(db->path))
		return false;
	sql = e2e_xprintf("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
			  table);
	sqlite_exec(db, sql, &n);
	free(sql);
	return n > 0;
}

const struct e2e_driver e2e_driver_sqlite = {
	.name = "sqlite",
	.create = sqlite_create,
	.exec = sqlite_exec,
	.rows = sqlite_rows,
	.has_table = sqlite_has_table,
};
