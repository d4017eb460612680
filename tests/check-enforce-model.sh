#!/bin/sh
# A randomized differential ("model") test of `sessctl enforce` in its
# steady state (README "Performance": a run after a complete earlier run
# ranks only the users active since, and looks for idle sessions only
# from the last run's idle cutoff on).
#
# For each seed it builds a database (SQLite file, and a database on a
# throwaway PostgreSQL server: tests/pg-server.sh), fills it with a
# seed-driven random shape of users and sessions, then moves a simulated
# clock forward in steps (minutes to hours, sometimes more than a day).
# Between steps it does only what the application legitimately does
# (SPEC §2): logins (a new device, or the same device again: the row is
# refreshed and active again, created_at = last_activity = now), activity
# refreshes of active sessions (last_activity = now), logouts (one
# device, or the current device = the most recently active session), the
# application's own device limit after a login, and `sessctl create`
# (same-device and device-limit rules) as another writer. Times are
# written the way applications write them (SQLite: "YYYY-MM-DD HH:MM:SS",
# SQLAlchemy's ".ffffff", ISO 8601 "T" with "Z" or "+00:00"; PostgreSQL:
# timestamptz, or an ORM's naive "timestamp" columns read as UTC).
# sessctl's own clock is, per seed, the real one (only --now moves) or
# the simulated time (an LD_PRELOAD shim built with cc, as a cron job's
# clock: then the daily full pass happens as in production), with or
# without --now.
# After each step it runs `sessctl enforce --now T` (the incremental
# path) and compares
#   1. every row's existence and is_active with a model the script keeps
#      itself from SPEC's rules (expire idle > timeout, then the device
#      limit: oldest last_activity first, ties lower id first; then
#      --purge-after deletes inactive rows idle longer than that), and the
#      summary's counts with the model's;
#   2. the rows with `enforce --full-pass --now T` run on a copy of the
#      database made just before, which must agree.
#
# Usage: tests/check-enforce-model.sh [SESSCTL] [BACKEND...]   (sqlite, postgres)
# (tests/run.sh runs it with the binary, both backends: part of make check)
# Environment:
#   SESSCTL_MODEL_SEEDS   seeds on SQLite (default 16); PostgreSQL runs a
#                         quarter as many (default 4), at least 1
#   SESSCTL_MODEL_FORMS   only these SQLite time forms (comma-separated:
#                         space, micro, T, TZ, TmicroZ, iso+00, off+0530,
#                         off-0800, off+1400, off-1200, epoch)
#   SESSCTL_MODEL_SEED    the first seed (default 1); with one seed,
#                         SESSCTL_MODEL_SEEDS=1 SESSCTL_MODEL_SEED=N
#                         replays a failure
#   SESSCTL_MODEL_STEPS   steps per seed (default 10)
#   SESSCTL_MODEL_VERBOSE 1: print every step's actions and runs
#   SESSCTL_MODEL_KEEP    1: keep the failing database (its path is printed)
#   SESSCTL               the binary (default: build/sessctl next to tests/)
#   SESSCTL_TEST_PGHOST   use this PostgreSQL socket directory rather than
#                         starting a throwaway server
# Ends with "N passed, N failed" (a seed is a test) as the other checks;
# exits 0 when every seed agrees, 1 on any discrepancy (printing the seed,
# the backend and what differed) or when a backend could not be tested:
# no backend is skipped.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
SESSCTL=${SESSCTL:-$top/build/sessctl}
case ${1:-} in
*/*) SESSCTL=$1; shift ;;
esac
export SESSCTL
fail() {
	echo "check-enforce-model: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}
[ -x "$SESSCTL" ] || fail "$SESSCTL not built (make)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found ('make deps' installs it)"

backends=${*:-sqlite postgres}
pgdir=
started_pg=
cleanup() {
	if [ -n "$started_pg" ]; then
		"$here/pg-server.sh" stop "$started_pg" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT INT TERM

case " $backends " in
*" postgres "*)
	if [ -n "${SESSCTL_TEST_PGHOST:-}" ]; then
		pgdir=$SESSCTL_TEST_PGHOST
	elif pgdir=$("$here/pg-server.sh" start); then
		started_pg=$pgdir
	else
		fail "no PostgreSQL server (tests/pg-server.sh start failed, above)"
	fi
	;;
esac
export MODEL_PGDIR="$pgdir" MODEL_BACKENDS="$backends"

python3 - <<'PYEOF'
import datetime
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

SESSCTL = os.environ["SESSCTL"]
PGDIR = os.environ.get("MODEL_PGDIR", "")
BACKENDS = os.environ.get("MODEL_BACKENDS", "sqlite postgres").split()
VERBOSE = os.environ.get("SESSCTL_MODEL_VERBOSE", "") == "1"
KEEP = os.environ.get("SESSCTL_MODEL_KEEP", "") == "1"
FIRST_SEED = int(os.environ.get("SESSCTL_MODEL_SEED", "1"))
STEPS = int(os.environ.get("SESSCTL_MODEL_STEPS", "10"))
if os.environ.get("SESSCTL_MODEL_SEEDS"):
    N_SQLITE = int(os.environ["SESSCTL_MODEL_SEEDS"])
    N_PG = max(1, N_SQLITE // 4) if N_SQLITE > 1 else N_SQLITE
else:
    N_SQLITE, N_PG = 16, 4
PSQL = "/usr/lib/postgresql/15/bin/psql"
if not os.path.exists(PSQL):
    PSQL = shutil.which("psql") or PSQL

US = 1000000
EPOCH = datetime.datetime(1970, 1, 1)
ENV = dict(os.environ)
for v in ("SESSCTL_NOW", "SESSCTL_DB", "MAX_SESSIONS_PER_USER", "SESSION_TIMEOUT_HOURS",
          "PGHOST", "PGDATABASE", "PGSERVICE", "PGHOSTADDR", "PGOPTIONS", "SUDO_USER"):
    ENV.pop(v, None)
ENV["NO_COLOR"] = "1"
# The clock shim is preloaded before the sanitizer's runtime in a
# SANITIZE build (make SANITIZE=address,undefined check), which ASan
# refuses by default; the shim only replaces time functions.
ENV["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS", ""),
                                         "verify_asan_link_order=0") if x)


class Discrepancy(Exception):
    pass


def log(*a):
    if VERBOSE:
        print("   ", *a, flush=True)


def dt(us):
    return EPOCH + datetime.timedelta(microseconds=us)


def sql_time(us):
    """--now form: whole seconds."""
    assert us % US == 0
    return dt(us).strftime("%Y-%m-%d %H:%M:%S")


# ---- how applications write times into SQLite (SPEC §1, README "Times") ----

def text_time(us, form):
    d = dt(us)
    if form == "space":          # sessctl's own form, SQLite's CURRENT_TIMESTAMP
        return d.strftime("%Y-%m-%d %H:%M:%S")
    if form == "micro":          # SQLAlchemy's DateTime on SQLite
        return d.strftime("%Y-%m-%d %H:%M:%S.%f")
    if form == "T":
        return d.strftime("%Y-%m-%dT%H:%M:%S")
    if form == "TZ":
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "TmicroZ":
        return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if form == "iso+00":         # datetime.now(timezone.utc).isoformat()
        return d.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    if form.startswith("off"):   # an aware local time: "off+0530", "off-0800"
        sign = 1 if form[3] == "+" else -1
        mins = sign * (int(form[4:6]) * 60 + int(form[6:8]))
        local = d + datetime.timedelta(minutes=mins)
        return local.strftime("%Y-%m-%dT%H:%M:%S.%f") + "%s%s:%s" % (form[3], form[4:6], form[6:8])
    raise ValueError(form)


# ---- databases ----

class SqliteDB:
    kind = "sqlite"

    def __init__(self, path, forms):
        self.path = path
        self.url = path
        self.forms = forms  # the forms the application writes, one picked per write

    def t(self, rng, us):
        """The SQL literal the application writes for us; self.eff is the
        time it holds (forms without a fraction drop the microseconds)."""
        form = rng.choice(self.forms)
        if form not in ("micro", "TmicroZ", "iso+00") and not form.startswith("off"):
            us -= us % US
        self.eff = us
        if form == "epoch":      # integer seconds (README: 10-digit epoch seconds are read)
            return "%d" % (us // US)
        return "'%s'" % text_time(us, form)

    def bool(self, b):
        return "1" if b else "0"

    def exec(self, stmts):
        if not stmts:
            return
        c = sqlite3.connect(self.path, timeout=30)
        try:
            c.executescript("BEGIN;\n" + ";\n".join(stmts) + ";\nCOMMIT;")
        finally:
            c.close()

    def rows(self):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            return [(r[0], r[1], bool(r[2]), "%r (%s)" % (r[3], r[4])) for r in c.execute(
                "SELECT id, user_id, is_active, last_activity, typeof(last_activity) FROM sessions ORDER BY id")]
        finally:
            c.close()

    def state(self):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            return c.execute("SELECT max_sessions, since, full_at, idle_cutoff FROM sessctl_enforce_state").fetchall()
        finally:
            c.close()

    def copy(self, suffix):
        p = self.path + "." + suffix
        for ext in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(p + ext):
                os.unlink(p + ext)
        src = sqlite3.connect(self.path, timeout=30)
        dst = sqlite3.connect(p)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return SqliteDB(p, self.forms)

    def drop(self):
        for ext in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(self.path + ext):
                os.unlink(self.path + ext)

    def fix_sequence(self):
        return []


def psql(db, script, tuples=False):
    args = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PGDIR, "-U", "postgres", "-d", db]
    if tuples:
        args += ["-A", "-t", "-F", "|"]
    env = dict(ENV)
    env["PGOPTIONS"] = "-c TimeZone=UTC"
    p = subprocess.run(args, input=script, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError("psql failed on %s: %s\n%s" % (db, p.stderr, script[:2000]))
    return p.stdout


class PgDB:
    kind = "postgres"

    def __init__(self, name, naive):
        self.name = name
        self.naive = naive
        self.url = "postgresql:///%s?host=%s&user=postgres" % (name, PGDIR)

    def t(self, rng, us):
        self.eff = us
        s = dt(us).strftime("%Y-%m-%d %H:%M:%S.%f")
        return "'%s'" % s if self.naive else "'%s+00'" % s

    def bool(self, b):
        return "true" if b else "false"

    def exec(self, stmts):
        if stmts:
            psql(self.name, "BEGIN;\n" + ";\n".join(stmts) + ";\nCOMMIT;\n")

    def rows(self):
        out = psql(self.name, "SELECT id, user_id, is_active::int, last_activity::text FROM sessions ORDER BY id", True)
        res = []
        for line in out.splitlines():
            if line:
                i, u, a, la = line.split("|")
                res.append((int(i), int(u), a == "1", la))
        return res

    def state(self):
        return psql(self.name, "SELECT max_sessions, since, full_at, idle_cutoff FROM sessctl_enforce_state", True).strip()

    def copy(self, suffix):
        name = self.name + "_" + suffix
        psql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE);\nCREATE DATABASE %s TEMPLATE %s" % (name, name, self.name))
        return PgDB(name, self.naive)

    def drop(self):
        psql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)

    def fix_sequence(self):
        return ["SELECT setval(pg_get_serial_sequence('sessions', 'id'), (SELECT max(id) FROM sessions))"]


APP_SCHEMA_SQLITE = """
CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE,
    username VARCHAR(100), role VARCHAR(20) NOT NULL DEFAULT 'user', hashed_password VARCHAR(255),
    created_at DATETIME);
CREATE TABLE sessions (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_fingerprint VARCHAR(255), device_name VARCHAR(255), device_type VARCHAR(20),
    browser VARCHAR(100), ip_address VARCHAR(45),
    created_at DATETIME DEFAULT (CURRENT_TIMESTAMP), last_activity DATETIME DEFAULT (CURRENT_TIMESTAMP),
    is_active BOOLEAN DEFAULT 1, CONSTRAINT uq_user_device UNIQUE (user_id, device_fingerprint));
CREATE INDEX idx_user_active ON sessions (user_id, is_active);
CREATE INDEX idx_created_at ON sessions (created_at);
"""

APP_SCHEMA_PG_NAIVE = """
CREATE TABLE users (id SERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, username VARCHAR(100),
    role VARCHAR(20) NOT NULL DEFAULT 'user', hashed_password VARCHAR(255), created_at TIMESTAMP WITHOUT TIME ZONE);
CREATE TABLE sessions (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_fingerprint VARCHAR(255), device_name VARCHAR(255), device_type VARCHAR(20), browser VARCHAR(100),
    ip_address VARCHAR(45), created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(),
    last_activity TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), is_active BOOLEAN DEFAULT true,
    CONSTRAINT uq_user_device UNIQUE (user_id, device_fingerprint));
CREATE INDEX idx_user_active ON sessions (user_id, is_active);
CREATE INDEX idx_created_at ON sessions (created_at);
"""


def rows_pair(a, b):
    """The rows of two databases (one psql for both on PostgreSQL)."""
    if a.kind != "postgres":
        return a.rows(), b.rows()
    q = "SELECT id, user_id, is_active::int, last_activity::text FROM sessions ORDER BY id;\n"
    out = psql(a.name, q + "SELECT '--';\n\\c " + b.name + "\n" + q, True)
    res, cur = [[], []], 0
    for line in out.splitlines():
        if line == "--":
            cur = 1
        elif line and "|" in line:
            i, u, act, la = line.split("|")
            res[cur].append((int(i), int(u), act == "1", la))
    return res[0], res[1]


SHIM = None


def build_shim(tmp):
    """An LD_PRELOAD shim that sets sessctl's real clock (time(),
    clock_gettime(CLOCK_REALTIME)) to $MODEL_FAKE_TIME: a cron job whose
    clock is the simulated time, so that the daily full pass and the
    record's times follow the simulation."""
    global SHIM
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return
    src = os.path.join(tmp, "shim.c")
    with open(src, "w") as f:
        f.write(SHIM_C)
    so = os.path.join(tmp, "shim.so")
    if subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl"], capture_output=True).returncode == 0:
        SHIM = so


SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
static long long fake(void)
{
	const char *s = getenv("MODEL_FAKE_TIME");
	return s && *s ? atoll(s) : -1;
}
int clock_gettime(clockid_t c, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int r = real(c, ts);
	long long f = fake();
	if (r == 0 && f >= 0 && (c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE)) {
		ts->tv_sec = (time_t)f;
		ts->tv_nsec = 0;
	}
	return r;
}
time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;
	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (tv) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return 0;
}
"""


def sessctl(db, args, env_extra=None, check=True):
    env = dict(ENV)
    if env_extra:
        env.update(env_extra)
    cmd = [SESSCTL, "--db", db.url] + args
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise Discrepancy("`%s` exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p


# ---- the model (SPEC §2) ----

class Sess:
    __slots__ = ("id", "user", "fp", "created", "la", "active")

    def __init__(self, id, user, fp, created, la, active):
        self.id, self.user, self.fp, self.created, self.la, self.active = id, user, fp, created, la, active


def keep_order(s):
    """The device limit keeps the most recently active first; ties: higher id first."""
    return (-s.la, -s.id)


def model_enforce(m, now, timeout, limit, purge, user=None):
    """enforce as SPEC §2/§3 says: expire, then the device limit, then purge
    (with --user, only that user's sessions). Returns (expired, over_limit,
    purged) id sets."""
    cutoff = now - timeout
    mine = lambda s: user is None or s.user == user
    expired = {s.id for s in m.values() if s.active and s.la < cutoff and mine(s)}
    for i in expired:
        m[i].active = False
    over = set()
    by_user = {}
    for s in m.values():
        if s.active and mine(s):
            by_user.setdefault(s.user, []).append(s)
    for ss in by_user.values():
        ss.sort(key=keep_order)
        for s in ss[limit:]:
            over.add(s.id)
            s.active = False
    purged = set()
    if purge is not None:
        pc = now - purge
        purged = {s.id for s in m.values() if not s.active and s.la < pc and mine(s)}
        for i in purged:
            del m[i]
    return expired, over, purged


def app_limit(m, user, limit, keep_id):
    """The application's device limit after a login: the new or refreshed
    session is kept; the others oldest first. Returns the ids closed."""
    others = sorted((s for s in m.values() if s.user == user and s.active and s.id != keep_id), key=keep_order)
    closed = [s.id for s in others[limit - 1:]]
    for i in closed:
        m[i].active = False
    return closed


def diff_rows(want, got):
    """want/got: {id: active}. A short description of the differences."""
    out = []
    for i in sorted(set(want) | set(got)):
        w, g = want.get(i), got.get(i)
        if w != g:
            f = lambda v: "absent" if v is None else ("active" if v else "inactive")
            out.append("session %d: expected %s, got %s" % (i, f(w), f(g)))
    return out


def active_set(rows):
    return sorted(i for i, a in rows.items() if a)


# ---- one seed ----

HOUR = 3600 * US
MIN = 60 * US
DAY = 24 * HOUR


class Run:
    def __init__(self, backend, seed, tmp):
        self.backend, self.seed, self.tmp = backend, seed, tmp
        self.rng = random.Random("%s-%d" % (backend, seed))
        self.trace = []  # what to print on failure

    def note(self, s):
        self.trace.append(s)
        log(s)

    def setup(self):
        rng = self.rng
        self.timeout_h = rng.choice([1, 2, 6, 24, 72, 720])
        self.timeout = self.timeout_h * HOUR
        self.limit = rng.choice([1, 2, 2, 3, 3, 3, 4])
        self.app_limit = rng.choice([None, None, self.limit, self.limit + 1, self.limit + 2])
        self.fractions = rng.random() < 0.6       # microseconds in the application's times
        self.late = rng.random() < 0.3            # commits stamped up to 10 min before they land
        self.use_env = rng.random() < 0.4         # the limits from the environment, as the application's
        self.purge = rng.choice([None, None, self.timeout, 2 * self.timeout, 30 * DAY])
        # the simulated clock: in the past, or around the real clock
        real = int(time.time()) * US
        # sessctl's own clock: the real one (only --now moves), or the simulated
        # time itself, as a cron job's (a shim), with or without --now
        self.clock = rng.choice(["real", "fake", "fake-no-now"]) if SHIM else "real"
        if rng.random() < 0.8:
            base = rng.choice([(2025, 3, 1), (2024, 2, 28), (2024, 12, 31), (2025, 10, 26), (2030, 1, 1)])
            self.now = (int((datetime.datetime(*base) - EPOCH).total_seconds()) + rng.randrange(0, 86400)) * US
            self.now -= self.now % US
        else:
            self.now = real - rng.randrange(0, 2 * 86400) * US
        if self.backend == "sqlite":
            forms = ["space", "micro", "T", "TZ", "TmicroZ", "iso+00", "off+0530", "off-0800", "off+1400", "off-1200",
                     "epoch"]
            if os.environ.get("SESSCTL_MODEL_FORMS"):
                allowed = os.environ["SESSCTL_MODEL_FORMS"].split(",")
                forms = [f for f in forms if f in allowed]
            mode = rng.random()
            if mode < 0.5:
                self.forms = [rng.choice(forms[:6])]     # one application, one form
            elif mode < 0.85:
                self.forms = rng.sample(forms[:6], min(2, len(forms[:6])))  # a form change (an upgrade)
            else:
                self.forms = forms                         # everything README says is read
            self.adopt = rng.random() < 0.4
            # Every fifth seed: an application that writes epoch seconds
            # into its DATETIME column (numeric affinity: SQLite stores
            # them as numbers, which text bounds miss).
            if self.seed % 5 == 0 and "epoch" in forms:
                self.forms = ["epoch"] + ([rng.choice(forms[:6])] if forms[:6] else [])
                self.adopt = True
            path = os.path.join(self.tmp, "m-%d.db" % self.seed)
            self.db = SqliteDB(path, self.forms)
            self.db.drop()
            if self.adopt:
                c = sqlite3.connect(path)
                c.executescript(APP_SCHEMA_SQLITE)
                c.close()
            desc = "sqlite forms=%s adopt=%s" % (",".join(self.forms), self.adopt)
        else:
            self.naive = rng.random() < 0.4
            name = "m_%d" % self.seed
            psql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE); CREATE DATABASE %s" % (name, name))
            self.db = PgDB(name, self.naive)
            if self.naive:
                psql(name, APP_SCHEMA_PG_NAIVE)
            desc = "postgres %s" % ("timestamp without time zone (adopted)" if self.naive else "timestamptz")
        sessctl(self.db, ["migrate"])
        self.note("seed %d: %s; limit %d, app limit %s, idle timeout %dh, purge-after %s, fractions %s, late commits %s, env %s, start %s" % (
            self.seed, desc + " clock=" + self.clock, self.limit, self.app_limit, self.timeout_h,
            None if self.purge is None else "%ds" % (self.purge // US), self.fractions, self.late, self.use_env,
            sql_time(self.now)))
        # users: a few, ids not contiguous
        n_users = rng.randint(2, 6) if rng.random() < 0.7 else rng.randint(10, 30)   # several device-limit batches
        self.users = sorted(rng.sample(range(1, 200), n_users))
        self.busy = rng.random() < 0.3   # many logins per step
        stmts = ["INSERT INTO users (id, email, username, role) VALUES " + ", ".join(
            "(%d, 'u%d@example.com', 'u%d', 'user')" % (u, u, u) for u in self.users)]
        # sessions: 1 to 8 each, written by the application over the time before
        self.m = {}
        self.next_id = rng.randint(1, 50)
        self.fps = {u: 0 for u in self.users}
        for u in self.users:
            for _ in range(rng.randint(1, 8)):
                la = self.now - rng.randrange(0, 2 * self.timeout + 2 * DAY) // US * US - self.frac()
                created = la - rng.randrange(0, 10 * DAY) // US * US
                active = rng.random() < 0.8
                self.insert(stmts, u, self.new_fp(u), created, la, active)
        stmts += self.db.fix_sequence()
        self.db.exec(stmts)
        self.ran_once = False

    def frac(self):
        return self.rng.randrange(0, US) if self.fractions else 0

    def new_fp(self, u):
        self.fps[u] += 1
        return "fp%d-%d" % (u, self.fps[u])

    def insert(self, stmts, u, fp, created, la, active):
        i = self.next_id
        self.next_id += self.rng.choice([1, 1, 1, 2])
        stmts.append("INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser, "
                     "ip_address, created_at, last_activity, is_active) VALUES (%d, %d, '%s', 'Chrome on Linux', 'web', "
                     "'Chrome', '192.0.2.%d', %s, %s, %s)" % (
                         i, u, fp, i % 250, self.db.t(self.rng, created), self.db.t(self.rng, la), self.db.bool(active)))
        la = self.db.eff
        self.m[i] = Sess(i, u, fp, created, la, active)
        return i

    # -- what the application does between two runs --
    def app_step(self, t_from, t_to):
        """Actions with times in (t_from, t_to], committed in time order;
        with late commits, some stamped up to 10 min before t_from."""
        rng = self.rng
        n = rng.randint(0, 3 + len(self.users)) * (3 if self.busy else 1)
        times = []
        for _ in range(n):
            if self.late and rng.random() < 0.2:
                t = t_from - rng.randrange(0, 10 * 60 + 1) * US   # set at the transaction's start, committed later
            else:
                t = t_from + rng.randrange(1, max(2, (t_to - t_from) // US + 1)) * US
                if t > t_to:
                    t = t_to
            t = t - t % US + (self.frac() if t < t_to else 0)
            times.append(t)
        times.sort()
        stmts = []
        creates = []
        for t in times:
            u = rng.choice(self.users)
            mine = [s for s in self.m.values() if s.user == u]
            act = [s for s in mine if s.active]
            r = rng.random()
            if r < 0.35 or not act:
                # login: a known device again, or a new one
                if mine and rng.random() < 0.4:
                    s = rng.choice(mine)
                    fp = s.fp
                else:
                    s, fp = None, self.new_fp(u)
                if s and t < s.la:
                    continue   # a late commit older than the row's last write: not written
                if s:
                    stmts.append("UPDATE sessions SET last_activity = %s, is_active = %s WHERE id = %d" % (
                        self.db.t(rng, t), self.db.bool(True), s.id))
                    s.la, s.active = self.db.eff, True
                    self.note("  %s login again u%d %s -> session %d" % (sql_time(t - t % US), u, fp, s.id))
                    keep = s.id
                else:
                    keep = self.insert(stmts, u, fp, t, t, True)
                    self.note("  %s login u%d %s -> new session %d" % (sql_time(t - t % US), u, fp, keep))
                if self.app_limit is not None:
                    closed = app_limit(self.m, u, self.app_limit, keep)
                    if closed:
                        stmts.append("UPDATE sessions SET is_active = %s WHERE id IN (%s)" % (
                            self.db.bool(False), ",".join(map(str, closed))))
                        self.note("    the application's limit %d closes %s" % (self.app_limit, closed))
            elif r < 0.8:
                s = rng.choice(act)
                if t < s.la:
                    continue
                stmts.append("UPDATE sessions SET last_activity = %s WHERE id = %d AND is_active = %s" % (
                    self.db.t(rng, t), s.id, self.db.bool(True)))
                s.la = self.db.eff
                self.note("  %s refresh session %d (u%d)" % (sql_time(t - t % US), s.id, u))
            else:
                if rng.random() < 0.5:
                    s = max(act, key=lambda x: (x.la, x.id))   # logout of the current device
                else:
                    s = rng.choice(act)
                stmts.append("UPDATE sessions SET is_active = %s WHERE id = %d" % (self.db.bool(False), s.id))
                s.active = False
                self.note("  %s logout session %d (u%d)" % (sql_time(t - t % US), s.id, u))
        stmts += self.db.fix_sequence()
        self.db.exec(stmts)
        if rng.random() < 0.3:
            # a login through sessctl create, at the run's own time
            u = rng.choice(self.users)
            mine = [s for s in self.m.values() if s.user == u]
            fp = rng.choice(mine).fp if mine and rng.random() < 0.4 else self.new_fp(u)
            creates.append((u, fp))
        for u, fp in creates:
            self.create(u, fp, t_to)

    def create(self, u, fp, t):
        limit = self.app_limit or self.limit
        args = ["create", "--user", str(u), "--fingerprint", fp] + self.now_args(t) + ["--actor", "app", "-o", "json"]
        env = self.clock_env(t)
        if self.use_env:
            env["MAX_SESSIONS_PER_USER"] = str(limit)
        else:
            args += ["--max-sessions", str(limit)]
        p = sessctl(self.db, args, env)
        out = json.loads(p.stdout)
        made = [r for r in out if r.get("change") in ("created", "refreshed", "reactivated", "updated")] or out[:1]
        sid = made[0]["id"]
        if sid in self.m:
            s = self.m[sid]
            if s.fp != fp:
                raise Discrepancy("create --fingerprint %s for u%d refreshed session %d of device %s" % (fp, u, sid, s.fp))
            s.la, s.active = t, True
            self.note("  %s sessctl create u%d %s -> refreshed %d" % (sql_time(t), u, fp, sid))
        else:
            if sid < self.next_id and self.db.kind == "postgres":
                pass
            self.m[sid] = Sess(sid, u, fp, t, t, True)
            self.next_id = max(self.next_id, sid + 1)
            self.note("  %s sessctl create u%d %s -> new %d" % (sql_time(t), u, fp, sid))
        closed = app_limit(self.m, u, limit, sid)
        if closed:
            self.note("    its limit %d closes %s" % (limit, closed))
        self.check_rows("after sessctl create u%d %s at %s" % (u, fp, sql_time(t)))

    def now_args(self, t):
        return [] if self.clock == "fake-no-now" else ["--now", sql_time(t)]

    def clock_env(self, t):
        if self.clock == "real":
            return {}
        return {"LD_PRELOAD": SHIM, "MODEL_FAKE_TIME": str(t // US)}

    def m_la(self, i, before):
        s = self.m.get(i) or before.get(i)
        return s.la if s else 0

    def check_rows(self, when, db=None):
        rows = (db or self.db).rows()
        got = {r[0]: r[2] for r in rows}
        want = {i: s.active for i, s in self.m.items()}
        d = diff_rows(want, got)
        if d:
            raise Discrepancy("%s: the database differs from the model:\n      %s\n    model active: %s\n    db active:    %s" % (
                when, "\n      ".join(d), active_set(want), active_set(got)))
        return got

    # -- one enforce run --
    def enforce(self, t):
        rng = self.rng
        # the configuration may change between runs (SESSION_TIMEOUT_HOURS, MAX_SESSIONS_PER_USER)
        if rng.random() < 0.08:
            self.limit = max(1, self.limit + rng.choice([-1, 1, 1]))
            self.note("  the device limit is now %d" % self.limit)
        if rng.random() < 0.06:
            self.timeout_h = rng.choice([1, 2, 6, 24, 72, 720])
            self.timeout = self.timeout_h * HOUR
            self.note("  the idle timeout is now %dh" % self.timeout_h)
        purge = self.purge if (self.purge is not None and rng.random() < 0.6) else None
        args = ["enforce"] + self.now_args(t) + ["--actor", "cron", "-o", "json"]
        env = self.clock_env(t)
        if self.use_env:
            env.update({"MAX_SESSIONS_PER_USER": str(self.limit), "SESSION_TIMEOUT_HOURS": str(self.timeout_h)})
        else:
            args += ["--max-sessions", str(self.limit), "--idle-timeout", "%dh" % self.timeout_h]
        if purge is not None:
            args += ["--purge-after", "%ds" % (purge // US)]
        cmdline = "sessctl --db URL " + " ".join("'%s'" % a if " " in a else a for a in args)
        if env:
            cmdline = " ".join("%s=%s" % kv for kv in env.items() if kv[0] != "LD_PRELOAD") + " " + cmdline
        if rng.random() < 0.12:
            # support staff: enforce for one user first (records nothing)
            u = rng.choice(self.users)
            self.note("run (one user) %s --user %d" % (cmdline, u))
            ue, uo, up = model_enforce(self.m, t, self.timeout, self.limit, purge, u)
            p = sessctl(self.db, args + ["--user", str(u)], env)
            self.check_rows("enforce --user %d --now '%s'" % (u, sql_time(t)))
            summary = json.loads(p.stdout)
            if (summary["expired"], summary["over_limit"], summary["purged"]) != (len(ue), len(uo), len(up)):
                raise Discrepancy("enforce --user %d --now '%s': summary %s, the model's %s" % (
                    u, sql_time(t), (summary["expired"], summary["over_limit"], summary["purged"]), (len(ue), len(uo), len(up))))
        iargs = list(args)
        if rng.random() < 0.2:
            iargs += ["--batch-size", str(rng.randint(1, 3))]
        # the copy for the full pass, before the run
        full_db = self.db.copy("full")
        m_before = {i: Sess(s.id, s.user, s.fp, s.created, s.la, s.active) for i, s in self.m.items()}
        expired, over, purged = model_enforce(self.m, t, self.timeout, self.limit, purge)
        if rng.random() < 0.25:
            # what --dry-run prints must be exactly what the run changes, and change nothing
            p = sessctl(self.db, iargs + ["--dry-run"], env)
            got = sorted((r["change"], r["id"]) for r in json.loads(p.stdout))
            want = sorted([("expired", i) for i in expired] + [("over-limit", i) for i in over] +
                          [("purged", i) for i in purged])
            if got != want:
                raise Discrepancy("enforce --dry-run --now '%s': printed %s, the model's changes %s (%s)" % (
                    sql_time(t), got, want, p.stderr.strip().replace("\n", "; ")))
            saved, self.m = self.m, m_before
            try:
                self.check_rows("after enforce --dry-run --now '%s'" % sql_time(t))
            finally:
                self.m = saved
        self.note("run %s%s" % (cmdline, " ".join([""] + iargs[len(args):])))
        p = sessctl(self.db, iargs + ["-v"], env)
        plan = [l.split(" ", 2)[2] for l in p.stderr.splitlines() if "enforce: full pass" in l or "enforce: ranking" in l]
        self.note("  plan: %s" % "; ".join(plan))
        summary = json.loads(p.stdout)
        fp = sessctl(full_db, args + ["--full-pass"], env)
        fsummary = json.loads(fp.stdout)
        rows, frows = rows_pair(self.db, full_db)
        got = {r[0]: r[2] for r in rows}
        fgot = {r[0]: r[2] for r in frows}
        want = {i: s.active for i, s in self.m.items()}
        want_counts = (len(expired), len(over), len(purged))
        cnt = lambda sm: (sm["expired"], sm["over_limit"], sm["purged"])
        problems = []
        d = diff_rows(want, got)
        if d:
            problems.append("the incremental run differs from the model:\n      " + "\n      ".join(d))
        d = diff_rows(fgot, got)
        if d:
            problems.append("the incremental run differs from --full-pass on a copy:\n      " +
                            "\n      ".join(d).replace("expected", "full pass").replace("got", "incremental"))
        d = diff_rows(want, fgot)
        if d:
            problems.append("--full-pass on a copy differs from the model:\n      " +
                            "\n      ".join(d).replace("got", "full pass"))
        if cnt(summary) != want_counts:
            problems.append("the incremental run's summary expired/over_limit/purged is %s, the model's %s" % (
                cnt(summary), want_counts))
        if cnt(fsummary) != want_counts and not d:
            problems.append("the full pass's summary is %s, the model's %s" % (cnt(fsummary), want_counts))
        if problems:
            bad = sorted(i for i in set(want) | set(got) | set(fgot) if not (want.get(i) == got.get(i) == fgot.get(i)))
            stored = {r[0]: r[3] for r in rows}
            problems.append("stored last_activity of those sessions: " + ", ".join(
                "%d: %s (model %s)" % (i, stored.get(i, "-"), text_time(self.m_la(i, m_before), "micro")) for i in bad))
            raise Discrepancy("enforce --now '%s' (%s):\n    %s\n    model active:       %s\n    incremental active: %s\n    full pass active:   %s\n    model closes: expired %s, over-limit %s, purged %s" % (
                sql_time(t), "; ".join(plan), "\n    ".join(problems), active_set(want), active_set(got), active_set(fgot),
                sorted(expired), sorted(over), sorted(purged)))
        self.ran_once = True

    def steps(self):
        rng = self.rng
        t = self.now
        # the first run: a full pass (nothing recorded), a catch-up
        self.enforce(t)
        for step in range(STEPS):
            r = rng.random()
            if r < 0.35:
                d = rng.randint(1, 30) * MIN
            elif r < 0.75:
                d = rng.randint(1, 12) * HOUR + rng.randint(0, 59) * MIN
            elif r < 0.85:
                d = rng.randint(25, 60) * HOUR
            else:
                # to just past (or onto) a session's idle cutoff: boundaries
                act = [s for s in self.m.values() if s.active]
                if act:
                    s = rng.choice(act)
                    target = s.la + self.timeout
                    if self.purge is not None and rng.random() < 0.4:
                        ina = [x for x in self.m.values() if not x.active]
                        if ina:
                            target = rng.choice(ina).la + self.purge
                    target = target - target % US + rng.choice([0, 0, US, 2 * US])
                    d = target - t if target > t else rng.randint(1, 30) * MIN
                else:
                    d = rng.randint(1, 30) * MIN
            t_next = t + d
            self.note("step %d: %s -> %s" % (step + 1, sql_time(t), sql_time(t_next)))
            self.app_step(t, t_next)
            if self.db.kind == "sqlite":
                self.check_rows("after the application's writes at step %d" % (step + 1))
            t = t_next
            self.enforce(t)


def run_seed(backend, seed, tmp):
    r = Run(backend, seed, tmp)
    try:
        r.setup()
        r.steps()
    except Discrepancy as e:
        print("FAIL %s seed %d: %s" % (backend, seed, e), flush=True)
        print("  replay: SESSCTL_MODEL_SEEDS=1 SESSCTL_MODEL_SEED=%d SESSCTL_MODEL_VERBOSE=1 tests/check-enforce-model.sh %s" % (seed, backend))
        print("  trace (last 60 lines):")
        for line in r.trace[-60:]:
            print("    " + line)
        if KEEP:
            print("  kept: %s" % r.db.url)
        else:
            r.db.drop()
        if r.db.kind == "postgres":
            PgDB(r.db.name + "_full", False).drop()
        return False
    r.db.drop()
    if r.db.kind == "postgres":
        PgDB(r.db.name + "_full", False).drop()
    return True


def main():
    tmp = tempfile.mkdtemp(prefix="sessctl-model.")
    build_shim(tmp)
    failed = 0
    passed = 0
    tested = 0
    t0 = time.time()
    try:
        for backend in BACKENDS:
            if backend == "postgres" and not PGDIR:
                continue
            n = N_SQLITE if backend == "sqlite" else N_PG
            tb = time.time()
            bad = 0
            for seed in range(FIRST_SEED, FIRST_SEED + n):
                if not run_seed(backend, seed, tmp):
                    bad += 1
            tested += 1
            failed += bad
            passed += n - bad
            print("check-enforce-model: %s: %d seeds, %d steps each, %d failed (%.1f s)" % (
                backend, n, STEPS, bad, time.time() - tb), flush=True)
    finally:
        if not KEEP:
            shutil.rmtree(tmp, ignore_errors=True)
    if not tested:
        print("check-enforce-model: no backend tested", file=sys.stderr)
        failed += 1
    print("check-enforce-model: %s in %.1f s" % ("FAILED" if failed else "ok", time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


main()
PYEOF
