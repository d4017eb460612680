#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../src/migrate.h"

enum { OPT_DRY_RUN = 2000, OPT_CHECK };

/* migrate and migrate --dry-run on an up-to-date schema: one wording, on
 * standard output, exit 0. */
#define UP_TO_DATE "schema is up to date (version %d): nothing to do\n"

struct migrate_opts {
	bool dry_run;
	bool check;
};

static const struct option options[] = {
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct migrate_opts *o = state;

	(void)arg;
	if (opt == OPT_DRY_RUN)
		o->dry_run = true;
	else if (opt == OPT_CHECK)
		o->check = true;
	else
		return SC_SOFTWARE;
	return 0;
}

static const struct sc_column status_cols[] = {
	{ "version", SC_COL_INT, 0, NULL, 0 },
	{ "name", SC_COL_TEXT, 0, NULL, 0 },
	{ "state", SC_COL_TEXT, 0, NULL, 0 },
	{ "applied_at", SC_COL_TIME, 0, NULL, 0 },
};

static int status(struct cli_ctx *ctx, const struct migrate_opts *o)
{
	struct sc_migration_state states[SC_SCHEMA_VERSION];
	struct sc_error err = { 0 };
	struct sc_writer *w = NULL;
	struct sc_db *db;
	int version, pending = 0, rc;

	/* -q --check: the exit status is the answer; print nothing, not
	 * even that an applied_at could not be read (shown null otherwise,
	 * exit unchanged: the answer is about what is pending). */
	bool silent = ctx->quiet && o->check;
	if ((rc = cli_db(ctx, CLI_DB_INSPECT, &db)))
		return rc;
	if (silent)
		sc_db_on_warning(db, NULL, NULL);
	if (sc_migrate_status(db, states, &version, &err) < 0)
		return cli_report(&err);
	if (!silent && sc_writer_open(&w, stdout, &ctx->out, status_cols, 4, NULL, 0, &err) < 0)
		return cli_report(&err);
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		struct sc_value v[] = {
			{ .i = states[i].m->version },
			{ .s = states[i].m->name },
			{ .s = states[i].applied ? "applied" : "pending" },
			{ .null = !states[i].applied || states[i].applied_at_null, .i = states[i].applied_at },
		};
		pending += !states[i].applied;
		if (!silent && sc_writer_row(w, v, states[i].applied ? 0 : SC_ROW_DIM, &err) < 0) {
			sc_writer_abort(w);
			return cli_report(&err);
		}
	}
	if (!silent && sc_writer_close(w, &err) < 0)
		return cli_report(&err);
	if (o->check && pending) {
		if (!ctx->quiet)
			fprintf(stderr, "sessctl: %d migration%s pending: run 'sessctl migrate'\n",
				pending, pending == 1 ? "" : "s");
		return SC_FALSE;
	}
	return SC_OK;
}

/* Prints the SQL migrate would run for every pending migration, so that
 * the plan applied by hand leaves what migrate leaves: each migration in
 * its transaction, the migrations table created in the first, each
 * version recorded in its own. Changes nothing. */
static int dry_run(struct cli_ctx *ctx)
{
	struct sc_migration_state states[SC_SCHEMA_VERSION];
	struct sc_migrate_dialect d;
	struct sc_error err = { 0 };
	int version, printed = 0;

	/* A database that does not exist yet has everything pending. */
	if (sc_migrate_plan(ctx->db, states, &version, &d, &err) < 0)
		return cli_report(&err);
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		if (states[i].applied)
			continue;
		printf("-- migration %d: %s\nBEGIN;\n", states[i].m->version, states[i].m->name);
		if (!printed)
			printf("%s;\n", d.table_sql);
		/* The names are sessctl's own, without quotes. */
		printf("%sINSERT INTO sessctl_migrations (version, name, applied_at)\n"
		       "    VALUES (%d, '%s', %s);\nCOMMIT;\n\n",
		       states[i].m->sql, states[i].m->version, states[i].m->name, d.now_sql);
		printed++;
	}
	if (!printed && !ctx->quiet)
		printf(UP_TO_DATE, SC_SCHEMA_VERSION);
	return SC_OK;
}

/* Said as each migration commits, and flushed: a migrate killed later
 * (SIGINT in the next index build; it is rolled back) has still told a
 * pipe or a deploy log which versions are in. */
static void on_applied(const struct sc_migration *m, void *vctx)
{
	const struct cli_ctx *ctx = vctx;
	if (!ctx->quiet) {
		printf("applied migration %d: %s\n", m->version, m->name);
		fflush(stdout);
	}
}

static int apply(struct cli_ctx *ctx)
{
	struct sc_error err = { 0 };
	struct sc_db *db;
	int applied, rc;

	if ((rc = cli_db(ctx, CLI_DB_MIGRATE, &db)))
		return rc;
	/* applied_at is the real time, never --now: as the audit trail. */
	if (sc_migrate_run(db, (int64_t)time(NULL), on_applied, ctx, &applied, &err) < 0)
		return cli_report(&err);
	if (!ctx->quiet)
		printf(applied ? "schema is at version %d\n" : UP_TO_DATE, SC_SCHEMA_VERSION);
	return SC_OK;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct migrate_opts *o = state;
	bool is_status = false;

	if (argc == 1 && strcmp(argv[0], "status") == 0)
		is_status = true;
	else if (argc > 0)
		return cli_usage(ctx, "unknown migrate argument '%s': use 'migrate' or 'migrate status'",
				 argv[0]);
	if (o->check && !is_status)
		return cli_usage(ctx, "--check goes with 'migrate status'");
	if (o->dry_run && is_status)
		return cli_usage(ctx, "--dry-run goes with 'migrate', not 'migrate status'");
	if (is_status)
		return status(ctx, o);
	/* Its lines (or SQL) are no records: an -o or --columns given for
	 * it would be ignored without a word, as metrics refuses them. */
	if (ctx->out.format != SC_FORMAT_TABLE || ctx->out.columns || ctx->out.no_header)
		return cli_usage(ctx, "migrate prints progress lines (with --dry-run, SQL): no -o, "
				 "--columns or --no-header (those go with 'migrate status')");
	return o->dry_run ? dry_run(ctx) : apply(ctx);
}

const struct cli_command cli_cmd_migrate = {
	.name = "migrate",
	.summary = "create or upgrade the schema; 'migrate status' shows applied and pending versions",
	.synopsis = "migrate [--dry-run]\nmigrate status [--check]",
	.help =
		"Applies every pending migration, each in one transaction, recording its time.\n"
		"An application database that already has users and sessions is adopted as it\n"
		"is: nothing is dropped or rewritten. Only migrate may create an SQLite file.\n"
		"It prints progress lines (or SQL), no records: -o, --columns and --no-header\n"
		"go with 'migrate status'.\n\n"
		"Options:\n"
		"  --dry-run      print the SQL of the pending migrations; change nothing\n"
		"  --check        with status: exit 1 when any migration is pending\n"
		"                 (with -q, print nothing: the status is the answer)\n\n"
		"Examples:\n"
		"  sessctl --db app.db migrate\n"
		"  sessctl --db postgresql://deploy@db/app migrate status --check\n"
		"  sessctl migrate --dry-run\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct migrate_opts),
	.min_args = 0,
	.max_args = -1,
	.db = CLI_DB_MIGRATE,
	.run = run,
};
