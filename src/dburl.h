/* Database URLs (--db, SESSCTL_DB): which backend claims a value.
 *
 * Each backend recognises its own forms (backend.h, struct
 * sc_backend_info.claim): a scheme or syntax of its own wins over a
 * backend that takes any plain path, and a value with an unknown
 * "scheme://" is refused. Secrets are masked by the backend's redact.
 */
#ifndef SESSCTL_DBURL_H
#define SESSCTL_DBURL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct sc_backend_info;

struct sc_dburl {
	const struct sc_backend_info *info; /* the backend that claimed it */
	char *target;  /* what that backend opens: a file path, a conninfo */
	char *display; /* the same with any password replaced by "***" */
};

/* Parses s into url (fields owned by url; free with sc_dburl_free).
 * Returns 0, or -1 with SC_USAGE for an empty or malformed value. */
int sc_dburl_parse(const char *s, struct sc_dburl *url, struct sc_error *err);

/* Whether the value url was parsed from holds a password (which the
 * process list shows while sessctl runs): the backend's masking found one
 * (not a text masked out of doubt, which the backend refuses at once). */
bool sc_dburl_holds_password(const struct sc_dburl *url);

void sc_dburl_free(struct sc_dburl *url);

/* Replaces, in place, every occurrence of secret in buf by "***" (does
 * nothing for a NULL or empty secret). buf holds len bytes. */
void sc_redact_secret(char *buf, size_t len, const char *secret);

#endif
