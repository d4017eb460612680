#include "postgres.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema ---- */

int pgb_max_version(struct pg_db *db, int *version, struct sc_error *err)
{
	PGresult *res = pgb_run(db, "SELECT coalesce(max(version), 0) FROM sessctl_migrations", 0,
			    NULL, PGRES_TUPLES_OK, "cannot read the schema version", err);
	if (!res)
		return -1;
	*version = PQntuples(res) == 1 ? (int)pgb_col_int64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

int pg_schema_version(struct sc_db *base, int *version, bool *app_tables,
			     struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	PGresult *res;
	bool has_migrations;

	*version = 0;
	*app_tables = false;
	res = pgb_run(db, "SELECT to_regclass('sessions') IS NOT NULL, "
		      "to_regclass('sessctl_migrations') IS NOT NULL", 0, NULL,
		  PGRES_TUPLES_OK, "cannot read the schema", err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return pg_error(db, err, SC_SOFTWARE, "cannot read the schema on '%s': unexpected result",
				db->display);
	}
	*app_tables = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	has_migrations = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	return has_migrations ? pgb_max_version(db, version, err) : 0;
}

int pg_applied(struct sc_db *base, sc_applied_cb cb, void *ctx, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	PGresult *res = pgb_run(db,
		"SELECT version, name, " PG_TIME_SHOWN("applied_at") ",\n"
		"       " PG_TIME_ODD("applied_at") "\n"
		"FROM sessctl_migrations ORDER BY version", 0, NULL, PGRES_TUPLES_OK,
		"cannot read applied migrations", err);
	int rc = 0;

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct sc_applied a = { (int)pgb_col_int64(res, i, 0), pgb_col_text(res, i, 1), 0, false };
		/* named on stderr as SQLite's are (an infinity, say) */
		pgb_col_time_shown(db, res, i, 2, 3, "sessctl_migrations", "applied_at", a.version,
				   &a.applied_at, &a.applied_at_null);
		rc = cb(&a, ctx);
	}
	PQclear(res);
	return rc;
}

/* A second migrator waits here, then sees the version this one recorded.
 * The lock ends with the transaction.
 *
 * Every wait is bounded, then 75 (55P03): a minute for another migrator
 * (it blocks no one else meanwhile), and 5 s for each lock of the
 * migration itself, since a DDL statement waiting for the application's
 * long transaction makes every later write to that table queue behind it.
 * And the server gives the migration up within a second of the client
 * going away (killed, or the network gone) instead of building an index
 * for no one while the application's writes wait (PostgreSQL 14+). */
int pg_migrate_lock(struct sc_db *base, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	PGresult *res = pgb_run(db, "SET LOCAL lock_timeout = '" PG_MIGRATOR_WAIT "';\n"
				"SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, NULL,
				PGRES_TUPLES_OK, "another sessctl migrate holds the database", err);
	if (!res)
		return -1;
	PQclear(res);
	return pgb_run_command(db, PQserverVersion(db->conn) >= 140000
				   ? "SET LOCAL lock_timeout = '" PG_MIGRATE_LOCK_WAIT "';\n"
				     "SET LOCAL client_connection_check_interval = '1s'"
				   : "SET LOCAL lock_timeout = '" PG_MIGRATE_LOCK_WAIT "'",
			       "cannot set the migration's lock timeout", err);
}

/* The migrations create their tables unqualified, "IF NOT EXISTS", and
 * PostgreSQL creates in the first schema of the search_path that exists
 * (current_schema()) while it finds a table in any: with the default
 * "$user", public and a schema named after the role, or with the URL's
 * search_path listing another schema before the application's, a
 * migration would create a second, empty users and sessions there, and
 * every command after it would read those. So each of these tables that
 * exists must be in current_schema(); a temporary table is not asked. */
int pg_check_placement(struct sc_db *base, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	/* pg_temp where new tables go: the first entry of the search_path
	 * that is pg_temp or a schema there (and usable), as PostgreSQL
	 * picks it, "$user" and quoted names read as it reads them. Every
	 * table would be a temporary one, gone when the migration's
	 * connection ends. */
	PGresult *res = pgb_run(db,
		"SELECT coalesce((SELECT n ~ '^pg_temp' FROM (\n"
		"  SELECT CASE WHEN u = '$user' THEN current_user::text ELSE u END AS n, ord\n"
		"  FROM unnest(string_to_array(current_setting('search_path'), ',')) WITH ORDINALITY\n"
		"       AS t(raw, ord),\n"
		"       LATERAL (SELECT btrim(raw) AS e) b,\n"
		"       LATERAL (SELECT CASE WHEN e ~ '^\".*\"$'\n"
		"                            THEN replace(substr(e, 2, length(e) - 2), '\"\"', '\"')\n"
		"                            ELSE lower(e) END AS u) c) s\n"
		"  WHERE n ~ '^pg_temp' OR EXISTS (SELECT 1 FROM pg_namespace\n"
		"        WHERE nspname = n AND has_schema_privilege(oid, 'USAGE'))\n"
		"  ORDER BY ord LIMIT 1), false)", 0, NULL, PGRES_TUPLES_OK,
		"cannot read the search_path", err);
	if (!res)
		return -1;
	bool temp_first = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (temp_first)
		return pg_error(db, err, SC_CONFIG, "cannot migrate '%s': the search_path puts pg_temp "
				"before any schema that exists, so migrate would create temporary "
				"tables, gone when it ends: put the application's schema first",
				db->display);
	res = pgb_run(db,
		"SELECT n.nspname, quote_ident(n.nspname), t.name, current_schema()\n"
		"FROM unnest(ARRAY['sessions', 'users', 'sessctl_migrations', 'sessctl_audit',\n"
		"                  'sessctl_enforce_state']) WITH ORDINALITY AS t(name, ord)\n"
		"     JOIN pg_class c ON c.oid = to_regclass(t.name)\n"
		"     JOIN pg_namespace n ON n.oid = c.relnamespace\n"
		"WHERE current_schema() IS NOT NULL AND n.nspname <> current_schema()\n"
		"  AND n.oid <> pg_my_temp_schema()\n"
		"ORDER BY t.ord LIMIT 1", 0, NULL, PGRES_TUPLES_OK, "cannot read the schema", err);
	int rc = 0;

	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		const char *schema = PQgetvalue(res, 0, 0), *quoted = PQgetvalue(res, 0, 1);
		const char *table = PQgetvalue(res, 0, 2), *first = PQgetvalue(res, 0, 3);
		bool app = strcmp(table, "users") == 0 || strcmp(table, "sessions") == 0;
		/* a name that needs quoting does not go into options as it is */
		char hint[200] = "";
		if (strcmp(schema, quoted) == 0) {
			char set[120];
			snprintf(hint, sizeof(hint), "%s, or ",
				 pgb_setting_hint(db, "search_path", schema, set, sizeof(set)));
		}
		rc = pg_error(db, err, SC_CONFIG,
			      "cannot migrate '%s': table %s is in schema %s, but new tables go to "
			      "schema %s (the first one of the search_path), where migrate would "
			      "create %s: put %s first in the search_path (%sALTER ROLE ... SET "
			      "search_path) and run migrate again",
			      db->display, table, schema, first,
			      app ? "a second, empty users and sessions" : "sessctl's tables apart from it",
			      quoted, hint);
	}
	PQclear(res);
	return rc;
}

int pg_exec_script(struct sc_db *base, const char *sql, const char *what, struct sc_error *err)
{
	return pgb_run_command(pgb_to_pg(base), sql, what, err);
}

int pg_record_migration(struct sc_db *base, const struct sc_migration *m, int64_t now,
			struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	char vbuf[INT64_PARAM_LEN], tbuf[TIME_PARAM_LEN];
	const char *params[3] = { pgb_int64_param(m->version, vbuf), m->name, pgb_time_param(now, tbuf) };
	PGresult *res = pgb_run(db, "INSERT INTO sessctl_migrations (version, name, applied_at)\n"
				"VALUES ($1::integer, $2::text, $3::timestamptz)", 3, params,
				PGRES_COMMAND_OK, "cannot record the migration", err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* The column's type, through a domain to its base, against what the
 * statements do with it: integer ids (pgb_col_int64), times compared
 * with timestamptz parameters, a boolean is_active. Text columns are
 * only looked for: any type the server prints will do. */
int pg_check_column(struct sc_db *base, const struct sc_app_column *c, char *reason,
		    size_t reason_len, struct sc_error *err)
{
	static const char *const kinds[] = {
		[SC_APP_ID] = "id", [SC_APP_TEXT] = "text", [SC_APP_TIME] = "time", [SC_APP_BOOL] = "bool",
	};
	struct pg_db *db = pgb_to_pg(base);
	/* Text columns are compared with text parameters, given to coalesce
	 * with them, searched with strpos: a string type (text, varchar,
	 * char, citext), not an enum, inet or uuid, on which find failed
	 * (70) while migrate had passed. But for users.role, only ever read
	 * and printed: an ORM's enum of roles will do. */
	bool printed = c->kind == SC_APP_TEXT && strcmp(c->table, "users") == 0 &&
		       strcmp(c->column, "role") == 0;
	const char *params[3] = { c->table, c->column, printed ? "printed" : kinds[c->kind] };
	PGresult *res = pgb_run(db,
		"SELECT format_type(a.atttypid, a.atttypmod),\n"
		"       CASE $3 WHEN 'id' THEN b.t IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)\n"
		"               WHEN 'time' THEN b.t IN ('timestamptz'::regtype, 'timestamp'::regtype)\n"
		"               WHEN 'bool' THEN b.t = 'bool'::regtype\n"
		"               WHEN 'text' THEN (SELECT typcategory = 'S' FROM pg_type WHERE oid = b.t)\n"
		"               ELSE true END\n"
		"FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid,\n"
		"     LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype\n"
		"                          ELSE a.atttypid END::regtype AS t) b\n"
		"WHERE a.attrelid = to_regclass($1) AND a.attname = $2\n"
		"  AND a.attnum > 0 AND NOT a.attisdropped", 3, params, PGRES_TUPLES_OK,
		"cannot read the application's tables", err);
	int rc;

	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		/* no such column: is there a table at all? */
		PQclear(res);
		res = pgb_run(db, "SELECT to_regclass($1) IS NULL", 1, params, PGRES_TUPLES_OK,
			      "cannot read the application's tables", err);
		if (!res)
			return -1;
		rc = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 3 : 1;
	} else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		rc = 0;
	else {
		snprintf(reason, reason_len, "%s", PQgetvalue(res, 0, 0));
		rc = 2;
	}
	PQclear(res);
	return rc;
}

/* Any relation of the index's name in the table's schema makes CREATE
 * INDEX IF NOT EXISTS skip (a notice only): an index on another table,
 * a table, a view, a sequence. A table not made yet will be made in the
 * schema new tables go to (migrate --dry-run asks before it is). */
int pg_check_index_name(struct sc_db *base, const char *index, const char *table, char *holder,
			size_t holder_len, struct sc_error *err)
{
	struct pg_db *db = pgb_to_pg(base);
	const char *params[2] = { index, table };
	PGresult *res = pgb_run(db,
		"SELECT CASE WHEN c.relkind IN ('i', 'I') THEN 'an index on table ' || t.relname\n"
		"            WHEN c.relkind IN ('r', 'p') THEN 'a table'\n"
		"            WHEN c.relkind = 'v' THEN 'a view'\n"
		"            WHEN c.relkind = 'm' THEN 'a materialized view'\n"
		"            WHEN c.relkind = 'S' THEN 'a sequence'\n"
		"            WHEN c.relkind = 'f' THEN 'a foreign table'\n"
		"            ELSE 'another relation' END\n"
		"FROM pg_class c LEFT JOIN pg_index x ON x.indexrelid = c.oid\n"
		"     LEFT JOIN pg_class t ON t.oid = x.indrelid\n"
		"WHERE c.relname = $1 AND c.relnamespace =\n"
		"      coalesce((SELECT relnamespace FROM pg_class WHERE oid = to_regclass($2)),\n"
		"               (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))\n"
		"  AND x.indrelid IS DISTINCT FROM to_regclass($2)", 2, params, PGRES_TUPLES_OK,
		"cannot read the schema", err);
	int rc = 0;

	if (!res)
		return -1;
	if (PQntuples(res) > 0) {
		snprintf(holder, holder_len, "%s", PQgetvalue(res, 0, 0));
		rc = 1;
	}
	PQclear(res);
	return rc;
}
