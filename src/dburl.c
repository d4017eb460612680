#include "dburl.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

static int set(struct sc_dburl *url, enum sc_db_kind kind, const char *target,
	       struct sc_error *err)
{
	url->kind = kind;
	url->target = strdup(target);
	url->display = kind == SC_DB_POSTGRES ? sc_redact_conninfo(target)
					      : strdup(target);
	if (!url->target || !url->display) {
		sc_dburl_free(url);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	return 0;
}

int sc_dburl_parse(const char *s, struct sc_dburl *url, struct sc_error *err)
{
	memset(url, 0, sizeof(*url));
	if (!s || !*s)
		return sc_error_set(err, SC_USAGE, "database url is empty: give --db PATH or --db postgresql://...");

	if (has_prefix(s, "postgresql://") || has_prefix(s, "postgres://") ||
	    is_keyword_string(s))
		return set(url, SC_DB_POSTGRES, s, err);

	if (has_prefix(s, "sqlite:")) {
		const char *path = s + strlen("sqlite:");
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
		return set(url, SC_DB_SQLITE, path, err);
	}
	if (strstr(s, "://"))
		return sc_error_set(err, SC_USAGE,
			"unsupported database url scheme in '%.*s': use sqlite:PATH or postgresql://...",
			(int)(strstr(s, "://") - s), s);
	return set(url, SC_DB_SQLITE, s, err);
}

void sc_dburl_free(struct sc_dburl *url)
{
	if (!url)
		return;
	free(url->target);
	free(url->display);
	url->target = url->display = NULL;
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

char *sc_redact_conninfo(const char *conninfo)
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

void sc_redact_secret(char *buf, size_t len, const char *secret)
{
	size_t slen, pos = 0;
	char *hit;

	if (!secret || !*secret || !buf || len < 4)
		return;
	slen = strlen(secret);
	while ((hit = strstr(buf + pos, secret))) {
		size_t at = (size_t)(hit - buf);
		size_t tail = strlen(hit + slen);
		if (at + 4 > len) { /* no room for "***": cut the secret off */
			*hit = '\0';
			return;
		}
		if (at + 3 + tail + 1 > len)
			tail = len - at - 4;
		memmove(hit + 3, hit + slen, tail);
		memcpy(hit, "***", 3);
		hit[3 + tail] = '\0';
		pos = at + 3;
	}
}
