#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>


enum { OPT_BY = 2000, OPT_OVER };

struct count_opts {
	bool by_user;
	bool has_over;
	int64_t over;
};

static const struct option options[] = {
	{ "by", required_argument, NULL, OPT_BY },
	{ "over", required_argument, NULL, OPT_OVER },
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct count_opts *o = state;

	switch (opt) {
	case OPT_BY:
		if (strcmp(arg, "user") != 0)
			return cli_fail(SC_USAGE, "bad --by '%s': the only grouping is 'user'", arg);
		o->by_user = true;
		return 0;
	case OPT_OVER:
		o->has_over = true;
		return cli_nonnegative("--over", arg, &o->over);
	}
	return SC_SOFTWARE;
}

static const struct sc_column user_count_cols[] = {
	{ "user_id", SC_COL_INT, 0, NULL, 0 },
	{ "active_sessions", SC_COL_INT, 0, NULL, 0 },
};

static const struct sc_column totals_cols[] = {
	{ "users", SC_COL_INT, 0, NULL, 0 },
	{ "users_with_sessions", SC_COL_INT, 0, NULL, 0 },
	{ "sessions", SC_COL_INT, 0, NULL, 0 },
	{ "active", SC_COL_INT, 0, NULL, 0 },
	{ "inactive", SC_COL_INT, 0, NULL, 0 },
};

static const struct sc_column by_user_cols[] = {
	{ "user_id", SC_COL_INT, 0, NULL, 0 },
	{ "email", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "username", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "active_sessions", SC_COL_INT, 0, NULL, 0 },
};

struct emit_ctx {
	struct sc_writer *w;
	struct sc_error *err;
};

static int emit_user_count(const struct sc_user_count *c, void *vctx)
{
	struct emit_ctx *e = vctx;
	struct sc_value v[] = {
		{ .i = c->user_id },
		{ .null = !c->email, .s = c->email },
		{ .null = !c->username, .s = c->username },
		{ .i = c->active },
	};
	return sc_writer_row(e->w, v, 0, e->err);
}

struct query {
	const struct cli_ctx *ctx;
	const struct count_opts *o;
	const char *user_arg;
	struct sc_writer *w; /* opened by query() */
};

/* Runs the query the options ask for and prints its answer. */
static int query(struct sc_db *db, void *arg, struct sc_error *err)
{
	struct query *q = arg;
	const struct count_opts *o = q->o;
	const char *user_arg = q->user_arg;
	struct sc_writer **w = &q->w;
	struct sc_output_opts out = q->ctx->out;

	if (user_arg) {
		struct sc_userref ref;
		int64_t n, id;
		if (sc_userref_parse(user_arg, &ref, err) < 0 || sc_count_user(db, &ref, &id, &n, err) < 0)
			return -1;
		if (out.format == SC_FORMAT_TABLE && !out.columns) {
			/* A bare integer, for scripts: n=$(sessctl count alice) */
			printf("%" PRId64 "\n", n); /* errors surface when main flushes */
			return 0;
		}
		struct sc_value v[] = { { .i = id }, { .i = n } };
		out.single = true;
		return sc_writer_open(w, stdout, &out, user_count_cols, 2, NULL, 0, err) < 0 ? -1
			: sc_writer_row(*w, v, 0, err);
	}
	if (o->by_user) {
		struct emit_ctx e = { NULL, err };
		if (sc_writer_open(w, stdout, &out, by_user_cols, 4, NULL, 0, err) < 0)
			return -1;
		e.w = *w;
		return sc_count_by_user(db, o->over, emit_user_count, &e, err);
	}
	struct sc_totals t;
	if (sc_count_totals(db, &t, err) < 0)
		return -1;
	struct sc_value v[] = { { .i = t.users }, { .i = t.users_active }, { .i = t.sessions },
				{ .i = t.active }, { .i = t.inactive } };
	out.single = true;
	return sc_writer_open(w, stdout, &out, totals_cols, 5, NULL, 0, err) < 0 ? -1
		: sc_writer_row(*w, v, 0, err);
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct count_opts *o = state;
	struct sc_error err = { 0 };
	const char *user_arg;
	int rc;

	user_arg = argc == 1 ? argv[0] : NULL;
	if (o->has_over)
		o->by_user = true;
	if (user_arg && o->by_user)
		return cli_usage(ctx, "count USER cannot be combined with --by or --over");
	struct query q = { ctx, o, user_arg, NULL };
	struct sc_db *db;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db)) || (query(db, &q, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(q.w);
		return rc;
	}
	return sc_writer_close(q.w, &err) < 0 ? cli_report(&err) : SC_OK;
}

const struct cli_command cli_cmd_count = {
	.name = "count",
	.summary = "count active sessions: of one user, in total, or per user over a limit",
	.synopsis = "count [USER] | count [--by user] [--over N]",
	.help =
		"With USER, prints that user's number of active sessions as a bare integer\n"
		"(an object with -o json). Without, prints totals; --by user lists every user\n"
		"with active sessions, most first, and --over N only those with more than N.\n\n"
		"Options:\n"
		"  --by user      one row per user\n"
		"  --over N       only users with more than N active sessions (implies --by user)\n\n"
		"Examples:\n"
		"  sessctl count alice@example.com\n"
		"  sessctl count --by user --over 3 -o csv\n"
		"  sessctl count -o json\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct count_opts),
	.min_args = 0,
	.max_args = 1,
	.operand = "USER",
	.db = CLI_DB_READ,
	.run = run,
};
