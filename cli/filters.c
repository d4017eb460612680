/* The session filters find and logout --where share: their options,
 * and the find request they make. */
#include "cli.h"

#include <stdlib.h>

#include "../src/records.h"
#include "../src/timeutil.h"

/* The --user values, in order. File scope rather than in struct
 * cli_filters, so that the array stays reachable (not a leak) when
 * parsing fails after some of them; cli_filters_free() frees it. */
static struct {
	const char **v;
	size_t n, cap;
} users;

static int add_user(const char *arg)
{
	if (users.n == users.cap) {
		size_t cap = users.cap ? users.cap * 2 : 8;
		const char **v = realloc(users.v, cap * sizeof(*v));
		if (!v)
			return cli_fail(SC_SOFTWARE, "out of memory");
		users.v = v;
		users.cap = cap;
	}
	users.v[users.n++] = arg;
	return 0;
}

int cli_filter_option(struct cli_filters *f, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_IP: f->ip = arg; break;
	case CLI_OPT_FINGERPRINT: f->fingerprint = arg; break;
	case CLI_OPT_DEVICE_TYPE: f->device_type = arg; break;
	case CLI_OPT_BROWSER: f->browser = arg; break;
	case CLI_OPT_FILTER_USER: return add_user(arg);
	case CLI_OPT_SEEN_SINCE: f->seen_since = arg; break;
	case CLI_OPT_SEEN_UNTIL: f->seen_until = arg; break;
	case CLI_OPT_CREATED_SINCE: f->created_since = arg; break;
	case CLI_OPT_CREATED_UNTIL: f->created_until = arg; break;
	case CLI_OPT_IDLE_FOR: f->idle_for = arg; break;
	default: return -2;
	}
	f->any = true;
	return 0;
}

size_t cli_filter_users(const char ***v)
{
	if (v)
		*v = users.v;
	return users.n;
}

void cli_filters_free(void)
{
	free(users.v);
	users.v = NULL;
	users.n = users.cap = 0;
}

/* A time bound (cli_when: a duration ago or a date and time). NULL: none
 * given. */
static int parse_when(const char *opt, const char *s, int64_t now, bool *has, int64_t *out_us)
{
	if (!s)
		return 0;
	*has = true;
	return cli_when_us(opt, s, now, out_us);
}

int cli_filters_request(const struct cli_ctx *ctx, const struct cli_filters *f,
			struct sc_find_request *req, struct sc_userref **refs, struct sc_ipnet *net)
{
	struct sc_error err = { 0 };
	int rc;

	*refs = calloc(users.n ? users.n : 1, sizeof(**refs));
	if (!*refs)
		return cli_fail(SC_SOFTWARE, "out of memory");
	for (size_t i = 0; i < users.n; i++)
		if (sc_userref_parse(users.v[i], &(*refs)[i], &err) < 0)
			return cli_report(&err);
	if ((f->device_type && sc_device_type_check(f->device_type, &err) < 0) ||
	    (f->ip && sc_ipnet_parse(f->ip, net, &err) < 0))
		return cli_report(&err);
	req->users = *refs;
	req->nusers = users.n;
	req->ip = f->ip ? net : NULL;
	req->fingerprint = f->fingerprint;
	req->device_type = f->device_type;
	req->browser = f->browser;
	if ((rc = parse_when("--seen-since", f->seen_since, ctx->now, &req->has_seen_since,
			     &req->seen_since_us)) ||
	    (rc = parse_when("--seen-until", f->seen_until, ctx->now, &req->has_seen_until,
			     &req->seen_until_us)) ||
	    (rc = parse_when("--created-since", f->created_since, ctx->now,
			     &req->has_created_since, &req->created_since_us)) ||
	    (rc = parse_when("--created-until", f->created_until, ctx->now,
			     &req->has_created_until, &req->created_until_us)))
		return rc;
	if (f->idle_for) {
		int64_t d;
		if ((rc = cli_duration("--idle-for", f->idle_for, &d)))
			return rc;
		req->has_idle_before = true;
		req->idle_before = ctx->now - d;
	}
	return 0;
}
