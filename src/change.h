/* What every command that changes data shares (private to the core):
 * changes held back until their transaction commits, write transactions
 * with bounded retries, and closing sessions with audit rows. */
#ifndef SESSCTL_CHANGE_H
#define SESSCTL_CHANGE_H

#include "actions.h"
#include "backend.h"

struct held {
	enum sc_change_kind kind;
	struct sc_session s; /* strings owned */
};

struct changes {
	struct held *v;
	size_t n, cap;
	bool oom;
	size_t passed; /* dry run: rows already passed on, which a retry
			* could not take back */
	bool hold_dry; /* hold a dry run's rows too, until it has passed: a
			* change of one user's few sessions is all or
			* nothing, and a dry run that fails after some rows
			* would have shown them (and left JSON unclosed) */
	const struct sc_action *a;
};

/* Forgets the changes held (a retried transaction starts over). */
void sc_changes_reset(struct changes *c);
void sc_changes_free(struct changes *c);
/* Records a change: held until commit, or passed on at once in a dry run
 * (which is never retried) unless hold_dry. */
int sc_changes_add(struct changes *c, enum sc_change_kind kind, const struct sc_session *s);
/* Passes the held changes on, after the commit (or the dry run). */
int sc_changes_flush(struct changes *c);

/* How long a lost connection is tried again (a failover: the standby is
 * promoted, a multi-host URL finds it) before the command gives up. */
#define SC_RECONNECT_SECONDS 30

/* How many times one transaction may lose its connection and run again
 * after a reconnect. A failover loses it once or twice; a transaction
 * that loses it every time (a statement that ends its server process, a
 * peer that drops whatever it is sent) would otherwise run for ever. */
#define SC_TX_LOST_MAX 5

/* After err (SC_UNAVAILABLE): opens db's lost connection again, trying
 * with growing pauses for SC_RECONNECT_SECONDS, telling db's notice
 * callback. 0 when reconnected (err cleared); -1 when the connection was
 * not lost (err stands) or no server took it in time (err says so). */
int sc_reconnect(struct sc_db *db, struct sc_error *err);

/* After a batch that held its transaction took_ms and changed rows, with
 * more to come: leaves the lock free for the backend's pause (SQLite's:
 * the application's busy handler polls at 25 to 100 ms once it has waited
 * a while, so a gap this long lets it in), after the backend's
 * between_batches hook; with a batch size the user chose (fixed_size), at
 * most as long as the batch took, so tiny batches do not spend their time
 * waiting. enforce and the bulk logout both. */
void sc_batch_pause(struct sc_db *db, double took_ms, bool fixed_size);
/* The backend's between_batches hook alone, without the pause (after a
 * step's last batch, when the run goes on at once). */
void sc_batch_between(struct sc_db *db);

/* What a batched run left (struct sc_db; backend count_left): how many
 * sessions its changes would still take, in all (*count) and, when steady
 * is not NULL, without purges. The holder may be another sessctl run
 * whose batch ends in a moment, or gave up a lock wait and runs again in
 * a moment: for up to SC_LEFT_WAIT_MS, its locks are waited for (the
 * backend's short waits, a second each on PostgreSQL) and what is still
 * due counted (what that run closed is not), again every
 * SC_LEFT_AGAIN_MS while something is (how->again); none begun after
 * SIGINT or SIGTERM; then counted as it stands. */
#define SC_LEFT_WAIT_MS 5000
#define SC_LEFT_AGAIN_MS 250
struct sc_left_how {
	bool again; /* while something is due, look again (a real run; a
		     * dry run's rows stay due) */
	/* Not NULL: the caller can do again what is free but still due. A
	 * try that took every lock left and still counts something due
	 * (no one holds those rows, and no one did them: another run's
	 * count held them when this one's batch skipped what was locked,
	 * as this one's count may have held the other's) sets it and ends
	 * the count at once, so that the caller does them. */
	bool *free_due;
	/* Of *count, what is still due by the caller's own test (a bulk
	 * logout: still selected by its filters), in a transaction of its
	 * own; called when *count is not 0. NULL: none. */
	int (*refine)(struct sc_db *db, void *ctx, int64_t *count, struct sc_error *err);
	void *ctx;
};
int sc_count_left(struct sc_db *db, const struct sc_ids *closes, const int64_t *idle_before,
		  const struct sc_ids *purges, const struct sc_ids *users, int64_t keep,
		  const struct sc_left_how *how, int64_t *count, int64_t *steady,
		  struct sc_error *err);

/* The end of a batched run that set db->stop (enforce, bulk logout),
 * whose result was rc: a signal while a transaction waited for a lock
 * (SC_INTERRUPTED from sc_run_tx; that transaction did nothing) ends it
 * as between two batches: *interrupted set, err cleared, 0. Clears
 * db->stop. */
int sc_batched_run_end(struct sc_db *db, int rc, struct sc_error *err, bool *interrupted);

/* The change a's command makes, for the backend: its audit fields, and
 * the real time as the audit rows' created_at (read here, so that no
 * caller leaves it 0: --now never moves it). users (or NULL) are the
 * users the sessions belong to, when known. */
struct sc_change sc_change_for(const struct sc_action *a, const char *action, const int64_t *users,
			       size_t nusers);

typedef int (*tx_body)(struct sc_db *db, void *ctx, struct sc_error *err);

/* After try attempt of a transaction failed busy (err): sleeps before
 * the next (20 ms, 40 ms, ... with jitter) and returns 0, or, after the
 * last of SC_TX_ATTEMPTS, adds "gave up after N attempts" to err and
 * returns -1. */
int sc_tx_retry(int attempt, struct sc_error *err);

/* A read that prints nothing (sc_db_read), run again on a connection
 * opened again when the one it had was lost (at most SC_TX_LOST_MAX
 * times), as a change's transactions are; reset (or NULL) undoes what a
 * try that failed at its COMMIT had filled in. A lock waited for in vain
 * (SC_TEMPFAIL) is not waited for again; after SIGINT or SIGTERM in a
 * batched run (db->stop) it fails with SC_INTERRUPTED, which the caller
 * reports as the interrupt. Reads that stream rows out are never run
 * twice: not for them. */
int sc_read_again(struct sc_db *db, tx_body body, void *ctx, void (*reset)(void *ctx),
		  struct sc_error *err);

/* Runs body in a write transaction; commits, or with dry_run rolls back.
 * Retries on SC_TEMPFAIL (busy, serialization failure, deadlock), at most
 * SC_TX_ATTEMPTS times, then fails with SC_TEMPFAIL; after a lost
 * connection, reconnects and runs body again (at most SC_TX_LOST_MAX
 * times, then fails with SC_UNAVAILABLE); not when the connection was
 * lost with the COMMIT's answer and the transaction reports its rows
 * (held): the server may have committed, and that fails with
 * SC_UNAVAILABLE saying so. A dry run takes the same
 * path, as long as it has passed no row on yet (held->passed: a dry run
 * shows rows as it goes; without held, it is never run twice). In a run
 * that sets db->may_skip_locked, the retries after a row lock waited for
 * in vain run with db->skip_locked (struct sc_db): read db->locked_left
 * after a success. In a run that sets db->shrink_batch, a statement the
 * server cancelled (statement_timeout) makes the retry a smaller batch,
 * at once and without counting an attempt. */
int sc_run_tx(struct sc_db *db, bool dry_run, tx_body body, void *ctx, struct changes *held,
	      struct sc_error *err);

/* sc_run_tx for a batch of a batched run (enforce, bulk logout), whose
 * size is *batch: sessctl's (chosen 0), which a statement the server
 * cancels (statement_timeout) shrinks (struct sc_db shrink_batch), or the
 * user's (chosen, the --batch-size), which stays, and then err of a run
 * that gave up says that a smaller batch helps too. */
int sc_run_batch(struct sc_db *db, bool dry_run, tx_body body, void *ctx, struct changes *held,
		 int64_t *batch, int64_t chosen, struct sc_error *err);

/* The largest size an adaptive batch may grow to: SC_BATCH_MAX, or half
 * the size the server cancelled first in a batch of this step, the
 * smallest such (struct sc_db batch_cancelled), at least 1. */
int64_t sc_batch_most(const struct sc_db *db);

/* Where a batched run's batches start (a step, a bulk logout): nothing
 * cancelled yet. */
void sc_batch_start(struct sc_db *db);

/* After a quick batch of batch rows: the size the next may grow to
 * (sc_batch_most). A quick batch at that size counts, and after
 * SC_BATCH_CAP_RELAX of them it doubles. */
#define SC_BATCH_CAP_RELAX 16
int64_t sc_batch_quick(struct sc_db *db, int64_t batch);

struct close_ctx {
	struct changes *held;
	enum sc_change_kind kind;
	int64_t count;
};

/* An sc_session_cb counting closed rows into a struct close_ctx and
 * holding them as changes of its kind. */
int sc_on_closed(const struct sc_session *s, void *vctx);

/* Closes the active sessions among ids with audit rows of action; with
 * idle_before, only those still idle before it. users (NULL: unknown)
 * are the users they belong to, which key the statement by user_id.
 * Adds the number closed to *count (if count). */
int sc_close_ids_if(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_ids *users,
		    const struct sc_action *a, const char *action, enum sc_change_kind kind,
		    const int64_t *idle_before, struct changes *held, int64_t *count,
		    struct sc_error *err);
int sc_close_ids(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_ids *users,
		 const struct sc_action *a, const char *action, enum sc_change_kind kind,
		 struct changes *held, int64_t *count, struct sc_error *err);
/* Closes every active session of users but those among except (nexcept
 * of them), with audit rows of action, without reading them first. */
int sc_close_users(struct sc_db *db, const struct sc_ids *users, const int64_t *except,
		   size_t nexcept, const struct sc_action *a, const char *action,
		   struct changes *held, struct sc_error *err);

#endif
