/* What every command shares: the global options, the command table, and
 * the helpers that parse values and report errors. cli/ knows no SQL. */
#ifndef SESSCTL_CLI_H
#define SESSCTL_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../src/actions.h"
#include "../src/db.h"
#include "../src/error.h"
#include "../src/output.h"

struct cli_ctx {
	const char *db;              /* --db, else $SESSCTL_DB, else sessions.db */
	const char *db_env;          /* "$PGHOST" when that chose PostgreSQL by default */
	struct sc_db *handle;        /* opened by cli_db(), closed by main */
	struct sc_output_opts out;   /* -o, --no-header, --columns, terminal */
	bool quiet;                  /* -q */
	int verbose;                 /* -v, repeatable */
	int64_t now;                 /* --now, else $SESSCTL_NOW, else the clock */
	bool no_pager;               /* --no-pager */
	/* The SIGINT/SIGTERM flag for cli_db() to give the open (NULL: a
	 * signal kills as usual), for a command that caught them first. */
	const volatile sig_atomic_t *stop;
	const struct cli_command *cmd;
};

/* What a command needs opened before it can work (cli_db()). */
enum cli_db_need {
	CLI_DB_NONE,    /* no database */
	CLI_DB_READ,    /* read-only, schema checked */
	CLI_DB_WRITE,   /* read-write, schema checked */
	CLI_DB_INSPECT, /* read-only, no schema check */
	CLI_DB_MIGRATE, /* read-write, may create an SQLite file */
};

/* A row of the command table. main.c parses the command's options into a
 * zeroed state of state_size bytes (through option()), checks the number
 * of operands, sets the context up (cli_finish_ctx, unless raw), runs the
 * command with its operands, closes the database cli_db() opened, flushes
 * standard output and returns the exit status: the command only does its
 * own work. */
struct cli_command {
	const char *name;
	const char *summary;  /* one line for `sessctl --help` */
	const char *synopsis; /* "list-user USER [OPTIONS]" */
	const char *help;     /* options and examples, for `help COMMAND` */
	const char *shortopts;          /* the command's own short options */
	const struct option *options;   /* and long ones (NULL: none) */
	/* Takes one of the command's options: 0, or an exit status after
	 * printing the error. */
	int (*option)(int opt, const char *arg, void *state);
	size_t state_size;
	int min_args, max_args;         /* operands; max_args -1: no limit */
	const char *operand;            /* "USER": for "list-user needs a USER" */
	const char *args_error;         /* or one message for any wrong count */
	enum cli_db_need db;
	bool raw;                       /* no cli_finish_ctx (help, __complete) */
	int (*run)(struct cli_ctx *ctx, void *state, int argc, char **argv);
	bool hidden;          /* not listed in --help (completion helper) */
};

/* The command table, sorted by name, NULL-terminated. */
extern const struct cli_command *const cli_commands[];

/* What cli_parse returns besides 0 and an exit status. */
enum { CLI_SHOW_HELP = -1, CLI_SHOW_VERSION = -2 };

/* Parses argv (argv[0] is the command name) with the command's options
 * plus the global ones. Global options update ctx; for the command's
 * own, handle(opt, optarg, state) is called and returns 0 or an exit
 * status. On success *first is the index of the first operand. Returns 0,
 * an exit status after printing the error, or CLI_SHOW_HELP /
 * CLI_SHOW_VERSION when --help / --version was given (main prints). */
int cli_parse(struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	      const struct option *longopts,
	      int (*handle)(int opt, const char *arg, void *state), void *state, int *first);

/* Finishes setting up ctx after parsing: $SESSCTL_NOW, the clock, the
 * terminal. Returns 0 or an exit status after printing the error. */
int cli_finish_ctx(struct cli_ctx *ctx);

/* The pager (cli/pager.c): cli_pager_start pipes standard output through
 * $SESSCTL_PAGER, else $PAGER, else "less -FRX", when it is a terminal
 * and --no-pager was not given; call it after cli_finish_ctx.
 * cli_pager_finish flushes, closes the pipe and waits for the pager: 0,
 * or 74 after a one-line error when the shell could not run it (126,
 * 127: nothing was shown). */
void cli_pager_start(const struct cli_ctx *ctx);
int cli_pager_finish(void);

/* Prints "sessctl: MESSAGE" on one line (control characters shown as '?')
 * and returns err->status; for a broken pipe prints nothing and returns
 * 0. */
int cli_report(const struct sc_error *err);

/* Set once a reader of standard output went away (cli_report saw
 * SC_BROKEN_PIPE): the command ends quietly. */
extern bool cli_output_closed;
/* A committed change of this command's: an output error after it says
 * the change stands (report.c). Set by cli_changes_row for a change that
 * is not a dry run's, and by enforce and a bulk logout that changed rows. */
extern bool cli_changed;

/* A batched run (enforce, else a bulk logout) that left n sessions
 * another transaction held locked (PostgreSQL): one line saying so and
 * what to look for; returns 75 (SC_TEMPFAIL), or rc when that is already
 * a failure (the summary could not be written). */
int cli_locked_left(bool enforce, int64_t n, bool dry_run, int rc);

/* A listing's standard output, when it is a pipe, through a queue that
 * never blocks (outqueue.c): what the reader does not take at once waits
 * in a temporary file, so that no transaction waits for the reader.
 * cli_output_unblock replaces stdout (0, or -1 when out of memory: the
 * output then stays as it was); cli_output_drain writes what still waits,
 * waiting for the reader (0, or -1 with errno: EPIPE when the reader went
 * away), and releases the queue's descriptor; cli_output_release only
 * does the latter (async-signal-safe: the pager's signal handler). */
int cli_output_unblock(void);
int cli_output_drain(void);
void cli_output_release(void);

/* An unlinked temporary file in $TMPDIR (else /tmp), named after prefix:
 * its descriptor, or -1 with errno; *dir (when not NULL) gets the
 * directory, for messages. */
int cli_tmpfile(const char *prefix, const char **dir);

/* printf-style error: prints and returns status. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a positive integer option value ("--limit", "5"); 64 on error. */
int cli_positive(const char *opt, const char *s, int64_t *out);

/* Parses a non-negative integer option value. */
int cli_nonnegative(const char *opt, const char *s, int64_t *out);

/* Parses a session id operand: SC_USAGE when not all digits, SC_NOINPUT
 * (no such session) when beyond any id. */
int cli_session_id(const char *s, int64_t *out);

/* The same for a filter (history --session): an id beyond any a database
 * can hold is no error there but matches nothing, as a missing id does:
 * 0 with *beyond set. */
int cli_session_id_filter(const char *s, int64_t *out, bool *beyond);

/* Parses a duration option value; 64 with a clear message on error. */
int cli_duration(const char *opt, const char *s, int64_t *out);

/* Parses a point in time for a --since, --until, --*-since or --*-until
 * option: a duration ago as of now ("7d", "90m", "1h30m") or a date and
 * time, UTC unless it gives an offset ("2025-02-01", "2025-02-01 10:00",
 * "2025-02-01 10:00:00", "2025-02-01T10:00:00.250+01:00"), into
 * microseconds since the epoch, so that a bound with a fraction of a
 * second is kept whole. Returns 0, or 64 with a message naming opt. */
int cli_when_us(const char *opt, const char *s, int64_t now, int64_t *out_us);

/* The same in whole seconds (a fraction is dropped), for bounds that are
 * days (count --by day --since). */
int cli_when(const char *opt, const char *s, int64_t now, int64_t *out);

/* SIGINT/SIGTERM for a batched command (stop.c): cli_catch_stop installs
 * the handler (not over a signal ignored at start) that sets
 * cli_stop_signal, which the core checks between batches; the name and
 * the exit status (130, 143) of the signal that came. */
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_stop(void);
const char *cli_stop_name(void);
int cli_stop_status(void);

/* Prints a command's help (synopsis, options, examples) on stdout. */
void cli_print_command_help(const struct cli_command *cmd);

/* Prints `sessctl --help` on stdout. */
void cli_print_help(void);

/* Edit distance (a transposition is one edit), for "did you mean". */
size_t cli_distance(const char *a, const char *b);

/* "unknown command 'X'", with the nearest command when one is close:
 * prints and returns 64. */
int cli_unknown_command(const char *name);

/* An option getopt did not take: arg (a long one) or short_opt. Says
 * which, lists the candidates of an ambiguous abbreviation, suggests the
 * nearest option of all, and before a command name says where a
 * command's option goes. Prints and returns 64. */
int cli_unknown_option(const struct cli_ctx *ctx, const char *arg, int short_opt,
		       const struct option *all, bool before_command);

/* The command named name, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/* Usage error for the current command: prints the message and a hint to
 * `sessctl help COMMAND`, returns 64. */
int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/* The command's database (ctx->db, opened once in the mode the command
 * table gives, or mode when the command passes one other than
 * CLI_DB_NONE): 0 and *db set, or an exit status after printing the
 * error. main closes it. */
int cli_db(struct cli_ctx *ctx, enum cli_db_need mode, struct sc_db **db);

/* cli_db for a listing that writes to w: a value read as NULL counts
 * (exit 65, named on stderr) only in a column w prints. */
struct sc_writer;
int cli_db_listing(struct cli_ctx *ctx, const struct sc_writer *w, struct sc_db **db);

/* The same for a listing whose database opens later (or is open): a
 * value read as NULL is told only in a column w prints. */
int cli_db_shown(const struct cli_ctx *ctx, const struct sc_writer *w);

/* Prints a -v line on stderr: "sessctl: HH:MM:SS.mmm MESSAGE" (local time). */
void cli_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the version and the backends this sessctl can use. */
void cli_print_version(void);

/* Options every command that changes data takes. */
enum { CLI_OPT_DRY_RUN = 3000, CLI_OPT_ACTOR, CLI_OPT_REASON };

/* An option whose val is CLI_OPT_HIDDEN or more is never offered (in
 * suggestions or ambiguity lists): a guard that refuses a spelling
 * getopt would otherwise take as an abbreviation. */
#define CLI_OPT_HIDDEN 9000
#define CLI_WRITE_OPTIONS \
	{ "dry-run", no_argument, NULL, CLI_OPT_DRY_RUN }, \
	{ "actor", required_argument, NULL, CLI_OPT_ACTOR }, \
	{ "reason", required_argument, NULL, CLI_OPT_REASON }
#define CLI_WRITE_HELP \
	"  --dry-run                 print what would change; change nothing\n" \
	"  --actor NAME              who makes the change, for the audit trail\n" \
	"                            (default: $SUDO_USER, else the login name, else\n" \
	"                            uid N); an application user named here must be\n" \
	"                            an admin\n" \
	"  --reason TEXT             why, for the audit trail\n"

struct cli_write {
	bool dry_run;
	const char *actor;
	const char *reason;
};

/* Handles CLI_OPT_*: returns 0 when opt was one of them, -2 when not. */
int cli_write_option(struct cli_write *w, int opt, const char *arg);

/* The action of a write command: its actor (w->actor, else $SUDO_USER,
 * else the login name, which the actor rule's refusal then names), reason,
 * time and dry run, and cb(ctx) for each change. */
struct sc_action cli_action(const struct cli_ctx *ctx, const struct cli_write *w,
			    sc_change_cb cb, void *cbctx);

/* The session filters of find and logout --where (cli/filters.c). */
enum {
	CLI_OPT_IP = 3100,
	CLI_OPT_FINGERPRINT,
	CLI_OPT_DEVICE_TYPE,
	CLI_OPT_BROWSER,
	CLI_OPT_FILTER_USER,
	CLI_OPT_SEEN_SINCE,
	CLI_OPT_SEEN_UNTIL,
	CLI_OPT_CREATED_SINCE,
	CLI_OPT_CREATED_UNTIL,
	CLI_OPT_IDLE_FOR,
};
#define CLI_FILTER_OPTIONS \
	{ "ip", required_argument, NULL, CLI_OPT_IP }, \
	{ "fingerprint", required_argument, NULL, CLI_OPT_FINGERPRINT }, \
	{ "device-type", required_argument, NULL, CLI_OPT_DEVICE_TYPE }, \
	{ "browser", required_argument, NULL, CLI_OPT_BROWSER }, \
	{ "user", required_argument, NULL, CLI_OPT_FILTER_USER }, \
	{ "seen-since", required_argument, NULL, CLI_OPT_SEEN_SINCE }, \
	{ "seen-until", required_argument, NULL, CLI_OPT_SEEN_UNTIL }, \
	{ "created-since", required_argument, NULL, CLI_OPT_CREATED_SINCE }, \
	{ "created-until", required_argument, NULL, CLI_OPT_CREATED_UNTIL }, \
	{ "idle-for", required_argument, NULL, CLI_OPT_IDLE_FOR }
#define CLI_FILTER_HELP \
	"  --ip ADDR|CIDR            only sessions from this address or network (IPv4,\n" \
	"                            IPv6; ::ffff:a.b.c.d addresses match as IPv4)\n" \
	"  --fingerprint F           only sessions with this device fingerprint\n" \
	"  --device-type TYPE        only web or mobile sessions\n" \
	"  --browser B               only sessions of this browser (exact text)\n" \
	"  --user USER               only this user's sessions; repeat for several\n" \
	"  --seen-since WHEN         only sessions last active at or after WHEN\n" \
	"  --seen-until WHEN         only sessions last active before WHEN\n" \
	"  --created-since WHEN      only sessions created at or after WHEN\n" \
	"  --created-until WHEN      only sessions created before WHEN\n" \
	"  --idle-for DURATION       only sessions idle at least this long\n"

struct cli_filters {
	const char *ip, *fingerprint, *device_type, *browser;
	const char *seen_since, *seen_until, *created_since, *created_until;
	const char *idle_for;
	bool any; /* a filter other than --user was given */
};

/* Takes one of CLI_OPT_* above: 0, an exit status after printing the
 * error, or -2 when opt is not a filter. --user values are kept apart
 * (cli_filter_users) until cli_filters_free(). */
int cli_filter_option(struct cli_filters *f, int opt, const char *arg);
/* The --user values given so far (*v may be NULL): how many. */
size_t cli_filter_users(const char ***v);
void cli_filters_free(void);
/* Fills req's filters (users, ip, fingerprint, device_type, browser,
 * times) from f; *refs is allocated for the users (free it even on
 * failure), net holds the parsed --ip. 0, or an exit status after
 * printing the error. */
int cli_filters_request(const struct cli_ctx *ctx, const struct cli_filters *f,
			struct sc_find_request *req, struct sc_userref **refs, struct sc_ipnet *net);

/* Confirmation of a change to many sessions (cli/confirm.c).
 * cli_need_yes: 0 when the command may go on (yes, dry_run, or standard
 * input is a terminal to ask on), else 64 after the one-line refusal.
 * cli_confirm: prints the question and " [y/N] " on stderr and reads the
 * answer: 0 for y or yes (any case), else 1 after "not confirmed". */
int cli_need_yes(bool yes, bool dry_run);
int cli_confirm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports changes (enum sc_change_kind) in the chosen format: a
 * "change" column, then the session's columns. */
struct cli_changes {
	struct sc_writer *w;
	FILE *spool; /* cli_changes_open_spooled's file, or NULL, */
	const char *spool_dir; /* in this directory */
	bool dry_run; /* set by cli_action for its rows */
	const struct cli_ctx *ctx; /* the spooled report's, to start it over */
	struct sc_error err;
	int64_t count[8];  /* per enum sc_change_kind */
	int64_t total;
};

int cli_changes_open(const struct cli_ctx *ctx, struct cli_changes *c);
/* The same, for a dry run that reports rows as it finds them inside its
 * transaction (enforce, a bulk logout): the rows go to a temporary file,
 * written out by cli_changes_close once the transaction is rolled back,
 * so that a pager or a slow reader never keeps its row locks (on
 * PostgreSQL; on SQLite its write lock) from the application. */
int cli_changes_open_spooled(const struct cli_ctx *ctx, struct cli_changes *c);
/* For a command that prints a summary of its changes once they are
 * committed (enforce, a bulk logout): checks --columns against the
 * summary's columns before anything changes, so that a typo is a usage
 * error (64) and not a failure after the work is done. 0, or 64 after
 * the one-line error. */
int cli_summary_columns_check(const struct cli_ctx *ctx, const struct sc_column *cols, size_t ncols);
/* An sc_change_cb; ctx is the struct cli_changes. */
int cli_changes_row(enum sc_change_kind kind, const struct sc_session *s, void *ctx);
/* Prints the table (if any rows) and, for tables, the summary line
 * (unless -q). Returns an exit status. */
int cli_changes_close(const struct cli_ctx *ctx, struct cli_changes *c, bool dry_run);
void cli_changes_abort(struct cli_changes *c);

extern const struct cli_command cli_cmd_complete;
extern const struct cli_command cli_cmd_count;
extern const struct cli_command cli_cmd_create;
extern const struct cli_command cli_cmd_enforce;
extern const struct cli_command cli_cmd_find;
extern const struct cli_command cli_cmd_history;
extern const struct cli_command cli_cmd_logout;
extern const struct cli_command cli_cmd_logout_all;
extern const struct cli_command cli_cmd_metrics;
extern const struct cli_command cli_cmd_help;
extern const struct cli_command cli_cmd_list_user;
extern const struct cli_command cli_cmd_migrate;
extern const struct cli_command cli_cmd_show;

#endif
