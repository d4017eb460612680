/* The end-to-end harness: see e2e.h. */
#include "e2e.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

extern char **environ;

/* A time zone far from UTC, with daylight saving time, that needs no
 * tzdata: times printed or compared must not depend on it. */
#define CHILD_TZ "TZ=NZST-12NZDT,M9.5.0,M4.1.0/3"

#define MAX_DBS 16
#define MAX_RUNS 256

static struct {
	bool pg;
	const char *bin;
	const char *pghost;
	char dir[256];
	struct e2e_db dbs[MAX_DBS]; /* [0] is the test's own */
	int ndbs;
	struct run *runs[MAX_RUNS];
	int nruns;
	int nfiles;
	char *paths[64];
	int npaths;
	PGconn *admin;
	char *roles[4];
	int nroles;
} h;

static char *xstrdup(const char *s)
{
	char *r = strdup(s);
	cr_assert_not_null(r, "out of memory");
	return r;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
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

static void pg_check(PGresult *res, const char *sql, const char *where)
{
	ExecStatusType st = PQresultStatus(res);
	cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s failed: %s", where, sql,
		  PQresultErrorMessage(res));
}

static PGconn *pg_connect(const char *dbname, bool utc)
{
	char *conninfo = xprintf("host=%s dbname=%s user=postgres%s", h.pghost, dbname,
				 utc ? " options='-c TimeZone=UTC'" : "");
	PGconn *c = PQconnectdb(conninfo);

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot connect with '%s': %s", conninfo,
		     PQerrorMessage(c));
	free(conninfo);
	return c;
}

static const struct e2e_db *new_pg_db(void)
{
	static unsigned counter;
	struct e2e_db *db;
	PGresult *res;
	char *sql;

	cr_assert_lt(h.ndbs, MAX_DBS, "too many databases");
	if (!h.admin)
		h.admin = pg_connect("postgres", true);
	db = &h.dbs[h.ndbs++];
	db->pg = true;
	db->path = xprintf("t_%ld_%u", (long)getpid(), counter++);
	db->url = xprintf("host=%s dbname=%s user=postgres", h.pghost, db->path);
	sql = xprintf("CREATE DATABASE %s", db->path);
	res = PQexec(h.admin, sql);
	pg_check(res, sql, "creating the test database");
	PQclear(res);
	free(sql);
	return db;
}

static void pg_do(const char *dbname, const char *sql, long long *out);

static const struct e2e_db *new_sqlite_db(const char *name)
{
	struct e2e_db *db;

	cr_assert_lt(h.ndbs, MAX_DBS, "too many databases");
	db = &h.dbs[h.ndbs++];
	db->pg = false;
	db->path = xprintf("%s/%s", h.dir, name);
	db->url = xstrdup(db->path);
	return db;
}

const struct e2e_db *e2e_new_db(void)
{
	static unsigned counter;
	char name[32];

	if (h.pg)
		return new_pg_db();
	snprintf(name, sizeof(name), "extra%u.db", counter++);
	return new_sqlite_db(name);
}

const struct e2e_db *e2e_sqlite_db(const char *name)
{
	return new_sqlite_db(name);
}

void e2e_setup(void)
{
	const char *backend = getenv("SESSCTL_TEST_BACKEND");

	memset(&h, 0, sizeof(h));
	h.bin = getenv("SESSCTL_BIN");
	cr_assert(h.bin && *h.bin, "SESSCTL_BIN must name the sessctl binary to test");
	cr_assert_eq(access(h.bin, X_OK), 0, "SESSCTL_BIN '%s' is not executable", h.bin);
	if (!backend || !*backend || strcmp(backend, "sqlite") == 0) {
		h.pg = false;
	} else if (strcmp(backend, "postgres") == 0) {
		h.pg = true;
		h.pghost = getenv("SESSCTL_TEST_PGHOST");
		cr_assert(h.pghost && *h.pghost,
			  "SESSCTL_TEST_BACKEND=postgres needs SESSCTL_TEST_PGHOST (see tests/pg-server.sh)");
	} else {
		cr_assert_fail("SESSCTL_TEST_BACKEND must be sqlite or postgres, not '%s'", backend);
	}
	/* under $SESSCTL_TEST_TMPDIR (tests/run.sh removes it whatever
	 * happens, even to a test killed by its timeout), else /tmp */
	const char *tmp = getenv("SESSCTL_TEST_TMPDIR");
	snprintf(h.dir, sizeof(h.dir), "%s/sce2e.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(h.dir), "mkdtemp: %s", strerror(errno));
	if (h.pg)
		new_pg_db();
	else
		new_sqlite_db("test.db");
}

void e2e_teardown(void)
{
	for (int i = 0; i < h.ndbs; i++) {
		if (h.dbs[i].pg && h.admin) {
			char *sql = xprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", h.dbs[i].path);
			PQclear(PQexec(h.admin, sql));
			free(sql);
		}
		free(h.dbs[i].url);
		free(h.dbs[i].path);
	}
	for (int i = 0; i < h.nroles; i++) {
		if (h.admin) {
			char *sql = xprintf("DROP ROLE IF EXISTS %s", h.roles[i]);
			PQclear(PQexec(h.admin, sql));
			free(sql);
		}
		free(h.roles[i]);
	}
	if (h.admin)
		PQfinish(h.admin);
	for (int i = 0; i < h.nruns; i++) {
		free(h.runs[i]->out);
		free(h.runs[i]->err);
		free(h.runs[i]->what);
		free(h.runs[i]);
	}
	for (int i = 0; i < h.npaths; i++)
		free(h.paths[i]);
	if (h.dir[0])
		rm_rf(h.dir);
	memset(&h, 0, sizeof(h));
}

bool e2e_pg(void) { return h.pg; }
const struct e2e_db *e2e_db(void) { return &h.dbs[0]; }
const char *e2e_url(void) { return h.dbs[0].url; }
const char *e2e_dir(void) { return h.dir; }
const char *e2e_pghost(void) { return h.pghost; }

const char *e2e_pg_role(const char *password)
{
	char *sql;
	PGresult *res;

	cr_assert(h.pg && h.admin, "e2e_pg_role needs the PostgreSQL run");
	cr_assert_lt(h.nroles, 4, "too many roles");
	h.roles[h.nroles] = xprintf("r_%ld_%d", (long)getpid(), h.nroles);
	sql = xprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", h.roles[h.nroles], password);
	res = PQexec(h.admin, sql);
	pg_check(res, sql, "creating a role");
	PQclear(res);
	free(sql);
	return h.roles[h.nroles++];
}

void e2e_pg_admin(const char *sql)
{
	cr_assert(h.pg, "e2e_pg_admin needs the PostgreSQL run");
	pg_do(h.dbs[0].path, sql, NULL);
}

static void sqlite_do(const char *path, const char *sql, long long *out)
{
	sqlite3 *conn = NULL;
	int rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "cannot open '%s': %s", path, sqlite3_errstr(rc));
	sqlite3_busy_timeout(conn, 10000);
	if (out) {
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);
		cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(conn));
		rc = sqlite3_step(st);
		cr_assert_eq(rc, SQLITE_ROW, "%s: no row: %s", sql, sqlite3_errmsg(conn));
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	} else {
		char *msg = NULL;
		rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
		cr_assert_eq(rc, SQLITE_OK, "fixture SQL failed on '%s': %s\n%s", path,
			     msg ? msg : sqlite3_errstr(rc), sql);
		sqlite3_free(msg);
	}
	sqlite3_close(conn);
}

static void pg_do(const char *dbname, const char *sql, long long *out)
{
	PGconn *c = pg_connect(dbname, true);
	PGresult *res = PQexec(c, sql);

	pg_check(res, sql, dbname);
	if (out) {
		cr_assert(PQntuples(res) > 0 && !PQgetisnull(res, 0, 0), "%s: no value", sql);
		*out = atoll(PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	PQfinish(c);
}

void db_exec_in(const struct e2e_db *db, const char *sql)
{
	if (db->pg)
		pg_do(db->path, sql, NULL);
	else
		sqlite_do(db->path, sql, NULL);
}

long long db_int_in(const struct e2e_db *db, const char *sql)
{
	long long v = 0;
	if (db->pg)
		pg_do(db->path, sql, &v);
	else
		sqlite_do(db->path, sql, &v);
	return v;
}

void db_exec(const char *sql) { db_exec_in(e2e_db(), sql); }
long long db_int(const char *sql) { return db_int_in(e2e_db(), sql); }

bool db_table_exists_in(const struct e2e_db *db, const char *table)
{
	char *sql;
	long long n;

	if (!db->pg && !e2e_exists(db->path))
		return false;
	sql = db->pg ? xprintf("SELECT count(*) FROM information_schema.tables "
			       "WHERE table_schema = current_schema() AND table_name = '%s'", table)
		     : xprintf("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
			       table);
	n = db_int_in(db, sql);
	free(sql);
	return n > 0;
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
		"SUDO_USER=",
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
	fflush(NULL);
	p->pid = fork();
	cr_assert_neq(p->pid, -1, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		sigset_t none;
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int out = c->out_to ? open(c->out_to, O_WRONLY)
				    : open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		if (chdir(c->cwd ? c->cwd : h.dir) < 0)
			_exit(126);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < 32; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		execve(h.bin, args, env);
		dprintf(2, "e2e: cannot execute '%s': %s\n", h.bin, strerror(errno));
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
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	s[0] = '\0';
#define APPEND(txt)                                                       \
	do {                                                              \
		const char *t_ = (txt);                                   \
		size_t l_ = strlen(t_);                                   \
		while (n + l_ + 2 > cap)                                  \
			cr_assert_not_null(s = realloc(s, cap *= 2));     \
		memcpy(s + n, t_, l_ + 1);                                \
		n += l_;                                                  \
	} while (0)
	if (db->pg) {
		char *conninfo = malloc(strlen(db->url) + 64);
		cr_assert_not_null(conninfo);
		sprintf(conninfo, "%s options='-c TimeZone=UTC'", db->url);
		PGconn *c = PQconnectdb(conninfo);
		free(conninfo);
		cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
		PGresult *res = PQexec(c, sql);
		cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql,
			     PQresultErrorMessage(res));
		for (int i = 0; i < PQntuples(res); i++) {
			for (int j = 0; j < PQnfields(res); j++) {
				if (j)
					APPEND("|");
				APPEND(PQgetisnull(res, i, j) ? "NULL" : PQgetvalue(res, i, j));
			}
			APPEND("\n");
		}
		PQclear(res);
		PQfinish(c);
	} else {
		sqlite3 *c = NULL;
		sqlite3_stmt *st = NULL;
		cr_assert_eq(sqlite3_open_v2(db->path, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		sqlite3_busy_timeout(c, 10000);
		cr_assert_eq(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
			     sqlite3_errmsg(c));
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int j = 0; j < sqlite3_column_count(st); j++) {
				const unsigned char *v = sqlite3_column_text(st, j);
				if (j)
					APPEND("|");
				APPEND(v ? (const char *)v : "NULL");
			}
			APPEND("\n");
		}
		cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(c));
		sqlite3_finalize(st);
		sqlite3_close(c);
	}
#undef APPEND
	return s;
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
	if (db->pg)
		db_exec_in(db, "SELECT setval(pg_get_serial_sequence('sessions', 'id'), "
			       "(SELECT max(id) FROM sessions))");
}
