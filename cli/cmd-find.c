/* find: sessions of every user that match filters, in id order, streamed. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/records.h"

enum { OPT_ACTIVE = 2000, OPT_INACTIVE };

struct find_opts {
	struct cli_filters f;
	int state_opt; /* OPT_ACTIVE, OPT_INACTIVE, 'a' (--all), or 0 */
	int64_t limit;
};

static const struct option options[] = {
	CLI_FILTER_OPTIONS,
	{ "active", no_argument, NULL, OPT_ACTIVE },
	{ "inactive", no_argument, NULL, OPT_INACTIVE },
	{ "all", no_argument, NULL, 'a' },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static const char *state_name(int opt)
{
	return opt == OPT_ACTIVE ? "--active" : opt == OPT_INACTIVE ? "--inactive" : "--all";
}

static int set_state(struct find_opts *o, int opt)
{
	if (o->state_opt && o->state_opt != opt)
		return cli_fail(SC_USAGE, "%s and %s exclude each other: give one of --active, "
				"--inactive and --all", state_name(o->state_opt), state_name(opt));
	o->state_opt = opt;
	return 0;
}

static int handle(int opt, const char *arg, void *state)
{
	struct find_opts *o = state;
	int rc;

	switch (opt) {
	case OPT_ACTIVE: return set_state(o, OPT_ACTIVE);
	case OPT_INACTIVE: return set_state(o, OPT_INACTIVE);
	case 'a': return set_state(o, 'a');
	case 'n': return cli_positive("--limit", arg, &o->limit);
	}
	rc = cli_filter_option(&o->f, opt, arg);
	return rc == -2 ? SC_SOFTWARE : rc;
}

/* The session's columns, then the user's. */
enum { COL_EMAIL = SC_SESS_NCOLS, COL_USERNAME, NCOLS };

static struct sc_column columns[NCOLS];

static void init_columns(void)
{
	memcpy(columns, sc_session_columns, sizeof(sc_session_columns));
	columns[COL_EMAIL] = (struct sc_column){ "email", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 };
	columns[COL_USERNAME] = (struct sc_column){ "username", SC_COL_TEXT, SC_COL_SHRINK, "USER NAME", 0 };
}

/* Whether --columns names email or username (the writer checks the rest):
 * only then are users joined. */
static bool wants_user(const char *spec)
{
	for (const char *p = spec; p && *p;) {
		size_t len = strcspn(p, ",");
		const char *q = p;
		size_t n = len;
		while (n && *q == ' ') {
			q++;
			n--;
		}
		while (n && q[n - 1] == ' ')
			n--;
		if ((n == 5 && strncmp(q, "email", 5) == 0) || (n == 8 && strncmp(q, "username", 8) == 0))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

struct emit_ctx {
	struct sc_writer *w;
	struct sc_error *err;
};

static int emit(const struct sc_find_row *r, void *vctx)
{
	struct emit_ctx *e = vctx;
	struct sc_value vals[NCOLS];

	sc_session_values(&r->s, vals);
	vals[COL_EMAIL] = (struct sc_value){ .null = !r->email, .s = r->email };
	vals[COL_USERNAME] = (struct sc_value){ .null = !r->username, .s = r->username };
	return sc_writer_row(e->w, vals, r->s.is_active ? 0 : SC_ROW_DIM, e->err);
}

/* Fills req from the options (*refs gets the parsed --user values):
 * 0, or an exit status after printing the error. */
static int build_request(const struct cli_ctx *ctx, const struct find_opts *o,
			 struct sc_find_request *req, struct sc_userref **refs, struct sc_ipnet *net)
{
	int rc = cli_filters_request(ctx, &o->f, req, refs, net);

	if (rc)
		return rc;
	req->state = o->state_opt == OPT_INACTIVE ? SC_FIND_INACTIVE
		   : o->state_opt == 'a'         ? SC_FIND_ALL
						 : SC_FIND_ACTIVE;
	req->limit = o->limit;
	req->with_user = wants_user(ctx->out.columns);
	return 0;
}

static int find(struct cli_ctx *ctx, const struct find_opts *o, struct sc_userref **refs)
{
	struct sc_error err = { 0 };
	struct sc_find_request req = { 0 };
	struct sc_ipnet net;
	struct sc_writer *w = NULL;
	struct sc_db *db;
	int rc;

	if ((rc = build_request(ctx, o, &req, refs, &net)))
		return rc;
	init_columns();
	if (sc_writer_open(&w, stdout, &ctx->out, columns, NCOLS, sc_session_response_cols,
			   sc_session_response_ncols, &err) < 0)
		return cli_report(&err);
	struct emit_ctx e = { w, &err };
	if ((rc = cli_db_listing(ctx, w, &db)) ||
	    (sc_find_sessions(db, &req, emit, &e, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(w);
		return rc;
	}
	return sc_writer_close(w, &err) < 0 ? cli_report(&err) : SC_OK;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct sc_userref *refs = NULL;
	int rc;

	(void)argc;
	(void)argv;
	rc = find(ctx, state, &refs);
	free(refs);
	cli_filters_free();
	return rc;
}

const struct cli_command cli_cmd_find = {
	.name = "find",
	.summary = "find sessions of every user by address, device, user or time",
	.synopsis = "find [FILTERS] [--active|--inactive|--all] [--limit N]",
	.help =
		"Lists the sessions of every user that match all the filters given, in\n"
		"ascending id order, as list-user prints them. Rows stream as they are\n"
		"read: any number of them in JSON, NDJSON or CSV in constant memory.\n"
		"Only active sessions are listed unless --inactive or --all is given.\n\n"
		"Options:\n"
		CLI_FILTER_HELP
		"  --active                  only active sessions (the default)\n"
		"  --inactive                only closed sessions\n"
		"  -a, --all                 active and closed sessions\n"
		"  -n, --limit N             at most N sessions (the lowest ids)\n\n"
		"WHEN is a duration ago (90s, 15m, 720h, 30d, 2w; as of --now) or a UTC\n"
		"date and time (2025-02-01, '2025-02-01 10:00:00', 2025-02-01T10:00:00+01:00).\n"
		"A session exactly at a -since bound is included, one exactly at a -until\n"
		"bound is not. --columns may add device_fingerprint, email and username.\n\n"
		"Examples:\n"
		"  sessctl find --ip 203.0.113.0/24 --seen-since 1d\n"
		"  sessctl find --all --fingerprint 3f9c2e --columns id,email,ip_address\n"
		"  sessctl find --ip 10.0.0.0/8 -o csv > sessions.csv\n",
	.shortopts = "an:",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct find_opts),
	.min_args = 0,
	.max_args = 0,
	.operand = "filter",
	.args_error = "find takes no arguments, only filters such as --ip or --user",
	.db = CLI_DB_READ,
	.run = run,
};
