/* SIGINT, SIGTERM and SIGHUP for the batched commands (enforce, bulk
 * logout): the batch in progress finishes (commits or rolls back), then
 * the command reports what it did and exits 130, 143 or 129. SIGHUP is
 * the terminal (an SSH session) going away under a run started by hand:
 * it killed the run, with no summary and no --metrics-file. */
#include "cli.h"

#include <signal.h>
#include <string.h>

volatile sig_atomic_t cli_stop_signal;

static void on_signal(int sig)
{
	cli_stop_signal = sig;
}

void cli_catch_stop(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* A second signal kills at once (the database rolls the open batch
	 * back by itself); a write to a slow reader or a sleep between
	 * batches is resumed, not failed with EINTR (exit 74). */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigemptyset(&sa.sa_mask);
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
