/* Option parsing shared by every command: the global options may come
 * before or after the command name, mixed with the command's own. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../src/dburl.h"
#include "../src/timeutil.h"

enum {
	OPT_DB = 1000,
	OPT_NO_HEADER,
	OPT_COLUMNS,
	OPT_NOW,
	OPT_COLOR,
	OPT_VERSION,
	OPT_FULL,
	OPT_TIME,
	OPT_NO_PAGER,
};

static const struct option global_options[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "output", required_argument, NULL, 'o' },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "no-pager", no_argument, NULL, OPT_NO_PAGER },
};
#define NGLOBAL (sizeof(global_options) / sizeof(global_options[0]))
#define GLOBAL_SHORT "o:qvhV"
/* handle_global: opt is not a global option */
#define NOT_GLOBAL (-100)

static int color_mode = -1; /* -1 auto, 0 never, 1 always */

/* A bare number, which the time parser reads as Unix epoch seconds (a
 * form applications store, not one an operator types): on the command
 * line it is a duration without its unit ("--seen-since 30") or a date
 * without its dashes ("20250201"), and read as 1970 it would select
 * every session (a forced logout of everyone with `logout --where`). */
static bool bare_number(const char *s)
{
	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* --now and SESSCTL_NOW: a date and time only (a duration would be
 * ambiguous here: ago, or ahead?), in the years 0001 to 9999 that every
 * output shows (the rules subtract durations of up to 10,000 years from
 * it; and the smallest time there is stands for "not given"). */
static int parse_now(const char *what, const char *s, int64_t *out)
{
	/* The parser skips the leading blanks stored text may have; an
	 * argument with one is refused, as one with a trailing blank is. */
	if (*s == ' ' || bare_number(s) || sc_time_parse(s, out) < 0)
		return cli_fail(SC_USAGE, "%s: bad timestamp '%s': use a UTC date and time ('2025-02-01', "
				"'2025-02-01 10:00', '2025-02-01 10:00:00') or RFC 3339 "
				"('2025-02-01T10:00:00+01:00')", what, s);
	if (*out < SC_TIME_FIRST || *out > SC_TIME_LAST)
		return cli_fail(SC_USAGE, "%s: '%s' is outside the years 0001 to 9999", what, s);
	return 0;
}

int cli_when(const char *opt, const char *s, int64_t now, int64_t *out)
{
	int64_t d;

	int rc = sc_duration_parse(s, &d);
	if (rc == 0) {
		*out = now - d;
		return 0;
	}
	if (rc == -2)
		return cli_fail(SC_USAGE, "bad %s '%s': a duration of at most %llds (about 10,000 years)",
				opt, s, (long long)SC_DURATION_MAX);
	if (bare_number(s))
		return cli_fail(SC_USAGE, "bad %s '%s': a number needs a unit (90s, 15m, 720h, 30d, 2w), "
				"a date its dashes ('2025-02-01')", opt, s);
	if (*s != ' ' && sc_time_parse(s, out) == 0)
		return 0;
	return cli_fail(SC_USAGE, "bad %s '%s': give a duration ago (90s, 15m, 720h, 30d, 2w) "
			"or a UTC date and time ('2025-02-01', '2025-02-01 10:00', RFC 3339)", opt, s);
}

int cli_when_us(const char *opt, const char *s, int64_t now, int64_t *out_us)
{
	int64_t sec, d;
	int rc = cli_when(opt, s, now, &sec);

	if (rc)
		return rc;
	/* A time, with its fraction where microseconds hold it. */
	if (sc_duration_parse(s, &d) < 0 && sc_time_parse_us(s, out_us) == 0)
		return 0;
	/* A duration ago (at most about 10,000 years from a now in the
	 * years 0001-9999: it fits), or a time too far out for microseconds
	 * (beyond about year 294000), which lies beyond every stored time:
	 * the nearest end of int64_t. */
	if (__builtin_mul_overflow(sec, 1000000, out_us))
		*out_us = sec < 0 ? INT64_MIN : INT64_MAX;
	return 0;
}

/* Whether a --db of the command line held a password, which shows in
 * the process list (ps, /proc) for as long as sessctl runs (any of them:
 * a later --db replaces the value, not the process's arguments). The
 * backend's own masking tells whether a value holds one (not a text
 * masked out of doubt, which libpq refuses at once). */
static bool argv_password;

static void note_password_in_argv(const char *arg)
{
	struct sc_error err = { 0 };
	struct sc_dburl url;

	if (argv_password || sc_dburl_parse(arg, &url, &err) < 0)
		return;
	argv_password = sc_dburl_holds_password(&url);
	sc_dburl_free(&url);
}

/* Said once every option is read, on stderr; not an error, so not with
 * -q ("nothing but results and errors": a cron job that keeps it there
 * has chosen to, and -q may come after --db). */
static void warn_password_in_argv(const struct cli_ctx *ctx)
{
	static bool warned;

	if (argv_password && !ctx->quiet && !warned) {
		warned = true;
		cli_fail(SC_OK, "warning: --db holds a password, which other users can see in the "
			 "process list: put it in a password file (PGPASSFILE) or pass the URL in "
			 "SESSCTL_DB");
	}
}

static int handle_global(struct cli_ctx *ctx, int opt, const char *arg)
{
	struct sc_error err = { 0 };

	switch (opt) {
	case OPT_DB:
		ctx->db = arg;
		note_password_in_argv(arg);
		return 0;
	case 'o':
		return sc_format_parse(arg, &ctx->out.format, &err) < 0 ? cli_report(&err) : 0;
	case OPT_NO_HEADER:
		ctx->out.no_header = true;
		return 0;
	case OPT_COLUMNS:
		ctx->out.columns = arg;
		return 0;
	case OPT_NOW:
		return parse_now("--now", arg, &ctx->now);
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			color_mode = -1;
		else if (strcmp(arg, "never") == 0)
			color_mode = 0;
		else if (strcmp(arg, "always") == 0)
			color_mode = 1;
		else
			return cli_fail(SC_USAGE, "bad --color '%s': use auto, always or never", arg);
		return 0;
	case OPT_FULL:
		ctx->out.full = true;
		return 0;
	case OPT_TIME:
		return sc_time_style_parse(arg, &ctx->out.time, &err) < 0 ? cli_report(&err) : 0;
	case OPT_NO_PAGER:
		ctx->no_pager = true;
		return 0;
	case 'q':
		ctx->quiet = true;
		return 0;
	case 'v':
		ctx->verbose++;
		return 0;
	case OPT_VERSION:
	case 'V':
		return CLI_SHOW_VERSION;
	}
	return NOT_GLOBAL;
}

/* A command's option with a value given twice (--user alice --user bob)
 * is a usage error rather than the last one winning without a word: for
 * the options that name what a change acts on, the first would be
 * silently ignored (create for another user, logout of another device).
 * The filters' --user is a list (find, logout --where); global options
 * keep the usual last-one-wins. index is getopt_long's (-1 for a short
 * option). */
static int once(struct cli_ctx *ctx, const struct option *all, size_t n, const char **given,
		int index, int opt, const char *arg)
{
	if (index < 0)
		for (size_t i = NGLOBAL; i < n; i++)
			if (all[i].val == opt && all[i].has_arg == required_argument)
				index = (int)i;
	if (index < (int)NGLOBAL || all[index].has_arg != required_argument ||
	    all[index].val == CLI_OPT_FILTER_USER)
		return 0;
	if (given[index])
		return cli_usage(ctx, "--%s given twice ('%s', then '%s'): give it once", all[index].name,
				 given[index], arg);
	given[index] = arg;
	return 0;
}

/* getopt_long takes any unique prefix of a long option (--dry for
 * --dry-run), as GNU tools do; an option that widens a change to every
 * user must be written in full, so that no shortened word does that. */
static int spelled_in_full(const struct cli_ctx *ctx, char **argv, const char *name)
{
	static const char *const full_only[] = { "all-users" };
	/* The word that named the option: before its value when that was
	 * the next word. */
	const char *word = argv[optind - 1 - (optarg && optarg == argv[optind - 1])];
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(full_only) / sizeof(full_only[0]); i++)
		if (strcmp(name, full_only[i]) == 0 &&
		    !(strncmp(word + 2, name, len) == 0 && (word[2 + len] == '\0' || word[2 + len] == '=')))
			return cli_usage(ctx, "'%s' shortens --%s: write it in full (it widens the change "
					 "to every user)", word, name);
	return 0;
}

/* Whether word, an option's value given as the next word, is itself one
 * of the options as getopt would take it (--dry-run, a prefix such as
 * --dry, --yes=..., -y, -qv), or "--": the value was left out, and taking
 * the option for it would drop it without a word ("logout 5 --reason
 * --dry-run" closed session 5). A value that only starts with '-' (a
 * reason "-5") is not. */
static bool names_an_option(const struct option *all, const char *shorts, const char *word)
{
	if (word[0] != '-')
		return false;
	if (word[1] != '-')
		return word[1] && word[1] != ':' && word[1] != '+' && strchr(shorts, word[1]);
	size_t len = strcspn(word + 2, "=");
	if (len == 0)
		return word[2] == '\0'; /* "--" */
	for (const struct option *o = all; o->name; o++)
		if (strlen(o->name) >= len && strncmp(o->name, word + 2, len) == 0)
			return true;
	return false;
}

int cli_parse(struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	      const struct option *longopts,
	      int (*handle)(int opt, const char *arg, void *state), void *state, int *first)
{
	struct option all[64];
	const char *given[64] = { 0 }; /* a command option's value, once given */
	char shorts[64];
	size_t n = 0;
	int opt, index;

	for (size_t i = 0; i < NGLOBAL; i++)
		all[n++] = global_options[i];
	for (const struct option *o = longopts; o && o->name; o++) {
		/* getopt_long takes the first of two equal names: a command's
		 * option must not hide behind a global one (the suite runs
		 * every command, so this catches it). */
		for (size_t i = 0; i < NGLOBAL; i++)
			if (strcmp(o->name, global_options[i].name) == 0)
				return cli_fail(SC_SOFTWARE, "internal error: option --%s is both global "
						"and the command's", o->name);
		all[n++] = *o;
	}
	memset(&all[n], 0, sizeof(all[n]));
	/* A leading ':' makes getopt report a missing value as ':'. */
	if (shortopts && *shortopts == '+') /* '+' must come first */
		snprintf(shorts, sizeof(shorts), "+:%s%s", GLOBAL_SHORT, shortopts + 1);
	else
		snprintf(shorts, sizeof(shorts), ":%s%s", GLOBAL_SHORT, shortopts ? shortopts : "");

	optind = 0;
	opterr = 0;
	while ((index = -1, opt = getopt_long(argc, argv, shorts, all, &index)) != -1) {
		int rc;
		if (opt == '?' && optopt && strncmp(argv[optind - 1], "--", 2) == 0 &&
		    strchr(argv[optind - 1], '=')) {
			/* a long option without a value, given one */
			char name[64];
			snprintf(name, sizeof(name), "%s", argv[optind - 1]);
			name[strcspn(name, "=")] = '\0';
			return cli_usage(ctx, "option '%s' takes no value", name);
		}
		if (opt == '?')
			/* before any command only global options go here */
			return cli_unknown_option(ctx, argv[optind - 1], optopt, all,
						  ctx->cmd == &cli_cmd_help && strcmp(argv[0], "help") != 0);
		if (opt == ':')
			return cli_usage(ctx, "option '%s' needs a value", argv[optind - 1]);
		if (opt == 'h')
			return CLI_SHOW_HELP;
		if (optarg && optarg == argv[optind - 1] && names_an_option(all, shorts, optarg)) {
			char name[72];
			if (index >= 0)
				snprintf(name, sizeof(name), "--%s", all[index].name);
			else
				snprintf(name, sizeof(name), "-%c", opt);
			return cli_usage(ctx, "option '%s' needs a value, and '%s' is an option: give the "
					 "value (write %s=%s if that is the value meant)", name, optarg,
					 name, optarg);
		}
		if (index >= 0 && (rc = spelled_in_full(ctx, argv, all[index].name)))
			return rc;
		if ((rc = once(ctx, all, n, given, index, opt, optarg)))
			return rc;
		rc = handle_global(ctx, opt, optarg);
		if (rc == NOT_GLOBAL)
			rc = handle ? handle(opt, optarg, state) : SC_SOFTWARE;
		if (rc)
			return rc;
	}
	*first = optind;
	return 0;
}

/* $COLUMNS when set to a width (as ls, ps and git honour it: digits
 * only, 1 to 10000), else the terminal's. */
static unsigned terminal_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (cols && *cols && strspn(cols, "0123456789") == strlen(cols) && strlen(cols) <= 5 &&
	    atoi(cols) > 0 && atoi(cols) <= 10000)
		return (unsigned)atoi(cols);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* The first of libpq's own variables that name a database, as psql reads
 * them, that is set ("$PGHOST"); NULL when none is. */
static const char *libpq_env(void)
{
	static const char *const names[] = { "$PGSERVICE", "$PGDATABASE", "$PGHOST", "$PGHOSTADDR" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i] + 1);
		if (v && *v)
			return names[i];
	}
	return NULL;
}

/* The database when neither --db nor $SESSCTL_DB names one:
 * ./sessions.db when it exists; else, when libpq's environment names a
 * database (PGSERVICE, PGDATABASE, PGHOST, PGHOSTADDR; *why names it),
 * PostgreSQL as psql would connect; else sessions.db (which then does not
 * exist: 66). */
static const char *default_db(const char **why)
{
	if (access("sessions.db", F_OK) != 0 && (*why = libpq_env()))
		return "postgresql://";
	return "sessions.db";
}

int cli_finish_ctx(struct cli_ctx *ctx)
{
	const char *env;

	warn_password_in_argv(ctx);
	if (!ctx->db) {
		env = getenv("SESSCTL_DB");
		ctx->db = env && *env ? env : default_db(&ctx->db_env);
	}
	if (ctx->now == INT64_MIN) {
		env = getenv("SESSCTL_NOW");
		if (env && *env) {
			if (parse_now("SESSCTL_NOW", env, &ctx->now))
				return SC_USAGE;
		} else {
			ctx->now = (int64_t)time(NULL);
		}
	}
	ctx->out.now = ctx->now;
	ctx->out.terminal = isatty(STDOUT_FILENO);
	if (ctx->out.format == SC_FORMAT_TABLE && ctx->out.terminal) {
		const char *term = getenv("TERM");
		const char *no_color = getenv("NO_COLOR"); /* set and not empty: no colour */
		ctx->out.tty = true;
		ctx->out.width = terminal_width();
		ctx->out.color = color_mode == 1 ||
				 (color_mode == -1 && !(no_color && *no_color) &&
				  !(term && strcmp(term, "dumb") == 0));
	} else {
		ctx->out.color = ctx->out.format == SC_FORMAT_TABLE && color_mode == 1;
	}
	return 0;
}
