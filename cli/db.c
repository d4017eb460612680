/* The command's database: opened on first use, closed by main. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/utf8.h"

static const enum sc_open_mode open_modes[] = {
	[CLI_DB_READ] = SC_OPEN_READ,
	[CLI_DB_WRITE] = SC_OPEN_WRITE,
	[CLI_DB_INSPECT] = SC_OPEN_INSPECT,
	[CLI_DB_MIGRATE] = SC_OPEN_MIGRATE,
};

/* A -v line: "sessctl: 12:03:04.512 MESSAGE", stamped with the local
 * wall-clock time of day to the millisecond (TZ honoured; --now does not
 * apply: it is when sessctl said it, as GIT_TRACE and strace -t stamp
 * their lines), so a slow step shows where the time went. One write, so
 * lines of concurrent processes never interleave mid-line. */
void cli_verbose(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "sessctl: %02d:%02d:%02d.%03ld ", tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* as error lines are: a path or a server's text with controls
	 * cannot drive the terminal */
	char *safe = sc_printable_dup(line);
	if (safe)
		fprintf(stderr, "%s\n", safe);
	free(safe);
}

static void notice(const char *msg, void *ctx)
{
	(void)ctx;
	cli_verbose("%s", msg);
}

/* A value read as NULL (sc_db_on_warning): named on stderr, escaped as
 * errors are; main makes a command that shows data exit 65 at the end. */
static void warning(const char *msg, void *ctx)
{
	(void)ctx;
	cli_fail(SC_DATAERR, "%s", msg);
}

/* The columns a listing shows, for sc_db_shown_columns: told to the
 * database now, or as it opens (a change's listing opens first). */
static char *pending_shown;

int cli_db_shown(const struct cli_ctx *ctx, const struct sc_writer *w)
{
	char *list = sc_writer_column_list(w);
	int rc = 0;

	if (!list)
		return cli_fail(SC_SOFTWARE, "out of memory");
	if (!ctx->handle) {
		free(pending_shown);
		pending_shown = list;
		return 0;
	}
	if (sc_db_shown_columns(ctx->handle, list) < 0)
		rc = cli_fail(SC_SOFTWARE, "out of memory");
	free(list);
	return rc;
}

int cli_db_listing(struct cli_ctx *ctx, const struct sc_writer *w, struct sc_db **db)
{
	int rc = cli_db(ctx, CLI_DB_NONE, db);

	return rc ? rc : cli_db_shown(ctx, w);
}

int cli_db(struct cli_ctx *ctx, enum cli_db_need mode, struct sc_db **db)
{
	struct sc_error err = { 0 };

	if (mode == CLI_DB_NONE)
		mode = ctx->cmd->db;
	if (!ctx->handle) {
		if (mode == CLI_DB_NONE)
			return cli_fail(SC_SOFTWARE, "%s opens no database", ctx->cmd->name);
		if (sc_db_open(ctx->db, open_modes[mode], ctx->verbose ? notice : NULL, NULL,
			       ctx->stop, &ctx->handle, &err) < 0) {
			/* Chosen by default: say why it is PostgreSQL at all. */
			if (err.status == SC_INTERRUPTED) /* ctx->stop was set */
				return cli_fail(cli_stop_status(), "%s (%s): nothing was changed",
						err.msg, cli_stop_name());
			if (ctx->db_env && err.status != SC_BROKEN_PIPE)
				return cli_fail(err.status, "%s (PostgreSQL by default: no --db or $SESSCTL_DB, "
					 "no sessions.db here, and %s is set)", err.msg, ctx->db_env);
			return cli_report(&err);
		}
		sc_db_on_warning(ctx->handle, warning, NULL);
		if (pending_shown) {
			int rc = sc_db_shown_columns(ctx->handle, pending_shown);
			free(pending_shown);
			pending_shown = NULL;
			if (rc < 0)
				return cli_fail(SC_SOFTWARE, "out of memory");
		}
		if (ctx->verbose)
			cli_verbose("using %s database '%s'",
				    sc_db_backend_name(ctx->handle), sc_db_display(ctx->handle));
	}
	*db = ctx->handle;
	return 0;
}
