/* The read operations cli/ calls (db.h), each in one read transaction. */
#include "backend.h"
#include "change.h"

#include <stdio.h>
#include <sys/socket.h>

static int find_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		     bool orphans, struct sc_error *err)
{
	int rc;

	if (ref->kind == SC_USER_BY_ID && ref->id < 0)
		return sc_error_set(err, SC_NOUSER, "no such user '%s'", ref->text);
	rc = db->backend->find_user(db, ref, user, err);
	if (rc == 3 && orphans)
		return 0;
	if (rc == 3) {
		sc_user_free(user);
		return sc_error_set(err, SC_NOUSER, "no such user '%s': the users table has no row %lld, "
				    "though sessions still name it (add the user first)",
				    ref->text, (long long)ref->id);
	}
	if (rc == 1)
		return sc_error_set(err, SC_NOUSER, "no such user '%s'", ref->text);
	if (rc == 2)
		return sc_error_set(err, SC_USAGE,
			"username '%s' belongs to more than one user: give the id or email", ref->text);
	return rc;
}

int sc_find_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		 struct sc_error *err)
{
	return find_user(db, ref, user, true, err);
}

int sc_find_app_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		     struct sc_error *err)
{
	return find_user(db, ref, user, false, err);
}

int sc_find_user_ids(struct sc_db *db, const struct sc_userref *refs, size_t n, struct sc_ids *ids,
		     struct sc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct sc_user user = { 0 };
		if (sc_find_user(db, &refs[i], &user, err) < 0)
			return -1;
		int rc = sc_ids_push(ids, user.id);
		sc_user_free(&user);
		if (rc < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	return 0;
}

struct resolve {
	const struct sc_userref *ref;
	struct sc_user *user;
};

static int resolve_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct resolve *r = vctx;
	return sc_find_user(db, r->ref, r->user, err);
}

static void resolve_reset(void *vctx)
{
	sc_user_free(((struct resolve *)vctx)->user);
}

int sc_resolve_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		    struct sc_error *err)
{
	struct resolve r = { ref, user };
	return sc_read_again(db, resolve_body, &r, resolve_reset, err);
}

/* ---- one session ---- */

struct get {
	int64_t id;
	sc_session_cb cb;
	void *ctx;
};

static int get_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct get *g = vctx;
	return db->backend->get_session(db, g->id, g->cb, g->ctx, err);
}

int sc_get_session(struct sc_db *db, int64_t id, sc_session_cb cb, void *ctx,
		   struct sc_error *err)
{
	struct get g = { id, cb, ctx };
	return sc_db_read(db, get_body, &g, err);
}

/* ---- a user's sessions ---- */

struct list {
	const struct sc_userref *ref;
	const struct sc_list_query *q;
	sc_session_cb cb;
	void *ctx;
	int64_t seen;
};

/* The address filter, which SQL cannot apply to text addresses. */
static int filter_row(const struct sc_session *s, void *vctx)
{
	struct list *l = vctx;
	int rc;

	if (!sc_ipnet_contains(l->q->ip, s->ip_address))
		return 0;
	rc = l->cb(s, l->ctx);
	if (rc)
		return rc;
	l->seen++;
	return l->q->req.limit && l->seen >= l->q->req.limit ? 1 : 0;
}

static int list_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct list *l = vctx;
	struct sc_list_request req = l->q->req;
	struct sc_user user = { 0 };
	int rc;

	if (sc_find_user(db, l->ref, &user, err) < 0)
		return -1;
	req.user_id = user.id;
	sc_user_free(&user);
	if (!l->q->ip)
		return db->backend->list_sessions(db, &req, l->cb, l->ctx, err);
	req.limit = 0;
	rc = db->backend->list_sessions(db, &req, filter_row, l, err);
	/* 1 from filter_row means "limit reached", not an error. */
	return rc == 1 && err->status == SC_OK ? 0 : rc;
}

int sc_list_user_sessions(struct sc_db *db, const struct sc_userref *ref,
			  const struct sc_list_query *q, sc_session_cb cb, void *ctx,
			  struct sc_error *err)
{
	struct list l = { ref, q, cb, ctx, 0 };
	return sc_db_read(db, list_body, &l, err);
}

/* ---- counts ---- */

struct count {
	const struct sc_userref *ref;
	int64_t *user_id, *n;
};

static int count_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct count *c = vctx;
	struct sc_user user = { 0 };

	if (sc_find_user(db, c->ref, &user, err) < 0)
		return -1;
	*c->user_id = user.id;
	sc_user_free(&user);
	return db->backend->count_active(db, *c->user_id, c->n, err);
}

int sc_count_user(struct sc_db *db, const struct sc_userref *ref, int64_t *user_id,
		  int64_t *n, struct sc_error *err)
{
	struct count c = { ref, user_id, n };
	return sc_read_again(db, count_body, &c, NULL, err);
}

static int totals_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	return db->backend->totals(db, vctx, err);
}

int sc_count_totals(struct sc_db *db, struct sc_totals *t, struct sc_error *err)
{
	return sc_db_read(db, totals_body, t, err);
}

struct by_user {
	int64_t over;
	sc_user_count_cb cb;
	void *ctx;
};

static int by_user_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct by_user *b = vctx;
	return db->backend->count_by_user(db, b->over, b->cb, b->ctx, err);
}

int sc_count_by_user(struct sc_db *db, int64_t over, sc_user_count_cb cb, void *ctx,
		     struct sc_error *err)
{
	struct by_user b = { over, cb, ctx };
	return sc_db_read(db, by_user_body, &b, err);
}

struct recent {
	int64_t limit;
	sc_session_cb cb;
	void *ctx;
};

static int recent_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct recent *r = vctx;
	return db->backend->recent_sessions(db, r->limit, r->cb, r->ctx, err);
}

int sc_recent_sessions(struct sc_db *db, int64_t limit, sc_session_cb cb, void *ctx,
		       struct sc_error *err)
{
	struct recent r = { limit, cb, ctx };
	return sc_db_read(db, recent_body, &r, err);
}

/* ---- shell completion ---- */

struct complete {
	const struct sc_complete_request *req;
	sc_candidate_cb cb;
	void *ctx;
};

static int complete_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct complete *c = vctx;
	const struct sc_complete_request *req = c->req;
	int64_t user_id = 0;
	bool have_user = false;

	if (req->user) {
		struct sc_user user = { 0 };
		if (sc_find_user(db, req->user, &user, err) < 0)
			return -1;
		user_id = user.id;
		have_user = true;
		sc_user_free(&user);
	} else if (req->kind == SC_COMPLETE_FINGERPRINTS) {
		return sc_error_set(err, SC_USAGE, "fingerprints complete for a user only");
	}
	return db->backend->complete(db, req->kind, have_user ? &user_id : NULL,
				     req->prefix ? req->prefix : "", req->limit, c->cb, c->ctx, err);
}

int sc_complete(struct sc_db *db, const struct sc_complete_request *req, sc_candidate_cb cb,
		void *ctx, struct sc_error *err)
{
	struct complete c = { req, cb, ctx };

	if (!db->backend->complete)
		return 0;
	return sc_db_read(db, complete_body, &c, err);
}

/* ---- history ---- */

struct history {
	const struct sc_userref *user;
	struct sc_history_request *req;
	sc_audit_cb cb;
	void *ctx;
};

static int count_row(const struct sc_audit *a, void *vctx)
{
	(void)a;
	++*(int64_t *)vctx;
	return 0;
}

/* A user the users table no longer has: the trail's own record of it
 * (the id its rows name, or the email they kept; it keeps no user name),
 * when any row has it. Otherwise the lookup's error (67) stands. */
static int trail_user(struct sc_db *db, const struct sc_userref *ref, struct sc_history_request *req,
		      struct sc_error *err)
{
	struct sc_history_request probe = { .limit = 1 };
	struct sc_error perr = { 0 };
	int64_t rows = 0;

	if (ref->kind == SC_USER_BY_ID && ref->id >= 0) {
		probe.has_user = true;
		probe.user_id = ref->id;
	} else if (ref->kind == SC_USER_BY_EMAIL) {
		probe.email = ref->text;
	} else {
		return -1;
	}
	if (db->backend->history(db, &probe, count_row, &rows, &perr) < 0) {
		*err = perr;
		return -1;
	}
	if (rows == 0)
		return -1;
	req->has_user = probe.has_user;
	req->user_id = probe.user_id;
	req->email = probe.email;
	*err = (struct sc_error){ 0 };
	return 0;
}

static int history_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct history *h = vctx;

	if (h->user) {
		struct sc_user user = { 0 };
		if (sc_find_user(db, h->user, &user, err) == 0) {
			h->req->has_user = true;
			h->req->user_id = user.id;
			sc_user_free(&user);
		} else if (err->status != SC_NOUSER || trail_user(db, h->user, h->req, err) < 0) {
			return -1;
		}
	}
	/* No database holds such a session (it was checked for the user
	 * all the same): the empty history a missing id has. */
	if (h->req->has_session && h->req->session_beyond) {
		if (h->req->more)
			*h->req->more = 0;
		return 0;
	}
	return db->backend->history(db, h->req, h->cb, h->ctx, err);
}

int sc_history(struct sc_db *db, const struct sc_userref *user,
	       struct sc_history_request *req, sc_audit_cb cb, void *ctx,
	       struct sc_error *err)
{
	struct history h = { user, req, cb, ctx };
	return sc_db_read(db, history_body, &h, err);
}

/* ---- find ---- */

struct find {
	const struct sc_find_request *req;
	sc_find_cb cb;
	void *ctx;
	int64_t seen;
};

/* The address filter (addresses are text: SQL only prefilters) and the
 * limit after it. */
static int find_row(const struct sc_find_row *r, void *vctx)
{
	struct find *f = vctx;
	int rc;

	if (!sc_ipnet_contains(f->req->ip, r->s.ip_address))
		return 0;
	rc = f->cb(r, f->ctx);
	if (rc)
		return rc;
	f->seen++;
	return f->req->limit && f->seen >= f->req->limit ? 1 : 0;
}

/* A prefilter for net the backend can apply to text: an IPv4 address
 * inet_pton accepts is dotted decimal without leading zeros, so one in
 * net begins with net's whole leading octets ("10.1."); every other form
 * that may match contains ':' (IPv4-mapped, IPv6, a port) or, for IPv4,
 * is not plain dotted decimal (struct sc_find_plan). */
static void ip_prefilter(const struct sc_ipnet *net, struct sc_find_plan *plan, char *buf,
			 size_t len)
{
	size_t n = 0;

	if (net->family != AF_INET) {
		plan->ip_prefilter = true; /* IPv6: only text with ':' */
		return;
	}
	if (net->prefix < 8)
		return; /* any IPv4 address may match */
	buf[0] = '\0';
	for (unsigned i = 0; i < net->prefix / 8 && i < 3; i++)
		n += (size_t)snprintf(buf + n, len - n, "%u.", net->addr[i]);
	plan->ip_prefilter = true;
	plan->ip_v4_prefix = buf;
}

static int find_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct find *f = vctx;
	const struct sc_find_request *req = f->req;
	struct sc_find_plan plan = { .req = req, .limit = req->limit,
				     .from = req->has_from ? req->from : INT64_MIN };
	struct sc_ids ids = { 0 };
	char prefix[16];
	int rc;

	if (sc_find_user_ids(db, req->users, req->nusers, &ids, err) < 0) {
		sc_ids_free(&ids);
		return -1;
	}
	plan.user_ids = req->nusers ? ids.v : req->user_ids;
	plan.nusers = req->nusers ? ids.n : req->nuser_ids;
	f->seen = 0;
	if (!req->ip) {
		rc = db->backend->find_sessions(db, &plan, f->cb, f->ctx, err);
	} else {
		ip_prefilter(req->ip, &plan, prefix, sizeof(prefix));
		plan.limit = 0;
		rc = db->backend->find_sessions(db, &plan, find_row, f, err);
		/* 1 from find_row means "limit reached", not an error. */
		if (rc == 1 && err->status == SC_OK)
			rc = 0;
	}
	sc_ids_free(&ids);
	return rc;
}

int sc_find_in_tx(struct sc_db *db, const struct sc_find_request *req, sc_find_cb cb,
		  void *ctx, struct sc_error *err)
{
	struct find f = { req, cb, ctx, 0 };
	return find_body(db, &f, err);
}

int sc_find_sessions(struct sc_db *db, const struct sc_find_request *req, sc_find_cb cb,
		     void *ctx, struct sc_error *err)
{
	struct find f = { req, cb, ctx, 0 };
	return sc_db_read(db, find_body, &f, err);
}
