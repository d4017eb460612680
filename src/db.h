/* The database as cli/ sees it: an opaque handle and the operations the
 * commands need. Each operation runs in a transaction of its own (reads
 * in one consistent read-only view); rows stream through callbacks.
 * Functions return 0, or -1 with err set; they never print. Which
 * backend serves a URL, and how, is the core's business (backend.h is
 * private to src/).
 */
#ifndef SESSCTL_DB_H
#define SESSCTL_DB_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "error.h"

struct sc_db;

enum sc_open_mode {
	SC_OPEN_READ,    /* read-only; the file must exist; schema checked */
	SC_OPEN_WRITE,   /* read-write; the file must exist; schema checked */
	SC_OPEN_MIGRATE, /* read-write; SQLite may create the file */
	SC_OPEN_INSPECT, /* read-only like SC_OPEN_READ, without the schema
			  * check (migrate status, migrate --dry-run) */
};

/* Opens the database url names (a path, sqlite:PATH, postgresql://...,
 * a libpq keyword string) with the backend that claims it, loading that
 * backend's module first if it is one. For SC_OPEN_READ and
 * SC_OPEN_WRITE the schema is checked too, in the handle's first
 * transaction: that one fails with SC_CONFIG when it is missing, older
 * than this sessctl needs ("run 'sessctl migrate'") or newer. */
/* What the core tells as it goes, for -v ("connection lost: reconnecting
 * ..."): one line, without "sessctl: " and newline. */
typedef void (*sc_notice_cb)(const char *msg, void *ctx);

/* A write handle (SC_OPEN_WRITE) that meets a busy database as it opens
 * (an SQLite file another process is committing to) is tried as often
 * as a change's transaction (SC_TX_ATTEMPTS), then SC_TEMPFAIL. notice
 * (or NULL) hears from the start what the open waits for, as
 * sc_db_on_notice's callback does afterwards. stop (or NULL) is the
 * caller's SIGINT/SIGTERM flag: once set, a wait for a lock ends and the
 * open fails with SC_INTERRUPTED; it stays the handle's stop flag (see
 * struct sc_db) for the transactions after. */
int sc_db_open(const char *url, enum sc_open_mode mode, sc_notice_cb notice, void *notice_ctx,
	       const volatile sig_atomic_t *stop, struct sc_db **db, struct sc_error *err);

/* Closes db; accepts NULL. */
void sc_db_close(struct sc_db *db);

/* The backend's name ("sqlite", "postgresql") and the URL with any
 * password masked, for messages. Owned by db. */
const char *sc_db_backend_name(const struct sc_db *db);
const char *sc_db_display(const struct sc_db *db);

void sc_db_on_notice(struct sc_db *db, sc_notice_cb cb, void *ctx);

/* Values that could not be read (a time that is no time, a PostgreSQL
 * infinity, a year outside 0001-9999) come back as NULL so a listing
 * stays whole; cb hears of each row and column once ("row 12 of sessions
 * has an unreadable last_activity 'garbage': shown as null"), and
 * sc_db_unreadable_count tells how many values were read as NULL so far
 * (a command that shows data then exits 65). */
void sc_db_on_warning(struct sc_db *db, sc_notice_cb cb, void *ctx);
/* A listing that prints only some columns (list: ",a,b,", copied; NULL:
 * all again): a value read as NULL in a column not listed is neither
 * told nor counted, since nothing was shown as null. -1 when out of
 * memory. */
int sc_db_shown_columns(struct sc_db *db, const char *list);
/* Between sc_db_quiet_reads(db, true) and (db, false), rows are read for
 * the command's own use (a change ranking a user's sessions), not shown:
 * a value read as NULL is neither told nor counted. -1 when out of
 * memory. */
int sc_db_quiet_reads(struct sc_db *db, bool on);
unsigned long long sc_db_unreadable_count(const struct sc_db *db);

/* Calls cb for each backend sessctl knows, in table order, with whether
 * it can be used here and how ("built in", the module's path, or "not
 * installed"): for --version. Loads nothing. */
typedef void (*sc_backend_cb)(const char *name, bool available, const char *how, void *ctx);
void sc_backends_each(sc_backend_cb cb, void *ctx);

/* ---- reads ---- */

/* The user ref names: 0 and user filled (free with sc_user_free), or -1
 * with SC_NOUSER (none, or a username shared by several users). */
int sc_resolve_user(struct sc_db *db, const struct sc_userref *ref, struct sc_user *user,
		    struct sc_error *err);

/* Calls cb once for session id, or fails with SC_NOINPUT. */
int sc_get_session(struct sc_db *db, int64_t id, sc_session_cb cb, void *ctx,
		   struct sc_error *err);

/* What list-user asks: the request (its user_id is filled in from the
 * user reference) and an optional address filter. */
struct sc_list_query {
	struct sc_list_request req; /* req.limit is the user's --limit */
	const struct sc_ipnet *ip;  /* NULL: any address */
};

/* Streams the sessions of the user ref names that q selects, most
 * recent activity first. */
int sc_list_user_sessions(struct sc_db *db, const struct sc_userref *ref,
			  const struct sc_list_query *q, sc_session_cb cb, void *ctx,
			  struct sc_error *err);

/* The number of active sessions of the user ref names; *user_id is
 * that user's id. */
int sc_count_user(struct sc_db *db, const struct sc_userref *ref, int64_t *user_id,
		  int64_t *n, struct sc_error *err);

int sc_count_totals(struct sc_db *db, struct sc_totals *t, struct sc_error *err);

/* Users with more than `over` active sessions, most first, then by id. */
int sc_count_by_user(struct sc_db *db, int64_t over, sc_user_count_cb cb, void *ctx,
		     struct sc_error *err);

/* Up to limit active sessions, newest (highest id) first, without a sort
 * of the table: shell completion. */
int sc_recent_sessions(struct sc_db *db, int64_t limit, sc_session_cb cb, void *ctx,
		       struct sc_error *err);

/* Shell completion (the hidden __complete): at most req->limit
 * candidates, each a value and a description (borrowed for the call),
 * from index walks that answer at once on tables of millions:
 *   SC_COMPLETE_USERS: emails and usernames that start with prefix (and
 *     ids, when prefix is digits or empty), described as "user ID";
 *   SC_COMPLETE_SESSIONS: ids of the newest active sessions, of user
 *     when given; prefix is not used;
 *   SC_COMPLETE_FINGERPRINTS: the distinct device fingerprints of user's
 *     active sessions that start with prefix (user required);
 *   SC_COMPLETE_AUDITED_SESSIONS: the distinct session ids of the newest
 *     audit entries (of user when given; closed sessions too, for
 *     history --session), newest first, described as "user ID, ACTION"
 *     of the session's newest entry; only the newest entries are read,
 *     so an old session may be missing; prefix is not used.
 * "Starts with" compares bytes (code points), whatever the collation.
 * cb returns 0 to go on, non-zero to stop. */
enum sc_complete_kind {
	SC_COMPLETE_USERS,
	SC_COMPLETE_SESSIONS,
	SC_COMPLETE_FINGERPRINTS,
	SC_COMPLETE_AUDITED_SESSIONS,
};

struct sc_complete_request {
	enum sc_complete_kind kind;
	const char *prefix;             /* NULL: "" */
	const struct sc_userref *user;  /* NULL: any (not for fingerprints) */
	int64_t limit;
};

typedef int (*sc_candidate_cb)(const char *value, const char *desc, void *ctx);

int sc_complete(struct sc_db *db, const struct sc_complete_request *req, sc_candidate_cb cb,
		void *ctx, struct sc_error *err);

/* What find asks: the sessions of every user that match all the filters
 * given, in ascending id order. Times are bounds on last_activity
 * ("seen") and created_at: *_since includes a row exactly at the bound,
 * *_until excludes it; a row whose time is NULL matches no time bound. */
enum sc_find_state {
	SC_FIND_ACTIVE,   /* is_active (the default) */
	SC_FIND_INACTIVE, /* closed sessions only */
	SC_FIND_ALL,
};

struct sc_find_request {
	const struct sc_userref *users; /* sessions of any of these users; */
	size_t nusers;                  /* 0: of every user */
	const int64_t *user_ids;        /* or, when users is empty, of these
					 * ids, already resolved; */
	size_t nuser_ids;               /* 0 and no users: of every user */
	const struct sc_ipnet *ip;      /* NULL: any address */
	const char *fingerprint;        /* device_fingerprint; NULL: any */
	const char *device_type;        /* NULL: any */
	const char *browser;            /* NULL: any */
	bool has_seen_since, has_seen_until;
	/* Microseconds since the epoch: a bound keeps its fraction of a second. */
	int64_t seen_since_us, seen_until_us;       /* last_activity >= since, < until */
	bool has_created_since, has_created_until;
	int64_t created_since_us, created_until_us; /* created_at >= since, < until */
	bool has_idle_before;
	int64_t idle_before;            /* last_activity <= this (--idle-for) */
	bool has_from;
	int64_t from;                   /* id >= this (a batch walk's cursor) */
	enum sc_find_state state;
	bool with_user;                 /* fill email and username */
	int64_t limit;                  /* 0: no limit */
};

/* A row of find: the session and, when the request asked with_user, its
 * user's email and username (NULL when not asked, NULL in the table, or
 * when the user row is missing). Borrowed for the call only. */
struct sc_find_row {
	struct sc_session s;
	const char *email;
	const char *username;
};

/* Return 0 to go on, non-zero to stop (as sc_session_cb). */
typedef int (*sc_find_cb)(const struct sc_find_row *r, void *ctx);

/* Streams the sessions req selects, in ascending id order, in one read
 * transaction (the users are resolved in it: SC_NOUSER for an unknown
 * one). Memory stays flat however many rows match. */
int sc_find_sessions(struct sc_db *db, const struct sc_find_request *req, sc_find_cb cb,
		     void *ctx, struct sc_error *err);

/* A row of sessctl's audit table. created_at is the real time of the
 * change; evaluated_at the time its rules were evaluated at (--now, else
 * the clock when the command began). The snapshot (email, device_name,
 * ip_address, device_type) is the session as the change saw it (create:
 * as it left it). Rows written before schema version 3 have NULL there
 * (evaluated_at_null, NULL strings). */
struct sc_audit {
	int64_t id;
	int64_t created_at;
	const char *action;
	bool session_id_null;
	int64_t session_id;
	bool user_id_null;
	int64_t user_id;
	const char *actor;
	const char *reason; /* may be NULL */
	bool evaluated_at_null;
	int64_t evaluated_at;
	const char *email;       /* the user's, at the change; may be NULL */
	const char *device_name; /* may be NULL */
	const char *ip_address;  /* may be NULL */
	const char *device_type; /* may be NULL */
	bool created_at_null;    /* a created_at that could not be read */
};

typedef int (*sc_audit_cb)(const struct sc_audit *a, void *ctx);

struct sc_history_request {
	bool has_user;
	int64_t user_id;
	bool has_session;
	int64_t session_id;
	bool session_beyond; /* the id is beyond int64_t: no row matches */
	bool has_since;
	int64_t since_us;  /* only rows with created_at >= since (microseconds) */
	bool has_until;
	int64_t until_us;  /* only rows with created_at < until (microseconds) */
	const char *actor;  /* only rows of this actor (exact); NULL: any */
	const char *action; /* only rows of this action; NULL: any */
	const char *email;  /* only rows whose user's email was this; NULL: any */
	int64_t limit;  /* 0: no limit */
	/* Non-NULL: set to the number of rows that match beyond the limit
	 * (0 when the limit did not cut the list), counted in the same
	 * transaction. */
	int64_t *more;
};

/* The audit trail, newest first (created_at, then id, descending); with
 * user non-NULL, of that user only (req->has_user is then set from it).
 * A user the users table no longer has (deleted, or an email since
 * changed) is found by the trail's own record: its id, or the email its
 * rows kept; 67 only when the trail does not name it either. */
int sc_history(struct sc_db *db, const struct sc_userref *user,
	       struct sc_history_request *req, sc_audit_cb cb, void *ctx,
	       struct sc_error *err);

/* ---- statistics (count --by, metrics: stats.c) ---- */

/* A column count --by groups sessions by. */
enum sc_group_key {
	SC_GROUP_DEVICE_TYPE,
	SC_GROUP_BROWSER,
};

/* One value of that column (NULL: the column is NULL) and its sessions.
 * Borrowed for the call only. */
struct sc_group_count {
	const char *key;
	int64_t active;
	int64_t inactive;
};

typedef int (*sc_group_count_cb)(const struct sc_group_count *g, void *ctx);

/* Every value of the column with its numbers of active and inactive
 * sessions: most active first, then most inactive, then the value in
 * byte order, NULL last. */
int sc_count_by_group(struct sc_db *db, enum sc_group_key key, sc_group_count_cb cb,
		      void *ctx, struct sc_error *err);

/* One UTC day: the sessions created on it and the sessions whose last
 * activity falls on it (active or not). */
struct sc_day_count {
	int64_t day; /* days since 1970-01-01 */
	int64_t created;
	int64_t last_seen;
};

typedef int (*sc_day_count_cb)(const struct sc_day_count *d, void *ctx);

/* Per UTC day, ascending, with a row for every day of the range (zeros
 * where nothing happened): from the day that contains since (with
 * has_since; times before that day are not counted), else from the first
 * day with a time, to the later of the day that contains now and the
 * last day with a time. Nothing at all without has_since on a table
 * without times. */
int sc_count_by_day(struct sc_db *db, bool has_since, int64_t since, int64_t now,
		    sc_day_count_cb cb, void *ctx, struct sc_error *err);

/* What metrics reports, read in one transaction. */
struct sc_metrics_request {
	int64_t now;
	int64_t max_sessions;  /* users with more active sessions are over */
	int64_t idle_timeout;  /* seconds: active sessions idle longer are past it */
	int64_t audit_window;  /* seconds: audit rows in [now - window, now] */
};

struct sc_named_count {
	char *name; /* NULL: SQL NULL */
	int64_t n;
};

struct sc_metrics {
	struct sc_named_count *device_types; /* active sessions per device_type, */
	size_t ndevice_types;                /* "web" and "mobile" always there */
	int64_t users_over_limit;
	int64_t idle_sessions;               /* active, past the idle timeout */
	int64_t oldest_idle_age;             /* now - the oldest one's last
					      * activity, seconds; 0: none */
	struct sc_named_count *actions;      /* audit rows per action in the */
	size_t nactions;                     /* window, every kind sessctl writes
					      * there (0 when none), by name */
};

int sc_metrics_read(struct sc_db *db, const struct sc_metrics_request *req,
		    struct sc_metrics *m, struct sc_error *err);
void sc_metrics_free(struct sc_metrics *m);

/* ---- writes (actions.h holds the commands that change data) ---- */

/* A new session for create (fields as in struct sc_session; id, times and
 * is_active are ignored: the session is active with times ch->now). */
struct sc_new_session {
	int64_t user_id;
	const char *device_fingerprint;
	const char *device_name; /* NULL: none (or keep the old one) */
	const char *device_type;
	const char *browser;
	const char *ip_address;
};

#endif
