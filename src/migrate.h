/* Schema migrations: what is applied, what is pending, and applying it.
 * The steps are the core's (schema.c); each backend brings its dialect's
 * migrations and runs statements. */
#ifndef SESSCTL_MIGRATE_H
#define SESSCTL_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "migrations.h"

struct sc_migration_state {
	const struct sc_migration *m;
	bool applied;
	int64_t applied_at; /* when applied */
	bool applied_at_null; /* not known (NULL, or unreadable) */
};

/* Fills states[SC_SCHEMA_VERSION] and *version (0 without sessctl's
 * migrations table) for db, opened SC_OPEN_INSPECT or SC_OPEN_MIGRATE.
 * SC_CONFIG when the database is newer than this sessctl. */
int sc_migrate_status(struct sc_db *db, struct sc_migration_state *states,
		      int *version, struct sc_error *err);

/* What migrate runs besides the migrations' own SQL, in the backend's
 * dialect: the statement that creates the migrations table, and the
 * expression of the time it records each version at. */
struct sc_migrate_dialect {
	const char *table_sql;
	const char *now_sql;
};

/* The same for the database url names, opened read-only; a database that
 * does not exist yet but that migrate would create (an SQLite file) has
 * every migration pending. Changes nothing. */
int sc_migrate_plan(const char *url, struct sc_migration_state *states, int *version,
		    struct sc_migrate_dialect *dialect, struct sc_error *err);

typedef void (*sc_migrate_cb)(const struct sc_migration *m, void *ctx);

/* Applies every pending migration, each in a transaction of its own,
 * serialized against other migrators; cb (or NULL) hears of each one
 * this process applied; *napplied counts them. */
int sc_migrate_run(struct sc_db *db, int64_t now, sc_migrate_cb cb, void *ctx,
		   int *napplied, struct sc_error *err);

/* The next "CREATE [UNIQUE] INDEX IF NOT EXISTS index ON table" in a
 * migration's script from *sql on: 1 with the names and *sql moved past
 * them, 0 at the end. */
int sc_migration_next_index(const char **sql, char *index, size_t index_len, char *table,
			    size_t table_len);

#endif
