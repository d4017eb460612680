/* The command's database: opened on first use, closed by main. */
#include "cli.h"

#include <stdio.h>

static const enum sc_open_mode open_modes[] = {
	[CLI_DB_READ] = SC_OPEN_READ,
	[CLI_DB_WRITE] = SC_OPEN_WRITE,
	[CLI_DB_INSPECT] = SC_OPEN_INSPECT,
	[CLI_DB_MIGRATE] = SC_OPEN_MIGRATE,
};

static void notice(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "sessctl: %s\n", msg);
}

/* A value read as NULL (sc_db_on_warning): named on stderr, escaped as
 * errors are; main makes a command that shows data exit 65 at the end. */
static void warning(const char *msg, void *ctx)
{
	(void)ctx;
	cli_fail(SC_DATAERR, "%s", msg);
}

int cli_db(struct cli_ctx *ctx, enum cli_db_need mode, struct sc_db **db)
{
	struct sc_error err = { 0 };

	if (mode == CLI_DB_NONE)
		mode = ctx->cmd->db;
	if (!ctx->handle) {
		if (mode == CLI_DB_NONE)
			return cli_fail(SC_SOFTWARE, "%s opens no database", ctx->cmd->name);
		if (sc_db_open(ctx->db, open_modes[mode], &ctx->handle, &err) < 0)
			return cli_report(&err);
		sc_db_on_warning(ctx->handle, warning, NULL);
		if (ctx->verbose) {
			fprintf(stderr, "sessctl: using %s database '%s'\n",
				sc_db_backend_name(ctx->handle), sc_db_display(ctx->handle));
			sc_db_on_notice(ctx->handle, notice, NULL);
		}
	}
	*db = ctx->handle;
	return 0;
}
