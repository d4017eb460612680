#include "sqlite.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sqlite_db *sq_to_sqlite(struct sc_db *db)
{
	if (db->backend != &sc_sqlite_backend)
		abort();
	return (struct sqlite_db *)db;
}

/* Returns a statement for sql, reused from the cache when possible.
 * Give it back with sq_finalize(). */
int sq_prepare(struct sqlite_db *db, const char *sql, sqlite3_stmt **stmt,
		   struct sc_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql && !sqlite3_stmt_busy(db->cache[i].st)) {
			*stmt = db->cache[i].st;
			return 0;
		}
	}
	rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(db, rc, "cannot prepare a query", err);
	if (db->ncache < STMT_CACHE) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache].st = *stmt;
		db->ncache++;
	}
	return 0;
}

/* Resets a cached statement for its next use, or finalizes one that is
 * not cached. */
void sq_finalize(struct sqlite_db *db, sqlite3_stmt *st)
{
	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

int sq_exec(struct sqlite_db *db, const char *sql, const char *what, struct sc_error *err)
{
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(db, rc, what, err);
}

void sq_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void sq_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	char buf[SC_TIME_SQL_LEN];
	sc_time_format_sql(t, buf);
	sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* t in microseconds, as sessctl_time() answers, saturated. */
int64_t sq_time_us(int64_t t)
{
	int64_t us;
	if (__builtin_mul_overflow(t, 1000000, &us))
		us = t < 0 ? INT64_MIN : INT64_MAX;
	return us;
}

/* Binds t for comparison with sessctl_time(): microseconds. */
void sq_bind_time_us(sqlite3_stmt *st, int i, int64_t t)
{
	sqlite3_bind_int64(st, i, sq_time_us(t));
}

/* sessctl_time(TEXT): the time in microseconds since the epoch, by the
 * same parser that reads times for output, so that what a row shows and
 * how rules compare it always agree (julianday() rejects forms such as
 * +0100 offsets that applications write). NULL for NULL. A value that is
 * no time at all (output shows it as null, sc_db_unreadable) compares as
 * the earliest time there is: idle since ever, so enforce expires and
 * purges it and the device limit closes it first, rather than keeping it
 * active for ever (SPEC: unreadable times). */
void sq_sql_sessctl_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *text;
	int64_t us;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (!(text = sqlite3_value_text(argv[0]))) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (sc_time_parse_us((const char *)text, &us) < 0)
		us = SQ_UNREADABLE_TIME;
	sqlite3_result_int64(ctx, us);
}

/* sessctl_ip_maybe(ip, v4_prefix): find --ip's prefilter
 * (sc_ip_text_may_match), a C call per row where three GLOBs took 2.7
 * times as long. */
void sq_sql_ip_maybe(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *ip, *prefix = NULL;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	if (!(ip = sqlite3_value_text(argv[0])) ||
	    (sqlite3_value_type(argv[1]) != SQLITE_NULL && !(prefix = sqlite3_value_text(argv[1])))) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_int(ctx, sc_ip_text_may_match((const char *)ip, (size_t)sqlite3_value_bytes(argv[0]),
						     (const char *)prefix));
}

/* Text holding a NUL byte (which SQLite stores, and neither a C string
 * nor PostgreSQL's text can hold) is shown in full, each NUL as U+FFFD,
 * as output shows a byte that is not UTF-8: copied into one of a ring of
 * buffers, enough for every column of a row (a value, like SQLite's own
 * pointer, is good until the next row). */
#define NUL_RING 16
static struct {
	char *buf;
	size_t cap;
} nul_ring[NUL_RING];
static unsigned nul_next;

static const char *nuls_shown(const char *text, size_t n)
{
	size_t nuls = 0, o = 0;

	for (size_t i = 0; i < n; i++)
		nuls += text[i] == '\0';
	unsigned slot = nul_next++ % NUL_RING;
	size_t need = n + 2 * nuls + 1;
	if (nul_ring[slot].cap < need) {
		char *b = realloc(nul_ring[slot].buf, need);
		if (!b)
			return text; /* out of memory: up to the first NUL */
		nul_ring[slot].buf = b;
		nul_ring[slot].cap = need;
	}
	char *out = nul_ring[slot].buf;
	for (size_t i = 0; i < n; i++) {
		if (text[i]) {
			out[o++] = text[i];
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}

void sq_col_text_release(void)
{
	for (unsigned i = 0; i < NUL_RING; i++) {
		free(nul_ring[i].buf);
		nul_ring[i].buf = NULL;
		nul_ring[i].cap = 0;
	}
}

const char *sq_col_text(sqlite3_stmt *st, int i)
{
	const char *text;
	int n;

	if (sqlite3_column_type(st, i) == SQLITE_NULL ||
	    !(text = (const char *)sqlite3_column_text(st, i)))
		return NULL;
	n = sqlite3_column_bytes(st, i);
	return n > 0 && memchr(text, '\0', (size_t)n) ? nuls_shown(text, (size_t)n) : text;
}

/* A time's text up to a NUL byte, as sessctl_time() reads it: what a row
 * shows and how the rules compare it agree. */
static const char *time_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
							 : (const char *)sqlite3_column_text(st, i);
}

int sq_col_time(struct sqlite_db *db, sqlite3_stmt *st, int i, int64_t id, int64_t *t,
		    bool *null, struct sc_error *err)
{
	const char *text = time_text(st, i);

	*null = text == NULL;
	if (!text)
		return 0;
	if (sc_time_parse(text, t) < 0)
		return sc_error_set(err, SC_DATAERR,
			"row %lld of '%s' has an unreadable %s '%.40s': expected UTC 'YYYY-MM-DD HH:MM:SS'",
			(long long)id, db->path, sqlite3_column_name(st, i), text);
	return 0;
}

/* Reads a time column of a row of table that is shown, not relied on: a
 * value that is no time is read as NULL and told to the core (once per
 * row and column), so one bad row never breaks a listing or a change.
 * So is a time outside the years 0001-9999 (text in the expanded form,
 * "+010000-01-01 00:00:00"), which no RFC 3339 output holds: as
 * PostgreSQL's are, it is ranked as that time by the rules and shown as
 * null. */
void sq_col_time_soft(struct sqlite_db *db, sqlite3_stmt *st, int i, const char *table,
		      int64_t id, int64_t *t, bool *null)
{
	const char *text = time_text(st, i);

	*t = 0;
	*null = text == NULL;
	if (text && (sc_time_parse(text, t) < 0 || *t < SC_TIME_FIRST || *t > SC_TIME_LAST)) {
		*t = 0;
		*null = true;
		sc_db_unreadable(&db->base, table, id, sqlite3_column_name(st, i), text);
	}
}

/* ---- connection ---- */

/* The busy timing of the last open that gave up busy: sc_db_open tries
 * a write handle's open again with a new connection, and its wait goes
 * on as the same wait for -v ("still waiting ... (N s so far)"). */
static double open_busy_since, open_busy_last, open_busy_tell;

/* The busy handler: sleeps as sqlite3_busy_timeout() would (short naps
 * first, then 100 ms) for up to BUSY_TIMEOUT_MS a try, and tells -v
 * (sc_db_notice) what it waits for once the wait passes a second, then
 * every 5 s, counting a retry that follows within a second (the core's
 * write retries) as the same wait. Returns 0 to give up (SQLITE_BUSY). */

int sq_busy(void *vdb, int count)
{
	static const int naps[] = { 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 };
	struct sqlite_db *db = vdb;
	double now = sc_monotonic_ms();
	int nap;

	if (count == 0) {
		db->busy_try = now;
		if (!db->busy_since || now - db->busy_last > 1000) {
			db->busy_since = now;
			db->busy_tell = now + 1000;
		}
	}
	db->busy_last = now;
	if (now - db->busy_try >= BUSY_TIMEOUT_MS)
		return 0;
	/* SIGINT/SIGTERM during a batched run: stop waiting (sc_run_tx
	 * then retries no more and the run reports the interrupt). */
	if (db->base.stop && *db->base.stop)
		return 0;
	if (now >= db->busy_tell) {
		long waited = (long)((now - db->busy_since) / 1e3 + 0.5);
		/* A write handle's open is tried again, as a change's
		 * transaction is (sc_db_open). */
		bool tried_again = db->tx_write || (db->opening && db->base.mode == SC_OPEN_WRITE);
		if (db->busy_tell - db->busy_since < 1500)
			sc_db_notice(&db->base, "waiting %s '%s': another process %s (%s after %d s)",
				     db->tx_write ? "for the write lock on" : "to read", db->path,
				     db->tx_write ? "holds it" : "is writing it",
				     tried_again ? "each try gives up" : "giving up",
				     BUSY_TIMEOUT_MS / 1000);
		else
			sc_db_notice(&db->base, "still waiting %s '%s' (%ld s so far)",
				     db->tx_write ? "for the write lock on" : "to read", db->path, waited);
		db->busy_tell += 5000;
	}
	nap = count < (int)(sizeof(naps) / sizeof(naps[0])) ? naps[count] : 100;
	if (now + nap - db->busy_try > BUSY_TIMEOUT_MS)
		nap = (int)(BUSY_TIMEOUT_MS - (now - db->busy_try)) + 1;
	sqlite3_sleep(nap);
	return 1;
}

/* Whether a journal this process creates beside the database gets the
 * database file's owner and group, so that the application, whoever it
 * runs as, can write it as it writes the database (SQLite gives the
 * journal the database's permission bits; as root, its owner and group
 * too). */
static bool journal_like_database(struct sqlite_db *db)
{
	const char *file = sqlite3_db_filename(db->conn, "main");
	struct stat st, dir;
	char *slash, *path;
	bool same;

	if (geteuid() == 0)
		return true;
	if (!file || !*file || stat(file, &st) < 0 || st.st_uid != geteuid())
		return false;
	if (!(path = strdup(file)))
		return false;
	slash = strrchr(path, '/');
	if (slash)
		slash[slash == path] = '\0'; /* "/x.db": the root directory */
	/* A new file's group: the directory's when it is set-group-ID. */
	same = stat(slash ? path : ".", &dir) == 0 &&
	       ((dir.st_mode & S_ISGID) ? dir.st_gid : getegid()) == st.st_gid;
	free(path);
	return same;
}

/* This connection's journal mode ("delete", "persist", "wal", ...) into
 * mode; "" when SQLite names none. SQLITE_OK or SQLite's error code. */
static int journal_mode(struct sqlite_db *db, char mode[16])
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode", -1, &st, NULL);

	mode[0] = '\0';
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(mode, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return SQLITE_OK;
}

/* The journal, for a connection that writes. This connection's settings
 * only; the database's own mode is left as it is.
 *
 * In WAL mode, synchronous=NORMAL keeps the database consistent through
 * a crash and only lets the last commits before a power loss be lost
 * (whole, with their audit rows: each batch is one transaction). It saves
 * an fsync per commit, which dominates enforce's many short batches. A
 * rollback-journal database keeps its FULL default.
 *
 * With a rollback journal (DELETE, every new connection's mode), this
 * connection keeps its journal file between commits (PERSIST: the header
 * is zeroed instead of the file deleted) and deletes it at close
 * (sqlite_close). enforce commits hundreds of batches: creating,
 * growing and deleting a file for each made the filesystem allocate its
 * blocks anew every time (the device-limit step of a 1 M-row catch-up
 * closed 37 % more sessions in the same 30 s with the file kept). A
 * zeroed header is no hot journal: the application's connections, in
 * DELETE mode, write into the file and delete it as usual, and one left
 * by a killed sessctl is harmless. Only when the file gets the database's
 * owner and group: one the application cannot write would stop its
 * writes for as long as it stays. */
int sq_tune_journal(struct sqlite_db *db, struct sc_error *err)
{
	char mode[16];
	int rc = journal_mode(db, mode);

	if (rc != SQLITE_OK)
		return sq_fail(db, rc, "cannot read the journal mode", err);
	if (strcmp(mode, "wal") == 0) {
		/* A commit costs no fsync here: batches of 25-60 ms instead of
		 * 40-100 cost a 1 M catch-up 28 -> 32 s, and keep the longest
		 * under the 128 ms after which the application's busy handler
		 * polls only every 50-100 ms (README, Performance). */
		db->wal = true;
		db->base.batch_fast_ms = 25;
		db->base.batch_slow_ms = 60;
		return sq_exec(db, "PRAGMA synchronous = NORMAL", "cannot set synchronous", err);
	}
	if (strcmp(mode, "delete") == 0 && journal_like_database(db)) {
		if (sq_exec(db, "PRAGMA journal_mode = PERSIST", "cannot set the journal mode", err) < 0)
			return -1;
		db->persist_journal = true;
	}
	return 0;
}

/* Back to DELETE, which deletes the journal file kept until now (see
 * sq_tune_journal), unless the connection follows another mode since
 * (the database was switched to WAL meanwhile). SQLite deletes it only
 * if it gets the write lock at once: when the application is writing
 * just then, its own commit deletes the file. */
static void sq_drop_journal(struct sqlite_db *db)
{
	char mode[16];

	if (db->persist_journal && journal_mode(db, mode) == SQLITE_OK && strcmp(mode, "persist") == 0) {
		/* at once or not at all: no busy wait at close */
		sqlite3_busy_handler(db->conn, NULL, NULL);
		sqlite3_exec(db->conn, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	}
}

/* Where SQLite creates path, which does not exist: path itself, or
 * where the chain of symbolic links it is ends (SQLite follows them).
 * Returns false when path is no symbolic link. */
static bool link_target(const char *path, char *out, size_t len)
{
	char link[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	bool followed = false;

	snprintf(out, len, "%s", path);
	for (int depth = 0; depth < 40 && lstat(out, &st) == 0 && S_ISLNK(st.st_mode); depth++) {
		ssize_t n = readlink(out, link, sizeof(link) - 1);
		if (n <= 0)
			break;
		link[n] = '\0';
		sq_dir_of(out, dir, sizeof(dir));
		if (link[0] == '/' || !strchr(out, '/'))
			snprintf(out, len, "%s", link);
		else if (snprintf(out, len, "%s/%s", strcmp(dir, "/") ? dir : "", link) >= (int)len)
			break;
		followed = true;
	}
	return followed;
}

/* The file that stands where path needs a directory (ENOTDIR): the
 * longest leading part of path that exists, when it is no directory. */
static bool file_in_the_way(const char *path, char *out, size_t len)
{
	struct stat st;

	if (snprintf(out, len, "%s", path) >= (int)len)
		return false;
	for (;;) {
		size_t n = strlen(out);
		while (n > 1 && out[n - 1] == '/')
			out[--n] = '\0';
		if (stat(out, &st) == 0)
			return !S_ISDIR(st.st_mode);
		char *slash = strrchr(out, '/');
		if (!slash)
			return false;
		slash[slash == out] = '\0';
	}
}

/* migrate is to create path: say so when its directory is missing (or
 * is a file), was deleted (a shell left in it) or is not writable, for
 * path or for where the symbolic link it is points, rather than SQLite's
 * "unable to open database file" (69). */
static int create_dir_problem(const char *path, struct sc_error *err)
{
	char target[PATH_MAX], dir[PATH_MAX], via[PATH_MAX + 64] = "";
	struct stat st;
	int rc = 0;

	if (link_target(path, target, sizeof(target)))
		snprintf(via, sizeof(via), " (a symbolic link to '%s')", target);
	const char *slash = strrchr(target, '/');
	sq_dir_of(target, dir, sizeof(dir));
	if (stat(dir, &st) < 0)
		rc = sc_error_set(err, SC_NOINPUT, "cannot create '%s'%s: there is no directory '%s'",
				  path, via, dir);
	else if (!S_ISDIR(st.st_mode))
		rc = sc_error_set(err, SC_NOINPUT, "cannot create '%s'%s: '%s' is not a directory",
				  path, via, dir);
	else if (st.st_nlink == 0) /* deleted, and still someone's working directory */
		rc = slash ? sc_error_set(err, SC_NOINPUT, "cannot create '%s'%s: directory '%s' was deleted",
					  path, via, dir)
			   : sc_error_set(err, SC_NOINPUT,
					  "cannot create '%s'%s: the working directory was deleted", path, via);
	else if (access(dir, W_OK | X_OK) < 0)
		rc = sc_error_set(err, SC_NOPERM, "cannot create '%s'%s: directory '%s' is not writable",
				  path, via, dir);
	return rc;
}

/* A read found a hot journal: a writer crashed mid-transaction, and
 * until someone who may write the file rolls it back, every read-only
 * connection fails ("attempt to write a readonly database"). That is
 * what any SQLite client with write access does on its first read, and
 * what the crashed writer's transaction needs: done here on a connection
 * of its own, after which the read-only one reads the restored file. */
static int roll_back_hot_journal(struct sqlite_db *db, const char *open_path, struct sc_error *err)
{
	sqlite3 *rw = NULL;
	int rc = sqlite3_open_v2(open_path, &rw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(rw, BUSY_TIMEOUT_MS);
		rc = sqlite3_exec(rw, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		sc_error_set(err, sq_status_of(rw ? sqlite3_extended_errcode(rw) : rc),
			     "'%s' has a hot journal left by a writer that crashed, which must be rolled "
			     "back before it can be read, and rolling it back failed (%s): run any "
			     "sessctl write command, or sqlite3, as a user who may write it", db->path,
			     rw ? sqlite3_errmsg(rw) : sqlite3_errstr(rc));
		sqlite3_close(rw);
		return -1;
	}
	sqlite3_close(rw);
	sc_db_notice(&db->base, "rolled back the hot journal of '%s', left by a writer that crashed",
		     db->path);
	return 0;
}

int sqlite_open(const struct sc_dburl *url, enum sc_open_mode mode, sc_notice_cb notice,
		void *notice_ctx, const volatile sig_atomic_t *stop, struct sc_db **out,
		struct sc_error *err)
{
	struct sqlite_db *db;
	struct stat st;
	int flags, rc;
	bool read_only = mode == SC_OPEN_READ || mode == SC_OPEN_INSPECT;

	*out = NULL;
	if (stat(url->target, &st) < 0) {
		/* "/etc/passwd/app.db", "app.db/": a file where a directory
		 * should be, a missing file. migrate's directory check names
		 * it too. (The look for it stats: errno is kept first.) */
		int why = errno == ENOTDIR ? ENOENT : errno;
		char file[PATH_MAX];
		if (errno == ENOTDIR && mode != SC_OPEN_MIGRATE && file_in_the_way(url->target, file, sizeof(file)))
			return sc_error_set(err, SC_NOINPUT, "no such database file '%s': '%s' is a file, "
					    "not a directory", url->target, file);
		errno = why;
		if (errno == ENOENT && mode != SC_OPEN_MIGRATE)
			return sc_error_set(err, SC_NOINPUT,
				"no such database file '%s': check --db, or create it with 'sessctl migrate'",
				url->target);
		if (errno == EACCES)
			return sc_error_set(err, SC_NOPERM, "cannot open '%s': permission denied", url->target);
		if (errno != ENOENT)
			return sc_error_set(err, SC_UNAVAILABLE, "cannot open '%s': %s", url->target,
					    sc_strerror(errno));
		if (create_dir_problem(url->target, err) < 0)
			return -1;
	} else if (S_ISDIR(st.st_mode)) {
		return sc_error_set(err, SC_DATAERR, "'%s' is a directory, not an sqlite database",
				    url->target);
	} else if (!S_ISREG(st.st_mode)) {
		/* a FIFO would block the open for ever; a device is no database */
		return sc_error_set(err, SC_DATAERR, "'%s' is not a regular file, not an sqlite database",
				    url->target);
	} else if (access(url->target, read_only ? R_OK : R_OK | W_OK) < 0) {
		return sc_error_set(err, SC_NOPERM, "cannot open '%s'%s: %s", url->target,
				    read_only ? "" : " for writing",
				    errno == EROFS ? "it is on a read-only file system" : "permission denied");
	}

	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(url->target))) {
		free(db);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	db->base.backend = &sc_sqlite_backend;
	db->base.mode = mode;
	db->base.display = db->path;
	db->base.notice = notice;
	db->base.notice_ctx = notice_ctx;
	db->base.stop = stop;

	flags = SQLITE_OPEN_NOMUTEX;
	if (read_only)
		flags |= SQLITE_OPEN_READONLY;
	else
		flags |= SQLITE_OPEN_READWRITE;
	if (mode == SC_OPEN_MIGRATE)
		flags |= SQLITE_OPEN_CREATE;
	/* A relative path beginning "file:" is a file of that name: SQLite
	 * (built with SQLITE_USE_URI, as Debian's is) would read it as a URI
	 * naming another file than the one checked above. */
	char open_path[PATH_MAX + 3];
	if (snprintf(open_path, sizeof(open_path), "%s%s",
		     strncmp(url->target, "file:", 5) == 0 ? "./" : "", url->target) >= (int)sizeof(open_path)) {
		sc_sqlite_backend.close(&db->base);
		return sc_error_set(err, SC_USAGE, "database path too long: '%s'", url->target);
	}
	rc = sqlite3_open_v2(open_path, &db->conn, flags, NULL);
	if (rc != SQLITE_OK) {
		sq_fail(db, rc, "cannot open database", err);
		sc_sqlite_backend.close(&db->base);
		return -1;
	}
	sqlite3_extended_result_codes(db->conn, 1);
	rc = sqlite3_create_function_v2(db->conn, "sessctl_time", 1,
					SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
					sq_sql_sessctl_time, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db->conn, "sessctl_ip_maybe", 2,
						SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
						sq_sql_ip_maybe, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sq_fail(db, rc, "cannot register sessctl's SQL functions", err);
		sc_sqlite_backend.close(&db->base);
		return -1;
	}
	sqlite3_busy_handler(db->conn, sq_busy, db);
	db->opening = true;
	db->busy_since = open_busy_since;
	db->busy_last = open_busy_last;
	db->busy_tell = open_busy_tell;
	/* Reading the schema tells a database from any other file. */
	int first = sq_exec(db, "SELECT count(*) FROM sqlite_schema", "cannot read database", err);
	if (first < 0 && read_only && sqlite3_extended_errcode(db->conn) == SQLITE_READONLY_ROLLBACK) {
		sc_error_clear(err);
		first = roll_back_hot_journal(db, open_path, err) < 0 ? -1
			: sq_exec(db, "SELECT count(*) FROM sqlite_schema", "cannot read database", err);
	}
	if (first < 0 ||
	    (!read_only &&
	     (sq_exec(db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", err) < 0 ||
	      /* enforce's batches revisit index pages: keep them cached */
	      sq_exec(db, "PRAGMA cache_size = -65536", "cannot size the page cache", err) < 0 ||
	      /* enforce's batches rewrite the same index pages: checkpoint
	       * every 100 MB of WAL rather than every 4 MB, so that a page is
	       * copied back once for many batches (this connection only) */
	      sq_exec(db, "PRAGMA wal_autocheckpoint = 25000", "cannot set the checkpoint interval", err) < 0 ||
	      sq_tune_journal(db, err) < 0))) {
		open_busy_since = db->busy_since;
		open_busy_last = db->busy_last;
		open_busy_tell = db->busy_tell;
		sc_sqlite_backend.close(&db->base);
		return -1;
	}
	db->opening = false;
	*out = &db->base;
	return 0;
}

/* In WAL mode, enforce's pause between batches copies the batches' pages
 * back into the database (a passive checkpoint: the application's writes
 * go on meanwhile, and a commit of theirs that would checkpoint finds
 * this one running and skips it). Otherwise the application's commits,
 * checkpointing every 1000 pages by default, copied sessctl's pages back
 * while the application waited for them (README, Performance). */
void sqlite_between_batches(struct sc_db *base)
{
	struct sqlite_db *db = sq_to_sqlite(base);

	if (db->wal)
		sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

void sqlite_close(struct sc_db *base)
{
	struct sqlite_db *db;

	if (!base)
		return;
	db = sq_to_sqlite(base);
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].st);
	sq_drop_journal(db);
	sqlite3_close_v2(db->conn);
	sq_col_text_release();
	free(db->path);
	free(db);
}

int sqlite_begin(struct sc_db *base, enum sc_tx_mode mode, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	db->tx_write = mode != SC_TX_READ;
	return sq_exec(db, mode == SC_TX_READ ? "BEGIN" : "BEGIN IMMEDIATE",
		    "cannot begin a transaction", err);
}

int sqlite_commit(struct sc_db *base, struct sc_error *err)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	if (sq_exec(db, "COMMIT", "cannot commit", err) < 0) {
		base->backend->rollback(base);
		return -1;
	}
	return 0;
}

void sqlite_rollback(struct sc_db *base)
{
	struct sqlite_db *db = sq_to_sqlite(base);
	if (!sqlite3_get_autocommit(db->conn))
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}
