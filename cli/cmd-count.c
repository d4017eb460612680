#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../src/timeutil.h"

enum { OPT_BY = 2000, OPT_OVER, OPT_SINCE };

enum count_key { KEY_NONE, KEY_USER, KEY_DEVICE_TYPE, KEY_BROWSER, KEY_DAY };

static const char *const key_names[] = {
	[KEY_USER] = "user",
	[KEY_DEVICE_TYPE] = "device-type",
	[KEY_BROWSER] = "browser",
	[KEY_DAY] = "day",
};

struct count_opts {
	enum count_key by;
	bool has_over;
	int64_t over;
	const char *since;
};

static const struct option options[] = {
	{ "by", required_argument, NULL, OPT_BY },
	{ "over", required_argument, NULL, OPT_OVER },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct count_opts *o = state;

	switch (opt) {
	case OPT_BY:
		for (size_t k = KEY_USER; k < sizeof(key_names) / sizeof(*key_names); k++)
			if (strcmp(arg, key_names[k]) == 0) {
				o->by = (enum count_key)k;
				return 0;
			}
		return cli_fail(SC_USAGE, "bad --by '%s': give user, device-type, browser or day", arg);
	case OPT_OVER:
		o->has_over = true;
		return cli_nonnegative("--over", arg, &o->over);
	case OPT_SINCE:
		o->since = arg;
		return 0;
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

static const struct sc_column device_type_cols[] = {
	{ "device_type", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "active", SC_COL_INT, 0, NULL, 0 },
	{ "inactive", SC_COL_INT, 0, NULL, 0 },
};

static const struct sc_column browser_cols[] = {
	{ "browser", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	{ "active", SC_COL_INT, 0, NULL, 0 },
	{ "inactive", SC_COL_INT, 0, NULL, 0 },
};

static const struct sc_column day_cols[] = {
	{ "day", SC_COL_TEXT, 0, NULL, 0 },
	{ "created", SC_COL_INT, 0, NULL, 0 },
	{ "last_seen", SC_COL_INT, 0, NULL, 0 },
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

static int emit_group(const struct sc_group_count *g, void *vctx)
{
	struct emit_ctx *e = vctx;
	struct sc_value v[] = { { .null = !g->key, .s = g->key }, { .i = g->active }, { .i = g->inactive } };
	return sc_writer_row(e->w, v, 0, e->err);
}

static int emit_day(const struct sc_day_count *d, void *vctx)
{
	struct emit_ctx *e = vctx;
	char day[SC_TIME_SQL_LEN];

	sc_time_format_sql(d->day * 86400, day);
	day[10] = '\0'; /* YYYY-MM-DD */
	struct sc_value v[] = { { .s = day }, { .i = d->created }, { .i = d->last_seen } };
	return sc_writer_row(e->w, v, 0, e->err);
}

struct query {
	const struct cli_ctx *ctx;
	const struct count_opts *o;
	const char *user_arg;
	int64_t since;
	struct sc_writer *w; /* opened by query() */
};

/* A bare number where one number is asked: a one-row answer with
 * --no-header and one column in --columns prints just that value in a
 * table or CSV (n=$(sessctl count --no-header --columns active)). */
static bool print_bare(const struct sc_output_opts *out, const struct sc_column *cols,
		       size_t ncols, const struct sc_value *v)
{
	if ((out->format != SC_FORMAT_TABLE && out->format != SC_FORMAT_CSV) || !out->no_header ||
	    !out->columns || strchr(out->columns, ','))
		return false;
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i].name, out->columns) == 0 && cols[i].type == SC_COL_INT) {
			printf("%" PRId64 "\n", v[i].i); /* errors surface when main flushes */
			return true;
		}
	return false; /* the writer reports an unknown column */
}

/* Prints a one-row answer. */
static int single_row(struct query *q, const struct sc_column *cols, size_t ncols,
		      const struct sc_value *v, struct sc_error *err)
{
	struct sc_output_opts out = q->ctx->out;

	if (print_bare(&out, cols, ncols, v))
		return 0;
	out.single = true;
	return sc_writer_open(&q->w, stdout, &out, cols, ncols, NULL, 0, err) < 0 ? -1
		: sc_writer_row(q->w, v, 0, err);
}

/* One row per group: --by. */
static int grouped(struct sc_db *db, struct query *q, struct sc_error *err)
{
	static const struct {
		const struct sc_column *cols;
		size_t ncols;
	} shape[] = {
		[KEY_USER] = { by_user_cols, 4 },
		[KEY_DEVICE_TYPE] = { device_type_cols, 3 },
		[KEY_BROWSER] = { browser_cols, 3 },
		[KEY_DAY] = { day_cols, 3 },
	};
	const struct count_opts *o = q->o;
	struct emit_ctx e = { NULL, err };

	if (sc_writer_open(&q->w, stdout, &q->ctx->out, shape[o->by].cols, shape[o->by].ncols, NULL, 0,
			   err) < 0)
		return -1;
	e.w = q->w;
	switch (o->by) {
	case KEY_USER:
		return sc_count_by_user(db, o->over, emit_user_count, &e, err);
	case KEY_DEVICE_TYPE:
		return sc_count_by_group(db, SC_GROUP_DEVICE_TYPE, emit_group, &e, err);
	case KEY_BROWSER:
		return sc_count_by_group(db, SC_GROUP_BROWSER, emit_group, &e, err);
	case KEY_DAY:
		return sc_count_by_day(db, o->since != NULL, q->since, q->ctx->now, emit_day, &e, err);
	case KEY_NONE:
		break;
	}
	return sc_error_set(err, SC_SOFTWARE, "no grouping");
}

/* Runs the query the options ask for and prints its answer. */
static int query(struct sc_db *db, struct query *q, struct sc_error *err)
{
	const struct sc_output_opts *out = &q->ctx->out;

	if (q->user_arg) {
		struct sc_userref ref;
		int64_t n, id;
		if (sc_userref_parse(q->user_arg, &ref, err) < 0 || sc_count_user(db, &ref, &id, &n, err) < 0)
			return -1;
		if (out->format == SC_FORMAT_TABLE && !out->columns) {
			/* A bare integer, for scripts: n=$(sessctl count alice) */
			printf("%" PRId64 "\n", n); /* errors surface when main flushes */
			return 0;
		}
		struct sc_value v[] = { { .i = id }, { .i = n } };
		return single_row(q, user_count_cols, 2, v, err);
	}
	if (q->o->by != KEY_NONE)
		return grouped(db, q, err);
	struct sc_totals t;
	if (sc_count_totals(db, &t, err) < 0)
		return -1;
	struct sc_value v[] = { { .i = t.users }, { .i = t.users_active }, { .i = t.sessions },
				{ .i = t.active }, { .i = t.inactive } };
	return single_row(q, totals_cols, 5, v, err);
}

/* Which options go together. */
static int check_options(struct cli_ctx *ctx, struct count_opts *o, const char *user_arg)
{
	if (o->has_over && o->by == KEY_NONE)
		o->by = KEY_USER;
	if (user_arg && (o->by != KEY_NONE || o->since))
		return cli_usage(ctx, "count USER cannot be combined with --by, --over or --since");
	if (o->has_over && o->by != KEY_USER)
		return cli_usage(ctx, "--over goes with --by user, not --by %s", key_names[o->by]);
	if (o->since && o->by != KEY_DAY)
		return cli_usage(ctx, "--since goes with --by day");
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct count_opts *o = state;
	struct sc_error err = { 0 };
	const char *user_arg = argc == 1 ? argv[0] : NULL;
	struct query q = { ctx, o, user_arg, 0, NULL };
	struct sc_db *db;
	int rc;

	if ((rc = check_options(ctx, o, user_arg)) ||
	    (o->since && (rc = cli_when("--since", o->since, ctx->now, &q.since))))
		return rc;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db)) || (query(db, &q, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(q.w);
		return rc;
	}
	return sc_writer_close(q.w, &err) < 0 ? cli_report(&err) : SC_OK;
}

const struct cli_command cli_cmd_count = {
	.name = "count",
	.summary = "count sessions: of one user, in total, per user, device type, browser or day",
	.synopsis = "count [USER]\ncount [--by user|device-type|browser|day] [--over N] [--since WHEN]",
	.help =
		"With USER, prints that user's number of active sessions as a bare integer\n"
		"(an object with -o json). Without, prints totals (users, users_with_sessions:\n"
		"those with an active session, sessions, active, inactive), or one row per\n"
		"group with --by:\n"
		"  user         user_id, email, username, active_sessions: every user with\n"
		"               active sessions, most first (--over N: more than N only)\n"
		"  device-type  device_type, active, inactive: most active first\n"
		"  browser      browser, active, inactive: most active first\n"
		"  day          day, created, last_seen: per UTC day, oldest first, the\n"
		"               sessions created that day and those last active that day\n"
		"               (open or closed); every day up to today has a row, zeros\n"
		"               included\n"
		"A one-row answer with --no-header and a single --columns column prints just\n"
		"the number in a table or CSV: n=$(sessctl count --no-header --columns active).\n\n"
		"Options:\n"
		"  --by KEY       one row per user, device-type, browser or day\n"
		"  --over N       only users with more than N active sessions (implies --by user)\n"
		"  --since WHEN   with --by day: from the UTC day that contains WHEN, a\n"
		"                 duration ago (30d) or a date and time ('2025-02-01',\n"
		"                 '2025-02-01 14:30', RFC 3339)\n\n"
		"Examples:\n"
		"  sessctl count alice@example.com\n"
		"  sessctl count --by user --over 3 -o csv\n"
		"  sessctl count --by device-type -o json\n"
		"  sessctl count --by day --since 30d -o csv\n"
		"  sessctl count --no-header --columns active\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct count_opts),
	.min_args = 0,
	.max_args = 1,
	.operand = "USER",
	.db = CLI_DB_READ,
	.run = run,
};
