/* The commands that change data, over any backend: the application's
 * rules (SPEC §2) applied in transactions, with audit rows, --dry-run and
 * bounded retries on busy databases and serialization failures.
 *
 * Every change reaches the caller through an sc_change_cb after its
 * transaction committed (or, with dry_run, after it was rolled back), so
 * a retried transaction never reports a row twice.
 */
#ifndef SESSCTL_ACTIONS_H
#define SESSCTL_ACTIONS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/* What happened (or, with dry_run, would happen) to one session. */
enum sc_change_kind {
	SC_CHANGE_CLOSED,         /* logout, logout-all */
	SC_CHANGE_ALREADY_CLOSED, /* logout of a closed session: nothing to do */
	SC_CHANGE_EXPIRED,        /* idle timeout */
	SC_CHANGE_OVER_LIMIT,     /* closed by the device limit */
	SC_CHANGE_PURGED,         /* deleted */
	SC_CHANGE_CREATED,
	SC_CHANGE_REFRESHED,      /* create on a known device */
};

/* "closed", "already-closed", "expired", "over-limit", "purged",
 * "created", "refreshed". */
const char *sc_change_name(enum sc_change_kind kind);

typedef int (*sc_change_cb)(enum sc_change_kind kind, const struct sc_session *s, void *ctx);

/* Common to every change. */
struct sc_action {
	const char *actor;  /* required */
	const char *reason; /* NULL: none */
	int64_t now;
	bool dry_run;       /* run in a transaction that is rolled back */
	sc_change_cb cb;    /* may be NULL */
	void *ctx;
	/* A dry run's report that can start over (it waits in a file until
	 * the end): forgets the rows cb was given, so that the dry run can
	 * be retried after it gave some (0, or -1). NULL: it cannot. */
	int (*rewind)(void *ctx);
	const char *actor_from; /* a default actor's origin ("$SUDO_USER"); NULL: --actor */
};

/* Adaptive batches start at SC_BATCH_MIN rows, grow (at most double)
 * while a batch commits in under SC_BATCH_FAST_MS and shrink when one
 * takes more than SC_BATCH_SLOW_MS (enforce: in proportion, and within
 * the band the connection sets, struct sc_db; logout --where: doubling
 * and halving), within [SC_BATCH_MIN, SC_BATCH_MAX]: the write lock
 * (SQLite) or a batch's row locks (PostgreSQL) are held for well under a
 * tenth of a second at a time, so the application's own writes get in
 * between batches (see struct sc_backend.lock_pause_ms), while a large
 * backlog is not split into more transactions than that needs. */
#define SC_BATCH_MIN 250
/* The device limit's batches count sessions to close, whole users at a
 * time (at least one), and may shrink this low. */
#define SC_BATCH_MIN_LIMIT 8
#define SC_BATCH_MAX 200000
#define SC_BATCH_FAST_MS 40
#define SC_BATCH_SLOW_MS 100

/* Transactions are retried this many times on SC_TEMPFAIL, then 75. */
#define SC_TX_ATTEMPTS 6

/* Closes the sessions ids names; all or nothing: SC_NOINPUT and no
 * change when any id does not exist. Closed ones are reported as
 * SC_CHANGE_ALREADY_CLOSED. */
int sc_logout_ids(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_action *a,
		  struct sc_error *err);

/* How logout picks a user's session. */
struct sc_logout_pick {
	const struct sc_userref *user;
	const char *fingerprint; /* the session of this device, or */
	bool latest;             /* the most recently active session */
};

/* logout --user USER --device FP | --latest. SC_NOINPUT when the user has
 * no such (active, for --latest) session. */
int sc_logout_pick(struct sc_db *db, const struct sc_logout_pick *pick,
		   const struct sc_action *a, struct sc_error *err);

/* Closes every active session of the user but *except_id (NULL: none).
 * SC_NOINPUT when *except_id is not one of the user's sessions. */
int sc_logout_all(struct sc_db *db, const struct sc_userref *user, const int64_t *except_id,
		  const struct sc_action *a, struct sc_error *err);

/* The application's create rule: insert or refresh the (user, device)
 * session, then close the user's oldest sessions beyond max_sessions. */
int sc_create(struct sc_db *db, const struct sc_userref *user, const struct sc_new_session *ns,
	      int64_t max_sessions, const struct sc_action *a, struct sc_error *err);

struct sc_enforce_result {
	int64_t expired;
	int64_t over_limit;
	int64_t purged;
	int64_t batches;
	bool interrupted;
	/* Sessions left as they were because another transaction held them,
	 * or their user, locked longer than a lock wait (PostgreSQL's
	 * lock_timeout): the rest of the run went on without them. */
	int64_t locked;
	/* With a progress callback: an estimate of the share of the work
	 * done, 0 to 1 (how far the batches have walked the ids), and how
	 * long the last batch's transaction took (ms): from its body to its
	 * commit, what it held SQLite's write lock for (not the wait for the
	 * lock, nor the attempts before a retry). */
	double done_share;
	double batch_ms;
	/* The step running (1 to steps: expire, the device limit, purge, as
	 * asked) and the share of it done, 0 to 1: steps differ in size, so
	 * an estimate of the time left is the running step's. */
	int step, steps;
	double step_share;
	/* The round: 1, then 2 and on when the steps run again because
	 * rows a batch left (held by another transaction) were free by the
	 * end but not done (PostgreSQL; sc_enforce). */
	int round;
};

struct sc_enforce_opts {
	bool expire;            /* expire idle sessions */
	int64_t idle_timeout;   /* seconds */
	bool limit;             /* enforce the device limit */
	int64_t max_sessions;
	bool purge;             /* delete inactive sessions ... */
	int64_t purge_after;    /* ... idle longer than this */
	bool has_user;
	int64_t user_id;        /* restrict to this user */
	int64_t batch_size;     /* sessions (or users) per transaction; 0:
				 * adaptive, see SC_BATCH_* */
	bool full;              /* rank every user and walk every row, whatever
				 * the last run recorded (enforce-steady.c) */
	/* Checked between batches: when it becomes non-zero enforce stops
	 * after the batch in progress, with *interrupted set. May be NULL. */
	volatile sig_atomic_t *stop;
	/* Called after each committed batch with the running totals. */
	void (*progress)(const struct sc_enforce_result *r, void *ctx);
	void *progress_ctx;
};

/* The cron job: expire, then the device limit, then purge; each in
 * batches of one short transaction. With a->dry_run, everything runs in
 * one transaction that is rolled back. */
int sc_enforce(struct sc_db *db, const struct sc_enforce_opts *o, const struct sc_action *a,
	       struct sc_enforce_result *r, struct sc_error *err);

/* ---- logout --where: bulk logout by filters (bulk.c) ---- */

struct sc_bulk_result {
	int64_t closed;    /* sessions closed (with dry_run: that would be) */
	int64_t users;     /* distinct users among them */
	int64_t batches;   /* committed batches that closed something */
	bool interrupted;  /* stopped by *stop before the end */
	int64_t locked;    /* sessions left: another transaction held them
			    * locked (as struct sc_enforce_result) */
};

struct sc_bulk_opts {
	/* Which sessions: the active ones among those the filters select
	 * (state, limit, with_user and the cursor are ignored). Its users are
	 * looked up once, in the first batch (or by sc_bulk_count before). */
	const struct sc_find_request *filter;
	int64_t batch_size;  /* sessions per transaction; 0: adaptive (SC_BATCH_*) */
	/* Checked between batches: when non-zero, stops after the batch in
	 * progress with interrupted set. May be NULL. */
	volatile sig_atomic_t *stop;
};

/* How many active sessions filter selects, and of how many users (one
 * read transaction): what a bulk logout asks about before it starts.
 * The users filter names (--user) are looked up in that transaction and
 * filter is changed to select by their ids, which ids holds (free it
 * after the run): the logout that follows closes the sessions of the
 * users the question was about, whatever is renamed in between. */
int sc_bulk_count(struct sc_db *db, struct sc_find_request *filter, struct sc_ids *ids,
		  int64_t *sessions, int64_t *users, struct sc_error *err);

/* Closes the active sessions o->filter selects, walking them in id order
 * in batches of one short transaction each (select, close, one "logout"
 * audit row per session), so that an interrupt or a failure leaves only
 * whole batches done and a second run closes what is left. With
 * a->dry_run, everything runs in one transaction that is rolled back and
 * each session is reported to a->cb as it would be closed; otherwise
 * a->cb is not called (r counts). r holds what was committed even when
 * this fails. */
int sc_logout_where(struct sc_db *db, const struct sc_bulk_opts *o, const struct sc_action *a,
		    struct sc_bulk_result *r, struct sc_error *err);

/* Refuses (SC_NOPERM) an actor (a->actor) that names a user of the users
 * table (id, email or username) whose role is not admin; the message
 * names where a default actor came from and asks for --actor. Refuses
 * (SC_DATAERR) an actor or reason the database could not store, as
 * sc_check_text. Inside the caller's transaction. */
int sc_check_actor(struct sc_db *db, const struct sc_action *a, struct sc_error *err);
/* Refuses text the database would refuse to store (struct sc_backend's
 * check_text; what names the option), before a change or its dry run:
 * 0, or -1 with err set. */
int sc_check_text(struct sc_db *db, const char *what, const char *value, struct sc_error *err);

#endif
