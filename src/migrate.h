/* migrate and migrate status, over any backend. */
#ifndef SESSCTL_MIGRATE_H
#define SESSCTL_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/* The state of one known migration. */
struct sc_migration_state {
	const struct sc_migration *m;
	bool applied;
	int64_t applied_at; /* when applied */
};

/* Reads which of db's backend's migrations are applied (states holds
 * SC_SCHEMA_VERSION entries) and the database's version. SC_CONFIG when
 * the database is newer than this sessctl. Opens its own transaction. */
int sc_migrate_status(struct sc_db *db, struct sc_migration_state *states,
		      int *version, struct sc_error *err);

/* Called after each migration this process applied. */
typedef void (*sc_migrate_cb)(const struct sc_migration *m, void *ctx);

/* Applies every pending migration in order, each in one transaction.
 * *napplied counts those this process applied (another migrator running
 * at the same time may apply some). */
int sc_migrate_run(struct sc_db *db, int64_t now, sc_migrate_cb cb, void *ctx,
		   int *napplied, struct sc_error *err);

#endif
