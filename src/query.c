#include "query.h"

struct filter_ctx {
	const struct sc_list_query *q;
	sc_session_cb cb;
	void *ctx;
	int64_t seen;
};

static int filter_row(const struct sc_session *s, void *vctx)
{
	struct filter_ctx *f = vctx;
	int rc;

	if (!sc_ipnet_contains(f->q->ip, s->ip_address))
		return 0;
	rc = f->cb(s, f->ctx);
	if (rc)
		return rc;
	f->seen++;
	return f->q->req.limit && f->seen >= f->q->req.limit ? 1 : 0;
}

int sc_list_sessions(struct sc_db *db, const struct sc_list_query *q, sc_session_cb cb,
		     void *ctx, struct sc_error *err)
{
	struct sc_list_request req = q->req;
	struct filter_ctx f = { q, cb, ctx, 0 };
	int rc;

	if (!q->ip)
		return db->backend->list_sessions(db, &req, cb, ctx, err);
	req.limit = 0;
	rc = db->backend->list_sessions(db, &req, filter_row, &f, err);
	/* 1 from filter_row means "limit reached", not an error. */
	return rc == 1 && err->status == SC_OK ? 0 : rc;
}

int sc_find_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		 struct sc_error *err)
{
	int rc;

	if (ref->kind == SC_USER_BY_ID && ref->id < 0)
		return sc_error_set(err, SC_NOUSER, "no such user '%s'", ref->text);
	rc = db->backend->find_user(db, ref, user, err);
	if (rc == 1)
		return sc_error_set(err, SC_NOUSER, "no such user '%s'", ref->text);
	if (rc == 2)
		return sc_error_set(err, SC_USAGE,
			"username '%s' belongs to more than one user: give the id or email", ref->text);
	return rc;
}
