/* enforce: expire, then the device limit, then purge, in batches. */
#include "enforce.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How many times the steps run again on left rows that are free but not
 * done (run_steps). */
#define SC_ENFORCE_ROUNDS 3

/* The expire step's next batch of idle sessions: through the index on
 * the first batch of an incremental pass when there are few, else (and
 * for a backlog) walking the table in id order. */
static int expire_candidates(struct sc_db *db, struct enforce_ctx *c, int64_t cutoff,
			     const int64_t *user, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;

	if (c->from == INT64_MIN) { /* the step's first batch (or its retry) */
		c->sparse = false;
		if (c->incremental) {
			if (!c->idle_known) {
				c->idle.n = 0;
				if (be->idle_sessions(db, c->idle_from, cutoff, SC_SPARSE_MAX, &c->idle,
						      err) < 0)
					return -1;
			}
			c->idle_known = false; /* a retry looks again */
			c->sparse = c->idle.n <= SC_SPARSE_MAX;
		}
	}
	if (!c->sparse)
		return be->candidates(db, true, cutoff, user, c->from, c->batch, &c->ids, err);
	/* The ids from `from` on (ascending), so a retried batch takes the
	 * same ones again. */
	size_t lo = 0, hi = c->idle.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->idle.v[mid] < c->from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int64_t k = 0; k < c->batch && lo < c->idle.n; k++)
		if (sc_ids_push(&c->ids, c->idle.v[lo++]) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	return 0;
}

/* Each step starts its average excess afresh. */
static void start_average(struct enforce_ctx *c)
{
	c->excess_sum = c->excess_users = 0;
	c->excess_upto = 0; /* none counted (excess_users) */
}

/* How many users over the limit a device-limit batch reads to fill its
 * budget of sessions: by their average excess so far, and a quarter more.
 * Reading them costs in proportion (the full pass groups the active
 * sessions from the last user on until it has that many), and every one
 * read past the budget is read again by the next batch. */
static int64_t users_wanted(const struct enforce_ctx *c)
{
	if (c->excess_users <= 0 || c->excess_sum <= 0)
		return c->batch;
	double avg = (double)c->excess_sum / (double)c->excess_users;
	double want = (double)c->batch / avg * 1.25 + 1;
	return want < (double)c->batch ? (int64_t)want : c->batch;
}

/* Whether a batch that found n rows (or users) where it asked for up to
 * limit was the step's last: the backends' look-ups return at most
 * limit, in id order, so fewer means none past them. A step ends on its
 * short batch rather than on a batch that finds nothing: a cron run that
 * has a few sessions to close would otherwise pay, for each step, a
 * pause for the application and another transaction. */
static bool short_batch(size_t n, int64_t limit)
{
	return (int64_t)n < limit;
}

/* Whether the device limit's batches are a budget of sessions, filled
 * with whole users by their excess (the backend's batches are even), or
 * a number of users (the user's --batch-size, or uneven batches). */
static bool limit_budget(const struct sc_db *db, const struct enforce_ctx *c)
{
	return !c->o->batch_size && db->backend->even_batches;
}

/* The device limit's next users over the limit, up to asked of them
 * from the user id `from` on, into c->users (and, where batches are
 * even, their excess into c->excess). */
int enforce_limit_users(struct sc_db *db, struct enforce_ctx *c, int64_t asked, int64_t from,
		       struct sc_error *err)
{
	c->users.n = c->excess.n = 0;
	return db->backend->users_over_limit(db, c->o->max_sessions, c->incremental ? c->since : INT64_MIN,
					     from, asked, &c->users, limit_budget(db, c) ? &c->excess : NULL,
					     err);
}

/* One batch of one step. Sets c->finished when nothing is left. */
static int batch_body(struct sc_db *db, enum enforce_step step, struct enforce_ctx *c,
		      struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	const struct sc_enforce_opts *o = c->o;
	const int64_t *user = o->has_user ? &o->user_id : NULL; /* ids may be negative */
	int64_t one = o->user_id;
	const struct sc_ids only = { &one, 1, 1 }, *owner = user ? &only : NULL;
	bool last = false; /* the device limit's last users */

	c->ids.n = 0;
	c->done = 0;
	switch (step) {
	case STEP_EXPIRE: {
		int64_t cutoff = c->a->now - o->idle_timeout;
		if (expire_candidates(db, c, cutoff, user, err) < 0)
			return -1;
		c->finished = short_batch(c->ids.n, c->batch);
		return sc_close_ids_if(db, c->ids.v, c->ids.n, owner, c->a, "expire", SC_CHANGE_EXPIRED, &cutoff,
				    &c->held, &c->done, err);
	}
	case STEP_LIMIT:
		c->users_read = false;
		if (o->has_user) {
			c->users.n = 0;
			if (c->from > o->user_id)
				return c->finished = true, 0;
			if (sc_ids_push(&c->users, o->user_id) < 0)
				return sc_error_set(err, SC_SOFTWARE, "out of memory");
			last = true;
		} else {
			/* Adaptive batches count sessions to close, not users:
			 * one user may have hundreds, and a batch of twice as
			 * many users as a quick one could take ten times as long
			 * (the application waiting meanwhile). Whole users, at
			 * least one. */
			bool budget = limit_budget(db, c);
			int64_t asked = budget ? users_wanted(c) : c->batch;
			if (!c->users_known && enforce_limit_users(db, c, asked, c->from, err) < 0)
				return -1;
			c->users_known = false; /* a retry looks again */
			/* Fewer than asked: these are the last (the budget below
			 * may take fewer still, and the next batch the rest). */
			last = short_batch(c->users.n, asked);
			if (budget && c->excess.n == c->users.n) {
				int64_t sum = 0;
				size_t k = 0;
				/* Every user read counts towards the average, once:
				 * those not taken are read again by the next batch. */
				for (size_t i = 0; i < c->excess.n; i++) {
					if (c->excess_users && c->users.v[i] <= c->excess_upto)
						continue;
					c->excess_sum += c->excess.v[i];
					c->excess_users++;
					c->excess_upto = c->users.v[i];
				}
				while (k < c->users.n && (k == 0 || sum + c->excess.v[k] <= c->batch))
					sum += c->excess.v[k++];
				last = last && k == c->users.n;
				c->users.n = k;
			}
		}
		if (c->users.n == 0)
			return c->finished = true, 0;
		c->users_last = c->users.v[c->users.n - 1];
		c->users_read = true;
		/* Lock the users, then read their sessions: a create running
		 * beside us either committed before (and is counted) or waits.
		 * On a retry that skips locked rows, the users another
		 * transaction holds are left (db->left_users). */
		if (be->lock_users && be->lock_users(db, &c->users, err) < 0)
			return -1;
		if (c->users.n == 0)
			return c->finished = last, 0;
		if (be->over_limit_candidates(db, c->users.v, c->users.n, o->max_sessions, &c->ids,
					      err) < 0 ||
		    sc_close_ids(db, c->ids.v, c->ids.n, &c->users, c->a, "over-limit", SC_CHANGE_OVER_LIMIT,
			      &c->held, &c->done, err) < 0)
			return -1;
		c->finished = last;
		return 0;
	case STEP_PURGE: {
		struct sc_change ch = sc_change_for(c->a, "purge", user, user ? 1 : 0);
		struct close_ctx cc = { &c->held, SC_CHANGE_PURGED, 0 };
		if (be->candidates(db, false, c->a->now - o->purge_after, user, c->from,
				   c->batch, &c->ids, err) < 0)
			return -1;
		c->finished = short_batch(c->ids.n, c->batch);
		if (c->ids.n == 0)
			return 0;
		int n = be->purge_sessions(db, c->ids.v, c->ids.n, &ch, c->a->cb ? sc_on_closed : NULL,
					   &cc, err);
		if (n < 0)
			return err->status || !c->held.oom ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");
		c->done = n;
		return 0;
	}
	}
	return 0;
}

/* The first batch of a step: rows, or for the device limit sessions to
 * close (which may shrink lower, a user at a time: see adapt_batch), or
 * users where batches need not be even. */
int64_t enforce_first_batch(const struct sc_db *db, const struct enforce_ctx *c,
			   enum enforce_step step)
{
	if (c->o->batch_size)
		return c->o->batch_size;
	return step == STEP_LIMIT && !db->backend->even_batches ? SC_BATCH_MIN_LIMIT : SC_BATCH_MIN;
}

/* A batch quicker than this may grow (the backend's line, or the core's). */
static double fast_ms(const struct sc_db *db)
{
	return db->batch_fast_ms ? db->batch_fast_ms : SC_BATCH_FAST_MS;
}

/* Grows a fast batch: where batches must be even (struct sc_backend), in
 * proportion, towards one and a half times the fast line and at most
 * double (doubling a batch just under the line made SQLite batches of
 * 120-340 ms now and then, as the time per row varies: the writer beside
 * enforce in WAL mode waited up to 430 ms); elsewhere doubles it. Shrinks
 * a slow one in proportion, to about the middle of the range at once
 * (halving took several long batches to come down, each one a long wait
 * for the application). Never grows past sc_batch_quick's size (below
 * one the server's statement_timeout cut). */
static void adapt_batch(struct sc_db *db, struct enforce_ctx *c, enum enforce_step step,
			double ms)
{
	int64_t min = step == STEP_LIMIT ? SC_BATCH_MIN_LIMIT : SC_BATCH_MIN;
	double fast = fast_ms(db);
	double slow = db->batch_slow_ms ? db->batch_slow_ms : SC_BATCH_SLOW_MS;

	if (ms < fast) {
		int64_t most = sc_batch_quick(db, c->batch);
		if (c->batch >= most) {
			c->batch = most;
			return;
		}
		double grow = ms > 0 && db->backend->even_batches ? fast * 1.5 / ms : 2.0;
		int64_t next = (int64_t)((double)c->batch * (grow < 2.0 ? grow : 2.0));
		if (next <= c->batch)
			next = c->batch + 1;
		c->batch = next < most ? next : most;
	} else if (ms > slow && c->batch > min) {
		double aim = (fast + slow) / 2.0;
		int64_t next = (int64_t)((double)c->batch * aim / ms);
		c->batch = next > min ? next : min;
	}
}

/* Moves past the ids (or, for the limit, the users, those left locked
 * too) of this batch; past the largest id there is, the step is done. */
static void next_page(enum enforce_step step, struct enforce_ctx *c)
{
	int64_t last;

	if (step == STEP_LIMIT && c->users_read)
		last = c->users_last;
	else if (step != STEP_LIMIT && c->ids.n)
		last = c->ids.v[c->ids.n - 1];
	else
		return;
	if (last == INT64_MAX)
		c->finished = true;
	else if (last >= c->from)
		c->from = last + 1;
}

struct step_tx {
	struct enforce_ctx *c;
	enum enforce_step step;
	double body_started; /* sc_monotonic_ms() as the last attempt's body began */
};

static int step_tx_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct step_tx *t = vctx;
	t->body_started = sc_monotonic_ms();
	if (sc_check_actor(db, t->c->a, err) < 0)
		return -1;
	return batch_body(db, t->step, t->c, err);
}

static int64_t *counter(struct sc_enforce_result *r, enum enforce_step step)
{
	return step == STEP_EXPIRE ? &r->expired : step == STEP_LIMIT ? &r->over_limit : &r->purged;
}

/* After a batch (or the dry run) went through: what it left. */
static int keep_left(struct sc_db *db, struct enforce_ctx *c)
{
	return sc_ids_append(&c->left_closes, &db->left_closes) < 0 ||
	       sc_ids_append(&c->left_purges, &db->left_purges) < 0 ||
	       sc_ids_append(&c->left_users, &db->left_users) < 0 ? -1 : 0;
}

/* At the end: how many of the sessions left are still to do (another
 * enforce beside this one may have taken them; the application may have
 * refreshed a session it held), each once: a user's session left by
 * expire is not counted again in the user's excess. */
static int count_left(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
{
	int64_t cutoff = c->a->now - c->o->idle_timeout, steady;
	struct sc_left_how how = { .again = !c->a->dry_run,
				   .free_due = c->rounds_left > 0 ? &c->free_due : NULL };

	if (sc_count_left(db, &c->left_closes, c->o->expire ? &cutoff : NULL, &c->left_purges,
			  &c->left_users, c->o->max_sessions, &how, &c->r->locked, &steady, err) < 0)
		return -1;
	c->left_steady = steady > 0;
	return 0;
}

/* count_left at the end of a run that went through, or was stopped by a
 * signal (rc -1, SC_INTERRUPTED: what it left is told too); rc as it
 * was, unless the count itself failed. */
static int count_after(struct sc_db *db, struct enforce_ctx *c, int rc, struct sc_error *err)
{
	struct sc_error cerr = { 0 };

	if (rc < 0 && err->status != SC_INTERRUPTED)
		return rc;
	if (count_left(db, c, &cerr) < 0 && rc == 0) {
		*err = cerr;
		return -1;
	}
	/* A signal during the count's wait, after the last batch: stopped
	 * all the same (130 or 143, as the caller asked). */
	if (rc == 0 && db->stop && *db->stop)
		c->r->interrupted = true;
	return rc;
}

static int purge_due_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;
	return db->backend->purge_due(db, c->a->now - c->o->purge_after, &c->purge_due, err);
}

/* Runs one step batch by batch, each batch its own transaction. */
static int run_step(struct sc_db *db, enum enforce_step step, struct enforce_ctx *c,
		    struct sc_error *err)
{
	struct step_tx t = { c, step, 0 };

	/* The plan's transaction found nothing for this step (look_ahead). */
	if (step == STEP_EXPIRE && c->idle_known && !c->idle.n)
		return c->idle_known = false, 0;
	if (step == STEP_LIMIT && c->users_known && !c->users.n)
		return c->users_known = false, 0;
	/* In steady state, purge looks through the backend's index first:
	 * its walk reads every closed session, in write transactions. */
	if (step == STEP_PURGE && c->incremental && db->backend->purge_due) {
		if (!c->purge_known) {
			c->purge_due = true;
			if (sc_read_again(db, purge_due_body, c, NULL, err) < 0)
				return -1;
		}
		c->purge_known = false;
		if (!c->purge_due) {
			sc_db_notice(db, "enforce: nothing to purge (found through the index)");
			return 0;
		}
	}

	c->finished = false;
	c->from = INT64_MIN; /* ids may be 0 or negative */
	c->users_read = false;
	c->batch = enforce_first_batch(db, c, step);
	sc_batch_start(db); /* a step's rows cost what they cost */
	start_average(c);
	c->step_no = (step > STEP_EXPIRE && c->o->expire) + (step > STEP_LIMIT && c->o->limit);
	while (!c->finished) {
		if (c->o->stop && *c->o->stop) {
			c->r->interrupted = true;
			return 0;
		}
		/* How long the batch held its transaction: from its body (on
		 * SQLite the write lock is taken by then) to its commit. Not
		 * the wait for the lock before it, nor the retries: a batch
		 * that waited for the application is no slower for it, and
		 * must not shrink for it. */
		if (sc_run_batch(db, false, step_tx_body, &t, NULL, &c->batch, c->o->batch_size, err) < 0)
			return -1;
		double took = sc_monotonic_ms() - t.body_started;
		if (keep_left(db, c) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		if (!c->o->batch_size)
			adapt_batch(db, c, step, took);
		/* Leave the lock free for the backend's pause; with a batch size
		 * the user chose, at most as long as the batch held it, so tiny
		 * batches do not spend their time waiting. After a step's last
		 * batch too when it was long and another step follows, whose
		 * first batch would follow it at once. After a quick last batch
		 * (a cron run's few rows) only the backend's work between
		 * batches, without the wait: a quick batch and the next step's
		 * first keep the application out about as long as one batch
		 * at the fast line. */
		if (c->done) {
			if (!c->finished || (took >= fast_ms(db) && c->step_no + 1 < c->steps))
				sc_batch_pause(db, took, c->o->batch_size != 0);
			else
				sc_batch_between(db);
		}
		next_page(step, c);
		*counter(c->r, step) += c->done;
		c->r->batches += c->done > 0;
		if (c->o->progress && c->done) {
			int64_t max = step == STEP_LIMIT ? c->max_user : c->max_id;
			double share = max > 0 && !c->finished ? (double)c->from / (double)max : 1.0;
			c->r->step_share = share < 1.0 ? share : 1.0;
			c->r->done_share = ((double)c->step_no + c->r->step_share) / c->steps;
			c->r->step = c->step_no + 1;
			c->r->steps = c->steps;
			c->r->batch_ms = took;
			c->o->progress(c->r, c->o->progress_ctx);
		}
	}
	return 0;
}

/* A dry run: every step in one transaction, rolled back, so that each
 * step sees what the steps before it would have changed. The batches are
 * the real run's (batch_body), and so are the retries (sc_run_tx); its
 * result counts what would change ("batches": the batches that would
 * change something, at the largest size). */
static int dry_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;
	static const enum enforce_step steps[] = { STEP_EXPIRE, STEP_LIMIT, STEP_PURGE };

	memset(c->r, 0, sizeof(*c->r)); /* a retry starts over */
	if (sc_check_actor(db, c->a, err) < 0 || enforce_plan(db, c, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum enforce_step step = steps[i];
		if ((step == STEP_EXPIRE && !c->o->expire) || (step == STEP_LIMIT && !c->o->limit) ||
		    (step == STEP_PURGE && !c->o->purge))
			continue;
		c->finished = false;
		c->from = INT64_MIN; /* ids may be 0 or negative */
		c->users_read = false;
		c->batch = c->dry_batch;
		start_average(c);
		while (!c->finished) {
			/* SIGINT stops a dry run between batches too. */
			if (c->o->stop && *c->o->stop) {
				c->r->interrupted = true;
				return 0;
			}
			if (batch_body(db, step, c, err) < 0)
				return -1;
			next_page(step, c);
			*counter(c->r, step) += c->done;
			c->r->batches += c->done > 0;
		}
	}
	return 0;
}

/* The steps of a real run, then what they left (count_after). Two runs
 * at once: when one's batch gave up a lock wait on the other's rows, it
 * runs again on what is free and leaves what is held; the other may
 * have given up on the first's in the same way, and each run's count at
 * the end locks what it left while it waits and counts, which the other
 * run's retry then skips in turn. Rows so left are free afterwards but
 * done by neither run (seen: 20,000 of 30,000, both runs exiting 75):
 * count_left tells so (c->free_due), and the steps run again. */
static int run_steps(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
{
	int rc = 0;

	db->may_skip_locked = true;
	if (c->o->expire)
		rc = run_step(db, STEP_EXPIRE, c, err);
	if (rc == 0 && c->o->limit && !c->r->interrupted)
		rc = run_step(db, STEP_LIMIT, c, err);
	if (rc == 0 && c->o->purge && !c->r->interrupted)
		rc = run_step(db, STEP_PURGE, c, err);
	c->idle_known = c->users_known = c->purge_known = false; /* another round looks again */
	db->may_skip_locked = false;
	return count_after(db, c, rc, err);
}

/* For progress only: how far the ids go. In a transaction of its own,
 * whose failure only leaves the progress without a total (a failed
 * statement ends a PostgreSQL transaction: in enforce_plan_body's, it failed the
 * commit). */
static int bounds_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;

	return db->backend->id_bounds(db, &c->max_id, &c->max_user, err);
}

int sc_enforce(struct sc_db *db, const struct sc_enforce_opts *o, const struct sc_action *a,
	       struct sc_enforce_result *r, struct sc_error *err)
{
	struct enforce_ctx c = { .o = o, .a = a, .r = r };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	c.held.a = a;
	c.started = (int64_t)time(NULL); /* never --now */
	db->stop = o->stop;
	if (a->dry_run) {
		db->may_skip_locked = true;
		c.dry_batch = o->batch_size ? o->batch_size : SC_BATCH_MAX;
		rc = sc_run_batch(db, true, dry_body, &c, &c.held, &c.dry_batch, o->batch_size, err);
		db->may_skip_locked = false;
		if (rc == 0 && keep_left(db, &c) < 0)
			rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
		rc = count_after(db, &c, rc, err);
	} else {
		c.steps = o->expire + o->limit + o->purge;
		c.rounds_left = SC_ENFORCE_ROUNDS;
		r->round = 1;
		if ((rc = sc_run_tx(db, false, enforce_plan_body, &c, NULL, err)) == 0 && !c.all_done) {
			struct sc_error ignored = { 0 };
			if (o->progress && sc_db_read(db, bounds_body, &c, &ignored) < 0)
				c.max_id = c.max_user = 0;
			rc = run_steps(db, &c, err);
			while (rc == 0 && c.free_due && !r->interrupted) {
				sc_db_notice(db, "enforce: %" PRId64 " session%s left by a batch %s free "
					     "now but not done: running the steps again", r->locked,
					     r->locked == 1 ? "" : "s", r->locked == 1 ? "is" : "are");
				c.free_due = false;
				c.rounds_left--;
				r->round++;
				r->locked = 0;
				c.left_closes.n = c.left_purges.n = c.left_users.n = 0;
				rc = run_steps(db, &c, err);
			}
			if (rc == 0 && !r->interrupted)
				rc = enforce_record(db, &c, err);
		}
	}
	rc = sc_batched_run_end(db, rc, err, &r->interrupted);
	sc_changes_free(&c.held);
	sc_ids_free(&c.ids);
	sc_ids_free(&c.users);
	sc_ids_free(&c.excess);
	sc_ids_free(&c.idle);
	sc_ids_free(&c.left_closes);
	sc_ids_free(&c.left_purges);
	sc_ids_free(&c.left_users);
	sc_ids_free(&db->left_closes);
	sc_ids_free(&db->left_purges);
	sc_ids_free(&db->left_users);
	return rc;
}
