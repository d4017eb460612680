/* show and count. */
#include "e2e.h"
#include "unit.h"

TestSuite(show, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);
TestSuite(count, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

Test(show, prints_every_column_including_the_device_fingerprint)
{
	fx_standard();
	struct run *r = RUN("show", "10", "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"id\":10,\"user_id\":1,\"device_fingerprint\":\"fp-a1\","
		      "\"device_name\":\"Chrome on Windows 10\",\"device_type\":\"web\","
		      "\"browser\":\"Chrome\",\"ip_address\":\"203.0.113.5\","
		      "\"created_at\":\"2025-02-01T09:00:00Z\",\"last_activity\":\"2025-02-08T10:30:00Z\","
		      "\"is_active\":true}\n");
}

Test(show, prints_a_closed_session_and_nulls)
{
	fx_standard();
	struct run *closed = RUN("show", "13", "-o", "ndjson");
	struct run *nulls = RUN("show", "14", "-o", "json");

	EXPECT_OK(closed);
	EXPECT_OUT_HAS(closed, "\"is_active\":false}\n");
	EXPECT_OK(nulls);
	EXPECT_OUT(nulls, "{\"id\":14,\"user_id\":1,\"device_fingerprint\":\"fp-a5\",\"device_name\":null,"
			  "\"device_type\":null,\"browser\":null,\"ip_address\":null,\"created_at\":null,"
			  "\"last_activity\":null,\"is_active\":true}\n");
}

Test(show, prints_one_field_per_line_as_a_table)
{
	fx_standard();
	struct run *r = RUN("show", "14");

	EXPECT_OK(r);
	EXPECT_OUT(r, "ID                  14\n"
		      "USER_ID             1\n"
		      "DEVICE_FINGERPRINT  fp-a5\n"
		      "DEVICE_NAME         -\n"
		      "DEVICE_TYPE         -\n"
		      "BROWSER             -\n"
		      "IP_ADDRESS          -\n"
		      "CREATED_AT          -\n"
		      "LAST_ACTIVITY       -\n"
		      "IS_ACTIVE           true\n");
}

Test(show, csv_has_a_header_with_the_fingerprint_and_columns_select)
{
	fx_standard();
	struct run *all = RUN("show", "20", "-o", "csv");
	struct run *some = RUN("show", "21", "-o", "csv", "--columns", "device_fingerprint,device_name");
	struct run *bare = RUN("show", "21", "-o", "csv", "--no-header", "--columns", "id,is_active");

	EXPECT_OK(all);
	EXPECT_OUT(all, "id,user_id,device_fingerprint,device_name,device_type,browser,ip_address,"
			"created_at,last_activity,is_active\r\n"
			"20,2,fp-b1,Pixel 8,mobile,Chrome Mobile,::ffff:192.0.2.7,"
			"2025-02-03T07:15:00Z,2025-02-08T09:45:30Z,true\r\n");
	EXPECT_OK(some);
	EXPECT_OUT(some, "device_fingerprint,device_name\r\n"
			 "fp-b2,\"Caf\xc3\xa9 \"\"\xc3\x9cn\xc3\xaf" "code\"\", \xe6\x9d\xb1\xe4\xba\xac\"\r\n");
	EXPECT_OK(bare);
	EXPECT_OUT(bare, "21,false\r\n");
}

Test(show, an_unknown_session_exits_66)
{
	fx_standard();
	struct run *r = RUN("show", "999");

	EXPECT_FAIL(r, 66);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "999");
	r = RUN("show", "99999999999999999999");
	EXPECT_FAIL(r, 66);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(RUN("show", "0"), 66);
}

Test(show, bad_arguments_exit_64)
{
	fx_standard();
	struct run *r;

	r = RUN("show");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(RUN("show", "10", "11"), 64);
	EXPECT_FAIL(RUN("show", "abc"), 64);
	EXPECT_FAIL(RUN("show", "1x"), 64);
	EXPECT_FAIL(RUN("show", ""), 64);
	EXPECT_FAIL(RUN("show", "--", "-1"), 64);
	EXPECT_FAIL(RUN("show", "10", "--all"), 64);
	EXPECT_FAIL(RUN("show", "10", "--columns", "nope"), 64);
}

Test(count, prints_a_users_active_sessions_as_a_bare_integer)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "1");
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
	r = RUN("count", "alice@example.com");
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
	r = RUN("count", "bob");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\n");
	r = RUN("count", "carol");
	EXPECT_OK(r);
	EXPECT_OUT(r, "0\n");
}

Test(count, user_as_json_csv_and_ndjson)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "alice", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"user_id\":1,\"active_sessions\":4}\n");
	r = RUN("count", "alice", "-o", "ndjson");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"user_id\":1,\"active_sessions\":4}\n");
	r = RUN("count", "alice", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "user_id,active_sessions\r\n1,4\r\n");
}

Test(count, totals_without_a_user)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"users\":5,\"users_with_sessions\":2,\"sessions\":7,\"active\":5,\"inactive\":2}\n");
	r = RUN("count", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "users,users_with_sessions,sessions,active,inactive\r\n5,2,7,5,2\r\n");
	r = RUN("count");
	EXPECT_OK(r);
	EXPECT_OUT(r, "USERS                5\n"
		      "USERS_WITH_SESSIONS  2\n"
		      "SESSIONS             7\n"
		      "ACTIVE               5\n"
		      "INACTIVE             2\n");
	/* users_with_sessions: with an active one; a user whose sessions are
	 * all closed is not counted */
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, is_active) VALUES (30, 3, 'c1', FALSE)");
	r = RUN("count", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "users,users_with_sessions,sessions,active,inactive\r\n5,2,8,5,3\r\n");
}

Test(count, totals_of_an_empty_database_are_zero)
{
	db_migrate(NULL);
	struct run *r = RUN("count", "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"users\":0,\"users_with_sessions\":0,\"sessions\":0,\"active\":0,\"inactive\":0}\n");
}

Test(count, by_user_lists_users_with_active_sessions_most_first_then_by_id)
{
	fx_standard();
	db_exec("INSERT INTO users (id, email, username, role) VALUES (7, NULL, 'gina', 'user'),"
		" (6, 'frank@example.com', NULL, 'user');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, is_active, last_activity) VALUES"
		" (70, 7, 'g1', TRUE, '2025-02-01 00:00:00'), (71, 7, 'g2', TRUE, '2025-02-01 00:00:00'),"
		" (60, 6, 'f1', TRUE, '2025-02-01 00:00:00'), (61, 6, 'f2', TRUE, '2025-02-01 00:00:00'),"
		" (62, 6, 'f3', FALSE, '2025-02-01 00:00:00');");
	struct run *r = RUN("count", "--by", "user", "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n"
		      "{\"user_id\":1,\"email\":\"alice@example.com\",\"username\":\"alice\",\"active_sessions\":4},\n"
		      "{\"user_id\":6,\"email\":\"frank@example.com\",\"username\":null,\"active_sessions\":2},\n"
		      "{\"user_id\":7,\"email\":null,\"username\":\"gina\",\"active_sessions\":2},\n"
		      "{\"user_id\":2,\"email\":\"bob@example.com\",\"username\":\"bob\",\"active_sessions\":1}\n"
		      "]\n");
}

Test(count, over_lists_only_users_over_the_limit)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "--by", "user", "--over", "1", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "user_id,email,username,active_sessions\r\n1,alice@example.com,alice,4\r\n");
	r = RUN("count", "--over", "3", "-o", "ndjson");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"user_id\":1,\"email\":\"alice@example.com\",\"username\":\"alice\",\"active_sessions\":4}\n");
	r = RUN("count", "--over", "4", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[]\n");
	r = RUN("count", "--by", "user", "--over", "0", "-o", "csv", "--no-header", "--columns", "user_id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\r\n2\r\n");
}

Test(count, by_user_as_a_table)
{
	fx_standard();
	struct run *r = RUN("count", "--by", "user");

	EXPECT_OK(r);
	EXPECT_OUT(r, "USER_ID  EMAIL              USERNAME  ACTIVE_SESSIONS\n"
		      "      1  alice@example.com  alice                   4\n"
		      "      2  bob@example.com    bob                     1\n");
}

Test(count, unknown_user_exits_67)
{
	fx_standard();
	struct run *r = RUN("count", "nobody");

	EXPECT_FAIL(r, 67);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(RUN("count", "99999999999999999999"), 67);
	EXPECT_FAIL(RUN("count", "x' OR '1'='1"), 67);
}

Test(count, bad_arguments_exit_64)
{
	fx_standard();
	struct run *r = RUN("count", "alice", "bob");

	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_FAIL(RUN("count", "alice", "--by", "user"), 64);
	EXPECT_FAIL(RUN("count", "alice", "--over", "1"), 64);
	EXPECT_FAIL(RUN("count", "--by", "host"), 64);
	EXPECT_FAIL(RUN("count", "--over", "-1"), 64);
	EXPECT_FAIL(RUN("count", "--over", "x"), 64);
	EXPECT_FAIL(RUN("count", "--by"), 64);
	EXPECT_FAIL(RUN("count", ""), 64);
}
