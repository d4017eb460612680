/* enforce: the plan of a run (a full pass, or an incremental one and
 * what it finds ahead), and the record of a run that went through. */
#include "enforce.h"
#include "timeutil.h"

#include <stdint.h>

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

static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_sub_overflow(a, b, &r) ? INT64_MIN : r;
}

/* Decides between a full and an incremental pass (inside a transaction). */
int enforce_plan(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
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

int enforce_record(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err)
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
		if (enforce_limit_users(db, c, enforce_first_batch(db, c, STEP_LIMIT), INT64_MIN, err) < 0)
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
	if (!(o->stop && *o->stop) && sc_check_actor(db, c->a, err) < 0)
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
int enforce_plan_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct enforce_ctx *c = vctx;

	return enforce_plan(db, c, err) < 0 || look_ahead(db, c, err) < 0 ? -1 : 0;
}
