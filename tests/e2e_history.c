/* history: the audit trail that the write commands leave, newest first,
 * with its filters and in every output format. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>

TestSuite(history, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

#define CSV_HEADER "id,created_at,action,session_id,user_id,actor,reason\r\n"
#define ROW4 "4,2025-03-04T10:00:00Z,expire,12,1,cron,nightly\r\n"
#define ROW3 "3,2025-03-03T10:00:00Z,create,22,3,ops,\r\n"
#define ROW2 "2,2025-03-02T10:00:00Z,logout-all,20,2,alice,password reset\r\n"
#define ROW1 "1,2025-03-01T10:00:00Z,logout,10,1,ops,lost phone\r\n"

static void must(struct run *r)
{
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
}

/* The standard fixture (without 14, which has no activity time), then
 * four changes on four days, one per write command (sessctl dates each
 * audit row with the real time of the change, whatever --now says, so
 * the fixture dates them by hand afterwards, as if made on those days):
 *   1 2025-03-01 10:00 logout 10 (alice) by ops, "lost phone"
 *   2 2025-03-02 10:00 logout-all bob (20) by alice, "password reset"
 *   3 2025-03-03 10:00 create carol fp-c1 (22) by ops
 *   4 2025-03-04 10:00 enforce --user alice expires 12 by cron, "nightly" */
static void trail(void)
{
	fx_standard();
	db_exec("DELETE FROM sessions WHERE id = 14");
	if (e2e_pg())
		db_exec("SELECT setval(pg_get_serial_sequence('sessions', 'id'), "
			"(SELECT max(id) FROM sessions))");
	must(RUN("logout", "10", "--now", "2025-03-01 10:00:00", "--actor", "ops", "--reason",
		 "lost phone", "-q"));
	must(RUN("logout-all", "bob", "--yes", "--now", "2025-03-02 10:00:00", "--actor", "alice", "--reason",
		 "password reset", "-q"));
	must(RUN("create", "--user", "carol", "--fingerprint", "fp-c1", "--now", "2025-03-03 10:00:00",
		 "--actor", "ops", "-q"));
	must(RUN("enforce", "--user", "alice", "--now", "2025-03-04 10:00:00", "--actor", "cron",
		 "--reason", "nightly", "-q"));
	cr_assert_eq(db_int("SELECT count(*) FROM sessctl_audit"), 4, "the trail is not as planned");
	db_exec("UPDATE sessctl_audit SET created_at = '2025-03-01 10:00:00' WHERE id = 1");
	db_exec("UPDATE sessctl_audit SET created_at = '2025-03-02 10:00:00' WHERE id = 2");
	db_exec("UPDATE sessctl_audit SET created_at = '2025-03-03 10:00:00' WHERE id = 3");
	db_exec("UPDATE sessctl_audit SET created_at = '2025-03-04 10:00:00' WHERE id = 4");
}

Test(history, lists_every_change_newest_first_as_csv)
{
	trail();
	struct run *r = RUN("history", "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, CSV_HEADER ROW4 ROW3 ROW2 ROW1);
}

Test(history, json_and_ndjson_have_typed_values_and_nulls)
{
	trail();
	struct run *json = RUN("history", "-o", "json");
	struct run *ndjson = RUN("history", "-o", "ndjson", "-n", "2");

	EXPECT_OK(json);
	EXPECT_OUT(json,
		   "[\n"
		   "{\"id\":4,\"created_at\":\"2025-03-04T10:00:00Z\",\"action\":\"expire\",\"session_id\":12,"
		   "\"user_id\":1,\"actor\":\"cron\",\"reason\":\"nightly\"},\n"
		   "{\"id\":3,\"created_at\":\"2025-03-03T10:00:00Z\",\"action\":\"create\",\"session_id\":22,"
		   "\"user_id\":3,\"actor\":\"ops\",\"reason\":null},\n"
		   "{\"id\":2,\"created_at\":\"2025-03-02T10:00:00Z\",\"action\":\"logout-all\",\"session_id\":20,"
		   "\"user_id\":2,\"actor\":\"alice\",\"reason\":\"password reset\"},\n"
		   "{\"id\":1,\"created_at\":\"2025-03-01T10:00:00Z\",\"action\":\"logout\",\"session_id\":10,"
		   "\"user_id\":1,\"actor\":\"ops\",\"reason\":\"lost phone\"}\n"
		   "]\n");
	EXPECT_OK(ndjson);
	EXPECT_OUT(ndjson,
		   "{\"id\":4,\"created_at\":\"2025-03-04T10:00:00Z\",\"action\":\"expire\",\"session_id\":12,"
		   "\"user_id\":1,\"actor\":\"cron\",\"reason\":\"nightly\"}\n"
		   "{\"id\":3,\"created_at\":\"2025-03-03T10:00:00Z\",\"action\":\"create\",\"session_id\":22,"
		   "\"user_id\":3,\"actor\":\"ops\",\"reason\":null}\n");
}

Test(history, table_output_has_a_header_and_the_rows_newest_first)
{
	trail();
	struct run *r = RUN("history");

	EXPECT_OK(r);
	const char *h = strstr(r->out, "ID"), *a4 = strstr(r->out, "expire"),
		   *a3 = strstr(r->out, "create"), *a2 = strstr(r->out, "logout-all"),
		   *a1 = strstr(r->out, "lost phone");
	cr_expect(h == r->out, "%s: no header first:\n%s", r->what, r->out);
	cr_expect(a4 && a3 && a2 && a1 && a4 < a3 && a3 < a2 && a2 < a1, "%s: not newest first:\n%s",
		  r->what, r->out);
	EXPECT_OUT_HAS(r, "password reset");
	EXPECT_OUT_HAS(r, "2025-03-04T10:00:00Z");
	cr_expect_eq(strchr(r->out, '\t'), NULL);
	/* Five lines: the header and four rows. */
	int lines = 0;
	for (const char *p = r->out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 5, "%s:\n%s", r->what, r->out);
}

Test(history, columns_and_no_header_apply)
{
	trail();
	struct run *r = RUN("history", "-o", "csv", "--no-header", "--columns", "action,session_id,actor");

	EXPECT_OK(r);
	EXPECT_OUT(r, "expire,12,cron\r\ncreate,22,ops\r\nlogout-all,20,alice\r\nlogout,10,ops\r\n");
}

Test(history, user_filter_by_id_email_or_username)
{
	trail();
	struct run *by_name = RUN("history", "alice", "-o", "csv");
	struct run *by_id = RUN("history", "1", "-o", "csv");
	struct run *by_email = RUN("history", "alice@example.com", "-o", "csv");
	struct run *bob = RUN("history", "bob", "-o", "csv");
	struct run *none = RUN("history", "dup1@example.com", "-o", "json");

	EXPECT_OK(by_name);
	EXPECT_OUT(by_name, CSV_HEADER ROW4 ROW1);
	EXPECT_OK(by_id);
	EXPECT_OUT(by_id, by_name->out);
	EXPECT_OK(by_email);
	EXPECT_OUT(by_email, by_name->out);
	EXPECT_OK(bob);
	EXPECT_OUT(bob, CSV_HEADER ROW2);
	EXPECT_OK(none);
	EXPECT_OUT(none, "[]\n");
}

Test(history, session_filter)
{
	trail();
	struct run *r = RUN("history", "--session", "12", "-o", "csv");
	struct run *both = RUN("history", "alice", "--session", "10", "-o", "csv");
	struct run *other = RUN("history", "bob", "--session", "10", "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, CSV_HEADER ROW4);
	EXPECT_OK(both);
	EXPECT_OUT(both, CSV_HEADER ROW1);
	EXPECT_OK(other);
	EXPECT_OUT(other, CSV_HEADER);
	/* An id no database can hold is a session with no history, as a
	 * missing one is; the user is still checked. */
	struct run *missing = RUN("history", "--session", "999999", "-o", "csv");
	struct run *beyond = RUN("history", "--session", "99999999999999999999", "-o", "csv");
	struct run *beyond_user = RUN("history", "nobody", "--session", "99999999999999999999");
	EXPECT_OK(missing);
	EXPECT_OUT(missing, CSV_HEADER);
	EXPECT_OK(beyond);
	EXPECT_OUT(beyond, CSV_HEADER);
	EXPECT_FAIL(beyond_user, 67);
}

Test(history, a_bound_with_a_fraction_of_a_second_is_kept_to_the_microsecond)
{
	trail();
	db_exec("UPDATE sessctl_audit SET created_at = '2025-03-04 10:00:00.5' WHERE id = 4");
	struct run *at = RUN("history", "--since", "2025-03-04 10:00:00.5", "-o", "csv");
	struct run *after = RUN("history", "--since", "2025-03-04 10:00:00.500001", "-o", "csv");
	struct run *before = RUN("history", "--since", "2025-03-03 10:00:00", "--until",
				 "2025-03-04 10:00:00.5", "-o", "csv");
	struct run *upto = RUN("history", "--since", "2025-03-03 10:00:00.000001", "--until",
			       "2025-03-04T11:00:00.500001+01:00", "-o", "csv");

	EXPECT_OK(at);
	EXPECT_OUT(at, CSV_HEADER ROW4);
	EXPECT_OK(after);
	EXPECT_OUT(after, CSV_HEADER);
	EXPECT_OK(before);
	EXPECT_OUT(before, CSV_HEADER ROW3);
	EXPECT_OK(upto);
	EXPECT_OUT(upto, CSV_HEADER ROW4);
}

Test(history, since_counts_back_from_now)
{
	trail();
	struct run *two = RUN("history", "--since", "2d", "--now", "2025-03-04 12:00:00", "-o", "csv");
	struct run *three = RUN("history", "--since", "3d", "--now", "2025-03-04 12:00:00", "-o", "csv");
	struct run *hours = RUN("history", "--since", "1h", "--now", "2025-03-04 10:30:00", "-o", "csv");
	struct run *env = e2e_run(&(struct call){ .env = ARGV("SESSCTL_NOW=2025-03-04 12:00:00") },
				  ARGV("history", "--since", "2d", "-o", "csv"));
	struct run *later = RUN("history", "--since", "1w", "--now", "2025-04-01 00:00:00", "-o", "csv");

	EXPECT_OK(two);
	EXPECT_OUT(two, CSV_HEADER ROW4 ROW3);
	EXPECT_OK(three);
	EXPECT_OUT(three, CSV_HEADER ROW4 ROW3 ROW2);
	EXPECT_OK(hours);
	EXPECT_OUT(hours, CSV_HEADER ROW4);
	EXPECT_OK(env);
	EXPECT_OUT(env, two->out);
	EXPECT_OK(later);
	EXPECT_OUT(later, CSV_HEADER);
}

Test(history, limit_keeps_the_newest)
{
	trail();
	struct run *two = RUN("history", "--limit", "2", "-o", "csv");
	struct run *one = RUN("history", "-n", "1", "-o", "csv");
	struct run *many = RUN("history", "-n", "100", "-o", "csv");
	struct run *user = RUN("history", "alice", "-n", "1", "-o", "csv");
	struct run *since = RUN("history", "--since", "3d", "--now", "2025-03-04 12:00:00", "-n", "2",
				"-o", "csv");

	EXPECT_OK(two);
	EXPECT_OUT(two, CSV_HEADER ROW4 ROW3);
	EXPECT_OK(one);
	EXPECT_OUT(one, CSV_HEADER ROW4);
	EXPECT_OK(many);
	EXPECT_OUT(many, CSV_HEADER ROW4 ROW3 ROW2 ROW1);
	EXPECT_OK(user);
	EXPECT_OUT(user, CSV_HEADER ROW4);
	EXPECT_OK(since);
	EXPECT_OUT(since, CSV_HEADER ROW4 ROW3);
}

Test(history, newest_means_the_time_of_the_change)
{
	trail();
	/* --now moves the rules, not the audit trail: a change made today as
	 * of an earlier time is the newest entry, and keeps that time as
	 * evaluated_at. */
	must(RUN("logout", "11", "--now", "2025-02-15 00:00:00", "--actor", "ops", "-q"));
	struct run *r = RUN("history", "-o", "csv", "--columns", "id,action,session_id,evaluated_at");

	EXPECT_OK(r);
	EXPECT_OUT(r, "id,action,session_id,evaluated_at\r\n"
		      "5,logout,11,2025-02-15T00:00:00Z\r\n"
		      "4,expire,12,2025-03-04T10:00:00Z\r\n"
		      "3,create,22,2025-03-03T10:00:00Z\r\n"
		      "2,logout-all,20,2025-03-02T10:00:00Z\r\n"
		      "1,logout,10,2025-03-01T10:00:00Z\r\n");
}

Test(history, keeps_the_rows_of_purged_sessions_and_of_dry_runs_none)
{
	trail();
	must(RUN("enforce", "--dry-run", "--purge-after", "1d", "--now", "2025-03-10 00:00:00", "--actor",
		 "cron", "-q"));
	struct run *same = RUN("history", "-o", "csv");
	EXPECT_OK(same);
	EXPECT_OUT(same, CSV_HEADER ROW4 ROW3 ROW2 ROW1);

	must(RUN("enforce", "--user", "alice", "--purge-after", "1d", "--now", "2025-03-10 00:00:00",
		 "--actor", "cron", "-q"));
	struct run *r = RUN("history", "--session", "10", "-o", "csv", "--columns", "action,session_id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "action,session_id\r\npurge,10\r\nlogout,10\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 10"), 0);
}

Test(history, an_empty_trail_prints_an_empty_list)
{
	fx_standard();
	struct run *csv = RUN("history", "-o", "csv");
	struct run *json = RUN("history", "-o", "json");
	struct run *ndjson = RUN("history", "-o", "ndjson");

	EXPECT_OK(csv);
	EXPECT_OUT(csv, CSV_HEADER);
	EXPECT_OK(json);
	EXPECT_OUT(json, "[]\n");
	EXPECT_OK(ndjson);
	EXPECT_OUT(ndjson, "");
}

Test(history, changes_nothing_itself)
{
	trail();
	struct run *r = RUN("history", "-o", "csv");

	EXPECT_OK(r);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 4);
}

/* The trail outlives the users table: a deleted user's entries by id or
 * by the email they kept, an old email after a change of address; a
 * user name the trail does not keep, or one it never named, is 67. */
Test(history, a_deleted_or_renamed_user_is_found_by_the_trails_own_record)
{
	trail();
	db_exec("DELETE FROM sessions WHERE user_id = 2");
	db_exec("DELETE FROM users WHERE id = 2");
	db_exec("UPDATE users SET email = 'alice2@example.com' WHERE id = 1");
	static const char *const found[][2] = {
		{ "2", "2\r\n" },
		{ "bob@example.com", "2\r\n" },
		{ "alice@example.com", "4\r\n1\r\n" },  /* the email the entries kept */
		{ "alice2@example.com", "4\r\n1\r\n" }, /* the user as the table has it */
	};
	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		struct run *r = RUN("history", found[i][0], "-o", "csv", "--columns", "id", "--no-header");
		EXPECT_OK(r);
		EXPECT_OUT(r, found[i][1]);
	}
	struct run *r = RUN("history", "bob");
	EXPECT_FAIL(r, 67);
	EXPECT_ERR_HAS(r, "no such user 'bob'");
	r = RUN("history", "998");
	EXPECT_FAIL(r, 67);
	r = RUN("history", "gone@example.com");
	EXPECT_FAIL(r, 67);
	/* the other filters and the limit apply as for any user */
	r = RUN("history", "bob@example.com", "--action", "logout", "-o", "csv", "--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "");
	r = RUN("history", "alice@example.com", "--limit", "1", "-o", "csv", "--columns", "id",
		"--no-header");
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\r\n");
}

Test(history, unknown_user_67_and_bad_values_64)
{
	trail();
	struct run *r;

	r = RUN("history", "nobody@example.com");
	EXPECT_FAIL(r, 67);
	EXPECT_NO_OUT(r);
	r = RUN("history", "999");
	EXPECT_FAIL(r, 67);
	r = RUN("history", "nobody");
	EXPECT_FAIL(r, 67);
	r = RUN("history", "dupname");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "alice", "bob");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "--since", "recently");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "--until", "recently");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "--action", "logoutall");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "-n", "-3");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "--session", "abc");
	EXPECT_FAIL(r, 64);
	r = RUN("history", "-o", "xml");
	EXPECT_FAIL(r, 64);
}
