/* Database URLs (--db, SESSCTL_DB) and redaction of passwords.
 *
 * Accepted forms (SPEC §4):
 *   sqlite:PATH, sqlite://PATH-or-/ABS, sqlite:///ABS/PATH, a plain path,
 *   postgresql://... or postgres://..., or a libpq keyword string
 *   ("host=... dbname=..."), which is recognised by its leading "word=".
 * PostgreSQL targets are passed to libpq exactly as given.
 */
#ifndef SESSCTL_DBURL_H
#define SESSCTL_DBURL_H

#include <stddef.h>

#include "error.h"

enum sc_db_kind {
	SC_DB_SQLITE,
	SC_DB_POSTGRES,
};

struct sc_dburl {
	enum sc_db_kind kind;
	char *target;  /* SQLite: the file path; PostgreSQL: the conninfo */
	char *display; /* the same with any password replaced by "***" */
};

/* Parses s into url (fields owned by url; free with sc_dburl_free).
 * Returns 0, or -1 with SC_USAGE for an empty or malformed value. */
int sc_dburl_parse(const char *s, struct sc_dburl *url, struct sc_error *err);

void sc_dburl_free(struct sc_dburl *url);

/* Returns a malloc'd copy of a PostgreSQL URL or keyword string with the
 * password (userinfo, "password=" keyword or query parameter) replaced by
 * "***"; NULL only when out of memory. */
char *sc_redact_conninfo(const char *conninfo);

/* Replaces, in place, every occurrence of secret in buf by "***" (does
 * nothing for a NULL or empty secret). buf holds len bytes. */
void sc_redact_secret(char *buf, size_t len, const char *secret);

#endif
