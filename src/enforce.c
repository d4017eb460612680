/* enforce: expire, then the device limit, then purge, in batches. */
#include "change.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- steady state ----
 *
 * A cron job runs enforce every few minutes on a table it already
 * enforced; ranking every active row each time would cost as much as the
 * first run. So a run that went through over every user records (the
 * backend's enforce_state_put) the device limit it enforced and "since":
 * the earlier of its real start and its --now, less SC_ENFORCE_SLACK for
 * clocks that disagree. A user only goes over the limit when one of their
 * sessions becomes active, which sets its last_activity to that moment;
 * so the next run ranks only the users with an active session at or
 * after since. A run that expired idle sessions also records its idle
 * cutoff (the earlier of its real start and its --now, less the idle
 * timeout): every session active with an older last_activity was closed
 * then. A session only becomes idle by crossing the cutoff, so the next
 * run looks for idle sessions through the index on last_activity
 * (idle_sessions) only from that cutoff, less the slack, to its own: a
 * few minutes of the index, not the rows that went idle long ago (which
 * on PostgreSQL stay in the index, dead, until a vacuum, and on SQLite
 * stay in it for good: its index is not partial, so that closing a
 * session does not touch it).
 *
 * A run walks every row instead (a full pass) when nothing is recorded,
 * the limit is lower than the one recorded, no idle cutoff is recorded,
 * the last full pass is SC_FULL_PASS_EVERY old, with --full-pass or
 * --user, or when the backend has no such index. The daily full pass
 * bounds what the incremental one cannot see: a session made active
 * again without a new last_activity, rows written behind the
 * application's back with old times, and times stored in a form that
 * does not sort as text (see README).
 */
/* Activity may be written up to this long before a run that should see it
 * could see it: application clocks behind ours, and application
 * transactions that set last_activity at their start and commit later. */
#define SC_ENFORCE_SLACK 600
#define SC_FULL_PASS_EVERY 86400
/* More idle sessions than this through the index: a backlog, which the
 * id-order walk (neighbouring pages per batch) serves better. */
#define SC_SPARSE_MAX 20000
/* How many times the steps run again on left rows that are free but not
 * done (run_steps). */
#define SC_ENFORCE_ROUNDS 3

/* ---- enforce ---- */

enum enforce_step { STEP_EXPIRE, STEP_LIMIT, STEP_PURGE };

struct enforce_ctx {
	const struct sc_enforce_opts *o;
	const struct sc_action *a;
	struct sc_enforce_result *r;
	struct changes held;  /* only reports rows in a dry run */
	struct sc_ids ids;
	struct sc_ids users;
	struct sc_ids excess; /* each user's active sessions over the limit */
	int64_t excess_sum;   /* and their sum over the users read so far */
	int64_t excess_users; /* in the device-limit step */
	int64_t excess_upto;  /* the last user counted in them, if any
			       * (users come in ascending order) */
	int64_t from;         /* batches walk ids (or user ids) upwards,
			       * from this one on (INT64_MIN: the first) */
	bool users_read;      /* a device-limit batch read users, */
	int64_t users_last;   /* the last of whom it took on,
			       * locked or not */
	int64_t dry_batch;    /* a dry run's batches (smaller after a timeout) */
	int64_t batch;        /* rows in the next batch; for the device limit,
			       * sessions to close where batches must be even,
			       * else (and with --batch-size) users */
	int64_t max_id;       /* for progress: highest session id */
	int64_t max_user;     /* and user id */
	int steps, step_no;   /* steps to run and the one running */
	int64_t done;         /* rows changed by this batch */
	bool finished;        /* the step has nothing left */
	/* Steady state (see above): */
	int64_t started;      /* real time the run started */
	bool incremental;     /* rank only users active since `since` */
	int64_t since;
	int64_t idle_from;    /* and look for idle sessions from here */
	bool recorded;        /* a state was recorded ... */
	struct sc_enforce_state prev; /* ... this one */
	bool sparse;          /* expire takes its ids from `idle` */
	bool purge_due;       /* purge_due's answer (struct sc_backend) */
	struct sc_ids idle;   /* (found through the index, ascending) */
	/* What the plan's transaction found ahead of the steps (look_ahead):
	 * the idle sessions, the first users over the limit, whether purge
	 * is due; each used once, by its step's first batch. */
	bool idle_known, users_known, purge_known;
	bool all_done;        /* nothing was due (the run is recorded), or
			       * a signal came before anything was done */
	/* What the committed batches left: rows another transaction held
	 * (struct sc_db), counted at the end (count_left). */
	struct sc_ids left_closes, left_purges, left_users;
	bool left_steady;     /* some of it in expire or the device limit */
	/* Left rows that no one holds any more yet are still due (count_left
	 * took their locks and counted them): the steps run again, up to
	 * rounds_left times more. */
	bool free_due;
	int rounds_left;
};

static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_sub_overflow(a, b, &r) ? INT64_MIN : r;
}

/* Decides between a full and an incremental pass (inside a transaction). */
static int plan(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	const struct sc_enforce_opts *o = c->o;
	const char *why = NULL;
	/* The run's time as record_body records it: a --now earlier than a
	 * run before it is as a clock set back. */
	int64_t clock = c->started < c->a->now ? c->started : c->a->now;
	int64_t age;

	c->incremental = false;
	c->recorded = false;
	if (!be->enforce_state_get || !be->idle_sessions)
		return 0;
	if (be->enforce_state_get(db, &c->prev, &c->recorded, err) < 0)
		return -1;
	if (o->has_user)
		return 0; /* one user's rows: their own index */
	if (o->full)
		why = "--full-pass";
	else if (!c->recorded)
		why = "no earlier run recorded";
	else if (c->prev.full_why)
		why = c->prev.full_why;
	else if (c->prev.max_sessions > o->max_sessions)
		why = "the limit is lower than the last run's";
	else if (o->expire && c->prev.idle_cutoff == INT64_MIN)
		why = "no idle cutoff recorded";
	else if (__builtin_sub_overflow(c->started, c->prev.full_at, &age) || age >= SC_FULL_PASS_EVERY)
		why = "the last full pass is a day old";
	else if (age < 0 || c->prev.since > clock)
		why = age < 0 || c->prev.since > c->started ? "the record is later than this clock"
							    : "the record is later than --now";
	if (why) {
		sc_db_notice(db, "enforce: full pass (%s)", why);
		return 0;
	}
	char buf[SC_TIME_SQL_LEN];
	sc_time_format_sql(c->prev.since, buf);
	sc_db_notice(db, "enforce: ranking the users active since %s UTC (--full-pass ranks all)", buf);
	c->incremental = true;
	c->since = c->prev.since;
	c->idle_from = sub_sat(c->prev.idle_cutoff, SC_ENFORCE_SLACK);
	if (o->expire) {
		sc_time_format_sql(c->idle_from, buf);
		sc_db_notice(db, "enforce: looking for idle sessions last active since %s UTC", buf);
	}
	return 0;
}

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

/* The device limit's next users over the limit, up to asked of them
 * from the user id `from` on, into c->users (and, where batches are
 * even, their excess into c->excess). */
static int limit_users(struct sc_db *db, struct enforce_ctx *c, int64_t asked, int64_t from,
		       struct sc_error *err)
{
	const struct sc_enforce_opts *o = c->o;
	bool budget = !o->batch_size && db->backend->even_batches;

	c->users.n = c->excess.n = 0;
	return db->backend->users_over_limit(db, o->max_sessions, c->incremental ? c->since : INT64_MIN,
					     from, asked, &c->users, budget ? &c->excess : NULL, err);
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
			bool budget = !o->batch_size && be->even_batches;
			int64_t asked = budget ? users_wanted(c) : c->batch;
			if (!c->users_known && limit_users(db, c, asked, c->from, err) < 0)
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
static int64_t first_batch(const struct sc_db *db, const struct enforce_ctx *c,
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
	c->batch = first_batch(db, c, step);
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
	if (sc_check_actor(db, c->a, err) < 0 || plan(db, c, err) < 0)
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
 * statement ends a PostgreSQL transaction: in plan_body's, it failed the
 * commit). */
static int bounds_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;

	return db->backend->id_bounds(db, &c->max_id, &c->max_user, err);
}

/* After a real run over every user that went through: what the next
 * run may rely on (see "steady state" above). A run that walked every
 * row of both steps is a full pass. */
static int record_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;
	const struct sc_enforce_opts *o = c->o;
	int64_t since = c->started < c->a->now ? c->started : c->a->now;
	struct sc_enforce_state st = {
		.max_sessions = o->max_sessions,
		.since = sub_sat(since, SC_ENFORCE_SLACK),
		.full_at = !c->incremental && o->expire ? c->started
			 : c->recorded ? c->prev.full_at : 0,
		/* A --now later than the clock must not move it past sessions
		 * the application writes meanwhile with the real time. */
		.idle_cutoff = o->expire ? sub_sat(since, o->idle_timeout)
			     : c->recorded ? c->prev.idle_cutoff : INT64_MIN,
	};
	return db->backend->enforce_state_put(db, &st, err);
}

/* Whether the run records itself. A run that left rows of expire or the
 * device limit records nothing: the next one must look where this one
 * looked, or it would not see them again (purge does not use the
 * record). */
static bool recorded_run(const struct sc_db *db, const struct enforce_ctx *c)
{
	return db->backend->enforce_state_put && !c->o->has_user && c->o->limit && !c->left_steady;
}

static int record(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
{
	return recorded_run(db, c) ? sc_run_tx(db, false, record_body, c, NULL, err) : 0;
}

/* A cron job's run usually finds nothing to do, and each step that finds
 * nothing cost it a transaction (on PostgreSQL a BEGIN, the actor's
 * look-up and a COMMIT: three round trips), and the record one more.
 * So an incremental pass looks ahead in the plan's transaction, with
 * each step's own first look-up, the steps in order: the idle sessions,
 * the first users over the limit, whether purge is due. It stops at the
 * first step with rows to change, whose first batch then takes what was
 * found (or looks again on a retry); the steps before it, having found
 * nothing, do not run. When nothing is due, the run checks its actor as
 * a batch would and records itself there: one transaction in all. (On
 * PostgreSQL a device-limit look-up that finds none leaves the rest of
 * the transaction without bitmap scans: the purge's look-up, which
 * walks its index in order anyway, the actor's and the record's upsert,
 * by their keys.) */
static int look_ahead(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	const struct sc_enforce_opts *o = c->o;

	c->idle_known = c->users_known = c->purge_known = c->all_done = false;
	if (!c->incremental || (o->purge && !be->purge_due))
		return 0;
	if (o->expire) {
		c->idle.n = 0;
		if (be->idle_sessions(db, c->idle_from, c->a->now - o->idle_timeout, SC_SPARSE_MAX,
				      &c->idle, err) < 0)
			return -1;
		c->idle_known = true;
		if (c->idle.n)
			return 0;
	}
	if (o->limit) {
		if (limit_users(db, c, first_batch(db, c, STEP_LIMIT), INT64_MIN, err) < 0)
			return -1;
		c->users_known = true;
		if (c->users.n)
			return 0;
	}
	if (o->purge) {
		if (be->purge_due(db, c->a->now - o->purge_after, &c->purge_due, err) < 0)
			return -1;
		c->purge_known = true;
		if (c->purge_due)
			return 0;
		sc_db_notice(db, "enforce: nothing to purge (found through the index)");
	}
	/* Stopped meanwhile (before the actor's look-up, or during it): as a
	 * run whose signal came before its first batch or during it, it
	 * records nothing (the next run looks where this one looked). */
	if ((!(o->stop && *o->stop) && sc_check_actor(db, c->a, err) < 0))
		return -1;
	if (o->stop && *o->stop) {
		c->r->interrupted = true;
		c->all_done = true;
		return 0;
	}
	if (recorded_run(db, c) && record_body(db, c, err) < 0)
		return -1;
	sc_db_notice(db, "enforce: nothing to do (found through the indexes)");
	c->all_done = true;
	return 0;
}

/* Before a real run: the pass it makes, and what look_ahead finds. In
 * sc_run_tx's write transaction, so that a busy database is waited for
 * and retried like any batch (and the record may be written there). */
static int plan_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;

	return plan(db, c, err) < 0 || look_ahead(db, c, err) < 0 ? -1 : 0;
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
		if ((rc = sc_run_tx(db, false, plan_body, &c, NULL, err)) == 0 && !c.all_done) {
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
				rc = record(db, &c, err);
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
