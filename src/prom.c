/* The Prometheus text exposition format, and enforce's metrics file. */
/* O_PATH, and readlinkat(2) of an empty path */
#define _GNU_SOURCE

#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
	return sc_error_set(err, SC_IOERR, "cannot write output: %s", sc_strerror(errno ? errno : EIO));
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
	gauge(out, "sessctl_enforce_batches", "Batches the last enforce run committed that changed sessions.", r->batches);
	family(out, "sessctl_enforce_duration_seconds", "How long the last enforce run took.");
	fprintf(out, "sessctl_enforce_duration_seconds %.6f\n", run->duration);
	gauge(out, "sessctl_enforce_interrupted",
	      "1 when the last enforce run was stopped by SIGINT, SIGTERM or SIGHUP.", r->interrupted);
	gauge(out, "sessctl_enforce_locked_sessions",
	      "Sessions the last enforce run left because another transaction held them locked.",
	      r->locked);
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
		rc = sc_error_set(err, SC_NOPERM, /* a read-only mount too: as the database's */
				  "--metrics-file '%s': cannot write in directory '%s' (%s): %s, or give "
				  "another path", path, dir,
				  errno == EROFS ? "a read-only file system" : "permission denied",
				  errno == EROFS ? "mount it read-write" : "let this user write there");
	free(dir);
	return rc;
}

static int not_a_file(const char *path, const struct stat *st, bool linked,
		      struct sc_error *err)
{
	return sc_error_set(err, SC_USAGE, "--metrics-file '%s' is %s, which the file written "
			    "beside it would replace: give the path of a regular file", path,
			    linked ? "a symbolic link to no regular file" : S_ISDIR(st->st_mode)
			    ? "a directory" : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device"
			    : "not a regular file");
}

/* The file path names, through its symbolic links, malloc'd in *target;
 * NULL there when path is no link (nothing there yet, or a regular file:
 * written by a rename onto path, which replaces a link put there
 * meanwhile instead of following it). A link is followed only when it
 * belongs to this user or to root: a link another user made in a
 * directory they can write (a collector's textfile directory) would make
 * a cron job running as root replace, and leave world-readable, any file
 * of their choosing. Each link is opened itself (O_PATH|O_NOFOLLOW), so
 * the owner checked is that of the link read, whatever is renamed
 * meanwhile. */
static int link_target(const char *path, char **target, struct sc_error *err)
{
	char *cur = strdup(path);

	*target = NULL;
	for (int depth = 0; cur && depth < 40; depth++) {
		int fd = open(cur, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		char buf[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (fd < 0 || fstat(fd, &st) != 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			free(cur);
			if (e == ENOENT && depth == 0)
				return 0;
			if (e == ENOENT)
				return not_a_file(path, NULL, true, err);
			return sc_error_set(err, SC_IOERR, "--metrics-file '%s': %s", path, sc_strerror(e));
		}
		if (!S_ISLNK(st.st_mode)) {
			close(fd);
			if (depth == 0) {
				free(cur);
				return S_ISREG(st.st_mode) ? 0 : not_a_file(path, &st, false, err);
			}
			if (!S_ISREG(st.st_mode)) {
				free(cur);
				return not_a_file(path, &st, true, err);
			}
			*target = cur;
			return 0;
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			close(fd);
			sc_error_set(err, SC_USAGE, "--metrics-file '%s' leads through symbolic link '%s', "
				     "which user %lu owns: sessctl follows only links of its own user or "
				     "root's (it would replace the file the link names): give the path of "
				     "the file itself", path, cur, (unsigned long)st.st_uid);
			free(cur);
			return -1;
		}
		n = readlinkat(fd, "", buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0) {
			free(cur);
			return sc_error_set(err, SC_IOERR, "--metrics-file '%s': %s", path,
					    sc_strerror(errno));
		}
		buf[n] = '\0';
		char *dir = buf[0] == '/' ? NULL : dir_of(cur), *next = NULL;
		if (buf[0] == '/' || dir) {
			size_t len = (dir ? strlen(dir) + 1 : 0) + (size_t)n + 1;
			if ((next = malloc(len)))
				snprintf(next, len, "%s%s%s", dir ? dir : "", dir ? "/" : "", buf);
		}
		free(dir);
		free(cur);
		cur = next;
	}
	if (!cur)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	free(cur);
	return sc_error_set(err, SC_USAGE, "--metrics-file '%s': %s", path, sc_strerror(ELOOP));
}

int sc_metrics_file_check(const char *path, struct sc_error *err)
{
	char *target;

	if (link_target(path, &target, err) < 0)
		return -1;
	/* A link's file is replaced in its own directory, the link stays. */
	int rc = metrics_dir_check(target ? target : path, err);
	free(target);
	return rc;
}

int sc_enforce_metrics_file(const char *path, const struct sc_enforce_run *run,
			    struct sc_error *err)
{
	int64_t last = run->started;
	char *real = NULL;
	mode_t mask;
	FILE *f;
	int fd;

	/* Checked before the run; changed since, it is a file that cannot
	 * be written (the run's work is done). */
	if (link_target(path, &real, err) < 0) {
		err->status = SC_IOERR;
		return -1;
	}
	const char *shown = path;
	if (real)
		path = real;
	bool has_last = run->success || previous_success(path, &last);
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof(".tmp.XXXXXX"));
	if (!tmp) {
		free(real);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	if ((fd = mkstemp(tmp)) < 0) {
		sc_error_set(err, SC_IOERR, "cannot write metrics file '%s': %s", shown, sc_strerror(errno));
		free(tmp);
		free(real);
		return -1;
	}
	/* mkstemp makes it 0600; the collector runs as another user. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0 || !(f = fdopen(fd, "w"))) {
		sc_error_set(err, SC_IOERR, "cannot write metrics file '%s': %s", shown, sc_strerror(errno));
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
			     sc_strerror(errno ? errno : EIO));
		unlink(tmp);
		free(tmp);
		free(real);
		return -1;
	}
	free(tmp);
	free(real);
	return 0;
}
