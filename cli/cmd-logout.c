#include "cli.h"

#include <stdlib.h>

#include "../src/actions.h"

enum { OPT_USER = 2000, OPT_DEVICE, OPT_LATEST };

struct logout_opts {
	struct cli_write w;
	const char *user;
	const char *device;
	bool latest;
};

static const struct option options[] = {
	{ "user", required_argument, NULL, OPT_USER },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "latest", no_argument, NULL, OPT_LATEST },
	CLI_WRITE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct logout_opts *o = state;

	switch (opt) {
	case OPT_USER: o->user = arg; return 0;
	case OPT_DEVICE: o->device = arg; return 0;
	case OPT_LATEST: o->latest = true; return 0;
	}
	return cli_write_option(&o->w, opt, arg) == 0 ? 0 : SC_SOFTWARE;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct logout_opts *o = state;
	struct sc_error err = { 0 };
	struct cli_changes ch;
	struct sc_userref ref;
	struct sc_db *db;
	int64_t *ids = NULL;
	size_t n = (size_t)argc;
	int rc;

	if (o->user) {
		if (n)
			return cli_usage(ctx, "give session ids or --user, not both");
		if (!o->device == !o->latest)
			return cli_usage(ctx, "--user needs one of --device FINGERPRINT or --latest");
		if (sc_userref_parse(o->user, &ref, &err) < 0)
			return cli_report(&err);
		if (o->device && !*o->device)
			return cli_usage(ctx, "--device needs a fingerprint");
	} else {
		if (o->device || o->latest)
			return cli_usage(ctx, "--device and --latest need --user USER");
		if (!n)
			return cli_usage(ctx, "logout needs SESSION_ID... or --user USER");
		ids = calloc(n, sizeof(*ids));
		if (!ids)
			return cli_fail(SC_SOFTWARE, "out of memory");
		for (size_t i = 0; i < n; i++) {
			if ((rc = cli_session_id(argv[i], &ids[i]))) {
				free(ids);
				return rc;
			}
		}
	}
	if ((rc = cli_changes_open(ctx, &ch))) {
		free(ids);
		return rc;
	}
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		cli_changes_abort(&ch);
		free(ids);
		return rc;
	}
	struct sc_action a = { cli_actor(&o->w), o->w.reason, ctx->now, o->w.dry_run,
			       cli_changes_row, &ch };
	if (o->user) {
		struct sc_logout_pick pick = { &ref, o->device, o->latest };
		rc = sc_logout_pick(db, &pick, &a, &err);
	} else {
		rc = sc_logout_ids(db, ids, n, &a, &err);
	}
	free(ids);
	if (rc != 0) {
		cli_changes_abort(&ch);
		return cli_report(err.status ? &err : &ch.err);
	}
	return cli_changes_close(ctx, &ch, o->w.dry_run);
}

const struct cli_command cli_cmd_logout = {
	.name = "logout",
	.summary = "close sessions: by id, one device of a user, or a user's current device",
	.synopsis = "logout SESSION_ID... | logout --user USER (--device FINGERPRINT | --latest) [--dry-run] [--actor NAME] [--reason TEXT]",
	.help =
		"Closing never deletes a row: it sets is_active false. All or nothing: when any\n"
		"id does not exist, nothing changes (exit 66). A session already closed is\n"
		"reported as such (exit 0).\n\n"
		"Options:\n"
		"  --user USER               the user whose session to close, with:\n"
		"  --device FINGERPRINT      the session of this device\n"
		"  --latest                  the most recently active session (\"this device\")\n"
		CLI_WRITE_HELP "\n"
		"Examples:\n"
		"  sessctl logout 1042 1043 --reason 'stolen laptop'\n"
		"  sessctl logout --user alice@example.com --device 3f9a1c\n"
		"  sessctl logout --user 74 --latest --dry-run\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct logout_opts),
	.min_args = 0,
	.max_args = -1,
	.db = CLI_DB_WRITE,
	.run = run,
};
