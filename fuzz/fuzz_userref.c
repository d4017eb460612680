/* User references: empty is a usage error; all digits is an id (the
 * value, or -1 past INT64_MAX); with '@' an email; else a username. The
 * reference text is kept as given. */
#include "fuzz.h"

#include "../src/domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct sc_userref ref;
	struct sc_error err = { 0 };
	int rc = sc_userref_parse(s, &ref, &err);
	size_t n = strlen(s);

	if (n == 0) {
		CHECK(rc == -1 && err.status == SC_USAGE, "empty user accepted");
		free(s);
		return 0;
	}
	CHECK(rc == 0, "'%s' rejected: %s", s, err.msg);
	CHECK(ref.text == s, "text not kept");
	if (strspn(s, "0123456789") == n) {
		unsigned __int128 v = 0;
		for (size_t i = 0; i < n && v <= INT64_MAX; i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		CHECK(ref.kind == SC_USER_BY_ID, "'%s' not an id", s);
		CHECK(ref.id == (v > INT64_MAX ? -1 : (int64_t)v), "'%s' = id %lld", s,
		      (long long)ref.id);
	} else if (strchr(s, '@')) {
		CHECK(ref.kind == SC_USER_BY_EMAIL && ref.id == -1, "'%s' not an email", s);
	} else {
		CHECK(ref.kind == SC_USER_BY_NAME && ref.id == -1, "'%s' not a username", s);
	}
	free(s);
	return 0;
}
