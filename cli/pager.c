/* The pager, as git and loginctl run one: a listing on a terminal goes
 * through $SESSCTL_PAGER, else $PAGER, else "less -FRX" (F: quit when it
 * fits a screen, R: show colours, X: leave it on the screen). LESS=FRX
 * and LV=-c are set for the pager when unset, so PAGER=less behaves the
 * same. An empty pager or "cat" means none, as in git. Never when
 * standard output is not a terminal, nor with --no-pager.
 *
 * The pager reads a pipe that replaces standard output; sessctl's own
 * terminal checks are made before (cli_finish_ctx), so the output keeps
 * its terminal form. At the end (or on SIGINT, SIGTERM, SIGHUP, SIGQUIT)
 * sessctl closes the pipe and waits for the pager, so the shell's prompt
 * comes back after it. A pager the user quit early closes the pipe: the
 * writers see EPIPE and sessctl ends quietly with status 0.
 *
 * Secure mode, as systemd's pagers have it: when sessctl runs with
 * privileges another user was handed (root by sudo or pkexec, or a
 * set-user-ID copy), a pager that can run commands (less's "!sh", its
 * editor, :e /etc/shadow) would be a root shell for anyone a sudo rule
 * lets run sessctl. Then only less is run, with LESSSECURE=1, whatever
 * $PAGER says ("cat" or empty still mean none). SESSCTL_PAGERSECURE=1
 * asks for LESSSECURE=1 with the pager configured, =0 turns it off. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PAGER "less -FRX"

static pid_t pager_pid = -1;
static const char *pager_cmd; /* for the message when it cannot run */

/* Whether an executable named name is on $PATH. */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char file[4096];

	if (!path || !*path)
		path = "/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t len = strcspn(p, ":");
		struct stat st;
		snprintf(file, sizeof(file), "%.*s/%s", (int)(len ? len : 1), len ? p : ".", name);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
			return true;
		if (!p[len])
			return false;
		p += len + 1;
	}
}

/* Whether the pager runs in secure mode; *trusted when
 * SESSCTL_PAGERSECURE chose, so that the pager configured is run. */
static bool secure_mode(bool *trusted)
{
	const char *v = getenv("SESSCTL_PAGERSECURE");
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	/* a value that is neither (a typo) leaves the guess below */
	*trusted = true;
	for (size_t i = 0; v && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return true;
		if (strcasecmp(v, no[i]) == 0)
			return false;
	}
	*trusted = false;
	return geteuid() != getuid() ||
	       (geteuid() == 0 && (getenv("SUDO_UID") || getenv("SUDO_USER") || getenv("PKEXEC_UID")));
}

/* The pager command, or NULL for none. */
static const char *pager_command(bool secure, bool trusted)
{
	const char *cmd = getenv("SESSCTL_PAGER");

	if (!cmd)
		cmd = getenv("PAGER");
	if (cmd) {
		cmd += strspn(cmd, " \t");
		if (!*cmd || strcmp(cmd, "cat") == 0)
			return NULL;
	}
	if (!cmd || (secure && !trusted))
		return on_path("less") ? DEFAULT_PAGER : NULL;
	return cmd;
}

/* The pager's wait status, or -1 when there is none to wait for. */
static int wait_pager(void)
{
	int status = -1;

	if (pager_pid < 0)
		return -1;
	close(STDOUT_FILENO);
	cli_output_release();
	while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
		;
	pager_pid = -1;
	return status;
}

static void on_signal(int sig)
{
	(void)wait_pager();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_pager_start(const struct cli_ctx *ctx)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	bool trusted, secure = secure_mode(&trusted);
	const char *cmd;
	int fd[2];

	if (ctx->no_pager || pager_pid >= 0 || !isatty(STDOUT_FILENO) ||
	    !(cmd = pager_command(secure, trusted)))
		return;
	fflush(stdout);
	if (pipe(fd) < 0)
		return;
	pager_cmd = cmd;
	pager_pid = fork();
	if (pager_pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pager_pid == 0) {
		dup2(fd[0], STDIN_FILENO);
		close(fd[0]);
		close(fd[1]);
		setenv("LESS", "FRX", 0);
		setenv("LV", "-c", 0);
		if (secure)
			setenv("LESSSECURE", "1", 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	dup2(fd[1], STDOUT_FILENO);
	close(fd[0]);
	close(fd[1]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa = { 0 }, old;
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		/* A signal the caller ignored stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

int cli_pager_finish(void)
{
	int status;

	if (pager_pid < 0)
		return 0;
	fflush(stdout);
	status = wait_pager();
	/* The shell could not run it (126, 127): the output went nowhere.
	 * Any other status is the pager's own (quit early, as less is). */
	if (status >= 0 && WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))
		return cli_fail(SC_IOERR, "the pager '%s' could not run (exit %d), so nothing was shown: "
				"fix SESSCTL_PAGER or PAGER, or give --no-pager", pager_cmd,
				WEXITSTATUS(status));
	return 0;
}
