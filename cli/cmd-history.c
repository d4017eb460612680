/* history: the audit trail, newest first, with its filters. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

enum { OPT_SESSION = 2000, OPT_SINCE, OPT_UNTIL, OPT_ACTOR, OPT_ACTION, OPT_LIMIT };

/* What a table on a terminal shows without --limit. */
#define TERMINAL_LIMIT 100

struct history_opts {
	const char *session;
	const char *since, *until;
	const char *actor;
	const char *action;
	bool has_limit;
	int64_t limit; /* 0: all */
};

static const struct option options[] = {
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "actor", required_argument, NULL, OPT_ACTOR },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/* The actions an audit row records. */
static const char *const actions[] = {
	"logout", "logout-all", "expire", "over-limit", "purge", "create", NULL,
};

static int check_action(const char *s)
{
	for (const char *const *a = actions; *a; a++)
		if (strcmp(s, *a) == 0)
			return 0;
	return cli_fail(SC_USAGE, "bad --action '%s': use logout, logout-all, expire, over-limit, "
			"purge or create", s);
}

static int handle(int opt, const char *arg, void *state)
{
	struct history_opts *o = state;

	switch (opt) {
	case OPT_SESSION: o->session = arg; return 0;
	case OPT_SINCE: o->since = arg; return 0;
	case OPT_UNTIL: o->until = arg; return 0;
	case OPT_ACTOR: o->actor = arg; return 0;
	case OPT_ACTION: o->action = arg; return check_action(arg);
	case 'n': o->has_limit = true; return cli_nonnegative("--limit", arg, &o->limit);
	}
	return SC_SOFTWARE;
}

enum {
	COL_ID, COL_CREATED_AT, COL_ACTION, COL_SESSION_ID, COL_USER_ID, COL_ACTOR, COL_REASON,
	COL_EVALUATED_AT, COL_EMAIL, COL_DEVICE_NAME, COL_IP_ADDRESS, COL_DEVICE_TYPE, NCOLS
};

/* created_at is the real time of the change, evaluated_at the time its
 * rules were evaluated at (--now); email, device_name, ip_address and
 * device_type are the snapshot of the session the row changed, as it was
 * then (NULL in rows older than schema version 3). */
static const struct sc_column columns[NCOLS] = {
	[COL_ID] = { "id", SC_COL_INT, 0, NULL, 0 },
	[COL_CREATED_AT] = { "created_at", SC_COL_TIME, 0, NULL, 0 },
	[COL_ACTION] = { "action", SC_COL_TEXT, 0, NULL, 0 },
	[COL_SESSION_ID] = { "session_id", SC_COL_INT, 0, "SESSION", 0 },
	[COL_USER_ID] = { "user_id", SC_COL_INT, 0, "USER", 4 },
	[COL_ACTOR] = { "actor", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	[COL_REASON] = { "reason", SC_COL_TEXT, SC_COL_SHRINK, NULL, 0 },
	[COL_EVALUATED_AT] = { "evaluated_at", SC_COL_TIME, 0, "EVALUATED", 0 },
	[COL_EMAIL] = { "email", SC_COL_TEXT, SC_COL_SHRINK, NULL, 1 },
	[COL_DEVICE_NAME] = { "device_name", SC_COL_TEXT, SC_COL_SHRINK, "DEVICE", 3 },
	[COL_IP_ADDRESS] = { "ip_address", SC_COL_TEXT, SC_COL_SHRINK, "IP", 2 },
	[COL_DEVICE_TYPE] = { "device_type", SC_COL_TEXT, 0, "TYPE", 0 },
};

/* JSON, NDJSON and CSV keep the keys and columns they always had (scripts
 * read them by name or position); --columns adds the others. A table,
 * for people, shows who and what the change was about. */
static const size_t machine_cols[] = {
	COL_ID, COL_CREATED_AT, COL_ACTION, COL_SESSION_ID, COL_USER_ID, COL_ACTOR, COL_REASON,
};
static const size_t table_cols[] = {
	COL_ID, COL_CREATED_AT, COL_ACTION, COL_SESSION_ID, COL_USER_ID, COL_EMAIL,
	COL_DEVICE_NAME, COL_IP_ADDRESS, COL_ACTOR, COL_REASON,
};

struct emit_ctx {
	struct sc_writer *w;
	struct sc_error *err;
};

static struct sc_value text(const char *s)
{
	return (struct sc_value){ .null = s == NULL, .s = s };
}

static int emit(const struct sc_audit *a, void *vctx)
{
	struct emit_ctx *e = vctx;
	struct sc_value v[NCOLS] = {
		[COL_ID] = { .i = a->id },
		[COL_CREATED_AT] = { .null = a->created_at_null, .i = a->created_at },
		[COL_ACTION] = text(a->action),
		[COL_SESSION_ID] = { .null = a->session_id_null, .i = a->session_id },
		[COL_USER_ID] = { .null = a->user_id_null, .i = a->user_id },
		[COL_ACTOR] = text(a->actor),
		[COL_REASON] = text(a->reason),
		[COL_EVALUATED_AT] = { .null = a->evaluated_at_null, .i = a->evaluated_at },
		[COL_EMAIL] = text(a->email),
		[COL_DEVICE_NAME] = text(a->device_name),
		[COL_IP_ADDRESS] = text(a->ip_address),
		[COL_DEVICE_TYPE] = text(a->device_type),
	};
	return sc_writer_row(e->w, v, 0, e->err);
}

/* The request the options ask for; 0 or an exit status. */
static int build_request(struct cli_ctx *ctx, const struct history_opts *o,
			 struct sc_history_request *req)
{
	int rc;

	if (o->session) {
		if ((rc = cli_session_id_filter(o->session, &req->session_id,
						&req->session_beyond)))
			return rc;
		req->has_session = true;
	}
	if (o->since) {
		if ((rc = cli_when_us("--since", o->since, ctx->now, &req->since_us)))
			return rc;
		req->has_since = true;
	}
	if (o->until) {
		if ((rc = cli_when_us("--until", o->until, ctx->now, &req->until_us)))
			return rc;
		req->has_until = true;
	}
	req->actor = o->actor;
	req->action = o->action;
	/* Only a table on a terminal is cut by default: output for programs
	 * always holds every row asked for. */
	req->limit = o->has_limit ? o->limit : ctx->out.tty ? TERMINAL_LIMIT : 0;
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct history_opts *o = state;
	struct sc_history_request req = { 0 };
	struct sc_error err = { 0 };
	struct sc_userref ref;
	struct sc_writer *w;
	const char *user_arg = NULL;
	bool table = ctx->out.format == SC_FORMAT_TABLE;
	int64_t more = 0;
	int rc;

	if (argc == 1) {
		user_arg = argv[0];
		if (sc_userref_parse(user_arg, &ref, &err) < 0)
			return cli_report(&err);
	}
	if ((rc = build_request(ctx, o, &req)))
		return rc;
	if (ctx->out.tty)
		req.more = &more;
	if (sc_writer_open(&w, stdout, &ctx->out, columns, NCOLS, table ? table_cols : machine_cols,
			   table ? sizeof(table_cols) / sizeof(table_cols[0])
				 : sizeof(machine_cols) / sizeof(machine_cols[0]),
			   &err) < 0)
		return cli_report(&err);
	struct emit_ctx e = { w, &err };
	struct sc_db *db;
	if ((rc = cli_db_listing(ctx, w, &db)) ||
	    (sc_history(db, user_arg ? &ref : NULL, &req, emit, &e, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(w);
		return rc;
	}
	if (sc_writer_close(w, &err) < 0)
		return cli_report(&err);
	if (more > 0 && !ctx->quiet)
		printf("… and %lld more (the newest %lld are shown; --limit 0 shows all)\n",
		       (long long)more, (long long)req.limit);
	return SC_OK;
}

const struct cli_command cli_cmd_history = {
	.name = "history",
	.summary = "show the audit trail of changes, newest first",
	.synopsis = "history [USER] [FILTERS] [--limit N]",
	.help =
		"Every change sessctl makes is recorded with its session, user, action, actor,\n"
		"reason and the real time of the change (--now never moves it), and a snapshot\n"
		"of the session it changed: the user's email, device_name, ip_address and\n"
		"device_type as they were then, so a session purged since is still explained.\n"
		"USER may be one the users table no longer has (deleted, or an email since\n"
		"changed): its id, or the email its entries kept, still finds them.\n\n"
		"Options:\n"
		"  --session ID              only this session's entries\n"
		"  --since WHEN              only entries at or after WHEN\n"
		"  --until WHEN              only entries before WHEN\n"
		"  --actor NAME              only changes made by this actor (exact)\n"
		"  --action KIND             only this kind of change: logout, logout-all,\n"
		"                            expire, over-limit, purge or create\n"
		"  -n, --limit N             at most N entries, the newest; 0: all. A table on a\n"
		"                            terminal shows the newest 100 unless told, and says\n"
		"                            how many more there are; JSON, NDJSON and CSV hold\n"
		"                            every entry unless told\n\n"
		"WHEN is a duration ago (90s, 15m, 720h, 30d, 2w; as of --now) or a UTC\n"
		"date and time (2025-02-01, '2025-02-01 10:00', 2025-02-01T10:00:00+01:00).\n"
		"Columns: id, created_at, action, session_id, user_id, actor, reason (the\n"
		"default of JSON, NDJSON and CSV), email, device_name, ip_address, device_type\n"
		"and evaluated_at (the --now the change was evaluated at): a table shows\n"
		"email, device_name and ip_address too; --columns picks any.\n\n"
		"Examples:\n"
		"  sessctl history alice@example.com --since 7d\n"
		"  sessctl history --session 1042 -o json --columns id,created_at,action,email,ip_address\n"
		"  sessctl history --actor cron --action purge --since 2025-02-01 --until 2025-02-02\n",
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
