/* How a failed SQLite call is told: the exit status of its result code,
 * and a line that names what went wrong and what to do (a full disk or
 * temporary directory, the files beside the database another user made,
 * a file replaced under the run, an exhausted AUTOINCREMENT, ...). */
#include "sqlite.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Maps an SQLite result code to an exit status. */
int sq_status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SC_TEMPFAIL;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return SC_NOPERM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_CONSTRAINT: /* e.g. duplicate rows for a unique index */
		return SC_DATAERR;
	case SQLITE_FULL: /* the disk (or the file system's quota) is full */
		return SC_IOERR;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		return SC_UNAVAILABLE;
	default:
		return SC_SOFTWARE;
	}
}

static bool schema_mismatch(const char *msg)
{
	return strncmp(msg, "no such table", 13) == 0 || strncmp(msg, "no such column", 14) == 0 ||
	       strncmp(msg, "duplicate column name", 21) == 0;
}

/* SQLITE_FULL is also AUTOINCREMENT's answer when a table's sequence
 * has reached the largest rowid (a row imported with that id is
 * enough): not a full disk, and no space freed mends it. 65 as
 * PostgreSQL's exhausted sequence, with the table named; 0 when no
 * sequence is at its end. */
static int ids_used_up(struct sqlite_db *db, const char *what, struct sc_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	/* the tables sessctl inserts into: another's exhausted sequence
	 * (the application's) has nothing to do with this write */
	if (sqlite3_prepare_v2(db->conn, "SELECT name FROM sqlite_sequence WHERE name IN "
			       "('sessions', 'sessctl_audit') AND seq >= 9223372036854775807 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st); /* no AUTOINCREMENT table: no sqlite_sequence */
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *table = sq_col_text(st, 0);
		rc = sc_error_set(err, SC_DATAERR, "%s on '%s': table %s has used up its ids (its "
				  "AUTOINCREMENT sequence is at 9223372036854775807, the largest "
				  "SQLite gives): renumber its rows and lower its row in "
				  "sqlite_sequence", what, db->path, table ? table : "?");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The database file SQLite opened: its path with symbolic links
 * resolved, beside which its journal, WAL and index live (the path as
 * given may be a link in another directory, on another file system). */
static const char *db_file(const struct sqlite_db *db)
{
	const char *file = db->conn ? sqlite3_db_filename(db->conn, "main") : NULL;
	return file && *file ? file : db->path;
}

void sq_dir_of(const char *file, char *dir, size_t len)
{
	const char *slash = strrchr(file, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", slash == file ? 1 : (int)(slash - file), file);
}

/* SQLite opens the files beside the database (the rollback journal, or
 * the WAL and its index) when it needs them, and one this user may not
 * open fails as "unable to open database file" (69), naming neither the
 * file nor the cause: another user's process (often root's, or the
 * application's) created it with a mode that shuts this user out. Names
 * the first such file, its owner and mode; returns 0 if there is none. */
static int companion_problem(struct sqlite_db *db, const char *what, struct sc_error *err)
{
	static const struct {
		const char *suffix, *name;
	} companions[] = {
		{ "-journal", "rollback journal" },
		{ "-wal", "write-ahead log" },
		{ "-shm", "write-ahead log index" },
	};
	const char *file = db_file(db);
	char path[PATH_MAX], wal[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	/* A WAL without its index (the writer that had both was killed, and
	 * the next one removed the index): a reader must create the index
	 * beside it, in a directory this user may not write to. Before the
	 * files' modes: a WAL of the usual 0644 that this user cannot write
	 * is not what stops a read. */
	if (snprintf(wal, sizeof(wal), "%s-wal", file) < (int)sizeof(wal) &&
	    snprintf(path, sizeof(path), "%s-shm", file) < (int)sizeof(path) &&
	    stat(wal, &st) == 0 && stat(path, &st) < 0 && errno == ENOENT) {
		sq_dir_of(file, dir, sizeof(dir));
		if (access(dir, W_OK | X_OK) < 0 && errno == EACCES)
			return sc_error_set(err, SC_NOPERM, "%s on '%s': its write-ahead log '%s' has no "
					    "index beside it, and this user cannot create one: permission "
					    "denied on the directory '%s': run as a user who may write there "
					    "(the application's), or let this user write there", what,
					    db->path, wal, dir);
	}
	for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
		/* a read needs to read the WAL only (its index, to write) */
		int need = !db->tx_write && strcmp(companions[i].suffix, "-wal") == 0 ? R_OK : R_OK | W_OK;
		if (snprintf(path, sizeof(path), "%s%s", file, companions[i].suffix) >= (int)sizeof(path) ||
		    stat(path, &st) < 0 || access(path, need) == 0 || errno != EACCES)
			continue;
		struct passwd *pw = getpwuid(st.st_uid);
		char owner[32];
		if (!pw)
			snprintf(owner, sizeof(owner), "uid %lu", (unsigned long)st.st_uid);
		return sc_error_set(err, SC_NOPERM, "%s on '%s': this user cannot open its %s '%s' "
				    "(owner %s, mode %04o): run as %s, or let this user read and write it",
				    what, db->path, companions[i].name, path, pw ? pw->pw_name : owner,
				    (unsigned)(st.st_mode & 07777), pw ? pw->pw_name : "its owner");
	}
	return 0;
}

/* The directory SQLite's temporary files go to (its unix VFS's order:
 * sqlite3_temp_directory, $SQLITE_TMPDIR, $TMPDIR, /var/tmp, /usr/tmp,
 * /tmp, the current directory: the first writable directory). */
static const char *temp_dir(void)
{
	const char *dirs[] = {
		sqlite3_temp_directory, getenv("SQLITE_TMPDIR"), getenv("TMPDIR"),
		"/var/tmp", "/usr/tmp", "/tmp", ".",
	};
	struct stat st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] && stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    access(dirs[i], W_OK | X_OK) == 0)
			return dirs[i];
	return NULL;
}

/* Whether a full disk (SQLITE_FULL) is SQLite's temporary directory's
 * rather than the database's: a large sort or grouping (count --by
 * device-type, metrics, a dry run) spills there, and the line blamed
 * the database's disk, which had room. A read writes nothing else; a
 * write's journal goes beside the database, so a temporary directory on
 * another file system, with the database's one roomy, is taken for it.
 * Returns the directory, or NULL. */
#define ROOMY ((unsigned long long)64 << 20)
static const char *full_temp_dir(const struct sqlite_db *db)
{
	const char *tmp = temp_dir();
	char dir[PATH_MAX];
	struct stat dst, tst;
	struct statvfs dvfs;

	if (!tmp || db->opening)
		return NULL;
	if (!db->tx_write)
		return tmp;
	sq_dir_of(db_file(db), dir, sizeof(dir));
	if (stat(dir, &dst) < 0 || stat(tmp, &tst) < 0 || dst.st_dev == tst.st_dev ||
	    statvfs(dir, &dvfs) < 0)
		return NULL;
	return (unsigned long long)dvfs.f_bavail * dvfs.f_frsize >= ROOMY ? tmp : NULL;
}

int sq_fail(struct sqlite_db *db, int rc, const char *what, struct sc_error *err)
{
	int status = sq_status_of(rc);

	if ((rc & 0xff) == SQLITE_NOTADB)
		return sc_error_set(err, status, "'%s' is not an sqlite database", db->path);
	/* A constraint: which one tells what needs a change. */
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		int ext = db->conn ? sqlite3_extended_errcode(db->conn) : rc;
		const char *hint =
			/* a NOT NULL column of the application's that sessctl
			 * does not fill (create): the table, not the data */
			ext == SQLITE_CONSTRAINT_NOTNULL
				? "sessctl does not fill that column: give it a default (or allow NULL)"
			/* the application's own rules: a trigger that raises
			 * (RAISE(ABORT, ...)), another table's foreign key */
			: ext == SQLITE_CONSTRAINT_TRIGGER ? "a trigger of the database refused the change"
			: ext == SQLITE_CONSTRAINT_FOREIGNKEY ? "another table's foreign key refers to these rows"
							      : "remove the duplicate or invalid rows first";
		return sc_error_set(err, status, "%s on '%s': %s: %s", what, db->path,
				    db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc), hint);
	}
	/* The file was renamed over or deleted while the command ran (a
	 * restore, a deploy moving a new file in): SQLite's answer is
	 * "attempt to write a readonly database" (77, as if permission were
	 * denied) or "disk I/O error", and what was committed before went
	 * to the old file. */
	int moved = 0;
	if (db->conn && ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_IOERR ||
			 (rc & 0xff) == SQLITE_CANTOPEN) &&
	    sqlite3_file_control(db->conn, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved)
		return sc_error_set(err, SC_UNAVAILABLE, "%s on '%s': the file was replaced, moved or "
				    "deleted while sessctl ran (what it committed before went to the "
				    "old file): run it again", what, db->path);
	/* The journal, the WAL or its index could not be opened for want of
	 * a file descriptor: "unable to open database file" said nothing of
	 * the limit. */
	if (db->conn && ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR) &&
	    (sqlite3_system_errno(db->conn) == EMFILE || sqlite3_system_errno(db->conn) == ENFILE))
		return sc_error_set(err, status, "%s on '%s': too many open files (%s): raise the "
				    "limit (ulimit -n) and run again", what, db->path,
				    sqlite3_system_errno(db->conn) == EMFILE ? "this process's limit"
				    : "the system's limit");
	/* The file is writable but its directory is not: a write needs to
	 * create the rollback journal (or the WAL) beside it. */
	if (db->conn && sqlite3_extended_errcode(db->conn) == SQLITE_READONLY_DIRECTORY)
		return sc_error_set(err, SC_NOPERM, "cannot write to '%s': permission denied on its "
				    "directory, where SQLite creates its journal: let this user write "
				    "there", db->path);
	if (((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR ||
	     (rc & 0xff) == SQLITE_READONLY) && companion_problem(db, what, err) < 0)
		return -1;
	if ((rc & 0xff) == SQLITE_FULL && db->conn && ids_used_up(db, what, err) < 0)
		return -1;
	/* A write at the file size limit: SQLITE_FULL for a short write,
	 * SQLITE_IOERR_WRITE for EFBIG; SIGXFSZ told (sc_catch_file_size_limit) */
	if (((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL) && sc_file_size_limit_met())
		/* as a full disk, the transaction is rolled back */
		return sc_error_set(err, SC_IOERR, "cannot write to '%s': the file size limit "
				    "(ulimit -f) is reached: nothing of this transaction was written; "
				    "raise the limit and run again", db->path);
	const char *tmp;
	if ((rc & 0xff) == SQLITE_FULL && (tmp = full_temp_dir(db)))
		return sc_error_set(err, status, "%s on '%s': SQLite's temporary directory '%s' is "
				    "full (large sorts spill there): free some space there, or set "
				    "TMPDIR to a directory with room, and run again", what, db->path, tmp);
	if ((rc & 0xff) == SQLITE_FULL)
		/* whatever was being done (reading rows back from a write
		 * included): a write failed, the transaction is rolled back */
		return sc_error_set(err, status, "cannot write to '%s': the disk is full: "
				    "nothing of this transaction was written; free some space and "
				    "run again", db->path);
	if (status == SC_TEMPFAIL)
		return sc_error_set(err, status,
			"'%s' stayed locked by another process (%s): try again later", db->path, what);
	/* A table or column missing (or there already) although
	 * sessctl_migrations records its version: the schema, not sessctl,
	 * is wrong (78, not an internal error). */
	if ((rc & 0xff) == SQLITE_ERROR && db->conn && schema_mismatch(sqlite3_errmsg(db->conn)))
		return sc_error_set(err, SC_CONFIG, "%s on '%s': %s: the schema does not match the "
				    "version sessctl_migrations records", what, db->path,
				    sqlite3_errmsg(db->conn));
	return sc_error_set(err, status, "%s on '%s': %s", what, db->path,
			    db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
}
