/* Held changes, write transactions with retries, the actor rule and
 * closing sessions: what every change shares. */
#include "change.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void sc_changes_reset(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		sc_session_release(&c->v[i].s);
	c->n = 0;
	c->oom = false;
}

void sc_changes_free(struct changes *c)
{
	sc_changes_reset(c);
	free(c->v);
	c->v = NULL;
	c->cap = 0;
}

/* Records a change: held until commit, or passed on at once in a dry run
 * (which is never retried) unless hold_dry. */
int sc_changes_add(struct changes *c, enum sc_change_kind kind, const struct sc_session *s)
{
	struct held *h;

	if (!c->a->cb)
		return 0;
	if (c->a->dry_run && !c->hold_dry) {
		c->passed++;
		return c->a->cb(kind, s, c->a->ctx);
	}
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

int sc_changes_flush(struct changes *c)
{
	int rc = 0;
	if ((!c->a->dry_run || c->hold_dry) && c->a->cb)
		for (size_t i = 0; i < c->n && rc == 0; i++)
			rc = c->a->cb(c->v[i].kind, &c->v[i].s, c->a->ctx);
	return rc;
}

/* ---- transactions with bounded retries ---- */

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

int sc_tx_retry(int attempt, struct sc_error *err)
{
	if (attempt >= SC_TX_ATTEMPTS) {
		char msg[sizeof(err->msg)];
		memcpy(msg, err->msg, sizeof(msg));
		return sc_error_set(err, SC_TEMPFAIL, "%s (gave up after %d attempts)", msg,
				    SC_TX_ATTEMPTS);
	}
	backoff(attempt);
	return 0;
}

/* Where msg quotes display ('<display>'): its opening quote, or NULL. */
static char *quoted(char *msg, const char *display)
{
	size_t n = strlen(display);

	for (char *p = strchr(msg, '\''); p; p = strchr(p + 1, '\''))
		if (strncmp(p + 1, display, n) == 0 && p[n + 1] == '\'')
			return p;
	return NULL;
}

/* Drops " on '<display>'" or " to '<display>'" from msg: said after the
 * loss, which names the database too, the last try's message says what
 * it found in fewer words. */
static void drop_display(char *msg, const char *display)
{
	char *p = quoted(msg, display);
	size_t n = strlen(display);

	if (p && p - msg >= 4 && (strncmp(p - 4, " on ", 4) == 0 || strncmp(p - 4, " to ", 4) == 0))
		memmove(p - 4, p + n + 2, strlen(p + n + 2) + 1);
}

/* Makes msg at most max bytes long, when it is longer, by cutting the
 * end of the display it quotes ('<display>': a long URL, a list of
 * hosts) down to its start and "…", so that what it says after that
 * stays; failing that, by cutting its own end. */
static void shorten(char *msg, const char *display, size_t max)
{
	static const char more[] = "…";
	size_t len = strlen(msg), n = strlen(display), over, keep;
	char *p;

	if (len <= max)
		return;
	over = len - max + strlen(more);
	if ((p = quoted(msg, display)) && n > over + 20) {
		keep = (size_t)sc_utf8_cut(p + 1, n - over);
		memmove(p + 1 + keep + strlen(more), p + 1 + n, strlen(p + 1 + n) + 1);
		memcpy(p + 1 + keep, more, strlen(more));
		return;
	}
	msg[sc_utf8_cut(msg, max)] = '\0';
}

int sc_reconnect(struct sc_db *db, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	double deadline = sc_monotonic_ms() + SC_RECONNECT_SECONDS * 1e3;
	char lost[sizeof(err->msg)];
	long wait_ms = 250;

	if (!be->reconnect)
		return -1;
	memcpy(lost, err->msg, sizeof(lost));
	for (int attempt = 1;; attempt++) {
		struct sc_error again = { 0 };
		/* SIGINT/SIGTERM in a batched run: the signal cuts the sleep
		 * short (nanosleep is not restarted), and the run stops as
		 * between two batches instead of trying for 30 s more. */
		if (db->stop && *db->stop)
			return sc_error_set(err, SC_INTERRUPTED, "interrupted while reconnecting");
		double left = deadline - sc_monotonic_ms();
		int rc = be->reconnect(db, left > 0 ? (long)left : 0, &again);
		if (rc == 1) {
			/* not a lost connection (err stands), or what the try
			 * found is final */
			if (again.status != SC_OK)
				*err = again;
			return -1;
		}
		if (rc == 0) {
			/* Maybe another server (a promoted standby): its schema
			 * is checked in the next transaction. */
			db->schema_unchecked = db->mode == SC_OPEN_READ || db->mode == SC_OPEN_WRITE;
			sc_db_notice(db, "connection lost (%s): reconnected to '%s' (attempt %d)", lost,
				     db->display, attempt);
			sc_error_clear(err);
			return 0;
		}
		/* a signal during the try (which gave up its wait for it) */
		if (db->stop && *db->stop)
			return sc_error_set(err, SC_INTERRUPTED, "interrupted while reconnecting");
		if (sc_monotonic_ms() + (double)wait_ms > deadline) {
			/* The loss, and what the last try found: the server
			 * refused, PgBouncer's login to it failing, no answer
			 * (-v has each try's). When the line would not fit a
			 * message (a list of hosts says a line for each, and
			 * a batched run puts what it committed before it), the
			 * loss is cut short, so that the last try is said
			 * whole. */
			bool last = again.msg[0] && strcmp(again.msg, lost) != 0;
			enum { BEFORE = 110 }; /* "enforce stopped after N committed batches (…): " */
			int room;

			if (last) {
				drop_display(again.msg, db->display);
				room = SC_ERROR_MSG_SIZE - 1 - BEFORE - 80 - (int)strlen(again.msg);
				shorten(lost, db->display, room > 60 ? (size_t)room : 60);
			}
			sc_error_set(err, SC_UNAVAILABLE, "%s (no server took the connection again within "
				     "%d s%s%s)", lost, SC_RECONNECT_SECONDS, last ? "; the last try: " : "",
				     last ? again.msg : "");
			return -1;
		}
		sc_db_notice(db, "connection lost (%s): reconnecting in %.2f s (attempt %d)",
			     again.msg[0] ? again.msg : lost, (double)wait_ms / 1e3, attempt);
		struct timespec ts = { wait_ms / 1000, (wait_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		if (wait_ms < 4000)
			wait_ms *= 2;
	}
}

/* After a try that failed (err): whether it lost the connection and the
 * connection is open again, at most SC_TX_LOST_MAX times a *lost. */
static bool opened_again(struct sc_db *db, int *lost, struct sc_error *err)
{
	return err->status == SC_UNAVAILABLE && db->backend->reconnect && ++*lost <= SC_TX_LOST_MAX &&
	       sc_reconnect(db, err) == 0;
}

int sc_read_again(struct sc_db *db, tx_body body, void *ctx, void (*reset)(void *ctx),
		  struct sc_error *err)
{
	int rc, lost = 0;

	while ((rc = sc_db_read(db, body, ctx, err)) < 0 && opened_again(db, &lost, err))
		if (reset)
			reset(ctx);
	if (rc < 0 && err->status == SC_TEMPFAIL && db->stop && *db->stop)
		return sc_error_set(err, SC_INTERRUPTED, "interrupted while waiting for a lock");
	return rc;
}

/* Runs body in a write transaction; commits, or with dry_run rolls back.
 * Retries on SC_TEMPFAIL (busy, serialization failure, deadlock). */
/* Before a dry run that passed rows on runs again: its report starts
 * over (only a report that can: see final in run_tx). */
static int start_over(bool dry_run, struct changes *held, struct sc_error *err)
{
	if (!dry_run || !held || !held->passed)
		return 0;
	if (held->a->rewind(held->a->ctx) < 0)
		return sc_error_set(err, SC_IOERR, "cannot start the dry run's report over");
	held->passed = 0;
	return 0;
}

static int run_tx(struct sc_db *db, bool dry_run, tx_body body, void *ctx,
		  struct changes *held, struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	int lost = 0;
	bool cut = false; /* a statement of this batch was cancelled already */

	for (int attempt = 1;;) {
		bool final;
		if (held)
			sc_changes_reset(held);
		sc_error_clear(err);
		db->lock_waited = false;
		db->timed_out = false;
		db->left_closes.n = db->left_purges.n = db->left_users.n = 0;
		if (sc_db_begin(db, SC_TX_WRITE, err) == 0) {
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
				/* The connection lost with the COMMIT's answer (a
				 * backend with connections to lose): the server may
				 * have committed. A batch is run again (it
				 * selects what is left); a change that reports its rows
				 * (held) is not: run again, it would report them as
				 * the commit left them (already closed) and create
				 * would audit the session twice. */
				if (held && err->status == SC_UNAVAILABLE && be->reconnect) {
					char msg[sizeof(err->msg)];
					memcpy(msg, err->msg, sizeof(msg));
					return sc_error_set(err, SC_UNAVAILABLE,
							    "%s: the connection was lost as the change "
							    "committed, so it may or may not have been made: "
							    "check with 'sessctl history' before running it "
							    "again", msg);
				}
			} else {
				be->rollback(db);
			}
		}
		/* A dry run that showed rows cannot run again: they would
		 * show twice, unless its report can start over (a->rewind:
		 * the report waits in a file; start_over, before any retry).
		 * One that showed none ends as the real run. */
		final = dry_run && (!held || (held->passed && !held->a->rewind));
		if (err->status == SC_UNAVAILABLE && !final && be->reconnect && ++lost > SC_TX_LOST_MAX) {
			char msg[sizeof(err->msg)];
			memcpy(msg, err->msg, sizeof(msg));
			return sc_error_set(err, SC_UNAVAILABLE, "%s (the connection was lost %d times in "
					    "one transaction: gave up)", msg, lost);
		}
		if (err->status == SC_UNAVAILABLE && !final && sc_reconnect(db, err) == 0) {
			/* a batch lost with the connection is done again */
			if (start_over(dry_run, held, err) < 0)
				return -1;
			attempt++;
			continue;
		}
		if (err->status != SC_TEMPFAIL)
			return -1;
		/* Stopped while waiting for a lock: nothing of this
		 * transaction was done; the caller reports the interrupt. */
		if (db->stop && *db->stop)
			return sc_error_set(err, SC_INTERRUPTED, "interrupted while waiting for a lock");
		if (final || start_over(dry_run, held, err) < 0)
			return -1;
		/* A statement of a batch ran past the server's statement_timeout:
		 * the same batch would again, so a batch whose size sessctl
		 * chooses runs again at once at a quarter of it (not counted as
		 * an attempt: it ends, at one row). The adaptive sizes grow back
		 * from there while batches are fast, to half the size first
		 * cancelled at most (db->batch_cancelled: the later cancels of
		 * the same batch may be another cause's). */
		if (db->timed_out && db->shrink_batch && *db->shrink_batch > 1) {
			int64_t was = *db->shrink_batch;
			*db->shrink_batch = was / 4 > 1 ? was / 4 : 1;
			if (!cut && (!db->batch_cancelled || was < db->batch_cancelled)) {
				db->batch_cancelled = was;
				db->batch_capped = 0;
			}
			sc_db_notice(db, "the server cancelled a statement of a batch of %lld (its "
				     "statement_timeout, most likely): running it again as a batch of %lld%s",
				     (long long)was, (long long)*db->shrink_batch,
				     cut ? "" : "; batches grow to half that size at most from here");
			cut = true;
			continue;
		}
		/* A row lock waited for in vain (an application transaction
		 * left open, most likely): a batched run leaves such rows to
		 * its next run rather than stop at them on every run. */
		if (db->lock_waited && db->may_skip_locked && !db->skip_locked) {
			db->skip_locked = true;
			sc_db_notice(db, "a row lock waited for in vain: running the batch again "
				     "without the rows other transactions hold");
		}
		if (sc_tx_retry(attempt++, err) < 0)
			return -1;
	}
}

int sc_run_tx(struct sc_db *db, bool dry_run, tx_body body, void *ctx,
	      struct changes *held, struct sc_error *err)
{
	int rc = run_tx(db, dry_run, body, ctx, held, err);
	db->skip_locked = false;
	return rc;
}

int sc_run_batch(struct sc_db *db, bool dry_run, tx_body body, void *ctx, struct changes *held,
		 int64_t *batch, int64_t chosen, struct sc_error *err)
{
	db->shrink_batch = chosen ? NULL : batch;
	int rc = sc_run_tx(db, dry_run, body, ctx, held, err);
	db->shrink_batch = NULL;
	/* The size the user chose stays: the line says a smaller one helps. */
	if (rc < 0 && db->timed_out && chosen > 1 && err->status == SC_TEMPFAIL) {
		char msg[sizeof(err->msg)];
		memcpy(msg, err->msg, sizeof(msg));
		return sc_error_set(err, SC_TEMPFAIL, "%s; or give a smaller --batch-size than %lld",
				    msg, (long long)chosen);
	}
	return rc;
}

int64_t sc_batch_most(const struct sc_db *db)
{
	if (!db->batch_cancelled)
		return SC_BATCH_MAX;
	return db->batch_cancelled / 2 > 1 ? db->batch_cancelled / 2 : 1;
}

void sc_batch_start(struct sc_db *db)
{
	db->batch_cancelled = 0;
	db->batch_capped = 0;
}

int64_t sc_batch_quick(struct sc_db *db, int64_t batch)
{
	if (!db->batch_cancelled || batch < sc_batch_most(db))
		return sc_batch_most(db);
	if (++db->batch_capped < SC_BATCH_CAP_RELAX)
		return batch;
	/* Long enough at that size with nothing cancelled: the cause may
	 * have passed (or been no size's: a lock, a stall). */
	db->batch_capped = 0;
	db->batch_cancelled = db->batch_cancelled > SC_BATCH_MAX ? 0 : db->batch_cancelled * 2;
	sc_db_notice(db, "%d quick batches with no statement cancelled: batches grow to %lld at most again",
		     SC_BATCH_CAP_RELAX, (long long)sc_batch_most(db));
	return sc_batch_most(db);
}

/* ---- the actor rule ---- */

int sc_check_text(struct sc_db *db, const char *what, const char *value, struct sc_error *err)
{
	return db->backend->check_text ? db->backend->check_text(db, what, value, err) : 0;
}

int sc_check_actor(struct sc_db *db, const struct sc_action *a, struct sc_error *err)
{
	const char *actor = a->actor;
	char from[48] = "";
	struct sc_userref ref;
	struct sc_user user = { 0 };
	int rc;

	if (!actor || !*actor)
		return sc_error_set(err, SC_USAGE, "actor is empty: give --actor NAME");
	/* The audit rows' text, which a dry run does not write */
	if (sc_check_text(db, a->actor_from ? a->actor_from : "--actor", actor, err) < 0 ||
	    sc_check_text(db, "--reason", a->reason, err) < 0)
		return -1;
	if (sc_userref_parse(actor, &ref, err) < 0)
		return -1;
	if (ref.kind == SC_USER_BY_ID && ref.id < 0)
		return 0;
	rc = db->backend->find_user(db, &ref, &user, err);
	if (rc < 0)
		return -1;
	if (rc == 1 || rc == 3) {
		sc_user_free(&user);
		return 0; /* not an application user: an operator's login name */
	}
	if (a->actor_from)
		snprintf(from, sizeof(from), " (%s)", a->actor_from);
	if (rc == 2)
		return sc_error_set(err, SC_NOPERM,
			"actor '%s'%s names more than one user: name an admin by id or email with --actor",
			actor, from);
	rc = user.role && strcmp(user.role, "admin") == 0 ? 0
		: sc_error_set(err, SC_NOPERM,
			       "actor '%s'%s is user %lld with role '%s', not admin: permission denied; "
			       "name an admin with --actor",
			       actor, from, (long long)user.id, user.role ? user.role : "none");
	sc_user_free(&user);
	return rc;
}

/* ---- shared pieces of the bodies ---- */

int sc_on_closed(const struct sc_session *s, void *vctx)
{
	struct close_ctx *c = vctx;
	c->count++;
	return sc_changes_add(c->held, c->kind, s);
}

/* --now moves the rules, never the audit trail: the row records the
 * real time of the change. */
struct sc_change sc_change_for(const struct sc_action *a, const char *action, const int64_t *users,
			       size_t nusers)
{
	return (struct sc_change){ .action = action, .actor = a->actor, .reason = a->reason,
				   .now = a->now, .audit = !a->dry_run, .users = users,
				   .nusers = nusers, .recorded_at = (int64_t)time(NULL) /* never --now */ };
}

/* The change a close makes. */
static struct sc_change close_change(const struct sc_action *a, const char *action,
				     const int64_t *idle_before, const struct sc_ids *users)
{
	struct sc_change ch = sc_change_for(a, action, users ? users->v : NULL, users ? users->n : 0);

	ch.has_idle_before = idle_before != NULL;
	ch.idle_before = idle_before ? *idle_before : 0;
	return ch;
}

int sc_close_ids_if(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_ids *users,
			const struct sc_action *a, const char *action, enum sc_change_kind kind,
			const int64_t *idle_before, struct changes *held, int64_t *count,
			struct sc_error *err)
{
	struct sc_change ch = close_change(a, action, idle_before, users);
	struct close_ctx c = { held, kind, 0 };
	int rc;

	if (n == 0)
		return 0;
	/* Read the rows back only when someone reports them. */
	rc = db->backend->close_sessions(db, ids, n, &ch, a->cb ? sc_on_closed : NULL, &c, err);
	if (rc < 0)
		return -1;
	if (count)
		*count += rc;
	return 0;
}

int sc_close_users(struct sc_db *db, const struct sc_ids *users, const int64_t *except,
		   size_t nexcept, const struct sc_action *a, const char *action,
		   struct changes *held, struct sc_error *err)
{
	struct sc_change ch = close_change(a, action, NULL, users);
	struct close_ctx c = { held, SC_CHANGE_CLOSED, 0 };

	return db->backend->close_users_sessions(db, except, nexcept, &ch,
						 a->cb ? sc_on_closed : NULL, &c, err) < 0 ? -1 : 0;
}

int sc_close_ids(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_ids *users,
		 const struct sc_action *a, const char *action, enum sc_change_kind kind,
		 struct changes *held, int64_t *count, struct sc_error *err)
{
	return sc_close_ids_if(db, ids, n, users, a, action, kind, NULL, held, count, err);
}

/* ---- batched runs: what they left ---- */

struct left {
	const struct sc_ids *closes, *purges, *users;
	const int64_t *idle_before;
	int64_t keep;
	bool wait;
	int64_t *count, *steady;
};

static int count_left_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	const struct left *l = vctx;
	const struct sc_ids none = { 0 };
	const struct sc_backend *be = db->backend;

	if (be->count_left(db, l->closes, l->idle_before, l->purges, l->users, l->keep, l->wait,
			   l->count, err) < 0)
		return -1;
	if (!l->steady)
		return 0;
	return be->count_left(db, l->closes, l->idle_before, &none, l->users, l->keep, false,
			      l->steady, err);
}

int sc_count_left(struct sc_db *db, const struct sc_ids *closes, const int64_t *idle_before,
		  const struct sc_ids *purges, const struct sc_ids *users, int64_t keep,
		  const struct sc_left_how *how, int64_t *count, int64_t *steady,
		  struct sc_error *err)
{
	const struct sc_backend *be = db->backend;
	struct left l = { closes, purges, users, idle_before, keep, true, count, steady };
	int rc;

	*count = 0;
	if (steady)
		*steady = 0;
	if (!closes->n && !purges->n && !users->n)
		return 0;
	if (!be->count_left)
		return sc_error_set(err, SC_SOFTWARE, "rows were left without a way to count them");
	/* For up to SC_LEFT_WAIT_MS, not sc_run_tx's six retries: a holder
	 * that stays is the case counted. Each try waits for the locks at
	 * most the backend's short wait, and counts; while something is still
	 * due, a real run tries again a moment later (rows no one holds but
	 * still due may be another run's, whose batch gave up a lock wait and
	 * runs again after its back-off; a dry run's stay due). None begins
	 * after SIGINT or SIGTERM (the caller reports the interrupt): then
	 * counted as it stands. */
	double deadline = sc_monotonic_ms() + SC_LEFT_WAIT_MS;
	bool counted = false;
	int lost = 0;
	while (!(db->stop && *db->stop)) {
		rc = -1;
		if (sc_db_begin(db, SC_TX_WRITE, err) == 0) {
			rc = count_left_body(db, &l, err);
			be->rollback(db);
		}
		if (rc == 0 && *count && how->refine && how->refine(db, how->ctx, count, err) < 0)
			return -1;
		if (rc == 0 && (*count == 0 || !how->again))
			return 0;
		if (rc == 0 && how->free_due) {
			*how->free_due = true;
			return 0;
		}
		/* A connection lost meanwhile (a failover, a restart) is
		 * opened again, as the batches' is; the wait goes on. */
		if (rc < 0 && opened_again(db, &lost, err))
			continue;
		if (rc < 0 && err->status != SC_TEMPFAIL)
			return -1;
		counted = counted || rc == 0;
		sc_error_clear(err);
		if (sc_monotonic_ms() >= deadline)
			break;
		if (rc == 0) /* cut short by a signal (not restarted) */
			nanosleep(&(struct timespec){ 0, SC_LEFT_AGAIN_MS * 1000000L }, NULL);
	}
	if (counted && !(db->stop && *db->stop))
		return 0;
	l.wait = false;
	if (sc_read_again(db, count_left_body, &l, NULL, err) < 0)
		return -1;
	return *count && how->refine ? how->refine(db, how->ctx, count, err) : 0;
}

/* ---- batched runs: the pause between batches, the end ---- */

int sc_batched_run_end(struct sc_db *db, int rc, struct sc_error *err, bool *interrupted)
{
	db->stop = NULL;
	if (rc < 0 && err->status == SC_INTERRUPTED) {
		*interrupted = true;
		sc_error_clear(err);
		return 0;
	}
	return rc;
}

void sc_batch_between(struct sc_db *db)
{
	if (db->backend->between_batches)
		db->backend->between_batches(db);
}

/* A batch longer than this is followed by the backend's long pause. */
#define SC_LONG_BATCH_MS 90

void sc_batch_pause(struct sc_db *db, double took_ms, bool fixed_size)
{
	const struct sc_backend *be = db->backend;

	if (!be->lock_pause_ms)
		return;
	double ms = took_ms > SC_LONG_BATCH_MS && be->lock_pause_long_ms ? be->lock_pause_long_ms
									 : be->lock_pause_ms;
	if (fixed_size && took_ms < ms)
		ms = took_ms;
	double t0 = sc_monotonic_ms();
	sc_batch_between(db);
	ms -= sc_monotonic_ms() - t0;
	if (ms > 0) {
		struct timespec pause = { (time_t)(ms / 1000), (long)(ms * 1e6) % 1000000000L };
		nanosleep(&pause, NULL);
	}
}
