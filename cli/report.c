#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/timeutil.h"
#include "../src/utf8.h"

/* Messages quote values from argv and the database: every control
 * character (C0, DEL, C1), bidirectional formatting character, line
 * separator and byte that is not UTF-8 shows as '?', as in tables, so the
 * line cannot drive the terminal, reorder itself or become two lines. */
static void print_line(const char *msg)
{
	char *safe = sc_printable_dup(msg);

	fputs("sessctl: ", stderr);
	if (safe) {
		fputs(safe, stderr);
	} else {
		/* Out of memory: keep ASCII that is printable, nothing else. */
		for (const char *p = msg; *p; p++)
			putc(*p >= 0x20 && *p < 0x7f ? *p : '?', stderr);
	}
	putc('\n', stderr);
	free(safe);
}

bool cli_output_closed;
bool cli_changed;

/* An output error after a committed change: the line says the change
 * stands, so that nobody runs the command again for it (a second
 * logout --latest would close another device). */
static void told_committed(char *msg, size_t size)
{
	size_t n = strlen(msg);

	if (cli_changed && strncmp(msg, "cannot write output", 19) == 0)
		snprintf(msg + n, size - n, ": what it changed stays changed, only the report is lost "
			 "('sessctl history' shows it)");
}

int cli_report(const struct sc_error *err)
{
	char msg[sizeof(err->msg) + 96];

	if (err->status == SC_BROKEN_PIPE) {
		cli_output_closed = true;
		return SC_OK;
	}
	snprintf(msg, sizeof(msg), "%s", err->msg[0] ? err->msg : "unknown error");
	if (err->status == SC_IOERR)
		told_committed(msg, sizeof(msg));
	print_line(msg);
	return err->status ? err->status : SC_SOFTWARE;
}

int cli_fail(int status, const char *fmt, ...)
{
	char msg[SC_ERROR_MSG_SIZE + 96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, SC_ERROR_MSG_SIZE, fmt, ap);
	va_end(ap);
	if (status == SC_IOERR)
		told_committed(msg, sizeof(msg));
	print_line(msg);
	return status;
}

int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	/* Before any command (the help command's context), the general help. */
	if (ctx && ctx->cmd == &cli_cmd_help)
		snprintf(msg + n, sizeof(msg) - n, " (see 'sessctl --help')");
	else if (ctx && ctx->cmd)
		snprintf(msg + n, sizeof(msg) - n, " (see 'sessctl help %s')", ctx->cmd->name);
	print_line(msg);
	return SC_USAGE;
}

static int parse_int(const char *opt, const char *s, int64_t *out, int64_t min)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	/* strtoll skips any leading white space: refused, as a trailing one */
	if (!*s || *end || isspace((unsigned char)*s) || *s == '+' || errno || v < min)
		return cli_fail(SC_USAGE, "%s needs %s integer, not '%s'", opt,
				min > 0 ? "a positive" : "a non-negative", s);
	*out = v;
	return 0;
}

int cli_positive(const char *opt, const char *s, int64_t *out)
{
	return parse_int(opt, s, out, 1);
}

int cli_nonnegative(const char *opt, const char *s, int64_t *out)
{
	return parse_int(opt, s, out, 0);
}

int cli_session_id_filter(const char *s, int64_t *out, bool *beyond)
{
	char *end;
	long long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return cli_fail(SC_USAGE, "bad session id '%s': a session id is a number, digits only (such as 1042)", s);
	errno = 0;
	v = strtoll(s, &end, 10);
	*beyond = errno == ERANGE;
	*out = *beyond ? 0 : v;
	return 0;
}

int cli_session_id(const char *s, int64_t *out)
{
	bool beyond;
	int rc = cli_session_id_filter(s, out, &beyond);

	if (!rc && beyond)
		return cli_fail(SC_NOINPUT, "no such session %s", s);
	return rc;
}

int cli_duration(const char *opt, const char *s, int64_t *out)
{
	int rc = sc_duration_parse(s, out);

	if (rc == -2)
		return cli_fail(SC_USAGE, "%s: duration '%s' is too long: at most %llds (about 10,000 years)",
				opt, s, (long long)SC_DURATION_MAX);
	if (rc < 0)
		return cli_fail(SC_USAGE,
				"%s: bad duration '%s': use a number and a unit, such as 90s, 15m, 720h, 30d or 2w",
				opt, s);
	return 0;
}

int cli_locked_left(bool enforce, int64_t n, bool dry_run, int rc)
{
	bool one = n == 1;
	/* enforce locks users too; a bulk logout, only sessions. */
	const char *held = enforce ? (one ? "it (or its user)" : "them (or their users)")
				   : one ? "it" : "them";
	const char *then = dry_run ? (one ? "a real run leaves it too while the lock is held"
					  : "a real run leaves them too while the lock is held")
			 : !enforce ? (one ? "run the same command again to close it"
					   : "run the same command again to close them")
			 : one ? "the next run tries it again" : "the next run tries them again";
	int status = cli_fail(SC_TEMPFAIL, "%s%s %s %lld session%s%s: another transaction held %s "
			      "locked longer than a lock wait, most likely one left open (see 'idle "
			      "in transaction' in pg_stat_activity); %s: %s",
			      enforce ? "enforce" : "logout", dry_run ? " --dry-run" : "",
			      dry_run ? "left out" : "left", (long long)n, one ? "" : "s",
			      dry_run ? "" : one ? " as it was" : " as they were", held,
			      dry_run ? "nothing was changed" : "everything else is done", then);
	return rc != SC_OK ? rc : status;
}
