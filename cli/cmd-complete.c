/* The hidden completion helper the shell completions call:
 *
 *   sessctl [--db URL] __complete users [PREFIX]
 *   sessctl [--db URL] __complete sessions [USER]
 *   sessctl [--db URL] __complete audited-sessions [USER]
 *   sessctl [--db URL] __complete fingerprints USER [PREFIX]
 *
 * prints one candidate a line, a description after a tab: users whose
 * email or username (or id, for digits) starts with PREFIX, found by
 * prefix in the database so that any of millions of users completes;
 * the ids of the newest active sessions, of USER only when given (so
 * `logout-all bob --except` offers bob's); the sessions the newest
 * audit entries name, of USER only when given, closed ones too (for
 * `history bob --session`: mostly closed sessions have a history),
 * described by the user and action of each one's newest entry; the
 * device fingerprints of USER's active sessions. Fast (at most 200
 * candidates, index walks; the audit trail's newest 2000 entries),
 * read-only, and silent: any error (no database, an unknown user)
 * prints nothing and exits 0, so a shell never shows noise while
 * completing. */
#include "cli.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "../src/utf8.h"

#define MAX_CANDIDATES 200

struct printed {
	int left;
};

static int print_candidate(const char *value, const char *desc, void *ctx)
{
	struct printed *p = ctx;
	char *safe_value = sc_printable_dup(value), *safe_desc = NULL;
	int rc = 0;

	/* A value with a control character, a bidirectional formatting
	 * character or a byte that is not UTF-8 would split the line, or
	 * reach the terminal and the command line raw (the shells print
	 * candidates as they are): not offered. A description shows '?'
	 * for each such character, as a table does. */
	if (!safe_value || strcmp(safe_value, value) != 0)
		rc = !safe_value;
	else if (p->left-- <= 0)
		rc = 1; /* enough candidates */
	else if (!(safe_desc = sc_printable_dup(desc)))
		rc = 1;
	else
		printf("%s\t%s\n", value, safe_desc);
	free(safe_value);
	free(safe_desc);
	return rc;
}

/* What argv asks for: 0, or -1 for a request that offers nothing. */
static int parse(int argc, char **argv, struct sc_complete_request *req, struct sc_userref *ref)
{
	struct sc_error err = { 0 };
	const char *user = NULL;

	req->limit = MAX_CANDIDATES;
	if (strcmp(argv[0], "users") == 0 && argc <= 2) {
		req->kind = SC_COMPLETE_USERS;
		req->prefix = argc == 2 ? argv[1] : "";
	} else if (strcmp(argv[0], "sessions") == 0 && argc <= 2) {
		req->kind = SC_COMPLETE_SESSIONS;
		user = argc == 2 && *argv[1] ? argv[1] : NULL;
	} else if (strcmp(argv[0], "audited-sessions") == 0 && argc <= 2) {
		req->kind = SC_COMPLETE_AUDITED_SESSIONS;
		user = argc == 2 && *argv[1] ? argv[1] : NULL;
	} else if (strcmp(argv[0], "fingerprints") == 0 && (argc == 2 || argc == 3)) {
		req->kind = SC_COMPLETE_FINGERPRINTS;
		user = argv[1];
		req->prefix = argc == 3 ? argv[2] : "";
	} else {
		return -1;
	}
	if (user) {
		if (sc_userref_parse(user, ref, &err) < 0)
			return -1;
		req->user = ref;
	}
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct sc_complete_request req = { 0 };
	struct sc_userref ref;
	struct sc_error err = { 0 };
	struct printed printed = { MAX_CANDIDATES };
	struct sc_db *db;

	(void)state;
	if (argc < 1 || parse(argc, argv, &req, &ref) < 0 || cli_finish_ctx(ctx))
		return SC_OK;
	/* Quiet on every error: completions must never print noise. */
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, STDERR_FILENO) < 0)
		return SC_OK;
	close(devnull);
	/* Never keep a shell waiting for an unreachable server. */
	setenv("PGCONNECT_TIMEOUT", "3", 0);
	if (cli_db(ctx, CLI_DB_NONE, &db) == 0)
		sc_complete(db, &req, print_candidate, &printed, &err);
	return SC_OK;
}

const struct cli_command cli_cmd_complete = {
	.name = "__complete",
	.summary = "completion helper for the shell completions",
	.synopsis = "__complete users [PREFIX] | sessions [USER] | audited-sessions [USER]\n"
		    "__complete fingerprints USER [PREFIX]",
	.help = "",
	.min_args = 0,
	.max_args = -1,
	.db = CLI_DB_READ,
	.raw = true,
	.run = run,
	.hidden = true,
};
