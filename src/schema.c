/* Schema migrations: the steps, over any backend. */
#include "migrate.h"

#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "dburl.h"

struct status_ctx {
	struct sc_migration_state *states;
	int version; /* the database's, 0 without sessctl's table */
};

static int on_applied(const struct sc_applied *a, void *vctx)
{
	struct status_ctx *ctx = vctx;

	if (a->version >= 1 && a->version <= SC_SCHEMA_VERSION) {
		ctx->states[a->version - 1].applied = true;
		ctx->states[a->version - 1].applied_at = a->applied_at;
		ctx->states[a->version - 1].applied_at_null = a->applied_at_null;
	}
	return 0;
}

static int read_status(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct status_ctx *ctx = vctx;
	bool app_tables;

	if (db->backend->schema_version(db, &ctx->version, &app_tables, err) < 0)
		return -1;
	return ctx->version > 0 ? db->backend->applied(db, on_applied, ctx, err) : 0;
}

int sc_schema_too_new(struct sc_error *err, int version)
{
	return sc_error_set(err, SC_CONFIG,
			    "schema version %d is newer than this sessctl supports (%d): upgrade sessctl",
			    version, SC_SCHEMA_VERSION);
}

static void all_pending(const struct sc_backend *be, struct sc_migration_state *states)
{
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		memset(&states[i], 0, sizeof(states[i]));
		states[i].m = &be->migrations[i];
	}
}

int sc_migrate_status(struct sc_db *db, struct sc_migration_state *states,
		      int *version, struct sc_error *err)
{
	struct status_ctx ctx = { states, 0 };

	all_pending(db->backend, states);
	if (sc_db_read(db, read_status, &ctx, err) < 0)
		return -1;
	/* The schema's version is the highest recorded, as every command
	 * and migrate itself read it: a version below it whose row is gone
	 * (deleted by hand) is applied, at a time not known, not pending
	 * for status while migrate has nothing to do. */
	for (int i = 0; i < ctx.version && i < SC_SCHEMA_VERSION; i++)
		if (!states[i].applied) {
			states[i].applied = true;
			states[i].applied_at_null = true;
		}
	*version = ctx.version;
	return ctx.version > SC_SCHEMA_VERSION ? sc_schema_too_new(err, ctx.version) : 0;
}

static void dialect_of(const struct sc_backend *be, struct sc_migrate_dialect *d)
{
	d->table_sql = be->migrations_table;
	d->now_sql = be->migrations_now ? be->migrations_now : "CURRENT_TIMESTAMP";
}

/* What sessctl reads of the application's tables (SPEC: the data model). */
static const struct sc_app_column app_columns[] = {
	{ "users", "id", SC_APP_ID },
	{ "users", "email", SC_APP_TEXT },
	{ "users", "username", SC_APP_TEXT },
	{ "users", "role", SC_APP_TEXT },
	{ "sessions", "id", SC_APP_ID },
	{ "sessions", "user_id", SC_APP_ID },
	{ "sessions", "device_fingerprint", SC_APP_TEXT },
	{ "sessions", "device_name", SC_APP_TEXT },
	{ "sessions", "device_type", SC_APP_TEXT },
	{ "sessions", "browser", SC_APP_TEXT },
	{ "sessions", "ip_address", SC_APP_TEXT },
	{ "sessions", "created_at", SC_APP_TIME },
	{ "sessions", "last_activity", SC_APP_TIME },
	{ "sessions", "is_active", SC_APP_BOOL },
};

static const char *const kind_needs[] = {
	[SC_APP_ID] = "an integer",
	[SC_APP_TEXT] = "text",
	[SC_APP_TIME] = "a timestamp",
	[SC_APP_BOOL] = "a boolean",
};

/* The application's tables hold every column sessctl reads, of a type
 * it can use: an adopted table that does not fails migrate (78) with the
 * column named, instead of every command after a deploy that looked
 * fine. In the migration transaction, after the step's script (before
 * it too for an adopted sessions table: table "sessions"); all tables
 * when table is NULL. A table that is not there is passed over when
 * absent_ok (migrate --dry-run, before the first migration creates it). */
static int check_app_tables(struct sc_db *db, const char *table, bool absent_ok,
			    struct sc_error *err)
{
	const struct sc_backend *be = db->backend;

	if (!be->check_column)
		return 0;
	for (size_t i = 0; i < sizeof(app_columns) / sizeof(app_columns[0]); i++) {
		const struct sc_app_column *c = &app_columns[i];
		char reason[128] = "";
		if (table && strcmp(c->table, table) != 0)
			continue;
		int rc = be->check_column(db, c, reason, sizeof(reason), err);
		if (rc == 3 && absent_ok)
			continue;
		if (rc == 3)
			return sc_error_set(err, SC_CONFIG,
					    "the database has no table %s, which sessctl reads: check "
					    "that --db names the application's database", c->table);
		if (rc == 1)
			return sc_error_set(err, SC_CONFIG,
					    "the application's table %s has no column %s, which sessctl "
					    "reads (%s): add it, or check that --db names the "
					    "application's database", c->table, c->column, kind_needs[c->kind]);
		if (rc == 2)
			return sc_error_set(err, SC_CONFIG,
					    "column %s.%s is %s, which sessctl cannot use: it needs %s there",
					    c->table, c->column, reason,
					    c->kind == SC_APP_TEXT ? "a string type (text, varchar or char)"
								   : kind_needs[c->kind]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static const char *name_end(const char *p)
{
	while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
		p++;
	return p;
}

/* The next "CREATE [UNIQUE] INDEX IF NOT EXISTS name ON table" of a
 * migration's script from *sql on: 1 with the two names copied (cut to
 * their buffers) and *sql past them, 0 when there is none. The scripts
 * are this program's own, written in that form. */
int sc_migration_next_index(const char **sql, char *index, size_t index_len, char *table,
			    size_t table_len)
{
	static const char mark[] = "INDEX IF NOT EXISTS ";
	const char *p;

	while ((p = strstr(*sql, mark))) {
		const char *name = p + sizeof(mark) - 1, *end = name_end(name);
		const char *on = end;
		while (*on == ' ' || *on == '\n')
			on++;
		*sql = on;
		if (end == name || strncmp(on, "ON ", 3) != 0)
			continue;
		const char *tbl = on + 3, *tend = name_end(tbl);
		if (tend == tbl)
			continue;
		snprintf(index, index_len, "%.*s", (int)(end - name), name);
		snprintf(table, table_len, "%.*s", (int)(tend - tbl), tbl);
		*sql = tend;
		return 1;
	}
	return 0;
}

/* Each index m creates "IF NOT EXISTS" is there, on its table: a name
 * already held by something else (the application's index on another
 * table) would make the statement skip it without a word, and the
 * commands run on without the index, or a later migration drop the
 * application's. 78 with both named, and the migration rolled back. */
static int check_indexes(struct sc_db *db, const struct sc_migration *m, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	const char *sql = m->sql;
	char index[64], table[64];

	if (!be->check_index_name)
		return 0;
	while (sc_migration_next_index(&sql, index, sizeof(index), table, sizeof(table))) {
		char holder[160] = "";
		int rc = be->check_index_name(db, index, table, holder, sizeof(holder), err);
		if (rc == 1)
			return sc_error_set(err, SC_CONFIG,
					    "migration %d (%s) creates index %s on table %s, but the "
					    "name is taken by %s: rename or drop that, then run migrate "
					    "again", m->version, m->name, index, table, holder);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* What migrate would refuse before it changes anything (78), found
 * read-only for migrate --dry-run, so that a plan is printed (exit 0)
 * only where migrate would apply it: the tables' placement, the index
 * names each pending migration needs, the columns of the application's
 * tables that are there. A table the plan would create is not checked. */
static int plan_refusals(struct sc_db *db, void *vstates, struct sc_error *err)
{
	const struct sc_migration_state *states = vstates;
	const struct sc_backend *be = db->backend;
	bool pending = false;

	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		if (states[i].applied)
			continue;
		if (!pending && be->check_placement && be->check_placement(db, err) < 0)
			return -1;
		pending = true;
		if (check_indexes(db, states[i].m, err) < 0)
			return -1;
	}
	/* the first migration creates the tables missing */
	return check_app_tables(db, NULL, !states[0].applied, err);
}

int sc_migrate_plan(const char *text, struct sc_migration_state *states, int *version,
		    struct sc_migrate_dialect *dialect, struct sc_error *err)
{
	struct sc_db *db;
	int rc;

	if (sc_db_open(text, SC_OPEN_INSPECT, NULL, NULL, NULL, &db, err) == 0) {
		rc = sc_migrate_status(db, states, version, err);
		if (rc == 0)
			rc = sc_db_read(db, plan_refusals, states, err);
		dialect_of(db->backend, dialect);
		sc_db_close(db);
		return rc;
	}
	if (err->status != SC_NOINPUT)
		return -1;
	/* No database yet: is it one migrate would create? */
	struct sc_dburl url;
	const struct sc_backend *be;
	struct sc_error ignored = { 0 };
	if (sc_dburl_parse(text, &url, &ignored) < 0)
		return -1;
	bool creates = url.info->may_create;
	be = creates ? sc_backend_load(url.info, &ignored) : NULL;
	sc_dburl_free(&url);
	if (!be)
		return -1;
	sc_error_clear(err);
	all_pending(be, states);
	dialect_of(be, dialect);
	*version = 0;
	return 0;
}

/* One migration in a transaction of its own: lock out other migrators,
 * make sure the migrations table exists, re-read the version under the
 * lock (a migrator that held it before us may have applied m), refuse a
 * newer schema, run m's script, record it, commit. *applied is false
 * when another process applied m first. */
static int migrate_step(struct sc_db *db, const struct sc_migration *m, int64_t now,
			bool *checked, bool *applied, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	int version = 0;
	bool app_tables;

	*applied = false;
	if (be->begin(db, SC_TX_MIGRATE, err) < 0)
		return -1;
	if ((be->migrate_lock && be->migrate_lock(db, err) < 0) ||
	    (be->check_placement && be->check_placement(db, err) < 0) ||
	    be->exec_script(db, be->migrations_table, "cannot create the migrations table", err) < 0 ||
	    be->schema_version(db, &version, &app_tables, err) < 0)
		goto fail;
	if (version > SC_SCHEMA_VERSION) {
		sc_schema_too_new(err, version);
		goto fail;
	}
	if (version >= m->version) {
		be->rollback(db);
		return 0;
	}
	/* Before the script too: SQLite fails CREATE INDEX on a table or view
	 * of the name with an error of its own (70); and the first
	 * migration's indexes on an adopted sessions table lacking one of
	 * their columns fail with the database's "no such column", which
	 * says neither that the application's table lacks it nor what to do
	 * (the users table the script may still create is checked after). */
	if (check_indexes(db, m, err) < 0 ||
	    (!*checked && app_tables && check_app_tables(db, "sessions", false, err) < 0) ||
	    be->exec_script(db, m->sql, "migration failed", err) < 0 ||
	    check_indexes(db, m, err) < 0 ||
	    (!*checked && check_app_tables(db, NULL, false, err) < 0) ||
	    be->record_migration(db, m, now, err) < 0)
		goto fail;
	if (be->commit(db, err) < 0)
		return -1;
	*checked = *applied = true;
	return 0;
fail:
	be->rollback(db);
	return -1;
}

int sc_migrate_run(struct sc_db *db, int64_t now, sc_migrate_cb cb, void *ctx,
		   int *napplied, struct sc_error *err)
{
	struct sc_migration_state states[SC_SCHEMA_VERSION];
	int version;

	*napplied = 0;
	if (sc_migrate_status(db, states, &version, err) < 0)
		return -1;
	/* Up to date or not, a deploy step pointed at a server that takes
	 * no writes (a standby) fails every time, not only when a migration
	 * is pending: the write transaction says so. */
	if (version >= SC_SCHEMA_VERSION) {
		if (db->backend->begin(db, SC_TX_MIGRATE, err) < 0)
			return -1;
		int rc = check_app_tables(db, NULL, false, err);
		db->backend->rollback(db);
		return rc < 0 ? -1 : 0;
	}
	/* The application's tables are checked in the first migration this
	 * run applies: the later ones do not touch their columns. */
	bool checked = false;
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		bool applied = false;
		if (states[i].applied)
			continue;
		if (migrate_step(db, states[i].m, now, &checked, &applied, err) < 0)
			return -1;
		if (applied) {
			(*napplied)++;
			if (cb)
				cb(states[i].m, ctx);
		}
	}
	return 0;
}
