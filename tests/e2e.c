/* The end-to-end harness: see e2e.h; its drivers: see e2e-driver.h. */
#define _DEFAULT_SOURCE /* setgroups() */
#include "e2e.h"
#include "e2e-driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Every backend the harness can test sessctl against; the first is the
 * default. A new backend adds its line here (and its driver file). */
static const struct e2e_driver *const e2e_drivers[] = {
	&e2e_driver_sqlite,
	&e2e_driver_postgres,
};

/* A time zone far from UTC, with daylight saving time, that needs no
 * tzdata: times printed or compared must not depend on it. */
#define CHILD_TZ "TZ=NZST-12NZDT,M9.5.0,M4.1.0/3"

#define MAX_DBS 16
#define MAX_RUNS 256

static struct {
	const struct e2e_driver *driver; /* the run's backend */
	const char *bin;
	char *user_bin; /* the copy a call with .user runs (user_copy) */
	char dir[256];
	struct e2e_db dbs[MAX_DBS]; /* [0] is the test's own */
	int ndbs;
	struct run *runs[MAX_RUNS];
	int nruns;
	int nfiles;
	char *paths[64];
	int npaths;
} h;

char *e2e_xstrdup(const char *s)
{
	char *r = strdup(s);
	cr_assert_not_null(r, "out of memory");
	return r;
}

char *e2e_xprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	r = malloc((size_t)n + 1);
	cr_assert_not_null(r, "out of memory");
	va_start(ap, fmt);
	vsnprintf(r, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return r;
}

#define xstrdup e2e_xstrdup
#define xprintf e2e_xprintf

void e2e_buf_add(struct e2e_buf *b, const char *text)
{
	size_t l = strlen(text);

	if (b->len + l + 1 > b->cap) {
		while (b->len + l + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->s = realloc(b->s, b->cap);
		cr_assert_not_null(b->s, "out of memory");
	}
	memcpy(b->s + b->len, text, l + 1);
	b->len += l;
}

/* ---- files ---- */

char *e2e_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (len)
		*len = 0;
	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			cr_assert_not_null(buf, "out of memory");
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

bool e2e_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

void e2e_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "cannot write '%s': %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len, "cannot write '%s'", path);
	cr_assert_eq(fclose(f), 0, "cannot write '%s'", path);
}

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = xprintf("%s/%s", path, e->d_name);
			rm_rf(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

const char *e2e_path(const char *name)
{
	cr_assert_lt(h.npaths, 64, "too many paths");
	h.paths[h.npaths] = xprintf("%s/%s", h.dir, name);
	return h.paths[h.npaths++];
}

/* ---- databases ---- */

static const struct e2e_db *new_db(const struct e2e_driver *d, const char *name)
{
	struct e2e_db *db;

	cr_assert_lt(h.ndbs, MAX_DBS, "too many databases");
	db = &h.dbs[h.ndbs++];
	db->driver = d;
	d->create(db, name);
	return db;
}

const struct e2e_db *e2e_new_db(void)
{
	static unsigned counter;
	char name[32];

	snprintf(name, sizeof(name), "extra%u.db", counter++);
	return new_db(h.driver, name);
}

const struct e2e_db *e2e_sqlite_db(const char *name)
{
	return new_db(&e2e_driver_sqlite, name);
}

static const struct e2e_driver *driver_named(const char *name)
{
	for (size_t i = 0; i < sizeof(e2e_drivers) / sizeof(e2e_drivers[0]); i++)
		if (strcmp(e2e_drivers[i]->name, name) == 0)
			return e2e_drivers[i];
	return NULL;
}

void e2e_setup(void)
{
	const char *backend = getenv("SESSCTL_TEST_BACKEND");

	memset(&h, 0, sizeof(h));
	h.bin = getenv("SESSCTL_BIN");
	cr_assert(h.bin && *h.bin, "SESSCTL_BIN must name the sessctl binary to test");
	cr_assert_eq(access(h.bin, X_OK), 0, "SESSCTL_BIN '%s' is not executable", h.bin);
	h.driver = backend && *backend ? driver_named(backend) : e2e_drivers[0];
	if (!h.driver) {
		char names[256] = "";
		for (size_t i = 0; i < sizeof(e2e_drivers) / sizeof(e2e_drivers[0]); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", e2e_drivers[i]->name);
		cr_assert_fail("SESSCTL_TEST_BACKEND must be one of %s, not '%s'", names, backend);
	}
	if (h.driver->init)
		h.driver->init();
	/* under $SESSCTL_TEST_TMPDIR (tests/run.sh removes it whatever
	 * happens, even to a test killed by its timeout), else /tmp */
	const char *tmp = getenv("SESSCTL_TEST_TMPDIR");
	snprintf(h.dir, sizeof(h.dir), "%s/sce2e.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(h.dir), "mkdtemp: %s", strerror(errno));
	new_db(h.driver, "test.db");
}

void e2e_teardown(void)
{
	for (int i = 0; i < h.ndbs; i++) {
		if (h.dbs[i].driver && h.dbs[i].driver->drop)
			h.dbs[i].driver->drop(&h.dbs[i]);
		free(h.dbs[i].url);
		free(h.dbs[i].path);
	}
	for (size_t i = 0; i < sizeof(e2e_drivers) / sizeof(e2e_drivers[0]); i++)
		if (e2e_drivers[i]->fini)
			e2e_drivers[i]->fini();
	for (int i = 0; i < h.nruns; i++) {
		free(h.runs[i]->out);
		free(h.runs[i]->err);
		free(h.runs[i]->what);
		free(h.runs[i]);
	}
	for (int i = 0; i < h.npaths; i++)
		free(h.paths[i]);
	free(h.user_bin);
	if (h.dir[0])
		rm_rf(h.dir);
	memset(&h, 0, sizeof(h));
}

const char *e2e_backend(void) { return h.driver ? h.driver->name : NULL; }
bool e2e_pg(void) { return h.driver == &e2e_driver_postgres; }
const struct e2e_db *e2e_db(void) { return &h.dbs[0]; }
const char *e2e_url(void) { return h.dbs[0].url; }
const char *e2e_dir(void) { return h.dir; }

void db_exec_in(const struct e2e_db *db, const char *sql)
{
	db->driver->exec(db, sql, NULL);
}

long long db_int_in(const struct e2e_db *db, const char *sql)
{
	long long v = 0;
	db->driver->exec(db, sql, &v);
	return v;
}

void db_exec(const char *sql) { db_exec_in(e2e_db(), sql); }
long long db_int(const char *sql) { return db_int_in(e2e_db(), sql); }

bool db_table_exists_in(const struct e2e_db *db, const char *table)
{
	return db->driver->has_table(db, table);
}

bool db_table_exists(const char *table) { return db_table_exists_in(e2e_db(), table); }

void db_migrate(const struct e2e_db *db)
{
	struct run *r = e2e_run(&(struct call){ .db = db ? db->url : NULL }, ARGV("migrate"));
	cr_assert_eq(r->status, 0, "%s: exit status %d: %s", r->what, r->status, r->err);
}

const char FX_STANDARD_SQL[] =
	"INSERT INTO users (id, email, username, role) VALUES\n"
	" (1, 'alice@example.com', 'alice', 'admin'),\n"
	" (2, 'bob@example.com', 'bob', 'user'),\n"
	" (3, 'carol@example.com', 'carol', 'user'),\n"
	" (4, 'dup1@example.com', 'dupname', 'user'),\n"
	" (5, 'dup2@example.com', 'dupname', 'user');\n"
	"INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,\n"
	"                      ip_address, created_at, last_activity, is_active) VALUES\n"
	" (10, 1, 'fp-a1', 'Chrome on Windows 10', 'web', 'Chrome', '203.0.113.5',\n"
	"  '2025-02-01 09:00:00', '2025-02-08 10:30:00', TRUE),\n"
	" (11, 1, 'fp-a2', 'Safari on iPhone', 'mobile', 'Safari', '2001:db8::1',\n"
	"  '2025-02-02 09:00:00', '2025-02-08 10:30:00', TRUE),\n"
	" (12, 1, 'fp-a3', 'Firefox on Linux', 'web', 'Firefox', '10.1.2.3',\n"
	"  '2024-12-01 08:00:00', '2025-01-01 00:00:00', TRUE),\n"
	" (13, 1, 'fp-a4', 'Edge on Windows 11', 'web', 'Edge', '10.9.9.9',\n"
	"  '2025-01-15 12:00:00', '2025-02-07 08:00:00', FALSE),\n"
	" (14, 1, 'fp-a5', NULL, NULL, NULL, NULL, NULL, NULL, TRUE),\n"
	" (20, 2, 'fp-b1', 'Pixel 8', 'mobile', 'Chrome Mobile', '::ffff:192.0.2.7',\n"
	"  '2025-02-03 07:15:00', '2025-02-08 09:45:30', TRUE),\n"
	" (21, 2, 'fp-b2', 'Caf\xc3\xa9 \"\xc3\x9cn\xc3\xaf" "code\", \xe6\x9d\xb1\xe4\xba\xac', 'web', NULL, NULL,\n"
	"  '2025-01-10 10:00:00', '2025-01-20 18:00:00', FALSE);\n";

void fx_standard_in(const struct e2e_db *db)
{
	db_migrate(db);
	db_exec_in(db, FX_STANDARD_SQL);
}

void fx_standard(void) { fx_standard_in(e2e_db()); }

void fx_ten_users_in(const struct e2e_db *db)
{
	db_migrate(db);
	db_exec_in(db, "INSERT INTO users (id, email, username, role) VALUES "
		       "(1, 'alice@example.com', 'alice', 'admin'), (2, 'bob@example.com', 'bob', 'user'), "
		       "(3, 'u3@example.com', 'u3', 'user'), (4, 'u4@example.com', 'u4', 'user'), "
		       "(5, 'u5@example.com', 'u5', 'user'), (6, 'u6@example.com', 'u6', 'user'), "
		       "(7, 'u7@example.com', 'u7', 'user'), (8, 'u8@example.com', 'u8', 'user'), "
		       "(9, 'u9@example.com', 'u9', 'user'), (10, 'u10@example.com', 'u10', 'user')");
}

/* ---- running sessctl ---- */

struct e2e_proc {
	pid_t pid;
	char *out_path, *err_path;
	char *what;
};

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Variables of the caller that would change what sessctl does. */
static bool inherited(const char *var, const char *const *extra)
{
	static const char *const drop[] = {
		"SESSCTL_", "PG", "MAX_SESSIONS_PER_USER=", "SESSION_TIMEOUT_HOURS=", "TZ=",
		"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=", "NO_COLOR=", "COLUMNS=",
		"SUDO_USER=", "SUDO_UID=", "PKEXEC_UID=", "PAGER=", "LESS=",
	};
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (has_prefix(var, drop[i]))
			return false;
	for (; extra && *extra; extra++) {
		size_t n = strcspn(*extra, "=");
		if (strncmp(var, *extra, n) == 0 && var[n] == '=')
			return false;
	}
	return true;
}

static char **child_env(const struct call *c)
{
	size_t n = 0, i = 0;
	const char *san = getenv("SESSCTL_TEST_SANLOG");
	char **env;

	for (char **e = environ; *e; e++)
		n++;
	for (const char *const *e = c->env; e && *e; e++)
		n++;
	env = calloc(n + 8, sizeof(*env));
	cr_assert_not_null(env);
	for (char **e = environ; *e; e++)
		if (inherited(*e, c->env))
			env[i++] = xstrdup(*e);
	env[i++] = xstrdup(CHILD_TZ);
	/* A test on a pseudo-terminal reads sessctl, not a pager. */
	env[i++] = xstrdup("PAGER=cat");
	if (san && *san) {
		env[i++] = xprintf("ASAN_OPTIONS=log_path=%s/sessctl:detect_leaks=1", san);
		env[i++] = xprintf("UBSAN_OPTIONS=log_path=%s/sessctl:print_stacktrace=1", san);
	}
	for (const char *const *e = c->env; e && *e; e++)
		env[i++] = xstrdup(*e);
	env[i] = NULL;
	return env;
}

static char *describe(const struct call *c, const char *const *argv)
{
	size_t cap = 256, n = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	s[0] = '\0';
	for (const char *const *e = c->env; e && *e; e++) {
		size_t need = n + strlen(*e) + 4;
		if (need > cap)
			s = realloc(s, cap = need * 2);
		n += (size_t)sprintf(s + n, "%s ", *e);
	}
	for (size_t i = 0; argv[i]; i++) {
		size_t need = n + strlen(argv[i]) + 8;
		if (need > cap)
			s = realloc(s, cap = need * 2);
		cr_assert_not_null(s);
		bool quote = !*argv[i] || strpbrk(argv[i], " '\"\t\n;&|<>*?$") != NULL;
		n += (size_t)sprintf(s + n, quote ? "%s'%s'" : "%s%s", i ? " " : "", argv[i]);
	}
	return s;
}

/* Copies the file at from into dir, executable (0755). */
static void copy_into(const char *from, const char *dir)
{
	const char *base = strrchr(from, '/');
	char *to = xprintf("%s/%s", dir, base ? base + 1 : from);
	size_t len;
	char *data = e2e_read_file(from, &len);

	cr_assert_not_null(data, "cannot read '%s'", from);
	e2e_write_file(to, data, len);
	cr_assert_eq(chmod(to, 0755), 0, "chmod %s: %s", to, strerror(errno));
	free(data);
	free(to);
}

/* A copy of the binary and the modules beside it, in a directory of the
 * test's that any user may enter and run from (the test's directory is
 * opened to others for it: 0711, its files stay as they are). */
static const char *user_copy(void)
{
	const char *slash = strrchr(h.bin, '/');
	char *pattern;
	glob_t g;

	if (h.user_bin)
		return h.user_bin;
	/* every directory above must let others pass */
	char *up = xstrdup(h.dir), *cut;
	while ((cut = strrchr(up, '/')) && cut != up) {
		struct stat st;
		*cut = '\0';
		cr_assert(stat(up, &st) == 0 && (st.st_mode & S_IXOTH),
			  "'%s' must let other users pass (chmod o+x) for a test that runs sessctl as "
			  "another user; tests/run.sh makes its directory so", up);
	}
	free(up);
	char *bin_dir = xprintf("%s/bin", h.dir);
	cr_assert_eq(chmod(h.dir, 0711), 0, "chmod %s: %s", h.dir, strerror(errno));
	cr_assert_eq(mkdir(bin_dir, 0755), 0, "mkdir %s: %s", bin_dir, strerror(errno));
	copy_into(h.bin, bin_dir);
	pattern = slash ? xprintf("%.*s/sessctl-*.so", (int)(slash - h.bin), h.bin)
			: xstrdup("sessctl-*.so");
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			copy_into(g.gl_pathv[i], bin_dir);
		globfree(&g);
	}
	free(pattern);
	h.user_bin = xprintf("%s/%s", bin_dir, slash ? slash + 1 : h.bin);
	free(bin_dir);
	return h.user_bin;
}

struct e2e_proc *e2e_start(const struct call *c, const char *const *argv)
{
	static unsigned seq;
	char *args[64];
	size_t n = 0;
	struct e2e_proc *p = calloc(1, sizeof(*p));
	char *in_path = NULL;
	char **env;

	cr_assert_not_null(p);
	args[n++] = xstrdup("sessctl");
	if (!c->no_db) {
		args[n++] = xstrdup("--db");
		args[n++] = xstrdup(c->db ? c->db : e2e_url());
	}
	for (size_t i = 0; argv[i]; i++) {
		cr_assert_lt(n, 62, "too many arguments");
		args[n++] = xstrdup(argv[i]);
	}
	args[n] = NULL;
	p->what = describe(c, (const char *const *)args);
	p->out_path = xprintf("%s/.run%u.out", h.dir, seq);
	p->err_path = xprintf("%s/.run%u.err", h.dir, seq);
	if (c->in) {
		in_path = xprintf("%s/.run%u.in", h.dir, seq);
		e2e_write_file(in_path, c->in, strlen(c->in));
	}
	seq++;
	env = child_env(c);
	const char *bin = h.bin;
	struct passwd *pw = NULL;
	if (c->user) {
		cr_assert_eq(geteuid(), 0, "running as '%s' needs root", c->user);
		pw = getpwnam(c->user);
		cr_assert_not_null(pw, "no user '%s'", c->user);
		bin = user_copy();
	}
	fflush(NULL);
	p->pid = fork();
	cr_assert_neq(p->pid, -1, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		sigset_t none;
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int out = c->out_to ? open(c->out_to, c->out_read_only ? O_RDONLY | O_NONBLOCK
									 : O_WRONLY)
				    : open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(c->err_to_out ? out : err, 2) < 0)
			_exit(126);
		if (c->close_out)
			close(1);
		if (c->close_err)
			close(2);
		if (chdir(c->cwd ? c->cwd : h.dir) < 0)
			_exit(126);
		if (pw && (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0))
			_exit(126);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < 32; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		execve(bin, args, env);
		dprintf(2, "e2e: cannot execute '%s': %s\n", bin, strerror(errno));
		_exit(127);
	}
	free(in_path);
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
	for (size_t i = 0; i < n; i++)
		free(args[i]);
	return p;
}

/* Fails the test when the run left a sanitizer report. */
static void check_sanitizer_log(pid_t pid, const char *what)
{
	const char *san = getenv("SESSCTL_TEST_SANLOG");
	char *path, *text;

	if (!san || !*san)
		return;
	path = xprintf("%s/sessctl.%ld", san, (long)pid);
	text = e2e_read_file(path, NULL);
	if (text) {
		cr_expect_fail("%s: sanitizer report (%s):\n%.3000s", what, path, text);
		free(text);
	}
	free(path);
}

int e2e_signal(const struct e2e_proc *p, int sig)
{
	return kill(p->pid, sig);
}

double e2e_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool e2e_running(const struct e2e_proc *p)
{
	siginfo_t info = { 0 };

	/* WNOWAIT: the exit stays for e2e_wait to collect. */
	if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return info.si_pid == 0;
}

bool e2e_wait_output(const struct e2e_proc *p, bool err, const char *has)
{
	for (int i = 0; i < 1000; i++) { /* up to 20 s */
		bool running = e2e_running(p);
		size_t len = 0;
		char *text = e2e_read_file(err ? p->err_path : p->out_path, &len);
		bool seen = text && (has ? strstr(text, has) != NULL : len > 0);
		free(text);
		if (seen)
			return true;
		if (!running)
			return false; /* all it wrote is in the file: it never will */
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	return false;
}

struct run *e2e_wait(struct e2e_proc *p)
{
	struct run *r = calloc(1, sizeof(*r));
	int ws;

	cr_assert_not_null(r);
	cr_assert_lt(h.nruns, MAX_RUNS, "too many runs in one test");
	h.runs[h.nruns++] = r;
	r->what = p->what;
	while (waitpid(p->pid, &ws, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r->out = e2e_read_file(p->out_path, &r->out_len);
	if (!r->out)
		r->out = calloc(1, 1); /* standard output went to c->out_to */
	r->err = e2e_read_file(p->err_path, &r->err_len);
	unlink(p->out_path);
	unlink(p->err_path);
	free(p->out_path);
	free(p->err_path);
	pid_t pid = p->pid;
	free(p);
	cr_assert(r->out && r->err, "%s: output files missing", r->what);
	cr_assert_neq(r->status, 126, "%s: the harness could not set up the child", r->what);
	cr_assert(r->status != 127 || strncmp(r->err, "e2e: ", 5) != 0, "%s: %s", r->what, r->err);
	check_sanitizer_log(pid, r->what);
	return r;
}

struct run *e2e_run(const struct call *c, const char *const *argv)
{
	return e2e_wait(e2e_start(c, argv));
}

bool e2e_one_error_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	const char *m = s + strlen("sessctl: ");

	/* lowercase: no capitalised word first ("Cannot ..."); a name such
	 * as SESSCTL_NOW may start the message */
	bool capitalised = m[0] >= 'A' && m[0] <= 'Z' && m[1] >= 'a' && m[1] <= 'z';
	return has_prefix(s, "sessctl: ") && nl && nl[1] == '\0' && nl > m && !capitalised;
}

/* ---- reading the database back ---- */

/* The rows of sql on db, one line each, fields joined with '|', NULL as
 * "NULL". Freed by the caller. */
char *db_rows_in(const struct e2e_db *db, const char *sql)
{
	struct e2e_buf b = { 0 };

	e2e_buf_add(&b, "");
	db->driver->rows(db, sql, &b);
	return b.s;
}

char *db_rows(const char *sql) { return db_rows_in(e2e_db(), sql); }

/* Everything a write command could change: every session and audit row. */
char *db_dump_in(const struct e2e_db *db)
{
	char *s = db_rows_in(db, "SELECT id, user_id, device_fingerprint, device_name, device_type, browser, "
		       "ip_address, created_at, last_activity, CASE WHEN is_active THEN 1 ELSE 0 END "
		       "FROM sessions ORDER BY id");
	char *a = db_rows_in(db, "SELECT id, session_id, user_id, action, actor, reason, created_at "
		       "FROM sessctl_audit ORDER BY id");
	char *both = malloc(strlen(s) + strlen(a) + 16);

	cr_assert_not_null(both);
	sprintf(both, "%s--audit--\n%s", s, a);
	free(s);
	free(a);
	return both;
}

char *db_dump(void) { return db_dump_in(e2e_db()); }

void db_fix_sequence_in(const struct e2e_db *db)
{
	if (db->driver->fix_sequence_sql)
		db_exec_in(db, db->driver->fix_sequence_sql);
}
