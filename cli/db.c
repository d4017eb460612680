#include "cli.h"

#include <stdio.h>

#include "../src/backend.h"
#include "../src/dburl.h"

int cli_open_db(const struct cli_ctx *ctx, int mode, struct sc_dburl *url, struct sc_db **db)
{
	struct sc_error err = { 0 };

	*db = NULL;
	if (sc_dburl_parse(ctx->db, url, &err) < 0)
		return cli_report(&err);
	if (sc_db_open(url, (enum sc_open_mode)mode, db, &err) < 0) {
		sc_dburl_free(url);
		return cli_report(&err);
	}
	if (ctx->verbose)
		fprintf(stderr, "sessctl: using %s database '%s'\n", (*db)->backend->name, url->display);
	return 0;
}

void cli_close_db(struct sc_dburl *url, struct sc_db *db)
{
	sc_db_close(db);
	sc_dburl_free(url);
}

int cli_read(const struct cli_ctx *ctx, int (*fn)(struct sc_db *db, void *arg, struct sc_error *err),
	     void *arg, struct sc_error *err)
{
	struct sc_dburl url;
	struct sc_db *db;
	int rc;

	if ((rc = cli_open_db(ctx, SC_OPEN_READ, &url, &db)))
		return rc;
	rc = sc_db_read(db, fn, arg, err);
	cli_close_db(&url, db);
	return rc < 0 ? cli_report(err) : SC_OK;
}
