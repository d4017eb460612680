/* sessctl: administer a web application's login sessions.
 *
 * The dispatcher, as git's run_builtin and systemd's verb table: the
 * command table (cli/commands.c) says what each command takes and needs;
 * this file parses, checks operand counts, sets up, runs, closes the
 * database, flushes standard output and returns the exit status, once
 * for every command. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether standard output is a pipe (or socket) whose reader went away:
 * the write end then polls as an error. A write that failed with EPIPE
 * while printing (output longer than the stream's buffer, such as 'help
 * enforce') leaves only the stream's error flag, and errno to whatever
 * came after it. */
static bool reader_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* Flushes standard output: a reader that went away (EPIPE) ends the
 * command quietly; any other write error is status 74. */
static int finish_output(int rc)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout) && cli_output_drain() == 0)
		return rc;
	/* A closed pipe, now or already reported quietly by a writer. */
	if (errno == EPIPE || cli_output_closed || reader_gone())
		return rc;
	return rc == SC_OK ? cli_fail(SC_IOERR, "cannot write output: %s",
				      sc_strerror(errno ? errno : EIO))
			   : rc;
}

/* The operand count the command table allows, or a usage error. */
static int check_operands(const struct cli_ctx *ctx, const struct cli_command *cmd, int n,
			  char **operands)
{
	if (n >= cmd->min_args && (cmd->max_args < 0 || n <= cmd->max_args))
		return 0;
	if (cmd->args_error)
		return cli_usage(ctx, "%s", cmd->args_error);
	if (n > cmd->max_args && cmd->max_args == 0)
		return cli_usage(ctx, "unexpected argument '%s'", operands[0]);
	if (n < cmd->min_args)
		return cli_usage(ctx, "%s needs a %s", cmd->name, cmd->operand);
	return cli_usage(ctx, cmd->min_args ? "%s takes one %s" : "%s takes at most one %s",
			 cmd->name, cmd->operand);
}

/* Handles CLI_SHOW_HELP and CLI_SHOW_VERSION; other values pass. */
static int shown(int rc, const struct cli_command *cmd)
{
	if (rc == CLI_SHOW_HELP)
		cli_print_command_help(cmd);
	else if (rc == CLI_SHOW_VERSION)
		cli_print_version();
	else
		return rc;
	return SC_OK;
}

static int run_command(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
	void *state = NULL;
	int first = 0, rc;

	if (cmd->state_size && !(state = calloc(1, cmd->state_size)))
		return cli_fail(SC_SOFTWARE, "out of memory");
	ctx->cmd = cmd;
	rc = cli_parse(ctx, argc, argv, cmd->shortopts, cmd->options, cmd->option, state, &first);
	if (rc == 0)
		rc = check_operands(ctx, cmd, argc - first, argv + first);
	if (rc == 0 && !cmd->raw)
		rc = cli_finish_ctx(ctx);
	/* A listing on a terminal goes through the pager; a command that
	 * changes data may ask on the terminal, and is never paged. */
	if (rc == 0 && cmd->db == CLI_DB_READ && !cmd->raw) {
		cli_pager_start(ctx);
		/* Nor does its transaction wait for a slow reader. */
		if (cli_output_unblock() < 0)
			rc = cli_fail(SC_SOFTWARE, "out of memory");
	}
	if (rc == 0)
		rc = cmd->run(ctx, state, argc - first, argv + first);
	/* A listing that showed a value it could not read as null (named on
	 * stderr as it went) is whole but not right: 65 at the end. A change
	 * did its work whatever it could not show. */
	if (rc == 0 && cmd->db == CLI_DB_READ && sc_db_unreadable_count(ctx->handle))
		rc = SC_DATAERR;
	sc_db_close(ctx->handle);
	ctx->handle = NULL;
	free(state);
	return shown(rc, cmd);
}

/* A standard descriptor the caller closed (`>&-`) is the next number
 * open() or socket() hands out: the database file or the server's socket
 * would take it, and output meant for it would go there (into the
 * protocol stream). Each closed one is held by /dev/null opened the other
 * way, so that writing to a closed stdout or stderr, or reading a closed
 * stdin, still fails (EBADF) as it would have. */
static int hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lower ones are open: open() returns fd. */
		int nfd = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
		if (nfd != fd) {
			if (nfd >= 0)
				close(nfd);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .now = INT64_MIN };
	const struct cli_command *cmd;
	int first = 1, rc;

	/* A closed pipe is reported by write errors (EPIPE) and ends the
	 * command quietly; nothing is killed half-way through a write. */
	signal(SIGPIPE, SIG_IGN);
	/* Likewise a file size limit (ulimit -f): the write fails with
	 * EFBIG and is reported (74), where SIGXFSZ killed sessctl in the
	 * middle of a run, with no line and its committed batches untold. */
	sc_catch_file_size_limit();

	if (hold_std_fds() < 0) /* no /dev/null: said where it still can be */
		return cli_fail(SC_IOERR, "cannot open /dev/null to hold a closed standard descriptor: %s",
				sc_strerror(errno));

	/* Global options before the command name ("+": stop at it). */
	ctx.cmd = &cli_cmd_help;
	rc = cli_parse(&ctx, argc, argv, "+", NULL, NULL, NULL, &first);
	/* `sessctl --help COMMAND` is that command's help, as `help COMMAND`. */
	if (rc == CLI_SHOW_HELP && optind < argc)
		return finish_output(shown(rc, cli_find_command(argv[optind])));
	if (rc)
		return finish_output(shown(rc, NULL));
	/* No command: a usage error, not the help and success, so that a
	 * cron line whose command word came from an empty variable fails
	 * where someone will see it. */
	if (first >= argc)
		return cli_fail(SC_USAGE, "no command given: see 'sessctl --help'");
	cmd = cli_find_command(argv[first]);
	if (!cmd)
		return cli_unknown_command(argv[first]);
	rc = finish_output(run_command(&ctx, cmd, argc - first, argv + first));
	int prc = cli_pager_finish();
	return rc ? rc : prc;
}
