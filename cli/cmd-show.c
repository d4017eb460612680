#include "cli.h"

#include <stdio.h>

#include "../src/records.h"

struct show_ctx {
	struct sc_writer *w;
	struct sc_error *err;
};

static int emit(const struct sc_session *s, void *vctx)
{
	struct show_ctx *c = vctx;
	struct sc_value vals[SC_SESS_NCOLS];

	sc_session_values(s, vals);
	return sc_writer_row(c->w, vals, s->is_active ? 0 : SC_ROW_DIM, c->err);
}

static int run(struct cli_ctx *ctx, void *state, int argc, char **argv)
{
	struct sc_error err = { 0 };
	struct sc_output_opts out;
	struct sc_writer *w = NULL;
	struct sc_db *db;
	int64_t id;
	int rc;

	(void)state;
	(void)argc;
	if ((rc = cli_session_id(argv[0], &id)))
		return rc;
	out = ctx->out;
	out.single = true;
	if (sc_writer_open(&w, stdout, &out, sc_session_columns, SC_SESS_NCOLS, NULL, 0, &err) < 0)
		return cli_report(&err);
	struct show_ctx c = { w, &err };
	if ((rc = cli_db_listing(ctx, w, &db)) ||
	    (sc_get_session(db, id, emit, &c, &err) < 0 && (rc = cli_report(&err)))) {
		sc_writer_abort(w);
		return rc;
	}
	return sc_writer_close(w, &err) < 0 ? cli_report(&err) : SC_OK;
}

const struct cli_command cli_cmd_show = {
	.name = "show",
	.summary = "show one session with every column, device fingerprint included",
	.synopsis = "show SESSION_ID",
	.help =
		"Examples:\n"
		"  sessctl show 1042\n"
		"  sessctl show 1042 -o json\n",
	.min_args = 1,
	.max_args = 1,
	.operand = "SESSION_ID",
	.db = CLI_DB_READ,
	.run = run,
};
