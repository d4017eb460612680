/* LD_PRELOAD shim for check-faults-postgres.sh: with
 * SESSCTL_TEST_SOCKOPT_LOG=FILE, each setsockopt(2) of an int value is
 * appended to FILE as "NAME VALUE" (the TCP keepalive options and
 * SO_KEEPALIVE by name, others as "LEVEL:OPTION"), a line each, and then
 * made. libpq sets a TCP connection's keepalives and tcp_user_timeout
 * before it connects, so a refused connection shows them too. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static const char *name_of(int level, int option)
{
	static const struct {
		int level, option;
		const char *name;
	} names[] = {
		{ SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE" },
		{ IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE" },
		{ IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL" },
		{ IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT" },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].level == level && names[i].option == option)
			return names[i].name;
	return NULL;
}

int setsockopt(int fd, int level, int option, const void *value, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	const char *log = getenv("SESSCTL_TEST_SOCKOPT_LOG");

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "setsockopt");
	if (log && value && len == sizeof(int)) {
		FILE *f = fopen(log, "a");
		if (f) {
			const char *name = name_of(level, option);
			if (name)
				fprintf(f, "%s %d\n", name, *(const int *)value);
			else
				fprintf(f, "%d:%d %d\n", level, option, *(const int *)value);
			fclose(f);
		}
	}
	return real(fd, level, option, value, len);
}
