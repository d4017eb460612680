/* sc_duration_parse against a reference: accepted exactly when the text is
 * one or more <digits><unit> groups (units s m h d w) adding up to at most
 * 320000000000 seconds (about 10000 years), and then to that sum. */
#include "fuzz.h"

#include "../src/timeutil.h"

#define BOUND INT64_C(320000000000)

/* -1: not a duration; -2: over the bound; else the seconds. */
static int64_t reference(const char *s)
{
	unsigned __int128 total = 0;
	const char *p = s;

	if (!*p)
		return -1;
	while (*p) {
		unsigned __int128 n = 0;
		unsigned mult;
		size_t nd = 0;
		bool big = false;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned)(*p++ - '0');
			if (n > BOUND)
				big = true, n = BOUND + 1; /* saturate */
			nd++;
		}
		if (!nd)
			return -1;
		switch (*p) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		default: return -1;
		}
		p++;
		total += big ? BOUND + 1 : n * mult;
		if (total > BOUND)
			total = BOUND + 1;
	}
	return total > BOUND ? -2 : (int64_t)total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int64_t got = -42, want = reference(s);
	int rc = sc_duration_parse(s, &got);

	if (want >= 0) {
		CHECK(rc == 0, "'%s' rejected, expected %lld", s, (long long)want);
		CHECK(got == want, "'%s' = %lld, expected %lld", s, (long long)got, (long long)want);
	} else {
		/* a syntax error (-1) or a well-formed sum past the bound (-2,
		 * "too long"): the parser reads on past an overflowing group,
		 * so a later syntax error is still -1 */
		CHECK(rc == (int)want, "'%s' gave %d (result %lld), reference %lld", s, rc,
		      (long long)got, (long long)want);
		CHECK(got == -42, "'%s' rejected but set %lld", s, (long long)got);
	}
	free(s);
	return 0;
}
