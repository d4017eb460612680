#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char global_help[] =
	"Global options (before or after the command):\n"
	"  --db URL             database: PATH, sqlite:PATH, sqlite:///ABS/PATH,\n"
	"                       postgresql://..., or 'host=... dbname=...'\n"
	"                       (default: $SESSCTL_DB, else sessions.db; without that\n"
	"                       file, PostgreSQL when $PGHOST, $PGDATABASE, $PGSERVICE\n"
	"                       or $PGHOSTADDR is set)\n"
	"  -o, --output FORMAT  table, json, ndjson or csv (default: table)\n"
	"  --columns A,B,C      show these columns, in this order\n"
	"  --no-header          no header row (table, csv)\n"
	"  --now TIMESTAMP      evaluate time rules as of this UTC time ($SESSCTL_NOW)\n"
	"  --color WHEN         auto, always or never (default: auto; NO_COLOR is honoured)\n"
	"  --time STYLE         times in tables: relative, utc or local ($TZ)\n"
	"                       (default: relative on a terminal, else utc)\n"
	"  --full               never shorten or hide a table's columns\n"
	"  --no-pager           do not page a listing on a terminal\n"
	"                       ($SESSCTL_PAGER, else $PAGER, else less -FRX)\n"
	"  -q, --quiet          print nothing but results and errors\n"
	"  -v, --verbose        say more\n"
	"  -h, --help           show help\n"
	"  -V, --version        show the version and the backends it can use\n";

void cli_print_help(void)
{
	printf("usage: sessctl [--db URL] [-o FORMAT] COMMAND [ARGS...]\n\n"
	       "Administer a web application's login sessions in SQLite or PostgreSQL.\n\n"
	       "Commands:\n");
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		if (!(*c)->hidden)
			printf("  %-12s %s\n", (*c)->name, (*c)->summary);
	printf("\n%s\nRun 'sessctl help COMMAND' for a command's options and examples;\n"
	       "'man sessctl' for the full reference.\n", global_help);
}

static void print_backend(const char *name, bool available, const char *how, void *ctx)
{
	bool *first = ctx;
	printf("%s%s (%s%s)", *first ? "" : ", ", name, available ? "" : "unavailable: ", how);
	*first = false;
}

void cli_print_version(void)
{
	bool first = true;

	printf("sessctl %s\nbackends: ", SESSCTL_VERSION);
	sc_backends_each(print_backend, &first);
	putchar('\n');
}

/* One usage line for each form of the command (the synopsis's lines). */
static void print_synopsis(const char *synopsis)
{
	const char *prefix = "usage:";

	for (const char *line = synopsis; *line; prefix = "      ") {
		size_t len = strcspn(line, "\n");

		printf("%s sessctl %.*s\n", prefix, (int)len, line);
		line += len + (line[len] == '\n');
	}
}

void cli_print_command_help(const struct cli_command *cmd)
{
	if (!cmd || cmd == &cli_cmd_help) {
		cli_print_help();
		return;
	}
	print_synopsis(cmd->synopsis);
	printf("\n%c%s.\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->help && *cmd->help)
		printf("\n%s", cmd->help);
	printf("\n%s", global_help);
}

static int run_help(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	const struct cli_command *cmd;

	(void)state;
	if (argc == 0) {
		cli_print_help();
		return SC_OK;
	}
	/* 'migrate status' reads as a command of its own: its help is
	 * migrate's */
	if (argc == 2 && (strcmp(argv[0], "migrate") != 0 || strcmp(argv[1], "status") != 0))
		return cli_usage(ctx, "help takes one command name");
	cmd = cli_find_command(argv[0]);
	if (!cmd)
		return cli_unknown_command(argv[0]);
	cli_print_command_help(cmd);
	return SC_OK;
}

const struct cli_command cli_cmd_help = {
	.name = "help",
	.summary = "show help for sessctl or for one command",
	.synopsis = "help [COMMAND]",
	.help = "",
	.min_args = 0,
	.max_args = 2,
	.args_error = "help takes one command name",
	.raw = true,
	.run = run_help,
};
