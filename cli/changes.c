/* What every command that changes data shares: --dry-run, --actor,
 * --reason, and the report of the sessions it changed. */
#include "cli.h"
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/actions.h"
#include "../src/records.h"

int cli_write_option(struct cli_write *w, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_DRY_RUN:
		w->dry_run = true;
		return 0;
	case CLI_OPT_ACTOR:
		w->actor = arg;
		return 0;
	case CLI_OPT_REASON:
		w->reason = arg;
		return 0;
	}
	return -2;
}

/* The actor, and where it came from when not from --actor. */
static const char *actor(const struct cli_write *w, const char **from)
{
	const char *name;
	struct passwd *pw;

	*from = NULL;
	if (w->actor)
		return w->actor;
	name = getenv("SUDO_USER");
	*from = "$SUDO_USER";
	if (name && *name)
		return name;
	name = getlogin();
	*from = "the login name";
	if (name && *name)
		return name;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		return pw->pw_name;
	/* A user id without a name (a container's --user 12345): the id,
	 * which the audit trail can still tell from another. */
	static char uid[32];
	snprintf(uid, sizeof(uid), "uid %ju", (uintmax_t)geteuid());
	*from = "the user id";
	return uid;
}

static int rewind_report(void *vctx);

struct sc_action cli_action(const struct cli_ctx *ctx, const struct cli_write *w,
			    sc_change_cb cb, void *cbctx)
{
	struct sc_action a = { .reason = w->reason, .now = ctx->now, .dry_run = w->dry_run,
			       .cb = cb, .ctx = cbctx };

	a.actor = actor(w, &a.actor_from);
	if (cb == cli_changes_row && cbctx) {
		struct cli_changes *c = cbctx;
		c->dry_run = w->dry_run;
		if (c->spool)
			a.rewind = rewind_report;
	}
	return a;
}

int cli_summary_columns_check(const struct cli_ctx *ctx, const struct sc_column *cols, size_t ncols)
{
	struct sc_error err = { 0 };
	struct sc_writer *w;

	/* Opening selects the columns and prints nothing yet. */
	if (sc_writer_open(&w, stdout, &ctx->out, cols, ncols, NULL, 0, &err) < 0)
		return cli_report(&err);
	sc_writer_abort(w);
	return 0;
}

/* "change", then every column of a session. */
static struct sc_column columns[1 + SC_SESS_NCOLS];
static size_t defaults[1 + SC_SESS_NCOLS];
static size_t ndefaults;

static void init_columns(void)
{
	if (ndefaults)
		return;
	columns[0] = (struct sc_column){ "change", SC_COL_TEXT, 0, NULL, 0 };
	for (size_t i = 0; i < SC_SESS_NCOLS; i++)
		columns[1 + i] = sc_session_columns[i];
	defaults[ndefaults++] = 0;
	for (size_t i = 0; i < sc_session_response_ncols; i++)
		defaults[ndefaults++] = 1 + sc_session_response_cols[i];
}

static int open_to(const struct cli_ctx *ctx, struct cli_changes *c, FILE *out)
{
	init_columns();
	if (sc_writer_open(&c->w, out, &ctx->out, columns, 1 + SC_SESS_NCOLS, defaults, ndefaults,
			   &c->err) < 0)
		return cli_report(&c->err);
	/* A time read as null is told only for a column shown, as listings do. */
	return cli_db_shown(ctx, c->w);
}

/* sc_action.rewind of a spooled report: a dry run retried after it gave
 * rows (a lock waited for in vain) starts its report over. */
static int rewind_report(void *vctx)
{
	struct cli_changes *c = vctx;

	sc_writer_abort(c->w);
	c->w = NULL;
	memset(c->count, 0, sizeof(c->count));
	c->total = 0;
	if (fflush(c->spool) != 0 || ftruncate(fileno(c->spool), 0) != 0 ||
	    fseek(c->spool, 0, SEEK_SET) != 0)
		return -1;
	return open_to(c->ctx, c, c->spool) == SC_OK ? 0 : -1;
}

int cli_changes_open(const struct cli_ctx *ctx, struct cli_changes *c)
{
	memset(c, 0, sizeof(*c));
	return open_to(ctx, c, stdout);
}

int cli_changes_open_spooled(const struct cli_ctx *ctx, struct cli_changes *c)
{
	int rc;

	const char *dir;
	int fd;

	memset(c, 0, sizeof(*c));
	if ((fd = cli_tmpfile("sessctl-report", &dir)) >= 0 && !(c->spool = fdopen(fd, "w+")))
		close(fd);
	if (!c->spool)
		return cli_fail(SC_IOERR, "cannot create a temporary file in '%s' for the dry run's "
				"report: %s (set TMPDIR to a writable directory)", dir, sc_strerror(errno));
	c->spool_dir = dir;
	c->ctx = ctx;
	if ((rc = open_to(ctx, c, c->spool))) {
		fclose(c->spool);
		c->spool = NULL;
	}
	return rc;
}

/* A write to the spooled report failed (the writer says "cannot write
 * output: REASON"): it is the temporary file's directory that is full
 * or limited, not standard output. */
static void spool_failed(struct cli_changes *c, struct sc_error *err)
{
	const char *reason = strncmp(err->msg, "cannot write output: ", 21) == 0 ? err->msg + 21 : err->msg;
	char msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "cannot write the dry run's report to its temporary file in "
		 "'%.160s': %.200s (set TMPDIR to a directory with room)", c->spool_dir, reason);
	memcpy(err->msg, msg, sizeof(msg));
}

/* Copies the spooled report to standard output; a reader that went away
 * ends it quietly, as it ends any listing. SIGINT or SIGTERM during the
 * copy (a slow reader, a timeout) is told once the report is out whole,
 * with its exit status: cut at a byte, it would end in the middle of a
 * row (and a JSON array unclosed); a second signal ends sessctl at once.
 * One that came before the copy is the caller's. */
static int unspool(struct cli_changes *c)
{
	char buf[65536];
	size_t n;
	int rc = SC_OK;
	bool stopped_before = cli_stop_signal != 0;

	errno = 0;
	if (fflush(c->spool) != 0 || fseek(c->spool, 0, SEEK_SET) != 0) {
		sc_error_set(&c->err, SC_IOERR, "cannot write output: %s", sc_strerror(errno ? errno : EIO));
		spool_failed(c, &c->err);
		rc = cli_report(&c->err);
	}
	while (rc == SC_OK && (n = fread(buf, 1, sizeof(buf), c->spool)) > 0) {
		errno = 0;
		if (fwrite(buf, 1, n, stdout) == n)
			continue;
		if (errno == EPIPE)
			cli_output_closed = true;
		else
			rc = cli_fail(SC_IOERR, "cannot write output: %s", sc_strerror(errno ? errno : EIO));
		break;
	}
	if (rc == SC_OK && ferror(c->spool))
		rc = cli_fail(SC_IOERR, "cannot read back the dry run's report: %s",
			      sc_strerror(errno ? errno : EIO));
	if (rc == SC_OK && !stopped_before && cli_stop_signal && !cli_output_closed) {
		fflush(stdout);
		fprintf(stderr, "sessctl: interrupted by %s as the dry run's report was written out: "
			"it is whole; nothing was changed\n", cli_stop_name());
		rc = cli_stop_status();
	}
	fclose(c->spool);
	c->spool = NULL;
	return rc;
}

int cli_changes_row(enum sc_change_kind kind, const struct sc_session *s, void *vctx)
{
	struct cli_changes *c = vctx;
	struct sc_value vals[1 + SC_SESS_NCOLS];

	vals[0] = (struct sc_value){ .s = sc_change_name(kind) };
	sc_session_values(s, vals + 1);
	/* A real run's rows are reported once committed. */
	if (!c->dry_run && kind != SC_CHANGE_ALREADY_CLOSED)
		cli_changed = true;
	c->count[kind]++;
	c->total++;
	if (sc_writer_row(c->w, vals, s->is_active ? 0 : SC_ROW_DIM, &c->err) < 0) {
		if (c->spool && c->err.status == SC_IOERR)
			spool_failed(c, &c->err);
		return -1;
	}
	return 0;
}

void cli_changes_abort(struct cli_changes *c)
{
	sc_writer_abort(c->w);
	c->w = NULL;
	if (c->spool) {
		fclose(c->spool);
		c->spool = NULL;
	}
}

static void summary(const struct cli_changes *c, bool dry_run, FILE *out)
{
	/* "closed 2 sessions", "would close 2 sessions", "1 session already
	 * closed", "closed 1 session over the device limit", ... */
	static const struct {
		const char *verb[2]; /* done, dry run; NULL: no verb */
		const char *tail;
	} kinds[] = {
		[SC_CHANGE_CLOSED] = { { "closed", "would close" }, "" },
		[SC_CHANGE_ALREADY_CLOSED] = { { NULL, NULL }, " already closed" },
		[SC_CHANGE_EXPIRED] = { { "expired", "would expire" }, "" },
		[SC_CHANGE_OVER_LIMIT] = { { "closed", "would close" }, " over the device limit" },
		[SC_CHANGE_PURGED] = { { "purged", "would purge" }, "" },
		[SC_CHANGE_CREATED] = { { "created", "would create" }, "" },
		[SC_CHANGE_REFRESHED] = { { "refreshed", "would refresh" }, "" },
	};
	bool any = false;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *verb = kinds[k].verb[dry_run];
		if (!c->count[k])
			continue;
		fprintf(out, "%s%s%s%lld session%s%s", any ? "; " : "", verb ? verb : "",
			verb ? " " : "", (long long)c->count[k], c->count[k] == 1 ? "" : "s",
			kinds[k].tail);
		any = true;
	}
	if (!any)
		fputs(dry_run ? "nothing would change" : "nothing to do", out);
	fputs(dry_run ? " (dry run: nothing was changed)\n" : "\n", out);
}

int cli_changes_close(const struct cli_ctx *ctx, struct cli_changes *c, bool dry_run)
{
	bool table = ctx->out.format == SC_FORMAT_TABLE;

	if (table && c->total == 0) {
		cli_changes_abort(c);
	} else {
		int rc = sc_writer_close(c->w, &c->err);
		c->w = NULL;
		if (rc < 0) {
			if (c->spool && c->err.status == SC_IOERR)
				spool_failed(c, &c->err);
			cli_changes_abort(c);
			return cli_report(&c->err);
		}
		if (c->spool && (rc = unspool(c)) != SC_OK)
			return rc;
	}
	if (!ctx->quiet)
		summary(c, dry_run, table ? stdout : stderr);
	return SC_OK;
}
