#include "migrate.h"

#include <string.h>

struct status_ctx {
	struct sc_migration_state *states;
	int max_version;
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

int sc_migrate_status(struct sc_db *db, struct sc_migration_state *states,
		      int *version, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	struct status_ctx ctx = { states, 0 };
	int v = 0;
	bool app_tables;

	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		memset(&states[i], 0, sizeof(states[i]));
		states[i].m = &be->migrations[i];
	}
	if (be->begin(db, SC_TX_READ, err) < 0)
		return -1;
	if (be->schema_version(db, &v, &app_tables, err) < 0 ||
	    (v > 0 && be->applied(db, on_applied, &ctx, err) < 0)) {
		be->rollback(db);
		return -1;
	}
	if (be->commit(db, err) < 0)
		return -1;
	*version = v;
	if (v > SC_SCHEMA_VERSION)
		return sc_error_set(err, SC_CONFIG,
			"schema version %d is newer than this sessctl supports (%d): upgrade sessctl",
			v, SC_SCHEMA_VERSION);
	return 0;
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
