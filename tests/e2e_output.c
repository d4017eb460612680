/* -o table|json|ndjson|csv, --no-header, --columns: the exact text for a
 * small fixture (bob's two sessions: one full, one closed with NULLs and a
 * device name full of quotes, commas and non-ASCII text). */
#include "e2e.h"

TestSuite(output, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

#define DEVICE_21 "Caf\xc3\xa9 \\\"\xc3\x9cn\xc3\xaf" "code\\\", \xe6\x9d\xb1\xe4\xba\xac"
#define ROW_20_JSON                                                                        \
	"{\"id\":20,\"user_id\":2,\"device_name\":\"Pixel 8\",\"device_type\":\"mobile\","  \
	"\"browser\":\"Chrome Mobile\",\"ip_address\":\"::ffff:192.0.2.7\","                \
	"\"created_at\":\"2025-02-03T07:15:00Z\",\"last_activity\":\"2025-02-08T09:45:30Z\"," \
	"\"is_active\":true}"
#define ROW_21_JSON                                                                        \
	"{\"id\":21,\"user_id\":2,\"device_name\":\"" DEVICE_21 "\",\"device_type\":\"web\","  \
	"\"browser\":null,\"ip_address\":null,"                                              \
	"\"created_at\":\"2025-01-10T10:00:00Z\",\"last_activity\":\"2025-01-20T18:00:00Z\"," \
	"\"is_active\":false}"

Test(output, json_is_an_array_of_the_applications_session_objects)
{
	fx_standard();
	struct run *r = RUN("list-user", "bob", "--all", "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n" ROW_20_JSON ",\n" ROW_21_JSON "\n]\n");
}

Test(output, ndjson_is_one_object_per_line)
{
	fx_standard();
	struct run *r = RUN("list-user", "bob", "--all", "--output", "ndjson");

	EXPECT_OK(r);
	EXPECT_OUT(r, ROW_20_JSON "\n" ROW_21_JSON "\n");
}

Test(output, csv_follows_rfc4180_with_a_header_row)
{
	fx_standard();
	struct run *r = RUN("list-user", "bob", "--all", "--output=csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, "id,user_id,device_name,device_type,browser,ip_address,created_at,last_activity,is_active\r\n"
		      "20,2,Pixel 8,mobile,Chrome Mobile,::ffff:192.0.2.7,2025-02-03T07:15:00Z,2025-02-08T09:45:30Z,true\r\n"
		      "21,2,\"Caf\xc3\xa9 \"\"\xc3\x9cn\xc3\xaf" "code\"\", \xe6\x9d\xb1\xe4\xba\xac\",web,,,"
		      "2025-01-10T10:00:00Z,2025-01-20T18:00:00Z,false\r\n");
}

Test(output, table_aligns_utf8_text_and_shows_null_as_dash)
{
	fx_standard();
	struct run *r = RUN("list-user", "bob", "--all");

	EXPECT_OK(r);
	EXPECT_OUT(r,
		   "ID  USER_ID  DEVICE_NAME           DEVICE_TYPE  BROWSER        IP_ADDRESS        CREATED_AT            LAST_ACTIVITY         IS_ACTIVE\n"
		   "20        2  Pixel 8               mobile       Chrome Mobile  ::ffff:192.0.2.7  2025-02-03T07:15:00Z  2025-02-08T09:45:30Z  true\n"
		   "21        2  Caf\xc3\xa9 \"\xc3\x9cn\xc3\xaf" "code\", \xe6\x9d\xb1\xe4\xba\xac  web          -              -                 2025-01-10T10:00:00Z  2025-01-20T18:00:00Z  false\n");
}

Test(output, no_header_drops_the_header_of_tables_and_csv)
{
	fx_standard();
	struct run *csv = RUN("list-user", "bob", "-o", "csv", "--no-header");
	struct run *table = RUN("list-user", "bob", "--no-header", "--columns", "id,device_name");

	EXPECT_OK(csv);
	EXPECT_OUT(csv, "20,2,Pixel 8,mobile,Chrome Mobile,::ffff:192.0.2.7,2025-02-03T07:15:00Z,2025-02-08T09:45:30Z,true\r\n");
	EXPECT_OK(table);
	EXPECT_OUT(table, "20  Pixel 8\n");
}

Test(output, columns_selects_and_orders_the_fields_in_every_format)
{
	fx_standard();
	struct run *json = RUN("list-user", "bob", "--all", "-o", "json", "--columns", "is_active,id");
	struct run *ndjson = RUN("list-user", "bob", "--all", "-o", "ndjson", "--columns", "device_fingerprint");
	struct run *csv = RUN("list-user", "bob", "--all", "-o", "csv", "--columns", "id,browser");
	struct run *table = RUN("list-user", "bob", "--all", "--columns", "ip_address,id");

	EXPECT_OK(json);
	EXPECT_OUT(json, "[\n{\"is_active\":true,\"id\":20},\n{\"is_active\":false,\"id\":21}\n]\n");
	EXPECT_OK(ndjson);
	EXPECT_OUT(ndjson, "{\"device_fingerprint\":\"fp-b1\"}\n{\"device_fingerprint\":\"fp-b2\"}\n");
	EXPECT_OK(csv);
	EXPECT_OUT(csv, "id,browser\r\n20,Chrome Mobile\r\n21,\r\n");
	EXPECT_OK(table);
	EXPECT_OUT(table, "IP_ADDRESS        ID\n::ffff:192.0.2.7  20\n-                 21\n");
}

Test(output, unknown_or_repeated_columns_and_formats_exit_64)
{
	fx_standard();
	struct run *r;

	r = RUN("list-user", "bob", "--columns", "id,password");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "password");
	r = RUN("list-user", "bob", "--columns", "id,id");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	r = RUN("list-user", "bob", "-o", "xml");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
	EXPECT_ERR_HAS(r, "xml");
	EXPECT_FAIL(RUN("-o", "yaml", "count"), 64);
	EXPECT_FAIL(RUN("list-user", "bob", "-o"), 64);
}

Test(output, table_output_to_a_pipe_has_no_escape_codes_even_for_closed_sessions)
{
	fx_standard();
	struct run *r = e2e_run(&(struct call){ .env = ARGV("TERM=xterm-256color") },
				ARGV("list-user", "alice", "--all"));

	EXPECT_OK(r);
	cr_expect_null(strchr(r->out, '\033'), "escape codes in piped output:\n%s", r->out);
}

Test(output, color_always_dims_closed_sessions)
{
	fx_standard();
	struct run *r = RUN("list-user", "bob", "--all", "--color", "always", "--columns", "id");

	EXPECT_OK(r);
	EXPECT_OUT(r, "ID\n20\n\033[2m21\033[0m\n");
}

Test(output, color_always_dims_a_closed_session_shown_by_show)
{
	fx_standard();
	struct run *r = RUN("show", "21", "--color", "always", "--columns", "id,is_active");

	EXPECT_OK(r);
	EXPECT_OUT(r, "\033[2mID         21\033[0m\n\033[2mIS_ACTIVE  false\033[0m\n");
	r = RUN("show", "20", "--color", "always", "--columns", "id,is_active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "ID         20\nIS_ACTIVE  true\n");
}

/* Text from the database never drives the terminal: escape sequences
 * (colours, an OSC retitling the window), BEL and C1 controls show as '?'
 * in tables, while JSON keeps the data exactly, escaped. */
#define HOSTILE_SQL                                                                          \
	"UPDATE sessions SET device_name = 'A\033[31mB\033]0;title\007C\007D',"              \
	" browser = 'x\xc2\x9b" "y' WHERE id = 20"

Test(output, control_characters_show_as_question_marks_in_tables_and_stay_escaped_in_json)
{
	fx_standard();
	db_exec(HOSTILE_SQL);
	struct run *table = RUN("list-user", "bob", "--columns", "id,device_name,browser");
	struct run *single = RUN("show", "20", "--columns", "device_name,browser");
	struct run *colour = RUN("list-user", "bob", "--columns", "device_name", "--color", "always", "--no-header");
	struct run *json = RUN("list-user", "bob", "-o", "json", "--columns", "id,device_name");

	EXPECT_OK(table);
	EXPECT_OUT(table, "ID  DEVICE_NAME           BROWSER\n"
			  "20  A?[31mB?]0;title?C?D  x?y\n");
	EXPECT_OK(single);
	EXPECT_OUT(single, "DEVICE_NAME  A?[31mB?]0;title?C?D\n"
			   "BROWSER      x?y\n");
	EXPECT_OK(colour);
	EXPECT_OUT(colour, "A?[31mB?]0;title?C?D\n");
	EXPECT_OK(json);
	EXPECT_OUT(json, "[\n{\"id\":20,\"device_name\":\"A\\u001b[31mB\\u001b]0;title\\u0007C\\u0007D\"}\n]\n");
}
