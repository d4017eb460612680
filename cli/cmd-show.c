#include "cli.h"

#include <stdio.h>

#include "../src/backend.h"
#include "../src/records.h"

struct show_ctx {
	struct sc_writer *w;
	struct sc_error *err;
	int64_t id;
};

static int emit(const struct sc_session *s, void *vctx)
{
	struct show_ctx *c = vctx;
	struct sc_value vals[SC_SESS_NCOLS];

	sc_session_values(s, vals);
	return sc_writer_row(c->w, vals, s->is_active ? 0 : SC_ROW_DIM, c->err);
}

static int read_session(struct sc_db *db, void *arg, struct sc_error *err)
{
	struct show_ctx *c = arg;
	return db->backend->get_session(db, c->id, emit, c, err);
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sc_error err = { 0 };
	struct sc_output_opts out;
	struct sc_writer *w = NULL;
	int64_t id;
	int first, rc;

	rc = cli_parse(ctx, argc, argv, "", NULL, NULL, NULL, &first);
	if (rc)
		return rc == -1 ? SC_OK : rc;
	if (argc - first != 1)
		return cli_usage(ctx, argc - first ? "show takes one SESSION_ID" : "show needs a SESSION_ID");
	if ((rc = cli_finish_ctx(ctx)) || (rc = cli_session_id(argv[first], &id)))
		return rc;
	out = ctx->out;
	out.single = true;
	if (sc_writer_open(&w, stdout, &out, sc_session_columns, SC_SESS_NCOLS, NULL, 0, &err) < 0)
		return cli_report(&err);
	struct show_ctx c = { w, &err, id };
	if ((rc = cli_read(ctx, read_session, &c, &err))) {
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
	.run = run,
};
