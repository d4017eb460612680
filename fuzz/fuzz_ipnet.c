/* IP/CIDR filters against an independent model.
 *
 * Input: NETWORK '\n' ADDRESS. The model puts everything in the 128-bit
 * IPv6 space (IPv4 as ::ffff:a.b.c.d, a plain IPv4 prefix plus 96) and
 * compares bit by bit; as documented, IPv4 and IPv4-mapped addresses are
 * one space and the rest of IPv6 the other, so ::/0 holds no IPv4
 * address. Only inet_pton is shared with the code under test.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "../src/domain.h"

struct addr {
	unsigned char b[16];
	bool v4; /* IPv4, or IPv4-mapped IPv6 */
};

static bool model_addr(const char *s, struct addr *a, bool *text_v4)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char v4[4];

	if (inet_pton(AF_INET, s, v4) == 1) {
		memcpy(a->b, prefix, 12);
		memcpy(a->b + 12, v4, 4);
		a->v4 = true;
		*text_v4 = true;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) != 1)
		return false;
	a->v4 = memcmp(a->b, prefix, 12) == 0;
	*text_v4 = false;
	return true;
}

/* Dotted decimal whose parts may have leading zeros (1-3 digits each,
 * at most 255): a stored form README lists, read as decimal. */
static bool model_zero_padded(const char *s, struct addr *a)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned parts[4], n = 0, digits = 0, v = 0;

	for (const char *p = s;; p++) {
		if (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p - '0');
			if (++digits > 3)
				return false;
		} else if ((*p == '.' || !*p) && digits && v <= 255 && n < 4) {
			parts[n++] = v;
			v = digits = 0;
			if (!*p)
				break;
		} else {
			return false;
		}
	}
	if (n != 4)
		return false;
	memcpy(a->b, prefix, 12);
	for (int i = 0; i < 4; i++)
		a->b[12 + i] = (unsigned char)parts[i];
	a->v4 = true;
	return true;
}

/* One stored entry, as README's decisions read it: blanks around,
 * "[addr]" (then ":port" or nothing), "v4:port", a zone ("%eth0"), a
 * host prefix length (/32 for IPv4 text, else /128). */
static bool model_stored(const char *e, size_t len, struct addr *a)
{
	char t[64], *suffix = NULL;

	while (len && strchr(" \t\r\n", *e))
		e++, len--;
	while (len && strchr(" \t\r\n", e[len - 1]))
		len--;
	if (len && *e == '[') {
		const char *close = memchr(e, ']', len);
		if (!close || (close + 1 < e + len && close[1] != ':'))
			return false;
		len = (size_t)(close - e - 1);
		e++;
	}
	if (!len || len >= sizeof(t))
		return false;
	memcpy(t, e, len);
	t[len] = '\0';
	if (strchr(t, '/')) {
		suffix = strchr(t, '/');
		*suffix++ = '\0';
	}
	char *colon = strchr(t, ':');
	if (colon && !strchr(colon + 1, ':') && strchr(t, '.'))
		*colon = '\0';
	t[strcspn(t, "%")] = '\0';
	bool text_v4;
	if (!model_addr(t, a, &text_v4)) {
		if (!model_zero_padded(t, a))
			return false;
	}
	if (suffix && strcmp(suffix, strchr(t, ':') ? "128" : "32") != 0)
		return false;
	return true;
}

static bool bit(const unsigned char *b, unsigned i)
{
	return b[i / 8] >> (7 - i % 8) & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *ip = strchr(in, '\n');
	char text[64];
	struct sc_ipnet net;
	struct sc_error err = { 0 };
	struct addr na, ia;
	bool na_text_v4, ia_text_v4, model_ok = false, got_ok;
	unsigned prefix = 0;

	if (ip)
		*ip++ = '\0';
	/* the model's reading of the network */
	if (*in && strlen(in) < sizeof(text)) {
		char *slash;
		strcpy(text, in);
		slash = strchr(text, '/');
		if (slash)
			*slash = '\0';
		if (model_addr(text, &na, &na_text_v4)) {
			unsigned max = na_text_v4 ? 32 : 128;
			bool ok = true;
			prefix = max;
			if (slash) {
				const char *p = slash + 1;
				unsigned long v = 0;
				ok = *p != '\0';
				for (; *p && ok; p++) {
					ok = *p >= '0' && *p <= '9';
					if (v <= 1000)
						v = v * 10 + (unsigned long)(*p - '0');
				}
				ok = ok && v <= max;
				prefix = (unsigned)v;
			}
			if (na_text_v4)
				prefix += 96;
			/* a mapped network is an IPv4 network: its prefix
			 * must reach past the mapping */
			model_ok = ok && (!na.v4 || prefix >= 96);
		}
	}
	got_ok = sc_ipnet_parse(in, &net, &err) == 0;
	CHECK(got_ok == model_ok, "'%s': parse %d, model %d (%s)", in, got_ok, model_ok, err.msg);
	if (!got_ok) {
		CHECK(err.status == SC_USAGE, "'%s': status %d", in, err.status);
		free(in);
		return 0;
	}
	if (ip) {
		bool want = false, got = sc_ipnet_contains(&net, ip);
		/* a comma-separated list: any entry */
		for (const char *e = ip; !want;) {
			size_t len = strcspn(e, ",");
			if (model_stored(e, len, &ia) && ia.v4 == na.v4) {
				want = true;
				for (unsigned i = 0; i < prefix && want; i++)
					want = bit(ia.b, i) == bit(na.b, i);
			}
			if (!e[len])
				break;
			e += len + 1;
		}
		CHECK(got == want, "'%s' in '%s': %d, model %d", ip, in, got, want);
		/* the backends' prefilter never drops what matches (the
		 * prefix as reads.c's ip_prefilter makes it) */
		if (got && (net.family != AF_INET || net.prefix >= 8)) {
			char pfx[16] = "";
			size_t n = 0;
			for (unsigned i = 0; net.family == AF_INET && i < net.prefix / 8 && i < 3; i++)
				n += (size_t)snprintf(pfx + n, sizeof(pfx) - n, "%u.", net.addr[i]);
			CHECK(sc_ip_text_may_match(ip, strlen(ip), net.family == AF_INET ? pfx : NULL),
			      "'%s' in '%s' matched but the prefilter drops it", ip, in);
		}
		{
			bool valid_want = strlen(ip) <= SC_IP_MAX && model_addr(ip, &ia, &ia_text_v4);
			CHECK(sc_ip_valid(ip) == valid_want, "valid('%s')", ip);
		}
	}
	CHECK(sc_ipnet_contains(&net, NULL) == false, "NULL matched");
	free(in);
	return 0;
}
