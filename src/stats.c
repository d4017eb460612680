/* Statistics for admins and monitoring (db.h): count --by device-type,
 * browser and day, and what metrics reports; each in one read
 * transaction. */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

#define DAY 86400

/* floor(a / b) for b > 0, also for a time before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int missing_slot(struct sc_db *db, const char *what, struct sc_error *err)
{
	return sc_error_set(err, SC_SOFTWARE, "the %s backend cannot %s", db->backend->name, what);
}

/* ---- count --by device-type, browser ---- */

struct by_group {
	enum sc_group_key key;
	sc_group_count_cb cb;
	void *ctx;
};

static int by_group_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct by_group *b = vctx;

	if (!db->backend->count_by_group)
		return missing_slot(db, "count by group", err);
	return db->backend->count_by_group(db, b->key, b->cb, b->ctx, err);
}

int sc_count_by_group(struct sc_db *db, enum sc_group_key key, sc_group_count_cb cb,
		      void *ctx, struct sc_error *err)
{
	struct by_group b = { key, cb, ctx };
	return sc_db_read(db, by_group_body, &b, err);
}

/* ---- count --by day ---- */

struct by_day {
	bool has_since;
	int64_t since_day; /* the first day charted, with has_since (0001-01-01
			    * at the earliest: no earlier day has a date) */
	int64_t since;     /* and the start of the day --since is in, for the
			    * query (4712 BC at the earliest) */
	int64_t now_day;
	bool started;
	int64_t next;      /* the next day to give, once started */
	sc_day_count_cb cb;
	void *ctx;
};

/* Days are charted with zeros in between, but a day before 1970 (an
 * unreadable time counts as the earliest time for the rules) gets a row
 * of its own, not a zero row for each of the millennia between it and the
 * data, unless --since asks for that range; so does a day more than a
 * year after today (a year mistyped, PostgreSQL's infinity). */
#define FILL_FROM_DAY 0
#define FILL_AHEAD_DAYS 366
/* The day of 0001-01-01, the first a date shows (backends count earlier
 * times on it). */
#define DAY_0001 (SC_TIME_FIRST / DAY)
/* A day in 4712 BC: a --since before it asks for every time there is
 * but the earliest (SQLite's unreadable times, PostgreSQL's -infinity),
 * as any early --since does, and is a time both backends can take. */
#define DAY_QUERY_MIN (-2440000)

/* Gives the empty days from b->next up to (not including) day. */
static int fill_to(struct by_day *b, int64_t day)
{
	for (; b->next < day; b->next++) {
		struct sc_day_count z = { b->next, 0, 0 };
		int rc = b->cb(&z, b->ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int day_row(const struct sc_day_count *d, void *vctx)
{
	struct by_day *b = vctx;
	int rc;

	/* Before 1970 and before any --since: a row of its own, no zeros
	 * around it (the data starts later). */
	if (d->day < FILL_FROM_DAY && !(b->has_since && b->since_day <= d->day) && !b->started)
		return b->cb(d, b->ctx);
	if (!b->started) {
		b->started = true;
		b->next = b->has_since && b->since_day < d->day ? b->since_day : d->day;
	}
	/* Far after today (a mistyped year; infinity is 9999-12-31): a row
	 * of its own after today's, no zeros up to it. */
	if ((rc = fill_to(b, d->day > b->now_day + FILL_AHEAD_DAYS ? b->now_day + 1 : d->day)) != 0 ||
	    (rc = b->cb(d, b->ctx)) != 0)
		return rc;
	b->next = d->day + 1;
	return 0;
}

static int by_day_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct by_day *b = vctx;
	int rc;

	if (!db->backend->count_by_day)
		return missing_slot(db, "count by day", err);
	b->started = false;
	rc = db->backend->count_by_day(db, b->has_since, b->since, day_row, b, err);
	if (rc)
		return rc;
	if (!b->started) {
		if (!b->has_since)
			return 0; /* no times at all: nothing to chart */
		b->started = true;
		b->next = b->since_day;
	}
	return fill_to(b, b->now_day + 1);
}

int sc_count_by_day(struct sc_db *db, bool has_since, int64_t since, int64_t now,
		    sc_day_count_cb cb, void *ctx, struct sc_error *err)
{
	int64_t day = has_since ? floor_div(since, DAY) : 0;
	struct by_day b = {
		.has_since = has_since,
		/* A --since of a million days charted 0001-01-01 260,000
		 * times; what it counts is still every time from there. */
		.since_day = day < DAY_0001 ? DAY_0001 : day,
		.since = (day < DAY_QUERY_MIN ? DAY_QUERY_MIN : day) * DAY,
		.now_day = floor_div(now, DAY),
		.cb = cb,
		.ctx = ctx,
	};
	return sc_db_read(db, by_day_body, &b, err);
}

/* ---- metrics ---- */

/* The device types and audit actions that always have a sample, so that
 * a rate or an alert sees 0 rather than nothing. */
static const char *const device_types[] = { "mobile", "web" };
static const char *const actions[] = {
	"create", "expire", "logout", "logout-all", "over-limit", "purge",
};

struct counts {
	struct sc_named_count *v;
	size_t n, cap;
	bool oom;
};

static bool same_name(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Adds n to name's entry, making one (at the end) when there is none. */
static int counts_add(struct counts *c, const char *name, int64_t n)
{
	for (size_t i = 0; i < c->n; i++)
		if (same_name(c->v[i].name, name)) {
			c->v[i].n += n;
			return 0;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct sc_named_count *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].name = NULL;
	if (name && !(c->v[c->n].name = strdup(name)))
		return -1;
	c->v[c->n++].n = n;
	return 0;
}

/* Byte order, NULL (an empty label value) first. */
static int by_name(const void *a, const void *b)
{
	const struct sc_named_count *x = a, *y = b;

	if (!x->name || !y->name)
		return !y->name - !x->name;
	return strcmp(x->name, y->name);
}

static void counts_clear(struct counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	c->n = 0;
}

static void counts_free(struct counts *c)
{
	counts_clear(c);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Adds n under the label value name is printed as: NULL and '' are both
 * "", and every byte that is not UTF-8 is U+FFFD (prom.c), so values that
 * print alike are one sample, not two with the same labels (which a
 * scraper rejects or drops). */
static int counts_add_label(struct counts *c, const char *name, int64_t n)
{
	char *fixed;
	int rc;

	if (sc_utf8_repair(name ? name : "", &fixed) < 0)
		rc = -1;
	else
		rc = counts_add(c, fixed ? fixed : name ? name : "", n);
	free(fixed);
	if (rc < 0)
		c->oom = true;
	return rc;
}

/* Types with only closed sessions get no sample of their own. */
static int device_row(const struct sc_group_count *g, void *vctx)
{
	return g->active ? counts_add_label(vctx, g->key, g->active) : 0;
}

static int action_row(const char *action, int64_t n, void *vctx)
{
	return counts_add_label(vctx, action, n);
}

struct metrics_read {
	const struct sc_metrics_request *req;
	struct sc_metrics *m;
	struct counts devices, actions;
};

static int metrics_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct metrics_read *mr = vctx;
	const struct sc_metrics_request *req = mr->req;
	const struct sc_backend *be = db->backend;
	struct sc_stats_snapshot snap = { 0 };
	int rc;

	if (!be->count_by_group || !be->stats_snapshot || !be->audit_counts)
		return missing_slot(db, "read metrics", err);
	/* A retried transaction starts over. */
	counts_clear(&mr->devices);
	counts_clear(&mr->actions);
	for (size_t i = 0; i < sizeof(device_types) / sizeof(*device_types); i++)
		if (counts_add(&mr->devices, device_types[i], 0) < 0)
			goto oom;
	for (size_t i = 0; i < sizeof(actions) / sizeof(*actions); i++)
		if (counts_add(&mr->actions, actions[i], 0) < 0)
			goto oom;
	rc = be->count_by_group(db, SC_GROUP_DEVICE_TYPE, device_row, &mr->devices, err);
	if (rc == 0)
		rc = be->stats_snapshot(db, req->max_sessions, req->now - req->idle_timeout, &snap, err);
	if (rc == 0)
		rc = be->audit_counts(db, req->now - req->audit_window, req->now, action_row,
				      &mr->actions, err);
	if (mr->devices.oom || mr->actions.oom)
		goto oom;
	if (rc)
		return rc;
	mr->m->users_over_limit = snap.users_over_limit;
	mr->m->idle_sessions = snap.idle_sessions;
	mr->m->oldest_idle_age = snap.idle_sessions ? req->now - snap.oldest_idle_activity : 0;
	if (mr->m->oldest_idle_age < 0)
		mr->m->oldest_idle_age = 0;
	return 0;
oom:
	return sc_error_set(err, SC_SOFTWARE, "out of memory");
}

int sc_metrics_read(struct sc_db *db, const struct sc_metrics_request *req,
		    struct sc_metrics *m, struct sc_error *err)
{
	struct metrics_read mr = { .req = req, .m = m };

	memset(m, 0, sizeof(*m));
	if (sc_db_read(db, metrics_body, &mr, err) < 0) {
		counts_free(&mr.devices);
		counts_free(&mr.actions);
		return -1;
	}
	qsort(mr.devices.v, mr.devices.n, sizeof(*mr.devices.v), by_name);
	qsort(mr.actions.v, mr.actions.n, sizeof(*mr.actions.v), by_name);
	m->device_types = mr.devices.v;
	m->ndevice_types = mr.devices.n;
	m->actions = mr.actions.v;
	m->nactions = mr.actions.n;
	return 0;
}

void sc_metrics_free(struct sc_metrics *m)
{
	struct counts d = { m->device_types, m->ndevice_types, 0, false };
	struct counts a = { m->actions, m->nactions, 0, false };

	counts_free(&d);
	counts_free(&a);
	memset(m, 0, sizeof(*m));
}
