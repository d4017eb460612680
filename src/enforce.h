/* enforce's state shared by its two files: enforce.c runs the steps in
 * batches; enforce-steady.c plans a run (a full or an incremental pass,
 * with the incremental pass's look ahead) and records it. */
#ifndef SESSCTL_ENFORCE_H
#define SESSCTL_ENFORCE_H

#include "change.h"

#include <stdbool.h>
#include <stdint.h>

/* More idle sessions than this through the index: a backlog, which the
 * id-order walk (neighbouring pages per batch) serves better. */
#define SC_SPARSE_MAX 20000

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
	/* Steady state (enforce-steady.c): */
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

/* enforce.c */
int64_t enforce_first_batch(const struct sc_db *db, const struct enforce_ctx *c,
			    enum enforce_step step);
int enforce_limit_users(struct sc_db *db, struct enforce_ctx *c, int64_t asked, int64_t from,
			struct sc_error *err);
/* enforce-steady.c */
int enforce_plan(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err);
int enforce_plan_body(struct sc_db *db, void *vctx, struct sc_error *err);
int enforce_record(struct sc_db *db, struct enforce_ctx *c, struct sc_error *err);

#endif
