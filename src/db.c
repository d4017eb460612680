/* Opening and closing a database, and running a read in a transaction:
 * the part of the core every command goes through. */
#include "backend.h"

#include "change.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The schema version check of a command's first transaction (SPEC:
 * exit 78), on a transaction begun with it. */
static int check_schema(const struct sc_db *db, int version, bool app_tables,
			struct sc_error *err)
{
	if (version > SC_SCHEMA_VERSION)
		return sc_schema_too_new(err, version);
	if (version == 0 && !app_tables)
		return sc_error_set(err, SC_CONFIG,
			"'%s' has no sessctl schema: run 'sessctl migrate'", db->display);
	if (version < SC_SCHEMA_VERSION)
		return sc_error_set(err, SC_CONFIG,
			"schema version %d is older than %d: run 'sessctl migrate'",
			version, SC_SCHEMA_VERSION);
	return 0;
}

/* Begins a transaction and reads the schema version in it, in one call
 * when the backend can. */
static int begin_and_read_schema(struct sc_db *db, enum sc_tx_mode mode, int *version,
				 bool *app_tables, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;

	if (be->begin_checked)
		return be->begin_checked(db, mode, version, app_tables, err);
	if (be->begin(db, mode, err) < 0)
		return -1;
	if (be->schema_version(db, version, app_tables, err) < 0) {
		be->rollback(db);
		return -1;
	}
	return 0;
}

int sc_db_begin(struct sc_db *db, enum sc_tx_mode mode, struct sc_error *err)
{
	int version = 0;
	bool app_tables = false;

	if (!db->schema_unchecked)
		return db->backend->begin(db, mode, err);
	if (begin_and_read_schema(db, mode, &version, &app_tables, err) < 0)
		return -1;
	if (check_schema(db, version, app_tables, err) < 0) {
		db->backend->rollback(db);
		return -1;
	}
	db->schema_unchecked = false;
	return 0;
}

int sc_db_read(struct sc_db *db, int (*fn)(struct sc_db *db, void *ctx, struct sc_error *err),
	       void *ctx, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;

	if (sc_db_begin(db, SC_TX_READ, err) < 0)
		return -1;
	if (fn(db, ctx, err) != 0) {
		be->rollback(db);
		return -1;
	}
	return be->commit(db, err);
}

int sc_db_open(const char *text, enum sc_open_mode mode, sc_notice_cb notice, void *notice_ctx,
	       const volatile sig_atomic_t *stop, struct sc_db **db, struct sc_error *err)
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
	for (int attempt = 1;; attempt++) {
		rc = be->open(&url, mode, notice, notice_ctx, stop, db, err);
		/* a wait for a lock given up, or (PostgreSQL) a connection
		 * that failed after the signal, its wait not cut short */
		if (rc < 0 && stop && *stop) {
			sc_error_set(err, SC_INTERRUPTED, "interrupted while waiting to open '%s'",
				     url.display);
			break;
		}
		if (rc == 0 || err->status != SC_TEMPFAIL || mode != SC_OPEN_WRITE ||
		    sc_tx_retry(attempt, err) < 0)
			break;
		sc_error_clear(err);
	}
	sc_dburl_free(&url);
	if (rc < 0)
		return -1;
	/* Checked in the first transaction, by sc_db_begin. */
	(*db)->schema_unchecked = mode == SC_OPEN_READ || mode == SC_OPEN_WRITE;
	return 0;
}

/* ---- values read as NULL ---- */

/* The (row, column) pairs already told: an open-addressing set, so a
 * listing of a million bad rows tells each once in constant time. */
#define UNREADABLE_COLUMNS 16

struct sc_unreadable {
	unsigned long long count;
	unsigned quiet;     /* sc_db_quiet_reads: internal reads nest */
	char *shown;        /* sc_db_shown_columns: ",a,b,", or NULL for all */
	char *columns[UNREADABLE_COLUMNS]; /* "table.column", interned */
	size_t ncolumns;
	struct told {
		int64_t id;
		unsigned column; /* index into columns, plus 1; 0: empty */
	} *slots;
	size_t cap, n;
};

static size_t told_hash(int64_t id, unsigned column, size_t cap)
{
	uint64_t h = ((uint64_t)id ^ ((uint64_t)column << 56)) * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 16) & (cap - 1);
}

/* Adds (id, column) to the set: true when it was not there yet (also
 * when out of memory: telling twice beats telling never). */
static bool told_add(struct sc_unreadable *u, int64_t id, unsigned column)
{
	if ((u->n + 1) * 2 > u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		struct told *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return true;
		for (size_t i = 0; i < u->cap; i++) {
			if (!u->slots[i].column)
				continue;
			size_t j = told_hash(u->slots[i].id, u->slots[i].column, cap);
			while (slots[j].column)
				j = (j + 1) & (cap - 1);
			slots[j] = u->slots[i];
		}
		free(u->slots);
		u->slots = slots;
		u->cap = cap;
	}
	size_t j = told_hash(id, column, u->cap);
	while (u->slots[j].column) {
		if (u->slots[j].id == id && u->slots[j].column == column)
			return false;
		j = (j + 1) & (u->cap - 1);
	}
	u->slots[j] = (struct told){ id, column };
	u->n++;
	return true;
}

static unsigned column_index(struct sc_unreadable *u, const char *table, const char *column)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", table, column);
	for (size_t i = 0; i < u->ncolumns; i++)
		if (strcmp(u->columns[i], name) == 0)
			return (unsigned)i + 1;
	if (u->ncolumns == UNREADABLE_COLUMNS || !(u->columns[u->ncolumns] = strdup(name)))
		return UNREADABLE_COLUMNS + 1; /* shared by the rest */
	return (unsigned)++u->ncolumns;
}

/* Whether column is one of list's (",a,b,"). */
static bool listed(const char *list, const char *column)
{
	size_t n = strlen(column);

	for (const char *p = list; (p = strstr(p, column)); p++)
		if (p > list && p[-1] == ',' && p[n] == ',')
			return true;
	return false;
}

void sc_db_unreadable(struct sc_db *db, const char *table, int64_t id, const char *column,
		      const char *value)
{
	struct sc_unreadable *u = db->unreadable;
	size_t len = value ? strlen(value) : 0, shown = len;
	char msg[512];

	if (!u && !(u = db->unreadable = calloc(1, sizeof(*u)))) {
		if (db->warn)
			db->warn("a time could not be read (and out of memory)", db->warn_ctx);
		return;
	}
	if (u->quiet || (u->shown && !listed(u->shown, column)))
		return; /* not printed: nothing was shown as null */
	u->count++;
	if (!told_add(u, id, column_index(u, table, column)) || !db->warn)
		return;
	/* At most 40 bytes of the value, cut between UTF-8 characters. */
	if (shown > 40)
		for (shown = 40; shown && ((unsigned char)value[shown] & 0xC0) == 0x80; shown--)
			;
	snprintf(msg, sizeof(msg), "row %lld of %s has an unreadable %s '%.*s%s' "
		 "(not a time in years 0001-9999): shown as null",
		 (long long)id, table, column, (int)shown, value ? value : "", shown < len ? "..." : "");
	db->warn(msg, db->warn_ctx);
}

int sc_db_shown_columns(struct sc_db *db, const char *list)
{
	char *copy = NULL;

	if (!db->unreadable && !(db->unreadable = calloc(1, sizeof(*db->unreadable))))
		return -1;
	if (list && !(copy = strdup(list)))
		return -1;
	free(db->unreadable->shown);
	db->unreadable->shown = copy;
	return 0;
}

int sc_db_quiet_reads(struct sc_db *db, bool on)
{
	if (!db->unreadable && !(db->unreadable = calloc(1, sizeof(*db->unreadable))))
		return -1;
	if (on)
		db->unreadable->quiet++;
	else if (db->unreadable->quiet)
		db->unreadable->quiet--;
	return 0;
}

void sc_db_on_warning(struct sc_db *db, sc_notice_cb cb, void *ctx)
{
	db->warn = cb;
	db->warn_ctx = ctx;
}

unsigned long long sc_db_unreadable_count(const struct sc_db *db)
{
	return db && db->unreadable ? db->unreadable->count : 0;
}

void sc_db_close(struct sc_db *db)
{
	struct sc_unreadable *u;

	if (!db)
		return;
	if ((u = db->unreadable)) {
		for (size_t i = 0; i < u->ncolumns; i++)
			free(u->columns[i]);
		free(u->slots);
		free(u->shown);
		free(u);
	}
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

double sc_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sc_db_notice(struct sc_db *db, const char *fmt, ...)
{
	char msg[SC_ERROR_MSG_SIZE + 128];
	va_list ap;

	if (!db->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	db->notice(msg, db->notice_ctx);
}
