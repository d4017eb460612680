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
 * When no such file can be had, or it cannot grow (TMPDIR missing, full,
 * or down to its last SPOOL_SPARE), the output waits for the reader as
 * before. When standard error is the same pipe (`2>&1 |`), its lines go
 * through the queue too, in order: written straight into a full pipe,
 * a warning in the middle of a listing would wait there. */
#define _GNU_SOURCE /* fopencookie */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct outqueue {
	int fd;          /* a description of standard output's pipe that does
			  * not block, or -1: fd 1 itself, written only as
			  * much as poll() says fits (another user's pipe
			  * cannot be opened again through /proc) */
	int spool;       /* what waits for the reader, or -1 */
	off_t head;      /* the spool is read from here ... */
	off_t tail;      /* ... and appended to here */
	off_t checked;   /* tail when the spool's room was last checked */
	bool blocking;   /* no spool to be had, or drained at the end: write,
			  * waiting for the reader */
	int error;       /* errno of a failed write (EPIPE) while draining */
};

/* The spool stops growing (the output then waits for its reader) when
 * its file system would have less than this left, or a tenth of it. */
#define SPOOL_SPARE ((uint64_t)64 << 20)
#define SPOOL_CHECK_EVERY ((off_t)16 << 20)

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

/* Waits until fd takes a write. */
static int wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Writes all of buf to standard output, waiting for the reader (and for
 * a descriptor another process left non-blocking). */
static int write_all(const char *buf, size_t n)
{
	while (n) {
		ssize_t k = write(STDOUT_FILENO, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			if (wait_writable(STDOUT_FILENO) < 0)
				return -1;
			continue;
		}
		if (k < 0)
			return -1;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Writes what the pipe takes now, waiting for nothing: the number of
 * bytes written, or -1 (errno: EPIPE when the reader went away). */
static ssize_t write_now(struct outqueue *q, const char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k;
		if (q->fd >= 0) {
			k = write(q->fd, buf + done, n - done);
		} else {
			/* One writer: a write of at most PIPE_BUF bytes into a
			 * pipe poll() calls writable does not wait. */
			struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
			int r = poll(&p, 1, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				break;
			size_t chunk = n - done < PIPE_BUF ? n - done : PIPE_BUF;
			k = write(STDOUT_FILENO, buf + done, chunk);
		}
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			break;
		if (done)
			break; /* the error comes again with the next write */
		return -1;
	}
	return (ssize_t)done;
}

/* Moves what waits in the spool to the pipe: as much as it takes now,
 * or with wait all of it. 0, or -1 with q->error set. */
static int drain(struct outqueue *q, bool wait)
{
	char buf[65536];

	while (q->head < q->tail) {
		size_t want = (size_t)(q->tail - q->head) < sizeof(buf) ? (size_t)(q->tail - q->head)
									 : sizeof(buf);
		ssize_t r = pread(q->spool, buf, want, q->head);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			q->error = r < 0 ? errno : EIO;
			return -1;
		}
		if (wait) {
			if (write_all(buf, (size_t)r) < 0) {
				q->error = errno;
				return -1;
			}
			q->head += r;
			continue;
		}
		ssize_t k = write_now(q, buf, (size_t)r);
		if (k < 0) {
			q->error = errno;
			return -1;
		}
		q->head += k;
		if (k < r)
			return 0; /* the pipe is full again */
	}
	/* All out: the file starts over, given back once it grew large. */
	if (q->spool >= 0 && q->tail) {
		bool large = q->tail > SPOOL_CHECK_EVERY;
		q->head = q->tail = q->checked = 0;
		if (large && ftruncate(q->spool, 0) != 0) {
			q->error = errno;
			return -1;
		}
	}
	return 0;
}

/* Whether the spool's file system keeps SPOOL_SPARE, and a tenth of
 * itself, free once it holds n bytes more. */
static bool room_for(const struct outqueue *q, size_t n)
{
	struct statvfs v;

	if (fstatvfs(q->spool, &v) != 0)
		return false;
	uint64_t size = (uint64_t)v.f_blocks * v.f_frsize, avail = (uint64_t)v.f_bavail * v.f_frsize;
	uint64_t spare = size / 10 > SPOOL_SPARE ? size / 10 : SPOOL_SPARE;
	return avail > spare && avail - spare > n;
}

/* Appends to the spool, creating it at the first need. -1: no room (or
 * no file), nothing appended. */
static int spool_put(struct outqueue *q, const char *buf, size_t n)
{
	off_t at = q->tail;

	if (q->spool < 0 && (q->spool = cli_tmpfile("sessctl-output", NULL)) < 0)
		return -1;
	/* Checked now and then: room for n and for as much as may come
	 * before the next check, so that the spare is never eaten into. */
	if ((q->tail == 0 || q->tail - q->checked >= SPOOL_CHECK_EVERY) &&
	    !room_for(q, n + (size_t)SPOOL_CHECK_EVERY))
		return -1;
	if (q->tail - q->checked >= SPOOL_CHECK_EVERY)
		q->checked = q->tail;
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
	return write_all(buf, n) < 0 ? -1 : (ssize_t)n;
}

static ssize_t queue_write(void *cookie, const char *buf, size_t n)
{
	struct outqueue *q = cookie;

	if (q->error) {
		errno = q->error;
		return -1;
	}
	if (q->blocking)
		return write_all(buf, n) < 0 ? -1 : (ssize_t)n;
	if (q->head < q->tail) { /* behind what waits */
		if (spool_put(q, buf, n) < 0)
			return fall_back(q, buf, n);
		if (drain(q, false) < 0) {
			errno = q->error;
			return -1;
		}
		return (ssize_t)n;
	}
	ssize_t done = write_now(q, buf, n);
	if (done < 0)
		return -1; /* EPIPE: the reader went away */
	if ((size_t)done < n && spool_put(q, buf + done, n - (size_t)done) < 0)
		return fall_back(q, buf + done, n - (size_t)done) < 0 ? (done ? done : -1)
									: (ssize_t)n;
	return (ssize_t)n;
}

/* Standard error's lines in the same pipe: after the rows standard
 * output's buffer holds (a warning about a row is written before that
 * row is, and after the rows before it). */
static ssize_t queue_write_err(void *cookie, const char *buf, size_t n)
{
	fflush(stdout);
	return queue_write(cookie, buf, n);
}

/* The same pipe (a `2>&1 |`)? */
static bool same_file(int a, int b)
{
	struct stat x, y;

	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int cli_output_unblock(void)
{
	cookie_io_functions_t io = { .write = queue_write }, io_err = { .write = queue_write_err };
	struct stat st;
	struct outqueue *q;
	FILE *out, *err = NULL;

	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	/* A pipe's read end as standard output (`1<&0`) is no output: its
	 * writes fail (74) as before, not go into the pipe through a
	 * description opened for writing. */
	if (queue || fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(STDOUT_FILENO, &st) != 0 ||
	    !S_ISFIFO(st.st_mode))
		return 0;
	if (!(q = calloc(1, sizeof(*q))))
		return -1;
	/* A description of its own: O_NONBLOCK on standard output's would
	 * also be stderr's in `2>&1 |`, and the caller's. */
	q->fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	q->spool = -1;
	fflush(stdout);
	fflush(stderr);
	if (!(out = fopencookie(q, "w", io)) ||
	    (same_file(STDOUT_FILENO, STDERR_FILENO) && !(err = fopencookie(q, "w", io_err)))) {
		if (out)
			fclose(out);
		if (q->fd >= 0)
			close(q->fd);
		free(q);
		return -1;
	}
	queue = q;
	stdout = out;
	if (err) {
		setvbuf(err, NULL, _IONBF, 0);
		stderr = err;
	}
	return 0;
}

int cli_output_drain(void)
{
	struct outqueue *q = queue;
	int rc = 0;

	if (!q)
		return 0;
	if (stderr != stdout)
		fflush(stderr);
	if (q->error || drain(q, true) < 0) {
		errno = q->error;
		rc = -1;
	}
	/* What comes after (a last error line through stderr) waits. */
	q->blocking = true;
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
