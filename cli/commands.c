#include "cli.h"

#include <string.h>

/* Sorted by name. */
const struct cli_command *const cli_commands[] = {
	&cli_cmd_complete,
	&cli_cmd_count,
	&cli_cmd_create,
	&cli_cmd_enforce,
	&cli_cmd_find,
	&cli_cmd_help,
	&cli_cmd_history,
	&cli_cmd_list_user,
	&cli_cmd_logout,
	&cli_cmd_logout_all,
	&cli_cmd_metrics,
	&cli_cmd_migrate,
	&cli_cmd_show,
	NULL,
};

const struct cli_command *cli_find_command(const char *name)
{
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}
