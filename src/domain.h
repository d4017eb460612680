/* The domain: users, sessions, the requests commands make of a backend,
 * and the application's rules (SPEC §1-§2) that do not need SQL.
 */
#ifndef SESSCTL_DOMAIN_H
#define SESSCTL_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SC_DEFAULT_MAX_SESSIONS 3
#define SC_DEFAULT_IDLE_TIMEOUT (720 * 3600)
#define SC_FINGERPRINT_MAX 255
#define SC_DEVICE_NAME_MAX 255
#define SC_BROWSER_MAX 100
#define SC_IP_MAX 45

/* A user reference from the command line: an id (all digits), an email
 * (contains '@') or a username. */
struct sc_userref {
	enum { SC_USER_BY_ID, SC_USER_BY_EMAIL, SC_USER_BY_NAME } kind;
	int64_t id;       /* SC_USER_BY_ID; -1 when the digits overflow */
	const char *text; /* the reference as given (borrowed) */
};

/* Parses a user reference. Returns 0, or -1 with SC_USAGE when s is empty. */
int sc_userref_parse(const char *s, struct sc_userref *ref, struct sc_error *err);

struct sc_user {
	int64_t id;
	char *email;    /* may be NULL */
	char *username; /* may be NULL */
	char *role;     /* may be NULL */
};

void sc_user_free(struct sc_user *u);

/* One row of `sessions`. Strings are NULL for SQL NULL; *_null flags mark
 * NULL times, and a user_id that names no user: NULL, or on SQLite not an
 * integer (an adopted table without SPEC's NOT NULL). Rows handed to a
 * callback are borrowed for the call only. */
struct sc_session {
	int64_t id;
	int64_t user_id;
	const char *device_fingerprint;
	const char *device_name;
	const char *device_type;
	const char *browser;
	const char *ip_address;
	int64_t created_at;
	int64_t last_activity;
	bool created_at_null;
	bool last_activity_null;
	bool user_id_null;
	bool is_active;
};

/* Copies s into *copy, which then owns copies of the strings: release
 * them with sc_session_release. Returns 0, or -1 when out of memory (then
 * *copy owns nothing). */
int sc_session_copy(const struct sc_session *s, struct sc_session *copy);

/* Frees the strings of a session made by sc_session_copy (or zeroed). */
void sc_session_release(struct sc_session *s);

/* Called for each row; return 0 to go on, non-zero to stop the listing
 * (the listing then returns that value with no error set, unless the
 * callback set one). */
typedef int (*sc_session_cb)(const struct sc_session *s, void *ctx);

/* An address or CIDR block to filter by, IPv4 or IPv6. */
struct sc_ipnet {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;         /* bits that must match */
};

/* Parses "ADDR" or "ADDR/BITS". Returns 0, or -1 with SC_USAGE. */
int sc_ipnet_parse(const char *s, struct sc_ipnet *net, struct sc_error *err);

/* True when the text address ip (IPv4, IPv6 or IPv4-mapped IPv6) lies in
 * net; false for NULL or unparsable text. Stored forms are read as README
 * says ("Decisions"): blanks around, brackets, a port, a zone, a prefix
 * length, IPv4 leading zeros, and a comma-separated list, any of whose
 * addresses matches. */
bool sc_ipnet_contains(const struct sc_ipnet *net, const char *ip);

/* The backends' prefilter for --ip (struct sc_find_plan), for a backend
 * that can call C: false only for text sc_ipnet_contains cannot match
 * for a network whose IPv4 text begins with v4_prefix (NULL: an IPv6
 * network, which only text with ':' can match). */
bool sc_ip_text_may_match(const char *ip, size_t len, const char *v4_prefix);

/* True when s is an IPv4 or IPv6 address in text form. */
bool sc_ip_valid(const char *s);

/* What list-user asks of a backend. The backend applies user_id, all,
 * device_type, idle_before and limit in SQL, and orders rows by
 * last_activity descending (NULLs last), then id descending. */
struct sc_list_request {
	int64_t user_id;
	bool all;                /* include inactive sessions */
	const char *device_type; /* NULL: any */
	bool has_idle_before;
	int64_t idle_before;     /* only rows with last_activity <= this */
	int64_t limit;           /* 0: no limit */
};

struct sc_totals {
	int64_t users;           /* rows in users */
	int64_t users_active;    /* users with at least one active session */
	int64_t sessions;
	int64_t active;
	int64_t inactive;
};

struct sc_user_count {
	int64_t user_id;
	const char *email;
	const char *username;
	int64_t active;
};

typedef int (*sc_user_count_cb)(const struct sc_user_count *c, void *ctx);

/* A growable array of ids. */
struct sc_ids {
	int64_t *v;
	size_t n, cap;
};

/* Appends id; -1 when out of memory. */
int sc_ids_push(struct sc_ids *ids, int64_t id);
/* Appends every id of from; -1 when out of memory. */
int sc_ids_append(struct sc_ids *to, const struct sc_ids *from);
void sc_ids_free(struct sc_ids *ids);

/* Reads a positive integer environment value such as
 * MAX_SESSIONS_PER_USER; returns dflt when unset or empty, -1 with
 * SC_USAGE when set to anything but a positive integer. */
int sc_env_positive(const char *name, int64_t dflt, int64_t *out,
		    struct sc_error *err);

#endif
