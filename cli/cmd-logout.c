/* logout: sessions by id, one session of a user, or (--where) every
 * active session that find's filters select, in batches. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/actions.h"

enum { OPT_DEVICE = 2000, OPT_LATEST, OPT_WHERE, OPT_ALL_USERS, OPT_BATCH_SIZE, OPT_NOT_ALL = CLI_OPT_HIDDEN };

struct logout_opts {
	struct cli_write w;
	struct cli_filters f; /* --user is one of them, also without --where */
	const char *device;
	bool latest;
	bool where, all_users, yes;
	int64_t batch_size;
};

static const struct option options[] = {
	CLI_FILTER_OPTIONS,
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "latest", no_argument, NULL, OPT_LATEST },
	{ "where", no_argument, NULL, OPT_WHERE },
	{ "all-users", no_argument, NULL, OPT_ALL_USERS },
	/* Not an option: without it getopt would take find's --all (include
	 * the inactive sessions) as an abbreviation of --all-users, a forced
	 * logout of everyone. */
	{ "all", no_argument, NULL, OPT_NOT_ALL },
	{ "yes", no_argument, NULL, 'y' },
	{ "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
	CLI_WRITE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct logout_opts *o = state;
	int rc;

	switch (opt) {
	case OPT_DEVICE: o->device = arg; return 0;
	case OPT_LATEST: o->latest = true; return 0;
	case OPT_WHERE: o->where = true; return 0;
	case OPT_ALL_USERS: o->all_users = true; return 0;
	case OPT_NOT_ALL:
		return cli_fail(SC_USAGE, "logout has no --all (closed sessions are closed already); "
				"--all-users closes every active session of every user");
	case 'y': o->yes = true; return 0;
	case OPT_BATCH_SIZE: return cli_positive("--batch-size", arg, &o->batch_size);
	}
	if ((rc = cli_filter_option(&o->f, opt, arg)) != -2)
		return rc;
	return cli_write_option(&o->w, opt, arg) == 0 ? 0 : SC_SOFTWARE;
}

/* ---- logout SESSION_ID... | --user USER (--device FP | --latest) ---- */

static int run_one(struct cli_ctx *ctx, struct logout_opts *o, int argc, char **argv)
{
	struct sc_error err = { 0 };
	struct cli_changes ch;
	struct sc_userref ref;
	struct sc_db *db;
	const char **users;
	size_t nusers = cli_filter_users(&users);
	int64_t *ids = NULL;
	size_t n = (size_t)argc;
	int rc;

	if (o->f.any)
		return cli_usage(ctx, "filters such as --ip select sessions for a bulk logout: give --where too");
	if (o->yes || o->batch_size)
		return cli_usage(ctx, "--yes and --batch-size are for a bulk logout (--where or --all-users)");
	if (nusers) {
		if (n)
			return cli_usage(ctx, "give session ids or --user, not both");
		if (nusers > 1)
			return cli_usage(ctx, "give --user once (with --where, --user may repeat)");
		if (o->device && o->latest)
			return cli_usage(ctx, "--device and --latest exclude each other: --device closes that "
					 "device's session, --latest the most recently active one");
		if (!o->device && !o->latest)
			return cli_usage(ctx, "--user needs one of --device FINGERPRINT or --latest");
		if (sc_userref_parse(users[0], &ref, &err) < 0)
			return cli_report(&err);
		if (o->device && !*o->device)
			return cli_usage(ctx, "--device needs a fingerprint");
	} else {
		if (o->device || o->latest)
			return cli_usage(ctx, "--device and --latest need --user USER");
		if (!n)
			return cli_usage(ctx, "logout needs SESSION_ID..., --user USER or --where FILTERS");
		ids = calloc(n, sizeof(*ids));
		if (!ids)
			return cli_fail(SC_SOFTWARE, "out of memory");
		for (size_t i = 0; i < n; i++) {
			if ((rc = cli_session_id(argv[i], &ids[i]))) {
				free(ids);
				return rc;
			}
		}
	}
	if ((rc = cli_changes_open(ctx, &ch))) {
		free(ids);
		return rc;
	}
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		cli_changes_abort(&ch);
		free(ids);
		return rc;
	}
	struct sc_action a = cli_action(ctx, &o->w, cli_changes_row, &ch);
	if (nusers) {
		struct sc_logout_pick pick = { &ref, o->device, o->latest };
		rc = sc_logout_pick(db, &pick, &a, &err);
	} else {
		rc = sc_logout_ids(db, ids, n, &a, &err);
	}
	free(ids);
	if (rc != 0) {
		cli_changes_abort(&ch);
		return cli_report(err.status ? &err : &ch.err);
	}
	return cli_changes_close(ctx, &ch, o->w.dry_run);
}

/* ---- logout --where FILTERS | --all-users ---- */

static const struct sc_column summary_cols[] = {
	{ "closed", SC_COL_INT, 0, NULL, 0 },
	{ "users", SC_COL_INT, 0, NULL, 0 },
	{ "batches", SC_COL_INT, 0, NULL, 0 },
	{ "interrupted", SC_COL_BOOL, 0, NULL, 0 },
	{ "locked", SC_COL_INT, 0, NULL, 0 },
};

static int print_summary(const struct cli_ctx *ctx, const struct sc_bulk_result *r)
{
	struct sc_output_opts out = ctx->out;
	struct sc_error err = { 0 };
	struct sc_writer *w;
	struct sc_value v[] = { { .i = r->closed }, { .i = r->users }, { .i = r->batches },
				{ .i = r->interrupted }, { .i = r->locked } };

	out.single = true;
	if (sc_writer_open(&w, stdout, &out, summary_cols, sizeof(v) / sizeof(v[0]), NULL, 0, &err) < 0 ||
	    sc_writer_row(w, v, 0, &err) < 0 || sc_writer_close(w, &err) < 0)
		return cli_report(&err);
	return SC_OK;
}

/* On a terminal without --yes: counts, then asks. 0 to go on; else the
 * exit status (0 too when nothing matches: *done is then set). */
static int ask(struct cli_ctx *ctx, struct sc_db *db, struct sc_find_request *req, struct sc_ids *ids,
	       bool *done)
{
	struct sc_error err = { 0 };
	int64_t n, users;

	*done = false;
	/* req comes back with its users resolved: the run closes the
	 * sessions of the users asked about. */
	if (sc_bulk_count(db, req, ids, &n, &users, &err) < 0)
		return cli_report(&err);
	if (n == 0) {
		struct sc_bulk_result none = { 0 };
		*done = true;
		if (ctx->quiet)
			return SC_OK;
		if (ctx->out.format != SC_FORMAT_TABLE)
			return print_summary(ctx, &none);
		puts("nothing to do: no active session matches");
		return SC_OK;
	}
	return cli_confirm("close %lld active session%s of %lld user%s?", (long long)n,
			   n == 1 ? "" : "s", (long long)users, users == 1 ? "" : "s");
}

/* ch: opened (spooled) by the caller, closed here. */
static int dry_run(struct cli_ctx *ctx, struct sc_db *db, struct sc_bulk_opts *bo,
		   const struct cli_write *w, struct cli_changes *ch)
{
	struct sc_error err = { 0 };
	struct sc_bulk_result r;
	int rc;

	/* As enforce --dry-run: a signal ends the listing between batches,
	 * well-formed, and exits 130/143. */
	cli_catch_stop();
	bo->stop = &cli_stop_signal;
	struct sc_action a = cli_action(ctx, w, cli_changes_row, ch);
	if (sc_logout_where(db, bo, &a, &r, &err) < 0) {
		cli_changes_abort(ch);
		return cli_report(err.status ? &err : &ch->err);
	}
	rc = cli_changes_close(ctx, ch, true);
	if (r.interrupted && rc == SC_OK) {
		fprintf(stderr, "sessctl: interrupted by %s: the dry run stopped early; nothing was changed\n",
			cli_stop_name());
		return cli_stop_status();
	}
	if (r.locked)
		return cli_locked_left(false, r.locked, true, rc);
	return rc;
}

static int close_batches(struct cli_ctx *ctx, struct sc_db *db, struct sc_bulk_opts *bo,
			 const struct cli_write *w)
{
	struct sc_error err = { 0 };
	struct sc_bulk_result r;
	int rc;

	/* SIGINT/SIGTERM: finish (commit or roll back) the batch in progress,
	 * report what was done, exit 130/143 (stop.c). */
	cli_catch_stop();
	bo->stop = &cli_stop_signal;

	struct sc_action a = cli_action(ctx, w, NULL, NULL);
	if (sc_logout_where(db, bo, &a, &r, &err) < 0) {
		/* As enforce: one line, and unless -q the summary of the
		 * committed batches (they stay) on stdout. */
		if (!r.batches || err.status == SC_BROKEN_PIPE)
			return cli_report(&err);
		if (!ctx->quiet)
			print_summary(ctx, &r);
		return cli_fail(err.status, "logout stopped after %lld committed batch%s (%lld session%s of "
				"%lld user%s closed): %s", (long long)r.batches, r.batches == 1 ? "" : "es",
				(long long)r.closed, r.closed == 1 ? "" : "s", (long long)r.users,
				r.users == 1 ? "" : "s", err.msg);
	}
	cli_changed = r.closed > 0;
	rc = ctx->quiet ? SC_OK : print_summary(ctx, &r);
	if (r.interrupted) {
		fprintf(stderr, "sessctl: interrupted by %s: %lld session%s closed in %lld committed "
			"batch%s stay closed; run the same command again to close the rest\n",
			cli_stop_name(), (long long)r.closed,
			r.closed == 1 ? "" : "s", (long long)r.batches, r.batches == 1 ? "" : "es");
		return cli_stop_status();
	}
	if (r.locked)
		return cli_locked_left(false, r.locked, false, rc);
	return rc;
}

static int where(struct cli_ctx *ctx, struct logout_opts *o, struct sc_userref **refs)
{
	struct sc_find_request req = { 0 };
	struct sc_ipnet net;
	struct sc_db *db;
	bool done;
	int rc;

	struct cli_changes ch;

	/* A bad value first: the one to mend before adding --yes; and the
	 * dry run's report file (--columns, TMPDIR) before the database. */
	if ((rc = cli_filters_request(ctx, &o->f, &req, refs, &net)) ||
	    (!o->w.dry_run && (rc = cli_summary_columns_check(ctx, summary_cols, sizeof(summary_cols) / sizeof(summary_cols[0])))) ||
	    (rc = cli_need_yes(o->yes, o->w.dry_run)) ||
	    (o->w.dry_run && (rc = cli_changes_open_spooled(ctx, &ch))))
		return rc;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		if (o->w.dry_run)
			cli_changes_abort(&ch);
		return rc;
	}
	struct sc_bulk_opts bo = { .filter = &req, .batch_size = o->batch_size };
	if (o->w.dry_run)
		return dry_run(ctx, db, &bo, &o->w, &ch);
	struct sc_ids ids = { 0 };
	if (!o->yes && ((rc = ask(ctx, db, &req, &ids, &done)) || done)) {
		sc_ids_free(&ids);
		return rc;
	}
	rc = close_batches(ctx, db, &bo, &o->w);
	sc_ids_free(&ids);
	return rc;
}

static int run_where(struct cli_ctx *ctx, struct logout_opts *o, int argc)
{
	struct sc_userref *refs = NULL;
	bool filters = o->f.any || cli_filter_users(NULL) > 0;
	int rc;

	if (argc)
		return cli_usage(ctx, "give session ids or --where FILTERS, not both");
	if (o->device || o->latest)
		return cli_usage(ctx, "--device and --latest pick one session of a user: not with --where "
				 "(use --fingerprint)");
	if (o->all_users && filters)
		return cli_usage(ctx, "--all-users closes every active session of every user: give it "
				 "without filters");
	if (!o->all_users && !filters)
		return cli_usage(ctx, "logout --where needs a filter (--ip, --user, --fingerprint, "
				 "--device-type, --browser, a time) or --all-users to close every "
				 "active session");
	rc = where(ctx, o, &refs);
	free(refs);
	return rc;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct logout_opts *o = state;
	int rc = o->where || o->all_users ? run_where(ctx, o, argc) : run_one(ctx, o, argc, argv);

	cli_filters_free();
	return rc;
}

const struct cli_command cli_cmd_logout = {
	.name = "logout",
	.summary = "close sessions: by id, one device of a user, a user's current device, or by filters",
	.synopsis = "logout SESSION_ID... [--dry-run] [--actor NAME] [--reason TEXT]\n"
		    "logout --user USER (--device FINGERPRINT | --latest) [--dry-run] [--actor NAME] "
		    "[--reason TEXT]\n"
		    "logout (--where FILTERS | --all-users) [--yes] [--batch-size N] [--dry-run] "
		    "[--actor NAME] [--reason TEXT]",
	.help =
		"Closing never deletes a row: it sets is_active false. All or nothing: when any\n"
		"id does not exist, nothing changes (exit 66). A session already closed is\n"
		"reported as such (exit 0).\n\n"
		"With --where, closes every active session of every user that matches all\n"
		"the filters (as 'sessctl find' lists them; at least one filter), or with\n"
		"--all-users every active session (a forced logout of everyone). On a\n"
		"terminal it first says how many sessions of how many users it will close\n"
		"and asks; when standard input is not a terminal it refuses (exit 64) unless\n"
		"--yes is given. It works in batches of one short transaction each, with one\n"
		"audit row per session, and prints how many sessions of how many users it\n"
		"closed. SIGINT, SIGTERM or SIGHUP stops after the batch in progress (exit\n"
		"130, 143 or 129): the batches done stay done, and running the same command\n"
		"again closes the rest. On PostgreSQL, sessions another transaction keeps\n"
		"locked (one left open) are left and every other one is closed: exit 75, and\n"
		"the summary's locked says how many. --dry-run lists the sessions it would\n"
		"close.\n\n"
		"Options:\n"
		"  --user USER               the user whose session to close, with:\n"
		"  --device FINGERPRINT      the session of this device\n"
		"  --latest                  the most recently active session (\"this device\")\n"
		"\nBulk logout:\n"
		"  --where                   close the active sessions the filters select:\n"
		CLI_FILTER_HELP
		"  --all-users               close every active session of every user\n"
		"  -y, --yes                 do not ask (required without a terminal)\n"
		"  --batch-size N            sessions per transaction (default: adaptive, from\n"
		"                            250 to 200000, so that each takes 40 to 100 ms)\n"
		CLI_WRITE_HELP "\n"
		"Examples:\n"
		"  sessctl logout 1042 1043 --reason 'stolen laptop'\n"
		"  sessctl logout --user alice@example.com --device 3f9a1c\n"
		"  sessctl logout --user 74 --latest --dry-run\n"
		"  sessctl logout --where --ip 203.0.113.0/24 --dry-run\n"
		"  sessctl logout --where --ip 203.0.113.0/24 --seen-since 1d --yes --reason 'incident 7'\n"
		"  sessctl logout --all-users --yes --reason 'credential leak' -q\n",
	.shortopts = "y",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct logout_opts),
	.min_args = 0,
	.max_args = -1,
	.db = CLI_DB_WRITE,
	.run = run,
};
