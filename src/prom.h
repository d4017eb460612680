/* The Prometheus text exposition format (version 0.0.4): what `sessctl
 * metrics` prints and what `enforce --metrics-file` writes for a
 * node_exporter textfile collector. Every metric is a gauge named
 * sessctl_*, in base units (seconds), with a HELP and a TYPE line.
 */
#ifndef SESSCTL_PROM_H
#define SESSCTL_PROM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "actions.h"
#include "db.h"
#include "error.h"

/* Writes m (read for req) to out; terminal: out is one, where a label
 * value's characters that could drive it are shown as '?'. Returns 0, or
 * -1 with SC_IOERR, or SC_BROKEN_PIPE when the reader went away. */
int sc_metrics_print(FILE *out, const struct sc_metrics *m, const struct sc_metrics_request *req,
		     bool terminal, struct sc_error *err);

/* How an enforce run ended, for its metrics file. */
struct sc_enforce_run {
	const struct sc_enforce_result *r; /* what its committed batches did */
	bool success;                      /* the enforcement ran to the end (its
					    * summary's output aside) */
	double duration;                   /* seconds */
	int64_t started;                   /* the real time it started (never --now) */
};

/* Replaces the file at path with run's metrics, atomically: writes
 * PATH.tmp.XXXXXX in the same directory, syncs it and renames it over
 * path, so a reader sees the old file or the new one, never a part. After
 * a failed run, sessctl_enforce_last_success_timestamp_seconds keeps the
 * value the old file had (left out when it had none). Returns 0, or -1
 * with SC_IOERR (nothing is left behind but the old file; also for a path
 * sc_metrics_file_check refuses by now). */
int sc_enforce_metrics_file(const char *path, const struct sc_enforce_run *run,
			    struct sc_error *err);

/* Whether path may be replaced by sc_enforce_metrics_file: a regular file,
 * a symbolic link to one (that file is replaced, the link stays), or
 * nothing yet. A device (/dev/full), a directory, a FIFO or a link to
 * none of them would be replaced by the rename itself, not written: -1
 * with SC_USAGE; so is a directory that is not there, and one this user
 * cannot write in is SC_NOPERM (SC_IOERR on a read-only file system).
 * Checked before the run, so that nothing is done in vain. */
int sc_metrics_file_check(const char *path, struct sc_error *err);

#endif
