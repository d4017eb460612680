#include "error.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

int sc_error_set(struct sc_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void sc_error_clear(struct sc_error *err)
{
	if (!err)
		return;
	err->status = SC_OK;
	err->msg[0] = '\0';
}

static volatile sig_atomic_t file_size_limit_met;

static void on_xfsz(int sig)
{
	(void)sig;
	file_size_limit_met = 1;
}

void sc_catch_file_size_limit(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_xfsz;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGXFSZ, &sa, NULL);
}

bool sc_file_size_limit_met(void)
{
	return file_size_limit_met != 0;
}

void sc_lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
}

const char *sc_strerror(int e)
{
	static _Thread_local char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(e));
	sc_lower_first(buf);
	return buf;
}
