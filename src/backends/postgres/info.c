/* What the core knows of the PostgreSQL backend without loading its
 * module (no libpq here): the URL forms it takes and how a password in
 * them is masked for messages. Linked into sessctl itself.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A libpq keyword string starts with an identifier followed by '='. */
static bool is_keyword_string(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	return *s == '=';
}

/* postgresql://..., postgres://... or a keyword string, passed to
 * libpq exactly as given. */
static int claim(const char *s, char **target, struct sc_error *err)
{
	if (!has_prefix(s, "postgresql://") && !has_prefix(s, "postgres://") && !is_keyword_string(s))
		return 0;
	*target = strdup(s);
	return *target ? 2 : sc_error_set(err, SC_SOFTWARE, "out of memory");
}

/* Replaces out[start, end) by "***". */
static char *splice_stars(char *s, size_t start, size_t end)
{
	size_t len = strlen(s);
	char *r = malloc(len - (end - start) + 4);
	if (!r) {
		free(s);
		return NULL;
	}
	memcpy(r, s, start);
	memcpy(r + start, "***", 3);
	memcpy(r + start + 3, s + end, len - end + 1);
	free(s);
	return r;
}

/* Masks every value of key "password" in a keyword string or URL query,
 * starting the search at from. */
static char *mask_password_keywords(char *s, bool url_query)
{
	size_t pos = 0;

	for (;;) {
		char *hit = strstr(s + pos, "password");
		if (!hit)
			return s;
		size_t at = (size_t)(hit - s);
		bool starts_key = at == 0 || (url_query ? (s[at - 1] == '?' || s[at - 1] == '&')
							: isspace((unsigned char)s[at - 1]));
		char *p = hit + strlen("password");
		while (!url_query && isspace((unsigned char)*p))
			p++;
		if (!starts_key || *p != '=') {
			pos = at + 1;
			continue;
		}
		p++;
		while (!url_query && isspace((unsigned char)*p))
			p++;
		size_t vstart = (size_t)(p - s), vend;
		if (url_query) {
			vend = vstart + strcspn(p, "&#");
		} else if (*p == '\'') {
			const char *q = p + 1;
			while (*q && *q != '\'') {
				if (*q == '\\' && q[1])
					q++;
				q++;
			}
			vend = (size_t)(q - s) + (*q == '\'');
		} else {
			/* unquoted: up to white space, backslash escapes included */
			const char *q = p;
			while (*q && !isspace((unsigned char)*q)) {
				if (*q == '\\' && q[1])
					q++;
				q++;
			}
			vend = (size_t)(q - s);
		}
		s = splice_stars(s, vstart, vend);
		if (!s)
			return NULL;
		pos = vstart + 3;
	}
}

static char *redact(const char *conninfo)
{
	char *s = strdup(conninfo);
	if (!s)
		return NULL;
	if (has_prefix(s, "postgresql://") || has_prefix(s, "postgres://")) {
		/* libpq ends the user part at the first '@' before any '/':
		 * a password may hold '?' or '#'. */
		char *auth = strstr(s, "://") + 3;
		size_t authlen = strcspn(auth, "/");
		char *at = NULL;
		for (size_t i = 0; i < authlen; i++)
			if (auth[i] == '@')
				at = auth + i;
		if (at) {
			char *colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon) {
				s = splice_stars(s, (size_t)(colon + 1 - s), (size_t)(at - s));
				if (!s)
					return NULL;
			}
		}
		return mask_password_keywords(s, true);
	}
	return mask_password_keywords(s, false);
}

const struct sc_backend_info sc_postgres_info = {
	.name = "postgresql",
	.module = "sessctl-postgres.so",
	.needs = "libpq5",
	.claim = claim,
	.redact = redact,
};
