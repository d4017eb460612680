#include "domain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int sc_userref_parse(const char *s, struct sc_userref *ref, struct sc_error *err)
{
	const char *p;

	if (!s || !*s)
		return sc_error_set(err, SC_USAGE,
				    "user is empty: give a user id, email or username");
	ref->text = s;
	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (!*p) {
		errno = 0;
		char *end;
		long long v = strtoll(s, &end, 10);
		ref->kind = SC_USER_BY_ID;
		ref->id = errno == ERANGE ? -1 : v;
		return 0;
	}
	ref->kind = strchr(s, '@') ? SC_USER_BY_EMAIL : SC_USER_BY_NAME;
	ref->id = -1;
	return 0;
}

void sc_user_free(struct sc_user *u)
{
	if (!u)
		return;
	free(u->email);
	free(u->username);
	free(u->role);
	memset(u, 0, sizeof(*u));
}

/* Parses an address into 16 bytes; IPv4 becomes IPv4-mapped IPv6 when
 * mapped is set, else fills the first 4 bytes. */
static int parse_addr(const char *s, int *family, unsigned char *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		*family = AF_INET6;
		if (memcmp(addr, mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			*family = AF_INET;
		}
		return 0;
	}
	return -1;
}

bool sc_ip_valid(const char *s)
{
	unsigned char buf[16];
	int family;
	return s && strlen(s) <= SC_IP_MAX && parse_addr(s, &family, buf) == 0;
}

int sc_ipnet_parse(const char *s, struct sc_ipnet *net, struct sc_error *err)
{
	char text[64];
	const char *slash;
	unsigned max;

	if (!s || !*s || strlen(s) >= sizeof(text))
		return sc_error_set(err, SC_USAGE, "bad ip '%s': give an address or CIDR such as 10.0.0.0/8", s ? s : "");
	memset(net, 0, sizeof(*net));
	strcpy(text, s);
	slash = strchr(s, '/');
	if (slash)
		text[slash - s] = '\0';
	if (parse_addr(text, &net->family, net->addr) < 0)
		return sc_error_set(err, SC_USAGE, "bad ip '%s': give an address or CIDR such as 10.0.0.0/8", s);
	/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as IPv4,
	 * and its prefix length counts the 96 bits of the mapping. */
	bool mapped = net->family == AF_INET && strchr(text, ':') != NULL;
	max = net->family == AF_INET && !mapped ? 32 : 128;
	net->prefix = max;
	if (slash) {
		char *end;
		const char *bits = slash + 1;
		errno = 0;
		unsigned long v = strtoul(bits, &end, 10);
		if (!*bits || *end || errno || v > max || *bits < '0' || *bits > '9')
			return sc_error_set(err, SC_USAGE, "bad prefix length in '%s': must be 0 to %u", s, max);
		net->prefix = (unsigned)v;
	}
	if (mapped) {
		if (net->prefix < 96)
			return sc_error_set(err, SC_USAGE,
				"bad prefix length in '%s': an IPv4-mapped network needs 96 to 128", s);
		net->prefix -= 96;
	}
	return 0;
}

/* Dotted decimal with leading zeros ("010.000.000.001"), which inet_pton
 * refuses: each part read as decimal, never octal. */
static int parse_zero_padded_v4(const char *s, unsigned char *addr)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!digits || digits > 3 || v > 255 || *s != (i < 3 ? '.' : '\0'))
			return -1;
		addr[i] = (unsigned char)v;
		s += i < 3;
	}
	return 0;
}

/* One address as an application or a proxy may have stored it: around
 * blanks, "[v6]" or "[v6]:port", "v4:port", a zone ("fe80::1%eth0"), a
 * prefix length ("203.0.113.7/32"), IPv4 parts with leading zeros. */
static int parse_stored_addr(const char *s, size_t len, int *family, unsigned char *addr)
{
	char text[64];
	const char *colon;

	while (len && strchr(" \t\r\n", *s))
		s++, len--;
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	if (len && *s == '[') {
		const char *close = memchr(s, ']', len);
		if (!close || (close + 1 < s + len && close[1] != ':'))
			return -1;
		len = (size_t)(close - s - 1);
		s++;
	}
	if (!len || len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	/* A host's prefix length (PostgreSQL's inet as text); a network's
	 * ("10.0.0.0/8") is not an address. */
	char *slash = strchr(text, '/');
	if (slash)
		*slash++ = '\0';
	if ((colon = strchr(text, ':')) && !strchr(colon + 1, ':') && strchr(text, '.'))
		text[colon - text] = '\0'; /* v4:port */
	text[strcspn(text, "%")] = '\0';
	if (parse_addr(text, family, addr) < 0) {
		if (parse_zero_padded_v4(text, addr) < 0)
			return -1;
		*family = AF_INET;
	}
	if (slash && strcmp(slash, *family == AF_INET && !strchr(text, ':') ? "32" : "128") != 0)
		return -1;
	return 0;
}

bool sc_ip_text_may_match(const char *ip, size_t len, const char *v4_prefix)
{
	size_t plen = v4_prefix ? strlen(v4_prefix) : 0;
	bool part_start = true;

	if (memchr(ip, ':', len))
		return true;
	if (!v4_prefix)
		return false;
	if (len >= plen && memcmp(ip, v4_prefix, plen) == 0)
		return true;
	/* Plain dotted decimal that does not begin so lies outside; any
	 * other form (a blank, a list, brackets, a prefix length, a part
	 * with a leading zero) is the core's to read. */
	for (size_t i = 0; i < len; i++) {
		char c = ip[i];
		if (c == '.') {
			part_start = true;
			continue;
		}
		if (c < '0' || c > '9' || (part_start && c == '0' && i + 1 < len && ip[i + 1] >= '0' &&
					   ip[i + 1] <= '9'))
			return true;
		part_start = false;
	}
	return false;
}

bool sc_ipnet_contains(const struct sc_ipnet *net, const char *ip)
{
	if (!ip)
		return false;
	/* A list ("client, proxy", as X-Forwarded-For holds): any of them,
	 * since a client can write the first itself. */
	for (const char *p = ip;; p++) {
		size_t len = strcspn(p, ",");
		unsigned char addr[16];
		int family;
		if (parse_stored_addr(p, len, &family, addr) == 0 && family == net->family) {
			unsigned full = net->prefix / 8, rest = net->prefix % 8;
			unsigned char mask = (unsigned char)(0xff << (8 - rest));
			if (memcmp(addr, net->addr, full) == 0 &&
			    (!rest || (addr[full] & mask) == (net->addr[full] & mask)))
				return true;
		}
		p += len;
		if (!*p)
			return false;
	}
}

int sc_env_positive(const char *name, int64_t dflt, int64_t *out,
		    struct sc_error *err)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n <= 0)
		return sc_error_set(err, SC_USAGE, "%s='%s' is not a positive integer", name, v);
	*out = n;
	return 0;
}

int sc_ids_push(struct sc_ids *ids, int64_t id)
{
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 64;
		int64_t *v = realloc(ids->v, cap * sizeof(*v));
		if (!v)
			return -1;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = id;
	return 0;
}

int sc_ids_append(struct sc_ids *to, const struct sc_ids *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (sc_ids_push(to, from->v[i]) < 0)
			return -1;
	return 0;
}

void sc_ids_free(struct sc_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = ids->cap = 0;
}

static char *dup_field(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*failed = true;
	return d;
}

int sc_session_copy(const struct sc_session *s, struct sc_session *copy)
{
	bool failed = false;

	*copy = *s;
	copy->device_fingerprint = dup_field(s->device_fingerprint, &failed);
	copy->device_name = dup_field(s->device_name, &failed);
	copy->device_type = dup_field(s->device_type, &failed);
	copy->browser = dup_field(s->browser, &failed);
	copy->ip_address = dup_field(s->ip_address, &failed);
	if (failed) {
		sc_session_release(copy);
		return -1;
	}
	return 0;
}

void sc_session_release(struct sc_session *s)
{
	free((char *)(uintptr_t)s->device_fingerprint);
	free((char *)(uintptr_t)s->device_name);
	free((char *)(uintptr_t)s->device_type);
	free((char *)(uintptr_t)s->browser);
	free((char *)(uintptr_t)s->ip_address);
	s->device_fingerprint = s->device_name = s->device_type = s->browser = s->ip_address = NULL;
}
