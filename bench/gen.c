/* bench/gen: a deterministic generator of benchmark data shaped like a real
 * application's sessions table (issue 10, SPEC §6).
 *
 *   gen --sessions N --now 'YYYY-MM-DD HH:MM:SS' --out DIR [--seed S]
 *
 * writes DIR/users.csv and DIR/sessions.csv (RFC 4180, no header, every
 * column of the tables in order, times as UTC 'YYYY-MM-DD HH:MM:SS',
 * is_active 1/0: loadable both by sqlite3's .import and PostgreSQL's COPY
 * in a UTC session), and DIR/expect.txt, KEY=VALUE lines of what the data
 * holds and what an enforce (720 h idle timeout, limit 3) must do to it,
 * computed here independently of sessctl so the bench can check both.
 *
 * Shape, for N sessions: N/10 users; most with 1-3 sessions, about 5 %
 * with 4-9, power users with 10-200 taking the rest; 30 % of sessions idle
 * past 720 h before --now (half of those still flagged active: a neglected
 * table), 80 % of the others active; ids in creation order, so one user's
 * rows are scattered over the table; web and mobile devices with real
 * names (some with commas, quotes and non-ASCII letters), browsers, 64-hex
 * fingerprints, IPv4 and IPv6 addresses, some in 10.0.0.0/8 and a few
 * hundred (at 1 M) in 203.0.113.0/24. The same arguments give the same
 * bytes.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDLE_HOURS 720
#define LIMIT 3

static uint64_t rng_state;

/* splitmix64: small, fast and the same everywhere. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A uniform integer in [lo, hi]. */
static int64_t between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* True with probability per_million / 1e6. */
static int chance(unsigned per_million)
{
	return rnd() % 1000000u < per_million;
}

struct device {
	const char *name, *type, *browsers[3];
};

/* Names as users give them; some need CSV quoting or are not ASCII. */
static const struct device devices[] = {
	{ "iPhone 15", "mobile", { "Safari", "Safari", "Chrome" } },
	{ "iPhone 13 mini", "mobile", { "Safari", "Safari", "Firefox" } },
	{ "Pixel 8", "mobile", { "Chrome", "Chrome", "Firefox" } },
	{ "Galaxy S23", "mobile", { "Samsung Internet", "Chrome", "Chrome" } },
	{ "iPad Air", "mobile", { "Safari", "Safari", "Chrome" } },
	{ "Kitchen \"tablet\"", "mobile", { "Chrome", "Chrome", "Chrome" } },
	{ "MacBook Pro", "web", { "Safari", "Chrome", "Firefox" } },
	{ "MacBook Air", "web", { "Safari", "Chrome", "Chrome" } },
	{ "Windows PC", "web", { "Edge", "Chrome", "Firefox" } },
	{ "ThinkPad X1 Carbon", "web", { "Firefox", "Chrome", "Chrome" } },
	{ "Linux workstation", "web", { "Firefox", "Firefox", "Chrome" } },
	{ "Work laptop, 2nd floor", "web", { "Chrome", "Edge", "Chrome" } },
	{ "Zoë's Chromebook", "web", { "Chrome", "Chrome", "Chrome" } },
	{ "Büro-PC", "web", { "Edge", "Firefox", "Chrome" } },
};
#define NDEVICES (sizeof devices / sizeof devices[0])

struct session {
	int64_t id, user, created, last;
	int active, idle;
};

static void die(const char *msg)
{
	fprintf(stderr, "gen: %s\n", msg);
	exit(1);
}

static void die_errno(const char *what, const char *path)
{
	fprintf(stderr, "gen: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void format_time(int64_t t, char out[20])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		die("--now must be 'YYYY-MM-DD HH:MM:SS'");
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static int by_created(const void *a, const void *b)
{
	const struct session *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return x->user < y->user ? -1 : x->user > y->user;
}

/* One user's sessions together, most recent activity first, ties: higher
 * id first (the order in which enforce keeps sessions). */
static int by_user_recent(const void *a, const void *b)
{
	const struct session *x = *(const struct session *const *)a;
	const struct session *y = *(const struct session *const *)b;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		die_errno("cannot create", path);
	return f;
}

static void close_out(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f))
		die_errno("cannot write", path);
}

static void write_ip(FILE *f, unsigned per_million_test_net)
{
	if (chance(per_million_test_net))
		fprintf(f, "203.0.113.%d", (int)between(1, 254));
	else if (chance(60000))
		fprintf(f, "10.%d.%d.%d", (int)between(0, 255), (int)between(0, 255),
			(int)between(1, 254));
	else if (chance(50000))
		fprintf(f, "2001:db8:%x:%x::%x", (unsigned)between(0, 0xffff),
			(unsigned)between(0, 0xffff), (unsigned)between(1, 0xffff));
	else
		fprintf(f, "%d.%d.%d.%d", (int)between(11, 223), (int)between(0, 255),
			(int)between(0, 255), (int)between(1, 254));
}

int main(int argc, char **argv)
{
	int64_t nsessions = 0, now = -1;
	const char *out = NULL;
	uint64_t seed = 1;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die("usage: gen --sessions N --now 'YYYY-MM-DD HH:MM:SS' --out DIR [--seed S]");
		if (!strcmp(argv[i], "--sessions"))
			nsessions = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--now"))
			now = parse_time(argv[++i]);
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[++i], NULL, 10);
		else
			die("usage: gen --sessions N --now 'YYYY-MM-DD HH:MM:SS' --out DIR [--seed S]");
	}
	if (nsessions < 100 || now < 0 || !out)
		die("usage: gen --sessions N (>= 100) --now 'YYYY-MM-DD HH:MM:SS' --out DIR [--seed S]");
	rng_state = seed;

	/* How many sessions each user has: 85 % of users 1-3 (1.6 on
	 * average), 5 % 4-9, and the other 10 % power users with 10-200 in
	 * id order until N is reached; power users left over get 1 each. */
	int64_t nusers = nsessions / 10;
	int64_t *count = calloc((size_t)nusers + 1, sizeof *count);
	struct session *s = calloc((size_t)nsessions, sizeof *s);
	if (!count || !s)
		die("out of memory");
	int64_t left = nsessions, zero = 0, u;
	for (u = 1; u <= nusers; u++) {
		uint64_t r = rnd() % 1000;
		int64_t k = r < 500 ? 1 : r < 780 ? 2 : r < 850 ? 3 : r < 900 ? between(4, 9) : 0;
		count[u] = k;
		left -= k;
		zero += k == 0;
	}
	for (u = 1; u <= nusers; u++) {
		if (count[u] != 0)
			continue;
		int64_t k = between(10, 200), room = left - --zero; /* 1 for each later one */
		count[u] = k < room ? k : room > 1 ? room : 1;
		left -= count[u];
	}
	if (left < 0)
		die("internal: more sessions than asked for");
	count[1] += left; /* the rest, if the power users did not take it all */

	/* Times: idle sessions have last_activity before the cutoff, the
	 * others after it; all created within the last 365 days. */
	const int64_t cutoff = now - IDLE_HOURS * 3600, year_ago = now - 365 * 86400;
	int64_t n = 0;
	for (u = 1; u <= nusers; u++) {
		for (int64_t j = 0; j < count[u]; j++, n++) {
			struct session *x = &s[n];
			x->user = u;
			x->idle = chance(300000);
			if (x->idle) {
				x->created = between(year_ago, cutoff - 3600);
				x->last = between(x->created, cutoff - 60);
				x->active = chance(500000);
			} else {
				x->last = between(cutoff + 60, now - 60);
				x->created = between(year_ago, x->last);
				x->active = chance(800000);
			}
		}
	}
	qsort(s, (size_t)nsessions, sizeof *s, by_created);

	char path[4096], t1[20], t2[20];
	FILE *f = open_out(out, "users.csv", path, sizeof path);
	for (u = 1; u <= nusers; u++)
		fprintf(f, "%" PRId64 ",user%" PRId64 "@example.com,user%" PRId64 ",%s\n", u, u, u,
			u % 5000 == 1 ? "admin" : "user");
	close_out(f, path);

	/* 203.0.113.0/24: about 300 per million, at least 20 sessions. */
	unsigned test_net = (unsigned)(nsessions >= 66667 ? 300 : 20000000 / nsessions);
	f = open_out(out, "sessions.csv", path, sizeof path);
	for (n = 0; n < nsessions; n++) {
		struct session *x = &s[n];
		const struct device *d = &devices[rnd() % NDEVICES];
		x->id = n + 1;
		format_time(x->created, t1);
		format_time(x->last, t2);
		fprintf(f, "%" PRId64 ",%" PRId64 ",%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 ",",
			x->id, x->user, rnd(), rnd(), rnd(), rnd());
		if (strpbrk(d->name, ",\"")) { /* RFC 4180 quoting */
			fputc('"', f);
			for (const char *c = d->name; *c; c++)
				fputs(*c == '"' ? "\"\"" : (char[]){ *c, 0 }, f);
			fputc('"', f);
		} else {
			fputs(d->name, f);
		}
		fprintf(f, ",%s,%s,", d->type, d->browsers[rnd() % 3]);
		write_ip(f, test_net);
		fprintf(f, ",%s,%s,%d\n", t1, t2, x->active);
	}
	close_out(f, path);

	/* What enforce must do: expire active idle sessions, then close all
	 * but the LIMIT most recent active sessions of each user. */
	struct session **p = malloc((size_t)nsessions * sizeof *p);
	if (!p)
		die("out of memory");
	int64_t active = 0, idle = 0, expire = 0, over_users = 0, max_active = 0;
	for (n = 0; n < nsessions; n++) {
		p[n] = &s[n];
		active += s[n].active;
		idle += s[n].idle;
		expire += s[n].active && s[n].idle;
	}
	qsort(p, (size_t)nsessions, sizeof *p, by_user_recent);
	int64_t limit_close = 0, over_after = 0, after_active = 0;
	for (n = 0; n < nsessions;) {
		int64_t all = 0, live = 0, m = n;
		for (; m < nsessions && p[m]->user == p[n]->user; m++) {
			all += p[m]->active;
			live += p[m]->active && !p[m]->idle;
		}
		over_users += all > LIMIT;
		over_after += live > LIMIT;
		if (all > max_active)
			max_active = all;
		limit_close += live > LIMIT ? live - LIMIT : 0;
		after_active += live > LIMIT ? LIMIT : live;
		n = m;
	}
	f = open_out(out, "expect.txt", path, sizeof path);
	fprintf(f,
		"users=%" PRId64 "\nsessions=%" PRId64 "\nactive=%" PRId64 "\ninactive=%" PRId64
		"\nidle=%" PRId64 "\nusers_over=%" PRId64 "\nmax_active=%" PRId64
		"\nexpire=%" PRId64 "\nusers_over_after_expire=%" PRId64 "\nover_limit=%" PRId64
		"\nactive_after=%" PRId64 "\npurged=%" PRId64 "\n",
		nusers, nsessions, active, nsessions - active, idle, over_users, max_active, expire,
		over_after, limit_close, after_active, idle);
	close_out(f, path);
	free(p);
	free(s);
	free(count);
	return 0;
}
