/* A fake in-memory backend: see fake-backend.h. */
#include "fake-backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sc_migration migrations[SC_SCHEMA_VERSION];
static char migration_sql[SC_SCHEMA_VERSION][32];
const struct sc_migration *const fake_migrations = migrations;

static const char migrations_table[] = "fake: create the migrations table";

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

static void setstr(char *dst, const char *src, bool *null)
{
	if (null)
		*null = src == NULL;
	snprintf(dst, FAKE_STR, "%s", src ? src : "");
}

static struct fake_db *to_fake(struct sc_db *db)
{
	return (struct fake_db *)db;
}

/* ---- the store ---- */

static void store_free(struct fake_store *s)
{
	free(s->sessions);
	free(s->audit);
	memset(s, 0, sizeof(*s));
}

static void store_copy(struct fake_store *dst, const struct fake_store *src)
{
	store_free(dst);
	*dst = *src;
	dst->sessions = xrealloc(NULL, src->capsessions * sizeof(*dst->sessions));
	if (src->nsessions)
		memcpy(dst->sessions, src->sessions, src->nsessions * sizeof(*dst->sessions));
	dst->audit = xrealloc(NULL, src->capaudit * sizeof(*dst->audit));
	if (src->naudit)
		memcpy(dst->audit, src->audit, src->naudit * sizeof(*dst->audit));
}

void fake_apply_version(struct fake_store *st, int v)
{
	st->migrations_table = true;
	st->app_tables = true;
	if (st->nversions < FAKE_MAX_VERSIONS)
		st->versions[st->nversions++] = v;
	if (v >= 0 && v <= FAKE_MAX_VERSIONS)
		st->scripts_run[v]++;
}

static int store_version(const struct fake_store *st)
{
	int v = 0;
	if (!st->migrations_table)
		return 0;
	for (size_t i = 0; i < st->nversions; i++)
		if (st->versions[i] > v)
			v = st->versions[i];
	return v;
}

/* Sessions are kept in ascending id order: a binary search. */
static struct fake_session *find_session(struct fake_store *st, int64_t id)
{
	size_t lo = 0, hi = st->nsessions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->sessions[mid].id == id)
			return &st->sessions[mid];
		if (st->sessions[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void view(const struct fake_session *f, struct sc_session *s)
{
	*s = (struct sc_session){
		.id = f->id,
		.user_id = f->user_id,
		.device_fingerprint = f->fp,
		.device_name = f->name_null ? NULL : f->name,
		.device_type = f->type_null ? NULL : f->type,
		.browser = f->browser_null ? NULL : f->browser,
		.ip_address = f->ip_null ? NULL : f->ip,
		.created_at = f->created_at,
		.last_activity = f->last_activity,
		.last_activity_null = f->last_activity_null,
		.is_active = f->is_active,
	};
}

static void add_audit(struct fake_store *st, const struct sc_change *ch, const struct fake_session *s)
{
	if (st->naudit == st->capaudit) {
		st->capaudit = st->capaudit ? st->capaudit * 2 : 64;
		st->audit = xrealloc(st->audit, st->capaudit * sizeof(*st->audit));
	}
	struct fake_audit *a = &st->audit[st->naudit++];
	memset(a, 0, sizeof(*a));
	a->id = ++st->next_audit_id;
	a->session_id = s->id;
	a->user_id = s->user_id;
	a->created_at = ch->recorded_at;
	a->evaluated_at = ch->now;
	snprintf(a->action, sizeof(a->action), "%s", ch->action);
	snprintf(a->actor, sizeof(a->actor), "%s", ch->actor);
}

/* ---- bookkeeping of every call ---- */

static void log_call(struct fake_db *f, enum fake_op op, int64_t arg, const int64_t *ids, size_t n)
{
	if (f->nlog == f->caplog) {
		f->caplog = f->caplog ? f->caplog * 2 : 64;
		f->log = xrealloc(f->log, f->caplog * sizeof(*f->log));
	}
	struct fake_call *c = &f->log[f->nlog++];
	c->op = op;
	c->tx = f->in_tx ? f->tx : 0;
	c->arg = arg;
	c->from = 0;
	c->n = n;
	c->ids = NULL;
	if (ids && n) {
		c->ids = xrealloc(NULL, n * sizeof(*ids));
		memcpy(c->ids, ids, n * sizeof(*ids));
	}
}

static void violation(struct fake_db *f, const char *what)
{
	if (!f->violation[0])
		snprintf(f->violation, sizeof(f->violation), "%s", what);
}

/* Counts the call, logs it, runs the hook and the fault; -1 with err set
 * when the call is to fail. Every operation but begin must run in a
 * transaction. */
static int enter(struct fake_db *f, enum fake_op op, int64_t arg, const int64_t *ids, size_t n,
		 struct sc_error *err)
{
	static const char *const names[FAKE_NOPS] = {
		"begin", "commit", "rollback", "schema_version", "applied", "migrate_lock",
		"exec_script", "record_migration", "find_user", "list_sessions", "get_session",
		"id_bounds", "lock_users", "sessions_by_ids", "close_sessions", "purge_sessions",
		"candidates", "users_over_limit", "over_limit_candidates", "upsert_session",
		"idle_sessions", "enforce_state_get", "enforce_state_put", "close_users_sessions",
		"between_batches",
	};
	int k = ++f->calls[op];
	const struct fake_fault *flt = &f->faults[op];

	log_call(f, op, arg, ids, n);
	if (op == FAKE_BETWEEN_BATCHES && f->in_tx)
		violation(f, "between_batches called inside a transaction");
	if (op != FAKE_BEGIN && op != FAKE_ROLLBACK && op != FAKE_BETWEEN_BATCHES && !f->in_tx) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%s called outside a transaction", names[op]);
		violation(f, msg);
	}
	if (f->hook)
		f->hook(f, op, f->hook_ctx);
	if (flt->from && k >= flt->from && (flt->count < 0 || k < flt->from + flt->count))
		return sc_error_set(err, flt->status, "fake: injected failure of %s (call %d)",
				    names[op], k);
	return 0;
}

/* ---- connection and transactions ---- */

static int fake_open_slot(const struct sc_dburl *url, enum sc_open_mode mode, sc_notice_cb notice,
			  void *notice_ctx, const volatile sig_atomic_t *stop, struct sc_db **db,
			  struct sc_error *err)
{
	(void)url;
	(void)mode;
	(void)notice;
	(void)notice_ctx;
	(void)stop;
	*db = NULL;
	return sc_error_set(err, SC_UNAVAILABLE, "the fake backend is not opened by URL");
}

static void fake_close_slot(struct sc_db *db)
{
	fake_free(to_fake(db));
}

static int fake_begin(struct sc_db *db, enum sc_tx_mode mode, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (f->in_tx)
		violation(f, "begin inside a transaction");
	if (enter(f, FAKE_BEGIN, mode, NULL, 0, err) < 0)
		return -1;
	store_copy(&f->snap, &f->st);
	f->in_tx = true;
	f->tx++;
	f->log[f->nlog - 1].tx = f->tx;
	return 0;
}

static int fake_commit(struct sc_db *db, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_COMMIT, 0, NULL, 0, err) < 0) {
		/* A failed commit ends the transaction, rolled back. */
		if (f->in_tx)
			store_copy(&f->st, &f->snap);
		f->in_tx = false;
		return -1;
	}
	f->in_tx = false;
	f->commits++;
	return 0;
}

static void fake_rollback(struct sc_db *db)
{
	struct fake_db *f = to_fake(db);
	struct sc_error ignored = { 0 };

	(void)enter(f, FAKE_ROLLBACK, 0, NULL, 0, &ignored);
	if (!f->in_tx)
		return;
	store_copy(&f->st, &f->snap);
	f->in_tx = false;
	f->rollbacks++;
}

/* ---- schema ---- */

static int fake_schema_version(struct sc_db *db, int *version, bool *app_tables,
			       struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	if (enter(f, FAKE_SCHEMA_VERSION, 0, NULL, 0, err) < 0)
		return -1;
	*version = store_version(&f->st);
	*app_tables = f->st.app_tables;
	return 0;
}

static int fake_applied(struct sc_db *db, sc_applied_cb cb, void *ctx, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	if (enter(f, FAKE_APPLIED, 0, NULL, 0, err) < 0)
		return -1;
	for (size_t i = 0; i < f->st.nversions; i++) {
		struct sc_applied a = { f->st.versions[i], "fake", 1000 + f->st.versions[i], false };
		int rc = cb(&a, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int fake_migrate_lock(struct sc_db *db, struct sc_error *err)
{
	return enter(to_fake(db), FAKE_MIGRATE_LOCK, 0, NULL, 0, err);
}

static int fake_exec_script(struct sc_db *db, const char *sql, const char *what,
			    struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_EXEC_SCRIPT, 0, NULL, 0, err) < 0)
		return -1;
	if (sql == migrations_table) {
		f->st.migrations_table = true;
		return 0;
	}
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		if (sql == migrations[i].sql) {
			f->st.scripts_run[i + 1]++;
			f->st.app_tables = true;
			return 0;
		}
	}
	return sc_error_set(err, SC_SOFTWARE, "%s: fake: unknown script '%s'", what, sql);
}

static int fake_record_migration(struct sc_db *db, const struct sc_migration *m, int64_t now,
				 struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	(void)now;
	if (enter(f, FAKE_RECORD_MIGRATION, m->version, NULL, 0, err) < 0)
		return -1;
	if (!f->st.migrations_table)
		return sc_error_set(err, SC_SOFTWARE, "fake: no migrations table");
	f->st.versions[f->st.nversions++] = m->version;
	return 0;
}

/* ---- reads ---- */

static int fake_find_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
			  struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	const struct fake_user *hit = NULL;
	int matches = 0;

	if (enter(f, FAKE_FIND_USER, 0, NULL, 0, err) < 0)
		return -1;
	for (size_t i = 0; i < f->st.nusers; i++) {
		const struct fake_user *u = &f->st.users[i];
		bool m = ref->kind == SC_USER_BY_ID ? u->id == ref->id
			: ref->kind == SC_USER_BY_EMAIL ? strcmp(u->email, ref->text) == 0
			: strcmp(u->username, ref->text) == 0;
		if (m) {
			hit = u;
			matches++;
		}
	}
	if (!hit)
		return 1;
	if (matches > 1)
		return 2;
	user->id = hit->id;
	user->email = strdup(hit->email);
	user->username = strdup(hit->username);
	user->role = strdup(hit->role);
	return 0;
}

/* Most recent activity first, NULLs last, then id descending. */
static int by_recency(const void *pa, const void *pb)
{
	const struct fake_session *a = *(const struct fake_session *const *)pa;
	const struct fake_session *b = *(const struct fake_session *const *)pb;

	if (a->last_activity_null != b->last_activity_null)
		return a->last_activity_null ? 1 : -1;
	if (!a->last_activity_null && a->last_activity != b->last_activity)
		return a->last_activity > b->last_activity ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

/* The active sessions of user, most recent first: malloc'd, count in *n. */
static struct fake_session **ranked(struct fake_store *st, int64_t user, bool all, size_t *n)
{
	struct fake_session **v = xrealloc(NULL, (st->nsessions + 1) * sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < st->nsessions; i++)
		if (st->sessions[i].user_id == user && (all || st->sessions[i].is_active))
			v[(*n)++] = &st->sessions[i];
	qsort(v, *n, sizeof(*v), by_recency);
	return v;
}

static int fake_list_sessions(struct sc_db *db, const struct sc_list_request *req,
			      sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	size_t n, shown = 0;
	int rc = 0;

	if (enter(f, FAKE_LIST_SESSIONS, req->user_id, NULL, 0, err) < 0)
		return -1;
	struct fake_session **v = ranked(&f->st, req->user_id, req->all, &n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct sc_session s;
		if (req->device_type && (v[i]->type_null || strcmp(v[i]->type, req->device_type) != 0))
			continue;
		if (req->has_idle_before &&
		    (v[i]->last_activity_null || v[i]->last_activity > req->idle_before))
			continue;
		if (req->limit && shown == (size_t)req->limit)
			break;
		view(v[i], &s);
		rc = cb(&s, ctx);
		shown++;
	}
	free(v);
	return rc;
}

static int fake_get_session(struct sc_db *db, int64_t id, sc_session_cb cb, void *ctx,
			    struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	struct fake_session *s;
	struct sc_session v;

	if (enter(f, FAKE_GET_SESSION, id, NULL, 0, err) < 0)
		return -1;
	if (!(s = find_session(&f->st, id)))
		return sc_error_set(err, SC_NOINPUT, "no such session %lld", (long long)id);
	view(s, &v);
	return cb(&v, ctx);
}

static int fake_unsupported(struct sc_error *err)
{
	return sc_error_set(err, SC_SOFTWARE, "fake: not implemented");
}

static int fake_count_active(struct sc_db *db, int64_t user_id, int64_t *n, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	(void)f;
	*n = 0;
	for (size_t i = 0; i < f->st.nsessions; i++)
		*n += f->st.sessions[i].user_id == user_id && f->st.sessions[i].is_active;
	(void)err;
	return 0;
}

static int fake_totals(struct sc_db *db, struct sc_totals *t, struct sc_error *err)
{
	(void)db;
	(void)t;
	return fake_unsupported(err);
}

static int fake_count_by_user(struct sc_db *db, int64_t over, sc_user_count_cb cb, void *ctx,
			      struct sc_error *err)
{
	(void)db, (void)over, (void)cb, (void)ctx;
	return fake_unsupported(err);
}

static int fake_id_bounds(struct sc_db *db, int64_t *max_session_id, int64_t *max_user_id,
			  struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_ID_BOUNDS, 0, NULL, 0, err) < 0)
		return -1;
	*max_session_id = *max_user_id = 0;
	for (size_t i = 0; i < f->st.nsessions; i++) {
		if (f->st.sessions[i].id > *max_session_id)
			*max_session_id = f->st.sessions[i].id;
		if (f->st.sessions[i].user_id > *max_user_id)
			*max_user_id = f->st.sessions[i].user_id;
	}
	return 0;
}

static int fake_recent_sessions(struct sc_db *db, int64_t limit, sc_session_cb cb, void *ctx,
				struct sc_error *err)
{
	(void)db, (void)limit, (void)cb, (void)ctx;
	return fake_unsupported(err);
}

static int fake_history(struct sc_db *db, const struct sc_history_request *req, sc_audit_cb cb,
			void *ctx, struct sc_error *err)
{
	(void)db, (void)req, (void)cb, (void)ctx;
	return fake_unsupported(err);
}

/* ---- writes ---- */

static int fake_lock_users(struct sc_db *db, struct sc_ids *users, struct sc_error *err)
{
	return enter(to_fake(db), FAKE_LOCK_USERS, 0, users->v, users->n, err);
}

static int by_id(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return a < b ? -1 : a > b;
}

static int fake_sessions_by_ids(struct sc_db *db, const int64_t *ids, size_t n, sc_session_cb cb,
				void *ctx, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	int rc = 0;

	if (enter(f, FAKE_SESSIONS_BY_IDS, 0, ids, n, err) < 0)
		return -1;
	int64_t *sorted = xrealloc(NULL, (n + 1) * sizeof(*sorted));
	if (n)
		memcpy(sorted, ids, n * sizeof(*ids));
	qsort(sorted, n, sizeof(*sorted), by_id);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct fake_session *s = i && sorted[i] == sorted[i - 1] ? NULL
						: find_session(&f->st, sorted[i]);
		struct sc_session v;
		if (!s)
			continue;
		view(s, &v);
		rc = cb(&v, ctx);
	}
	free(sorted);
	return rc;
}

/* Closes s with its audit row and passes it to cb: -1 when cb fails. */
static int close_one(struct fake_db *f, struct fake_session *s, const struct sc_change *ch,
		     sc_session_cb cb, void *ctx)
{
	struct sc_session v;

	s->is_active = false;
	if (ch->audit)
		add_audit(&f->st, ch, s);
	view(s, &v);
	return cb && cb(&v, ctx) != 0 ? -1 : 0;
}

static int fake_close_sessions(struct sc_db *db, const int64_t *ids, size_t n,
			       const struct sc_change *ch, sc_session_cb cb, void *ctx,
			       struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	int closed = 0;

	if (enter(f, FAKE_CLOSE, ch->has_idle_before ? ch->idle_before : INT64_MIN, ids, n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct fake_session *s = find_session(&f->st, ids[i]);
		if (!s || !s->is_active)
			continue;
		if (ch->has_idle_before && (s->last_activity_null || s->last_activity >= ch->idle_before))
			continue;
		closed++;
		if (close_one(f, s, ch, cb, ctx) < 0)
			return -1;
	}
	return closed;
}

static bool among(int64_t v, const int64_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

/* Logged with the users as its ids and the first exception as its arg. */
static int fake_close_users_sessions(struct sc_db *db, const int64_t *except, size_t nexcept,
				     const struct sc_change *ch, sc_session_cb cb, void *ctx,
				     struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	int closed = 0;

	if (enter(f, FAKE_CLOSE_USERS, nexcept ? except[0] : INT64_MIN, ch->users, ch->nusers, err) < 0)
		return -1;
	if (!ch->users || !ch->nusers || ch->has_idle_before)
		violation(f, "close_users_sessions without users, or with an idle cutoff");
	for (size_t i = 0; i < f->st.nsessions; i++) {
		struct fake_session *s = &f->st.sessions[i];
		if (!s->is_active || !among(s->user_id, ch->users, ch->nusers) ||
		    among(s->id, except, nexcept))
			continue;
		closed++;
		if (close_one(f, s, ch, cb, ctx) < 0)
			return -1;
	}
	return closed;
}

static int fake_purge_sessions(struct sc_db *db, const int64_t *ids, size_t n,
			       const struct sc_change *ch, sc_session_cb cb, void *ctx,
			       struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	int purged = 0;

	if (enter(f, FAKE_PURGE, 0, ids, n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct fake_session *s = find_session(&f->st, ids[i]);
		struct sc_session v;
		if (!s || s->is_active)
			continue;
		if (ch->audit)
			add_audit(&f->st, ch, s);
		view(s, &v);
		if (cb && cb(&v, ctx) != 0)
			return -1;
		size_t at = (size_t)(s - f->st.sessions);
		memmove(s, s + 1, (f->st.nsessions - at - 1) * sizeof(*s));
		f->st.nsessions--;
		purged++;
	}
	return purged;
}

static int fake_candidates(struct sc_db *db, bool active, int64_t cutoff, const int64_t *user_id,
			   int64_t from, int64_t limit, struct sc_ids *out, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_CANDIDATES, limit, NULL, 0, err) < 0)
		return -1;
	f->log[f->nlog - 1].from = from;
	for (size_t i = 0; i < f->st.nsessions && (int64_t)out->n < limit; i++) {
		const struct fake_session *s = &f->st.sessions[i];
		if (s->is_active == active && s->id >= from && !s->last_activity_null &&
		    s->last_activity < cutoff && (!user_id || s->user_id == *user_id) &&
		    sc_ids_push(out, s->id) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	return 0;
}

/* With since: whether the user has an active session last seen at or
 * after it. */
static bool active_since(const struct fake_store *st, int64_t user, int64_t since)
{
	for (size_t i = 0; i < st->nsessions; i++) {
		const struct fake_session *s = &st->sessions[i];
		if (s->user_id == user && s->is_active && !s->last_activity_null &&
		    s->last_activity >= since)
			return true;
	}
	return false;
}

static int fake_users_over_limit(struct sc_db *db, int64_t max, int64_t since, int64_t from,
				 int64_t limit, struct sc_ids *out, struct sc_ids *excess,
				 struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_USERS_OVER_LIMIT, limit, NULL, 0, err) < 0)
		return -1;
	f->log[f->nlog - 1].from = from;
	f->log[f->nlog - 1].since = since;
	/* Users in ascending id order: the smallest user id from `from` on,
	 * each round (and then past the one before). */
	for (bool more = true; more && (int64_t)out->n < limit;) {
		bool found = false;
		int64_t next = 0, active = 0;
		for (size_t i = 0; i < f->st.nsessions; i++) {
			int64_t u = f->st.sessions[i].user_id;
			if (u >= from && (!found || u < next)) {
				next = u;
				found = true;
			}
		}
		if (!found)
			break;
		for (size_t i = 0; i < f->st.nsessions; i++)
			active += f->st.sessions[i].user_id == next && f->st.sessions[i].is_active;
		if (active > max && (since == INT64_MIN || active_since(&f->st, next, since)) &&
		    (sc_ids_push(out, next) < 0 || (excess && sc_ids_push(excess, active - max) < 0)))
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
		more = next < INT64_MAX;
		from = more ? next + 1 : from;
	}
	return 0;
}

static int fake_idle_sessions(struct sc_db *db, int64_t from, int64_t cutoff, int64_t limit,
			      struct sc_ids *out, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_IDLE_SESSIONS, limit, NULL, 0, err) < 0)
		return -1;
	f->log[f->nlog - 1].since = from;
	for (size_t i = 0; i < f->st.nsessions && (int64_t)out->n <= limit; i++) {
		const struct fake_session *s = &f->st.sessions[i];
		if (s->is_active && !s->last_activity_null && s->last_activity < cutoff &&
		    (from == INT64_MIN || s->last_activity >= from) && sc_ids_push(out, s->id) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	return 0;
}

static int fake_state_get(struct sc_db *db, struct sc_enforce_state *out, bool *found,
			  struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_STATE_GET, 0, NULL, 0, err) < 0)
		return -1;
	*found = f->st.has_enforce_state;
	if (*found)
		*out = f->st.enforce_state;
	return 0;
}

static int fake_state_put(struct sc_db *db, const struct sc_enforce_state *st,
			  struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_STATE_PUT, 0, NULL, 0, err) < 0)
		return -1;
	f->st.enforce_state = *st;
	f->st.has_enforce_state = true;
	return 0;
}

static int fake_over_limit_candidates(struct sc_db *db, const int64_t *user_ids, size_t n,
				      int64_t keep, struct sc_ids *out, struct sc_error *err)
{
	struct fake_db *f = to_fake(db);

	if (enter(f, FAKE_OVER_LIMIT_CANDIDATES, keep, user_ids, n, err) < 0)
		return -1;
	for (size_t u = 0; u < n; u++) {
		size_t m;
		struct fake_session **v = ranked(&f->st, user_ids[u], false, &m);
		for (size_t i = (size_t)keep; i < m; i++)
			sc_ids_push(out, v[i]->id);
		free(v);
	}
	return 0;
}

static int fake_upsert(struct sc_db *db, const struct sc_new_session *ns,
		       const struct sc_change *ch, bool *created, sc_session_cb cb, void *ctx,
		       struct sc_error *err)
{
	struct fake_db *f = to_fake(db);
	struct fake_session *s = NULL;
	struct sc_session v;

	if (enter(f, FAKE_UPSERT, ns->user_id, NULL, 0, err) < 0)
		return -1;
	for (size_t i = 0; i < f->st.nsessions && !s; i++)
		if (f->st.sessions[i].user_id == ns->user_id &&
		    strcmp(f->st.sessions[i].fp, ns->device_fingerprint) == 0)
			s = &f->st.sessions[i];
	*created = s == NULL;
	if (!s) {
		int64_t id = fake_add_session(f, ns->user_id, ns->device_fingerprint, ch->now, true);
		if (!(s = find_session(&f->st, id)))
			abort();
		s->created_at = ch->now;
	}
	s->last_activity = ch->now;
	s->last_activity_null = false;
	s->is_active = true;
	if (ns->device_name)
		setstr(s->name, ns->device_name, &s->name_null);
	if (ns->device_type)
		setstr(s->type, ns->device_type, &s->type_null);
	if (ns->browser)
		setstr(s->browser, ns->browser, &s->browser_null);
	if (ns->ip_address)
		setstr(s->ip, ns->ip_address, &s->ip_null);
	if (ch->audit)
		add_audit(&f->st, ch, s);
	view(s, &v);
	return cb(&v, ctx);
}

#define FAKE_SLOTS                                                \
	.abi = SC_BACKEND_ABI,                                    \
	.size = sizeof(struct sc_backend),                        \
	.name = "fake",                                           \
	.migrations = migrations,                                 \
	.migrations_table = migrations_table,                     \
	.open = fake_open_slot,                                   \
	.close = fake_close_slot,                                 \
	.begin = fake_begin,                                      \
	.commit = fake_commit,                                    \
	.rollback = fake_rollback,                                \
	.schema_version = fake_schema_version,                    \
	.applied = fake_applied,                                  \
	.exec_script = fake_exec_script,                          \
	.record_migration = fake_record_migration,                \
	.find_user = fake_find_user,                              \
	.list_sessions = fake_list_sessions,                      \
	.get_session = fake_get_session,                          \
	.count_active = fake_count_active,                        \
	.totals = fake_totals,                                    \
	.count_by_user = fake_count_by_user,                      \
	.id_bounds = fake_id_bounds,                              \
	.recent_sessions = fake_recent_sessions,                  \
	.history = fake_history,                                  \
	.sessions_by_ids = fake_sessions_by_ids,                  \
	.close_sessions = fake_close_sessions,                    \
	.close_users_sessions = fake_close_users_sessions,        \
	.purge_sessions = fake_purge_sessions,                    \
	.candidates = fake_candidates,                            \
	.users_over_limit = fake_users_over_limit,                \
	.over_limit_candidates = fake_over_limit_candidates,      \
	.upsert_session = fake_upsert

const struct sc_backend fake_backend = {
	FAKE_SLOTS,
	.migrate_lock = fake_migrate_lock,
	.lock_users = fake_lock_users,
	.idle_sessions = fake_idle_sessions,
	.enforce_state_get = fake_state_get,
	.enforce_state_put = fake_state_put,
};

const struct sc_backend fake_backend_no_lock = { FAKE_SLOTS };

/* Outside any transaction (enter checks), counted and logged like the
 * other calls; it never fails, so an injected fault is ignored. */
static void fake_between_batches(struct sc_db *db)
{
	struct sc_error err = { 0 };

	(void)enter(to_fake(db), FAKE_BETWEEN_BATCHES, 0, NULL, 0, &err);
}

const struct sc_backend fake_backend_even = {
	FAKE_SLOTS,
	.lock_users = fake_lock_users,
	.even_batches = true,
	.lock_pause_ms = 1,
	.between_batches = fake_between_batches,
};

/* ---- the test side ---- */

struct fake_db *fake_new_empty(void)
{
	struct fake_db *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	for (int i = 0; i < SC_SCHEMA_VERSION; i++) {
		snprintf(migration_sql[i], sizeof(migration_sql[i]), "fake migration %d", i + 1);
		migrations[i] = (struct sc_migration){ i + 1, "fake", migration_sql[i] };
	}
	f->base.backend = &fake_backend;
	f->base.mode = SC_OPEN_WRITE;
	f->base.display = "fake";
	return f;
}

struct fake_db *fake_new(void)
{
	struct fake_db *f = fake_new_empty();
	for (int v = 1; v <= SC_SCHEMA_VERSION; v++)
		fake_apply_version(&f->st, v);
	return f;
}

void fake_free(struct fake_db *f)
{
	if (!f)
		return;
	store_free(&f->st);
	store_free(&f->snap);
	for (size_t i = 0; i < f->nlog; i++)
		free(f->log[i].ids);
	free(f->log);
	free(f);
}

void fake_add_user(struct fake_db *f, int64_t id, const char *email, const char *username,
		   const char *role)
{
	struct fake_user *u;

	if (f->st.nusers == FAKE_MAX_USERS)
		abort();
	u = &f->st.users[f->st.nusers++];
	u->id = id;
	setstr(u->email, email, NULL);
	setstr(u->username, username, NULL);
	setstr(u->role, role, NULL);
}

int64_t fake_add_session(struct fake_db *f, int64_t user_id, const char *fp, int64_t la,
			 bool active)
{
	struct fake_store *st = &f->st;

	if (st->nsessions == st->capsessions) {
		st->capsessions = st->capsessions ? st->capsessions * 2 : 64;
		st->sessions = xrealloc(st->sessions, st->capsessions * sizeof(*st->sessions));
	}
	struct fake_session *s = &st->sessions[st->nsessions++];
	memset(s, 0, sizeof(*s));
	s->id = ++st->next_session_id;
	s->user_id = user_id;
	setstr(s->fp, fp, NULL);
	s->created_at = la < 0 ? 0 : la;
	s->last_activity = la < 0 ? 0 : la;
	s->last_activity_null = la < 0;
	s->is_active = active;
	s->name_null = s->type_null = s->browser_null = s->ip_null = true;
	return s->id;
}

struct fake_session *fake_session(struct fake_db *f, int64_t id)
{
	return find_session(&f->st, id);
}

size_t fake_audit_count(const struct fake_db *f, const char *action, int64_t session_id)
{
	size_t n = 0;
	for (size_t i = 0; i < f->st.naudit; i++)
		n += (!action || strcmp(f->st.audit[i].action, action) == 0) &&
		     (session_id < 0 || f->st.audit[i].session_id == session_id);
	return n;
}

void fake_fail(struct fake_db *f, enum fake_op op, int from, int count, int status)
{
	f->faults[op] = (struct fake_fault){ from, count, status };
}

size_t fake_calls_of(const struct fake_db *f, enum fake_op op, const struct fake_call **out,
		     size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nlog; i++)
		if (f->log[i].op == op) {
			if (n < max)
				out[n] = &f->log[i];
			n++;
		}
	return n;
}
