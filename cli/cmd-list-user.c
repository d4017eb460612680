#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "../src/records.h"

struct list_opts {
	bool all;
	const char *device_type;
	const char *ip;
	const char *idle_for;
	int64_t limit;
};

enum { OPT_ALL = 2000, OPT_DEVICE_TYPE, OPT_IP, OPT_IDLE_FOR, OPT_LIMIT };

static const struct option options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "device-type", required_argument, NULL, OPT_DEVICE_TYPE },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "idle-for", required_argument, NULL, OPT_IDLE_FOR },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct list_opts *o = state;

	switch (opt) {
	case 'a': o->all = true; return 0;
	case OPT_DEVICE_TYPE: o->device_type = arg; return 0;
	case OPT_IP: o->ip = arg; return 0;
	case OPT_IDLE_FOR: o->idle_for = arg; return 0;
	case 'n': return cli_positive("--limit", arg, &o->limit);
	}
	return SC_SOFTWARE;
}

struct emit_ctx {
	struct sc_writer *w;
	struct sc_error *err;
};

static int emit(const struct sc_session *s, void *vctx)
{
	struct emit_ctx *e = vctx;
	struct sc_value vals[SC_SESS_NCOLS];

	sc_session_values(s, vals);
	return sc_writer_row(e->w, vals, s->is_active ? 0 : SC_ROW_DIM, e->err);
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct list_opts *o = state;
	struct sc_error err = { 0 };
	struct sc_list_query q = { 0 };
	struct sc_ipnet net;
	struct sc_userref ref;
	struct sc_writer *w = NULL;
	int rc;

	(void)argc;
	if (sc_userref_parse(argv[0], &ref, &err) < 0 ||
	    (o->device_type && sc_device_type_check(o->device_type, &err) < 0) ||
	    (o->ip && sc_ipnet_parse(o->ip, &net, &err) < 0))
		return cli_report(&err);
	q.req.all = o->all;
	q.req.device_type = o->device_type;
	q.req.limit = o->limit;
	q.ip = o->ip ? &net : NULL;
	if (o->idle_for) {
		int64_t d;
		if ((rc = cli_duration("--idle-for", o->idle_for, &d)))
			return rc;
		q.req.has_idle_before = true;
		q.req.idle_before = ctx->now - d;
	}
	if (sc_writer_open(&w, stdout, &ctx->out, sc_session_columns, SC_SESS_NCOLS,
			   sc_session_response_cols, sc_session_response_ncols, &err) < 0)
		return cli_report(&err);
	struct emit_ctx e = { w, &err };
	struct sc_db *db;
	if ((rc = cli_db_listing(ctx, w, &db)) ||
	    (sc_list_user_sessions(db, &ref, &q, emit, &e, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(w);
		return rc;
	}
	return sc_writer_close(w, &err) < 0 ? cli_report(&err) : SC_OK;
}

const struct cli_command cli_cmd_list_user = {
	.name = "list-user",
	.summary = "list a user's sessions, most recent activity first",
	.synopsis = "list-user USER [--all] [--device-type TYPE] [--ip ADDR|CIDR] [--idle-for DURATION] [--limit N]",
	.help =
		"USER is a user id (all digits), an email (contains @) or a username.\n"
		"Only active sessions are listed unless --all is given.\n\n"
		"Options:\n"
		"  -a, --all                 include closed sessions\n"
		"  --device-type TYPE        only web or mobile sessions\n"
		"  --ip ADDR|CIDR            only sessions from this address or network\n"
		"  --idle-for DURATION       only sessions idle at least this long (90s, 15m, 720h, 30d, 2w)\n"
		"  -n, --limit N             at most N sessions\n\n"
		"Examples:\n"
		"  sessctl list-user alice@example.com\n"
		"  sessctl list-user 74 --all -o json\n"
		"  sessctl list-user bob --ip 10.0.0.0/8 --idle-for 7d\n",
	.shortopts = "an:",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct list_opts),
	.min_args = 1,
	.max_args = 1,
	.operand = "USER",
	.db = CLI_DB_READ,
	.run = run,
};
