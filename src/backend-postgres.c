/* Placeholder until the PostgreSQL backend lands (issue 3). */
#include "backend.h"

static int pg_open(const struct sc_dburl *url, enum sc_open_mode mode, struct sc_db **db,
		   struct sc_error *err)
{
	(void)url;
	(void)mode;
	*db = NULL;
	return sc_error_set(err, SC_UNAVAILABLE, "postgresql is not supported yet");
}

const struct sc_backend sc_postgres_backend = {
	.name = "postgresql",
	.kind = SC_DB_POSTGRES,
	.migrations = sc_postgres_migrations,
	.open = pg_open,
};
