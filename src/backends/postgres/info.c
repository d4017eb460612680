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
	if (has_prefix(s, "postgresql://") || has_prefix(s, "postgres://")) {
		/* libpq ends the user part at the first '@': the rest of a
		 * password holding an unencoded '@' would become the host name,
		 * which libpq's message repeats. (Nothing of the URL is quoted
		 * here: it holds the password.) */
		const char *p = strstr(s, "://") + 3;
		size_t u = strcspn(p, "@/"); /* libpq's end of the user part */
		const char *host = p[u] == '@' ? p + u + 1 : NULL;
		if (host && memchr(host, '@', strcspn(host, "/?")))
			return sc_error_set(err, SC_USAGE, "bad postgresql URL: more than one '@' before the "
					    "host: write an '@' of the user name or password as %%40");
		/* It also ends it at the first '/': a password holding an
		 * unencoded '/' (base64 makes them) puts its first part in the
		 * host and port and the rest in the database name, both of
		 * which libpq's and the server's messages repeat. An '@' in
		 * the path is that, or a database name to write with %40. */
		const char *path = p + strcspn(p, "/");
		if (*path && memchr(path, '@', strcspn(path, "?")))
			return sc_error_set(err, SC_USAGE, "bad postgresql URL: an '@' after the first '/': "
					    "write a '/' of the user name or password as %%2F (an '@' as %%40)");
	}
	*target = strdup(s);
	return *target ? 2 : sc_error_set(err, SC_SOFTWARE, "out of memory");
}

/* ---- masking passwords for messages, without libpq ----
 *
 * This masking serves the messages given before the module is loaded
 * (and is the starting point of the module's own, which checks it
 * against libpq's parse: pg_open). It follows libpq's grammar, and where
 * the text leaves any doubt about where a password ends, it masks
 * everything from there on. */

struct out {
	char *s;
	size_t n, cap;
	bool oom;
	bool secret;   /* a value masked as a password (not out of doubt) */
	size_t masks;  /* how many "***" it wrote */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->n + n + 1 > o->cap) {
		size_t cap = (o->n + n + 1) * 2;
		char *p = realloc(o->s, cap);
		if (!p) {
			o->oom = true;
			return;
		}
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->n, s, n);
	o->n += n;
	o->s[o->n] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* "***" for a password (secret), or for the rest of a text libpq will
 * refuse, where a password may hide (doubt). */
static void mask(struct out *o, bool secret)
{
	puts_(o, "***");
	o->masks++;
	o->secret |= secret;
}

/* A key whose value may be shown: a plain keyword other than password
 * and sslpassword. A key libpq would decode (%..) or any other spelling
 * may name one. */
static bool shown_key(const char *k, size_t n)
{
	if (n == 0 || (n == 8 && memcmp(k, "password", 8) == 0) ||
	    (n == 11 && memcmp(k, "sslpassword", 11) == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_'))
			return false;
	return true;
}

static bool is_url(const char *s)
{
	return has_prefix(s, "postgresql://") || has_prefix(s, "postgres://");
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Whether a URL's dbname (the path, or a dbname parameter), as libpq
 * decodes it (%XX), is itself a connection string or a URL: likely with
 * a password in it, and libpq takes it for a database's name, which the
 * server then names in its messages. */
static bool nested_dbname(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	size_t j = 0;
	bool nested;

	if (!d)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			d[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	nested = memchr(d, '=', j) || strstr(d, "://");
	free(d);
	return nested;
}

/* postgresql://[user[:password]@]hosts[/dbname][?key=value&...] */
static void mask_url(struct out *o, const char *s, size_t len)
{
	const char *end = s + len, *p = strstr(s, "://") + 3;
	const char *slash = memchr(p, '/', (size_t)(end - p)), *at = NULL;

	put(o, s, (size_t)(p - s));
	if (!slash)
		slash = end;
	/* libpq ends the user part at the first '@' or '/'; a password that
	 * holds a '/' (unencoded) would put its '@' after it, in the path:
	 * doubt. (An '@' in the query is a value's: a '?' after an '@' starts
	 * the query, since no host holds a '?'; before one it may be the
	 * password's.) */
	for (const char *q = p; q < slash; q++) {
		if (*q == '@')
			at = q;
		else if (*q == '?' && at)
			break;
	}
	const char *path_end = memchr(slash, '?', (size_t)(end - slash));
	if (memchr(slash, '@', (size_t)((path_end ? path_end : end) - slash))) {
		mask(o, true);
		return;
	}
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			put(o, p, (size_t)(colon + 1 - p));
			mask(o, true);
		} else {
			put(o, p, (size_t)(at - p));
		}
		p = at;
	}
	const char *q = memchr(p, '?', (size_t)(end - p)), *dbname_end = q ? q : end;
	if (slash < dbname_end && nested_dbname(slash + 1, (size_t)(dbname_end - slash - 1))) {
		put(o, p, (size_t)(slash + 1 - p));
		mask(o, true);
	} else {
		put(o, p, (size_t)(dbname_end - p));
	}
	if (!q)
		return;
	puts_(o, "?");
	for (p = q + 1; p <= end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		if (!eq) {
			if (pe > p)
				mask(o, false); /* libpq refuses a parameter without '=' */
		} else if (shown_key(p, (size_t)(eq - p)) &&
			   !(eq - p == 6 && memcmp(p, "dbname", 6) == 0 &&
			     nested_dbname(eq + 1, (size_t)(pe - eq - 1)))) {
			put(o, p, (size_t)(pe - p));
		} else {
			put(o, p, (size_t)(eq + 1 - p));
			mask(o, true);
		}
		if (!amp)
			break;
		puts_(o, "&");
		p = amp + 1;
	}
}

static void mask_keywords(struct out *o, const char *s);

/* A dbname holding '=' within a connection string: libpq takes it for a
 * database name, but it reads as a connection string of its own, likely
 * with a password in it. Shown masked in turn, read as libpq reads the
 * value (its backslash escapes undone); a quoted one keeps its quotes. */
static void mask_nested(struct out *o, const char *val, size_t len)
{
	bool quoted = len >= 2 && val[0] == '\'' && val[len - 1] == '\'';
	const char *end = val + len - quoted;
	char *inner = malloc(len + 1), *w = inner;

	if (!inner) {
		o->oom = true;
		return;
	}
	for (const char *r = val + quoted; r < end; r++) {
		if (*r == '\\' && r + 1 < end)
			r++;
		*w++ = *r;
	}
	*w = '\0';
	if (quoted)
		puts_(o, "'");
	size_t masks = o->masks;
	mask_keywords(o, inner);
	/* whatever it masks there, out of doubt too, is in a database name
	 * libpq accepts: shown to anyone as it is given */
	if (o->masks != masks)
		o->secret = true;
	if (quoted)
		puts_(o, "'");
	free(inner);
}

/* key = value ... as libpq's conninfo_parse reads it: a value is quoted
 * ('...' with backslash escapes, and the next key may follow the closing
 * quote at once) or runs to white space (backslash escapes too). */
static void mask_keywords(struct out *o, const char *s)
{
	const char *p = s;

	while (*p) {
		if (isspace((unsigned char)*p)) {
			put(o, p++, 1);
			continue;
		}
		const char *key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		size_t klen = (size_t)(p - key);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=' || klen == 0) {
			mask(o, false); /* libpq fails here: the rest is doubt */
			return;
		}
		p++;
		while (isspace((unsigned char)*p))
			p++;
		const char *val = p;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p) {
				put(o, key, (size_t)(val - key));
				mask(o, !shown_key(key, klen)); /* unterminated */
				return;
			}
			p++;
		} else {
			for (; *p && !isspace((unsigned char)*p); p++)
				if (*p == '\\' && p[1])
					p++;
		}
		put(o, key, (size_t)(val - key)); /* the key, '=' and blanks as given */
		if (!shown_key(key, klen))
			mask(o, true);
		else if (is_url(val) || (val[0] == '\'' && is_url(val + 1)))
			mask_url(o, val, (size_t)(p - val));
		else if (klen == 6 && memcmp(key, "dbname", 6) == 0 && memchr(val, '=', (size_t)(p - val)))
			mask_nested(o, val, (size_t)(p - val));
		else
			put(o, val, (size_t)(p - val));
		/* a key may follow a quoted value without a blank */
		if (*p && !isspace((unsigned char)*p))
			puts_(o, " ");
	}
}

static struct out masked(const char *conninfo)
{
	struct out o = { 0 };

	puts_(&o, "");
	if (is_url(conninfo))
		mask_url(&o, conninfo, strlen(conninfo));
	else
		mask_keywords(&o, conninfo);
	return o;
}

static char *redact(const char *conninfo)
{
	struct out o = masked(conninfo);

	if (o.oom) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

/* A password the masking finds, not the rest of a text masked out of
 * doubt: libpq refuses such a text at once (64). */
static bool holds_password(const char *conninfo)
{
	struct out o = masked(conninfo);

	free(o.s);
	return o.secret || o.oom;
}

/* libpq brings libldap, which brings GnuTLS, whose constructor sets the
 * library up whether anything uses it or not: with it, 0.7 MiB more of
 * every PostgreSQL run's peak RSS (its pages and heap), over the 8 MiB
 * SPEC allows for a long find. libpq's own TLS is OpenSSL's, and libldap
 * sets GnuTLS up itself when an LDAP lookup (a service file's ldap://
 * entry) needs TLS, so nothing here needs that constructor. */
static const char *const load_env[] = { "GNUTLS_NO_IMPLICIT_INIT=1", NULL };

const struct sc_backend_info sc_postgres_info = {
	.name = "postgresql",
	.module = "sessctl-postgres.so",
	.needs = "libpq5",
	.claim = claim,
	.redact = redact,
	.holds_password = holds_password,
	.load_env = load_env,
};
