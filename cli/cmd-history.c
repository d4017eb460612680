#include "cli.h"

#include <stdio.h>


enum { OPT_SESSION = 2000, OPT_SINCE, OPT_LIMIT };

struct history_opts {
	const char *session;
	const char *since;
	int64_t limit;
};

static const struct option options[] = {
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct history_opts *o = state;

	switch (opt) {
	case OPT_SESSION: o->session = arg; return 0;
	case OPT_SINCE: o->since = arg; return 0;
	case 'n': return cli_positive("--limit", arg, &o->limit);
	}
	return SC_SOFTWARE;
}

static const struct sc_column columns[] = {
	{ "id", SC_COL_INT, 0, NULL, 0 },
	{ "created_at", SC_COL_TIME, 0, NULL, 0 },
	{ "action", SC_COL_TEXT, 0, NULL, 0 },
	{ "session_id", SC_COL_INT, 0, NULL, 0 },
	{ "user_id", SC_COL_INT, 0, NULL, 0 },
	{ "actor", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "reason", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
};

struct emit_ctx {
	struct sc_writer *w;
	struct sc_error *err;
};

static int emit(const struct sc_audit *a, void *vctx)
{
	struct emit_ctx *e = vctx;
	struct sc_value v[] = {
		{ .i = a->id },
		{ .i = a->created_at },
		{ .s = a->action },
		{ .null = a->session_id_null, .i = a->session_id },
		{ .null = a->user_id_null, .i = a->user_id },
		{ .null = !a->actor, .s = a->actor },
		{ .null = !a->reason, .s = a->reason },
	};
	return sc_writer_row(e->w, v, 0, e->err);
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct history_opts *o = state;
	struct sc_history_request req = { 0 };
	struct sc_error err = { 0 };
	struct sc_userref ref;
	struct sc_writer *w;
	const char *user_arg = NULL;
	int rc;

	if (argc == 1) {
		user_arg = argv[0];
		if (sc_userref_parse(user_arg, &ref, &err) < 0)
			return cli_report(&err);
	}
	if (o->session) {
		if ((rc = cli_session_id(o->session, &req.session_id)))
			return rc;
		req.has_session = true;
	}
	if (o->since) {
		int64_t d;
		if ((rc = cli_duration("--since", o->since, &d)))
			return rc;
		req.has_since = true;
		req.since = ctx->now - d;
	}
	req.limit = o->limit;
	if (sc_writer_open(&w, stdout, &ctx->out, columns, 7, NULL, 0, &err) < 0)
		return cli_report(&err);
	struct emit_ctx e = { w, &err };
	struct sc_db *db;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db)) ||
	    (sc_history(db, user_arg ? &ref : NULL, &req, emit, &e, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(w);
		return rc;
	}
	return sc_writer_close(w, &err) < 0 ? cli_report(&err) : SC_OK;
}

const struct cli_command cli_cmd_history = {
	.name = "history",
	.summary = "show the audit trail of changes, newest first",
	.synopsis = "history [USER] [--session ID] [--since DURATION] [--limit N]",
	.help =
		"Every change sessctl makes is recorded with its session, user, action\n"
		"(logout, logout-all, expire, over-limit, purge, create), actor, reason and time.\n\n"
		"Options:\n"
		"  --session ID              only this session's entries\n"
		"  --since DURATION          only entries newer than this (e.g. 24h, 7d)\n"
		"  -n, --limit N             at most N entries\n\n"
		"Examples:\n"
		"  sessctl history alice@example.com --since 7d\n"
		"  sessctl history --session 1042 -o json\n",
	.shortopts = "n:",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct history_opts),
	.min_args = 0,
	.max_args = 1,
	.operand = "USER",
	.db = CLI_DB_READ,
	.run = run,
};
