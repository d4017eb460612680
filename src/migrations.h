/* Versioned schema migrations, compiled in, one list per SQL dialect. */
#ifndef SESSCTL_MIGRATIONS_H
#define SESSCTL_MIGRATIONS_H

#include <stddef.h>

/* The schema version this sessctl needs and writes. */
#define SC_SCHEMA_VERSION 6

struct sc_migration {
	int version;     /* 1, 2, ... without gaps */
	const char *name;
	const char *sql; /* one or more statements, run in one transaction */
};

/* Sets err to SC_CONFIG for a database at schema version (newer than
 * SC_SCHEMA_VERSION) and returns -1. */
struct sc_error;
int sc_schema_too_new(struct sc_error *err, int version);

/* Each backend keeps its dialect's list of SC_SCHEMA_VERSION entries, in
 * order: sc_NAME_migrations, declared in its own header. */

#endif
