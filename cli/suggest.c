/* "Did you mean": unknown commands and options answered with the nearest
 * name, ambiguous option prefixes with their candidates. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Edit distance with adjacent transpositions counted as one edit
 * (optimal string alignment): "lsit" is one step from "list". */
size_t cli_distance(const char *a, const char *b)
{
	enum { MAX = 64 };
	size_t la = strlen(a), lb = strlen(b), d[3][MAX + 1];

	if (la > MAX || lb > MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = up[j - 1] + (a[i - 1] != b[j - 1]);
			if (up[j] + 1 < best)
				best = up[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    up2[j - 2] + 1 < best)
				best = up2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return d[la % 3][lb];
}

int cli_unknown_command(const char *name)
{
	const struct cli_command *best = NULL;
	size_t best_d = (size_t)-1;

	for (const struct cli_command *const *c = cli_commands; *c; c++) {
		size_t d = (*c)->hidden ? (size_t)-1 : cli_distance(name, (*c)->name);
		if (strncmp(name, (*c)->name, strlen(name)) == 0 && strlen(name) >= 3)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = *c;
		}
	}
	if (best && best_d <= 2 && best_d * 2 < strlen(name))
		return cli_fail(SC_USAGE, "unknown command '%s': did you mean '%s'?", name, best->name);
	return cli_fail(SC_USAGE, "unknown command '%s': see 'sessctl --help'", name);
}

/* The long options in all that start with name (for an ambiguous
 * abbreviation), written into buf as "--a, --b"; their number. */
static size_t prefix_matches(const char *name, size_t len, const struct option *all, char *buf,
			     size_t size)
{
	size_t n = 0, used = 0;

	buf[0] = '\0';
	for (const struct option *o = all; o->name; o++) {
		if (o->val >= CLI_OPT_HIDDEN || strncmp(o->name, name, len) != 0)
			continue;
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s--%s", n ? ", " : "", o->name);
		n++;
	}
	return n;
}

/* The long option of all nearest to name, or NULL when none is close. */
static const char *nearest_option(const char *name, const struct option *all)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (const struct option *o = all; o->name; o++) {
		size_t d = o->val >= CLI_OPT_HIDDEN ? (size_t)-1 : cli_distance(name, o->name);
		if (d < best_d) {
			best_d = d;
			best = o->name;
		}
	}
	return best && best_d <= 2 && best_d * 2 < strlen(name) ? best : NULL;
}

/* The long options in all that hold name as a whole word ("since" in
 * --seen-since and --created-since: find's words for history's
 * --since), written into buf as "a' or '--b" (for "'--%s'"); their
 * number. */
static size_t word_matches(const char *name, const struct option *all, char *buf, size_t size)
{
	size_t n = 0, used = 0, len = strlen(name);

	buf[0] = '\0';
	if (!len)
		return 0;
	for (const struct option *o = all; o->name; o++) {
		const char *p = o->name;
		bool word = false;
		if (o->val >= CLI_OPT_HIDDEN)
			continue;
		while (!word && (p = strstr(p, name))) {
			word = (p == o->name || p[-1] == '-') && (p[len] == '\0' || p[len] == '-');
			p++;
		}
		if (!word)
			continue;
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", n ? "' or '--" : "", o->name);
		n++;
	}
	return n;
}

/* Whether some command takes the long option name. */
static bool command_option(const char *name)
{
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		for (const struct option *o = (*c)->options; o && o->name; o++)
			if (strcmp(o->name, name) == 0)
				return true;
	return false;
}

int cli_unknown_option(const struct cli_ctx *ctx, const char *arg, int short_opt,
		       const struct option *all, bool before_command)
{
	char name[64], list[256];
	size_t len;

	if (short_opt)
		return before_command
			? cli_fail(SC_USAGE, "unknown option '-%c' (see 'sessctl --help')", short_opt)
			: cli_usage(ctx, "unknown option '-%c'", short_opt);
	snprintf(name, sizeof(name), "%s", arg + (strncmp(arg, "--", 2) == 0 ? 2 : 0));
	len = strcspn(name, "=");
	name[len] = '\0';
	if (prefix_matches(name, len, all, list, sizeof(list)) > 1)
		return cli_usage(ctx, "option '--%s' is ambiguous: %s", name, list);
	if (before_command && command_option(name))
		return cli_fail(SC_USAGE, "option '--%s' belongs after the command name "
				"(sessctl COMMAND --%s; see 'sessctl --help')", name, name);
	const char *near = nearest_option(name, all);
	if (!near && word_matches(name, all, list, sizeof(list)) > 0)
		near = list;
	if (before_command)
		return near ? cli_fail(SC_USAGE, "unknown option '--%s': did you mean '--%s'?", name, near)
			    : cli_fail(SC_USAGE, "unknown option '--%s' (see 'sessctl --help')", name);
	return near ? cli_usage(ctx, "unknown option '--%s': did you mean '--%s'?", name, near)
		    : cli_usage(ctx, "unknown option '--%s'", name);
}
