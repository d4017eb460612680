/* The Prometheus text exposition format, and enforce's metrics file. */
/* realpath(3) */
#define _XOPEN_SOURCE 700

#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "utf8.h"

/* ---- the format ---- */

static void family(FILE *out, const char *name, const char *help)
{
	/* Our HELP texts hold no backslash or line feed to escape. */
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label value: backslash, double quote and line feed escaped, bytes
 * that are not UTF-8 replaced by U+FFFD (the format is UTF-8). On a
 * terminal, where nobody scrapes it, a character that could drive the
 * terminal (sc_utf8_unsafe) is shown as '?', as in a table. */
static void label_value(FILE *out, const char *s, bool terminal)
{
	size_t n = strlen(s);

	while (n) {
		uint32_t cp;
		size_t len = sc_utf8_decode(s, n, &cp);
		if (cp == 0xFFFD && len == 1)
			fputs("\xef\xbf\xbd", out);
		else if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (terminal && sc_utf8_unsafe(cp))
			putc('?', out);
		else
			fwrite(s, 1, len, out);
		s += len;
		n -= len;
	}
}

static void sample(FILE *out, const char *name, const char *label, const char *value, int64_t v,
		   bool terminal)
{
	fputs(name, out);
	if (label) {
		fprintf(out, "{%s=\"", label);
		label_value(out, value ? value : "", terminal);
		fputs("\"}", out);
	}
	fprintf(out, " %" PRId64 "\n", v);
}

/* A family of one sample without labels. */
static void gauge(FILE *out, const char *name, const char *help, int64_t v)
{
	family(out, name, help);
	sample(out, name, NULL, NULL, v, false);
}

static int finish(FILE *out, struct sc_error *err)
{
	errno = 0;
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	if (errno == EPIPE)
		return sc_error_set(err, SC_BROKEN_PIPE, "output closed");
	return sc_error_set(err, SC_IOERR, "cannot write output: %s", strerror(errno ? errno : EIO));
}

int sc_metrics_print(FILE *out, const struct sc_metrics *m, const struct sc_metrics_request *req,
		     bool terminal, struct sc_error *err)
{
	family(out, "sessctl_active_sessions", "Active sessions by device type.");
	for (size_t i = 0; i < m->ndevice_types; i++)
		sample(out, "sessctl_active_sessions", "device_type", m->device_types[i].name,
		       m->device_types[i].n, terminal);
	gauge(out, "sessctl_users_over_limit",
	      "Users with more active sessions than sessctl_max_sessions_per_user.", m->users_over_limit);
	gauge(out, "sessctl_idle_sessions",
	      "Active sessions idle longer than sessctl_idle_timeout_seconds: what enforce would expire.",
	      m->idle_sessions);
	gauge(out, "sessctl_oldest_idle_session_age_seconds",
	      "Seconds since the last activity of the oldest active session past the idle timeout; 0 when none.",
	      m->oldest_idle_age);
	family(out, "sessctl_audit_actions_last_24h",
	       "Audit rows written in the last 24 hours, by action.");
	for (size_t i = 0; i < m->nactions; i++)
		sample(out, "sessctl_audit_actions_last_24h", "action", m->actions[i].name,
		       m->actions[i].n, terminal);
	gauge(out, "sessctl_max_sessions_per_user", "The device limit these metrics applied.",
	      req->max_sessions);
	gauge(out, "sessctl_idle_timeout_seconds", "The idle timeout these metrics applied.",
	      req->idle_timeout);
	return finish(out, err);
}

/* ---- enforce --metrics-file ---- */

#define LAST_SUCCESS "sessctl_enforce_last_success_timestamp_seconds"

/* The last-success time the file at path records: true and *t set, or
 * false when there is no file or no such line. */
static bool previous_success(const char *path, int64_t *t)
{
	FILE *f = fopen(path, "r");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(LAST_SUCCESS);
		char *end;
		long long v;
		if (strncmp(line, LAST_SUCCESS, n) != 0 || line[n] != ' ')
			continue;
		errno = 0;
		v = strtoll(line + n + 1, &end, 10);
		if (errno == 0 && end != line + n + 1 && (*end == '\n' || *end == '\0')) {
			*t = v;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void write_run(FILE *out, const struct sc_enforce_run *run, bool has_last, int64_t last)
{
	const struct sc_enforce_result *r = run->r;

	gauge(out, "sessctl_enforce_expired_sessions",
	      "Sessions the last enforce run expired (idle past the timeout).", r->expired);
	gauge(out, "sessctl_enforce_over_limit_sessions",
	      "Sessions the last enforce run closed over the device limit.", r->over_limit);
	gauge(out, "sessctl_enforce_purged_sessions", "Inactive sessions the last enforce run deleted.",
	      r->purged);
	gauge(out, "sessctl_enforce_batches", "Transactions the last enforce run committed.", r->batches);
	family(out, "sessctl_enforce_duration_seconds", "How long the last enforce run took.");
	fprintf(out, "sessctl_enforce_duration_seconds %.6f\n", run->duration);
	gauge(out, "sessctl_enforce_interrupted",
	      "1 when the last enforce run was stopped by SIGINT or SIGTERM.", r->interrupted);
	gauge(out, "sessctl_enforce_success", "1 when the last enforce run finished its work.",
	      run->success);
	gauge(out, "sessctl_enforce_last_run_timestamp_seconds",
	      "When the last enforce run started (Unix time).", run->started);
	if (has_last)
		gauge(out, LAST_SUCCESS, "When the last successful enforce run started (Unix time).", last);
}

/* The directory path's file is in ("." for a bare name, "/" at the
 * root), malloc'd; NULL when out of memory. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Makes what the new file holds visible to readers only as a whole:
 * synced, then renamed over path, then the directory synced. */
static int commit_file(FILE *f, const char *tmp, const char *path)
{
	char *dir;
	int fd;

	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		int e = errno ? errno : EIO;
		fclose(f);
		errno = e;
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	/* The rename is done; a directory that cannot be synced (some file
	 * systems refuse) does not undo it. */
	if ((dir = dir_of(path)) && (fd = open(dir, O_RDONLY)) >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
	return 0;
}

/* The directory the temporary file and the rename need: there, and
 * writable by this user, before the run rather than after its work. */
static int metrics_dir_check(const char *path, struct sc_error *err)
{
	char *dir = dir_of(path);
	struct stat st;
	int rc = 0;

	if (!dir)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = sc_error_set(err, SC_USAGE, "--metrics-file '%s': there is no directory '%s' to "
				  "write it in: create it, or give another path", path, dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = sc_error_set(err, errno == EROFS ? SC_IOERR : SC_NOPERM,
				  "--metrics-file '%s': cannot write in directory '%s' (%s): let this "
				  "user write there, or give another path", path, dir,
				  errno == EROFS ? "a read-only file system" : "permission denied");
	free(dir);
	return rc;
}

int sc_metrics_file_check(const char *path, struct sc_error *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return metrics_dir_check(path, err); /* nothing there yet */
	if (S_ISREG(st.st_mode))
		return metrics_dir_check(path, err);
	/* A link to a regular file: that file is replaced (in its own
	 * directory), the link stays. */
	if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return sc_error_set(err, SC_USAGE, "--metrics-file '%s' is %s, which the file written "
			    "beside it would replace: give the path of a regular file", path,
			    S_ISLNK(st.st_mode) ? "a symbolic link to no regular file" : S_ISDIR(st.st_mode)
			    ? "a directory" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
			    : "not a regular file");
}

int sc_enforce_metrics_file(const char *path, const struct sc_enforce_run *run,
			    struct sc_error *err)
{
	int64_t last = run->started;
	bool has_last = run->success || previous_success(path, &last);
	struct stat st;
	char *real = NULL;
	mode_t mask;
	FILE *f;
	int fd;

	/* Checked before the run; changed since, it is a file that cannot
	 * be written (the run's work is done). */
	if (sc_metrics_file_check(path, err) < 0) {
		err->status = SC_IOERR;
		return -1;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !(real = realpath(path, NULL)))
		return sc_error_set(err, SC_IOERR, "cannot write metrics file '%s': %s", path, strerror(errno));
	const char *shown = path;
	if (real)
		path = real;
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof(".tmp.XXXXXX"));
	if (!tmp) {
		free(real);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	if ((fd = mkstemp(tmp)) < 0) {
		sc_error_set(err, SC_IOERR, "cannot write metrics file '%s': %s", shown, strerror(errno));
		free(tmp);
		free(real);
		return -1;
	}
	/* mkstemp makes it 0600; the collector runs as another user. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0 || !(f = fdopen(fd, "w"))) {
		sc_error_set(err, SC_IOERR, "cannot write metrics file '%s': %s", shown, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		free(real);
		return -1;
	}
	write_run(f, run, has_last, last);
	errno = 0;
	if (commit_file(f, tmp, path) < 0) {
		sc_error_set(err, SC_IOERR, "cannot write metrics file '%s': %s", shown,
			     strerror(errno ? errno : EIO));
		unlink(tmp);
		free(tmp);
		free(real);
		return -1;
	}
	free(tmp);
	free(real);
	return 0;
}
