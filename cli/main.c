/* sessctl: administer a web application's login sessions. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Levenshtein distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (lb >= sizeof(row) / sizeof(row[0]))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

static int unknown_command(const char *name)
{
	const struct cli_command *best = NULL;
	size_t best_d = (size_t)-1;

	for (const struct cli_command *const *c = cli_commands; *c; c++) {
		size_t d = (*c)->hidden ? (size_t)-1 : distance(name, (*c)->name);
		if (strncmp(name, (*c)->name, strlen(name)) == 0 && strlen(name) >= 3)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = *c;
		}
	}
	if (best && best_d <= 2 && best_d * 2 < strlen(name))
		return cli_fail(SC_USAGE, "unknown command '%s': did you mean '%s'?", name, best->name);
	return cli_fail(SC_USAGE, "unknown command '%s': see 'sessctl --help'", name);
}

/* Flushes standard output: a reader that went away (EPIPE) ends the
 * command quietly; any other write error is status 74. */
static int finish_output(int rc)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	/* A closed pipe, now or already reported quietly by a writer. */
	if (errno == EPIPE || cli_output_closed)
		return rc;
	return rc == SC_OK ? cli_fail(SC_IOERR, "cannot write output: %s",
				      strerror(errno ? errno : EIO))
			   : rc;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .now = INT64_MIN };
	const struct cli_command *cmd;
	int first = 1, rc;

	/* A closed pipe is reported by write errors (EPIPE) and ends the
	 * command quietly; nothing is killed half-way through a write. */
	signal(SIGPIPE, SIG_IGN);

	/* Global options before the command name ("+": stop at it). */
	ctx.cmd = &cli_cmd_help;
	rc = cli_parse(&ctx, argc, argv, "+", NULL, NULL, NULL, &first);
	if (rc == -1)
		return finish_output(SC_OK);
	if (rc)
		return rc;
	if (first >= argc) {
		cli_print_help();
		return finish_output(SC_OK);
	}
	cmd = cli_find_command(argv[first]);
	if (!cmd)
		return unknown_command(argv[first]);
	ctx.cmd = cmd;
	rc = cmd->run(&ctx, argc - first, argv + first);
	return finish_output(rc);
}
