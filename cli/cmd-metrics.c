#include "cli.h"

#include <stdio.h>
#include <unistd.h>

#include "../src/prom.h"
#include "../src/timeutil.h"

enum { OPT_MAX_SESSIONS = 2000, OPT_IDLE_TIMEOUT };

struct metrics_opts {
	int64_t max_sessions;
	const char *idle_timeout;
};

static const struct option options[] = {
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct metrics_opts *o = state;

	switch (opt) {
	case OPT_MAX_SESSIONS: return cli_positive("--max-sessions", arg, &o->max_sessions);
	case OPT_IDLE_TIMEOUT: o->idle_timeout = arg; return 0;
	}
	return SC_SOFTWARE;
}

/* The rules, with enforce's defaults: the options, else
 * $MAX_SESSIONS_PER_USER and $SESSION_TIMEOUT_HOURS, else 3 and 720h. */
static int rules(struct cli_ctx *ctx, const struct metrics_opts *o, struct sc_metrics_request *req)
{
	struct sc_error err = { 0 };
	int64_t hours;
	int rc;

	req->max_sessions = o->max_sessions;
	if (!req->max_sessions && sc_env_positive("MAX_SESSIONS_PER_USER", SC_DEFAULT_MAX_SESSIONS,
						  &req->max_sessions, &err) < 0)
		return cli_report(&err);
	if (o->idle_timeout) {
		if ((rc = cli_duration("--idle-timeout", o->idle_timeout, &req->idle_timeout)))
			return rc;
		if (req->idle_timeout == 0)
			return cli_usage(ctx, "--idle-timeout must be longer than 0s");
		return 0;
	}
	if (sc_env_positive("SESSION_TIMEOUT_HOURS", SC_DEFAULT_IDLE_TIMEOUT / 3600, &hours, &err) < 0)
		return cli_report(&err);
	if (hours > SC_DURATION_MAX / 3600)
		return cli_fail(SC_USAGE, "SESSION_TIMEOUT_HOURS=%lld is out of range: at most %lld "
				"(about 10,000 years, as for durations)", (long long)hours,
				(long long)(SC_DURATION_MAX / 3600));
	req->idle_timeout = hours * 3600;
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct metrics_opts *o = state;
	struct sc_metrics_request req = { .now = ctx->now, .audit_window = 24 * 3600 };
	struct sc_metrics m;
	struct sc_error err = { 0 };
	struct sc_db *db;
	int rc;

	(void)argc;
	(void)argv;
	if (ctx->out.format != SC_FORMAT_TABLE || ctx->out.columns || ctx->out.no_header)
		return cli_usage(ctx, "metrics prints the Prometheus text format only: "
				 "no -o, --columns or --no-header");
	if ((rc = rules(ctx, o, &req)) || (rc = cli_db(ctx, CLI_DB_NONE, &db)))
		return rc;
	if (sc_metrics_read(db, &req, &m, &err) < 0)
		return cli_report(&err);
	rc = sc_metrics_print(stdout, &m, &req, isatty(STDOUT_FILENO), &err) < 0 ? cli_report(&err)
										     : SC_OK;
	sc_metrics_free(&m);
	return rc;
}

const struct cli_command cli_cmd_metrics = {
	.name = "metrics",
	.summary = "the current state in Prometheus text format, for monitoring",
	.synopsis = "metrics [--max-sessions N] [--idle-timeout D]",
	.help =
		"Prints, in the Prometheus text exposition format (every metric a gauge):\n"
		"  sessctl_active_sessions{device_type=\"...\"}   active sessions by device type\n"
		"                                 (web and mobile always; \"\" for none)\n"
		"  sessctl_users_over_limit       users with more active sessions than the limit\n"
		"  sessctl_idle_sessions          active sessions past the idle timeout\n"
		"  sessctl_oldest_idle_session_age_seconds\n"
		"                                 time since the last activity of the oldest of\n"
		"                                 them; 0 when there is none\n"
		"  sessctl_audit_actions_last_24h{action=\"...\"}  audit rows of the 24 hours\n"
		"                                 before --now, by action\n"
		"  sessctl_max_sessions_per_user, sessctl_idle_timeout_seconds  the rules used\n"
		"Read-only: it works on a standby. For a node_exporter textfile collector\n"
		"(write a temporary file, then rename it) or a scrape wrapper.\n\n"
		"Options:\n"
		"  --max-sessions N          default: $MAX_SESSIONS_PER_USER, else 3\n"
		"  --idle-timeout D          default: $SESSION_TIMEOUT_HOURS hours, else 720h\n\n"
		"Examples:\n"
		"  sessctl metrics\n"
		"  sessctl metrics > sessctl.prom.$$ && mv sessctl.prom.$$ sessctl.prom\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct metrics_opts),
	.min_args = 0,
	.max_args = 0,
	.db = CLI_DB_READ,
	.run = run,
};
