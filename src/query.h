/* Read operations that need more than one backend call or a rule of the
 * core on top of SQL. */
#ifndef SESSCTL_QUERY_H
#define SESSCTL_QUERY_H

#include "backend.h"

struct sc_list_query {
	struct sc_list_request req; /* req.limit is the user's --limit */
	const struct sc_ipnet *ip;  /* NULL: any address */
};

/* Streams the sessions q selects to cb: the backend filters in SQL; the
 * address filter (IPv4/IPv6 CIDR, which SQLite cannot express) and with it
 * the limit are applied here. Runs inside the caller's transaction. */
int sc_list_sessions(struct sc_db *db, const struct sc_list_query *q, sc_session_cb cb,
		     void *ctx, struct sc_error *err);

/* Finds the user ref names: SC_NOUSER when there is none, SC_USAGE when a
 * username is ambiguous. Runs inside the caller's transaction. */
int sc_find_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		 struct sc_error *err);

#endif
