/* Standard output that never keeps a listing's transaction waiting for
 * its reader.
 *
 * A listing streams its rows inside its read transaction. Written into a
 * pipe whose reader stops reading (the pager waiting for a key, `| less`
 * left open, a slow consumer), each write blocked once the pipe was
 * full, with the transaction open: on SQLite with a rollback journal its
 * shared lock kept the application from committing anything (its logins
 * failed with "database is locked" for as long as the pager stayed
 * open); on PostgreSQL the connection sat idle in its transaction,
 * holding a PgBouncer pool slot, until idle_in_transaction_session_timeout
 * ended it mid-listing.
 *
 * So when standard output is a pipe, a listing writes it through a
 * description of its own that does not block: what the pipe cannot take
 * now waits in an unlinked file of $TMPDIR (created at the first write
 * that would block) and goes out as the reader takes it; the rest goes
 * out, waiting for the reader, once the command is done and the database
 * closed (cli_output_drain). Nothing changes while the reader keeps up.
 * When no such file can be had, or it cannot grow (TMPDIR missing or
 * full), the output waits for the reader as before. */
#define _GNU_SOURCE /* fopencookie */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct outqueue {
	int fd;          /* a description of standard output's pipe that
			  * does not block */
	int spool;       /* what waits for the reader, or -1 */
	off_t head;      /* the spool is read from here ... */
	off_t tail;      /* ... and appended to here */
	bool blocking;   /* no spool to be had: write, waiting, to fd 1 */
	int error;       /* errno of a failed write (EPIPE) while draining */
};

static struct outqueue *queue;

int cli_tmpfile(const char *prefix, const char **dir_out)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd = -1;

	if (!dir || !*dir)
		dir = "/tmp";
	if (dir_out)
		*dir_out = dir;
	/* tmpfile() ignores TMPDIR: a file of its own, gone once closed. */
	if (snprintf(path, sizeof(path), "%s/%s-XXXXXX", dir, prefix) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) >= 0)
		unlink(path);
	return fd;
}

/* Writes all of buf to fd, waiting (fd 1, blocking). */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t k = write(fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Moves what waits in the spool to the pipe: as much as it takes now,
 * or with wait all of it. 0, or -1 with q->error set. */
static int drain(struct outqueue *q, bool wait)
{
	char buf[65536];

	while (q->head < q->tail) {
		if (!wait) {
			struct pollfd p = { .fd = q->fd, .events = POLLOUT };
			if (poll(&p, 1, 0) == 0)
				return 0; /* still full */
		}
		size_t want = (size_t)(q->tail - q->head) < sizeof(buf) ? (size_t)(q->tail - q->head)
									 : sizeof(buf);
		ssize_t r = pread(q->spool, buf, want, q->head);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			q->error = r < 0 ? errno : EIO;
			return -1;
		}
		size_t off = 0;
		while (off < (size_t)r) {
			ssize_t k = write(wait ? STDOUT_FILENO : q->fd, buf + off, (size_t)r - off);
			if (k > 0) {
				off += (size_t)k;
				continue;
			}
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && errno == EAGAIN) {
				q->head += (off_t)off;
				return 0;
			}
			q->error = k < 0 ? errno : EIO;
			return -1;
		}
		q->head += r;
	}
	/* All out: the file starts over, given back once it grew large. */
	if (q->spool >= 0 && q->tail) {
		bool large = q->tail > (off_t)4 << 20;
		q->head = q->tail = 0;
		if (large && ftruncate(q->spool, 0) != 0) {
			q->error = errno;
			return -1;
		}
	}
	return 0;
}

/* Appends to the spool, creating it at the first need. -1: no room (or
 * no file), nothing appended. */
static int spool_put(struct outqueue *q, const char *buf, size_t n)
{
	off_t at = q->tail;

	if (q->spool < 0 && (q->spool = cli_tmpfile("sessctl-output", NULL)) < 0)
		return -1;
	while (n) {
		ssize_t k = pwrite(q->spool, buf, n, at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* Leave the file as it was: what waits ends at tail. */
			if (ftruncate(q->spool, q->tail) != 0)
				return -1;
			return -1;
		}
		buf += k;
		n -= (size_t)k;
		at += k;
	}
	q->tail = at;
	return 0;
}

/* No room to queue: from now on the output waits for its reader, after
 * what the spool holds. */
static ssize_t fall_back(struct outqueue *q, const char *buf, size_t n)
{
	q->blocking = true;
	if (drain(q, true) < 0) {
		errno = q->error;
		return -1;
	}
	return write_all(STDOUT_FILENO, buf, n) < 0 ? -1 : (ssize_t)n;
}

static ssize_t queue_write(void *cookie, const char *buf, size_t n)
{
	struct outqueue *q = cookie;
	size_t done = 0;

	if (q->error) {
		errno = q->error;
		return -1;
	}
	if (q->blocking)
		return write_all(STDOUT_FILENO, buf, n) < 0 ? -1 : (ssize_t)n;
	if (q->head < q->tail) { /* behind what waits */
		if (spool_put(q, buf, n) < 0)
			return fall_back(q, buf, n);
		if (drain(q, false) < 0) {
			errno = q->error;
			return -1;
		}
		return (ssize_t)n;
	}
	while (done < n) {
		ssize_t k = write(q->fd, buf + done, n - done);
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			break;
		return done ? (ssize_t)done : -1; /* EPIPE: the reader went away */
	}
	if (done < n && spool_put(q, buf + done, n - done) < 0)
		return fall_back(q, buf + done, n - done) < 0 ? (done ? (ssize_t)done : -1)
							      : (ssize_t)n;
	return (ssize_t)n;
}

int cli_output_unblock(void)
{
	struct stat st;
	struct outqueue *q;
	FILE *f;
	int fd;

	if (queue || fstat(STDOUT_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode))
		return 0;
	/* A description of its own: O_NONBLOCK on standard output's would
	 * also be stderr's in `2>&1 |`, and the caller's. */
	if ((fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return 0; /* as before: the output waits for its reader */
	if (!(q = calloc(1, sizeof(*q)))) {
		close(fd);
		return -1;
	}
	q->fd = fd;
	q->spool = -1;
	fflush(stdout);
	f = fopencookie(q, "w", (cookie_io_functions_t){ .write = queue_write });
	if (!f) {
		close(fd);
		free(q);
		return -1;
	}
	queue = q;
	stdout = f;
	return 0;
}

int cli_output_drain(void)
{
	struct outqueue *q = queue;
	int rc = 0;

	if (!q)
		return 0;
	if (q->error || drain(q, true) < 0) {
		errno = q->error;
		rc = -1;
	}
	cli_output_release();
	return rc;
}

void cli_output_release(void)
{
	/* The pager sees the end of its input only once every description
	 * of the pipe's writing end is closed. */
	if (queue && queue->fd >= 0) {
		close(queue->fd);
		queue->fd = -1;
	}
}
