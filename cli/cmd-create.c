#include "cli.h"

#include <stdint.h>
#include <string.h>

#include "../src/actions.h"
#include "../src/records.h"
#include "../src/utf8.h"

enum {
	OPT_USER = 2000, OPT_FINGERPRINT, OPT_DEVICE_NAME, OPT_DEVICE_TYPE, OPT_BROWSER, OPT_IP,
	OPT_MAX_SESSIONS,
};

struct create_opts {
	struct cli_write w;
	const char *user;
	struct sc_new_session ns;
	int64_t max_sessions;
};

static const struct option options[] = {
	{ "user", required_argument, NULL, OPT_USER },
	{ "fingerprint", required_argument, NULL, OPT_FINGERPRINT },
	{ "device-name", required_argument, NULL, OPT_DEVICE_NAME },
	{ "device-type", required_argument, NULL, OPT_DEVICE_TYPE },
	{ "browser", required_argument, NULL, OPT_BROWSER },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	CLI_WRITE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int handle(int opt, const char *arg, void *state)
{
	struct create_opts *o = state;

	switch (opt) {
	case OPT_USER: o->user = arg; return 0;
	case OPT_FINGERPRINT: o->ns.device_fingerprint = arg; return 0;
	case OPT_DEVICE_NAME: o->ns.device_name = arg; return 0;
	case OPT_DEVICE_TYPE: o->ns.device_type = arg; return 0;
	case OPT_BROWSER: o->ns.browser = arg; return 0;
	case OPT_IP: o->ns.ip_address = arg; return 0;
	case OPT_MAX_SESSIONS: return cli_positive("--max-sessions", arg, &o->max_sessions);
	}
	return cli_write_option(&o->w, opt, arg) == 0 ? 0 : SC_SOFTWARE;
}

/* The application's column limits (SPEC §1), in characters as varchar
 * counts them (a bad byte counts one): a fingerprint the application
 * stored in 200 two-byte characters must be given back as it is. */
static int check_length(const char *opt, const char *v, size_t max)
{
	size_t chars = 0, len = v ? strlen(v) : 0;
	uint32_t cp;

	for (size_t i = 0; i < len; chars++)
		i += sc_utf8_decode(v + i, len - i, &cp);
	if (chars > max)
		return cli_fail(SC_USAGE, "%s is %zu characters long: at most %zu", opt, chars, max);
	return 0;
}

static int validate(const struct cli_ctx *ctx, const struct create_opts *o)
{
	struct sc_error err = { 0 };
	int rc;

	if (!o->user || !o->ns.device_fingerprint)
		return cli_usage(ctx, "create needs --user USER and --fingerprint FINGERPRINT");
	if (!*o->ns.device_fingerprint)
		return cli_usage(ctx, "--fingerprint is empty");
	if ((rc = check_length("--fingerprint", o->ns.device_fingerprint, SC_FINGERPRINT_MAX)) ||
	    (rc = check_length("--device-name", o->ns.device_name, SC_DEVICE_NAME_MAX)) ||
	    (rc = check_length("--browser", o->ns.browser, SC_BROWSER_MAX)))
		return rc;
	if (o->ns.device_type && sc_device_type_check(o->ns.device_type, &err) < 0)
		return cli_report(&err);
	if (o->ns.ip_address && !sc_ip_valid(o->ns.ip_address))
		return cli_fail(SC_USAGE, "bad --ip '%s': give an IPv4 or IPv6 address", o->ns.ip_address);
	return 0;
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct create_opts *o = state;
	struct sc_error err = { 0 };
	struct cli_changes ch;
	struct sc_userref ref;
	struct sc_db *db;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = validate(ctx, o)))
		return rc;
	if (sc_userref_parse(o->user, &ref, &err) < 0 ||
	    (!o->max_sessions && sc_env_positive("MAX_SESSIONS_PER_USER", SC_DEFAULT_MAX_SESSIONS,
						&o->max_sessions, &err) < 0))
		return cli_report(&err);
	if ((rc = cli_changes_open(ctx, &ch)))
		return rc;
	if ((rc = cli_db(ctx, CLI_DB_NONE, &db))) {
		cli_changes_abort(&ch);
		return rc;
	}
	struct sc_action a = cli_action(ctx, &o->w, cli_changes_row, &ch);
	rc = sc_create(db, &ref, &o->ns, o->max_sessions, &a, &err);
	if (rc != 0) {
		cli_changes_abort(&ch);
		return cli_report(err.status ? &err : &ch.err);
	}
	return cli_changes_close(ctx, &ch, o->w.dry_run);
}

const struct cli_command cli_cmd_create = {
	.name = "create",
	.summary = "register a session under the same-device and device-limit rules",
	.synopsis = "create --user USER --fingerprint FP [--device-name NAME] [--device-type web|mobile] [--browser NAME] [--ip ADDR] [--max-sessions N] [--dry-run] [--actor NAME] [--reason TEXT]",
	.help =
		"A (user, fingerprint) that already has a session is refreshed (new\n"
		"last_activity, active again; given fields replace the old ones) instead of\n"
		"duplicated. Then the user's oldest sessions beyond the device limit are closed.\n\n"
		"Options:\n"
		"  --user USER               the session's user (id, email or username)\n"
		"  --fingerprint FP          the device fingerprint (at most 255 characters)\n"
		"  --device-name NAME        e.g. \"Chrome on Windows 10\" (at most 255\n"
		"                            characters)\n"
		"  --device-type TYPE        web or mobile\n"
		"  --browser NAME            at most 100 characters\n"
		"  --ip ADDR                 IPv4 or IPv6 address\n"
		"  --max-sessions N          the device limit (default: $MAX_SESSIONS_PER_USER, else 3)\n"
		CLI_WRITE_HELP "\n"
		"Examples:\n"
		"  sessctl create --user alice --fingerprint 3f9a1c --device-type web \\\n"
		"          --device-name 'Chrome on Windows 10' --browser Chrome --ip 203.0.113.7\n"
		"  sessctl create --user 74 --fingerprint abc --dry-run -o json\n",
	.options = options,
	.option = handle,
	.state_size = sizeof(struct create_opts),
	.min_args = 0,
	.max_args = 0,
	.db = CLI_DB_WRITE,
	.run = run,
};
