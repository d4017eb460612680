/* Output that goes away: a reader that closed the pipe ends any command
 * quietly with status 0, whatever it was printing (a bare count, help, a
 * dry run reporting as it goes); any other write error (a full disk, a
 * standard output closed before the start) is status 74 with one line
 * saying so, never "out of memory", and nothing meant for a closed
 * standard output or error goes anywhere else (the server's socket). */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(closed_pipe, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

struct piped {
	int status;  /* exit status; 128 + N when killed by signal N */
	char *err;   /* standard error */
	char what[256];
};

/* Runs sessctl (with --db unless no_db) with standard output into a pipe
 * whose reading end is already closed, so that every write fails with
 * EPIPE (or, should sessctl not ignore it, SIGPIPE kills it). */
static struct piped into_closed_pipe(bool no_db, const char *const *argv)
{
	struct piped p = { 0 };
	const char *args[96];
	size_t n = 0;
	char err_path[512];
	int fd[2], ws;
	pid_t pid;

	args[n++] = "sessctl";
	if (!no_db) {
		args[n++] = "--db";
		args[n++] = e2e_url();
	}
	for (size_t i = 0; argv[i]; i++) {
		cr_assert_lt(n, sizeof(args) / sizeof(args[0]) - 1, "too many arguments");
		args[n++] = argv[i];
	}
	args[n] = NULL;
	for (size_t i = no_db ? 1 : 3, len = 0; args[i] && len < sizeof(p.what) - 1; i++)
		len += (size_t)snprintf(p.what + len, sizeof(p.what) - len, "%s%s", len ? " " : "", args[i]);
	snprintf(err_path, sizeof(err_path), "%s/closed-pipe.err", e2e_dir());
	cr_assert_eq(pipe(fd), 0);
	close(fd[0]);
	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);
		if (err < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd[1], 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		close(fd[1]);
		if (chdir(e2e_dir()) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		unsetenv("SESSCTL_DB");
		unsetenv("SESSCTL_NOW");
		const char *san = getenv("SESSCTL_TEST_SANLOG");
		if (san && *san) {
			char opt[512];
			snprintf(opt, sizeof(opt), "log_path=%s/sessctl:detect_leaks=1", san);
			setenv("ASAN_OPTIONS", opt, 1);
			snprintf(opt, sizeof(opt), "log_path=%s/sessctl:print_stacktrace=1", san);
			setenv("UBSAN_OPTIONS", opt, 1);
		}
		execv(getenv("SESSCTL_BIN"), (char *const *)(uintptr_t)args);
		_exit(127);
	}
	close(fd[1]);
	while (waitpid(pid, &ws, 0) < 0)
		cr_assert_eq(errno, EINTR);
	p.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	cr_assert(p.status != 126 && p.status != 127, "%s: the harness could not run sessctl", p.what);
	p.err = e2e_read_file(err_path, NULL);
	cr_assert_not_null(p.err);
	const char *san = getenv("SESSCTL_TEST_SANLOG");
	if (san && *san) {
		char san_path[512];
		snprintf(san_path, sizeof(san_path), "%s/sessctl.%ld", san, (long)pid);
		cr_expect_not(e2e_exists(san_path), "%s: sanitizer report in %s", p.what, san_path);
	}
	return p;
}

#define EXPECT_QUIET(p)                                                                     \
	do {                                                                                \
		struct piped p_ = (p);                                                      \
		cr_expect_eq(p_.status, 0, "%s into a closed pipe: exit status %d; stderr: %s", \
			     p_.what, p_.status, p_.err);                                   \
		cr_expect_str_empty(p_.err, "%s into a closed pipe: stderr: %s", p_.what, p_.err); \
		free(p_.err);                                                               \
	} while (0)

Test(closed_pipe, count_of_a_user_and_help_end_quietly)
{
	fx_standard();
	EXPECT_QUIET(into_closed_pipe(false, ARGV("count", "alice")));
	EXPECT_QUIET(into_closed_pipe(false, ARGV("count", "1")));
	EXPECT_QUIET(into_closed_pipe(false, ARGV("count")));
	EXPECT_QUIET(into_closed_pipe(true, ARGV("help")));
	EXPECT_QUIET(into_closed_pipe(true, ARGV("--help")));
	/* Longer than stdio's buffer: the write fails while printing, and
	 * only the stream's error flag is left at the end (it was 74,
	 * "input/output error"). Should it shrink, take a longer one. */
	struct run *h = e2e_run(&(struct call){ .no_db = true }, ARGV("help", "enforce"));
	cr_assert_gt(strlen(h->out), (size_t)4096, "help enforce fits stdio's buffer for a pipe (4096) now");
	EXPECT_QUIET(into_closed_pipe(true, ARGV("help", "enforce")));
	EXPECT_QUIET(into_closed_pipe(false, ARGV("list-user", "--help")));

	/* A full disk is an error all the same: 74 and one line. */
	const char *const *full[] = { ARGV("count", "alice"), ARGV("help"), ARGV("list-user", "--help") };
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .out_to = "/dev/full" }, full[i]);
		EXPECT_FAIL(r, 74);
		EXPECT_ERR_HAS(r, "cannot write output");
		cr_expect_null(strstr(r->err, "stays changed"), "%s: %s", r->what, r->err);
	}
}

/* A change made, its report not written (a full disk): the line said
 * only "cannot write output", and a second run of logout --latest or of
 * a bulk logout looked like the way to make sure. It says the change
 * stands now; a dry run or a read says nothing of the kind. */
Test(closed_pipe, an_output_error_after_a_change_says_the_change_stands)
{
	fx_standard();
	const char *const *changes[] = {
		ARGV("logout", "--user", "alice", "--latest", "--actor", "ops"),
		ARGV("logout", "--where", "--user", "bob", "--yes", "--actor", "ops"),
		ARGV("create", "--user", "alice", "--fingerprint", "fp-new", "--actor", "ops"),
		ARGV("enforce", "--max-sessions", "1", "--actor", "ops"),
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		int64_t audit = db_int("SELECT count(*) FROM sessctl_audit");
		struct run *r = e2e_run(&(struct call){ .out_to = "/dev/full" }, changes[i]);
		EXPECT_FAIL(r, 74);
		EXPECT_ERR_HAS(r, "cannot write output: no space left on device: what it changed stays "
				  "changed, only the report is lost ('sessctl history' shows it)\n");
		cr_expect_gt(db_int("SELECT count(*) FROM sessctl_audit"), audit, "%s: no change", r->what);
	}
	/* Nothing changed: a dry run, enforce with nothing left to do, a
	 * session already closed, a bulk logout that matches nothing. */
	const char *const *none[] = {
		ARGV("logout-all", "alice", "--dry-run", "--actor", "ops"),
		ARGV("enforce", "--max-sessions", "1", "--actor", "ops"),
		ARGV("logout", "21", "--actor", "ops"),
		ARGV("logout", "--where", "--user", "bob", "--yes", "--actor", "ops"),
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		int64_t audit = db_int("SELECT count(*) FROM sessctl_audit");
		struct run *r = e2e_run(&(struct call){ .out_to = "/dev/full" }, none[i]);
		EXPECT_FAIL(r, 74);
		cr_expect_null(strstr(r->err, "stays changed"), "%s: %s", r->what, r->err);
		cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), audit, "%s changed", r->what);
	}
}

/* Alice's closed sessions 100 to 149, each with a long device name (as
 * long as varchar(255) allows), so that the report of a dry run fills the
 * output buffer several times over. */
#define MANY 50

static void many_closed_sessions(void)
{
	char name[241], *sql = malloc(MANY * 512 + 256);
	size_t n = 0;

	cr_assert_not_null(sql);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	n += (size_t)sprintf(sql, "INSERT INTO sessions (id, user_id, device_fingerprint, device_name, "
			    "created_at, last_activity, is_active) VALUES ");
	for (int i = 0; i < MANY; i++)
		n += (size_t)sprintf(sql + n, "%s(%d, 1, 'many%d', '%d %s', '2025-01-01 00:00:00', "
				     "'2025-01-02 00:00:00', FALSE)", i ? ", " : "", 100 + i, i, i, name);
	fx_standard();
	db_exec(sql);
	free(sql);
	db_fix_sequence_in(e2e_db());
}

/* "logout --dry-run -q -o ndjson 100 101 ... 149" */
static const char *const *logout_many(void)
{
	static char ids[MANY][16];
	static const char *argv[MANY + 8];
	size_t n = 0;

	argv[n++] = "logout";
	argv[n++] = "--dry-run";
	argv[n++] = "-q";
	argv[n++] = "-o";
	argv[n++] = "ndjson";
	for (int i = 0; i < MANY; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%d", 100 + i);
		argv[n++] = ids[i];
	}
	argv[n] = NULL;
	return argv;
}

Test(closed_pipe, a_dry_run_reporting_as_it_goes_ends_quietly_and_is_no_out_of_memory_on_a_full_disk)
{
	many_closed_sessions();
	char *before = db_dump();

	/* the report itself, for scale: one line for each session */
	struct run *all = e2e_run(&(struct call){ 0 }, logout_many());
	EXPECT_OK(all);
	size_t lines = 0;
	for (const char *p = all->out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, MANY, "%s printed %zu lines", all->what, lines);
	cr_expect_gt(all->out_len, 4 * 4096, "%s printed only %zu bytes", all->what, all->out_len);

	EXPECT_QUIET(into_closed_pipe(false, logout_many()));
	struct run *full = e2e_run(&(struct call){ .out_to = "/dev/full" }, logout_many());
	EXPECT_FAIL(full, 74);
	EXPECT_ERR_HAS(full, "cannot write output");
	cr_expect_null(strstr(full->err, "out of memory"), "%s: %s", full->what, full->err);
	EXPECT_UNCHANGED(before);
	free(before);
}

/* A descriptor closed before the start (`>&-`, `2>&-`) is the next one a
 * socket takes: on PostgreSQL the output and the -v lines went into the
 * protocol stream (a count "succeeded" with its output sent to the
 * server; -v with stderr closed broke every connection it made and
 * reconnected for ever). Now a closed stdout fails the write (74) and a
 * closed stderr only loses what would have gone there. */
Test(closed_pipe, closed_standard_descriptors_are_not_reused_for_the_database)
{
	fx_standard();
	const char *const *outs[] = {
		ARGV("count"),
		ARGV("find", "--all", "-o", "csv"),
		ARGV("list-user", "alice", "-o", "json"),
		ARGV("enforce", "--now", "2025-03-01 00:00:00", "--actor", "ops", "-o", "json"),
	};
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .close_out = true }, outs[i]);
		EXPECT_FAIL(r, 74);
		EXPECT_ERR_HAS(r, "cannot write output");
	}
	/* the enforce above did its work: only its summary was lost */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 12 AND NOT is_active"), 1);

	db_exec("UPDATE sessions SET is_active = TRUE WHERE id = 12");
	struct run *v = e2e_run(&(struct call){ .close_err = true },
				ARGV("-v", "enforce", "--full-pass", "--now", "2025-03-01 00:00:00", "--actor", "ops", "-o", "csv",
				     "--no-header", "--columns", "expired"));
	EXPECT_OK(v);
	EXPECT_OUT(v, "1\r\n");
	struct run *c = e2e_run(&(struct call){ .close_err = true }, ARGV("-v", "count", "alice", "-o", "csv",
									  "--no-header", "--columns", "active_sessions"));
	EXPECT_OK(c);
	EXPECT_OUT(c, "3\n");
}

/* Reads fd to its end (blocking); the number of lines. */
static long count_lines(int fd)
{
	char buf[65536];
	long lines = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	return lines;
}

/* A new FIFO of the test's (*path), open for reading: its reader. */
static int open_fifo(const char *name, const char **path)
{
	*path = e2e_path(name);
	cr_assert_eq(mkfifo(*path, 0600), 0, "mkfifo: %s", strerror(errno));
	int rd = open(*path, O_RDONLY | O_NONBLOCK);
	cr_assert_geq(rd, 0, "%s", strerror(errno));
	return rd;
}

/* A listing into a pipe whose reader does not read (a pager waiting for a
 * key, `| less` left open): each write blocked once the pipe was full,
 * with the listing's transaction open, and on SQLite with a rollback
 * journal the application could commit nothing meanwhile (its writes
 * failed with "database is locked"); on PostgreSQL the connection sat
 * idle in its transaction. What the pipe cannot take now waits in a
 * temporary file: the transaction ends, the database is closed, the
 * application's writes go through, and every row comes out once the
 * reader reads. */
static void listing_into_an_unread_pipe(const char *user)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin')");
	db_exec(e2e_pg()
		? "INSERT INTO sessions (user_id, device_fingerprint, device_name, created_at, last_activity)"
		  " SELECT 1, 'fp' || i, repeat('d', 80), '2025-01-01', '2025-01-02'"
		  " FROM generate_series(1, 5000) AS i"
		: "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 5000)"
		  " INSERT INTO sessions (user_id, device_fingerprint, device_name, created_at, last_activity)"
		  " SELECT 1, 'fp' || i, printf('%.80c', 'd'), '2025-01-01 00:00:00', '2025-01-02 00:00:00'"
		  " FROM g");
	const char *fifo;
	int rd = open_fifo("out.fifo", &fifo);

	if (!e2e_pg())
		cr_assert_eq(chmod(e2e_db()->path, 0644), 0, "%s", strerror(errno));
	struct e2e_proc *p = e2e_start(&(struct call){ .out_to = fifo, .user = user },
				       ARGV("find", "-o", "csv"));
	/* Until the pipe is full: the listing has begun and can write no
	 * more (sessctl waited there, its transaction open). */
	int queued = 0;
	for (int i = 0; i < 500 && queued < 60000; i++) { /* up to 10 s */
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		cr_assert_eq(ioctl(rd, FIONREAD, &queued), 0, "%s", strerror(errno));
	}
	cr_assert_geq(queued, 60000, "the listing never filled the pipe (%d bytes)", queued);
	/* On PostgreSQL, sessctl's connection ends while the rows wait
	 * (behind PgBouncer the server connection is the pooler's). */
	if (e2e_pg() && !e2e_pgbouncer()) {
		long long left = 1;
		for (int i = 0; i < 250 && left; i++) { /* up to 5 s */
			nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
			left = db_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sessctl'"
				      " AND datname = current_database()"); /* not a parallel test's */
		}
		cr_expect_eq(left, 0, "sessctl's connection stayed open while its reader did not read");
	}
	double t0 = e2e_ms();
	db_exec("UPDATE sessions SET last_activity = last_activity WHERE id = 1"); /* the application */
	double took = e2e_ms() - t0;
	cr_expect_lt(took, 3000.0, "the application's write waited %.0f ms for the listing", took);
	cr_expect(e2e_running(p), "sessctl did not wait for its reader: was the pipe too small a test?");

	cr_expect_eq(count_lines(rd), 5001, "rows lost on the way");
	close(rd);
	struct run *r = e2e_wait(p);
	EXPECT_OK(r);
}

Test(closed_pipe, a_listing_into_a_pipe_nobody_reads_holds_no_transaction_open)
{
	listing_into_an_unread_pipe(NULL);
}

/* Run as another user than the pipe's (sudo -u, runuser), which cannot
 * open the pipe again through /proc: the queue writes to the pipe only
 * what poll() says fits, and the lock is released all the same (it was
 * held as before, silently). */
Test(closed_pipe, a_listing_into_another_users_unread_pipe_holds_no_transaction_open)
{
	listing_into_an_unread_pipe("nobody");
}

/* Standard output a pipe's read end (`1<&0` with a pipe for input) is no
 * output: writes to it fail, 74 with one line. The queue opened the pipe
 * again for writing (through /proc) and the rows went into the pipe,
 * read by nobody, with exit 0. */
Test(closed_pipe, a_pipes_read_end_as_standard_output_is_a_write_error)
{
	fx_standard();
	const char *fifo = e2e_path("ro.fifo");
	cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
	int keep = open(fifo, O_RDWR | O_NONBLOCK); /* a writer: the pipe never ends */
	cr_assert_geq(keep, 0, "%s", strerror(errno));
	struct run *r = e2e_run(&(struct call){ .out_to = fifo, .out_read_only = true },
				ARGV("show", "10"));
	int queued = -1;
	cr_assert_eq(ioctl(keep, FIONREAD, &queued), 0, "%s", strerror(errno));
	close(keep);
	EXPECT_FAIL(r, 74);
	EXPECT_ERR_HAS(r, "cannot write output");
	cr_expect_eq(queued, 0, "%d bytes went into the pipe", queued);
}

/* Reads fd (blocking) to its end into a new string. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 1 << 20;
	char *s = malloc(cap);
	ssize_t n;

	cr_assert_not_null(s);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	for (;;) {
		if (cap - len < 65536) {
			s = realloc(s, cap *= 2);
			cr_assert_not_null(s);
		}
		n = read(fd, s + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	s[len] = '\0';
	return s;
}

/* `2>&1 |`: standard error's lines go through the output's queue, and a
 * warning about a row comes after every row before it, between two whole
 * rows. It came out before the rows still in standard output's buffer,
 * in the middle of a row. */
Test(closed_pipe, a_warning_in_the_same_pipe_comes_in_order_between_whole_rows)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@x', 'alice', 'admin')");
	db_exec(e2e_pg()
		? "INSERT INTO sessions (id, user_id, device_fingerprint, device_name, created_at, last_activity)"
		  " SELECT i, 1, 'fp' || i, 'Device number ' || i, '2025-01-01', '2025-01-02'"
		  " FROM generate_series(1, 3000) AS i;"
		  "UPDATE sessions SET last_activity = 'infinity' WHERE id = 2000"
		: "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000)"
		  " INSERT INTO sessions (id, user_id, device_fingerprint, device_name, created_at, last_activity)"
		  " SELECT i, 1, 'fp' || i, 'Device number ' || i, '2025-01-01 00:00:00', '2025-01-02 00:00:00'"
		  " FROM g;"
		  "UPDATE sessions SET last_activity = 'garbage' WHERE id = 2000");
	const char *fifo;
	int rd = open_fifo("both.fifo", &fifo);
	struct e2e_proc *p = e2e_start(&(struct call){ .out_to = fifo, .err_to_out = true },
				       ARGV("find", "--all", "-o", "csv"));
	/* Until sessctl has opened the pipe (before, a read sees its end). */
	int queued = 0;
	for (int i = 0; i < 500 && queued == 0; i++) { /* up to 10 s */
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		cr_assert_eq(ioctl(rd, FIONREAD, &queued), 0, "%s", strerror(errno));
	}
	cr_assert_gt(queued, 0, "sessctl wrote nothing in 10 s");
	char *all = read_all(rd);
	close(rd);
	struct run *r = e2e_wait(p);
	cr_expect_eq(r->status, 65, "exit %d", r->status); /* a value read as NULL */

	const char *warn = strstr(all, "sessctl: row 2000 of sessions has an unreadable last_activity");
	cr_assert_not_null(warn, "no warning in: %.200s", all);
	cr_expect(warn > all && warn[-1] == '\n', "the warning is not at the start of a line: %.120s",
		  warn - (warn - all > 60 ? 60 : warn - all));
	const char *prev = warn - 1;
	while (prev > all && prev[-1] != '\n')
		prev--;
	cr_expect_eq(strncmp(prev, "1999,1,Device number 1999,", 26), 0,
		     "the line before the warning: %.60s", prev);
	const char *next = strchr(warn, '\n');
	cr_assert_not_null(next);
	cr_expect_eq(strncmp(next + 1, "2000,1,Device number 2000,", 26), 0,
		     "the line after the warning: %.60s", next + 1);
	size_t lines = 0;
	for (const char *s = all; *s; s++)
		lines += *s == '\n';
	cr_expect_eq(lines, 3002, "a header, 3000 rows and the warning: %zu lines", lines);
	free(all);
}
