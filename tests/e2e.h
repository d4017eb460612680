/* The end-to-end harness: runs the built sessctl ($SESSCTL_BIN) on a fresh
 * database per test and captures what it prints.
 *
 * One set of test cases serves every backend. Each test has a temporary
 * directory of its own (under $SESSCTL_TEST_TMPDIR, else /tmp), its
 * working directory, and a fresh database made by the driver that
 * SESSCTL_TEST_BACKEND names (tests/e2e-driver.h): sqlite (the default)
 * gives it an SQLite file path there; postgres gives it a new database on
 * the server whose socket directory is $SESSCTL_TEST_PGHOST
 * (tests/pg-server.sh), dropped after the test, and with
 * $SESSCTL_TEST_PGBOUNCER (tests/pgbouncer.sh) sessctl reaches it through
 * that PgBouncer in transaction mode while the harness's own fixtures and
 * checks go straight to the server. Suites hook the harness in with
 * TestSuite(name, .init = e2e_setup, .fini = e2e_teardown).
 *
 * Every sessctl run gets a clean environment: no SESSCTL_*, PG* or rule
 * variables from the caller, a time zone far from UTC (times must not
 * depend on it), and, when $SESSCTL_TEST_SANLOG names a directory,
 * sanitizer options that log there; a run that leaves a sanitizer report
 * fails its test.
 */
#ifndef SESSCTL_TESTS_E2E_H
#define SESSCTL_TESTS_E2E_H

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* What one sessctl run did. Freed by the harness at teardown. */
struct run {
	int status;     /* exit status; 128 + N when killed by signal N */
	char *out;      /* standard output, NUL-terminated */
	size_t out_len;
	char *err;      /* standard error, NUL-terminated */
	size_t err_len;
	char *what;     /* the command line, for messages */
};

/* How to run it. */
struct call {
	const char *db;         /* --db value; NULL: the test's database */
	bool no_db;             /* give no --db at all */
	const char *in;         /* standard input; NULL: /dev/null */
	const char *const *env; /* extra NAME=VALUE, NULL-terminated */
	const char *cwd;        /* NULL: the test's temporary directory */
	const char *out_to;     /* a file to write standard output to instead
				 * of capturing it (e.g. /dev/full) */
	bool out_read_only;     /* open out_to for reading only (a FIFO's
				 * read end as standard output) */
	bool err_to_out;        /* standard error to standard output (2>&1) */
	bool close_out;         /* start it with standard output closed */
	bool close_err;         /* ... with standard error closed */
	const char *user;       /* run as this user (the harness runs as root):
				 * a copy of the binary and its modules where
				 * that user may run them */
};

/* A database the harness made: the test's own, or another one. */
struct e2e_driver;
struct e2e_db {
	const struct e2e_driver *driver; /* its backend (tests/e2e-driver.h) */
	char *url;  /* what --db gets */
	char *path; /* SQLite: the file; PostgreSQL: the database name */
};

void e2e_setup(void);
void e2e_teardown(void);

const char *e2e_backend(void);        /* the run's backend: "sqlite", "postgres" */
bool e2e_pg(void);                    /* the PostgreSQL run (direct or pooled)? */
/* PostgreSQL run through PgBouncer (SESSCTL_TEST_PGBOUNCER)? */
bool e2e_pgbouncer(void);
const struct e2e_db *e2e_db(void);    /* the test's database */
const char *e2e_url(void);            /* its --db value */
const char *e2e_dir(void);            /* the test's temporary directory */
/* PostgreSQL run: the socket directory sessctl connects to (the
 * server's, or the pooler's in the pooled run) */
const char *e2e_pghost(void);
/* A path in the test's directory (owned by the harness). */
const char *e2e_path(const char *name);
/* Another fresh database of the run's backend, removed at teardown. */
const struct e2e_db *e2e_new_db(void);
/* An SQLite database file named name in the test's directory (not
 * created yet), whatever the backend of the run. */
const struct e2e_db *e2e_sqlite_db(const char *name);

/* PostgreSQL run: creates a login role with that password (dropped at
 * teardown) and returns its name, unique to the test. */
const char *e2e_pg_role(const char *password);
/* PostgreSQL run: runs sql as the superuser on the test's database. */
void e2e_pg_admin(const char *sql);

/* Runs sessctl with argv (NULL-terminated, without the program name) and
 * waits for it. */
struct run *e2e_run(const struct call *c, const char *const *argv);
/* Starts sessctl without waiting; e2e_wait collects it. */
struct e2e_proc *e2e_start(const struct call *c, const char *const *argv);
struct run *e2e_wait(struct e2e_proc *p);
/* Sends signal sig to a started sessctl: kill(2)'s result. */
int e2e_signal(const struct e2e_proc *p, int sig);
/* Whether a started sessctl is still running (it is not collected). */
bool e2e_running(const struct e2e_proc *p);
/* Waits until a started sessctl has written has (NULL: anything) to its
 * stderr (err) or stdout: true once it has, false when it exited without
 * or after 20 s. For a signal that must come at a known point, where a
 * fixed sleep would race a slow (sanitized) start. It reads the
 * harness's own files: not for a run with out_to or err_to_out. */
bool e2e_wait_output(const struct e2e_proc *p, bool err, const char *has);
/* A monotonic clock in milliseconds, to bound how long something took. */
double e2e_ms(void);

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define RUN(...) e2e_run(&(struct call){ .db = NULL }, ARGV(__VA_ARGS__))
#define RUN_DB(url, ...) e2e_run(&(struct call){ .db = (url) }, ARGV(__VA_ARGS__))
#define RUN_NODB(...) e2e_run(&(struct call){ .no_db = true }, ARGV(__VA_ARGS__))

/* Fixtures: SQL that both dialects run the same (TRUE/FALSE for booleans,
 * 'YYYY-MM-DD HH:MM:SS' for UTC times). On PostgreSQL the connection has
 * TimeZone=UTC. Each fails the test on error. */
void db_exec(const char *sql);
long long db_int(const char *sql);
void db_exec_in(const struct e2e_db *db, const char *sql);
long long db_int_in(const struct e2e_db *db, const char *sql);
bool db_table_exists_in(const struct e2e_db *db, const char *table);
bool db_table_exists(const char *table);

/* sessctl migrate on db (NULL: the test's), asserted to succeed. */
void db_migrate(const struct e2e_db *db);

/* The standard fixture (FX_STANDARD_SQL after migrate):
 *   users 1 alice (admin), 2 bob, 3 carol (no sessions), 4 and 5 both
 *   named "dupname";
 *   alice: 10 web 203.0.113.5 and 11 mobile 2001:db8::1, both last active
 *   2025-02-08 10:30:00 (a tie); 12 web 10.1.2.3 idle since 2025-01-01;
 *   13 closed web 10.9.9.9; 14 active with every nullable column NULL;
 *   bob: 20 mobile ::ffff:192.0.2.7, 21 closed with a device name full of
 *   quotes, commas and non-ASCII text and a NULL browser and address. */
extern const char FX_STANDARD_SQL[];
void fx_standard(void);
void fx_standard_in(const struct e2e_db *db);

/* The enforce fixtures' users, on a migrated db: 1 alice (admin), 2 bob,
 * 3 to 10 u3 ... u10 (role user), without sessions. */
void fx_ten_users_in(const struct e2e_db *db);

/* ---- reading the database back (fixtures and checks) ---- */

/* The rows of sql on db (db_rows: the test's), one line each, fields
 * joined with '|', NULL as "NULL". Freed by the caller. */
char *db_rows_in(const struct e2e_db *db, const char *sql);
char *db_rows(const char *sql);

/* Everything a write command could change: every session and audit row,
 * as db_rows prints them. Freed by the caller. */
char *db_dump_in(const struct e2e_db *db);
char *db_dump(void);

/* PostgreSQL: moves the sessions id sequence past ids a fixture inserted
 * explicitly (a no-op on SQLite). */
void db_fix_sequence_in(const struct e2e_db *db);

#define EXPECT_ROWS(sql, want)                                                        \
	do {                                                                          \
		char *got_ = db_rows(sql);                                            \
		cr_expect_str_eq(got_, (want), "%s:\n%s\nexpected:\n%s", (sql), got_, (want)); \
		free(got_);                                                           \
	} while (0)

/* The database is as the dump before was. */
#define EXPECT_UNCHANGED(before)                                                       \
	do {                                                                           \
		char *after_ = db_dump();                                              \
		cr_expect_str_eq(after_, (before), "the database changed:\n%s\nbefore:\n%s", \
				 after_, (before));                                    \
		free(after_);                                                          \
	} while (0)

/* ---- assertions (macros, so failures point at the test's line) ---- */

/* Exit 0 and nothing on standard error. */
#define EXPECT_OK(r)                                                                    \
	do {                                                                            \
		const struct run *r_ = (r);                                             \
		cr_expect_eq(r_->status, 0, "%s: exit status %d, expected 0; stderr: %s", \
			     r_->what, r_->status, r_->err);                            \
		cr_expect_eq(r_->err_len, 0, "%s: unexpected stderr: %s", r_->what, r_->err); \
	} while (0)

/* Exit status st and exactly one lowercase line "sessctl: ..." on
 * standard error. */
#define EXPECT_FAIL(r, st)                                                              \
	do {                                                                            \
		const struct run *r_ = (r);                                             \
		cr_expect_eq(r_->status, (st), "%s: exit status %d, expected %d; stderr: %s", \
			     r_->what, r_->status, (st), r_->err);                      \
		cr_expect(e2e_one_error_line(r_->err),                                 \
			  "%s: stderr is not one line 'sessctl: <lowercase message>': [%s]", \
			  r_->what, r_->err);                                           \
	} while (0)

/* Standard output is exactly want. */
#define EXPECT_OUT(r, want)                                                             \
	do {                                                                            \
		const struct run *r_ = (r);                                             \
		const char *w_ = (want);                                                \
		cr_expect_str_eq(r_->out, w_, "%s: stdout:\n%s\nexpected:\n%s", r_->what, \
				 r_->out, w_);                                          \
	} while (0)

#define EXPECT_OUT_HAS(r, needle)                                                       \
	do {                                                                            \
		const struct run *r_ = (r);                                             \
		cr_expect_not_null(strstr(r_->out, (needle)), "%s: stdout lacks '%s':\n%s", \
				   r_->what, (needle), r_->out);                        \
	} while (0)

#define EXPECT_ERR_HAS(r, needle)                                                       \
	do {                                                                            \
		const struct run *r_ = (r);                                             \
		cr_expect_not_null(strstr(r_->err, (needle)), "%s: stderr lacks '%s': %s", \
				   r_->what, (needle), r_->err);                        \
	} while (0)

#define EXPECT_NO_OUT(r)                                                                \
	do {                                                                            \
		const struct run *r_ = (r);                                             \
		cr_expect_eq(r_->out_len, 0, "%s: unexpected stdout:\n%s", r_->what, r_->out); \
	} while (0)

/* True when s is exactly one line "sessctl: m\n" with m non-empty and
 * not starting with a capitalised word. */
bool e2e_one_error_line(const char *s);

/* Reads a whole file (NULL when missing); *len gets its size. */
char *e2e_read_file(const char *path, size_t *len);
bool e2e_exists(const char *path);
/* Writes data to path, replacing it. */
void e2e_write_file(const char *path, const char *data, size_t len);

#endif
