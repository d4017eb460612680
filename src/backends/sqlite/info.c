/* What the core knows of the SQLite backend: the URL forms it takes.
 * SQLite is linked into sessctl itself (it costs nothing at start-up). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* sqlite:PATH, sqlite://PATH-or-/ABS, sqlite:///ABS/PATH (2), or any
 * other value as a plain path (1). */
static int claim(const char *s, char **target, struct sc_error *err)
{
	const char *path = s;
	int score = 1;

	if (has_prefix(s, "sqlite:")) {
		path = s + strlen("sqlite:");
		score = 2;
		if (has_prefix(path, "//")) {
			/* sqlite://HOST/PATH with an empty or local host */
			path += 2;
			if (has_prefix(path, "localhost/"))
				path += strlen("localhost");
			else if (*path != '/')
				return sc_error_set(err, SC_USAGE,
					"bad sqlite url '%s': use sqlite:PATH or sqlite:///ABS/PATH", s);
		}
		if (!*path)
			return sc_error_set(err, SC_USAGE, "sqlite url '%s' names no file", s);
	}
	*target = strdup(path);
	return *target ? score : sc_error_set(err, SC_SOFTWARE, "out of memory");
}

const struct sc_backend_info sc_sqlite_info = {
	.name = "sqlite",
	.module = "sessctl-sqlite.so",
	.needs = "libsqlite3-0",
	.claim = claim,
	.may_create = true,
};
