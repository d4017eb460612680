/* Exit statuses and the error value every core function fills in.
 *
 * The core never prints: a failing function fills a struct sc_error and
 * returns -1; cli/ prints the message once and exits with err->status.
 */
#ifndef SESSCTL_ERROR_H
#define SESSCTL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* Exit statuses (SPEC §5; numbers follow sysexits.h). */
enum sc_status {
	SC_OK = 0,            /* done, including "nothing to do" */
	SC_FALSE = 1,         /* a check was false (migrate status --check) */
	SC_USAGE = 64,        /* unknown command or option, bad value */
	SC_DATAERR = 65,      /* bad input data */
	SC_NOINPUT = 66,      /* no such database file, or no such session */
	SC_NOUSER = 67,       /* no such user */
	SC_UNAVAILABLE = 69,  /* database unreachable or cannot be opened */
	SC_SOFTWARE = 70,     /* internal error */
	SC_IOERR = 74,        /* output could not be written */
	SC_TEMPFAIL = 75,     /* busy or locked: try again later */
	SC_NOPERM = 77,       /* permission denied */
	SC_CONFIG = 78,       /* schema missing, too old or too new */
	SC_INTERRUPTED = 130, /* SIGINT (SIGTERM gives 143) */
};

/* The room of a message: a line that quotes a long URL and gives a
 * list of hosts' lines fits. */
#define SC_ERROR_MSG_SIZE 1024

struct sc_error {
	int status;                   /* one of enum sc_status; SC_OK when unset */
	char msg[SC_ERROR_MSG_SIZE];  /* lowercase, no final period, never a password */
};

/* Sets err (which may be NULL) and returns -1, so callers can write
 * `return sc_error_set(err, SC_USAGE, "bad '%s'", s);`. */
int sc_error_set(struct sc_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears err to SC_OK and an empty message. */
void sc_error_clear(struct sc_error *err);

/* Lowercases s's first letter, as messages here begin, unless the word
 * is all capitals (an acronym, an SQL keyword: "SSL", "COALESCE"). */
void sc_lower_first(char *s);

/* strerror(e) with its first letter lowercased ("no space left on
 * device"), in a buffer of the calling thread's that the next call
 * reuses. */
const char *sc_strerror(int e);

/* The file size limit (RLIMIT_FSIZE, ulimit -f): sc_catch_file_size_limit
 * makes SIGXFSZ, which would kill the process in the middle of a write,
 * only mark that a write met the limit (the write fails with EFBIG and
 * is reported); sc_file_size_limit_met tells whether one did, for an
 * error (SQLite's "disk I/O error") that keeps no errno to tell. */
void sc_catch_file_size_limit(void);
bool sc_file_size_limit_met(void);

#endif
