#include "actions.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query.h"

const char *sc_change_name(enum sc_change_kind kind)
{
	static const char *const names[] = {
		[SC_CHANGE_CLOSED] = "closed",
		[SC_CHANGE_ALREADY_CLOSED] = "already-closed",
		[SC_CHANGE_EXPIRED] = "expired",
		[SC_CHANGE_OVER_LIMIT] = "over-limit",
		[SC_CHANGE_PURGED] = "purged",
		[SC_CHANGE_CREATED] = "created",
		[SC_CHANGE_REFRESHED] = "refreshed",
	};
	return names[kind];
}

/* ---- changes held back until the transaction commits ---- */

struct held {
	enum sc_change_kind kind;
	struct sc_session s; /* strings owned */
};

struct changes {
	struct held *v;
	size_t n, cap;
	bool oom;
	const struct sc_action *a;
};

static void changes_reset(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		sc_session_release(&c->v[i].s);
	c->n = 0;
	c->oom = false;
}

static void changes_free(struct changes *c)
{
	changes_reset(c);
	free(c->v);
	c->v = NULL;
	c->cap = 0;
}

/* Records a change: held until commit, or passed on at once in a dry run
 * (which is never retried). */
static int changes_add(struct changes *c, enum sc_change_kind kind, const struct sc_session *s)
{
	struct held *h;

	if (!c->a->cb)
		return 0;
	if (c->a->dry_run)
		return c->a->cb(kind, s, c->a->ctx);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct held *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->oom = true;
			return -1;
		}
		c->v = v;
		c->cap = cap;
	}
	h = &c->v[c->n];
	h->kind = kind;
	if (sc_session_copy(s, &h->s) < 0) {
		c->oom = true;
		return -1;
	}
	c->n++;
	return 0;
}

static int changes_flush(struct changes *c)
{
	int rc = 0;
	if (!c->a->dry_run && c->a->cb)
		for (size_t i = 0; i < c->n && rc == 0; i++)
			rc = c->a->cb(c->v[i].kind, &c->v[i].s, c->a->ctx);
	return rc;
}

/* ---- transactions with bounded retries ---- */

typedef int (*tx_body)(struct sc_db *db, void *ctx, struct sc_error *err);

static void backoff(int attempt)
{
	/* 20 ms, 40 ms, ... with jitter, so two retrying processes part
	 * (from the clock: rand() would give every process the same). */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (20L << (attempt - 1)) + now.tv_nsec / 1000 % 20;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Runs body in a write transaction; commits, or with dry_run rolls back.
 * Retries on SC_TEMPFAIL (busy, serialization failure, deadlock). */
static int run_tx(struct sc_db *db, bool dry_run, tx_body body, void *ctx,
		  struct changes *held, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;

	for (int attempt = 1;; attempt++) {
		if (held)
			changes_reset(held);
		sc_error_clear(err);
		if (be->begin(db, SC_TX_WRITE, err) == 0) {
			if (body(db, ctx, err) == 0) {
				if (held && held->oom) {
					be->rollback(db);
					return sc_error_set(err, SC_SOFTWARE, "out of memory");
				}
				if (dry_run) {
					be->rollback(db);
					return 0;
				}
				if (be->commit(db, err) == 0)
					return 0;
			} else {
				be->rollback(db);
			}
		}
		if (err->status != SC_TEMPFAIL || dry_run)
			return -1;
		if (attempt == SC_TX_ATTEMPTS) {
			char msg[sizeof(err->msg)];
			memcpy(msg, err->msg, sizeof(msg));
			return sc_error_set(err, SC_TEMPFAIL, "%s (gave up after %d attempts)", msg,
					    SC_TX_ATTEMPTS);
		}
		backoff(attempt);
	}
}

/* ---- the actor rule ---- */

int sc_check_actor(struct sc_db *db, const char *actor, struct sc_error *err)
{
	struct sc_userref ref;
	struct sc_user user = { 0 };
	int rc;

	if (!actor || !*actor)
		return sc_error_set(err, SC_USAGE, "actor is empty: give --actor NAME");
	if (sc_userref_parse(actor, &ref, err) < 0)
		return -1;
	if (ref.kind == SC_USER_BY_ID && ref.id < 0)
		return 0;
	rc = db->backend->find_user(db, &ref, &user, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return 0; /* not an application user: an operator's login name */
	if (rc == 2)
		return sc_error_set(err, SC_NOPERM,
			"actor '%s' names more than one user: give an admin's id or email", actor);
	rc = user.role && strcmp(user.role, "admin") == 0 ? 0
		: sc_error_set(err, SC_NOPERM,
			       "actor '%s' is user %lld with role '%s', not admin: permission denied",
			       actor, (long long)user.id, user.role ? user.role : "none");
	sc_user_free(&user);
	return rc;
}

/* ---- shared pieces of the bodies ---- */

struct close_ctx {
	struct changes *held;
	enum sc_change_kind kind;
	int64_t count;
};

static int on_closed(const struct sc_session *s, void *vctx)
{
	struct close_ctx *c = vctx;
	c->count++;
	return changes_add(c->held, c->kind, s);
}

static int close_ids_if(struct sc_db *db, const int64_t *ids, size_t n,
			const struct sc_action *a, const char *action, enum sc_change_kind kind,
			const int64_t *idle_before, struct changes *held, int64_t *count,
			struct sc_error *err)
{
	struct sc_change ch = { action, a->actor, a->reason, a->now, !a->dry_run,
				idle_before != NULL, idle_before ? *idle_before : 0 };
	struct close_ctx c = { held, kind, 0 };
	int rc;

	if (n == 0)
		return 0;
	/* Read the rows back only when someone reports them. */
	rc = db->backend->close_sessions(db, ids, n, &ch, a->cb ? on_closed : NULL, &c, err);
	if (rc < 0)
		return -1;
	if (count)
		*count += rc;
	return 0;
}

static int close_ids(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_action *a,
		     const char *action, enum sc_change_kind kind, struct changes *held,
		     int64_t *count, struct sc_error *err)
{
	return close_ids_if(db, ids, n, a, action, kind, NULL, held, count, err);
}

/* ---- logout SESSION_ID... ---- */

struct logout_ids_ctx {
	const int64_t *ids;
	size_t n;
	const struct sc_action *a;
	struct changes held;
	struct sc_ids found;   /* ids that exist */
	struct sc_ids active;  /* ids that are active */
	bool oom;
};

static int on_found(const struct sc_session *s, void *vctx)
{
	struct logout_ids_ctx *c = vctx;
	if (sc_ids_push(&c->found, s->id) < 0 || (s->is_active && sc_ids_push(&c->active, s->id) < 0)) {
		c->oom = true;
		return -1;
	}
	return s->is_active ? 0 : changes_add(&c->held, SC_CHANGE_ALREADY_CLOSED, s);
}

/* Closes the sessions c->ids names, inside the transaction: all or
 * nothing when one does not exist; closed ones reported as such. */
static int close_existing(struct sc_db *db, struct logout_ids_ctx *c, struct sc_error *err)
{
	c->found.n = c->active.n = 0;
	c->oom = false;
	/* A failure without err is the output's (a dry run reports as it
	 * goes): the caller reports it. */
	if (db->backend->sessions_by_ids(db, c->ids, c->n, on_found, c, err) != 0)
		return c->oom || c->held.oom ? sc_error_set(err, SC_SOFTWARE, "out of memory") : -1;
	for (size_t i = 0; i < c->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < c->found.n && !seen; j++)
			seen = c->found.v[j] == c->ids[i];
		if (!seen)
			return sc_error_set(err, SC_NOINPUT, "no such session %lld: nothing was changed",
					    (long long)c->ids[i]);
	}
	return close_ids(db, c->active.v, c->active.n, c->a, "logout", SC_CHANGE_CLOSED, &c->held,
			 NULL, err);
}

static int logout_ids_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct logout_ids_ctx *c = vctx;

	if (sc_check_actor(db, c->a->actor, err) < 0)
		return -1;
	return close_existing(db, c, err);
}

static void logout_ids_free(struct logout_ids_ctx *c)
{
	changes_free(&c->held);
	sc_ids_free(&c->found);
	sc_ids_free(&c->active);
}

int sc_logout_ids(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_action *a,
		  struct sc_error *err)
{
	struct logout_ids_ctx c = { .ids = ids, .n = n, .a = a };
	int rc;

	c.held.a = a;
	rc = run_tx(db, a->dry_run, logout_ids_body, &c, &c.held, err);
	if (rc == 0)
		rc = changes_flush(&c.held);
	logout_ids_free(&c);
	return rc;
}

/* ---- sessions of one user ---- */

/* Collects a user's active sessions, most recent first (the order the
 * device limit keeps them in), with their fingerprints. */
struct user_sessions {
	struct sc_ids ids;
	struct sc_ids pick; /* ids matching a fingerprint, or the first */
	const char *fingerprint;
	bool all;           /* include closed sessions */
	bool has_except;
	int64_t except;     /* with has_except: leave this one out */
	bool except_seen;
};

static int on_user_session(const struct sc_session *s, void *vctx)
{
	struct user_sessions *u = vctx;

	if (u->has_except && s->id == u->except) {
		u->except_seen = true;
		return 0;
	}
	if (u->fingerprint && (!s->device_fingerprint || strcmp(s->device_fingerprint, u->fingerprint) != 0))
		return 0;
	return sc_ids_push(&u->ids, s->id);
}

static int user_sessions(struct sc_db *db, int64_t user_id, struct user_sessions *u,
			 struct sc_error *err)
{
	struct sc_list_request req = { .user_id = user_id, .all = u->all };

	u->ids.n = 0;
	u->except_seen = false;
	if (db->backend->list_sessions(db, &req, on_user_session, u, err) != 0)
		return err->status ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");
	return 0;
}

/* ---- logout --user U --device FP | --latest ---- */

struct pick_ctx {
	const struct sc_logout_pick *pick;
	struct user_sessions us;
	int64_t id;                  /* the session picked */
	struct logout_ids_ctx close; /* closes it */
};

static int pick_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct pick_ctx *c = vctx;
	const struct sc_userref *ref = c->pick->user;
	struct sc_user user = { 0 };

	if (sc_check_actor(db, c->close.a->actor, err) < 0 || sc_find_user(db, ref, &user, err) < 0)
		return -1;
	c->us.fingerprint = c->pick->fingerprint;
	c->us.all = c->pick->fingerprint != NULL;
	int rc = user_sessions(db, user.id, &c->us, err);
	sc_user_free(&user);
	if (rc < 0)
		return -1;
	if (c->us.ids.n == 0)
		return c->pick->fingerprint
			? sc_error_set(err, SC_NOINPUT, "user '%s' has no session on device '%s'",
				       ref->text, c->pick->fingerprint)
			: sc_error_set(err, SC_NOINPUT, "user '%s' has no active session", ref->text);
	/* The most recently active one: the list is ordered that way. */
	c->id = c->us.ids.v[0];
	return close_existing(db, &c->close, err);
}

int sc_logout_pick(struct sc_db *db, const struct sc_logout_pick *pick,
		   const struct sc_action *a, struct sc_error *err)
{
	struct pick_ctx c = { .pick = pick };
	int rc;

	c.close = (struct logout_ids_ctx){ .ids = &c.id, .n = 1, .a = a };
	c.close.held.a = a;
	rc = run_tx(db, a->dry_run, pick_body, &c, &c.close.held, err);
	if (rc == 0)
		rc = changes_flush(&c.close.held);
	logout_ids_free(&c.close);
	sc_ids_free(&c.us.ids);
	return rc;
}

/* ---- logout-all USER [--except ID] ---- */

struct owner_ctx {
	int64_t user_id;
	bool match;
};

static int on_owner(const struct sc_session *s, void *vctx)
{
	struct owner_ctx *o = vctx;
	o->match = s->user_id == o->user_id;
	return 0;
}

/* Whether session id exists and belongs to user_id (false with err set on
 * a failure). A closed session kept by --except is still the user's. */
static bool session_of(struct sc_db *db, int64_t user_id, int64_t id, struct sc_error *err)
{
	struct owner_ctx o = { user_id, false };
	return db->backend->sessions_by_ids(db, &id, 1, on_owner, &o, err) == 0 && o.match;
}

struct all_ctx {
	const struct sc_userref *user;
	const int64_t *except;
	const struct sc_action *a;
	struct changes held;
	struct user_sessions us;
};

static int all_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct all_ctx *c = vctx;
	struct sc_user user = { 0 };

	if (sc_check_actor(db, c->a->actor, err) < 0 || sc_find_user(db, c->user, &user, err) < 0)
		return -1;
	c->us.has_except = c->except != NULL;
	c->us.except = c->except ? *c->except : 0;
	c->us.all = false;
	int64_t user_id = user.id;
	sc_user_free(&user);
	if (user_sessions(db, user_id, &c->us, err) < 0)
		return -1;
	if (c->except && !c->us.except_seen && !session_of(db, user_id, *c->except, err))
		return err->status ? -1
			: sc_error_set(err, SC_NOINPUT,
				       "session %lld is not a session of user '%s': nothing was changed",
				       (long long)*c->except, c->user->text);
	return close_ids(db, c->us.ids.v, c->us.ids.n, c->a, "logout-all", SC_CHANGE_CLOSED, &c->held,
			 NULL, err);
}

int sc_logout_all(struct sc_db *db, const struct sc_userref *user, const int64_t *except_id,
		  const struct sc_action *a, struct sc_error *err)
{
	struct all_ctx c = { .user = user, .except = except_id, .a = a };
	int rc;

	c.held.a = a;
	rc = run_tx(db, a->dry_run, all_body, &c, &c.held, err);
	if (rc == 0)
		rc = changes_flush(&c.held);
	changes_free(&c.held);
	sc_ids_free(&c.us.ids);
	return rc;
}

/* ---- create ---- */

struct create_ctx {
	const struct sc_userref *user;
	struct sc_new_session ns;
	int64_t max;
	const struct sc_action *a;
	struct changes held;
	struct user_sessions us;
	struct sc_ids keep;
	int64_t session_id;
	bool created;
};

static int on_upserted(const struct sc_session *s, void *vctx)
{
	struct create_ctx *c = vctx;

	c->session_id = s->id;
	return changes_add(&c->held, c->created ? SC_CHANGE_CREATED : SC_CHANGE_REFRESHED, s);
}

static int create_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct create_ctx *c = vctx;
	struct sc_user user = { 0 };
	struct sc_change ch = { "create", c->a->actor, c->a->reason, c->a->now, !c->a->dry_run,
				false, 0 };

	if (sc_check_actor(db, c->a->actor, err) < 0 || sc_find_user(db, c->user, &user, err) < 0)
		return -1;
	c->ns.user_id = user.id;
	sc_user_free(&user);
	c->session_id = 0;
	if (db->backend->lock_users(db, &c->ns.user_id, 1, err) < 0 ||
	    db->backend->upsert_session(db, &c->ns, &ch, c->a->dry_run, &c->created, on_upserted,
					c, err) != 0)
		return err->status || !c->held.oom ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");

	/* The device limit keeps the new or refreshed session first (in a
	 * dry run it is not in the table, or not refreshed, so it is placed
	 * first by hand; id 0 stands for one not inserted), then the others
	 * by last activity. */
	c->us.has_except = true;
	c->us.except = c->session_id;
	c->us.all = false;
	c->us.fingerprint = NULL;
	if (user_sessions(db, c->ns.user_id, &c->us, err) < 0)
		return -1;
	c->keep.n = 0;
	if (sc_ids_push(&c->keep, c->session_id) < 0)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	for (size_t i = 0; i < c->us.ids.n; i++)
		if (sc_ids_push(&c->keep, c->us.ids.v[i]) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if ((int64_t)c->keep.n <= c->max)
		return 0;
	return close_ids(db, c->keep.v + c->max, c->keep.n - (size_t)c->max, c->a, "over-limit",
			 SC_CHANGE_OVER_LIMIT, &c->held, NULL, err);
}

int sc_create(struct sc_db *db, const struct sc_userref *user, const struct sc_new_session *ns,
	      int64_t max_sessions, const struct sc_action *a, struct sc_error *err)
{
	struct create_ctx c = { .user = user, .ns = *ns, .max = max_sessions, .a = a };
	int rc;

	c.held.a = a;
	rc = run_tx(db, a->dry_run, create_body, &c, &c.held, err);
	if (rc == 0)
		rc = changes_flush(&c.held);
	changes_free(&c.held);
	sc_ids_free(&c.us.ids);
	sc_ids_free(&c.keep);
	return rc;
}

/* ---- enforce ---- */

enum enforce_step { STEP_EXPIRE, STEP_LIMIT, STEP_PURGE };

struct enforce_ctx {
	const struct sc_enforce_opts *o;
	const struct sc_action *a;
	struct sc_enforce_result *r;
	struct changes held;  /* only reports rows in a dry run */
	struct sc_ids ids;
	struct sc_ids users;
	int64_t after;        /* batches walk ids (or user ids) upwards */
	int64_t batch;        /* rows (users) in the next batch */
	int64_t max_id;       /* for progress: highest session id */
	int64_t max_user;     /* and user id */
	int steps, step_no;   /* steps to run and the one running */
	int64_t done;         /* rows changed by this batch */
	bool finished;        /* the step has nothing left */
};

/* One batch of one step. Sets c->finished when nothing is left. */
static int batch_body(struct sc_db *db, enum enforce_step step, struct enforce_ctx *c,
		      struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	const struct sc_enforce_opts *o = c->o;
	const int64_t *user = o->has_user ? &o->user_id : NULL; /* ids may be negative */

	c->ids.n = 0;
	c->done = 0;
	switch (step) {
	case STEP_EXPIRE: {
		int64_t cutoff = c->a->now - o->idle_timeout;
		if (be->idle_candidates(db, cutoff, user, c->after, c->batch, &c->ids, err) < 0)
			return -1;
		c->finished = c->ids.n == 0;
		return close_ids_if(db, c->ids.v, c->ids.n, c->a, "expire", SC_CHANGE_EXPIRED, &cutoff,
				    &c->held, &c->done, err);
	}
	case STEP_LIMIT:
		c->users.n = 0;
		if (o->has_user) {
			if (c->after >= o->user_id)
				return c->finished = true, 0;
			if (sc_ids_push(&c->users, o->user_id) < 0)
				return sc_error_set(err, SC_SOFTWARE, "out of memory");
		} else if (be->users_over_limit(db, o->max_sessions, c->after, c->batch,
						&c->users, err) < 0) {
			return -1;
		}
		if (c->users.n == 0)
			return c->finished = true, 0;
		/* Lock the users, then read their sessions: a create running
		 * beside us either committed before (and is counted) or waits. */
		if (be->lock_users(db, c->users.v, c->users.n, err) < 0 ||
		    be->over_limit_candidates(db, c->users.v, c->users.n, o->max_sessions, &c->ids,
					      err) < 0 ||
		    close_ids(db, c->ids.v, c->ids.n, c->a, "over-limit", SC_CHANGE_OVER_LIMIT,
			      &c->held, &c->done, err) < 0)
			return -1;
		return 0;
	case STEP_PURGE: {
		struct sc_change ch = { "purge", c->a->actor, c->a->reason, c->a->now, !c->a->dry_run,
					false, 0 };
		struct close_ctx cc = { &c->held, SC_CHANGE_PURGED, 0 };
		if (be->purge_candidates(db, c->a->now - o->purge_after, user, c->after, c->batch,
					 &c->ids, err) < 0)
			return -1;
		c->finished = c->ids.n == 0;
		if (c->finished)
			return 0;
		int n = be->purge_sessions(db, c->ids.v, c->ids.n, &ch, c->a->cb ? on_closed : NULL,
					   &cc, err);
		if (n < 0)
			return err->status || !c->held.oom ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");
		c->done = n;
		return 0;
	}
	}
	return 0;
}

static double monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void adapt_batch(struct enforce_ctx *c, double ms)
{
	if (ms < SC_BATCH_FAST_MS && c->batch < SC_BATCH_MAX)
		c->batch = c->batch * 2 < SC_BATCH_MAX ? c->batch * 2 : SC_BATCH_MAX;
	else if (ms > SC_BATCH_SLOW_MS && c->batch > SC_BATCH_MIN)
		c->batch = c->batch / 2 > SC_BATCH_MIN ? c->batch / 2 : SC_BATCH_MIN;
}

/* Moves past the ids (or, for the limit, the users) of this batch. */
static void next_page(enum enforce_step step, struct enforce_ctx *c)
{
	const struct sc_ids *page = step == STEP_LIMIT ? &c->users : &c->ids;
	if (page->n)
		c->after = page->v[page->n - 1];
}

struct step_tx {
	struct enforce_ctx *c;
	enum enforce_step step;
};

static int step_tx_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct step_tx *t = vctx;
	if (sc_check_actor(db, t->c->a->actor, err) < 0)
		return -1;
	return batch_body(db, t->step, t->c, err);
}

static int64_t *counter(struct sc_enforce_result *r, enum enforce_step step)
{
	return step == STEP_EXPIRE ? &r->expired : step == STEP_LIMIT ? &r->over_limit : &r->purged;
}

/* Runs one step batch by batch, each batch its own transaction. */
static int run_step(struct sc_db *db, enum enforce_step step, struct enforce_ctx *c,
		    struct sc_error *err)
{
	struct step_tx t = { c, step };

	c->finished = false;
	c->after = INT64_MIN; /* ids may be 0 or negative */
	c->batch = c->o->batch_size ? c->o->batch_size : SC_BATCH_MIN;
	c->step_no = (step > STEP_EXPIRE && c->o->expire) + (step > STEP_LIMIT && c->o->limit);
	while (!c->finished) {
		if (c->o->stop && *c->o->stop) {
			c->r->interrupted = true;
			return 0;
		}
		double started = monotonic_ms();
		if (run_tx(db, false, step_tx_body, &t, NULL, err) < 0)
			return -1;
		if (!c->o->batch_size)
			adapt_batch(c, monotonic_ms() - started);
		next_page(step, c);
		*counter(c->r, step) += c->done;
		c->r->batches += c->done > 0;
		if (c->o->progress && c->done) {
			int64_t max = step == STEP_LIMIT ? c->max_user : c->max_id;
			double share = max > 0 && !c->finished ? (double)c->after / (double)max : 1.0;
			c->r->done_share = ((double)c->step_no + (share < 1.0 ? share : 1.0)) / c->steps;
			c->o->progress(c->r, c->o->progress_ctx);
		}
	}
	return 0;
}

/* A dry run: every step in one transaction, rolled back. */
static int dry_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;
	static const enum enforce_step steps[] = { STEP_EXPIRE, STEP_LIMIT, STEP_PURGE };

	if (sc_check_actor(db, c->a->actor, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum enforce_step step = steps[i];
		if ((step == STEP_EXPIRE && !c->o->expire) || (step == STEP_LIMIT && !c->o->limit) ||
		    (step == STEP_PURGE && !c->o->purge))
			continue;
		c->finished = false;
		c->after = INT64_MIN; /* ids may be 0 or negative */
		c->batch = c->o->batch_size ? c->o->batch_size : SC_BATCH_MAX;
		while (!c->finished) {
			if (batch_body(db, step, c, err) < 0)
				return -1;
			next_page(step, c);
			*counter(c->r, step) += c->done;
			c->r->batches += c->done > 0;
		}
	}
	return 0;
}

int sc_enforce(struct sc_db *db, const struct sc_enforce_opts *o, const struct sc_action *a,
	       struct sc_enforce_result *r, struct sc_error *err)
{
	struct enforce_ctx c = { .o = o, .a = a, .r = r };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	c.held.a = a;
	if (a->dry_run) {
		rc = run_tx(db, true, dry_body, &c, NULL, err);
	} else {
		c.steps = o->expire + o->limit + o->purge;
		if (o->progress && db->backend->begin(db, SC_TX_READ, err) == 0) {
			if (db->backend->id_bounds(db, &c.max_id, &c.max_user, err) < 0)
				c.max_id = c.max_user = 0;
			db->backend->rollback(db);
		}
		sc_error_clear(err);
		if (o->expire)
			rc = run_step(db, STEP_EXPIRE, &c, err);
		if (rc == 0 && o->limit && !r->interrupted)
			rc = run_step(db, STEP_LIMIT, &c, err);
		if (rc == 0 && o->purge && !r->interrupted)
			rc = run_step(db, STEP_PURGE, &c, err);
	}
	changes_free(&c.held);
	sc_ids_free(&c.ids);
	sc_ids_free(&c.users);
	return rc;
}
