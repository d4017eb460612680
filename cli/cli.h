/* What every command shares: the global options, the command table, and
 * the helpers that parse values and report errors. cli/ knows no SQL. */
#ifndef SESSCTL_CLI_H
#define SESSCTL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "../src/error.h"
#include "../src/output.h"

struct cli_ctx {
	const char *db;              /* --db, else $SESSCTL_DB, else sessions.db */
	struct sc_output_opts out;   /* -o, --no-header, --columns, terminal */
	bool quiet;                  /* -q */
	int verbose;                 /* -v, repeatable */
	int64_t now;                 /* --now, else $SESSCTL_NOW, else the clock */
	const struct cli_command *cmd;
};

struct cli_command {
	const char *name;
	const char *summary;  /* one line for `sessctl --help` */
	const char *synopsis; /* "list-user USER [OPTIONS]" */
	const char *help;     /* options and examples, for `help COMMAND` */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	bool hidden;          /* not listed in --help (completion helper) */
};

/* The command table, sorted by name, NULL-terminated. */
extern const struct cli_command *const cli_commands[];

/* Parses argv (argv[0] is the command name) with the command's options
 * plus the global ones. Global options update ctx; for the command's
 * own, handle(opt, optarg, state) is called and returns 0 or an exit
 * status. On success *first is the index of the first operand. Returns 0,
 * or an exit status after printing the error; -1 when --help was given
 * and the command's help printed (the caller exits 0). */
int cli_parse(struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	      const struct option *longopts,
	      int (*handle)(int opt, const char *arg, void *state), void *state, int *first);

/* Finishes setting up ctx after parsing: $SESSCTL_NOW, the clock, the
 * terminal. Returns 0 or an exit status after printing the error. */
int cli_finish_ctx(struct cli_ctx *ctx);

/* Prints "sessctl: MESSAGE" on one line (control characters shown as '?')
 * and returns err->status; for a broken pipe prints nothing and returns
 * 0. */
int cli_report(const struct sc_error *err);

/* printf-style error: prints and returns status. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a positive integer option value ("--limit", "5"); 64 on error. */
int cli_positive(const char *opt, const char *s, int64_t *out);

/* Parses a non-negative integer option value. */
int cli_nonnegative(const char *opt, const char *s, int64_t *out);

/* Parses a session id operand: SC_USAGE when not all digits, SC_NOINPUT
 * (no such session) when beyond any id. */
int cli_session_id(const char *s, int64_t *out);

/* Parses a duration option value; 64 with a clear message on error. */
int cli_duration(const char *opt, const char *s, int64_t *out);

/* Prints a command's help (synopsis, options, examples) on stdout. */
void cli_print_command_help(const struct cli_command *cmd);

/* Prints `sessctl --help` on stdout. */
void cli_print_help(void);

/* The command named name, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/* Usage error for the current command: prints the message and a hint to
 * `sessctl help COMMAND`, returns 64. */
int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct sc_db;
struct sc_dburl;

/* Parses ctx->db and opens it in mode (an enum sc_open_mode). Returns 0,
 * or an exit status after printing the error. Close with cli_close_db. */
int cli_open_db(const struct cli_ctx *ctx, int mode, struct sc_dburl *url, struct sc_db **db);
void cli_close_db(struct sc_dburl *url, struct sc_db *db);

extern const struct cli_command cli_cmd_count;
extern const struct cli_command cli_cmd_help;
extern const struct cli_command cli_cmd_list_user;
extern const struct cli_command cli_cmd_migrate;
extern const struct cli_command cli_cmd_show;

#endif
