/* SIGINT, SIGTERM and SIGHUP for the batched commands (enforce, bulk
 * logout): the batch in progress finishes (commits or rolls back), then
 * the command reports what it did and exits 130, 143 or 129. SIGHUP is
 * the terminal (an SSH session) going away under a run started by hand:
 * it killed the run, with no summary and no --metrics-file. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t cli_stop_signal;

/* A second stop signal within this time of the first is the same stop:
 * timeout(1), itself sent SIGTERM (by systemd, by a script that kills
 * its job), sends it on to its child and again to its process group, a
 * few microseconds apart; systemd may follow SIGTERM with SIGHUP. */
#define SAME_STOP_MS 250

static struct timespec first_at; /* when cli_stop_signal was set */

static void on_signal(int sig)
{
	int saved = errno;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!cli_stop_signal) {
		first_at = now;
		cli_stop_signal = sig;
	} else if ((now.tv_sec - first_at.tv_sec) * 1000 + (now.tv_nsec - first_at.tv_nsec) / 1000000 >=
		   SAME_STOP_MS) {
		/* A second signal, sent on purpose: sessctl ends at once,
		 * killed by it (the database rolls the open batch back by
		 * itself). Blocked while this handler runs, it comes on
		 * return. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	errno = saved;
}

void cli_catch_stop(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* A write to a slow reader is resumed, not failed with EINTR (exit
	 * 74); a sleep (nanosleep, poll) is cut short all the same, which the
	 * waits between tries rely on. The three do not interrupt each
	 * other's handler. The exit status is the first signal's. */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* A signal ignored when sessctl started (a background job of
		 * a shell script, nohup) stays ignored, as the caller meant. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

const char *cli_stop_name(void)
{
	return cli_stop_signal == SIGTERM ? "SIGTERM" : cli_stop_signal == SIGHUP ? "SIGHUP" : "SIGINT";
}

int cli_stop_status(void)
{
	return 128 + (cli_stop_signal ? cli_stop_signal : SIGINT);
}
