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
	case OPT_EXCEPT: o->except = arg; return 0; /* once: cli_parse */
	case 'y': o->yes = true; return 0;
	}
	return cli_write_option(&o->w, opt, arg) == 0 ? 0 : SC_SOFTWARE;
}

struct owner {
	int64_t user_id;
	bool unowned; /* user_id NULL: nobody's */
	bool active;
	bool found;
};

static int on_session(const struct sc_session *s, void *vctx)
{
	struct owner *o = vctx;
	o->user_id = s->user_id;
	o->unowned = s->user_id_null;
	o->active = s->is_active;
	o->found = true;
	return 0;
}

/* --except: the session must be one of the user's, and active (keeping a
 * closed one would close every session without a word). 0, or an exit
 * status after printing the error. The core checks again in its
 * transaction; this is for the question not to be asked in vain. */
static int check_except(struct sc_db *db, const struct sc_userref *ref, const struct sc_user *user,
			int64_t except, bool *active)
{
	struct sc_error err = { 0 };
	struct owner o = { 0 };

	if (sc_get_session(db, except, on_session, &o, &err) < 0 && err.status != SC_NOINPUT)
		return cli_report(&err);
	if (!o.found || o.unowned || o.user_id != user->id) /* no such session: not the user's either */
		return cli_fail(SC_NOINPUT, "session %lld is not a session of user '%s': nothing was changed",
				(long long)except, ref->text);
	if (!o.active)
		return cli_fail(SC_DATAERR, "session %lld of user '%s' is closed, so --except keeps nothing: "
				"nothing was changed (leave out --except to close every session)",
				(long long)except, ref->text);
	*active = true;
	return 0;
}

/* On a terminal without --yes: says what will close and asks. 0 to go
 * on; else the exit status (0 too when nothing is left to close: *done is
 * then set). */
static int ask(struct sc_db *db, const struct sc_userref *ref, const int64_t *except, bool *done)
{
	struct sc_error err = { 0 };
	struct sc_user user = { 0 };
	bool kept = false;
	int64_t n = 0, id;
	int rc;

	*done = false;
	if (sc_resolve_user(db, ref, &user, &err) < 0 || sc_count_user(db, ref, &id, &n, &err) < 0) {
		sc_user_free(&user);
		return cli_report(&err);
	}
	if (except && (rc = check_except(db, ref, &user, *except, &kept))) {
		sc_user_free(&user);
		return rc;
	}
	if (n - kept <= 0) {
		sc_user_free(&user);
		*done = true;
		return 0;
	}
	char *who = sc_printable_dup(user.email ? user.email : user.username ? user.username : ref->text);
	if (except)
		rc = cli_confirm("close %lld active session%s of user %lld (%s), keeping session %lld?",
				 (long long)(n - kept), n - kept == 1 ? "" : "s", (long long)user.id,
				 who ? who : "?", (long long)*except);
	else
		rc = cli_confirm("close all %lld active session%s of user %lld (%s)?", (long long)n,
				 n == 1 ? "" : "s", (long long)user.id, who ? who : "?");
	free(who);
	sc_user_free(&user);
	return rc;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct all_opts *o = state;
	struct sc_error err = { 0 };
	struct cli_changes ch;
	struct sc_userref ref;
	struct sc_db *db;
	int64_t except = 0;
	bool done = false;
	int rc;

	(void)argc;
	if (sc_userref_parse(argv[0], &ref, &err) < 0)
		return cli_report(&err);
	if (o->except && (rc = cli_session_id(o->except, &except)))
		return rc;
	/* A bad value (of --columns too) first: the one to mend before
	 * adding --yes. */
	if ((rc = cli_changes_open(ctx, &ch)))
		return rc;
	if ((rc = cli_need_yes(o->yes, o->w.dry_run)) || (rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		cli_changes_abort(&ch);
		return rc;
	}
	if (!o->yes && !o->w.dry_run &&
	    ((rc = ask(db, &ref, o->except ? &except : NULL, &done)) || done)) {
		if (rc) {
			cli_changes_abort(&ch);
			return rc;
		}
		return cli_changes_close(ctx, &ch, false); /* "nothing to do" */
	}
	struct sc_action a = cli_action(ctx, &o->w, cli_changes_row, &ch);
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
		"Asks for confirmation when standard input is a terminal, unless --yes; when\n"
		"it is not a terminal, refuses (exit 64, nothing changed) unless --yes or\n"
		"--dry-run is given (checked first, before anything is read). On a terminal,\n"
		"a user with nothing to close gets \"nothing to do\" (exit 0) without a\n"
		"question. --except must name an active session of the\n"
		"user: another user's session exits 66, a closed one 65, and nothing changes.\n"
		"Prints the sessions it closed and how many.\n\n"
		"Options:\n"
		"  --except SESSION_ID       keep this session (log out the other devices)\n"
		"  -y, --yes                 do not ask (required without a terminal)\n"
		CLI_WRITE_HELP "\n"
		"Examples:\n"
		"  sessctl logout-all bob@example.com --yes --reason 'password reset'\n"
		"  sessctl logout-all 74 --except 1042\n"
		"  sessctl logout-all bob --dry-run\n",
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
