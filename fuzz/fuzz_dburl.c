/* Database URLs and their redaction. sc_dburl_parse picks the backend for
 * any text and makes the display messages name it by; for a PostgreSQL
 * URL the backend then checks that display against what libpq's own
 * parser finds (pgb_read_url_password). Whatever the text: no crash and
 * no leak; a text refused is a usage error; and a message naming the
 * display, redacted as every message of the backend is (pg_error), holds
 * no secret libpq parsed from it: a password, an sslpassword, or a
 * dbname that is a connection string of its own (one holding a '*' is
 * not looked for: the masks could make it); and the --db warning is
 * given for every password or sslpassword libpq finds. */
#include "fuzz.h"

#include "../src/backends/postgres/postgres.h"
#include "../src/dburl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool secret(const PQconninfoOption *o)
{
	return strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0 ||
	       (o->dispchar && o->dispchar[0] == '*') ||
	       (strcmp(o->keyword, "dbname") == 0 && (strchr(o->val, '=') || strstr(o->val, "://")));
}

static void check_postgres(const struct sc_dburl *url)
{
	struct pg_db db = { 0 };
	struct sc_error err = { 0 }, msg = { 0 };

	db.display = strdup(url->display);
	CHECK(db.display, "out of memory");
	db.base.display = db.display;
	if (pgb_read_url_password(&db, url->target, &err) < 0) {
		CHECK(err.status == SC_USAGE, "'%s' refused with %d: %s", url->target, err.status, err.msg);
	} else {
		PQconninfoOption *opts = PQconninfoParse(url->target, NULL);
		CHECK(opts, "'%s' accepted, yet libpq cannot parse it", url->target);
		pg_error(&db, &msg, SC_UNAVAILABLE, "cannot connect to '%s': server said '%s'",
			 db.display, db.display);
		/* (a secret with a '*' may be made by the masks themselves) */
		for (const PQconninfoOption *o = opts; o->keyword; o++) {
			if (o->val && *o->val && !strchr(o->val, '*') && secret(o))
				CHECK(!strstr(msg.msg, o->val), "%s '%s' of '%s' in the message: %s",
				      o->keyword, o->val, url->target, msg.msg);
			/* --db's warning never misses a password libpq would use */
			if (o->val && *o->val && (strcmp(o->keyword, "password") == 0 ||
						  strcmp(o->keyword, "sslpassword") == 0))
				CHECK(sc_dburl_holds_password(url), "'%s' holds %s '%s', not warned of",
				      url->target, o->keyword, o->val);
		}
		PQconninfoFree(opts);
	}
	free(db.url_password);
	free(db.url_sslpassword);
	free(db.nested_dbname);
	free(db.display);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct sc_dburl url;
	struct sc_error err = { 0 };

	if (sc_dburl_parse(s, &url, &err) < 0) {
		CHECK(err.status == SC_USAGE, "'%s' refused with %d: %s", s, err.status, err.msg);
		free(s);
		return 0;
	}
	CHECK(url.info && url.target && url.display, "'%s' parsed without a backend or display", s);
	if (strcmp(url.info->name, "postgresql") == 0)
		check_postgres(&url);
	sc_dburl_free(&url);
	free(s);
	return 0;
}
