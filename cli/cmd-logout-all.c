#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/actions.h"
#include "../src/utf8.h"

enum { OPT_EXCEPT = 2000, OPT_YES };

struct all_opts {
	struct cli_write w;
	const char *except;
	bool yes;
};

static const struct option options[] = {
	{ "except", required_argument, NULL, OPT_EXCEPT },
	{ "yes", no_argument, NULL, 'y' },
	CLI_WRITE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct all_opts *o = state;

	switch (opt) {
	case OPT_EXCEPT: o->except = arg; return 0;
	case 'y': o->yes = true; return 0;
	}
	return cli_write_option(&o->w, opt, arg) == 0 ? 0 : SC_SOFTWARE;
}

/* Asks on the terminal; true to go on. */
static bool confirm(struct sc_db *db, const struct sc_userref *ref, const int64_t *except,
		    int *status)
{
	struct sc_error err = { 0 };
	struct sc_user user = { 0 };
	int64_t n = 0, id;
	char answer[16];

	*status = 0;
	if (sc_count_user(db, ref, &id, &n, &err) < 0 || sc_resolve_user(db, ref, &user, &err) < 0) {
		sc_user_free(&user);
		*status = cli_report(&err);
		return false;
	}
	char *who = sc_printable_dup(user.email ? user.email : user.username ? user.username : ref->text);
	if (except)
		fprintf(stderr, "close every active session of user %lld (%s) but session %lld "
			"(%lld active now)? [y/N] ", (long long)user.id, who ? who : "?",
			(long long)*except, (long long)n);
	else
		fprintf(stderr, "close all %lld active session%s of user %lld (%s)? [y/N] ",
			(long long)n, n == 1 ? "" : "s", (long long)user.id, who ? who : "?");
	free(who);
	sc_user_free(&user);
	if (!fgets(answer, sizeof(answer), stdin))
		answer[0] = '\0';
	if (strcmp(answer, "y\n") == 0 || strcmp(answer, "yes\n") == 0 ||
	    strcmp(answer, "Y\n") == 0)
		return true;
	*status = cli_fail(SC_FALSE, "not confirmed: nothing was changed");
	return false;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct all_opts *o = state;
	struct sc_error err = { 0 };
	struct cli_changes ch;
	struct sc_userref ref;
	struct sc_db *db;
	int64_t except = 0;
	int rc;

	(void)argc;
	if (sc_userref_parse(argv[0], &ref, &err) < 0)
		return cli_report(&err);
	if (o->except && (rc = cli_session_id(o->except, &except)))
		return rc;
	if ((rc = cli_changes_open(ctx, &ch)))
		return rc;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		cli_changes_abort(&ch);
		return rc;
	}
	if (!o->yes && !o->w.dry_run && isatty(STDIN_FILENO) && !confirm(db, &ref, o->except ? &except : NULL, &rc)) {
		cli_changes_abort(&ch);
		return rc;
	}
	struct sc_action a = { cli_actor(&o->w), o->w.reason, ctx->now, o->w.dry_run,
			       cli_changes_row, &ch };
	rc = sc_logout_all(db, &ref, o->except ? &except : NULL, &a, &err);
	if (rc != 0) {
		cli_changes_abort(&ch);
		return cli_report(err.status ? &err : &ch.err);
	}
	return cli_changes_close(ctx, &ch, o->w.dry_run);
}

const struct cli_command cli_cmd_logout_all = {
	.name = "logout-all",
	.summary = "close all of a user's active sessions, or all but one",
	.synopsis = "logout-all USER [--except SESSION_ID] [--yes] [--dry-run] [--actor NAME] [--reason TEXT]",
	.help =
		"Asks for confirmation when standard input is a terminal, unless --yes.\n"
		"Prints the sessions it closed and how many.\n\n"
		"Options:\n"
		"  --except SESSION_ID       keep this session (log out the other devices)\n"
		"  -y, --yes                 do not ask\n"
		CLI_WRITE_HELP "\n"
		"Examples:\n"
		"  sessctl logout-all bob@example.com --yes --reason 'password reset'\n"
		"  sessctl logout-all 74 --except 1042\n",
	.shortopts = "y",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct all_opts),
	.min_args = 1,
	.max_args = 1,
	.operand = "USER",
	.db = CLI_DB_WRITE,
	.run = run,
};
