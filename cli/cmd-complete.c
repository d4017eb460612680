/* The hidden completion helper the shell completions call:
 *   sessctl [--db URL] __complete users|sessions
 * prints one candidate a line (users: id, email and username of users
 * with active sessions; sessions: ids of the newest active
 * sessions, with the user and device as a description after a tab). Fast
 * (at most 200 rows), read-only, and silent: any error prints nothing and
 * exits 0, so a shell never shows noise while completing. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>


#define MAX_CANDIDATES 200

static int print_user(const struct sc_user_count *c, void *ctx)
{
	int *left = ctx;
	if ((*left)--  <= 0)
		return 1; /* enough candidates */
	printf("%" PRId64 "\tuser %s\n", c->user_id, c->email ? c->email : c->username ? c->username : "");
	if (c->email)
		printf("%s\tuser %" PRId64 "\n", c->email, c->user_id);
	if (c->username)
		printf("%s\tuser %" PRId64 "\n", c->username, c->user_id);
	return 0;
}

static int print_session(const struct sc_session *s, void *ctx)
{
	(void)ctx;
	printf("%" PRId64 "\tuser %" PRId64 ", %s\n", s->id, s->user_id,
	       s->device_name ? s->device_name : "unknown device");
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct sc_error err = { 0 };
	struct sc_db *db;

	(void)state;
	if (argc != 1 || cli_finish_ctx(ctx))
		return SC_OK;
	/* Quiet on every error: completions must never print noise. */
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, STDERR_FILENO) < 0)
		return SC_OK;
	close(devnull);
	/* Never keep a shell waiting for an unreachable server. */
	setenv("PGCONNECT_TIMEOUT", "3", 0);
	if (cli_db(ctx, CLI_DB_NONE, &db) == 0) {
		int left = MAX_CANDIDATES;
		if (strcmp(argv[0], "users") == 0)
			sc_count_by_user(db, 0, print_user, &left, &err);
		else if (strcmp(argv[0], "sessions") == 0)
			sc_recent_sessions(db, MAX_CANDIDATES, print_session, NULL, &err);
	}
	return SC_OK;
}

const struct cli_command cli_cmd_complete = {
	.name = "__complete",
	.summary = "completion helper for the shell completions",
	.synopsis = "__complete users|sessions",
	.help = "",
	.min_args = 0,
	.max_args = -1,
	.db = CLI_DB_READ,
	.raw = true,
	.run = run,
	.hidden = true,
};
