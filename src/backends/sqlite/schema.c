#include "sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema ---- */

int sq_table_exists(struct sqlite_db *db, const char *name, bool *exists,
			struct sc_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	sq_finalize(db, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(db, rc, "cannot read the schema", err);
	return 0;
}

int sq_max_version(struct sqlite_db *db, int *version, struct sc_error *err)
{
	sqlite3_stmt *st;
	int rc;

	/* Within an int: a version of 2^32 + 1 would read as 1 ("older"),
	 * and stays "newer than this sessctl" this way. */
	if (sq_prepare(db, "SELECT max(min(coalesce(max(version), 0), 2147483647), -2147483648) "
		       "FROM sessctl_migrations", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sq_finalize(db, st);
	return rc == SQLITE_ROW ? 0 : sq_fail(db, rc, "cannot read the schema version", err);
}

int sqlite_schema_version(struct sc_db *base, int *version, bool *app_tables,
				 struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	bool has_migrations;

	*version = 0;
	if (sq_table_exists(db, "sessions", app_tables, err) < 0 ||
	    sq_table_exists(db, "sessctl_migrations", &has_migrations, err) < 0)
		return -1;
	return has_migrations ? sq_max_version(db, version, err) : 0;
}

int sqlite_applied(struct sc_db *base, sc_applied_cb cb, void *ctx, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(db, "SELECT max(min(version, 2147483647), -2147483648), name, applied_at\n"
		    "FROM sessctl_migrations ORDER BY version", &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sc_applied a = { sqlite3_column_int(st, 0), sq_col_text(st, 1), 0, false };
		int cbrc;
		/* An unreadable time is shown as null (and named once), as in
		 * any listing: it must not stop a migration. */
		sq_col_time_soft(db, st, 2, "sessctl_migrations", a.version, &a.applied_at,
				 &a.applied_at_null);
		if ((cbrc = cb(&a, ctx)) != 0) {
			sq_finalize(db, st);
			return cbrc;
		}
	}
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, "cannot read applied migrations", err);
}

int sqlite_exec_script(struct sc_db *base, const char *sql, const char *what,
		       struct sc_error *err)
{
	return sq_exec(sq_to_sqlite(base), sql, what, err);
}

int sqlite_record_migration(struct sc_db *base, const struct sc_migration *m, int64_t now,
			    struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sq_prepare(db, "INSERT INTO sessctl_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
		       &st, err) < 0)
		return -1;
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	sq_bind_time(st, 3, now);
	rc = sqlite3_step(st);
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? 0 : sq_fail(db, rc, "cannot record the migration", err);
}

/* SQLite's columns take any value: only whether the column is there. */
int sqlite_check_column(struct sc_db *base, const struct sc_app_column *c, char *reason,
			size_t reason_len, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int rc;

	(void)reason;
	(void)reason_len;
	if (sq_prepare(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE", &st,
		       err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, c->table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->column, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sq_finalize(db, st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_fail(db, rc, "cannot read the application's tables", err);
	/* no such column: is there a table at all? */
	if (sq_prepare(db, "SELECT 1 FROM pragma_table_info(?1)", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, c->table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sq_finalize(db, st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 3 : sq_fail(db, rc, "cannot read the application's tables", err);
}

/* Index and table names share one name space in SQLite, without regard
 * to case; a table of the name fails CREATE INDEX itself. */
int sqlite_check_index_name(struct sc_db *base, const char *index, const char *table,
			    char *holder, size_t holder_len, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int rc, held = 0;

	if (sq_prepare(db, "SELECT type, tbl_name, tbl_name = ?2 COLLATE NOCASE FROM main.sqlite_schema\n"
		       "WHERE name = ?1 COLLATE NOCASE AND type IN ('index', 'table', 'view')", &st,
		       err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, index, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *type = sq_col_text(st, 0), *on = sq_col_text(st, 1);
		bool index_on_table = strcmp(type, "index") == 0 && sqlite3_column_int(st, 2);
		if (!index_on_table) {
			held = 1;
			if (strcmp(type, "index") == 0)
				snprintf(holder, holder_len, "an index on table %s", on);
			else
				snprintf(holder, holder_len, "a %s", type);
		}
		rc = SQLITE_DONE;
	}
	sq_finalize(db, st);
	return rc == SQLITE_DONE ? held : sq_fail(db, rc, "cannot read the schema", err);
}
