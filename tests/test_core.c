/* Unit tests of the core (src/change.c, src/actions.c, src/enforce.c,
 * src/schema.c) over the fake in-memory backend (tests/fake-backend.c),
 * without SQL: bounded retries and held changes, all-or-nothing logout,
 * enforce's batches and stop flag, dry runs against real runs, the
 * create preview, and the steps of a migration. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/actions.h"
#include "../src/change.h"
#include "../src/migrate.h"
#include "fake-backend.h"

#define NOW 1000000
#define IDLE 1000 /* the idle timeout the enforce tests use */

static struct fake_db *F;

static void setup(void)
{
	F = fake_new();
	fake_add_user(F, 1, "alice@example.com", "alice", "user");
	fake_add_user(F, 2, "bob@example.com", "bob", "user");
	fake_add_user(F, 3, "carol@example.com", "carol", "user");
	fake_add_user(F, 4, "dave@example.com", "dave", "user");
	fake_add_user(F, 9, "root@example.com", "root", "admin");
}

static void teardown(void)
{
	if (F)
		cr_expect_str_empty(F->violation, "the core broke the backend contract: %s", F->violation);
	fake_free(F);
	F = NULL;
}

TestSuite(core, .init = setup, .fini = teardown);

/* ---- what the core reported ---- */

#define MAX_SEEN 4096

struct seen {
	size_t n;
	enum sc_change_kind kind[MAX_SEEN];
	int64_t id[MAX_SEEN];
	struct fake_session row[MAX_SEEN];
	bool in_tx[MAX_SEEN];    /* the fake was inside a transaction then */
	int commits[MAX_SEEN];   /* transactions committed by then */
	size_t audit[MAX_SEEN];  /* audit rows the current state held then */
	int fail_at;             /* return -1 on this report (1-based; 0: never) */
};

static struct seen S;

static int on_change(enum sc_change_kind kind, const struct sc_session *s, void *ctx)
{
	struct seen *v = ctx;
	size_t i = v->n++;

	cr_assert_lt(i, MAX_SEEN);
	v->kind[i] = kind;
	v->id[i] = s->id;
	memset(&v->row[i], 0, sizeof(v->row[i]));
	v->row[i].id = s->id;
	v->row[i].user_id = s->user_id;
	v->row[i].last_activity = s->last_activity;
	v->row[i].last_activity_null = s->last_activity_null;
	v->row[i].is_active = s->is_active;
	snprintf(v->row[i].fp, FAKE_STR, "%s", s->device_fingerprint ? s->device_fingerprint : "(null)");
	snprintf(v->row[i].name, FAKE_STR, "%s", s->device_name ? s->device_name : "(null)");
	snprintf(v->row[i].ip, FAKE_STR, "%s", s->ip_address ? s->ip_address : "(null)");
	v->in_tx[i] = F->in_tx;
	v->commits[i] = F->commits;
	v->audit[i] = F->st.naudit;
	return v->fail_at && (int)v->n == v->fail_at ? -1 : 0;
}

static struct sc_action action(bool dry_run)
{
	memset(&S, 0, sizeof(S));
	return (struct sc_action){ .actor = "cron", .now = NOW, .dry_run = dry_run, .cb = on_change,
				   .ctx = &S };
}

static bool active(int64_t id)
{
	struct fake_session *s = fake_session(F, id);
	cr_assert_not_null(s, "session %lld is gone", (long long)id);
	return s->is_active;
}

/* A deep copy of the committed sessions, to compare a state with. */
struct snapshot {
	size_t n, naudit;
	struct fake_session *v;
};

static struct snapshot snap(void)
{
	struct snapshot s = { F->st.nsessions, F->st.naudit, NULL };
	s.v = malloc((s.n + 1) * sizeof(*s.v));
	cr_assert_not_null(s.v);
	if (s.n)
		memcpy(s.v, F->st.sessions, s.n * sizeof(*s.v));
	return s;
}

static void expect_unchanged(struct snapshot *s, const char *what)
{
	cr_expect_eq(F->st.nsessions, s->n, "%s: %zu sessions, was %zu", what, F->st.nsessions, s->n);
	cr_expect_eq(F->st.naudit, s->naudit, "%s: %zu audit rows, was %zu", what, F->st.naudit,
		     s->naudit);
	if (F->st.nsessions == s->n)
		cr_expect(memcmp(F->st.sessions, s->v, s->n * sizeof(*s->v)) == 0,
			  "%s: sessions changed", what);
	free(s->v);
	s->v = NULL;
}

/* ---- sc_run_tx: retries, held changes ---- */

Test(core, tempfail_is_retried_then_given_up_with_75)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(false);

	fake_fail(F, FAKE_COMMIT, 1, -1, SC_TEMPFAIL);
	cr_assert_neq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0);
	cr_expect_eq(err.status, SC_TEMPFAIL, "status %d: %s", err.status, err.msg);
	cr_expect(strstr(err.msg, "gave up after") != NULL, "message: %s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], SC_TX_ATTEMPTS, "%d transactions, expected %d",
		     F->calls[FAKE_BEGIN], SC_TX_ATTEMPTS);
	cr_expect_eq(S.n, 0, "%zu changes reported for a transaction that never committed", S.n);
	cr_expect(active(id), "the session was closed although nothing committed");
	cr_expect_eq(F->st.naudit, 0);
}

Test(core, tempfail_retry_reports_each_change_once_after_the_commit)
{
	struct sc_error err = { 0 };
	int64_t ids[2] = { fake_add_session(F, 1, "a", NOW, true), fake_add_session(F, 1, "b", NOW, false) };
	struct sc_action a = action(false);

	fake_fail(F, FAKE_COMMIT, 1, 2, SC_TEMPFAIL); /* the first two commits: busy */
	cr_assert_eq(sc_logout_ids(&F->base, ids, 2, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 3);
	cr_assert_eq(S.n, 2, "%zu changes reported, expected 2 (once each)", S.n);
	for (size_t i = 0; i < S.n; i++) {
		cr_expect(!S.in_tx[i], "change %zu reported inside the transaction", i);
		cr_expect_eq(S.commits[i], 1, "change %zu reported before the commit", i);
	}
	cr_expect(S.kind[0] == SC_CHANGE_ALREADY_CLOSED && S.id[0] == ids[1] &&
		  S.kind[1] == SC_CHANGE_CLOSED && S.id[1] == ids[0],
		  "reported %s %lld, %s %lld", sc_change_name(S.kind[0]), (long long)S.id[0],
		  sc_change_name(S.kind[1]), (long long)S.id[1]);
	cr_expect(!active(ids[0]));
	cr_expect_eq(fake_audit_count(F, "logout", ids[0]), 1);
	cr_expect_eq(F->st.naudit, 1, "audit rows of failed attempts were kept");
}

Test(core, tempfail_at_begin_or_in_the_body_is_retried)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(false);

	fake_fail(F, FAKE_BEGIN, 1, 1, SC_TEMPFAIL);  /* busy */
	fake_fail(F, FAKE_CLOSE, 1, 1, SC_TEMPFAIL);  /* deadlock in the body */
	cr_assert_eq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 3);
	cr_expect_eq(F->rollbacks, 1, "the failed body was not rolled back");
	cr_expect_eq(S.n, 1);
	cr_expect(!active(id));
	cr_expect_eq(fake_audit_count(F, "logout", id), 1);
}

Test(core, other_failures_are_not_retried_and_roll_back)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(false);

	fake_fail(F, FAKE_CLOSE, 1, -1, SC_UNAVAILABLE);
	cr_assert_neq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0);
	cr_expect_eq(err.status, SC_UNAVAILABLE);
	cr_expect_eq(F->calls[FAKE_BEGIN], 1, "a non-transient failure was retried");
	cr_expect_eq(F->rollbacks, 1);
	cr_expect_eq(F->commits, 0);
	cr_expect_eq(S.n, 0);
	cr_expect(active(id));
}

/* ---- the schema check in the first transaction (sc_db_begin) ---- */

/* The index in F's call log of the first call of op, or -1. */
static long first_call(enum fake_op op)
{
	for (size_t i = 0; i < F->nlog; i++)
		if (F->log[i].op == op)
			return (long)i;
	return -1;
}

Test(core, the_schema_is_checked_once_inside_the_first_transaction)
{
	struct sc_error err = { 0 };
	int64_t ids[2] = { fake_add_session(F, 1, "a", NOW, true), fake_add_session(F, 1, "b", NOW, true) };
	struct sc_action a = action(false);

	F->base.schema_unchecked = true; /* as sc_db_open leaves a READ or WRITE handle */
	cr_assert_eq(sc_logout_ids(&F->base, &ids[0], 1, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 1, "the check ran in a transaction of its own");
	cr_expect_eq(F->calls[FAKE_SCHEMA_VERSION], 1);
	cr_expect_lt(first_call(FAKE_BEGIN), first_call(FAKE_SCHEMA_VERSION), "checked before BEGIN");
	cr_expect_lt(first_call(FAKE_SCHEMA_VERSION), first_call(FAKE_CLOSE), "checked after the change");
	cr_expect_not(F->base.schema_unchecked);
	cr_assert_eq(sc_logout_ids(&F->base, &ids[1], 1, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_SCHEMA_VERSION], 1, "checked again in the next transaction");
	cr_expect_eq(F->calls[FAKE_BEGIN], 2);
}

Test(core, an_old_schema_fails_the_first_transaction_with_78_and_changes_nothing)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(false);
	struct snapshot before;

	cr_assert_gt(F->st.nversions, 0);
	F->st.nversions--; /* one migration short */
	before = snap();
	F->base.schema_unchecked = true;
	cr_assert_neq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0);
	cr_expect_eq(err.status, SC_CONFIG, "status %d: %s", err.status, err.msg);
	cr_expect(strstr(err.msg, "run 'sessctl migrate'") != NULL, "message: %s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 1, "a schema too old was retried");
	cr_expect_eq(F->rollbacks, 1, "the transaction of the check was not rolled back");
	cr_expect_eq(F->commits, 0);
	cr_expect_eq(F->calls[FAKE_CLOSE], 0, "the change ran on a schema too old");
	cr_expect_eq(S.n, 0);
	expect_unchanged(&before, "logout on an old schema");
	cr_expect(F->base.schema_unchecked, "a failed check counts as done");
}

Test(core, a_busy_schema_check_is_retried_with_its_transaction)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(false);

	F->base.schema_unchecked = true;
	fake_fail(F, FAKE_SCHEMA_VERSION, 1, 1, SC_TEMPFAIL);
	cr_assert_eq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 2);
	cr_expect_eq(F->calls[FAKE_SCHEMA_VERSION], 2, "the check was not made again");
	cr_expect_eq(F->rollbacks, 1);
	cr_expect(!active(id));
	cr_expect_eq(S.n, 1);
}

Test(core, a_failing_report_stops_reporting_after_the_commit)
{
	struct sc_error err = { 0 };
	int64_t ids[2] = { fake_add_session(F, 1, "a", NOW, true), fake_add_session(F, 1, "b", NOW, true) };
	struct sc_action a = action(false);

	S.fail_at = 1; /* the output fails (a closed pipe) */
	cr_expect_neq(sc_logout_ids(&F->base, ids, 2, &a, &err), 0);
	cr_expect_eq(S.n, 1, "reporting went on after the callback failed");
	cr_expect_eq(F->commits, 1);
	cr_expect(!active(ids[0]) && !active(ids[1]), "the committed change is the database's");
}

/* ---- dry runs ---- */

Test(core, logout_dry_run_reports_and_changes_nothing)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(true);
	struct snapshot before = snap();

	cr_assert_eq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(S.n, 1);
	cr_expect(S.kind[0] == SC_CHANGE_CLOSED && S.id[0] == id);
	cr_expect(!S.row[0].is_active, "the row reported is not the row as changed");
	cr_expect_eq(S.audit[0], 0, "a dry run wrote audit rows (even rolled back)");
	cr_expect_eq(F->commits, 0, "a dry run committed");
	cr_expect_eq(F->rollbacks, 1);
	expect_unchanged(&before, "after a dry run");
}

/* A dry run takes the real run's path (issue 11 item 3): a busy database
 * is tried again, as long as the dry run has shown no row yet. */
Test(core, dry_run_that_showed_nothing_is_retried_like_the_real_run)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(true);

	fake_fail(F, FAKE_CLOSE, 1, 1, SC_TEMPFAIL);
	cr_expect_eq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 2);
	cr_expect_eq(S.n, 1, "the row was shown %zu times", S.n);
	cr_expect_eq(F->commits, 0, "a dry run committed");
}

/* A per-user change holds its dry run's rows until it has passed, as the
 * real run does until its commit (all or nothing): a busy database is
 * tried again, the rows are shown once it passed, and a dry run that
 * fails for good shows none (it showed the rows it had read, then the
 * error, and left JSON open). */
Test(core, a_per_user_dry_run_shows_its_rows_only_once_it_has_passed)
{
	struct sc_error err = { 0 };
	int64_t ids[2] = { fake_add_session(F, 1, "a", NOW, false), fake_add_session(F, 1, "b", NOW, true) };
	struct sc_action a = action(true);

	fake_fail(F, FAKE_CLOSE, 1, 1, SC_TEMPFAIL);
	cr_expect_eq(sc_logout_ids(&F->base, ids, 2, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BEGIN], 2);
	cr_expect_eq(S.n, 2, "%zu rows shown, expected already-closed and closed once each", S.n);
	cr_expect(S.kind[0] == SC_CHANGE_ALREADY_CLOSED && S.id[0] == ids[0]);
	cr_expect(S.kind[1] == SC_CHANGE_CLOSED && S.id[1] == ids[1]);
	cr_expect_eq(F->commits, 0, "a dry run committed");

	a = action(true);
	memset(F->calls, 0, sizeof(F->calls));
	fake_fail(F, FAKE_CLOSE, 1, -1, SC_TEMPFAIL);
	cr_expect_neq(sc_logout_ids(&F->base, ids, 2, &a, &err), 0);
	cr_expect_eq(err.status, SC_TEMPFAIL);
	cr_expect_eq(F->calls[FAKE_BEGIN], SC_TX_ATTEMPTS);
	cr_expect_eq(S.n, 0, "a failed dry run showed %zu rows", S.n);
}

/* Rows a dry run already showed cannot be taken back: a dry run that
 * shows rows as it goes (enforce's, batch by batch) does not try a batch
 * again once it has shown any. */
Test(core, dry_run_that_showed_rows_is_not_retried)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(true);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .batch_size = 1 };

	fake_add_session(F, 1, "a", NOW - IDLE - 20, true);
	fake_add_session(F, 2, "b", NOW - IDLE - 10, true);
	fake_fail(F, FAKE_CLOSE, 2, -1, SC_TEMPFAIL); /* the second batch, every time */
	cr_expect_neq(sc_enforce(&F->base, &o, &a, &r, &err), 0);
	cr_expect_eq(err.status, SC_TEMPFAIL);
	cr_expect_eq(F->calls[FAKE_CLOSE], 2, "%d closes: the second batch was tried again",
		     F->calls[FAKE_CLOSE]);
	cr_expect_eq(S.n, 1, "the first batch's row was shown %zu times", S.n);
	cr_expect_eq(F->commits, 0, "a dry run committed");
}

/* ---- logout ---- */

Test(core, logout_is_all_or_nothing_on_a_missing_id)
{
	struct sc_error err = { 0 };
	int64_t a1 = fake_add_session(F, 1, "a", NOW, true);
	int64_t a2 = fake_add_session(F, 2, "b", NOW, true);
	int64_t ids[3] = { a1, 99, a2 };
	struct sc_action a = action(false);

	cr_assert_neq(sc_logout_ids(&F->base, ids, 3, &a, &err), 0);
	cr_expect_eq(err.status, SC_NOINPUT, "status %d: %s", err.status, err.msg);
	cr_expect(strstr(err.msg, "99") != NULL, "the message does not name the id: %s", err.msg);
	cr_expect(active(a1) && active(a2), "a session was closed although one id does not exist");
	cr_expect_eq(F->calls[FAKE_CLOSE], 0);
	cr_expect_eq(F->commits, 0);
	cr_expect_eq(S.n, 0);
	cr_expect_eq(F->st.naudit, 0);
}

Test(core, actor_who_is_a_non_admin_user_is_refused)
{
	struct sc_error err = { 0 };
	int64_t id = fake_add_session(F, 1, "a", NOW, true);
	struct sc_action a = action(false);

	a.actor = "bob";
	cr_assert_neq(sc_logout_ids(&F->base, &id, 1, &a, &err), 0);
	cr_expect_eq(err.status, SC_NOPERM);
	cr_expect(active(id));
	a.actor = "root";
	cr_expect_eq(sc_logout_ids(&F->base, &id, 1, &a, &(struct sc_error){ 0 }), 0);
	cr_expect(!active(id));
}

/* ---- enforce ---- */

/* Adds n sessions for users 1-4: every third fresh, the others idle;
 * returns the idle ones (expire's candidates) in ids, count in *nidle. */
static void idle_fixture(int n, int64_t *ids, size_t *nidle)
{
	*nidle = 0;
	for (int i = 0; i < n; i++) {
		char fp[16];
		bool idle = i % 3 != 0;
		snprintf(fp, sizeof(fp), "d%d", i);
		int64_t id = fake_add_session(F, 1 + i % 4, fp, idle ? NOW - IDLE - 1 - i : NOW - 5, true);
		if (idle)
			ids[(*nidle)++] = id;
	}
}

/* Each id of want closed exactly once by the FAKE_CLOSE calls, in
 * ascending order across calls, at most per_call at a time, each call in
 * a transaction of its own; returns the number of calls. */
static size_t expect_batches(const int64_t *want, size_t nwant, size_t per_call)
{
	const struct fake_call *calls[1024];
	size_t ncalls = fake_calls_of(F, FAKE_CLOSE, calls, 1024);
	size_t k = 0;
	int64_t last = INT64_MIN;
	int prev_tx = -1;

	cr_assert_leq(ncalls, 1024);
	for (size_t c = 0; c < ncalls; c++) {
		cr_expect_leq(calls[c]->n, per_call, "batch %zu has %zu ids, batch size %zu", c,
			      calls[c]->n, per_call);
		cr_expect_neq(calls[c]->tx, prev_tx, "batches %zu and %zu share a transaction", c - 1, c);
		prev_tx = calls[c]->tx;
		for (size_t i = 0; i < calls[c]->n; i++) {
			int64_t id = calls[c]->ids[i];
			cr_expect_gt(id, last, "id %lld after %lld: not an ascending walk", (long long)id,
				     (long long)last);
			last = id;
			cr_assert_lt(k, nwant, "more ids closed than candidates (id %lld)", (long long)id);
			cr_expect_eq(id, want[k], "id %lld closed, expected %lld", (long long)id,
				     (long long)want[k]);
			k++;
		}
	}
	cr_expect_eq(k, nwant, "%zu of %zu candidates closed", k, nwant);
	return ncalls;
}

Test(core, enforce_walks_ids_in_batches_closing_each_candidate_once)
{
	struct sc_error err = { 0 };
	int64_t idle[64];
	size_t nidle;
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .batch_size = 4 };

	a.cb = NULL; /* as the command line does outside a dry run */
	idle_fixture(40, idle, &nidle);
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, (int64_t)nidle, "expired %lld, expected %zu", (long long)r.expired, nidle);
	size_t ncalls = expect_batches(idle, nidle, 4);
	cr_expect_eq(r.batches, (int64_t)ncalls);
	cr_expect_eq(ncalls, (nidle + 3) / 4, "%zu batches for %zu rows of 4", ncalls, nidle);
	const struct fake_call *cand[64];
	size_t ncand = fake_calls_of(F, FAKE_CANDIDATES, cand, 64);
	cr_assert_leq(ncand, 64);
	/* Each batch starts past the last id of the one before. */
	const struct fake_call *closes[64];
	size_t nclose = fake_calls_of(F, FAKE_CLOSE, closes, 64);
	/* A step ends on its batch that finds fewer than it asked for; only
	 * after a full last batch does a read find none. */
	cr_assert_eq(ncand, nclose + (nidle % 4 == 0), "%zu candidate reads for %zu batches", ncand,
		     nclose);
	for (size_t i = 0; i < ncand; i++) {
		cr_expect_eq(cand[i]->arg, 4, "candidates asked for %lld rows, batch size 4",
			     (long long)cand[i]->arg);
		int64_t want = i ? closes[i - 1]->ids[closes[i - 1]->n - 1] + 1 : INT64_MIN;
		cr_expect_eq(cand[i]->from, want, "batch %zu read from %lld, expected from %lld", i,
			     (long long)cand[i]->from, (long long)want);
	}
	for (size_t i = 0; i < nidle; i++) {
		cr_expect(!active(idle[i]));
		cr_expect_eq(fake_audit_count(F, "expire", idle[i]), 1, "session %lld", (long long)idle[i]);
	}
	cr_expect_eq(F->st.naudit, nidle);
	for (size_t i = 0; i < F->st.nsessions; i++)
		if (F->st.sessions[i].last_activity >= NOW - IDLE)
			cr_expect(F->st.sessions[i].is_active, "fresh session %lld closed",
				  (long long)F->st.sessions[i].id);
}

/* The application refreshes a candidate between its pick and its close:
 * the core passes the cutoff down, so it is left open. */
static void refresh_first(struct fake_db *f, enum fake_op op, void *ctx)
{
	int64_t *id = ctx;
	if (op == FAKE_CLOSE && f->calls[FAKE_CLOSE] == 1)
		fake_session(f, *id)->last_activity = NOW;
}

Test(core, enforce_leaves_a_session_refreshed_since_it_was_picked)
{
	struct sc_error err = { 0 };
	int64_t idle[64];
	size_t nidle;
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .batch_size = 100 };

	idle_fixture(9, idle, &nidle);
	F->hook = refresh_first;
	F->hook_ctx = &idle[0];
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect(active(idle[0]), "a session refreshed after it was picked was expired");
	cr_expect_eq(r.expired, (int64_t)nidle - 1);
}

Test(core, enforce_device_limit_locks_users_and_keeps_the_most_recent)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .limit = true, .max_sessions = 2, .batch_size = 2 };
	int64_t ids[4][5];

	for (int u = 0; u < 4; u++)
		for (int i = 0; i < 5; i++) {
			char fp[16];
			snprintf(fp, sizeof(fp), "u%dd%d", u, i);
			/* the most recent: i == 1 and i == 3 */
			ids[u][i] = fake_add_session(F, u + 1, fp, NOW - (i % 2 ? 10 : 100) - i, true);
		}
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.over_limit, 12);
	for (int u = 0; u < 4; u++)
		for (int i = 0; i < 5; i++)
			cr_expect_eq(active(ids[u][i]), i % 2 == 1, "user %d session %d", u + 1, i);
	cr_expect_eq(fake_audit_count(F, "over-limit", -1), 12);
	/* Users in batches of two, each locked before its sessions are read. */
	const struct fake_call *lk[16], *oc[16], *ul[16];
	size_t nlk = fake_calls_of(F, FAKE_LOCK_USERS, lk, 16);
	size_t noc = fake_calls_of(F, FAKE_OVER_LIMIT_CANDIDATES, oc, 16);
	size_t nul = fake_calls_of(F, FAKE_USERS_OVER_LIMIT, ul, 16);
	cr_assert_eq(nlk, 2, "%zu lock_users calls", nlk);
	cr_assert_eq(noc, 2);
	cr_assert_eq(nul, 3, "%zu users_over_limit calls for 4 users in batches of 2", nul);
	for (size_t i = 0; i < nul; i++) {
		cr_expect_eq(ul[i]->arg, 2);
		cr_expect_eq(ul[i]->from, i ? (int64_t)(2 * i + 1) : INT64_MIN, "batch %zu from %lld", i,
			     (long long)ul[i]->from);
	}
	for (size_t i = 0; i < 2; i++) {
		cr_expect_eq(lk[i]->n, 2);
		cr_expect(lk[i]->ids[0] == (int64_t)(2 * i + 1) && lk[i]->ids[1] == (int64_t)(2 * i + 2),
			  "batch %zu locked users %lld, %lld", i, (long long)lk[i]->ids[0],
			  (long long)lk[i]->ids[1]);
		cr_expect_eq(lk[i]->tx, oc[i]->tx, "lock and read in different transactions");
		cr_expect_lt(lk[i], oc[i], "sessions read before the users were locked");
	}
}

/* u1 with 300 sessions over a limit of 1, u2 to u5 with one each. */
static void fx_uneven_excess(void)
{
	for (int i = 0; i < 301; i++) {
		char fp[16];
		snprintf(fp, sizeof(fp), "d%d", i);
		fake_add_session(F, 1, fp, NOW - 10 - i, true);
	}
	for (int u = 2; u <= 5; u++) {
		fake_add_session(F, u, "a", NOW - 10, true);
		fake_add_session(F, u, "b", NOW - 20, true);
	}
}

Test(core, enforce_sizes_even_device_limit_batches_by_the_sessions_they_close)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .limit = true, .max_sessions = 1 }; /* adaptive */

	/* u1's 300, more than a first batch's 250: alone, whole; then the
	 * users with one each (u2 to u5, and u6 to u305 added here), as many
	 * together as the budget takes. */
	F->base.backend = &fake_backend_even;
	fx_uneven_excess();
	for (int u = 6; u <= 305; u++) {
		fake_add_session(F, u, "a", NOW - 10, true);
		fake_add_session(F, u, "b", NOW - 20, true);
	}
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.over_limit, 604);
	const struct fake_call *lk[16], *ul[16];
	size_t nlk = fake_calls_of(F, FAKE_LOCK_USERS, lk, 16);
	size_t nul = fake_calls_of(F, FAKE_USERS_OVER_LIMIT, ul, 16);
	cr_assert_eq(nlk, 3, "%zu batches", nlk);
	cr_expect(lk[0]->n == 1 && lk[0]->ids[0] == 1, "the first batch locked %zu users", lk[0]->n);
	cr_expect(lk[1]->n == 285 && lk[1]->ids[0] == 2 && lk[1]->ids[284] == 286,
		  "the second batch locked %zu users", lk[1]->n);
	cr_expect(lk[2]->n == 19 && lk[2]->ids[0] == 287 && lk[2]->ids[18] == 305,
		  "the third batch locked %zu users", lk[2]->n);
	cr_expect_eq(ul[0]->arg, SC_BATCH_MIN, "the first batch asked for %lld users",
		     (long long)ul[0]->arg);
	cr_expect_eq(ul[1]->from, 2, "the second batch started from user %lld", (long long)ul[1]->from);
	/* the third found fewer users than it asked for: the step ends on it,
	 * without a read that finds none */
	cr_expect_eq(nul, 3);
	/* How many users a batch reads: its budget (500 sessions, then 1000:
	 * the fake's batches are quick) over the average excess of the users
	 * read so far, each counted once, with a margin: the first read
	 * u1-u250, (300 + 249) / 250, so 500 / 2.196 * 1.25 + 1; the second
	 * u2-u286, of which u251-u286 are new, (549 + 36) / 286, so 1000 /
	 * 2.045 * 1.25 + 1. Counting u2-u250 again in the second made the
	 * third ask for 802. */
	cr_expect_eq(ul[1]->arg, 285, "the second batch asked for %lld users", (long long)ul[1]->arg);
	cr_expect_eq(ul[2]->arg, 612, "the third batch asked for %lld users", (long long)ul[2]->arg);
}

/* The backend's work between batches: after every batch that changed
 * something, outside its transaction (the fake checks), never in a dry
 * run. After a step's short last batch too, which a quick one follows
 * with no pause (a cron run's few rows need not wait): in WAL mode it is
 * SQLite's checkpoint of the pages the run wrote, which would otherwise
 * fall to the application's next commit (the commit review: 592 frames
 * left in the WAL after a cron run). */
Test(core, enforce_calls_between_batches_in_each_pause)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .batch_size = 100 };

	F->base.backend = &fake_backend_even;
	a.cb = NULL;
	for (int i = 0; i < 950; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	a.dry_run = true;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_BETWEEN_BATCHES], 0, "between_batches in a dry run");
	a.dry_run = false;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 950);
	cr_expect_eq(r.batches, 10);
	/* batches 1-9 full, the 10th (50) the step's last */
	cr_expect_eq(F->calls[FAKE_BETWEEN_BATCHES], 10, "%d calls for 10 batches",
		     F->calls[FAKE_BETWEEN_BATCHES]);
	const struct fake_call *cl[16];
	size_t n = fake_calls_of(F, FAKE_BETWEEN_BATCHES, cl, 16);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(cl[i]->tx, 0, "between_batches logged in transaction %d", cl[i]->tx);
}

Test(core, enforce_sizes_other_device_limit_batches_by_users)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .limit = true, .max_sessions = 1 }; /* adaptive */

	/* Where batches need not be even: 8 users at first, whatever they
	 * have to close, so all 5 in one batch. */
	fx_uneven_excess();
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.over_limit, 304);
	const struct fake_call *lk[16], *ul[16];
	size_t nlk = fake_calls_of(F, FAKE_LOCK_USERS, lk, 16);
	cr_assert_eq(nlk, 1, "%zu batches", nlk);
	cr_expect_eq(lk[0]->n, 5);
	cr_assert_gt(fake_calls_of(F, FAKE_USERS_OVER_LIMIT, ul, 16), 0);
	cr_expect_eq(ul[0]->arg, SC_BATCH_MIN_LIMIT, "the first batch asked for %lld users",
		     (long long)ul[0]->arg);
}

Test(core, enforce_works_without_the_optional_slots)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .limit = true, .max_sessions = 1, .batch_size = 10 };

	F->base.backend = &fake_backend_no_lock;
	fake_add_session(F, 1, "a", NOW - 10, true);
	int64_t old = fake_add_session(F, 1, "b", NOW - 20, true);
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.over_limit, 1);
	cr_expect(!active(old));
}

/* ---- enforce in steady state (src/enforce-steady.c) ---- */

#define LONG_IDLE 100000 /* an idle timeout longer than the record's slack */

static size_t calls(enum fake_op op)
{
	const struct fake_call *c[64];
	return fake_calls_of(F, op, c, 64);
}

/* The since of the last users_over_limit call. */
/* The last call of op (one there must be). */
static const struct fake_call *last_call(enum fake_op op)
{
	const struct fake_call *c[64];
	size_t n = fake_calls_of(F, op, c, 64);
	cr_assert_gt(n, 0, "no call of op %d", (int)op);
	return c[n - 1];
}

static int64_t last_since(void)
{
	const struct fake_call *c[64];
	size_t n = fake_calls_of(F, FAKE_USERS_OVER_LIMIT, c, 64);
	cr_assert_gt(n, 0, "users_over_limit was not called");
	return c[n - 1]->since;
}

static void run_enforce(const struct sc_enforce_opts *o, int64_t now, bool dry_run)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(dry_run);

	a.now = now;
	F->nlog = 0;
	memset(F->calls, 0, sizeof(F->calls));
	cr_assert_eq(sc_enforce(&F->base, o, &a, &r, &err), 0, "%s", err.msg);
}

Test(core, enforce_records_its_run_and_the_next_one_ranks_only_users_active_since)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 2 };
	int64_t t0 = (int64_t)time(NULL);

	/* Sessions older than the next run's since (NOW - 600). */
	for (int u = 1; u <= 3; u++) {
		fake_add_session(F, u, "a", NOW - 5100, true);
		fake_add_session(F, u, "b", NOW - 5000, true);
	}
	/* The first run: nothing recorded, so a full pass, which it records. */
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), INT64_MIN, "the first run did not rank every user");
	cr_expect_eq(calls(FAKE_IDLE_SESSIONS), 0);
	cr_expect_gt(calls(FAKE_CANDIDATES), 0, "the full pass did not walk the rows");
	cr_assert(F->st.has_enforce_state, "the run was not recorded");
	cr_expect_eq(F->st.enforce_state.max_sessions, 2);
	cr_expect_eq(F->st.enforce_state.since, NOW - 600, "since: the earlier of now and --now, less 10 min");
	cr_expect(F->st.enforce_state.full_at >= t0 && F->st.enforce_state.full_at <= time(NULL) + 1,
		  "full_at is not the real time of the run");
	cr_expect_eq(F->st.enforce_state.idle_cutoff, NOW - LONG_IDLE, "idle_cutoff: --now less the timeout");
	int64_t full_at = F->st.enforce_state.full_at;

	/* Then: u1 logs in on a third device (over the limit), u2 has a
	 * session that crossed the idle cutoff since, the application made
	 * an old session of u3 active again without touching last_activity,
	 * and one of u4's, long idle, was written active behind its back. */
	int64_t u1_new = fake_add_session(F, 1, "c", NOW + 50, true);
	int64_t u2_idle = fake_add_session(F, 2, "old", NOW + 100 - LONG_IDLE - 5, true);
	int64_t u3_back = fake_add_session(F, 3, "back", NOW - 50000, true);
	int64_t u4_old = fake_add_session(F, 4, "older", NOW - LONG_IDLE - 601, true);
	run_enforce(&o, NOW + 100, false);
	cr_expect_eq(last_since(), NOW - 600, "the second run did not rank only users active since");
	cr_expect_eq(calls(FAKE_IDLE_SESSIONS), 1);
	cr_expect_eq(last_call(FAKE_IDLE_SESSIONS)->since, NOW - LONG_IDLE - 600,
		     "the idle search did not start at the last run's cutoff less the slack");
	cr_expect_eq(calls(FAKE_CANDIDATES), 0, "a steady-state run walked the rows");
	cr_expect(active(u1_new) && !active(1), "u1's oldest was not the one closed");
	cr_expect(!active(u2_idle), "the idle session was not expired");
	cr_expect(active(u3_back), "the incremental pass saw a session with an old time");
	cr_expect(active(u4_old), "the incremental pass looked for idle sessions before its range");
	cr_expect_eq(fake_audit_count(F, "over-limit", 1), 1);
	cr_expect_eq(F->st.enforce_state.since, NOW + 100 - 600);
	cr_expect_eq(F->st.enforce_state.idle_cutoff, NOW + 100 - LONG_IDLE);
	cr_expect_eq(F->st.enforce_state.full_at, full_at, "an incremental pass counted as full");

	/* --full ranks everyone and walks every row: u3's comeback and u4's
	 * old session go; a full pass is recorded. */
	o.full = true;
	run_enforce(&o, NOW + 200, false);
	cr_expect_eq(last_since(), INT64_MIN);
	cr_expect(!active(u3_back), "--full did not close the re-activated session");
	cr_expect(!active(u4_old), "--full did not expire the session written with an old time");
	cr_expect_geq(F->st.enforce_state.full_at, full_at);
}

Test(core, enforce_records_the_idle_cutoff_of_a_run_that_expired)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 3 };
	int64_t t0 = (int64_t)time(NULL);

	fake_add_session(F, 1, "a", NOW - 10, true);
	/* A --now later than the clock: the cutoff is the real start's. */
	run_enforce(&o, t0 + 10 * 86400, false);
	int64_t c = F->st.enforce_state.idle_cutoff;
	cr_expect(c >= t0 - LONG_IDLE && c <= (int64_t)time(NULL) - LONG_IDLE,
		  "idle_cutoff %lld is not the real start less the timeout", (long long)c);
	/* A run without the expire step keeps the cutoff it found. */
	o.expire = false;
	run_enforce(&o, NOW, false);
	cr_expect_eq(F->st.enforce_state.idle_cutoff, c, "a run that expired nothing moved the cutoff");
	o.expire = true;
	/* A record without a cutoff (one from before migration 6): a full pass. */
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), NOW - 600);
	F->st.enforce_state.idle_cutoff = INT64_MIN;
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), INT64_MIN, "a record without an idle cutoff was trusted");
	cr_expect_eq(F->st.enforce_state.idle_cutoff, NOW - LONG_IDLE);
	/* ... but a run that does not expire needs none. */
	F->st.enforce_state.idle_cutoff = INT64_MIN;
	o.expire = false;
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), NOW - 600, "a run without the expire step needed an idle cutoff");
	cr_expect_eq(F->st.enforce_state.idle_cutoff, INT64_MIN);
}

Test(core, enforce_makes_a_full_pass_when_the_record_cannot_be_trusted)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 3 };

	fake_add_session(F, 1, "a", NOW - 10, true);
	run_enforce(&o, NOW, false);
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), NOW - 600, "the plain second run is not incremental");
	/* a lower limit */
	o.max_sessions = 2;
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), INT64_MIN, "a lower limit did not rank every user");
	cr_expect_eq(F->st.enforce_state.max_sessions, 2);
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), NOW - 600);
	/* a higher one needs no full pass */
	o.max_sessions = 5;
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), NOW - 600, "a higher limit made a full pass");
	/* the last full pass a day old (and one from the future: a clock set back) */
	F->st.enforce_state.full_at -= 86400;
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), INT64_MIN, "a day-old full pass did not make another");
	F->st.enforce_state.full_at += 7 * 86400;
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), INT64_MIN, "a full pass in the future was trusted");
	run_enforce(&o, NOW, false);
	cr_expect_eq(last_since(), NOW - 600);
}

Test(core, enforce_records_only_complete_real_runs_over_every_user)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 3 };

	fake_add_session(F, 1, "a", NOW - 10, true);
	run_enforce(&o, NOW, true); /* dry run */
	cr_expect(!F->st.has_enforce_state, "a dry run recorded itself");
	o.has_user = true;
	o.user_id = 1;
	run_enforce(&o, NOW, false);
	cr_expect(!F->st.has_enforce_state, "a --user run recorded itself");
	o.has_user = false;
	o.limit = false; /* the limit step did not run */
	run_enforce(&o, NOW, false);
	cr_expect(!F->st.has_enforce_state, "a run without the device limit recorded itself");
	o.limit = true;
	fake_fail(F, FAKE_STATE_PUT, 1, 1, SC_UNAVAILABLE);
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	cr_expect_neq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "a failed record went unsaid");
	cr_expect(!F->st.has_enforce_state);
	F->faults[FAKE_STATE_PUT] = (struct fake_fault){ 0 };
	run_enforce(&o, NOW, false);
	cr_expect(F->st.has_enforce_state);
	/* A dry run reads the record and takes the real run's path. */
	run_enforce(&o, NOW, true);
	cr_expect_eq(last_since(), NOW - 600, "the dry run did not take the incremental path");
}

Test(core, enforce_in_steady_state_closes_the_idle_sessions_it_found_in_batches)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .limit = true,
				     .max_sessions = 10, .batch_size = 2 };
	int64_t idle[5];

	fake_add_session(F, 1, "keep", NOW, true);
	run_enforce(&o, NOW, false); /* recorded */
	for (int i = 0; i < 5; i++) {
		char fp[8];
		snprintf(fp, sizeof(fp), "i%d", i);
		idle[i] = fake_add_session(F, 2, fp, NOW - IDLE - 1 - i, true);
	}
	fake_add_session(F, 3, "fresh", NOW - 5, true);
	/* The first batch's transaction fails once: the retry takes the same ids. */
	fake_fail(F, FAKE_CLOSE, 2, 1, SC_TEMPFAIL);
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	F->nlog = 0;
	memset(F->calls, 0, sizeof(F->calls));
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 5);
	for (int i = 0; i < 5; i++)
		cr_expect(!active(idle[i]), "idle session %d was left", i);
	cr_expect_eq(fake_audit_count(F, "expire", -1), 5, "not one audit row per session");
	cr_expect_eq(calls(FAKE_CANDIDATES), 0);
	const struct fake_call *cl[16];
	size_t ncl = fake_calls_of(F, FAKE_CLOSE, cl, 16);
	cr_expect_eq(ncl, 4, "%zu close calls for 5 sessions in batches of 2 and one retry", ncl);
	for (size_t i = 0; i < ncl; i++)
		cr_expect_leq(cl[i]->n, 2);
}

static volatile sig_atomic_t stop_flag;

static void stop_in_second_batch(struct fake_db *f, enum fake_op op, void *ctx)
{
	(void)ctx;
	if (op == FAKE_CLOSE && f->calls[FAKE_CLOSE] == 2)
		stop_flag = 1; /* SIGINT arrives during batch 2 */
}

Test(core, enforce_stop_flag_finishes_the_current_batch_then_stops)
{
	struct sc_error err = { 0 };
	int64_t idle[64];
	size_t nidle;
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .limit = true,
				     .max_sessions = 1, .purge = true, .purge_after = 1,
				     .batch_size = 3, .stop = &stop_flag };

	idle_fixture(30, idle, &nidle);
	stop_flag = 0;
	F->hook = stop_in_second_batch;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect(r.interrupted);
	cr_expect_eq(r.expired, 6, "expired %lld: batch 2 not finished, or more run", (long long)r.expired);
	cr_expect_eq(r.batches, 2);
	cr_expect_eq(F->calls[FAKE_CLOSE], 2);
	cr_expect_eq(F->calls[FAKE_USERS_OVER_LIMIT], 0, "the device limit ran after the stop");
	cr_expect_eq(F->calls[FAKE_PURGE], 0, "purge ran after the stop");
	for (size_t i = 0; i < nidle; i++)
		cr_expect_eq(active(idle[i]), i >= 6, "session %lld", (long long)idle[i]);
	cr_expect_eq(F->st.naudit, 6);
}

/* ---- the look-ahead of a steady-state run (src/enforce-steady.c, look_ahead) ---- */

/* A cron job's run with nothing to do: the plan's transaction looks with
 * each step's first look-up, checks the actor and records the run; no
 * other transaction. A plan that fails busy runs again whole. */
Test(core, enforce_in_steady_state_with_nothing_to_do_is_one_transaction)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 3 };

	fake_add_session(F, 1, "a", NOW - 10, true);
	run_enforce(&o, NOW, false); /* a full pass, recorded */
	run_enforce(&o, NOW + 100, false);
	cr_expect_eq(last_since(), NOW - 600, "not an incremental pass");
	cr_expect_eq(F->calls[FAKE_BEGIN], 1, "%d transactions", F->calls[FAKE_BEGIN]);
	cr_expect_eq(F->calls[FAKE_COMMIT], 1);
	cr_expect_eq(calls(FAKE_IDLE_SESSIONS), 1);
	cr_expect_eq(calls(FAKE_USERS_OVER_LIMIT), 1);
	cr_expect_eq(calls(FAKE_FIND_USER), 1, "the actor was not checked once");
	cr_expect_eq(calls(FAKE_STATE_PUT), 1);
	cr_expect_eq(calls(FAKE_CANDIDATES), 0);
	cr_expect_eq(last_call(FAKE_STATE_PUT)->tx, last_call(FAKE_STATE_GET)->tx,
		     "the record was not written in the plan's transaction");
	cr_expect_eq(F->st.enforce_state.since, NOW + 100 - 600);

	/* the record's write fails busy: the plan runs again, looks again,
	 * checks the actor again, and records once */
	fake_fail(F, FAKE_STATE_PUT, 1, 1, SC_TEMPFAIL);
	run_enforce(&o, NOW + 200, false);
	cr_expect_eq(F->calls[FAKE_BEGIN], 2, "%d transactions", F->calls[FAKE_BEGIN]);
	cr_expect_eq(F->calls[FAKE_COMMIT], 1);
	cr_expect_eq(calls(FAKE_IDLE_SESSIONS), 2);
	cr_expect_eq(calls(FAKE_FIND_USER), 2);
	cr_expect_eq(F->calls[FAKE_STATE_PUT], 2);
	cr_expect_eq(F->st.enforce_state.since, NOW + 200 - 600);
	cr_expect(active(1));
}

/* The users over the limit the look-ahead found are the device limit's
 * first batch (the expire step, having found nothing, makes no
 * transaction); a retried batch looks again. */
Test(core, enforce_in_steady_state_takes_the_users_the_plan_found)
{
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 2 };

	fake_add_session(F, 1, "a", NOW - 5100, true);
	int64_t b = fake_add_session(F, 1, "b", NOW - 5000, true);
	int64_t c = fake_add_session(F, 2, "c", NOW - 5000, true);
	run_enforce(&o, NOW, false);
	int64_t d = fake_add_session(F, 1, "d", NOW + 50, true);
	run_enforce(&o, NOW + 100, false);
	cr_expect(!active(1) && active(b) && active(d), "u1's oldest was not the one closed");
	cr_expect_eq(calls(FAKE_USERS_OVER_LIMIT), 1, "the device limit looked again");
	cr_expect_eq(last_call(FAKE_USERS_OVER_LIMIT)->tx, last_call(FAKE_STATE_GET)->tx,
		     "not looked for in the plan's transaction");
	cr_expect_eq(F->calls[FAKE_BEGIN], 3, "%d transactions: the plan, the device limit's batch, the record",
		     F->calls[FAKE_BEGIN]);
	cr_expect_eq(fake_audit_count(F, "over-limit", 1), 1);

	int64_t e = fake_add_session(F, 2, "e", NOW + 150, true);
	int64_t f = fake_add_session(F, 2, "f", NOW + 160, true);
	fake_fail(F, FAKE_LOCK_USERS, 1, 1, SC_TEMPFAIL);
	run_enforce(&o, NOW + 200, false);
	cr_expect(!active(c) && active(e) && active(f), "u2's oldest was not the one closed");
	cr_expect_eq(calls(FAKE_USERS_OVER_LIMIT), 2, "the retried batch did not look again");
	cr_expect_eq(fake_audit_count(F, "over-limit", c), 1);
}

static void stop_at_find_user(struct fake_db *f, enum fake_op op, void *ctx)
{
	(void)f;
	(void)ctx;
	if (op == FAKE_FIND_USER)
		stop_flag = 1;
}

/* A signal before a steady-state run with nothing to do did anything:
 * interrupted (130 or 143), no actor checked, nothing recorded, as when
 * it came before the first batch. */
Test(core, enforce_stopped_before_a_run_with_nothing_to_do_records_nothing)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = LONG_IDLE, .limit = true,
				     .max_sessions = 3, .stop = &stop_flag };

	stop_flag = 0;
	fake_add_session(F, 1, "a", NOW - 10, true);
	run_enforce(&o, NOW, false);
	struct sc_enforce_state before = F->st.enforce_state;
	stop_flag = 1;
	a.now = NOW + 100;
	memset(F->calls, 0, sizeof(F->calls));
	F->nlog = 0;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	stop_flag = 0;
	cr_expect(r.interrupted, "the run did not say it was stopped");
	cr_expect_eq(calls(FAKE_IDLE_SESSIONS), 1, "the plan did not look ahead");
	cr_expect_eq(calls(FAKE_USERS_OVER_LIMIT), 1, "the plan did not look ahead");
	cr_expect_eq(calls(FAKE_FIND_USER), 0, "the actor was checked");
	cr_expect_eq(calls(FAKE_STATE_PUT), 0, "a stopped run recorded itself");
	cr_expect_eq(F->st.enforce_state.since, before.since);

	/* the signal during the actor's look-up: no record either */
	F->hook = stop_at_find_user;
	a.now = NOW + 200;
	memset(F->calls, 0, sizeof(F->calls));
	F->nlog = 0;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	stop_flag = 0;
	F->hook = NULL;
	cr_expect(r.interrupted, "the run did not say it was stopped");
	cr_expect_eq(calls(FAKE_FIND_USER), 1);
	cr_expect_eq(calls(FAKE_STATE_PUT), 0, "a run stopped during its actor's look-up recorded itself");
	cr_expect_eq(F->st.enforce_state.since, before.since);
}

Test(core, enforce_adaptive_batches_start_small_and_grow_when_fast)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE };

	a.cb = NULL;
	for (int i = 0; i < 3500; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 3500);
	const struct fake_call *cand[8];
	size_t n = fake_calls_of(F, FAKE_CANDIDATES, cand, 8);
	cr_assert_geq(n, 3);
	cr_expect_eq(cand[0]->arg, SC_BATCH_MIN);
	/* The fake answers in well under SC_BATCH_FAST_MS: the batch doubles. */
	cr_expect_eq(cand[1]->arg, 2 * SC_BATCH_MIN, "second batch of %lld", (long long)cand[1]->arg);
}

/* The application holds the lock: each begin waits longer than a slow
 * batch takes. */
static void slow_begin(struct fake_db *f, enum fake_op op, void *ctx)
{
	(void)f;
	(void)ctx;
	if (op == FAKE_BEGIN)
		nanosleep(&(struct timespec){ 0, (SC_BATCH_SLOW_MS + 30) * 1000000L }, NULL);
}

static void max_batch_ms(const struct sc_enforce_result *r, void *ctx)
{
	double *max = ctx;
	if (r->batch_ms > *max)
		*max = r->batch_ms;
}

Test(core, enforce_times_a_batch_without_its_wait_for_the_lock)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	double max = 0;
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .progress = max_batch_ms,
				     .progress_ctx = &max };

	a.cb = NULL;
	for (int i = 0; i < 1000; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	F->hook = slow_begin;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 1000);
	cr_expect_gt(max, 0.0, "no batch time reported");
	cr_expect_lt(max, SC_BATCH_SLOW_MS, "a batch of the fake took %.0f ms: the wait for the lock counted",
		     max);
	const struct fake_call *cand[8];
	size_t n = fake_calls_of(F, FAKE_CANDIDATES, cand, 8);
	cr_assert_geq(n, 2);
	cr_expect_eq(cand[1]->arg, 2 * SC_BATCH_MIN, "second batch of %lld: shrunk for the wait",
		     (long long)cand[1]->arg);
}

Test(core, enforce_retries_a_busy_batch_without_closing_twice)
{
	struct sc_error err = { 0 };
	int64_t idle[64];
	size_t nidle;
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .batch_size = 4 };

	a.cb = NULL;
	idle_fixture(24, idle, &nidle);
	fake_fail(F, FAKE_COMMIT, 2, 1, SC_TEMPFAIL);
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, (int64_t)nidle);
	for (size_t i = 0; i < nidle; i++)
		cr_expect_eq(fake_audit_count(F, "expire", idle[i]), 1, "session %lld", (long long)idle[i]);
	cr_expect_eq(F->st.naudit, nidle);
}

/* The server cancels every close of more than 20 sessions, as a
 * statement_timeout cancels a statement that takes too long (57014). */
static void cancel_big_closes(struct fake_db *f, enum fake_op op, void *ctx)
{
	(void)ctx;
	/* the call is logged (last) before the hook runs */
	if (op == FAKE_CLOSE && f->log[f->nlog - 1].n > 20) {
		f->base.timed_out = true;
		fake_fail(f, FAKE_CLOSE, f->calls[FAKE_CLOSE], 1, SC_TEMPFAIL);
	}
}

Test(core, enforce_runs_a_batch_the_server_cancelled_again_at_a_quarter)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE };

	a.cb = NULL;
	for (int i = 0; i < 100; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	F->hook = cancel_big_closes;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 100);
	cr_expect_eq(F->st.naudit, 100, "%zu audit rows", F->st.naudit);
	const struct fake_call *cand[64];
	size_t n = fake_calls_of(F, FAKE_CANDIDATES, cand, 64);
	cr_assert_geq(n, 4);
	/* 250 cancelled, 62 cancelled, 15 goes through, then it grows
	 * (30: cancelled again, 7 ...) */
	cr_expect_eq(cand[0]->arg, SC_BATCH_MIN);
	cr_expect_eq(cand[1]->arg, SC_BATCH_MIN / 4, "second try %lld", (long long)cand[1]->arg);
	cr_expect_eq(cand[2]->arg, SC_BATCH_MIN / 16, "third try %lld", (long long)cand[2]->arg);
	for (size_t i = 0; i < 100; i++)
		cr_expect_eq(fake_audit_count(F, "expire", F->st.sessions[i].id), 1);
}

/* After a cancel, the batches grow back to half the smallest size the
 * server cancelled at most: they grew back into the timeout and were cut
 * again every few batches (30 cancelled, 7, 14, 28 cancelled, 7, ...:
 * a transaction redone in three, 29 for these 600 sessions). Only after
 * SC_BATCH_CAP_RELAX quick batches at that size do they try more. */
Test(core, enforce_batches_grow_back_to_half_the_smallest_size_cancelled)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE };

	a.cb = NULL;
	for (int i = 0; i < 600; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	F->hook = cancel_big_closes;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 600);
	cr_expect_eq(F->st.naudit, 600, "%zu audit rows", F->st.naudit);
	const struct fake_call *close[256];
	size_t n = fake_calls_of(F, FAKE_CLOSE, close, 256), cut = 0, since = 0;
	cr_assert_lt(n, 256);
	for (size_t i = 0; i < n; i++) {
		if (close[i]->n <= 20) {
			since++;
			continue;
		}
		/* 250 and 62 (one batch, cut twice: half of 250 stays the
		 * limit), then 30 (grown from 15); after that 30 again only
		 * when 16 batches of 15 went through */
		cr_expect(cut < 2 || (close[i]->n == 30 && (cut == 2 || since >= SC_BATCH_CAP_RELAX)),
			  "cancel %zu: a batch of %zu after %zu that went through", cut + 1, close[i]->n, since);
		cut++;
		since = 0;
	}
	cr_expect_geq(cut, 3, "%zu batches cancelled", cut);
	cr_expect_leq(cut, 6, "%zu batches cancelled", cut);
}

/* The server cancels the first four closes whatever their size (an
 * administrator's pg_cancel_backend, a lock with a lock_timeout longer
 * than the statement_timeout, a stall of the disk). */
static void cancel_four_closes(struct fake_db *f, enum fake_op op, void *ctx)
{
	(void)ctx;
	if (op == FAKE_CLOSE && f->calls[FAKE_CLOSE] <= 4) {
		f->base.timed_out = true;
		fake_fail(f, FAKE_CLOSE, f->calls[FAKE_CLOSE], 1, SC_TEMPFAIL);
	}
}

/* A moment that cancelled a batch four times over (250, 62, 15, 3: it
 * went through as one row) held every batch after it at one row: only
 * the first size of a batch's cancels is remembered, and the batches
 * grow back to half of it (125), then further after 16 of those. */
Test(core, enforce_batches_grow_back_after_cancels_that_were_not_their_size)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE };

	a.cb = NULL;
	for (int i = 0; i < 5000; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	F->hook = cancel_four_closes;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.expired, 5000);
	cr_expect_eq(F->st.naudit, 5000, "%zu audit rows", F->st.naudit);
	const struct fake_call *close[512];
	size_t n = fake_calls_of(F, FAKE_CLOSE, close, 512), most = 0;
	cr_assert_lt(n, 512, "%zu closes: the batches stayed small", n);
	cr_assert_geq(n, 6);
	cr_expect_eq(close[4]->n, 1, "the batch went through as %zu", close[4]->n);
	for (size_t i = 5; i < n; i++)
		most = close[i]->n > most ? close[i]->n : most;
	cr_expect_geq(most, 125, "the batches grew to %zu at most", most);
	cr_expect_leq(n, 4 + 1 + 7 + SC_BATCH_CAP_RELAX + 20, "%zu closes", n);
}

Test(core, a_batch_size_the_user_chose_is_kept_and_the_failure_says_a_smaller_one_helps)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result r;
	struct sc_action a = action(false);
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .batch_size = 50 };

	a.cb = NULL;
	for (int i = 0; i < 100; i++)
		fake_add_session(F, 1 + i % 4, "x", NOW - IDLE - 10, true);
	F->hook = cancel_big_closes;
	cr_assert_neq(sc_enforce(&F->base, &o, &a, &r, &err), 0);
	cr_expect_eq(err.status, SC_TEMPFAIL, "status %d: %s", err.status, err.msg);
	cr_expect(strstr(err.msg, "(gave up after 6 attempts); or give a smaller --batch-size than 50"),
		  "message: %s", err.msg);
	const struct fake_call *cand[64];
	size_t n = fake_calls_of(F, FAKE_CANDIDATES, cand, 64);
	cr_expect_eq(n, SC_TX_ATTEMPTS);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(cand[i]->arg, 50);
	cr_expect_eq(F->st.naudit, 0);
}

/* The three steps interact (expire closes, the limit counts what is left,
 * purge deletes what is closed): a dry run must report exactly what the
 * real run then does. */
static void mixed_fixture(void)
{
	for (int u = 1; u <= 4; u++)
		for (int i = 0; i < 6; i++) {
			char fp[16];
			snprintf(fp, sizeof(fp), "m%d", i);
			int64_t la = i == 0 ? NOW - 9000 - u      /* idle, purged after expire */
				: i == 1 ? NOW - IDLE - 50 - u    /* idle */
				: NOW - 10 * i - u;               /* fresh */
			fake_add_session(F, u, fp, la, !(i == 5 && u % 2));
		}
	fake_add_session(F, 2, "old-closed", NOW - 20000, false);
}

Test(core, enforce_dry_run_reports_exactly_what_the_real_run_does)
{
	struct sc_error err = { 0 };
	struct sc_enforce_result dry, real;
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .limit = true,
				     .max_sessions = 2, .purge = true, .purge_after = 5000,
				     .batch_size = 3 };
	struct sc_action a = action(true);

	mixed_fixture();
	struct snapshot before = snap();
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &dry, &err), 0, "%s", err.msg);
	expect_unchanged(&before, "after enforce --dry-run");
	cr_expect_eq(F->calls[FAKE_BEGIN], 1, "a dry run used %d transactions", F->calls[FAKE_BEGIN]);
	cr_expect_eq(F->commits, 0);
	cr_expect_eq((int64_t)S.n, dry.expired + dry.over_limit + dry.purged,
		     "%zu changes reported, counts say %lld", S.n,
		     (long long)(dry.expired + dry.over_limit + dry.purged));
	cr_expect(dry.expired > 0 && dry.over_limit > 0 && dry.purged > 0,
		  "the fixture must exercise every step: %lld %lld %lld", (long long)dry.expired,
		  (long long)dry.over_limit, (long long)dry.purged);

	struct seen d = S;
	a = action(false);
	a.cb = NULL;
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &real, &err), 0, "%s", err.msg);
	cr_expect_eq(real.expired, dry.expired);
	cr_expect_eq(real.over_limit, dry.over_limit);
	cr_expect_eq(real.purged, dry.purged);
	cr_expect_eq(F->st.naudit, d.n, "%zu audit rows, the dry run reported %zu", F->st.naudit, d.n);
	for (size_t i = 0; i < d.n; i++) {
		const char *what = d.kind[i] == SC_CHANGE_EXPIRED ? "expire"
			: d.kind[i] == SC_CHANGE_OVER_LIMIT ? "over-limit" : "purge";
		cr_expect(d.kind[i] == SC_CHANGE_EXPIRED || d.kind[i] == SC_CHANGE_OVER_LIMIT ||
			  d.kind[i] == SC_CHANGE_PURGED, "kind %s", sc_change_name(d.kind[i]));
		cr_expect_eq(fake_audit_count(F, what, d.id[i]), 1,
			     "dry run said %s %lld; the real run did not", what, (long long)d.id[i]);
		if (d.kind[i] == SC_CHANGE_PURGED)
			cr_expect_null(fake_session(F, d.id[i]));
	}
}

/* ---- create ---- */

static void three_devices(int64_t *ids)
{
	ids[0] = fake_add_session(F, 1, "a", NOW - 300, true);
	ids[1] = fake_add_session(F, 1, "b", NOW - 200, true);
	ids[2] = fake_add_session(F, 1, "c", NOW - 100, true);
	fake_session(F, ids[1])->name_null = false;
	snprintf(fake_session(F, ids[1])->name, FAKE_STR, "Laptop");
}

Test(core, create_preview_matches_the_real_create)
{
	struct sc_error err = { 0 };
	int64_t ids[3];
	struct sc_userref ref = { SC_USER_BY_NAME, -1, "alice" };
	struct sc_new_session ns = { 0, "d", "Phone", "mobile", "Firefox", "10.0.0.1" };
	struct sc_action a = action(true);

	three_devices(ids);
	struct snapshot before = snap();
	cr_assert_eq(sc_create(&F->base, &ref, &ns, 3, &a, &err), 0, "%s", err.msg);
	expect_unchanged(&before, "after create --dry-run");
	cr_expect_eq(F->calls[FAKE_UPSERT], 0, "a dry run called upsert_session");
	struct seen d = S;
	cr_assert_eq(d.n, 2, "%zu changes previewed", d.n);
	cr_expect(d.kind[0] == SC_CHANGE_CREATED && d.id[0] == 0);
	cr_expect(d.kind[1] == SC_CHANGE_OVER_LIMIT && d.id[1] == ids[0], "preview closes %lld",
		  (long long)d.id[1]);

	a = action(false);
	cr_assert_eq(sc_create(&F->base, &ref, &ns, 3, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(S.n, 2);
	cr_expect(S.kind[0] == SC_CHANGE_CREATED && S.id[0] > ids[2]);
	cr_expect(S.kind[1] == SC_CHANGE_OVER_LIMIT && S.id[1] == ids[0]);
	cr_expect(!active(ids[0]) && active(ids[1]) && active(ids[2]) && active(S.id[0]));
	d.row[0].id = S.row[0].id;
	cr_expect(memcmp(&d.row[0], &S.row[0], sizeof(d.row[0])) == 0,
		  "preview %s/%s/%s la %lld, created %s/%s/%s la %lld", d.row[0].fp, d.row[0].name,
		  d.row[0].ip, (long long)d.row[0].last_activity, S.row[0].fp, S.row[0].name,
		  S.row[0].ip, (long long)S.row[0].last_activity);
	cr_expect_eq(F->calls[FAKE_LOCK_USERS], 1);
	cr_expect_eq(fake_audit_count(F, "create", S.id[0]), 1);
	cr_expect_eq(fake_audit_count(F, "over-limit", ids[0]), 1);
}

Test(core, refresh_preview_matches_the_real_refresh)
{
	struct sc_error err = { 0 };
	int64_t ids[3];
	struct sc_userref ref = { SC_USER_BY_ID, 1, "1" };
	struct sc_new_session ns = { 0, "b", NULL, NULL, NULL, "10.0.0.2" };
	struct sc_action a = action(true);

	three_devices(ids);
	cr_assert_eq(sc_create(&F->base, &ref, &ns, 3, &a, &err), 0, "%s", err.msg);
	struct seen d = S;
	cr_assert_eq(d.n, 1);
	cr_expect(d.kind[0] == SC_CHANGE_REFRESHED && d.id[0] == ids[1]);
	cr_expect_eq(fake_session(F, ids[1])->last_activity, NOW - 200, "a dry run refreshed");

	a = action(false);
	cr_assert_eq(sc_create(&F->base, &ref, &ns, 3, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(S.n, 1);
	cr_expect(S.kind[0] == SC_CHANGE_REFRESHED);
	cr_expect(memcmp(&d.row[0], &S.row[0], sizeof(d.row[0])) == 0,
		  "preview %s/%s la %lld, refreshed %s/%s la %lld", d.row[0].name, d.row[0].ip,
		  (long long)d.row[0].last_activity, S.row[0].name, S.row[0].ip,
		  (long long)S.row[0].last_activity);
	cr_expect_str_eq(S.row[0].name, "Laptop", "the device name was not kept");
}

Test(core, create_for_an_unknown_user_changes_nothing)
{
	struct sc_error err = { 0 };
	struct sc_userref ref = { SC_USER_BY_EMAIL, -1, "nobody@example.com" };
	struct sc_new_session ns = { 0, "d", NULL, NULL, NULL, NULL };
	struct sc_action a = action(false);

	cr_assert_neq(sc_create(&F->base, &ref, &ns, 3, &a, &err), 0);
	cr_expect_eq(err.status, SC_NOUSER);
	cr_expect_eq(F->st.nsessions, 0);
	cr_expect_eq(F->calls[FAKE_UPSERT], 0);
}

/* ---- migrations (schema.c) ---- */

static int napplied_cb;
static int applied_order[16];

static void on_migrated(const struct sc_migration *m, void *ctx)
{
	(void)ctx;
	if (napplied_cb < 16)
		applied_order[napplied_cb] = m->version;
	napplied_cb++;
}

static void empty_db(const struct sc_backend *be)
{
	fake_free(F);
	F = fake_new_empty();
	F->base.backend = be;
	F->base.mode = SC_OPEN_MIGRATE;
	napplied_cb = 0;
}

Test(core, migrate_applies_each_step_under_the_lock)
{
	struct sc_error err = { 0 };
	int n;

	empty_db(&fake_backend);
	cr_assert_eq(sc_migrate_run(&F->base, NOW, on_migrated, NULL, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, SC_SCHEMA_VERSION);
	cr_assert_eq(napplied_cb, SC_SCHEMA_VERSION);
	for (int v = 1; v <= SC_SCHEMA_VERSION; v++) {
		cr_expect_eq(applied_order[v - 1], v);
		cr_expect_eq(F->st.scripts_run[v], 1, "migration %d ran %d times", v, F->st.scripts_run[v]);
	}
	cr_expect_eq(F->st.nversions, SC_SCHEMA_VERSION);
	cr_expect_eq(F->calls[FAKE_MIGRATE_LOCK], SC_SCHEMA_VERSION);
	/* In every SC_TX_MIGRATE transaction the lock comes first. */
	int migrate_txs = 0;
	for (size_t i = 0; i < F->nlog; i++) {
		if (F->log[i].op != FAKE_BEGIN || F->log[i].arg != SC_TX_MIGRATE)
			continue;
		migrate_txs++;
		cr_assert_lt(i + 1, F->nlog);
		cr_expect_eq(F->log[i + 1].op, FAKE_MIGRATE_LOCK,
			     "a migration transaction did something before taking the lock");
	}
	cr_expect_eq(migrate_txs, SC_SCHEMA_VERSION);

	/* Again: nothing to do. The status read, then one write transaction
	 * that only proves the server takes writes (a deploy step pointed
	 * at a standby fails every time) and is rolled back: no script, no
	 * record. */
	int begins = F->calls[FAKE_BEGIN], scripts = F->calls[FAKE_EXEC_SCRIPT];
	int records = F->calls[FAKE_RECORD_MIGRATION], rollbacks = F->calls[FAKE_ROLLBACK];
	cr_assert_eq(sc_migrate_run(&F->base, NOW, on_migrated, NULL, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, 0);
	cr_expect_eq(F->calls[FAKE_BEGIN], begins + 2, "an up-to-date schema: status and the write check");
	cr_expect_eq(F->calls[FAKE_EXEC_SCRIPT], scripts, "an up-to-date schema was migrated again");
	cr_expect_eq(F->calls[FAKE_RECORD_MIGRATION], records, "an up-to-date schema was recorded again");
	cr_expect_eq(F->calls[FAKE_ROLLBACK], rollbacks + 1, "the write check was not rolled back");
}

Test(core, migrate_works_without_a_lock_slot)
{
	struct sc_error err = { 0 };
	int n;

	empty_db(&fake_backend_no_lock);
	cr_assert_eq(sc_migrate_run(&F->base, NOW, NULL, NULL, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, SC_SCHEMA_VERSION);
	cr_expect_eq(F->calls[FAKE_MIGRATE_LOCK], 0);
}

Test(core, migrate_refuses_a_newer_schema)
{
	struct sc_error err = { 0 };
	int n;

	fake_apply_version(&F->st, SC_SCHEMA_VERSION + 1);
	cr_assert_neq(sc_migrate_run(&F->base, NOW, NULL, NULL, &n, &err), 0);
	cr_expect_eq(err.status, SC_CONFIG);
	cr_expect_eq(F->calls[FAKE_EXEC_SCRIPT], 0);
	cr_expect_eq(n, 0);
}

/* Another process migrates while we wait for the lock. */
static void other_migrator(struct fake_db *f, enum fake_op op, void *ctx)
{
	int upto = *(int *)ctx;
	if (op != FAKE_MIGRATE_LOCK || f->calls[FAKE_MIGRATE_LOCK] != 1)
		return;
	for (int v = 1; v <= upto; v++) {
		fake_apply_version(&f->snap, v); /* committed before our lock was granted */
		fake_apply_version(&f->st, v);
	}
}

Test(core, migrate_skips_a_step_another_process_applied_meanwhile)
{
	struct sc_error err = { 0 };
	int n, upto = 1;

	empty_db(&fake_backend);
	F->hook = other_migrator;
	F->hook_ctx = &upto;
	cr_assert_eq(sc_migrate_run(&F->base, NOW, on_migrated, NULL, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, SC_SCHEMA_VERSION - 1);
	cr_expect_eq(napplied_cb, SC_SCHEMA_VERSION - 1);
	if (napplied_cb > 0)
		cr_expect_eq(applied_order[0], 2, "reported migration %d as ours", applied_order[0]);
	cr_expect_eq(F->st.scripts_run[1], 1, "migration 1 ran twice");
	cr_expect_eq(F->st.nversions, SC_SCHEMA_VERSION, "a version was recorded twice");
}

Test(core, migrate_refuses_a_newer_schema_that_appears_under_the_lock)
{
	struct sc_error err = { 0 };
	int n, upto = SC_SCHEMA_VERSION + 1;

	empty_db(&fake_backend);
	F->hook = other_migrator;
	F->hook_ctx = &upto;
	cr_assert_neq(sc_migrate_run(&F->base, NOW, NULL, NULL, &n, &err), 0);
	cr_expect_eq(err.status, SC_CONFIG);
	cr_expect_eq(n, 0);
	for (int v = 1; v <= SC_SCHEMA_VERSION; v++)
		cr_expect_eq(F->st.scripts_run[v], 1, "we ran migration %d over a newer schema", v);
}

/* ---- the audit trail's time ---- */

/* --now (a->now) moves the rules only: every audit row the core has
 * written records the clock at the change, and the --now it was
 * evaluated at beside it (issue 11, item 1). */
Test(core, audit_rows_record_the_real_time_of_the_change_never_now)
{
	struct sc_error err = { 0 };
	struct sc_userref bob, carol;
	struct sc_action a = action(false);
	struct sc_enforce_result r;
	struct sc_enforce_opts o = { .expire = true, .idle_timeout = IDLE, .limit = true,
				     .max_sessions = 2, .purge = true, .purge_after = IDLE };
	struct sc_new_session ns = { 0, "c-new", "Phone", "mobile", "Firefox", "10.0.0.1" };
	int64_t logout_id = fake_add_session(F, 1, "a-logout", NOW, true);

	fake_add_session(F, 1, "a-idle", NOW - 2 * IDLE, true);      /* expire, then purge */
	fake_add_session(F, 1, "a-old", NOW - 3 * IDLE, false);      /* purge */
	fake_add_session(F, 2, "b1", NOW, true);                     /* logout-all */
	fake_add_session(F, 2, "b2", NOW, true);
	for (int i = 0; i < 3; i++) {                                /* over-limit */
		char fp[8];
		snprintf(fp, sizeof(fp), "d%d", i);
		fake_add_session(F, 4, fp, NOW - i, true);
	}
	cr_assert_eq(sc_userref_parse("bob", &bob, &err), 0);
	cr_assert_eq(sc_userref_parse("carol", &carol, &err), 0);

	int64_t t0 = (int64_t)time(NULL);
	cr_assert_eq(sc_logout_ids(&F->base, &logout_id, 1, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(sc_logout_all(&F->base, &bob, NULL, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(sc_create(&F->base, &carol, &ns, 3, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(sc_enforce(&F->base, &o, &a, &r, &err), 0, "%s", err.msg);
	int64_t t1 = (int64_t)time(NULL);

	const char *const kinds[] = { "logout", "logout-all", "create", "expire", "over-limit", "purge" };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		cr_expect_gt(fake_audit_count(F, kinds[k], -1), 0, "no %s row", kinds[k]);
	for (size_t i = 0; i < F->st.naudit; i++) {
		const struct fake_audit *row = &F->st.audit[i];
		cr_expect(row->created_at >= t0 && row->created_at <= t1,
			  "%s of %lld recorded at %lld, not the clock (%lld..%lld)", row->action,
			  (long long)row->session_id, (long long)row->created_at, (long long)t0,
			  (long long)t1);
		cr_expect_eq(row->evaluated_at, NOW, "%s of %lld evaluated at %lld", row->action,
			     (long long)row->session_id, (long long)row->evaluated_at);
	}
}

/* logout-all closes a user's sessions in one call, without reading them
 * first; --except is looked for among the user's sessions (a read keyed
 * by the user), and one that is not an active session of the user
 * changes nothing. */
Test(core, logout_all_closes_in_one_call_without_reading_the_sessions)
{
	struct sc_error err = { 0 };
	struct sc_userref alice = { SC_USER_BY_NAME, -1, "alice" };
	int64_t a1 = fake_add_session(F, 1, "a1", NOW - 10, true),
		a2 = fake_add_session(F, 1, "a2", NOW - 20, true),
		a3 = fake_add_session(F, 1, "a3", NOW - 30, true),
		gone = fake_add_session(F, 1, "a4", NOW - 40, false),
		bob = fake_add_session(F, 2, "b1", NOW - 10, true);
	struct sc_action a = action(false);

	cr_assert_eq(sc_logout_all(&F->base, &alice, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_CLOSE_USERS], 1);
	cr_expect_eq(F->calls[FAKE_LIST_SESSIONS] + F->calls[FAKE_SESSIONS_BY_IDS], 0,
		     "the user's sessions were read first");
	cr_expect(!active(a1) && !active(a2) && !active(a3) && active(bob));
	cr_expect_eq(S.n, 3, "%zu changes reported", S.n);
	cr_expect_eq(fake_audit_count(F, "logout-all", a1), 1);
	cr_expect_eq(fake_audit_count(F, "logout-all", a3), 1);

	fake_session(F, a1)->is_active = fake_session(F, a2)->is_active = true;
	a = action(false);
	cr_assert_eq(sc_logout_all(&F->base, &alice, &a2, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(F->calls[FAKE_CLOSE_USERS], 2);
	cr_expect_eq(F->calls[FAKE_LIST_SESSIONS], 1, "--except was not looked for once");
	cr_expect_eq(F->calls[FAKE_SESSIONS_BY_IDS], 0, "--except was read by id");
	cr_expect(!active(a1) && active(a2) && active(bob));
	cr_expect_eq(S.n, 1, "%zu changes reported", S.n);

	const int64_t *bad[] = { &bob, &gone };
	const int status[] = { SC_NOINPUT, SC_DATAERR };
	for (size_t i = 0; i < 2; i++) {
		struct snapshot before = snap();
		a = action(false);
		cr_assert_neq(sc_logout_all(&F->base, &alice, bad[i], &a, &err), 0);
		cr_expect_eq(err.status, status[i], "status %d: %s", err.status, err.msg);
		expect_unchanged(&before, "logout-all with a bad --except");
	}
	cr_expect_eq(F->calls[FAKE_CLOSE_USERS], 2, "closed with a bad --except");
}

/* SPEC: messages are lowercase; strerror's and the server's begin with a
 * capital, which goes, but an acronym or an SQL keyword keeps its own. */
Test(error, messages_begin_lowercase_but_acronyms_stay)
{
	char a[] = "Connection refused", b[] = "COALESCE types text and inet cannot be matched",
	     c[] = "SSL error", d[] = "A", e[] = "", f[] = "already lower";

	sc_lower_first(a);
	sc_lower_first(b);
	sc_lower_first(c);
	sc_lower_first(d);
	sc_lower_first(e);
	sc_lower_first(f);
	cr_expect_str_eq(a, "connection refused");
	cr_expect_str_eq(b, "COALESCE types text and inet cannot be matched");
	cr_expect_str_eq(c, "SSL error");
	cr_expect_str_eq(d, "a");
	cr_expect_str_eq(e, "");
	cr_expect_str_eq(f, "already lower");
	cr_expect_str_eq(sc_strerror(ENOSPC), "no space left on device");
	cr_expect_str_eq(sc_strerror(ENOTDIR), "not a directory");
}
