/* Opening and closing a database, and running a read in a transaction:
 * the part of the core every command goes through. */
#include "backend.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

int sc_db_read(struct sc_db *db, int (*fn)(struct sc_db *db, void *ctx, struct sc_error *err),
	       void *ctx, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;

	if (be->begin(db, SC_TX_READ, err) < 0)
		return -1;
	if (fn(db, ctx, err) != 0) {
		be->rollback(db);
		return -1;
	}
	return be->commit(db, err);
}

struct schema {
	int version;
	bool app_tables;
};

static int read_schema(struct sc_db *db, void *ctx, struct sc_error *err)
{
	struct schema *sch = ctx;
	return db->backend->schema_version(db, &sch->version, &sch->app_tables, err);
}

static int check_schema(struct sc_db *db, struct sc_error *err)
{
	struct schema sch = { 0, false };

	if (sc_db_read(db, read_schema, &sch, err) < 0)
		return -1;
	if (sch.version > SC_SCHEMA_VERSION)
		return sc_schema_too_new(err, sch.version);
	if (sch.version == 0 && !sch.app_tables)
		return sc_error_set(err, SC_CONFIG,
			"'%s' has no sessctl schema: run 'sessctl migrate'", db->display);
	if (sch.version < SC_SCHEMA_VERSION)
		return sc_error_set(err, SC_CONFIG,
			"schema version %d is older than %d: run 'sessctl migrate'",
			sch.version, SC_SCHEMA_VERSION);
	return 0;
}

int sc_db_open(const char *text, enum sc_open_mode mode, struct sc_db **db, struct sc_error *err)
{
	const struct sc_backend *be;
	struct sc_dburl url;
	int rc;

	*db = NULL;
	if (sc_dburl_parse(text, &url, err) < 0)
		return -1;
	if (!(be = sc_backend_load(url.info, err))) {
		sc_dburl_free(&url);
		return -1;
	}
	rc = be->open(&url, mode, db, err);
	sc_dburl_free(&url);
	if (rc < 0)
		return -1;
	if ((mode == SC_OPEN_READ || mode == SC_OPEN_WRITE) && check_schema(*db, err) < 0) {
		sc_db_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

void sc_db_close(struct sc_db *db)
{
	if (db)
		db->backend->close(db);
}

const char *sc_db_backend_name(const struct sc_db *db)
{
	return db->backend->name;
}

const char *sc_db_display(const struct sc_db *db)
{
	return db->display;
}

void sc_db_on_notice(struct sc_db *db, sc_notice_cb cb, void *ctx)
{
	db->notice = cb;
	db->notice_ctx = ctx;
}

void sc_db_notice(struct sc_db *db, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!db->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	db->notice(msg, db->notice_ctx);
}
