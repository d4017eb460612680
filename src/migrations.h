/* Versioned schema migrations, compiled in, one list per SQL dialect. */
#ifndef SESSCTL_MIGRATIONS_H
#define SESSCTL_MIGRATIONS_H

#include <stddef.h>

/* The schema version this sessctl needs and writes. */
#define SC_SCHEMA_VERSION 8

struct sc_migration {
	int version;     /* 1, 2, ... without gaps */
	const char *name;
	const char *sql; /* one or more statements, run in one transaction */
};

/* A column of the application's tables that sessctl reads, and what it
 * must hold: migrate checks each (an adopted table may lack one, or hold
 * uuid ids), so that a deploy fails there rather than every command
 * after it. */
enum sc_app_kind {
	SC_APP_ID,   /* an integer id */
	SC_APP_TEXT, /* text of any kind */
	SC_APP_TIME, /* a time */
	SC_APP_BOOL, /* a flag */
};

struct sc_app_column {
	const char *table, *column;
	enum sc_app_kind kind;
};

/* Sets err to SC_CONFIG for a database at schema version (newer than
 * SC_SCHEMA_VERSION) and returns -1. */
struct sc_error;
int sc_schema_too_new(struct sc_error *err, int version);

/* Each backend keeps its dialect's list of SC_SCHEMA_VERSION entries, in
 * order: sc_NAME_migrations, declared in its own header. */

#endif
