/* Asking before closing many sessions (logout --where, logout-all): on a
 * terminal a question, without one a refusal unless --yes. */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int cli_need_yes(bool yes, bool dry_run)
{
	if (yes || dry_run || isatty(STDIN_FILENO))
		return 0;
	return cli_fail(SC_USAGE, "standard input is not a terminal, so nothing can confirm: "
			"give --yes to close the sessions without asking (--dry-run lists them); "
			"nothing was changed");
}

int cli_confirm(const char *fmt, ...)
{
	char line[64];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin)) {
		fputc('\n', stderr); /* Ctrl-D: the error goes on a line of its own */
		return cli_fail(SC_FALSE, "not confirmed: nothing was changed");
	}
	n = strlen(line);
	if (n && line[n - 1] != '\n') { /* a long answer, or one ended by Ctrl-D: not yes */
		int ch;
		while ((ch = getchar()) != EOF && ch != '\n')
			;
		if (ch == EOF)
			fputc('\n', stderr); /* the error on a line of its own */
		line[0] = '\0';
	}
	char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		p[--n] = '\0';
	if (strcasecmp(p, "y") == 0 || strcasecmp(p, "yes") == 0)
		return 0;
	return cli_fail(SC_FALSE, "not confirmed: nothing was changed");
}
