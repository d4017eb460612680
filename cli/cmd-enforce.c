#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../src/actions.h"
#include "../src/prom.h"
#include "../src/timeutil.h"


enum { OPT_IDLE_TIMEOUT = 2000, OPT_MAX_SESSIONS, OPT_PURGE_AFTER, OPT_USER, OPT_BATCH_SIZE,
       OPT_METRICS_FILE, OPT_FULL_PASS };

struct enforce_cli {
	struct cli_write w;
	const char *idle_timeout;
	int64_t max_sessions;
	const char *purge_after;
	const char *user;
	int64_t batch_size;
	const char *metrics_file;      /* --metrics-file */
	bool full;                     /* --full-pass */
	struct sc_enforce_result done; /* what run() committed, for it */
	bool enforced;                 /* sc_enforce succeeded (the output may not have) */
};

static const struct option options[] = {
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "purge-after", required_argument, NULL, OPT_PURGE_AFTER },
	{ "user", required_argument, NULL, OPT_USER },
	{ "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "full-pass", no_argument, NULL, OPT_FULL_PASS },
	CLI_WRITE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct enforce_cli *o = state;

	switch (opt) {
	case OPT_IDLE_TIMEOUT: o->idle_timeout = arg; return 0;
	case OPT_MAX_SESSIONS: return cli_positive("--max-sessions", arg, &o->max_sessions);
	case OPT_PURGE_AFTER: o->purge_after = arg; return 0;
	case OPT_USER: o->user = arg; return 0;
	case OPT_BATCH_SIZE: return cli_positive("--batch-size", arg, &o->batch_size);
	case OPT_METRICS_FILE: o->metrics_file = arg; return 0;
	case OPT_FULL_PASS: o->full = true; return 0;
	}
	return cli_write_option(&o->w, opt, arg) == 0 ? 0 : SC_SOFTWARE;
}

struct progress {
	struct timespec start;
	bool shown;
	bool lines; /* -v without a terminal: one line per batch */
	bool dumb;  /* TERM=dumb: no escape sequence, spaces clear */
	int round, step; /* the step the estimate times, since step_start */
	double step_start, share_start; /* when, and how far, it was first seen */
	size_t last_len;
};

static double elapsed(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* stderr's width, for a line that must not wrap. */
static size_t stderr_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col;
	return 80;
}

/* Progress on a terminal: sessions changed so far, the rate, and the
 * running step's share and time left, on one line that never wraps
 * (a wrapped line would leave its first rows behind at each update). */
static void show_progress(const struct sc_enforce_result *r, void *vctx)
{
	struct progress *p = vctx;
	double secs = elapsed(&p->start);
	int64_t done = r->expired + r->over_limit + r->purged;
	char line[256], left[32] = "", round[24] = "";

	/* A round that runs the steps again says so: its step 1 follows the
	 * last step of the round before, and the counts go on. */
	if (r->round > 1)
		snprintf(round, sizeof(round), p->lines ? " (round %d)" : "round %d, ", r->round);
	if (p->lines) {
		cli_verbose("batch %lld%s: %lld expired, %lld over the limit, %lld purged (%.1fs; "
			    "this batch %.0f ms)", (long long)r->batches, round, (long long)r->expired,
			    (long long)r->over_limit, (long long)r->purged, secs, r->batch_ms);
		return;
	}
	if (r->round != p->round || r->step != p->step) {
		p->round = r->round;
		p->step = r->step;
		p->step_start = secs;
		p->share_start = r->step_share;
	}
	if (secs < 0.25 && !p->shown)
		return;
	/* The rate since the step was first seen: a round that runs the
	 * steps again finds mostly nothing, so its first batch to change
	 * something may come late in the step. */
	double in_step = secs - p->step_start, walked = r->step_share - p->share_start;
	if (walked > 0.01 && r->step_share < 1.0 && in_step > 0.5)
		snprintf(left, sizeof(left), ", ~%.0fs left", in_step * (1 - r->step_share) / walked);
	int n = snprintf(line, sizeof(line), "enforce: %lld expired, %lld over limit, %lld purged; "
			 "%sstep %d/%d %.0f%%%s, %.0f/s", (long long)r->expired, (long long)r->over_limit,
			 (long long)r->purged, round, r->step, r->steps, 100 * r->step_share, left,
			 secs > 0 ? (double)done / secs : 0.0);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	size_t width = stderr_width() - 1; /* the last column would wrap on some terminals */
	if (len > width)
		len = width;
	if (p->dumb) /* overwrite what is left of a longer line */
		fprintf(stderr, "\r%.*s%*s", (int)len, line,
			p->last_len > len ? (int)(p->last_len - len) : 0, "");
	else
		fprintf(stderr, "\r\033[K%.*s", (int)len, line);
	p->last_len = len;
	p->shown = true;
}

static const struct sc_column summary_cols[] = {
	{ "expired", SC_COL_INT, 0, NULL, 0 },
	{ "over_limit", SC_COL_INT, 0, NULL, 0 },
	{ "purged", SC_COL_INT, 0, NULL, 0 },
	{ "batches", SC_COL_INT, 0, NULL, 0 },
	{ "interrupted", SC_COL_BOOL, 0, NULL, 0 },
	{ "locked", SC_COL_INT, 0, NULL, 0 },
};

static int print_summary(const struct cli_ctx *ctx, const struct sc_enforce_result *r)
{
	struct sc_output_opts out = ctx->out;
	struct sc_error err = { 0 };
	struct sc_writer *w;
	struct sc_value v[] = { { .i = r->expired }, { .i = r->over_limit }, { .i = r->purged },
				{ .i = r->batches }, { .i = r->interrupted }, { .i = r->locked } };

	out.single = true;
	if (sc_writer_open(&w, stdout, &out, summary_cols, sizeof(v) / sizeof(v[0]), NULL, 0, &err) < 0 ||
	    sc_writer_row(w, v, 0, &err) < 0 || sc_writer_close(w, &err) < 0)
		return cli_report(&err);
	return SC_OK;
}

/* enforce failed: one line on stderr. When batches were committed before
 * the failure (they stay), the line says what they did and, unless -q,
 * their summary goes to stdout in the chosen format, as after a run that
 * went through. A dry run committed nothing: its rows (already shown)
 * stand for it. */
static int stopped(const struct cli_ctx *ctx, bool dry_run, const struct sc_enforce_result *r,
		   const struct sc_error *err, struct cli_changes *ch)
{
	cli_changes_abort(ch);
	if (!err->status)
		return cli_report(&ch->err); /* the output failed */
	if (dry_run)
		return cli_fail(err->status, "enforce --dry-run stopped (nothing was changed): %s",
				err->msg);
	if (!r->batches)
		return cli_report(err);
	if (!ctx->quiet)
		print_summary(ctx, r);
	return cli_fail(err->status, "enforce stopped after %lld committed batches (%lld expired, "
			"%lld over the limit, %lld purged): %s", (long long)r->batches,
			(long long)r->expired, (long long)r->over_limit, (long long)r->purged, err->msg);
}

static int parse(struct cli_ctx *ctx, const struct enforce_cli *c, struct sc_enforce_opts *o)
{
	struct sc_error err = { 0 };
	int64_t hours;
	int rc;

	o->expire = o->limit = true;
	if (c->idle_timeout) {
		if ((rc = cli_duration("--idle-timeout", c->idle_timeout, &o->idle_timeout)))
			return rc;
		if (o->idle_timeout == 0)
			return cli_usage(ctx, "--idle-timeout must be longer than 0s");
	} else {
		if (sc_env_positive("SESSION_TIMEOUT_HOURS", SC_DEFAULT_IDLE_TIMEOUT / 3600, &hours, &err) < 0)
			return cli_report(&err);
		if (hours > SC_DURATION_MAX / 3600)
			return cli_fail(SC_USAGE, "SESSION_TIMEOUT_HOURS=%lld is out of range: at most %lld "
					"(about 10,000 years, as for durations)", (long long)hours,
					(long long)(SC_DURATION_MAX / 3600));
		o->idle_timeout = hours * 3600;
	}
	o->max_sessions = c->max_sessions;
	if (!o->max_sessions && sc_env_positive("MAX_SESSIONS_PER_USER", SC_DEFAULT_MAX_SESSIONS,
						&o->max_sessions, &err) < 0)
		return cli_report(&err);
	if (c->purge_after) {
		if ((rc = cli_duration("--purge-after", c->purge_after, &o->purge_after)))
			return rc;
		o->purge = true;
	}
	o->batch_size = c->batch_size; /* 0: adaptive */
	o->full = c->full;
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct enforce_cli *c = state;
	struct sc_enforce_opts opts = { 0 }, *o = &opts;
	struct sc_enforce_result r;
	struct sc_error err = { 0 };
	struct cli_changes ch = { 0 };
	struct progress prog = { 0 };
	struct sc_userref ref;
	struct sc_db *db;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = parse(ctx, c, o)))
		return rc;
	if (!c->w.dry_run && (rc = cli_summary_columns_check(ctx, summary_cols, sizeof(summary_cols) / sizeof(summary_cols[0]))))
		return rc;
	if (c->user && sc_userref_parse(c->user, &ref, &err) < 0)
		return cli_report(&err);
	if (c->w.dry_run && (rc = cli_changes_open_spooled(ctx, &ch)))
		return rc;
	/* SIGINT/SIGTERM: finish (commit or roll back) the batch in progress,
	 * report what was done, exit 130/143 (stop.c). Caught before the
	 * open, which may wait for a lock (SQLite, 6 tries of 5 s): the wait
	 * ends at once, and --metrics-file still records the run as
	 * interrupted, where the signal used to kill sessctl there. */
	cli_catch_stop();
	ctx->stop = o->stop = &cli_stop_signal;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		c->done.interrupted = cli_stop_signal != 0;
		cli_changes_abort(&ch);
		return rc;
	}
	if (c->user) {
		struct sc_user user = { 0 };
		if (sc_resolve_user(db, &ref, &user, &err) < 0) {
			cli_changes_abort(&ch);
			if (cli_stop_signal) {
				c->done.interrupted = true;
				return cli_fail(cli_stop_status(), "interrupted by %s while looking up "
						"--user: nothing was changed", cli_stop_name());
			}
			return cli_report(&err);
		}
		o->has_user = true;
		o->user_id = user.id;
		sc_user_free(&user);
	}

	prog.lines = ctx->verbose > 0 && !isatty(STDERR_FILENO);
	if (!ctx->quiet && (isatty(STDERR_FILENO) || ctx->verbose)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.start);
		o->progress = show_progress;
		o->progress_ctx = &prog;
		const char *term = getenv("TERM");
		prog.dumb = !term || !*term || strcmp(term, "dumb") == 0;
	}

	struct sc_action a = cli_action(ctx, &c->w, c->w.dry_run ? cli_changes_row : NULL, &ch);
	rc = sc_enforce(db, o, &a, &r, &err);
	cli_changed = !c->w.dry_run && r.expired + r.over_limit + r.purged > 0;
	c->done = r;
	c->enforced = rc == 0;
	if (prog.shown && prog.dumb)
		fprintf(stderr, "\r%*s\r", (int)prog.last_len, "");
	else if (prog.shown)
		fputs("\r\033[K", stderr);
	if (rc != 0)
		return stopped(ctx, c->w.dry_run, &r, &err, &ch);
	if (c->w.dry_run)
		rc = cli_changes_close(ctx, &ch, true);
	else if (!ctx->quiet) /* -q: silent on success, for cron */
		rc = print_summary(ctx, &r);
	if (r.interrupted) {
		fprintf(stderr, c->w.dry_run ? "sessctl: interrupted by %s: the dry run stopped early; nothing was changed\n"
			: "sessctl: interrupted by %s: every committed batch stays; run enforce again to finish\n",
			cli_stop_name());
		return cli_stop_status();
	}
	if (r.locked)
		return cli_locked_left(true, r.locked, c->w.dry_run, rc);
	return rc;
}

/* enforce --metrics-file: runs enforce, then replaces the file with the
 * run's results, whatever the outcome (a failed run keeps the previous
 * last-success time). Success is the enforcement's: a summary that could
 * not be printed (74) does not make the alert on staleness fire. The
 * times are the real ones, as an alert compares them with time(): --now
 * moves the rules, never the record of when the run was. */
static int run_with_metrics(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct enforce_cli *c = state;
	struct sc_error err = { 0 };
	struct timespec start;
	int rc;

	if (!c->metrics_file)
		return run(ctx, state, argc, argv);
	if (!*c->metrics_file)
		return cli_usage(ctx, "--metrics-file needs a file name");
	if (c->w.dry_run)
		return cli_usage(ctx, "--metrics-file records real runs: it cannot go with --dry-run");
	if (sc_metrics_file_check(c->metrics_file, &err) < 0)
		return cli_report(&err);
	int64_t started = (int64_t)time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = run(ctx, state, argc, argv);
	/* Rows left locked: the run did not finish its work. */
	struct sc_enforce_run er = { &c->done, c->enforced && !c->done.interrupted && !c->done.locked,
				     elapsed(&start), started };
	if (sc_enforce_metrics_file(c->metrics_file, &er, &err) < 0) {
		int frc = cli_report(&err);
		return rc ? rc : frc;
	}
	return rc;
}

const struct cli_command cli_cmd_enforce = {
	.name = "enforce",
	.summary = "the cron job: expire idle sessions, enforce the device limit, purge old rows",
	.synopsis = "enforce [--idle-timeout D] [--max-sessions N] [--purge-after D] [--user USER] [--batch-size N] [--metrics-file PATH] [--full-pass] [--dry-run] [--actor NAME] [--reason TEXT]",
	.help =
		"Expires active sessions idle longer than the timeout, then closes the oldest\n"
		"sessions of every user over the device limit (ties: lower id first), then, with\n"
		"--purge-after, deletes inactive sessions idle longer than that. Works in\n"
		"batches of one short transaction each; another enforce running at the same\n"
		"time interleaves its batches, and nothing is closed or counted twice. SIGINT,\n"
		"SIGTERM or SIGHUP stops after the batch in progress (exit 130, 143 or 129). On\n"
		"PostgreSQL, rows another transaction keeps locked (one left open) are left\n"
		"for the next run and everything else is done: exit 75, and the summary's\n"
		"locked says how many sessions.\n\n"
		"A run records what it enforced, so that the next one ranks only the users\n"
		"active since and finds idle sessions through an index (a cron job every few\n"
		"minutes costs milliseconds); it walks every row when nothing is recorded, the\n"
		"limit went down, the last full pass is a day old, or with --full-pass.\n\n"
		"Options:\n"
		"  --idle-timeout D          default: $SESSION_TIMEOUT_HOURS hours, else 720h\n"
		"  --max-sessions N          default: $MAX_SESSIONS_PER_USER, else 3\n"
		"  --purge-after D           also delete inactive sessions idle longer than D\n"
		"  --user USER               only this user's sessions\n"
		"  --batch-size N            sessions (users for the device limit) per\n"
		"                            transaction (default: adaptive, from 250 sessions\n"
		"                            to 200000, so that each transaction takes 40 to\n"
		"                            100 ms; 25 to 60 ms in SQLite's WAL mode; device-\n"
		"                            limit batches take whole users, on PostgreSQL\n"
		"                            8 at first)\n"
		"  --full-pass               rank every user and walk every row, whatever the\n"
		"                            last run recorded\n"
		"  --metrics-file PATH       write the run's results in Prometheus text format\n"
		"                            to PATH (atomically: a temporary file renamed\n"
		"                            over it), for a node_exporter textfile collector\n"
		CLI_WRITE_HELP "\n"
		"Examples:\n"
		"  sessctl enforce\n"
		"  sessctl enforce --purge-after 90d --reason nightly -q\n"
		"  sessctl enforce -q --metrics-file /var/lib/node_exporter/textfile/sessctl.prom\n"
		"  sessctl enforce --dry-run --now '2025-03-01 00:00:00' -o csv\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct enforce_cli),
	.min_args = 0,
	.max_args = 0,
	.db = CLI_DB_WRITE,
	.run = run_with_metrics,
};
