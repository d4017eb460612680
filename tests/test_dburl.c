/* Unit tests of src/dburl.c and the backends' claims: --db forms (SPEC
 * §4) and password redaction. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../src/backend.h"
#include "../src/dburl.h"

/* Which backend claims a value: its entry in the backend table. */
#define SC_DB_SQLITE (&sc_sqlite_info)
#define SC_DB_POSTGRES (&sc_postgres_info)

/* The PostgreSQL backend's redaction, as messages use it. */
static char *sc_redact_conninfo(const char *conninfo)
{
	return sc_postgres_info.redact(conninfo);
}

struct url_case {
	const char *in;
	const struct sc_backend_info *kind;
	const char *target;  /* what the backend is given */
	const char *display; /* what messages show */
};

static struct url_case dburl_accepts_every_form_of_spec_section_4_cases[] = {
	{ "sqlite:app.db", SC_DB_SQLITE, "app.db", "app.db" },
	{ "sqlite:dir/app.db", SC_DB_SQLITE, "dir/app.db", "dir/app.db" },
	{ "sqlite:/abs/app.db", SC_DB_SQLITE, "/abs/app.db", "/abs/app.db" },
	{ "sqlite:///abs/path/app.db", SC_DB_SQLITE, "/abs/path/app.db", "/abs/path/app.db" },
	{ "sqlite://localhost/abs/app.db", SC_DB_SQLITE, "/abs/app.db", "/abs/app.db" },
	{ "app.db", SC_DB_SQLITE, "app.db", "app.db" },
	{ "./data/sessions.db", SC_DB_SQLITE, "./data/sessions.db", "./data/sessions.db" },
	{ "/var/lib/app/sessions.db", SC_DB_SQLITE, "/var/lib/app/sessions.db",
	  "/var/lib/app/sessions.db" },
	{ "postgresql://app@db.example.com/app", SC_DB_POSTGRES,
	  "postgresql://app@db.example.com/app", "postgresql://app@db.example.com/app" },
	{ "postgres://app@db/app?sslmode=require", SC_DB_POSTGRES,
	  "postgres://app@db/app?sslmode=require", "postgres://app@db/app?sslmode=require" },
	{ "postgresql://app:s3cret@db/app", SC_DB_POSTGRES,
	  "postgresql://app:s3cret@db/app", "postgresql://app:***@db/app" },
	{ "postgresql://", SC_DB_POSTGRES, "postgresql://", "postgresql://" },
	{ "postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write", SC_DB_POSTGRES,
	  "postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write",
	  "postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write" },
	{ "host=/tmp dbname=app", SC_DB_POSTGRES, "host=/tmp dbname=app", "host=/tmp dbname=app" },
	{ "dbname=app", SC_DB_POSTGRES, "dbname=app", "dbname=app" },
	{ "service=prod", SC_DB_POSTGRES, "service=prod", "service=prod" },
	{ "  host = db dbname=app", SC_DB_POSTGRES, "  host = db dbname=app", "  host = db dbname=app" },
	{ "host=db password=s3cret dbname=app", SC_DB_POSTGRES,
	  "host=db password=s3cret dbname=app", "host=db password=*** dbname=app" },
};

ParameterizedTestParameters(dburl, accepts_every_form_of_spec_section_4)
{
	CASE_INDEXES(dburl_accepts_every_form_of_spec_section_4_cases);
}

ParameterizedTest(size_t *case_, dburl, accepts_every_form_of_spec_section_4)
{
	struct url_case *c = &dburl_accepts_every_form_of_spec_section_4_cases[*case_];
	struct sc_dburl url;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_dburl_parse(c->in, &url, &err), 0, "'%s' rejected: %s", c->in, err.msg);
	cr_expect_eq(url.info, c->kind, "'%s': backend %s, expected %s", c->in, url.info->name,
		     c->kind->name);
	cr_expect_str_eq(url.target, c->target, "'%s': target", c->in);
	cr_expect_str_eq(url.display, c->display, "'%s': display", c->in);
	sc_dburl_free(&url);
}

static const char *dburl_rejects_empty_and_unknown_forms_with_usage_cases[] = {
	"",
	"mysql://root@localhost/app",
	"http://example.com/app.db",
	"file:///tmp/app.db",
	"sqlite:",
	"sqlite://",
};

ParameterizedTestParameters(dburl, rejects_empty_and_unknown_forms_with_usage)
{
	CASE_INDEXES(dburl_rejects_empty_and_unknown_forms_with_usage_cases);
}

ParameterizedTest(size_t *case_, dburl, rejects_empty_and_unknown_forms_with_usage)
{
	const char **in = &dburl_rejects_empty_and_unknown_forms_with_usage_cases[*case_];
	struct sc_dburl url;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_dburl_parse(*in, &url, &err), -1, "'%s' accepted", *in);
	cr_expect_eq(err.status, SC_USAGE, "'%s': status %d", *in, err.status);
	cr_expect_neq(err.msg[0], '\0', "'%s': no message", *in);
	cr_expect_null(url.target);
	cr_expect_null(url.display);
}

Test(dburl, rejects_null_with_usage)
{
	struct sc_dburl url;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_dburl_parse(NULL, &url, &err), -1);
	cr_expect_eq(err.status, SC_USAGE);
}

Test(dburl, unknown_scheme_message_names_the_scheme_and_no_password)
{
	struct sc_dburl url;
	struct sc_error err = { 0 };

	cr_assert_eq(sc_dburl_parse("mysql://root:s3cret@localhost/app", &url, &err), -1);
	cr_expect_not_null(strstr(err.msg, "mysql"), "message: %s", err.msg);
	cr_expect_null(strstr(err.msg, "s3cret"), "message leaks the password: %s", err.msg);
}

Test(dburl, free_accepts_null_and_twice)
{
	struct sc_dburl url;
	struct sc_error err = { 0 };

	sc_dburl_free(NULL);
	cr_assert_eq(sc_dburl_parse("app.db", &url, &err), 0);
	sc_dburl_free(&url);
	sc_dburl_free(&url);
	cr_expect_null(url.target);
}

struct redact_case {
	const char *in;
	const char *out;
};

static struct redact_case redact_masks_every_password_form_cases[] = {
	/* URL userinfo */
	{ "postgresql://u:s3cret@h/db", "postgresql://u:***@h/db" },
	{ "postgres://u:s3cret@h:5432/db?sslmode=require",
	  "postgres://u:***@h:5432/db?sslmode=require" },
	{ "postgresql://u:s3@cret@h/db", "postgresql://u:***@h/db" },
	{ "postgresql://u:p%40ss%3Aw@h/db", "postgresql://u:***@h/db" },
	{ "postgresql://u:s3cret@h1:5432,h2:5433/db?target_session_attrs=read-write",
	  "postgresql://u:***@h1:5432,h2:5433/db?target_session_attrs=read-write" },
	{ "postgresql://u:@h/db", "postgresql://u:***@h/db" },
	{ "postgresql://u@h/db", "postgresql://u@h/db" },
	{ "postgresql://h/db", "postgresql://h/db" },
	{ "postgresql://h/db?user=a:b@c", "postgresql://h/db?user=a:b@c" },
	/* no '/': the user part ends at its '@', not at one in the query */
	{ "postgresql://u@?sslmode=re@q&password=s3cret", "postgresql://u@?sslmode=re@q&password=***" },
	{ "postgresql://u:s3cret@h?application_name=a@b", "postgresql://u:***@h?application_name=a@b" },
	/* ?password= query parameter */
	{ "postgresql://h/db?password=s3cret", "postgresql://h/db?password=***" },
	{ "postgresql://h/db?password=s3cret&sslmode=disable",
	  "postgresql://h/db?password=***&sslmode=disable" },
	{ "postgresql://h/db?user=u&password=s3cret", "postgresql://h/db?user=u&password=***" },
	{ "postgresql://u:s3cret@h/db?password=s3cret",
	  "postgresql://u:***@h/db?password=***" },
	{ "postgresql://h/db?passwordfile=x", "postgresql://h/db?passwordfile=x" },
	/* keyword strings */
	{ "host=h password=s3cret dbname=d", "host=h password=*** dbname=d" },
	{ "password=s3cret", "password=***" },
	{ "host=h password = s3cret", "host=h password = ***" },
	{ "host=h password='pass word' dbname=d", "host=h password=*** dbname=d" },
	{ "host=h password='it\\'s s3cret' dbname=d", "host=h password=*** dbname=d" },
	{ "host=h\tpassword=s3cret\tdbname=d", "host=h\tpassword=***\tdbname=d" },
	{ "host=h password=a dbname=d password=b", "host=h password=*** dbname=d password=***" },
	{ "host=h dbname=d", "host=h dbname=d" },
	{ "host=h dbname=password", "host=h dbname=password" },
	/* a dbname that is a connection string of its own (libpq takes it
	 * for a database name): masked in turn */
	{ "host=h dbname='host=x password=s3cret'", "host=h dbname='host=x password=***'" },
	{ "host=h dbname='x password=s3cret' port=1", "host=h dbname='***' port=1" },
	{ "dbname=host=x\\ password=s3cret port=1", "dbname=host=x password=*** port=1" },
	{ "host=h dbname='host=x password=\\'s3 cret\\''", "host=h dbname='host=x password=***'" },
	{ "host=h options='-c search_path=s3' dbname=d", "host=h options='-c search_path=s3' dbname=d" },
	/* the same in a URL, percent-encoded in its path or its dbname
	 * parameter (libpq decodes it, then takes it for a database name,
	 * which the server names): masked as a whole */
	{ "postgresql:///host%3Dx%20password%3Ds3cret?host=h", "postgresql:///***?host=h" },
	{ "postgresql://u@h/postgresql%3A%2F%2Fapp%3As3cret%40db%2Fapp",
	  "postgresql://u@h/***" },
	{ "postgresql:///nodb?host=h&dbname=host%3Dx%20password%3Ds3cret&user=u",
	  "postgresql:///nodb?host=h&dbname=***&user=u" },
	{ "postgresql://h/db%20name?dbname=plain", "postgresql://h/db%20name?dbname=plain" },
};

ParameterizedTestParameters(redact, masks_every_password_form)
{
	CASE_INDEXES(redact_masks_every_password_form_cases);
}

ParameterizedTest(size_t *case_, redact, masks_every_password_form)
{
	struct redact_case *c = &redact_masks_every_password_form_cases[*case_];
	char *r = sc_redact_conninfo(c->in);

	cr_assert_not_null(r);
	cr_expect_str_eq(r, c->out, "redact('%s') = '%s', expected '%s'", c->in, r, c->out);
	cr_expect_null(strstr(r, "s3cret"), "'%s' leaks the password", r);
	free(r);
}

Test(redact, secret_is_replaced_everywhere_in_a_message)
{
	char buf[128] = "password authentication failed: s3cret is wrong, s3cret!";

	sc_redact_secret(buf, sizeof(buf), "s3cret");
	cr_expect_str_eq(buf, "password authentication failed: *** is wrong, ***!");
}

Test(redact, secret_shorter_than_the_mask_grows_the_text_within_the_buffer)
{
	char buf[16] = "xabxab";

	sc_redact_secret(buf, sizeof(buf), "ab");
	cr_expect_str_eq(buf, "x***x***");
}

Test(redact, secret_that_does_not_fit_is_still_removed_and_the_buffer_stays_terminated)
{
	char buf[6] = "xbxb";

	sc_redact_secret(buf, sizeof(buf), "b");
	cr_expect_lt(strlen(buf), sizeof(buf));
	cr_expect_null(strchr(buf, 'b'), "'%s' still holds the secret", buf);
}

Test(redact, null_or_empty_secret_changes_nothing)
{
	char buf[32] = "nothing to hide";

	sc_redact_secret(buf, sizeof(buf), NULL);
	cr_expect_str_eq(buf, "nothing to hide");
	sc_redact_secret(buf, sizeof(buf), "");
	cr_expect_str_eq(buf, "nothing to hide");
	sc_redact_secret(buf, sizeof(buf), "absent");
	cr_expect_str_eq(buf, "nothing to hide");
}

/* libpq ends the userinfo of a URL at the first '@' before any '/', so a
 * password may hold '?' or '#'; a keyword value without quotes runs to
 * the first blank that no backslash escapes. */
struct redact_leak_case {
	const char *in;
	const char *out;
	const char *secret; /* a part of the password that must not remain */
};

static struct redact_leak_case redact_masks_passwords_holding_url_delimiters_or_escaped_blanks_cases[] = {
	{ "postgresql://u:se?cret@h/db", "postgresql://u:***@h/db", "cret" },
	{ "postgresql://u:a#b@h/db", "postgresql://u:***@h/db", "a#b" },
	{ "postgresql://u:se?cret@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require", "cret" },
	{ "postgres://u:x#y?z@h:5432/db", "postgres://u:***@h:5432/db", "y?z" },
	{ "host=x password=top\\ secret99 user=u", "host=x password=*** user=u", "secret99" },
	{ "password=a\\ b\\ secret99", "password=***", "secret99" },
	/* an escaped backslash ends the value at the blank: "secret99" then
	 * has no '=' and libpq cannot parse the rest, which may be the
	 * password meant: masked to the end */
	{ "host=x password=top\\\\ secret99 user=u", "host=x password=*** ***", "secret99" },
	/* issue 11 item 5: a key libpq percent-decodes to "password" */
	{ "postgresql://postgres@/empty?host=/run/pg&pass%77ord=S3cretA",
	  "postgresql://postgres@/empty?host=/run/pg&pass%77ord=***", "S3cretA" },
	{ "postgresql://h/db?%70assword=S3cretA", "postgresql://h/db?%70assword=***", "S3cretA" },
	/* a key may follow a quoted value at once */
	{ "host=/run/pg user=postgres dbname=app password='x'password=S3cretK",
	  "host=/run/pg user=postgres dbname=app password=*** password=***", "S3cretK" },
	/* a blank after '=' belongs to no value: host is "password=" */
	{ "host= password= password= SECRET", "host= password= password= ***", "SECRET" },
	{ "host=h sslpassword=S3cretS", "host=h sslpassword=***", "S3cretS" },
	/* a password holding an unencoded '/' puts its '@' in the path */
	{ "postgresql://u:pa/S3cret@h/db", "postgresql://***", "S3cret" },
	/* a URL in dbname= of a keyword string */
	{ "host=h dbname=postgresql://u:S3cretD@h/db", "host=h dbname=postgresql://u:***@h/db", "S3cretD" },
	/* unparsable: libpq's messages would repeat these */
	{ "postgresql://u:Se%zzcretC@127.0.0.1:1/db", "postgresql://u:***@127.0.0.1:1/db", "cretC" },
	{ "postgresql://u:S3cretH@[::1/db", "postgresql://u:***@[::1/db", "S3cretH" },
	{ "host=h S3cretM", "host=h ***", "S3cretM" },
	{ "host=h password='S3cretQ", "host=h password=***", "S3cretQ" },
};

ParameterizedTestParameters(redact, masks_passwords_holding_url_delimiters_or_escaped_blanks)
{
	CASE_INDEXES(redact_masks_passwords_holding_url_delimiters_or_escaped_blanks_cases);
}

ParameterizedTest(size_t *case_, redact, masks_passwords_holding_url_delimiters_or_escaped_blanks)
{
	struct redact_leak_case *c = &redact_masks_passwords_holding_url_delimiters_or_escaped_blanks_cases[*case_];
	char *r = sc_redact_conninfo(c->in);

	cr_assert_not_null(r);
	cr_expect_str_eq(r, c->out, "redact('%s') = '%s', expected '%s'", c->in, r, c->out);
	cr_expect_null(strstr(r, c->secret), "'%s' leaks '%s'", r, c->secret);
	free(r);
}

/* Every buffer size from 0 to 12 bytes, every secret position: nothing is
 * written past len, the text stays terminated, and (when "***" fits at
 * all) no occurrence of the secret remains. */
Test(redact, secret_never_writes_past_a_tiny_buffer)
{
	static const char *const texts[] = { "b", "bb", "xb", "bxb", "xbxbxb", "abcabc", "xxxxxxxxxxxb" };
	static const char *const secrets[] = { "b", "bx", "abc", "xxxxxxxxxxxb" };

	for (size_t len = 0; len <= 12; len++) {
		for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
			for (size_t s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++) {
				char mem[12 + 16];
				memset(mem, 'Z', sizeof(mem));
				if (len > 0) {
					size_t n = strlen(texts[t]) < len - 1 ? strlen(texts[t]) : len - 1;
					memcpy(mem, texts[t], n);
					mem[n] = '\0';
				}
				sc_redact_secret(mem, len, secrets[s]);
				for (size_t i = len; i < sizeof(mem); i++)
					cr_assert_eq(mem[i], 'Z', "len %zu, '%s' without '%s': byte %zu written",
						     len, texts[t], secrets[s], i);
				if (len == 0)
					continue;
				cr_assert_lt(strnlen(mem, len), len, "len %zu, '%s' without '%s': not terminated",
					     len, texts[t], secrets[s]);
				if (len >= 4)
					cr_expect_null(strstr(mem, secrets[s]), "len %zu: '%s' still holds '%s'",
						       len, mem, secrets[s]);
			}
		}
	}
}

/* --db's warning: a password the masking finds, wherever it is; not a
 * text masked only because libpq will refuse it from there on; a SQLite
 * path never. */
Test(dburl, holds_password_only_where_the_masking_finds_one)
{
	static const struct {
		const char *in;
		bool holds;
	} cases[] = {
		{ "postgresql://u:s3cret@h/db", true },
		{ "postgresql://h/db?password=s3cret", true },
		{ "postgresql://h/db?pass%77ord=s3cret", true },
		{ "postgresql://u@?sslmode=re@q&password=s3cret", true },
		{ "host=h password=s3cret dbname=d", true },
		{ "host=h sslpassword=s3cret", true },
		{ "host=h password='unterminated", true },
		{ "host=h password=s3cret junk", true },
		{ "host=h dbname='x password=s3cret'", true },
		{ "host=h dbname='host=x password=s3cret'", true },
		{ "postgresql:///host%3Dx%20password%3Ds3cret?host=h", true },
		{ "postgresql:///nodb?dbname=postgresql%3A%2F%2Fa%3As3cret%40h%2Fd", true },
		{ "postgresql://u@h/db", false },
		{ "host=h dbname=d user=u", false },
		{ "host=h junk", false },
		{ "host=h dbname='unterminated", false },
		{ "postgresql://h/db?junk", false },
		{ "app.db", false },
		{ "sqlite:///tmp/pass=word.db", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sc_dburl url;
		struct sc_error err = { 0 };

		cr_assert_eq(sc_dburl_parse(cases[i].in, &url, &err), 0, "%s: %s", cases[i].in, err.msg);
		cr_expect_eq(sc_dburl_holds_password(&url), cases[i].holds, "'%s': holds a password: %d",
			     cases[i].in, !cases[i].holds);
		sc_dburl_free(&url);
	}
}
