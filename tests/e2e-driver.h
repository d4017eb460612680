/* The harness's drivers: what the end-to-end harness (tests/e2e.c) needs
 * from each database it can test sessctl against. One struct per backend,
 * listed in e2e_drivers[] (tests/e2e.c); SESSCTL_TEST_BACKEND picks one
 * by name. Test cases never see a driver: they use e2e.h.
 *
 * A new backend adds one file tests/e2e-driver-NAME.c defining its
 * struct e2e_driver, and one line in e2e_drivers[]. */
#ifndef SESSCTL_TESTS_E2E_DRIVER_H
#define SESSCTL_TESTS_E2E_DRIVER_H

#include "e2e.h"

#include <stdbool.h>
#include <stddef.h>

/* A growing string: what a driver's rows() appends to. */
struct e2e_buf {
	char *s;
	size_t len, cap;
};
void e2e_buf_add(struct e2e_buf *b, const char *text);

struct e2e_driver {
	const char *name; /* the SESSCTL_TEST_BACKEND value */
	/* Reads the driver's settings from the environment at the start of
	 * each test of a run on this backend; fails the test when one is
	 * missing. NULL: none. */
	void (*init)(void);
	/* Makes a fresh, empty database (or the place for one) and fills
	 * db->url (what sessctl's --db gets) and db->path (for the test: a
	 * file, a database name). name is a file name in the test's
	 * directory for file-based backends; server backends pick a unique
	 * name of their own. */
	void (*create)(struct e2e_db *db, const char *name);
	/* Removes a database create() made; at teardown. NULL: nothing to
	 * do (the test's directory goes anyway). */
	void (*drop)(struct e2e_db *db);
	/* At teardown, after the drops: releases what init() and the
	 * driver's own helpers took. NULL: nothing. */
	void (*fini)(void);
	/* Runs sql (one or more statements) on db as its owner, with UTC as
	 * the session's time zone; with out, stores the first column of the
	 * first row there. Fails the test on error. */
	void (*exec)(const struct e2e_db *db, const char *sql, long long *out);
	/* Appends the rows of the query sql on db to b, one line each,
	 * fields joined with '|', NULL as "NULL". Fails the test on error. */
	void (*rows)(const struct e2e_db *db, const char *sql, struct e2e_buf *b);
	/* Whether db has a table of that name in its schema: false when db
	 * does not exist yet (a file-based database appears only when
	 * sessctl or a fixture creates it). */
	bool (*has_table)(const struct e2e_db *db, const char *table);
	/* SQL that moves the sessions id sequence past ids a fixture
	 * inserted explicitly. NULL: ids need no such care. */
	const char *fix_sequence_sql;
};

extern const struct e2e_driver e2e_driver_sqlite;
extern const struct e2e_driver e2e_driver_postgres;

/* Helpers of the harness for the drivers; each fails the test when out
 * of memory. */
char *e2e_xstrdup(const char *s);
char *e2e_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
