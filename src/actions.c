/* The commands that change one user's sessions: logout, logout-all,
 * create. */
#include "change.h"

#include <stdlib.h>
#include <string.h>

/* ---- logout SESSION_ID... ---- */

struct logout_ids_ctx {
	const int64_t *ids;
	size_t n;
	const struct sc_action *a;
	struct changes held;
	struct sc_ids found;   /* ids that exist */
	struct sc_ids active;  /* ids that are active */
	struct sc_ids owners;  /* the users they belong to */
	bool unowned;          /* one belongs to no user (user_id NULL) */
	bool oom;
};

static int on_found(const struct sc_session *s, void *vctx)
{
	struct logout_ids_ctx *c = vctx;
	bool known = s->user_id_null;
	c->unowned |= s->user_id_null;
	for (size_t i = 0; i < c->owners.n && !known; i++)
		known = c->owners.v[i] == s->user_id;
	if (sc_ids_push(&c->found, s->id) < 0 || (s->is_active && sc_ids_push(&c->active, s->id) < 0) ||
	    (!known && sc_ids_push(&c->owners, s->user_id) < 0)) {
		c->oom = true;
		return -1;
	}
	return s->is_active ? 0 : sc_changes_add(&c->held, SC_CHANGE_ALREADY_CLOSED, s);
}

/* Closes the sessions c->ids names, inside the transaction: all or
 * nothing when one does not exist; closed ones reported as such. */
static int close_existing(struct sc_db *db, struct logout_ids_ctx *c, struct sc_error *err)
{
	c->found.n = c->active.n = c->owners.n = 0;
	c->unowned = c->oom = false;
	/* A failure without err is the output's (a dry run reports as it
	 * goes): the caller reports it. */
	if (db->backend->sessions_by_ids(db, c->ids, c->n, on_found, c, err) != 0)
		return c->oom || c->held.oom ? sc_error_set(err, SC_SOFTWARE, "out of memory") : -1;
	for (size_t i = 0; i < c->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < c->found.n && !seen; j++)
			seen = c->found.v[j] == c->ids[i];
		if (!seen)
			return sc_error_set(err, SC_NOINPUT, "no such session %lld: nothing was changed",
					    (long long)c->ids[i]);
	}
	/* The owners key the close by user_id (a table distributed by user),
	 * which a session of no user would escape: then they are not given. */
	return sc_close_ids(db, c->active.v, c->active.n, c->unowned ? NULL : &c->owners, c->a,
			    "logout", SC_CHANGE_CLOSED, &c->held, NULL, err);
}

static int logout_ids_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct logout_ids_ctx *c = vctx;

	if (sc_check_actor(db, c->a, err) < 0)
		return -1;
	return close_existing(db, c, err);
}

static void logout_ids_free(struct logout_ids_ctx *c)
{
	sc_changes_free(&c->held);
	sc_ids_free(&c->found);
	sc_ids_free(&c->active);
	sc_ids_free(&c->owners);
}

int sc_logout_ids(struct sc_db *db, const int64_t *ids, size_t n, const struct sc_action *a,
		  struct sc_error *err)
{
	struct logout_ids_ctx c = { .ids = ids, .n = n, .a = a };
	int rc;

	c.held.a = a;
	c.held.hold_dry = true; /* few rows, all or nothing */
	rc = sc_run_tx(db, a->dry_run, logout_ids_body, &c, &c.held, err);
	if (rc == 0)
		rc = sc_changes_flush(&c.held);
	logout_ids_free(&c);
	return rc;
}

/* ---- sessions of one user ---- */

/* Collects a user's active sessions, most recent first (the order the
 * device limit keeps them in), with their fingerprints. */
struct user_sessions {
	struct sc_ids ids;
	struct sc_ids pick; /* ids matching a fingerprint, or the first */
	const char *fingerprint;
	bool all;           /* include closed sessions */
	bool has_except;
	int64_t except;     /* with has_except: leave this one out */
	bool except_seen;
	struct sc_session first; /* the first match (strings owned), when */
	bool has_first;          /* keep_first asks for it */
	bool keep_first, oom;
};

static int on_user_session(const struct sc_session *s, void *vctx)
{
	struct user_sessions *u = vctx;

	if (u->has_except && s->id == u->except) {
		u->except_seen = true;
		return 0;
	}
	if (u->fingerprint && (!s->device_fingerprint || strcmp(s->device_fingerprint, u->fingerprint) != 0))
		return 0;
	if (u->keep_first && !u->has_first) {
		if (sc_session_copy(s, &u->first) < 0)
			return u->oom = true, -1;
		u->has_first = true;
	}
	return sc_ids_push(&u->ids, s->id);
}

static int user_sessions(struct sc_db *db, int64_t user_id, struct user_sessions *u,
			 struct sc_error *err)
{
	struct sc_list_request req = { .user_id = user_id, .all = u->all };

	u->ids.n = 0;
	u->except_seen = false;
	sc_session_release(&u->first);
	u->has_first = false;
	/* For the change's own use: the rows it changes are shown (and an
	 * unreadable time in them told) from what the change returns. */
	if (sc_db_quiet_reads(db, true) < 0)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	int rc = db->backend->list_sessions(db, &req, on_user_session, u, err);
	sc_db_quiet_reads(db, false);
	if (rc != 0)
		return err->status ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");
	return 0;
}

/* ---- logout --user U --device FP | --latest ---- */

struct pick_ctx {
	const struct sc_logout_pick *pick;
	struct user_sessions us;
	int64_t id;                  /* the session picked */
	struct logout_ids_ctx close; /* closes it */
};

static int pick_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct pick_ctx *c = vctx;
	const struct sc_userref *ref = c->pick->user;
	struct sc_user user = { 0 };

	if (sc_check_actor(db, c->close.a, err) < 0 || sc_find_user(db, ref, &user, err) < 0)
		return -1;
	int64_t user_id = user.id;
	sc_user_free(&user);
	const struct sc_ids owner = { &user_id, 1, 1 };
	/* The active sessions, most recently active first: --latest closes
	 * the first; --device every one of the device (one, but for a SQLite
	 * database holding the fingerprint as text and as a blob of the same
	 * bytes, which show alike and find lists both of). */
	c->us.fingerprint = c->pick->fingerprint;
	c->us.all = false;
	c->us.keep_first = true;
	if (user_sessions(db, user_id, &c->us, err) < 0)
		return -1;
	if (c->us.ids.n)
		return sc_close_ids(db, c->us.ids.v, c->pick->fingerprint ? c->us.ids.n : 1, &owner,
				    c->close.a, "logout", SC_CHANGE_CLOSED, &c->close.held, NULL, err);
	/* None active: the device's closed session is reported as such. */
	if (c->pick->fingerprint) {
		c->us.all = true;
		if (user_sessions(db, user_id, &c->us, err) < 0)
			return -1;
		if (c->us.ids.n)
			return sc_changes_add(&c->close.held, SC_CHANGE_ALREADY_CLOSED, &c->us.first) < 0
				? sc_error_set(err, SC_SOFTWARE, "out of memory") : 0;
	}
	return c->pick->fingerprint
		? sc_error_set(err, SC_NOINPUT, "user '%s' has no session on device '%s'",
			       ref->text, c->pick->fingerprint)
		: sc_error_set(err, SC_NOINPUT, "user '%s' has no active session", ref->text);
}

int sc_logout_pick(struct sc_db *db, const struct sc_logout_pick *pick,
		   const struct sc_action *a, struct sc_error *err)
{
	struct pick_ctx c = { .pick = pick };
	int rc;

	c.close = (struct logout_ids_ctx){ .ids = &c.id, .n = 1, .a = a };
	c.close.held.a = a;
	c.close.held.hold_dry = true; /* few rows, all or nothing */
	rc = sc_run_tx(db, a->dry_run, pick_body, &c, &c.close.held, err);
	if (rc == 0)
		rc = sc_changes_flush(&c.close.held);
	logout_ids_free(&c.close);
	sc_ids_free(&c.us.ids);
	sc_session_release(&c.us.first);
	return rc;
}

/* ---- logout-all USER [--except ID] ---- */

struct owner_ctx {
	int64_t user_id;
	bool match;
};

static int on_owner(const struct sc_session *s, void *vctx)
{
	struct owner_ctx *o = vctx;
	o->match = !s->user_id_null && s->user_id == o->user_id;
	return 0;
}

/* Whether session id exists and belongs to user_id (false with err set on
 * a failure), active or not. */
static bool session_of(struct sc_db *db, int64_t user_id, int64_t id, struct sc_error *err)
{
	struct owner_ctx o = { user_id, false };
	return db->backend->sessions_by_ids(db, &id, 1, on_owner, &o, err) == 0 && o.match;
}

struct all_ctx {
	const struct sc_userref *user;
	const int64_t *except;
	const struct sc_action *a;
	struct changes held;
	struct user_sessions us;
};

/* --except ID must name an active session of the user, or nothing is
 * changed. It is looked for among the user's active sessions (a read
 * keyed by the user, as every statement of a per-user command is:
 * tests/check-sharding.sh); only when it is not there, by its id, to
 * tell why. */
static int check_except(struct sc_db *db, struct all_ctx *c, int64_t user_id,
			struct sc_error *err)
{
	c->us.has_except = true;
	c->us.except = *c->except;
	c->us.all = false;
	if (user_sessions(db, user_id, &c->us, err) < 0)
		return -1;
	if (c->us.except_seen)
		return 0;
	/* Not among the user's active sessions: another user's, none, or a
	 * closed one, which would leave nothing kept. */
	if (!session_of(db, user_id, *c->except, err))
		return err->status ? -1
			: sc_error_set(err, SC_NOINPUT,
				       "session %lld is not a session of user '%s': nothing was changed",
				       (long long)*c->except, c->user->text);
	return sc_error_set(err, SC_DATAERR, "session %lld of user '%s' is closed, so --except "
			    "keeps nothing: nothing was changed (leave out --except to close "
			    "every session)", (long long)*c->except, c->user->text);
}

/* One statement closes the user's sessions, with no read of them before
 * it unless --except is given (README, Performance). */
static int all_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct all_ctx *c = vctx;
	struct sc_user user = { 0 };

	if (sc_check_actor(db, c->a, err) < 0 || sc_find_user(db, c->user, &user, err) < 0)
		return -1;
	int64_t user_id = user.id;
	sc_user_free(&user);
	if (c->except && check_except(db, c, user_id, err) < 0)
		return -1;
	const struct sc_ids owner = { &user_id, 1, 1 };
	return sc_close_users(db, &owner, c->except, c->except ? 1 : 0, c->a, "logout-all",
			      &c->held, err);
}

int sc_logout_all(struct sc_db *db, const struct sc_userref *user, const int64_t *except_id,
		  const struct sc_action *a, struct sc_error *err)
{
	struct all_ctx c = { .user = user, .except = except_id, .a = a };
	int rc;

	c.held.a = a;
	c.held.hold_dry = true; /* few rows, all or nothing */
	rc = sc_run_tx(db, a->dry_run, all_body, &c, &c.held, err);
	if (rc == 0)
		rc = sc_changes_flush(&c.held);
	sc_changes_free(&c.held);
	sc_ids_free(&c.us.ids);
	return rc;
}

/* ---- create ---- */

struct create_ctx {
	const struct sc_userref *user;
	struct sc_new_session ns;
	int64_t max;
	const struct sc_action *a;
	struct changes held;
	struct user_sessions us;
	struct sc_ids keep;
	int64_t session_id;
	bool created;
};

static int on_upserted(const struct sc_session *s, void *vctx)
{
	struct create_ctx *c = vctx;

	c->session_id = s->id;
	return sc_changes_add(&c->held, c->created ? SC_CHANGE_CREATED : SC_CHANGE_REFRESHED, s);
}

/* The row create would leave, without changing anything: the device's
 * session refreshed, or a new one (id 0). */
struct preview {
	const struct sc_new_session *ns;
	bool found, oom;
	struct sc_session s; /* strings owned */
};

static int on_device_session(const struct sc_session *s, void *vctx)
{
	struct preview *p = vctx;

	if (p->found || !s->device_fingerprint || strcmp(s->device_fingerprint, p->ns->device_fingerprint) != 0)
		return 0;
	p->found = true;
	if (sc_session_copy(s, &p->s) < 0)
		p->oom = true;
	return 0;
}

static int preview_upsert(struct sc_db *db, const struct sc_new_session *ns, int64_t now,
			  bool *created, sc_session_cb cb, void *ctx, struct sc_error *err)
{
	struct sc_list_request req = { .user_id = ns->user_id, .all = true };
	struct preview p = { .ns = ns };
	/* Every session of the user is read to find the device's: a time
	 * that cannot be read in one of the others is not shown. (One in
	 * the created_at of the row refreshed, which the real run names, is
	 * not named either.) */
	if (sc_db_quiet_reads(db, true) < 0)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	int rc = db->backend->list_sessions(db, &req, on_device_session, &p, err);
	sc_db_quiet_reads(db, false);

	if (rc == 0 && p.oom)
		rc = sc_error_set(err, SC_SOFTWARE, "out of memory");
	if (rc == 0) {
		struct sc_session s = p.found ? p.s : (struct sc_session){
			.user_id = ns->user_id,
			.device_fingerprint = ns->device_fingerprint,
			.created_at = now,
		};
		s.device_name = ns->device_name ? ns->device_name : s.device_name;
		s.device_type = ns->device_type ? ns->device_type : s.device_type;
		s.browser = ns->browser ? ns->browser : s.browser;
		s.ip_address = ns->ip_address ? ns->ip_address : s.ip_address;
		s.last_activity = now;
		s.last_activity_null = false;
		s.is_active = true;
		*created = !p.found;
		rc = cb(&s, ctx);
	}
	sc_session_release(&p.s);
	return rc;
}

static int create_body(struct sc_db *db, void *vctx, struct sc_error *err)
{
	struct create_ctx *c = vctx;
	struct sc_user user = { 0 };
	int rc;
	struct sc_change ch = sc_change_for(c->a, "create", NULL, 0);

	if (sc_check_actor(db, c->a, err) < 0 || sc_find_app_user(db, c->user, &user, err) < 0)
		return -1;
	c->ns.user_id = user.id;
	sc_user_free(&user);
	c->session_id = 0;
	if (sc_check_text(db, "--fingerprint", c->ns.device_fingerprint, err) < 0 ||
	    sc_check_text(db, "--device-name", c->ns.device_name, err) < 0 ||
	    sc_check_text(db, "--device-type", c->ns.device_type, err) < 0 ||
	    sc_check_text(db, "--browser", c->ns.browser, err) < 0 ||
	    sc_check_text(db, "--ip", c->ns.ip_address, err) < 0)
		return -1;
	if (c->a->dry_run)
		rc = preview_upsert(db, &c->ns, c->a->now, &c->created, on_upserted, c, err);
	else if (db->backend->lock_users &&
		 db->backend->lock_users(db, &(struct sc_ids){ &c->ns.user_id, 1, 1 }, err) < 0)
		rc = -1;
	else
		rc = db->backend->upsert_session(db, &c->ns, &ch, &c->created, on_upserted, c, err);
	if (rc != 0)
		return err->status || !c->held.oom ? -1 : sc_error_set(err, SC_SOFTWARE, "out of memory");

	/* The device limit keeps the new or refreshed session first (in a
	 * dry run it is not in the table, or not refreshed, so it is placed
	 * first by hand; id 0 stands for one not inserted), then the others
	 * by last activity: every other, a session whose id is 0 too. */
	c->us.has_except = !(c->a->dry_run && c->created);
	c->us.except = c->session_id;
	c->us.all = false;
	c->us.fingerprint = NULL;
	if (user_sessions(db, c->ns.user_id, &c->us, err) < 0)
		return -1;
	c->keep.n = 0;
	if (sc_ids_push(&c->keep, c->session_id) < 0)
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	for (size_t i = 0; i < c->us.ids.n; i++)
		if (sc_ids_push(&c->keep, c->us.ids.v[i]) < 0)
			return sc_error_set(err, SC_SOFTWARE, "out of memory");
	if ((int64_t)c->keep.n <= c->max)
		return 0;
	const struct sc_ids owner = { &c->ns.user_id, 1, 1 };
	return sc_close_ids(db, c->keep.v + c->max, c->keep.n - (size_t)c->max, &owner, c->a,
			    "over-limit", SC_CHANGE_OVER_LIMIT, &c->held, NULL, err);
}

int sc_create(struct sc_db *db, const struct sc_userref *user, const struct sc_new_session *ns,
	      int64_t max_sessions, const struct sc_action *a, struct sc_error *err)
{
	struct create_ctx c = { .user = user, .ns = *ns, .max = max_sessions, .a = a };
	int rc;

	c.held.a = a;
	c.held.hold_dry = true; /* few rows, all or nothing */
	rc = sc_run_tx(db, a->dry_run, create_body, &c, &c.held, err);
	if (rc == 0)
		rc = sc_changes_flush(&c.held);
	sc_changes_free(&c.held);
	sc_ids_free(&c.us.ids);
	sc_ids_free(&c.keep);
	return rc;
}

