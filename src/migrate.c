#include "migrate.h"

#include <string.h>

struct status_ctx {
	struct sc_migration_state *states;
	int max_version;
	int version; /* the database's, 0 without sessctl's table */
};

static int on_applied(const struct sc_applied *a, void *vctx)
{
	struct status_ctx *ctx = vctx;

	if (a->version > ctx->max_version)
		ctx->max_version = a->version;
	if (a->version >= 1 && a->version <= SC_SCHEMA_VERSION) {
		ctx->states[a->version - 1].applied = true;
		ctx->states[a->version - 1].applied_at = a->applied_at;
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

int sc_migrate_status(struct sc_db *db, struct sc_migration_state *states,
		      int *version, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	struct status_ctx ctx = { states, 0, 0 };

	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		memset(&states[i], 0, sizeof(states[i]));
		states[i].m = &be->migrations[i];
	}
	if (sc_db_read(db, read_status, &ctx, err) < 0)
		return -1;
	*version = ctx.version;
	return ctx.version > SC_SCHEMA_VERSION ? sc_schema_too_new(err, ctx.version) : 0;
}

int sc_migrate_run(struct sc_db *db, int64_t now, sc_migrate_cb cb, void *ctx,
		   int *napplied, struct sc_error *err)
{
	struct sc_migration_state states[SC_SCHEMA_VERSION];
	int version;

	*napplied = 0;
	if (sc_migrate_status(db, states, &version, err) < 0)
		return -1;
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		bool applied = false;
		if (states[i].applied)
			continue;
		/* migrate_step re-reads the version under the lock, so a
		 * concurrent migrator's work is never applied twice. */
		if (db->backend->migrate_step(db, states[i].m, now, &applied, err) < 0)
			return -1;
		if (applied) {
			(*napplied)++;
			if (cb)
				cb(states[i].m, ctx);
		}
	}
	return 0;
}
