/* logout --where: the active sessions find's filters select, closed in
 * batches like enforce's (each batch one short transaction that selects
 * the next ids after the last batch's, closes them and writes their
 * audit rows), so the application keeps working, an interrupt leaves
 * whole batches, and a rerun closes what is left. */
#include "change.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- a set of user ids, to count distinct users ---- */

struct idset {
	int64_t *v; /* open addressing; INT64_MIN marks a free slot */
	size_t cap, n;
	bool has_min; /* INT64_MIN itself, which cannot be stored */
};

static size_t slot(int64_t id, size_t cap)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 17) & (cap - 1);
}

static int idset_grow(struct idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	int64_t *v = malloc(cap * sizeof(*v));

	if (!v)
		return -1;
	for (size_t i = 0; i < cap; i++)
		v[i] = INT64_MIN;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->v[i] == INT64_MIN)
			continue;
		size_t j = slot(s->v[i], cap);
		while (v[j] != INT64_MIN)
			j = (j + 1) & (cap - 1);
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

/* Where id is in s, or the free slot where it would go (s->cap > 0). */
static size_t probe(const struct idset *s, int64_t id)
{
	size_t j = slot(id, s->cap);
	while (s->v[j] != INT64_MIN && s->v[j] != id)
		j = (j + 1) & (s->cap - 1);
	return j;
}

static int idset_add(struct idset *s, int64_t id)
{
	if (id == INT64_MIN) {
		s->has_min = true;
		return 0;
	}
	if ((s->n + 1) * 2 > s->cap && idset_grow(s) < 0)
		return -1;
	size_t j = probe(s, id);
	if (s->v[j] == INT64_MIN) {
		s->v[j] = id;
		s->n++;
	}
	return 0;
}

/* Empties s, keeping its memory. */
static void idset_clear(struct idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		s->v[i] = INT64_MIN;
	s->n = 0;
	s->has_min = false;
}

static int64_t idset_count(const struct idset *s)
{
	return (int64_t)s->n + s->has_min;
}

static bool idset_has(const struct idset *s, int64_t id)
{
	if (id == INT64_MIN)
		return s->has_min;
	return s->cap && s->v[probe(s, id)] == id;
}

/* The sessions a round left, as a set, and the smallest and largest of
 * them: a walk in id order from the first to the last meets every one
 * the filters still select. */
struct left_span {
	struct idset ids;
	int64_t first, last; /* INT64_MAX and INT64_MIN for none */
};

/* span <- left (its set emptied first, its memory kept); -1 when out of
 * memory. */
static int left_span_of(struct left_span *span, const struct sc_ids *left)
{
	idset_clear(&span->ids);
	span->first = INT64_MAX;
	span->last = INT64_MIN;
	for (size_t i = 0; i < left->n; i++) {
		int64_t id = left->v[i];
		if (idset_add(&span->ids, id) < 0)
			return -1;
		span->first = id < span->first ? id : span->first;
		span->last = id > span->last ? id : span->last;
	}
	return 0;
}

/* req's walk starts at span's first session. */
static void walk_from_first(struct sc_find_request *req, const struct left_span *span)
{
	req->has_from = true;
	req->from = span->first;
}

/* ---- counting ---- */

struct count_ctx {
	int64_t sessions;
	struct idset users;
	bool oom;
};

static int count_row(const struct sc_find_row *r, void *vctx)
{
	struct count_ctx *c = vctx;

	c->sessions++;
	if (!r->s.user_id_null && idset_add(&c->users, r->s.user_id) < 0)
		return c->oom = true, -1;
	return 0;
}

/* The filter as a bulk logout reads it: active sessions only. */
static struct sc_find_request active_only(const struct sc_find_request *filter)
{
	struct sc_find_request req = *filter;

	req.state = SC_FIND_ACTIVE;
	req.with_user = false;
	req.limit = 0;
	req.has_from = false;
	return req;
}

/* The users req names (--user) as ids, looked up in the transaction
 * in progress (SC_NOUSER for an unknown one), and req made to select by
 * them (ids holds them). Once a bulk logout's users are resolved, every
 * batch, its end count and the question before it select by these ids:
 * looked up again by name, a user renamed meanwhile ended the run with
 * 67, or, the name given to another user, made it close that user's
 * sessions. */
static int resolve_users(struct sc_db *db, struct sc_find_request *req, struct sc_ids *ids,
			 struct sc_error *err)
{
	if (!req->nusers)
		return 0;
	ids->n = 0;
	if (sc_find_user_ids(db, req->users, req->nusers, ids, err) < 0)
		return -1;
	req->users = NULL;
	req->nusers = 0;
	req->user_ids = ids->v;
	req->nuser_ids = ids->n;
	return 0;
}

struct bulk_count {
	struct sc_find_request *filter;
	struct sc_ids *ids;
	struct count_ctx c;
};

static int count_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct bulk_count *b = vctx;

	free(b->c.users.v);
	memset(&b->c, 0, sizeof(b->c));
	if (resolve_users(db, b->filter, b->ids, err) < 0)
		return -1;
	struct sc_find_request req = active_only(b->filter);
	int rc = sc_find_in_tx(db, &req, count_row, &b->c, err);
	if (rc != 0 && b->c.oom)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	return rc;
}

int sc_bulk_count(struct sc_db *db, struct sc_find_request *filter, struct sc_ids *ids,
		  int64_t *sessions, int64_t *users, struct sc_error *err)
{
	struct bulk_count b = { .filter = filter, .ids = ids };
	int rc = sc_read_again(db, count_body, &b, NULL, err);

	*sessions = b.c.sessions;
	*users = idset_count(&b.c.users);
	free(b.c.users.v);
	return rc == 0 ? 0 : -1;
}

/* ---- the batches ---- */

/* How many times the batches run again on left sessions that are free
 * but not closed (as enforce's steps: SC_ENFORCE_ROUNDS). */
#define SC_BULK_ROUNDS 3

struct bulk_ctx {
	const struct sc_bulk_opts *o;
	const struct sc_action *a;
	struct sc_find_request req; /* active only, from `from`, batch at most */
	struct sc_ids ids;          /* the batch's sessions */
	struct sc_ids batch_users;  /* ... and their users, distinct */
	bool keyless;               /* one of them has no user */
	struct sc_ids closed_users; /* users of the sessions it closed */
	struct changes *held;       /* a dry run's rows, passed on as they come,
				     * so that sc_run_tx can tell whether a
				     * retry would show one twice */
	struct sc_ids left;         /* sessions the batches left: another
				     * transaction held them (struct sc_db) */
	struct sc_ids user_ids;     /* the filter's users, resolved once
				     * (resolve_users), unless the filter
				     * comes resolved (sc_bulk_count) */
	double body_started;        /* sc_monotonic_ms() as the last attempt began */
	int64_t done;               /* sessions it closed */
	bool finished;              /* nothing matches past this batch */
	bool oom;
	/* Left sessions no one holds any more that are still to close
	 * (count_left took their locks and counted them, as enforce does):
	 * the batches run again, up to rounds_left times more. */
	bool free_due;
	int rounds_left;
	/* A rerun's batches close only what the round before left (only),
	 * where the filters still select it. */
	bool only_left;
	struct left_span only;
	int64_t seen, seen_last; /* rows the batch's select gave, the last */
	bool past;               /* past only.last */
};

static int collect(const struct sc_find_row *r, void *vctx)
{
	struct bulk_ctx *c = vctx;

	if (c->only_left && r->s.id > c->only.last)
		return c->past = true, 1;
	c->seen++;
	c->seen_last = r->s.id;
	if (c->only_left && !idset_has(&c->only.ids, r->s.id))
		return 0;
	if (sc_ids_push(&c->ids, r->s.id) < 0)
		return c->oom = true, -1;
	if (r->s.user_id_null)
		c->keyless = true;
	else if (sc_ids_push(&c->batch_users, r->s.user_id) < 0)
		return c->oom = true, -1;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The batch's users, sorted and distinct. */
static void distinct_users(struct sc_ids *u)
{
	size_t n = 0;

	if (u->n < 2) /* none (u->v may be NULL, which qsort must not get) or one */
		return;
	qsort(u->v, u->n, sizeof(*u->v), cmp_id);
	for (size_t i = 0; i < u->n; i++)
		if (!n || u->v[n - 1] != u->v[i])
			u->v[n++] = u->v[i];
	u->n = n;
}

/* close_sessions' callback: the closed row's user, and in a dry run the
 * row itself for the caller, through c->held (so that sc_run_tx knows
 * whether a retry would show a row twice, or must start the report
 * over: sc_action.rewind). */
static int on_closed(const struct sc_session *s, void *vctx)
{
	struct bulk_ctx *c = vctx;

	/* A session of no user (user_id NULL) counts for none. */
	if (!s->user_id_null && sc_ids_push(&c->closed_users, s->user_id) < 0)
		return c->oom = true, -1;
	if (c->a->dry_run && c->a->cb)
		return sc_changes_add(c->held, SC_CHANGE_CLOSED, s);
	return 0;
}

/* One batch: the next active matching sessions from req.from, closed
 * with their audit rows. The close is keyed by the users of the
 * sessions too, unless one has none: on a table distributed by user_id
 * it goes to their shards only (README, Deployments). */
static int batch_body(struct sc_db *db, struct bulk_ctx *c, struct sc_error *err)
{
	const struct sc_action *a = c->a;
	int n;

	c->ids.n = 0;
	c->batch_users.n = 0;
	c->keyless = false;
	c->closed_users.n = 0;
	c->done = 0;
	c->seen = 0;
	c->past = false;
	int frc = sc_find_in_tx(db, &c->req, collect, c, err);
	if (frc != 0 && !(frc == 1 && c->past && err->status == SC_OK))
		return c->oom ? sc_error_set(err, SC_SOFTWARE, "out of memory") : -1;
	c->finished = c->past || c->seen < c->req.limit;
	if (c->ids.n == 0)
		return 0;
	distinct_users(&c->batch_users);
	struct sc_change ch = sc_change_for(a, "logout", c->keyless ? NULL : c->batch_users.v,
					    c->keyless ? 0 : c->batch_users.n);
	n = db->backend->close_sessions(db, c->ids.v, c->ids.n, &ch, on_closed, c, err);
	if (n < 0)
		return err->status || !c->oom ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");
	c->done = n;
	return 0;
}

static int batch_tx(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct bulk_ctx *c = vctx;

	c->body_started = sc_monotonic_ms();
	if (sc_check_actor(db, c->a, err) < 0 || resolve_users(db, &c->req, &c->user_ids, err) < 0)
		return -1;
	return batch_body(db, c, err);
}

/* After a batch committed: its totals, and the walk moves past it. */
static int tally(struct bulk_ctx *c, struct idset *users, struct sc_bulk_result *r)
{
	for (size_t i = 0; i < c->closed_users.n; i++)
		if (idset_add(users, c->closed_users.v[i]) < 0)
			return -1;
	if (c->seen && c->seen_last == INT64_MAX) {
		c->finished = true; /* no id past it */
	} else if (c->seen) {
		c->req.has_from = true;
		c->req.from = c->seen_last + 1;
	}
	r->closed += c->done;
	r->batches += c->done > 0;
	r->users = idset_count(users);
	return 0;
}

/* After a batch (or the dry run) went through: the sessions it left. */
static int keep_left(struct sc_db *db, struct bulk_ctx *c)
{
	return sc_ids_append(&c->left, &db->left_closes);
}

struct selected_ctx {
	const struct bulk_ctx *c;
	struct left_span left;
	int64_t n;
};

static int count_selected(const struct sc_find_row *r, void *vctx)
{
	struct selected_ctx *sel = vctx;

	if (r->s.id > sel->left.last)
		return 1; /* past the last one left: ids come in order */
	sel->n += idset_has(&sel->left.ids, r->s.id);
	return 0;
}

/* What the filters select now, from the first session left to the last
 * (not the whole selection: after a signal, that is all the run did not
 * reach). */
static int selected_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct selected_ctx *sel = vctx;
	struct sc_find_request req = active_only(&sel->c->req); /* the users resolved */
	int rc;

	sel->n = 0;
	walk_from_first(&req, &sel->left);
	rc = sc_find_in_tx(db, &req, count_selected, sel, err);
	return rc == 1 && err->status == SC_OK ? 0 : rc;
}

/* Of the sessions left and still active, those the filters still select
 * (the holder may have refreshed one past --idle-for: a rerun would not
 * close it). */
static int still_selected(struct sc_db *db, void *vctx, int64_t *count, struct sc_error *err)
{
	const struct bulk_ctx *c = vctx;
	struct selected_ctx sel = { .c = c };
	int rc;

	if (left_span_of(&sel.left, &c->left) < 0) {
		free(sel.left.ids.v);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	sc_error_clear(err);
	rc = sc_read_again(db, selected_body, &sel, NULL, err);
	free(sel.left.ids.v);
	if (rc < 0)
		return -1;
	*count = sel.n < *count ? sel.n : *count;
	return 0;
}

/* At the end: how many of the sessions left are still to close: still
 * active (another logout beside this one may have closed them), and
 * still selected. */
static int count_left(struct sc_db *db, struct bulk_ctx *c, struct sc_bulk_result *r,
		      struct sc_error *err)
{
	const struct sc_ids none = { 0 };
	struct sc_left_how how = { .again = !c->a->dry_run, .refine = still_selected,
				   .ctx = c,
				   .free_due = c->rounds_left > 0 ? &c->free_due : NULL };

	return sc_count_left(db, &c->left, NULL, &none, &none, 0, &how, &r->locked, NULL, err);
}

/* count_left after the batches (rc), also after a signal (what was left
 * is told), not after a failure; rc as it was, unless the count failed. */
static int count_after(struct sc_db *db, struct bulk_ctx *c, struct sc_bulk_result *r, int rc,
		       struct sc_error *err)
{
	struct sc_error cerr = { 0 };

	db->may_skip_locked = false;
	if (rc < 0 && err->status != SC_INTERRUPTED)
		return rc;
	if (count_left(db, c, r, &cerr) < 0 && rc == 0) {
		*err = cerr;
		return -1;
	}
	/* A signal during the count's wait, after the last batch: stopped
	 * all the same (130 or 143). */
	if (rc == 0 && c->o->stop && *c->o->stop)
		r->interrupted = true;
	return rc;
}

/* A dry run: every batch in one transaction, rolled back. */
struct dry_ctx {
	struct bulk_ctx *c;
	struct idset *users;
	struct sc_bulk_result *r;
};

static int dry_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct dry_ctx *d = vctx;

	/* A retry starts over (and its report with it: sc_run_tx). */
	memset(d->r, 0, sizeof(*d->r));
	idset_clear(d->users);
	d->c->req.has_from = false;
	if (sc_check_actor(db, d->c->a, err) < 0 ||
	    resolve_users(db, &d->c->req, &d->c->user_ids, err) < 0)
		return -1;
	do {
		const volatile sig_atomic_t *stop = d->c->o->stop;
		if (stop && *stop) {
			d->r->interrupted = true;
			return 0;
		}
		if (batch_body(db, d->c, err) < 0)
			return -1;
		if (tally(d->c, d->users, d->r) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	} while (!d->c->finished);
	return 0;
}

/* As enforce: double while a batch is fast (up to sc_batch_quick's
 * size), halve when it is slow (not below SC_BATCH_MIN, and never up to
 * it: a batch under it is one a statement timeout shrank). */
static int64_t next_batch(struct sc_db *db, int64_t batch, double ms)
{
	if (ms < SC_BATCH_FAST_MS) {
		int64_t most = sc_batch_quick(db, batch);
		return batch * 2 < most ? batch * 2 : most;
	}
	if (ms > SC_BATCH_SLOW_MS && batch > SC_BATCH_MIN)
		return batch / 2 > SC_BATCH_MIN ? batch / 2 : SC_BATCH_MIN;
	return batch;
}

static int run_batches(struct sc_db *db, struct bulk_ctx *c, struct idset *users,
		       struct sc_bulk_result *r, struct sc_error *err)
{
	const struct sc_bulk_opts *o = c->o;

	c->req.limit = o->batch_size ? o->batch_size : SC_BATCH_MIN;
	sc_batch_start(db);
	do {
		if (o->stop && *o->stop) {
			r->interrupted = true;
			return 0;
		}
		if (sc_run_batch(db, false, batch_tx, c, NULL, &c->req.limit, o->batch_size, err) < 0)
			return -1;
		/* As enforce: how long the batch held its transaction, not the
		 * waits and attempts before it (a batch that waited out a lock
		 * held by the application must not shrink for it). */
		double took = sc_monotonic_ms() - c->body_started;
		if (tally(c, users, r) < 0 || keep_left(db, c) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		if (!o->batch_size)
			c->req.limit = next_batch(db, c->req.limit, took);
		/* As enforce: the application gets the lock between batches
		 * (without the pause, on SQLite, it waited out the whole run). */
		if (!c->finished)
			sc_batch_pause(db, took, o->batch_size != 0);
	} while (!c->finished);
	return 0;
}

int sc_logout_where(struct sc_db *db, const struct sc_bulk_opts *o, const struct sc_action *a,
		    struct sc_bulk_result *r, struct sc_error *err)
{
	struct bulk_ctx c = { .o = o, .a = a, .req = active_only(o->filter) };
	struct idset users = { 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	db->stop = o->stop;
	db->may_skip_locked = true;
	if (a->dry_run) {
		struct dry_ctx d = { &c, &users, r };
		struct changes held = { .a = a };
		c.held = &held;
		c.req.limit = o->batch_size ? o->batch_size : SC_BATCH_MAX;
		rc = sc_run_batch(db, true, dry_body, &d, &held, &c.req.limit, o->batch_size, err);
		if (rc == 0 && keep_left(db, &c) < 0)
			rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
		sc_changes_free(&held);
		rc = count_after(db, &c, r, rc, err);
	} else {
		c.rounds_left = SC_BULK_ROUNDS;
		rc = run_batches(db, &c, &users, r, err);
		rc = count_after(db, &c, r, rc, err);
		while (rc == 0 && c.free_due && !r->interrupted) {
			sc_db_notice(db, "logout: %" PRId64 " session%s left by a batch %s free now "
				     "but not closed: running the batches again", r->locked,
				     r->locked == 1 ? "" : "s", r->locked == 1 ? "is" : "are");
			c.free_due = false;
			c.rounds_left--;
			r->locked = 0;
			/* What was left, not the whole selection again: a session
			 * closed in the round before and active again since (its
			 * user logged in again) is not closed twice. */
			if (left_span_of(&c.only, &c.left) < 0) {
				rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
				break;
			}
			c.only_left = true;
			c.left.n = 0;
			walk_from_first(&c.req, &c.only);
			db->may_skip_locked = true;
			rc = run_batches(db, &c, &users, r, err);
			rc = count_after(db, &c, r, rc, err);
		}
	}
	rc = sc_batched_run_end(db, rc, err, &r->interrupted);
	sc_ids_free(&c.left);
	sc_ids_free(&db->left_closes);
	sc_ids_free(&db->left_purges);
	sc_ids_free(&db->left_users);
	sc_ids_free(&c.ids);
	sc_ids_free(&c.batch_users);
	sc_ids_free(&c.closed_users);
	sc_ids_free(&c.user_ids);
	free(c.only.ids.v);
	free(users.v);
	return rc;
}
